package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestPushPrinterGolden renders the push package's recorded event streams
// (connector/push/testdata/*.events.jsonl, kept by its TestEventStreamGolden)
// in words, and with --json.
func TestPushPrinterGolden(t *testing.T) {
	for _, name := range []string{"succeeded", "stopped"} {
		stream, err := os.ReadFile(filepath.Join("..", "connector", "push", "testdata", name+".events.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{"human", "json"} {
			t.Run(name+"/"+mode, func(t *testing.T) {
				var stderr, stdout bytes.Buffer
				p := newPushPrinter(&stderr, &stdout, pushPrinterOptions{JSON: mode == "json"})
				for line := range strings.Lines(string(stream)) {
					var e push.Event
					if err := json.Unmarshal([]byte(line), &e); err != nil {
						t.Fatal(err)
					}
					p.Observe(e)
				}
				if p.Err() != nil {
					t.Fatal(p.Err())
				}
				printerGolden(t, filepath.Join("testdata", "push_printer", name+"."+mode+".stderr"), stderr.Bytes())
				switch {
				case mode == "json" && stdout.String() != string(stream):
					t.Errorf("--json did not print the events as they came:\n%s", stdout.String())
				case mode == "human" && stdout.Len() > 0:
					t.Errorf("human mode wrote to stdout: %q", stdout.String())
				}
			})
		}
	}
}

func printerGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// failingWriter refuses every write, as a closed pipe does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) {
	return 0, errors.New("write /dev/stdout: broken pipe")
}

// A --json push whose stdout cannot be written still writes its rows, and
// then says so and exits 1: a script must not take the silence for success.
func TestPushJSONOutputWriteFails(t *testing.T) {
	f := newFixture(t)
	path := writeTestCSV(t, t.TempDir(), 20)
	env, _, errb := testEnv(demoPasswordEnv)
	env.Stdout = failingWriter{}
	code := Main(context.Background(), append([]string{"--sandbox", f.sb.URL(), "--home", f.home},
		pushArgs("--group", demo.WorkspaceSales, "--dataset", "Orders", "--table", "Orders", "--input", path, "--json")...), env)
	if code != exitcode.Failure {
		t.Errorf("exit %d, want %d\n%s", code, exitcode.Failure, errb)
	}
	if want := "the push finished (20 rows written), but writing its progress and summary failed: write /dev/stdout: broken pipe"; !strings.Contains(errb.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, errb)
	}
	checkTestRows(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "Orders"), "Orders"), 20)
}
