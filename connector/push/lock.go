package push

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/filelock"
)

// One push per target at a time: two pushes into one table at once write
// its rows twice (two replaces both delete, then both write), and two that
// create the same new dataset make two datasets of one name, which every
// later push refuses. A push holds a lock file for its target from when the
// workspace is known until it ends; a second push of that target is refused
// at once, naming the first.
//
// The lock files live in one directory per OS user for the whole machine
// (DefaultLockDir), not under the home: two homes (--home) write to the same
// Power BI, so they must exclude each other too. The lock is flock or
// LockFileEx (package filelock), which the OS releases when its holder dies:
// a push killed with kill -9 leaves no lock behind, only a stale description
// of itself that the next holder overwrites.

// DefaultLockDir is where target locks live: pbiwb-locks-UID under the temp
// dir (0700). The temp dir, rather than the user cache dir, because it does
// not move with HOME or XDG_CACHE_HOME, which scripts and tests change along
// with --home; the user id keeps users apart in a shared /tmp (each user's
// pushes exclude each other; two users have their own credentials and
// homes). On Windows the temp dir is the user's own already.
func DefaultLockDir() string {
	name := "pbiwb-locks"
	if uid := os.Getuid(); uid >= 0 {
		name += "-" + strconv.Itoa(uid)
	}
	return filepath.Join(os.TempDir(), name)
}

// lockKey is a target as the lock sees it: the cloud (API base) and tenant,
// the workspace, the dataset by name (so that two pushes creating it exclude
// each other) and the table. My workspace has no id, so the user's name
// stands in for it.
type lockKey struct {
	APIBase   string `json:"apiBase"`
	Tenant    string `json:"tenant"`
	Workspace string `json:"workspace"`
	Dataset   string `json:"dataset"` // Power BI matches dataset names exactly
	Table     string `json:"table"`   // lower case: table names match ignoring case
}

func (k lockKey) file() string {
	b, _ := json.Marshal(k) // strings only: always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12]) + ".lock"
}

// LockHolder describes the push holding a target's lock, as its lock file
// says.
type LockHolder struct {
	PID    int       `json:"pid"`
	Host   string    `json:"host,omitempty"`
	Start  time.Time `json:"start"`
	RunID  string    `json:"runId,omitempty"` // its history record
	Input  string    `json:"input,omitempty"`
	Target string    `json:"target"` // for people: workspace / dataset / table
	Home   string    `json:"home,omitempty"`
}

// LockedError: another push holds the target's lock. Exit 2.
type LockedError struct {
	Target string
	Holder *LockHolder // nil when its lock file did not say (yet)
	Path   string
}

func (e *LockedError) Error() string {
	who := "another pbiwb push"
	if h := e.Holder; h != nil {
		var parts []string
		if h.RunID != "" {
			parts = append(parts, "run "+h.RunID)
		}
		parts = append(parts, "pid "+strconv.Itoa(h.PID))
		if !h.Start.IsZero() {
			parts = append(parts, "started "+h.Start.Local().Format("2006-01-02 15:04:05"))
		}
		if h.Input != "" {
			parts = append(parts, "input "+h.Input)
		}
		if h.Home != "" {
			parts = append(parts, "home "+h.Home)
		}
		who += " (" + strings.Join(parts, ", ") + ")"
	}
	msg := fmt.Sprintf("%s is writing to %s; two pushes into one table at once would write rows twice, "+
		"so this one stops before writing anything: wait until that push ends, or stop it, then run this again", who, e.Target)
	if e.Holder != nil && e.Holder.RunID != "" {
		msg += " (pbiwb history " + e.Holder.RunID + " shows it)"
	}
	return msg + ". Its lock: " + e.Path
}

// ExitCode: a push already running to the same target is a usage error
// (exit 2, docs/cli.md).
func (e *LockedError) ExitCode() exitcode.Code { return exitcode.Usage }

// targetLock is a held lock. Its methods are safe for concurrent use.
type targetLock struct {
	mu     sync.Mutex
	f      *os.File
	holder LockHolder
}

// lockTarget takes the target's lock in dir, or returns a *LockedError
// naming the push that holds it. It never waits.
func lockTarget(dir string, key lockKey, h LockHolder) (*targetLock, error) {
	if err := privateDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, key.file())
	// The file is never removed, only emptied on release: removing it would
	// let a push that opened it just before lock a file no longer in place
	// while a third creates and locks a new one.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the target's lock file: %w", err)
	}
	busy, err := filelock.TryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if busy {
		f.Close()
		return nil, &LockedError{Target: h.Target, Holder: readHolder(path), Path: path}
	}
	// Whatever the file says now is a holder that died without emptying it:
	// the OS released its lock, and this push takes over.
	l := &targetLock{f: f, holder: h}
	if err := l.write(); err != nil {
		l.release()
		return nil, err
	}
	return l, nil
}

// setRun names the holder's history record in its lock file.
func (l *targetLock) setRun(id string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil || l.holder.RunID == id {
		return
	}
	l.holder.RunID = id
	_ = l.writeLocked() // the description helps people; the lock holds regardless
}

func (l *targetLock) write() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writeLocked()
}

func (l *targetLock) writeLocked() error {
	b, _ := json.Marshal(l.holder) // plain fields: always marshals
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("write the target's lock file: %w", err)
	}
	if _, err := l.f.WriteAt(append(b, '\n'), 0); err != nil {
		return fmt.Errorf("write the target's lock file: %w", err)
	}
	return nil
}

// release empties the lock file and lets the lock go. Safe to call twice.
func (l *targetLock) release() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	filelock.Unlock(l.f)
	l.f.Close()
	l.f = nil
}

// readHolder reads the holder's description. The holder writes it just
// after taking the lock, so an empty file is retried briefly; nil when it
// still says nothing.
func readHolder(path string) *LockHolder {
	for try := 0; try < 10; try++ {
		if try > 0 {
			time.Sleep(20 * time.Millisecond)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		var h LockHolder
		if json.Unmarshal(b, &h) == nil && h.PID > 0 {
			return &h
		}
	}
	return nil
}

// privateDir creates dir 0700, or checks that the one there is a directory
// (not a link) that others cannot write to: in a shared temp dir, another
// user could otherwise plant lock files or links in it.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the lock directory: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("lock directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("the lock directory %s is not a directory (a link?): remove it, and pbiwb creates it again", dir)
	}
	if !ownedByMe(fi) {
		return fmt.Errorf("the lock directory %s belongs to another user: remove it, and pbiwb creates it again "+
			"(or point TMPDIR elsewhere)", dir)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("the lock directory %s can be written by others: %w", dir, err)
		}
	}
	return nil
}

// targetLockKey is the plan's target as the lock keys it.
func (p *Plan) targetLockKey() lockKey {
	k := lockKey{APIBase: p.svc.PowerBI.Endpoints().APIBase, Tenant: strings.ToLower(p.svc.Tenant),
		Workspace: p.target.group.ID, Dataset: p.req.Dataset, Table: strings.ToLower(p.req.Table)}
	if k.Workspace == powerbi.MyWorkspace {
		k.Workspace = "me:" + strings.ToLower(p.svc.User)
	}
	return k
}

// lock takes the target's lock for this plan, unless it holds it already.
func (p *Plan) lock(runID string) error {
	if p.held != nil {
		p.held.setRun(runID)
		return nil
	}
	dir := p.svc.LockDir
	if dir == "" {
		dir = DefaultLockDir()
	}
	host, _ := os.Hostname()
	l, err := lockTarget(dir, p.targetLockKey(), LockHolder{PID: os.Getpid(), Host: host, Start: time.Now(), RunID: runID,
		Input: p.req.Input, Target: p.targetText(), Home: p.svc.Dirs.State})
	if err != nil {
		return err
	}
	p.held = l
	return nil
}

// unlock lets the target's lock go.
func (p *Plan) unlock() {
	p.held.release()
	p.held = nil
}

func (p *Plan) targetText() string {
	ws := p.target.group.Name
	if ws == "" {
		ws = p.req.Group
	}
	return fmt.Sprintf("workspace %q / dataset %q / table %q", ws, p.req.Dataset, p.req.Table)
}
