package cli

// The wizard's adapter from ui.Backend to the engine: saved accounts through
// keystore (the same resolver `--account` uses), sign-in through entra, the
// workspaces through powerbi, inputs through source, and the writeback
// through push. The wizard calls it from its commands, never from Update, so
// every method may block; each honours ctx.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/connector/source"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
	"github.com/pbiwb/pbiwb/ui"
)

// wizardBackend implements ui.Backend. It keeps every signed-in account in
// memory by name, so the wizard can go on with an account the user chose not
// to save (no keyring, insecure storage declined).
type wizardBackend struct {
	g    Globals
	dirs home.Dirs
	now  func() time.Time
	// inProcessSandbox is the address of the sandbox started for this wizard
	// ("" when none): command lines shown for later use need one started there.
	inProcessSandbox string

	mu       sync.Mutex
	sessions map[string]*wizardSession // by lower-case account name
	prepared *preparedPush             // the last Plan, reused by a Push of the same request
}

// wizardSession is one signed-in account.
type wizardSession struct {
	summary ui.AccountSummary
	ep      cloud.Endpoints
	entra   *entra.Session
	pbi     *powerbi.Client

	// Set for credentials signed in here, until saved: what SaveAccount writes.
	creds  *entra.Credentials
	cache  *memCache
	result entra.Result

	// Set for a saved account: its identity reads the Domo secret when needed.
	id *identity

	domoMu             sync.Mutex
	domoID, domoSecret string
	domo               *domo.Client
}

func newWizardBackend(g Globals, dirs home.Dirs) *wizardBackend {
	return &wizardBackend{g: g, dirs: dirs, now: time.Now, sessions: map[string]*wizardSession{}}
}

var _ ui.Backend = (*wizardBackend)(nil)

// close releases what a Plan kept for the Push that never came.
func (b *wizardBackend) close() {
	b.mu.Lock()
	p := b.prepared
	b.prepared = nil
	b.mu.Unlock()
	if p != nil {
		p.close()
	}
}

// quietEnv is the Env handed to the shared credential helpers: nothing they
// print may reach the terminal the wizard draws on, and they must not prompt.
func quietEnv() Env {
	return Env{
		Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard,
		Getenv:     func(string) string { return "" },
		IsTerminal: func() bool { return false },
	}
}

func (b *wizardBackend) session(name string) (*wizardSession, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.sessions[strings.ToLower(name)]
	if s == nil {
		return nil, fmt.Errorf("account %q is not signed in: go back to the first screen and choose it", name)
	}
	return s, nil
}

func (b *wizardBackend) keep(s *wizardSession) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sessions[strings.ToLower(s.summary.Name)] = s
}

// Accounts lists the saved accounts, and those signed in during this run
// without being saved.
func (b *wizardBackend) Accounts(ctx context.Context) ([]ui.AccountSummary, error) {
	list, err := openStore(b.dirs, false).List() // accounts.json only: no keyring call
	if err != nil {
		return nil, err
	}
	out := make([]ui.AccountSummary, 0, len(list))
	seen := map[string]bool{}
	for _, a := range list {
		out = append(out, summaryOf(a))
		seen[strings.ToLower(a.Name)] = true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for key, s := range b.sessions {
		if !seen[key] {
			out = append(out, s.summary)
		}
	}
	return out, ctx.Err()
}

func summaryOf(a keystore.Account) ui.AccountSummary {
	return ui.AccountSummary{Name: a.Name, Method: a.Auth, Cloud: cloudOrDefault(a.Cloud), TenantID: a.TenantID,
		ClientID: a.ClientID, Username: a.Username, LastUsed: a.LastUsed, HasDomo: a.DomoClientID != ""}
}

// OpenAccount signs in with a saved account: silently from its token cache
// when it can, else with the saved password or secret, else (a device code
// account whose sign-in lapsed) with a new device code relayed on prompts.
func (b *wizardBackend) OpenAccount(ctx context.Context, name string, prompts chan<- string) (ui.AccountSummary, error) {
	if s, err := b.session(name); err == nil {
		err := ensureToken(ctx, s.entra, prompts)
		b.mu.Lock()
		defer b.mu.Unlock()
		if err != nil {
			return s.summary, wizardError(err)
		}
		s.summary.LastUsed = b.now()
		return s.summary, nil
	}
	cf := &credFlags{account: name, hasAccount: true}
	id, err := cf.resolve(ctx, b.g, quietEnv()) // moves the account's LastUsed
	if err != nil {
		return ui.AccountSummary{Name: name}, wizardError(err)
	}
	summary := summaryOf(*id.Account)
	summary.LastUsed = b.now()
	if err := ensureToken(ctx, id.Session, prompts); err != nil {
		return summary, wizardError(err)
	}
	b.keep(&wizardSession{summary: summary, ep: id.Endpoints, entra: id.Session,
		pbi: powerbi.New(id.Endpoints, id.Session), id: id})
	return summary, nil
}

// ensureToken gets a token now, signing in again with a device code when the
// saved sign-in can no longer be renewed without the user.
func ensureToken(ctx context.Context, s *entra.Session, prompts chan<- string) error {
	_, err := s.Token(ctx)
	if errors.Is(err, entra.ErrInteractionRequired) {
		_, err = s.SignIn(ctx, relay(ctx, prompts))
	}
	return err
}

// relay sends Entra's device-code message to the wizard verbatim; it gives up
// when ctx is done (the wizard stopped listening).
func relay(ctx context.Context, prompts chan<- string) func(string) {
	return func(msg string) {
		if prompts == nil {
			return
		}
		select {
		case prompts <- msg:
		case <-ctx.Done():
		}
	}
}

// SignIn proves new credentials (and the Domo API client, when given) and
// keeps the signed-in session for this run; SaveAccount may then store it.
func (b *wizardBackend) SignIn(ctx context.Context, c ui.Credentials, prompts chan<- string) (ui.AccountSummary, error) {
	if err := keystore.ValidateName(c.Name); err != nil {
		return ui.AccountSummary{}, &wizardFieldError{field: ui.FieldAccountName, msg: err.Error(), code: ExitUsage}
	}
	ec := entraCredentials(c)
	ep, err := endpoints(ctx, b.g, cloudOrDefault(c.Cloud))
	if err != nil {
		if !b.g.Sandbox {
			return ui.AccountSummary{}, &wizardFieldError{field: ui.FieldCloud, msg: unwrapExit(err), code: ExitUsage}
		}
		return ui.AccountSummary{}, wizardError(err)
	}
	if errs := entra.ValidateCredentials(ec); len(errs) > 0 {
		return ui.AccountSummary{}, wizardError(entra.FieldErrors(errs))
	}
	cache := &memCache{}
	session, err := entra.New(ep, ec, cache)
	if err != nil {
		return ui.AccountSummary{}, wizardError(err)
	}
	res, err := session.SignIn(ctx, relay(ctx, prompts))
	if err != nil {
		return ui.AccountSummary{}, wizardError(err)
	}
	s := &wizardSession{ep: ep, entra: session, pbi: powerbi.New(ep, session), creds: &ec, cache: cache, result: res,
		domoID: strings.TrimSpace(c.DomoClientID), domoSecret: c.DomoClientSecret}
	if s.domoID != "" {
		if s.domoSecret == "" {
			return ui.AccountSummary{}, &wizardFieldError{field: ui.FieldDomoClientSecret,
				msg: "the Domo client secret is needed with a Domo client ID", advice: "Copy it from Domo: developer.domo.com › My Account › Manage Clients", code: ExitUsage}
		}
		s.domo = domo.New(ep, s.domoID, s.domoSecret)
		if err := s.domo.SignIn(ctx); err != nil {
			return ui.AccountSummary{}, wizardError(err)
		}
	}
	username := res.Username
	if ec.Method == entra.MethodServicePrincipal {
		username = ""
	}
	s.summary = ui.AccountSummary{Name: c.Name, Method: string(ec.Method), Cloud: accountCloud(ep), TenantID: ec.TenantID,
		ClientID: ec.ClientID, Username: username, LastUsed: b.now(), HasDomo: s.domoID != ""}
	b.keep(s)
	return s.summary, nil
}

// entraCredentials are the wizard's answers as entra takes them: only the
// secrets the method uses (as `accounts add` asks for them).
func entraCredentials(c ui.Credentials) entra.Credentials {
	ec := entra.Credentials{TenantID: strings.TrimSpace(c.TenantID), ClientID: strings.ToLower(strings.TrimSpace(c.ClientID)),
		Username: strings.TrimSpace(c.Username), Method: entra.Method(c.Method)}
	switch ec.Method {
	case entra.MethodPassword:
		ec.Password, ec.ClientSecret = c.Password, c.ClientSecret
	case entra.MethodServicePrincipal:
		ec.ClientSecret = c.ClientSecret
	case entra.MethodDeviceCode:
		// A device code sign-in is a public client's: no secret is used or kept.
	}
	return ec
}

// SaveAccount stores the account signed in under c.Name: the identifiers in
// accounts.json, the secrets and the tokens in the OS keyring, or in the
// 0600 file when the user chose insecure storage.
func (b *wizardBackend) SaveAccount(ctx context.Context, c ui.Credentials) error {
	s, err := b.session(c.Name)
	if err != nil || s.creds == nil {
		return fmt.Errorf("account %q has not signed in with these credentials yet: sign in first", c.Name)
	}
	store := openStore(b.dirs, c.InsecureStorage)
	if !c.InsecureStorage {
		if err := keystore.Probe(ctx, store.Backend()); err != nil {
			return keyringError(err)
		}
	}
	ec := *s.creds
	sec := keystore.Secrets{}
	if ec.Password != "" {
		sec[keystore.Password] = ec.Password
	}
	if ec.ClientSecret != "" {
		sec[keystore.ClientSecret] = ec.ClientSecret
	}
	if s.domoID != "" {
		sec[keystore.DomoClientSecret] = s.domoSecret
	}
	if s.cache.data != nil {
		sec[keystore.TokenCache] = string(s.cache.data)
	}
	saved, err := store.Save(ctx, keystore.Account{
		Name: c.Name, Cloud: accountCloud(s.ep), TenantID: ec.TenantID, ClientID: ec.ClientID,
		Username: s.summary.Username, Auth: string(ec.Method), DomoClientID: s.domoID, HomeAccountID: s.result.HomeAccountID,
	}, sec)
	if err != nil {
		return keyringError(fmt.Errorf("saving account %q: %w", c.Name, err))
	}
	b.mu.Lock()
	s.summary = summaryOf(saved)
	b.mu.Unlock()
	return nil
}

// keyringUnavailable is keystore's "no keyring" as the wizard asks for it:
// it matches ui.ErrKeyringUnavailable, and its text leaves out keystore's
// advice to re-run with --insecure-storage, which the wizard offers itself.
type keyringUnavailable struct{ err error }

func (e *keyringUnavailable) Error() string {
	var ke *keystore.KeyringError
	if !errors.As(e.err, &ke) {
		return strings.TrimSuffix(e.err.Error(), keystore.InsecureAlternative)
	}
	what := fmt.Sprintf("%s it failed: %v", ke.Op, ke.Cause)
	if ke.Timeout > 0 {
		what = fmt.Sprintf("it did not answer within %s", ke.Timeout)
	}
	return what + "; " + keystore.KeyringFix(runtime.GOOS)
}
func (e *keyringUnavailable) Unwrap() error { return e.err }
func (e *keyringUnavailable) Is(target error) bool {
	return target == ui.ErrKeyringUnavailable
}

func keyringError(err error) error {
	if errors.Is(err, keystore.ErrNoKeyring) {
		return &keyringUnavailable{err}
	}
	return err
}

// Workspaces lists the workspaces the account can see.
func (b *wizardBackend) Workspaces(ctx context.Context, account string) ([]ui.Workspace, error) {
	s, err := b.session(account)
	if err != nil {
		return nil, err
	}
	groups, err := s.pbi.Groups(ctx, "")
	if err != nil {
		return nil, wizardError(err)
	}
	out := make([]ui.Workspace, len(groups))
	for i, g := range groups {
		out[i] = ui.Workspace{ID: g.ID, Name: g.Name, ReadOnly: g.IsReadOnly}
	}
	return out, nil
}

// Datasets lists the push datasets of a workspace; imported datasets cannot
// take rows, so they are not offered.
func (b *wizardBackend) Datasets(ctx context.Context, account, workspaceID string) ([]string, error) {
	s, err := b.session(account)
	if err != nil {
		return nil, err
	}
	list, err := s.pbi.Datasets(ctx, workspaceID)
	if err != nil {
		return nil, wizardError(err)
	}
	var names []string
	for _, d := range list {
		if d.IsPush() {
			names = append(names, d.Name)
		}
	}
	return names, nil
}

// domoClient is the account's Domo API client: the one signed in here, or
// the saved account's (its secret read from the keyring on first use).
func (s *wizardSession) domoClient(ctx context.Context) (*domo.Client, error) {
	s.domoMu.Lock()
	defer s.domoMu.Unlock()
	if s.domo != nil {
		return s.domo, nil
	}
	if s.id != nil {
		id, secret, ok, err := s.id.Domo(ctx, quietEnv().Getenv)
		if err != nil {
			return nil, wizardError(err)
		}
		if ok {
			s.domoID, s.domoSecret = id, secret
			s.domo = domo.New(s.ep, id, secret)
			return s.domo, nil
		}
	}
	return nil, &wizardFieldError{field: ui.FieldDomoClientID, code: ExitSignIn,
		msg:    "this account has no Domo API client, which a Domo DataSet input needs",
		advice: "Add the account again (first screen › + Add a new account, same name) with the Domo Client ID and Secret from developer.domo.com › My Account › Manage Clients"}
}

// InspectInput reads and checks the whole input once (source.Scan): its
// columns and their types, the row count, and every finding with its line.
func (b *wizardBackend) InspectInput(ctx context.Context, account, input string, overrides map[string]string) (ui.InputReport, error) {
	s, err := b.session(account)
	if err != nil {
		return ui.InputReport{}, err
	}
	types, err := parseOverrides(overrides)
	if err != nil {
		return ui.InputReport{}, err
	}
	limits, err := s.pbi.Limits(ctx)
	if err != nil {
		return ui.InputReport{}, wizardError(err)
	}
	in, err := b.openInput(ctx, s, input)
	if err != nil {
		return ui.InputReport{}, err
	}
	p, err := source.Scan(ctx, in.src, source.Options{Limits: limits, Columns: types})
	if p != nil {
		defer p.Close()
	}
	var verr *schema.ValidationError
	if err != nil && !errors.As(err, &verr) {
		return ui.InputReport{}, inputError(input, err)
	}
	report := ui.InputReport{Input: input, Name: in.name, Kind: in.kind}
	if p != nil {
		report.Rows = int64(p.Rows)
		if p.Delimiter == '\t' && in.kind == kindCSV {
			report.Kind = "TSV file"
		}
		for i, col := range p.Columns {
			report.Columns = append(report.Columns, ui.Column{Name: col.Name, Type: col.Type.String(),
				Origin: in.origin(col.Name, overrides, i < len(p.Inferred) && p.Inferred[i])})
		}
	}
	if verr != nil {
		report.Findings = findingsOf(verr, report.Columns)
	}
	return report, nil
}

const kindCSV = "CSV file"

// wizardInput is an input opened for reading, with what the report says of it.
type wizardInput struct {
	src        *source.Source
	name, kind string
	domoTypes  map[string]string // a Domo DataSet's declared types, by column
}

func (b *wizardBackend) openInput(ctx context.Context, s *wizardSession, input string) (*wizardInput, error) {
	if id, ok := strings.CutPrefix(input, "domo:"); ok {
		client, err := s.domoClient(ctx)
		if err != nil {
			return nil, err
		}
		api := &metaCapture{api: client}
		src, err := source.Domo(ctx, api, id)
		if err != nil {
			return nil, inputError(input, err)
		}
		in := &wizardInput{src: src, name: api.meta.Name, kind: "Domo DataSet", domoTypes: map[string]string{}}
		for _, c := range api.meta.Schema {
			in.domoTypes[c.Name] = c.Type
		}
		if in.name == "" {
			in.name = id
		}
		return in, nil
	}
	if input == "-" {
		return nil, errors.New("standard input is the terminal here: give a file path (pbiwb push --input - reads a pipe)")
	}
	return &wizardInput{src: source.File(input, nil), name: filepath.Base(input), kind: kindCSV}, nil
}

// origin says where a column's type came from, for the Input screen.
func (in *wizardInput) origin(name string, overrides map[string]string, inferred bool) string {
	switch {
	case overrides[name] != "":
		return "set by you"
	case in.domoTypes[name] != "":
		return "Domo " + in.domoTypes[name]
	case inferred:
		return "inferred"
	}
	return "declared"
}

// metaCapture keeps the DataSet metadata source.Domo reads, for its name and
// its Domo types, so they need no second request.
type metaCapture struct {
	api  source.DomoAPI
	meta domo.DataSet
}

func (m *metaCapture) DataSet(ctx context.Context, id string) (domo.DataSet, error) {
	d, err := m.api.DataSet(ctx, id)
	if err == nil {
		m.meta = d
	}
	return d, err
}

func (m *metaCapture) Export(ctx context.Context, id string) (io.ReadCloser, error) {
	return m.api.Export(ctx, id)
}

func parseOverrides(overrides map[string]string) (map[string]schema.Type, error) {
	if len(overrides) == 0 {
		return nil, nil
	}
	types := make(map[string]schema.Type, len(overrides))
	for name, t := range overrides {
		pt, err := schema.ParseType(t)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", name, err)
		}
		types[name] = pt
	}
	return types, nil
}

// findingsOf lists a validation error's findings with their line and column
// name, and says how many more there are when the listing was capped.
func findingsOf(verr *schema.ValidationError, cols []ui.Column) []ui.Finding {
	out := make([]ui.Finding, 0, len(verr.Findings)+1)
	for _, f := range verr.Findings {
		name := f.ColumnName
		if name == "" && f.Column > 0 && f.Column <= len(cols) {
			name = cols[f.Column-1].Name
		}
		out = append(out, ui.Finding{Line: f.Line, Column: name, Message: f.Message})
	}
	if more := verr.Total - len(verr.Findings); more > 0 {
		out = append(out, ui.Finding{Message: fmt.Sprintf("… and %d more (the first %d are listed; `pbiwb push --dry-run` counts them by rule)", more, len(verr.Findings))})
	}
	return out
}

// inputError says which input could not be read; Domo's errors already say
// what to do.
func inputError(input string, err error) error {
	var de *domo.Error
	if errors.As(err, &de) {
		return wizardError(err)
	}
	return fmt.Errorf("reading %s: %w", input, err)
}

// wizardFieldError is a failure the wizard shows beside one credential
// field (ui.FieldError), with the exit code it stands for.
type wizardFieldError struct {
	field, msg, advice string
	code               int
	err                error
}

func (e *wizardFieldError) Error() string  { return e.msg }
func (e *wizardFieldError) Field() string  { return e.field }
func (e *wizardFieldError) Advice() string { return e.advice }
func (e *wizardFieldError) ExitCode() int  { return e.code }
func (e *wizardFieldError) Unwrap() error  { return e.err }

// codedError is a message for people with the exit code of CONTRACT.md it
// stands for (ui reads ExitCode).
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }
func (e *codedError) ExitCode() int { return e.code }

// wizardError maps what the engine returns to what the wizard shows: a
// sign-in failure beside the credential at fault (entra's Field as is, its
// Fix as the advice), everything else as commandError words it, with its
// exit code.
func wizardError(err error) error {
	if err == nil {
		return nil
	}
	var (
		ae  *entra.Error
		fes entra.FieldErrors
		de  *domo.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &ae):
		// Error() keeps entra's wording (what failed, the AADSTS code, the
		// correlation ID); the wizard leaves the Fix out of it and shows it as
		// the advice.
		return &wizardFieldError{field: ae.Field, msg: ae.Error(), advice: ae.Fix, code: ExitSignIn, err: err}
	case errors.As(err, &fes) && len(fes) > 0:
		// One field at a time: the wizard's own checks catch most of these
		// before any call, so a second one is rare.
		return &wizardFieldError{field: fes[0].Field, msg: fes[0].Error(), code: ExitUsage, err: err}
	case errors.As(err, &de) && errors.Is(err, domo.ErrSignIn):
		return &wizardFieldError{field: ui.FieldDomoClientSecret, msg: de.Error(), advice: de.Advice, code: ExitSignIn, err: err}
	}
	var ee *exitError
	if errors.As(commandError(err), &ee) {
		return &codedError{code: ee.code, err: ee.err}
	}
	return err
}

// unwrapExit is an exitError's message without the code.
func unwrapExit(err error) string {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.err.Error()
	}
	return err.Error()
}

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
	plan, err := b.prepare(ctx, s, r, req)
	if err != nil {
		return ui.PlanReport{}, err
	}
	rep := plan.Report()
	b.keepPlan(&preparedPush{account: r.Account, req: req, plan: plan})
	out := ui.PlanReport{Actions: rep.Actions, Rows: rep.Rows, Batches: rep.Batches, Warnings: rep.Warnings, ETA: -1}
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

func (b *wizardBackend) prepare(ctx context.Context, s *wizardSession, r ui.Request, req push.Request) (*push.Plan, error) {
	svc := push.Services{PowerBI: s.pbi, Dirs: b.dirs, Invocation: b.invocation(r.Account)}
	if strings.HasPrefix(req.Input, "domo:") {
		client, err := s.domoClient(ctx)
		if err != nil {
			return nil, err
		}
		svc.Domo = client
	}
	plan, err := push.Prepare(ctx, svc, req)
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

// invocation is what goes between "pbiwb" and "push" in the engine's resume
// hint: the global flags and the account.
func (b *wizardBackend) invocation(account string) string {
	g := strings.TrimSpace(strings.TrimPrefix(wizardCommand(b.g), "pbiwb"))
	return strings.TrimSpace(g + " --account " + shellWord(account))
}

// pushRequest is the wizard's answers as `pbiwb push` flags. The workspace
// goes by ID: the user picked it from the list, and two workspaces may share
// a name.
func pushRequest(r ui.Request) push.Request {
	req := push.Request{Input: r.Input, Group: r.WorkspaceID, Dataset: r.Dataset, Table: r.Table,
		Mode: r.Mode, Retention: r.Retention, Resume: r.Resume}
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
		if plan, err = b.prepare(ctx, s, r, req); err != nil {
			return ui.Result{}, err
		}
	}
	defer plan.Close()
	datasetID := plan.Report().Dataset.ID

	started := b.now()
	relay := &progressRelay{ctx: ctx, events: events, now: b.now}
	sum, runErr := plan.Run(ctx, relay.observe)
	res := ui.Result{RowsWritten: sum.RowsWritten, RowsVerified: sum.TableRows, Batches: sum.BatchesDone, Retries: sum.Retries,
		Elapsed: time.Duration(sum.ElapsedSeconds * float64(time.Second)), DatasetID: datasetID}
	if rec, ok := b.findRun(r, started); ok {
		res.RunID = rec.ID
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
// engine's own (code, or push.ExitCode), else what commandError says.
func pushError(err error, code int) error {
	if errors.Is(err, context.Canceled) {
		return &codedError{code: ExitInterrupted, err: err}
	}
	if code == 0 {
		code, _ = push.ExitCode(err)
	}
	mapped := wizardError(err)
	if code == 0 {
		return mapped
	}
	if fe, ok := mapped.(*wizardFieldError); ok {
		fe.code = code
		return fe
	}
	msg := err.Error()
	if a := powerbi.Advice(err); a != "" {
		msg = a
	}
	return &codedError{code: code, err: errors.New(msg)}
}

// progressRelay turns the engine's events into the wizard's snapshots. The
// engine calls it in order, from one event at a time; every send gives up
// when ctx is done (the wizard stopped listening), and progress events come
// at most every progressEvery so the push never waits on the screen.
type progressRelay struct {
	ctx    context.Context
	events chan<- ui.ProgressEvent
	now    func() time.Time
	last   time.Time
}

const progressEvery = 50 * time.Millisecond

func (p *progressRelay) observe(e push.Event) {
	ev := snapshot(e, p.now())
	if e.Kind == push.KindProgress && ev.Error == nil && ev.RowsWritten < ev.RowsTotal && p.now().Sub(p.last) < progressEvery {
		return
	}
	p.last = p.now()
	select {
	case p.events <- ev:
	case <-p.ctx.Done():
	}
}

// snapshot is one event as the Push screen shows it.
func snapshot(e push.Event, now time.Time) ui.ProgressEvent {
	pr := e.Progress
	ev := ui.ProgressEvent{RowsWritten: pr.RowsWritten, RowsTotal: pr.RowsTotal, BatchesDone: pr.BatchesDone, BatchesTotal: pr.BatchesTotal,
		InFlight: pr.InFlight, Retries: pr.Retries, Throttled: pr.Throttled, RowsPerSecond: pr.RowsPerSecond, ETA: -1}
	if pr.ETASeconds >= 0 {
		ev.ETA = time.Duration(pr.ETASeconds * float64(time.Second))
	}
	if w := pr.Wait; w != nil {
		reason := w.Limit
		switch {
		case w.Reason == "retryAfter":
			reason = "Retry-After from Power BI: it answered 429, too many requests"
		case reason == "":
			reason = w.Reason
		}
		left := time.Duration(0)
		switch {
		case !w.Until.IsZero():
			left = w.Until.Sub(now)
		case w.Seconds > 0:
			left = time.Duration(w.Seconds * float64(time.Second))
		default:
			reason += " (until a request in flight is answered)"
		}
		ev.Wait = &ui.Wait{Reason: reason, Left: max(left, 0)}
	}
	switch {
	case e.Kind == push.KindError && e.Error != nil:
		msg := e.Error.Message
		if e.Error.Batch > 0 {
			msg = fmt.Sprintf("batch %d: %s", e.Error.Batch, msg)
		}
		ev.Error = &ui.PushError{Message: msg, RequestID: e.Error.RequestID}
	case e.Kind == push.KindRetry && e.Retry != nil:
		r := e.Retry
		ev.Error = &ui.PushError{RequestID: r.RequestID,
			Message: fmt.Sprintf("batch %d: %s; sending it again in %s (attempt %d)", r.Batch, r.Cause, (time.Duration(r.DelaySeconds * float64(time.Second))).Round(time.Millisecond), r.Attempt)}
	}
	return ev
}
