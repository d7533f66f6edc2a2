// Package history keeps the record of every push, also a failed or
// interrupted one, for `pbiwb history` and the wizard's history screen.
//
// Each run is one JSON file, <id>.json, under home.Dirs.History(), replaced
// atomically (temporary file, fsync, rename) whenever the run updates it. A
// run in progress says "running" with its host and process id; if the process
// dies without finishing the record (kill -9, a crash, a power cut), the next
// read sees that the process is gone and reports the run as "interrupted" —
// or "unknown" when the run belongs to another host and nobody can tell. Reads
// never rewrite files.
package history

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/atomicfile"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/outcome"
)

// Unsettled is the batches a stopped run left with an outcome pbiwb cannot
// tell, and why it cannot.
type Unsettled struct {
	Why     string           `json:"why"`
	Batches []UnsettledBatch `json:"batches"`
}

// UnsettledBatch is one batch with an unknown outcome: its number and its
// input rows, counted from 1 as people count.
type UnsettledBatch struct {
	Batch    int   `json:"batch"`
	FirstRow int64 `json:"firstRow"`
	Rows     int   `json:"rows"`
}

// Record is one run.
type Record struct {
	ID      string    `json:"id"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end,omitzero"`
	Updated time.Time `json:"updated"`

	Input       string `json:"input"`                 // a CSV path or domo:GUID
	Fingerprint string `json:"fingerprint,omitempty"` // the input's, as the checkpoint keys it
	Target      Target `json:"target"`
	Mode        string `json:"mode"` // replace | append
	DryRun      bool   `json:"dryRun,omitempty"`
	Resumed     bool   `json:"resumed,omitempty"` // the run continued from a checkpoint

	Outcome  outcome.Outcome `json:"outcome"`
	ExitCode exitcode.Code   `json:"exitCode"` // -1 while running or when unknown
	// Note explains an outcome the reader inferred (a dead process).
	Note string `json:"note,omitempty"`

	RowsWritten  int64                `json:"rowsWritten"`
	RowsTotal    int64                `json:"rowsTotal"`
	BatchesDone  int                  `json:"batchesDone"`
	BatchesTotal int                  `json:"batchesTotal"`
	Waits        map[string]WaitTotal `json:"waits,omitempty"` // by reason: rowsPerHour, retryAfter, ...
	Retries      int                  `json:"retries"`
	Throttled    int                  `json:"throttled"` // 429s met
	Verified     bool                 `json:"verified"`
	// NotVerified says why a run that wrote every row could not verify the
	// row count (Power BI refused to count it): written, not verified.
	NotVerified string `json:"notVerified,omitempty"`
	// CountNote explains a verified count that is not the rows before plus
	// those written: a FIFO table's eviction.
	CountNote string `json:"countNote,omitempty"`
	// Unsettled, on a run stopped because a POST got no answer while Power
	// BI refused to count rows, is what only the person can settle: the
	// resume must say whether those batches landed (--assume-sent or
	// --assume-lost).
	Unsettled *Unsettled `json:"unsettled,omitempty"`
	Errors    []Error    `json:"errors,omitempty"`
	// Request is the push the run was asked to do; resume and run again
	// rebuild it from here. Records of earlier versions have none: their
	// ResumeHint, the resume command as text, stands for it (PushRequest).
	Request    *Request `json:"request,omitempty"`
	ResumeHint string   `json:"resumeHint,omitempty"`
	// AlreadyBy is set on a --resume that wrote nothing because run
	// AlreadyBy had written the same input into the same table already.
	AlreadyBy string `json:"alreadyBy,omitempty"`

	// Posts are the run's POST rows requests of its last hour, so that the
	// next run against the same dataset can seed its pacer (see RecentPosts).
	Posts []Post `json:"posts,omitempty"`

	Host string `json:"host"`
	PID  int    `json:"pid"`
}

// Target is where a run wrote.
type Target struct {
	APIBase       string `json:"apiBase,omitempty"`
	WorkspaceID   string `json:"workspaceId,omitempty"`
	WorkspaceName string `json:"workspaceName,omitempty"`
	DatasetID     string `json:"datasetId,omitempty"`
	DatasetName   string `json:"datasetName,omitempty"`
	Table         string `json:"table,omitempty"`
}

// WaitTotal is the waits of one reason.
type WaitTotal struct {
	Count   int     `json:"count"`
	Seconds float64 `json:"seconds"`
}

// Error is a failure met by the run, with the Power BI RequestId for support.
type Error struct {
	Time      time.Time `json:"time,omitzero"`
	Message   string    `json:"message"`
	Status    int       `json:"status,omitempty"`
	Code      string    `json:"code,omitempty"`
	RequestID string    `json:"requestId,omitempty"`
}

// Post is one POST rows request: when its answer came and the rows it added.
type Post struct {
	End  time.Time `json:"end"`
	Rows int       `json:"rows"`
}

// Store is a history directory.
type Store struct {
	Dir string
	Now func() time.Time // the clock (time.Now by default)
	// Alive says whether a process of this host is still running; replaced in tests.
	Alive func(pid int) bool

	host string
	pid  int
}

// New is the store in dir (home.Dirs.History()); dir is created on first write.
func New(dir string) *Store {
	host, _ := os.Hostname()
	return &Store{Dir: dir, Now: time.Now, Alive: processAlive, host: host, pid: os.Getpid()}
}

func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// ErrNotFound: no run has that id (or id prefix).
var ErrNotFound = errors.New("no run with that id")

// Run is a run being recorded. Its methods are safe for concurrent use.
type Run struct {
	s     *Store
	mu    sync.Mutex
	rec   Record
	saved time.Time
	done  bool
}

// minSave is the least time between two saves of a running record: progress
// can come a hundred times a second; the file needs it about once a second.
const minSave = time.Second

// Start records a new run from r (ID, Start, Outcome, host and pid are set here).
func (s *Store) Start(r Record) (*Run, error) {
	now := s.now()
	id, err := newID(now)
	if err != nil {
		return nil, err
	}
	r.ID, r.Start, r.Updated = id, now, now
	r.Outcome, r.ExitCode, r.Host, r.PID = outcome.Running, -1, s.host, s.pid
	run := &Run{s: s, rec: r}
	if err := run.save(); err != nil {
		return nil, err
	}
	return run, nil
}

// ID is the run's id.
func (r *Run) ID() string { return r.rec.ID }

// Update changes the record; it reaches the disk at most about once a second
// (Finish always saves). It errors only when a save fails.
func (r *Run) Update(change func(*Record)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return nil
	}
	change(&r.rec)
	if r.s.now().Sub(r.saved) < minSave {
		return nil
	}
	return r.saveLocked()
}

// Save changes the record and writes it now, whatever the pace of Update:
// for facts that must be on disk before the run goes on (a kill -9 right
// after must not lose them).
func (r *Run) Save(change func(*Record)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return nil
	}
	change(&r.rec)
	return r.saveLocked()
}

// Done says whether the run was finished.
func (r *Run) Done() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done
}

// Finish ends the run with its outcome and exit code, after a last change.
func (r *Run) Finish(o outcome.Outcome, exitCode exitcode.Code, change func(*Record)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if change != nil {
		change(&r.rec)
	}
	r.rec.Outcome, r.rec.ExitCode, r.rec.End = o, exitCode, r.s.now()
	r.done = true
	return r.saveLocked()
}

// Record is a copy of the record as it stands.
func (r *Run) Record() Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rec
}

func (r *Run) save() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.saveLocked()
}

func (r *Run) saveLocked() error {
	r.rec.Updated = r.s.now()
	b, err := json.MarshalIndent(r.rec.redacted(), "", "  ")
	if err != nil {
		return fmt.Errorf("history: encode run %s: %w", r.rec.ID, err)
	}
	if err := atomicfile.Write(filepath.Join(r.s.Dir, r.rec.ID+".json"), append(b, '\n')); err != nil {
		return fmt.Errorf("history: save run %s: %w", r.rec.ID, err)
	}
	r.saved = r.rec.Updated
	return nil
}

// List is the last runs, newest first (all of them when last ≤ 0). Files
// that cannot be read are skipped: one damaged record must not hide the rest.
func (s *Store) List(last int) ([]Record, error) {
	ids, err := s.ids()
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, id := range ids {
		if last > 0 && len(out) == last {
			break
		}
		if r, err := s.read(id); err == nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// Get is one run by its id or a unique prefix of it.
func (s *Store) Get(id string) (Record, error) {
	id = strings.TrimSuffix(strings.TrimSpace(id), ".json")
	if id == "" || strings.ContainsAny(id, `/\`) {
		return Record{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	ids, err := s.ids()
	if err != nil {
		return Record{}, err
	}
	var matches []string
	for _, x := range ids {
		if x == id {
			return s.read(x)
		}
		if strings.HasPrefix(x, id) {
			matches = append(matches, x)
		}
	}
	switch len(matches) {
	case 0:
		return Record{}, fmt.Errorf("%w: %q (pbiwb history lists the runs)", ErrNotFound, id)
	case 1:
		return s.read(matches[0])
	}
	if len(matches) > 5 {
		matches = append(matches[:5], "…")
	}
	return Record{}, fmt.Errorf("%q matches several runs (%s): give more of the id", id, strings.Join(matches, ", "))
}

// RecentPosts is the POST rows requests that runs recorded against a dataset
// since a time: the seed of a new run's pacer.
func (s *Store) RecentPosts(apiBase, datasetID string, since time.Time) ([]Post, error) {
	ids, err := s.ids()
	if err != nil {
		return nil, err
	}
	var out []Post
	for _, id := range ids {
		r, err := s.read(id)
		if err != nil {
			continue
		}
		if r.Updated.Before(since) || r.Target.DatasetID != datasetID || r.Target.APIBase != apiBase {
			continue
		}
		for _, p := range r.Posts {
			if !p.End.Before(since) {
				out = append(out, p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].End.Before(out[j].End) })
	return out, nil
}

// ids are the run ids in the directory, newest first.
func (s *Store) ids() ([]string, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: read %s: %w", s.Dir, err)
	}
	var ids []string
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(name, ".json") && !strings.HasPrefix(name, ".") {
			ids = append(ids, strings.TrimSuffix(name, ".json"))
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	return ids, nil
}

func (s *Store) read(id string) (Record, error) {
	b, err := os.ReadFile(filepath.Join(s.Dir, id+".json"))
	if err != nil {
		return Record{}, fmt.Errorf("history: read run %s: %w", id, err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return Record{}, fmt.Errorf("history: run %s is damaged (%v); delete %s", id, err, filepath.Join(s.Dir, id+".json"))
	}
	s.resolve(&r)
	// Records written before pbiwb masked and cut what it stores are shown
	// as if it had.
	return r.redacted(), nil
}

// resolve turns a "running" record whose process is gone into what it is.
func (s *Store) resolve(r *Record) {
	if r.Outcome != outcome.Running || (r.Host == s.host && r.PID == s.pid) {
		return
	}
	alive := s.Alive
	if alive == nil {
		alive = processAlive
	}
	switch {
	case r.Host != s.host:
		r.Outcome = outcome.Unknown
		r.Note = fmt.Sprintf("recorded as running on %s; this machine cannot tell whether it still is", r.Host)
	case !alive(r.PID):
		r.Outcome = outcome.Interrupted
		r.Note = "the process ended without finishing its record (killed, crashed or the machine stopped); " +
			"last update " + r.Updated.Format(time.RFC3339)
	}
}

// newID is sortable by start time: 20261127-093000.123-7f3a2c (UTC).
func newID(t time.Time) (string, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("history: run id: %w", err)
	}
	// Milliseconds keep runs started in the same second in order: List sorts
	// by id, so the id alone must order runs by their start.
	return t.UTC().Format("20060102-150405.000") + "-" + hex.EncodeToString(b[:]), nil
}
