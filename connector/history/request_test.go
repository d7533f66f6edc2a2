package history

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/cmdline"
)

// A record of an earlier version keeps only its resume command: it still
// loads, and its request is read back from that command.
func TestOldRecordResumes(t *testing.T) {
	s, _ := newStore(t)
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	const id = "20261127-093000.000-0ld0ne"
	b, err := os.ReadFile(filepath.Join("testdata", id+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, id+".json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Request != nil {
		t.Fatalf("an old record has no request, got %+v", r.Request)
	}
	q, ok, err := r.PushRequest()
	if err != nil || !ok {
		t.Fatalf("PushRequest: ok %v, %v", ok, err)
	}
	want := Request{cmdline.Push{
		Flags: []string{"--sandbox", "https://127.0.0.1:8443", "--home", "/tmp/it's home", "--account", "demo", "--request-timeout", "5m0s"},
		Input: "/data/Q3 orders (final).csv", Group: "Sales Analytics", Dataset: "Orders", Table: "Orders",
		Mode: "append", Retention: "fifo", Columns: []string{"zip=String", "Unit price=Decimal"}, MaxThrottleWait: 2 * time.Hour,
	}}
	if !reflect.DeepEqual(q, want) {
		t.Errorf("PushRequest\n got %+v\nwant %+v", q, want)
	}
	if a := q.Account(); a != "demo" {
		t.Errorf("account %q, want demo", a)
	}
	p := q.Push
	// Rendered again with --resume it is the command the record kept.
	p.Resume = true
	if got := p.Line(); got != r.ResumeHint {
		t.Errorf("rendered again\n got %s\nwant %s", got, r.ResumeHint)
	}
}

func TestPushRequest(t *testing.T) {
	q := Request{cmdline.Push{Input: "a.csv", Group: "g", Dataset: "d", Table: "t"}}
	for _, tt := range []struct {
		name   string
		r      Record
		want   Request
		ok     bool
		hasErr bool
	}{
		{"kept", Record{Request: &q, ResumeHint: "pbiwb push --input other.csv"}, q, true, false},
		{"neither (a process that died, recorded by an earlier version)", Record{}, Request{}, false, false},
		{"an unterminated quote", Record{ResumeHint: "pbiwb push --input 'a.csv"}, Request{}, false, true},
		{"not a push", Record{ResumeHint: "pbiwb history x"}, Request{}, false, true},
		{"inline values and a boolean flag", Record{ResumeHint: "pbiwb push --json --input=a.csv --group g --dataset d --table t --resume"},
			Request{cmdline.Push{Flags: []string{"--json"}, Input: "a.csv", Group: "g", Dataset: "d", Table: "t"}}, true, false},
	} {
		got, ok, err := tt.r.PushRequest()
		if !reflect.DeepEqual(got, tt.want) || ok != tt.ok || (err != nil) != tt.hasErr {
			t.Errorf("%s: %+v, %v, %v; want %+v, %v, error %v", tt.name, got, ok, err, tt.want, tt.ok, tt.hasErr)
		}
	}
}

// The request is stored with the record and read back whole.
func TestRequestStored(t *testing.T) {
	s, _ := newStore(t)
	rec := sample()
	rec.Request = &Request{cmdline.Push{Flags: []string{"--account", "demo"}, Input: "orders.csv", Group: "Sales Analytics", Dataset: "Orders",
		Table: "Orders", Mode: "replace", Columns: []string{"a b=Int64"}, MaxThrottleWait: time.Hour}}
	run, err := s.Start(rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(run.ID())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Request, rec.Request) {
		t.Errorf("stored %+v, read back %+v", rec.Request, got.Request)
	}
}

// The stored names of a request's fields are what records of every version
// hold: renaming a field of cmdline.Push must not rename them, and how one
// run was asked (--resume, --restart) is not stored.
func TestRequestStoredNames(t *testing.T) {
	q := Request{cmdline.Push{Flags: []string{"--home", "/h"}, Account: "demo", Input: "a.csv", Group: "g", Dataset: "d", Table: "t",
		Mode: "append", Retention: "fifo", Columns: []string{"a=Int64"}, MaxThrottleWait: time.Minute, Resume: true, Restart: true}}
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"flags":["--home","/h"],"account":"demo","input":"a.csv","group":"g","dataset":"d","table":"t",` +
		`"mode":"append","retention":"fifo","columns":["a=Int64"],"maxThrottleWait":60000000000}`
	if string(b) != want {
		t.Errorf("stored as\n %s\nwant\n %s", b, want)
	}
}
