// Package checkpoint keeps the push engine's record of what it wrote: an
// append-only, fsynced log per (input, target) of every batch sent,
// acknowledged or void, that survives kill -9 at any byte and seeds a
// resumed run's pacer (docs/architecture.md, "Exactly once").
package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
)

// A checkpoint is an append-only log, one file per (input, target), under
// home.Dirs.Checkpoints(). Each line is one record:
//
//	crc32(IEEE) of the JSON, 8 hex digits, a space, the JSON, a newline
//
// and each is fsynced before the call that wrote it returns: a batch counts
// as done only once its "ack" is on disk. A kill -9 can tear only the last
// line; Load ignores it (no newline, or a checksum that does not match) and
// cuts it off before appending. A bad line anywhere else is corruption.
//
// Records, by "t":
//
//	start   the header: key, batching, rows before the run (first line, written atomically)
//	send    a batch is about to be POSTed (so a kill -9 leaves it as "outcome unknown")
//	ack     the service accepted the batch
//	void    the batch did not land (refused, or settled as not landed): send it again
//
// A send with neither ack nor void after it is unresolved: Settle decides it.

// Target is where a push writes.
type Target struct {
	APIBase     string `json:"apiBase"` // the cloud's API base, e.g. https://api.powerbi.com
	WorkspaceID string `json:"workspaceId"`
	DatasetID   string `json:"datasetId"`
	Table       string `json:"table"`
	Mode        string `json:"mode"` // replace | append
}

// Key names a checkpoint: the same input into the same target.
type Key struct {
	Fingerprint string `json:"fingerprint"` // the input's fingerprint (content and conversion)
	Target
}

// Header is what a run fixes when it starts.
type Header struct {
	Key       Key       `json:"key"`
	Created   time.Time `json:"created"`
	TotalRows int64     `json:"totalRows"`
	Batches   int       `json:"batches"`
	// Batching describes how rows are cut into batches (e.g. "rows=10000
	// bytes=16000000 distinct=5"); a resume must cut them the same way.
	Batching string `json:"batching"`
	// CountBefore is the rows the table held when writing began: 0 after the
	// delete of a replace, the measured count for an append.
	CountBefore int64 `json:"countBefore"`
	// CountUnknown: the table's rows could not be counted when writing began
	// (Power BI refused to count them) and were not deleted, so CountBefore
	// is not known and counting cannot settle this run's batches.
	CountUnknown bool `json:"countUnknown,omitempty"`
	// TableCap is the rows a basicFIFO table keeps (0 without retention).
	TableCap int64 `json:"tableCap,omitempty"`
	// MaybeCap is the rows a basicFIFO table keeps when the table's
	// retention is unknown (a dataset pbiwb did not create): it may be one.
	MaybeCap int64 `json:"maybeCap,omitempty"`
}

// BatchRef identifies a batch in the log.
type BatchRef struct {
	Index    int   `json:"i"`
	FirstRow int64 `json:"first"`
	Rows     int   `json:"rows"`
}

type record struct {
	T      string    `json:"t"`
	At     time.Time `json:"at"`
	Header *Header   `json:"header,omitempty"`
	BatchRef
}

// State is a checkpoint as loaded.
type State struct {
	Header Header
	// Acked maps each acknowledged batch index to its rows.
	Acked map[int]int
	// Unresolved are batches sent with no known outcome (a run killed with
	// requests in flight), in index order: settle them before sending anything.
	Unresolved []BatchRef
	// Posts is the rate-limit history to seed the pacer: every request the log
	// records, ending when its outcome was recorded; unresolved ones end at
	// load time, the latest they can have ended.
	Posts []pacer.Sent
}

// AckedRows is the rows of all acknowledged batches.
func (s *State) AckedRows() int64 {
	var n int64
	for _, r := range s.Acked {
		n += int64(r)
	}
	return n
}

// NextBatch is the lowest batch index neither acknowledged nor unresolved:
// where the input may resume (later acknowledged batches are skipped).
func (s *State) NextBatch() int {
	unresolved := map[int]bool{}
	for _, b := range s.Unresolved {
		unresolved[b.Index] = true
	}
	i := 0
	for ; s.Acked[i] > 0 || unresolved[i]; i++ {
	}
	return i
}

// ErrNotFound: there is nothing to resume.
var ErrNotFound = errors.New("no checkpoint for this input and target")

// CorruptError: a checkpoint's log is damaged before its last record. It
// says what is wrong; the engine adds what to do, in its face's terms.
type CorruptError struct {
	Path string
	Line int
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("checkpoint %s is damaged at line %d: it cannot say which rows were written", e.Path, e.Line)
}

// Checkpoint is an open checkpoint log. Its methods are safe for concurrent use.
type Checkpoint struct {
	path string
	mu   sync.Mutex
	f    *os.File
	now  func() time.Time
}

// Path is the file of a key under dir.
func Path(dir string, key Key) string {
	b, _ := json.Marshal(key) // a struct of strings always marshals
	sum := sha256.Sum256(b)
	return filepath.Join(dir, hex.EncodeToString(sum[:12])+".ckpt")
}

// Exists says whether an interrupted push of this input into this
// target left a checkpoint: a run without --resume should say so (in append
// mode, starting over would write again the rows the interrupted run wrote).
func Exists(dir string, key Key) bool {
	_, err := os.Stat(Path(dir, key))
	return err == nil
}

// Create starts a fresh checkpoint for h.Key under dir, replacing
// any earlier one (a run without --resume starts over). The header is written
// to a temporary file and renamed into place, so it is whole or absent.
func Create(dir string, h Header, clk clock.Clock) (*Checkpoint, error) {
	if clk == nil {
		clk = clock.System{}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create checkpoint directory: %w", err)
	}
	path := Path(dir, h.Key)
	tmp, err := os.CreateTemp(dir, ".new-*.ckpt")
	if err != nil {
		return nil, fmt.Errorf("create checkpoint: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if h.Created.IsZero() {
		h.Created = clk.Now()
	}
	line, err := encodeRecord(record{T: "start", At: h.Created, Header: &h})
	if err == nil {
		_, err = tmp.Write(line)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("create checkpoint %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint: %w", err)
	}
	return &Checkpoint{path: path, f: f, now: clk.Now}, nil
}

// Load reads the checkpoint of key under dir for --resume and
// opens it to go on appending. ErrNotFound when there is none.
func Load(dir string, key Key, clk clock.Clock) (*Checkpoint, *State, error) {
	if clk == nil {
		clk = clock.System{}
	}
	path := Path(dir, key)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read checkpoint: %w", err)
	}
	recs, valid, err := decodeLog(path, data)
	if err != nil {
		return nil, nil, err
	}
	if len(recs) == 0 || recs[0].T != "start" || recs[0].Header == nil {
		return nil, nil, &CorruptError{Path: path, Line: 1}
	}
	if recs[0].Header.Key != key {
		return nil, nil, fmt.Errorf("checkpoint %s belongs to another input or target; delete it", path)
	}
	now := clk.Now()
	st := replay(recs, now)
	f, err := os.OpenFile(path, os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open checkpoint: %w", err)
	}
	// Cut a torn last record off, so the next append starts on a fresh line.
	if valid < len(data) {
		if err := f.Truncate(int64(valid)); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("repair checkpoint: %w", err)
		}
	}
	if _, err := f.Seek(0, 2); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("open checkpoint: %w", err)
	}
	return &Checkpoint{path: path, f: f, now: clk.Now}, st, nil
}

// ReadHeader reads a checkpoint's header, leaving the file as it is.
func ReadHeader(path string) (*Header, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	end := bytes.IndexByte(data, '\n')
	if end < 0 {
		return nil, &CorruptError{Path: path, Line: 1}
	}
	r, ok := decodeRecord(data[:end])
	if !ok || r.T != "start" || r.Header == nil {
		return nil, &CorruptError{Path: path, Line: 1}
	}
	return r.Header, nil
}

func replay(recs []record, now time.Time) *State {
	st := &State{Header: *recs[0].Header, Acked: map[int]int{}}
	sent := map[int]BatchRef{}
	for _, r := range recs[1:] {
		switch r.T {
		case "send":
			sent[r.Index] = r.BatchRef
		case "ack":
			delete(sent, r.Index)
			st.Acked[r.Index] = r.Rows
			st.Posts = append(st.Posts, pacer.Sent{End: r.At, Rows: r.Rows})
		case "void":
			delete(sent, r.Index)
			st.Posts = append(st.Posts, pacer.Sent{End: r.At})
		}
	}
	for _, b := range sent {
		st.Unresolved = append(st.Unresolved, b)
		st.Posts = append(st.Posts, pacer.Sent{End: now, Rows: b.Rows})
	}
	sort.Slice(st.Unresolved, func(i, j int) bool { return st.Unresolved[i].Index < st.Unresolved[j].Index })
	return st
}

// decodeLog parses the records and says how many bytes are whole records.
func decodeLog(path string, data []byte) ([]record, int, error) {
	var recs []record
	valid := 0
	for line := 1; valid < len(data); line++ {
		end := bytes.IndexByte(data[valid:], '\n')
		if end < 0 {
			break // torn: the last record lacks its newline
		}
		rec, ok := decodeRecord(data[valid : valid+end])
		if !ok {
			if valid+end+1 == len(data) {
				break // torn or garbled last record
			}
			return nil, 0, &CorruptError{Path: path, Line: line}
		}
		recs = append(recs, rec)
		valid += end + 1
	}
	return recs, valid, nil
}

func encodeRecord(r record) ([]byte, error) {
	js, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	line := fmt.Appendf(nil, "%08x ", crc32.ChecksumIEEE(js))
	line = append(line, js...)
	return append(line, '\n'), nil
}

func decodeRecord(line []byte) (record, bool) {
	var r record
	if len(line) < 10 || line[8] != ' ' {
		return r, false
	}
	sum, err := strconv.ParseUint(string(line[:8]), 16, 32)
	if err != nil || uint32(sum) != crc32.ChecksumIEEE(line[9:]) {
		return r, false
	}
	return r, json.Unmarshal(line[9:], &r) == nil
}

// Sent records that a batch is about to be POSTed. Call it before sending.
func (c *Checkpoint) Sent(b BatchRef) error { return c.append("send", b) }

// Acked records that the service accepted a batch: only after it returns may
// the batch count as done.
func (c *Checkpoint) Acked(b BatchRef) error { return c.append("ack", b) }

// Void records that a sent batch did not land (refused, or settled as not
// landed) and will be sent again.
func (c *Checkpoint) Void(b BatchRef) error { return c.append("void", b) }

// Path is the checkpoint's file.
func (c *Checkpoint) Path() string { return c.path }

func (c *Checkpoint) append(kind string, b BatchRef) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return errors.New("checkpoint is closed")
	}
	line, err := encodeRecord(record{T: kind, At: c.now(), BatchRef: b})
	if err == nil {
		_, err = c.f.Write(line)
	}
	if err == nil {
		err = c.f.Sync()
	}
	if err != nil {
		return fmt.Errorf("record batch %d in checkpoint %s: %w", b.Index+1, c.path, err)
	}
	return nil
}

// Close closes the log, keeping it for --resume.
func (c *Checkpoint) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}

// Remove closes and deletes the checkpoint: the push succeeded.
func (c *Checkpoint) Remove() error {
	c.Close()
	if err := os.Remove(c.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove checkpoint: %w", err)
	}
	return nil
}

// syncDir makes a rename durable. Windows cannot open a directory for sync;
// its rename is durable enough there.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	return d.Sync()
}
