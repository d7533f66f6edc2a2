package cli

// The plan (dry run) and the push.

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/redact"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/ui"
)

// preparedPush is the Plan of the Review screen, kept for the Push that
// follows it, so the input is not read (or exported from Domo) once more.
type preparedPush struct {
	account string
	req     push.Request
	plan    *push.Plan
}

func (p *preparedPush) close() { p.plan.Close() }

// Plan is the dry run: push.Prepare reads and checks the whole input and
// resolves the target, writing nothing.
func (b *wizardBackend) Plan(ctx context.Context, r ui.Request) (ui.PlanReport, error) {
	s, err := b.session(r.Account)
	if err != nil {
		return ui.PlanReport{}, err
	}
	req := pushRequest(r)
	plan, err := b.prepare(ctx, s, r, req, push.Prepare)
	if err != nil {
		return ui.PlanReport{}, err
	}
	rep := plan.Report()
	b.keepPlan(&preparedPush{account: r.Account, req: req, plan: plan})
	out := ui.PlanReport{Actions: rep.Actions, Rows: rep.Rows, Batches: rep.Batches, Warnings: rep.Warnings, ETA: -1,
		AccountFlags: b.accountFlags(s)}
	out.Warnings = append(out.Warnings, b.unsavedSecrets(s)...)
	if rep.ETASeconds >= 0 {
		out.ETA = time.Duration(rep.ETASeconds * float64(time.Second))
	}
	if b.inProcessSandbox != "" {
		// The command line below the plan names this sandbox's URL, which
		// lives only as long as the wizard.
		out.Warnings = append(out.Warnings, "this sandbox lives inside the wizard and stops when the wizard ends;",
			"before using the command below later, run: pbiwb sandbox --addr "+b.inProcessSandbox)
	}
	// Command stays empty: the wizard lays the command line out itself, with
	// the account and the global flags, broken into pasteable lines.
	return out, nil
}

// prepare is push.Prepare for the review (a dry run), or push.PrepareRun for
// a push that runs next.
func (b *wizardBackend) prepare(ctx context.Context, s *wizardSession, r ui.Request, req push.Request,
	prepare func(context.Context, push.Services, push.Request, ...push.Observer) (*push.Plan, error)) (*push.Plan, error) {
	svc := push.Services{PowerBI: s.pbi, Dirs: b.dirs, Invocation: b.invocation(s),
		Tenant: s.summary.TenantID, User: s.summary.Username,
		Fields: wizardFace{}} // the engine's advice names the wizard's fields, not flags
	if svc.User == "" {
		svc.User = s.summary.ClientID
	}
	if strings.HasPrefix(req.Input, "domo:") {
		client, err := s.domoClient(ctx)
		if err != nil {
			return nil, err
		}
		svc.Domo = client
	}
	plan, err := prepare(ctx, svc, req)
	if err != nil {
		if plan != nil {
			plan.Close()
		}
		return nil, pushError(err, 0)
	}
	return plan, nil
}

// keepPlan replaces the kept plan, releasing the one before.
func (b *wizardBackend) keepPlan(p *preparedPush) {
	b.mu.Lock()
	old := b.prepared
	b.prepared = p
	b.mu.Unlock()
	if old != nil {
		old.close()
	}
}

// takePlan hands out the kept plan when it is for this request.
func (b *wizardBackend) takePlan(account string, req push.Request) *push.Plan {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.prepared
	if p == nil || !strings.EqualFold(p.account, account) || !reflect.DeepEqual(p.req, req) {
		return nil
	}
	b.prepared = nil
	return p.plan
}

// invocation is the flags of the engine's resume hint after "pbiwb push":
// the global flags and the account's.
func (b *wizardBackend) invocation(s *wizardSession) []string {
	return append(globalFlags(b.g), b.accountFlags(s)...)
}

// accountFlags name s's account on a command line: --account NAME once it
// is saved; an account signed in here and used without saving it does not
// exist for `pbiwb push`, so its identity flags stand in (as `pbiwb push`
// takes them; the secrets then come from the environment).
func (b *wizardBackend) accountFlags(s *wizardSession) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.accountFlagsLocked(s)
}

func (b *wizardBackend) accountFlagsLocked(s *wizardSession) []string {
	if s.creds == nil || s.saved {
		return []string{"--" + cmdline.Account, s.summary.Name}
	}
	cl := s.summary.Cloud
	if cl == cloudSandbox { // --sandbox, among the global flags, says it
		cl = ""
	}
	c := s.creds
	return identityFlags(c.TenantID, c.ClientID, c.Username, string(c.Method), s.domoID, cl)
}

// unsavedSession is the name of the account signed in here, not saved,
// whose identity flags are these (a run of it records them instead of
// --account), so that its run resumes under it; "" when none matches.
func (b *wizardBackend) unsavedSession(flags []string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.sessions {
		if s.creds == nil || s.saved {
			continue
		}
		// The history stores the flags redacted: a value this process came
		// to hold as a secret (a Domo client ID once typed as the secret)
		// is masked there, so the flags are compared as stored too.
		if id := b.accountFlagsLocked(s); len(id) > 0 && (containsRun(flags, id) || containsRun(flags, redactWords(id))) {
			return s.summary.Name
		}
	}
	return ""
}

func redactWords(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = redact.String(w)
	}
	return out
}

// containsRun reports whether words holds run, in order, somewhere.
func containsRun(words, run []string) bool {
	for i := 0; i+len(run) <= len(words); i++ {
		if slices.Equal(words[i:i+len(run)], run) {
			return true
		}
	}
	return false
}

// unsavedSecrets says, for an account used without saving it, that the
// command line shown names its identity and where it takes the secrets
// from, in lines short enough for the plan's warnings; nil once saved.
func (b *wizardBackend) unsavedSecrets(s *wizardSession) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.creds == nil || s.saved {
		return nil
	}
	lines := []string{"account " + s.summary.Name + " is not saved, so the command below names its identity;"}
	var env []string
	if s.creds.ClientSecret != "" {
		env = append(env, EnvClientSecret)
	}
	if s.creds.Password != "" {
		env = append(env, EnvPassword)
	}
	if s.domoID != "" {
		env = append(env, EnvDomoClientSecret)
	}
	if len(env) > 0 {
		lines = append(lines, "it takes the secrets from "+strings.Join(env, ", ")+";")
	}
	return append(lines, "save the account to use --account "+s.summary.Name+" instead")
}

// pushRequest is the wizard's answers as `pbiwb push` flags. The workspace
// goes by ID: the user picked it from the list, and two workspaces may share
// a name.
func pushRequest(r ui.Request) push.Request {
	req := push.Request{Input: r.Input, Sheet: r.Sheet, Group: r.WorkspaceID, Dataset: r.Dataset, Table: r.Table,
		Mode: r.Mode, Retention: r.Retention, Resume: r.Resume,
		AssumeSent: r.Assume == ui.AssumeSent, AssumeLost: r.Assume == ui.AssumeLost}
	if req.Group == "" {
		req.Group = r.WorkspaceName
	}
	for name, t := range r.Columns {
		req.Columns = append(req.Columns, name+"="+t)
	}
	slices.Sort(req.Columns)
	return req
}

// Push runs the writeback, relaying the engine's events as snapshots.
func (b *wizardBackend) Push(ctx context.Context, r ui.Request, events chan<- ui.ProgressEvent) (ui.Result, error) {
	s, err := b.session(r.Account)
	if err != nil {
		return ui.Result{}, err
	}
	req := pushRequest(r)
	plan := b.takePlan(r.Account, req)
	if plan == nil {
		if plan, err = b.prepare(ctx, s, r, req, push.PrepareRun); err != nil {
			return ui.Result{}, err
		}
	}
	defer plan.Close()
	datasetID := plan.Report().Dataset.ID

	started := b.now()
	relay := &progressRelay{ctx: ctx, events: events, now: b.now}
	// The plan's warnings (Power BI refuses to count rows, a discarded
	// checkpoint, ...) are said before writing, as pbiwb push says them:
	// a resume from the History screen has no Review that showed them.
	for _, w := range plan.Report().Warnings {
		relay.send(ui.ProgressEvent{Warning: w, ETA: -1})
	}
	sum, runErr := plan.Run(ctx, relay.observe)
	res := ui.Result{RowsWritten: sum.RowsWritten, RowsVerified: sum.TableRows, Batches: sum.BatchesDone, Retries: sum.Retries,
		Elapsed: time.Duration(sum.ElapsedSeconds * float64(time.Second)), DatasetID: datasetID,
		NotVerified: sum.NotVerified, CountNote: sum.CountNote, Unsettled: uiUnsettled(sum.Unsettled)}
	if rec, ok := b.findRun(r, started); ok {
		res.RunID = rec.ID
		res.NothingToResume = runErr != nil && !b.checkpointLeft(rec)
		if rec.Target.DatasetID != "" {
			res.DatasetID = rec.Target.DatasetID
		}
	}
	if runErr != nil {
		return res, pushError(runErr, sum.ExitCode)
	}
	return res, nil
}

// findRun is the history record Run wrote for this push. push.Summary does
// not carry the run's ID, so it is looked up: the newest record of this
// input and table that started with the push.
func (b *wizardBackend) findRun(r ui.Request, started time.Time) (history.Record, bool) {
	list, err := history.New(b.dirs.History()).List(10)
	if err != nil {
		return history.Record{}, false
	}
	for _, rec := range list {
		if rec.Input == r.Input && rec.Target.WorkspaceID == r.WorkspaceID && strings.EqualFold(rec.Target.Table, r.Table) &&
			!rec.Start.Before(started.Add(-time.Second)) {
			return rec, true
		}
	}
	return history.Record{}, false
}

// pushError words an engine error for the wizard with its exit code: the
// run's own (code, from its summary), or the one err places itself at
// (exitcode.Lookup), else what commandError says.
func pushError(err error, code exitcode.Code) error {
	if errors.Is(err, context.Canceled) {
		return &codedError{code: exitcode.Interrupted, err: err}
	}
	placed := true
	if code == exitcode.OK {
		code, placed = exitcode.Lookup(err)
	}
	mapped := wizardError(err)
	if !placed {
		return mapped
	}
	if fe, ok := mapped.(*wizardFieldError); ok {
		fe.code = code
		return fe
	}
	msg := field.Phrased(err, wizardName)
	if a := powerbi.Advice(err, wizardFace{}); a != "" {
		msg = a
	}
	return &codedError{code: code, err: errors.New(msg)}
}

// uiUnsettled is the engine's (or a run record's) unsettled batches for the
// wizard; nil for none.
func uiUnsettled(u *history.Unsettled) *ui.Unsettled {
	if u == nil {
		return nil
	}
	out := &ui.Unsettled{Why: u.Why}
	for _, b := range u.Batches {
		out.Batches = append(out.Batches, ui.UnsettledBatch{Batch: b.Batch, FirstRow: b.FirstRow, Rows: b.Rows})
	}
	return out
}
