package push_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/source"
)

// A push from stdin keeps its copy under the home (not the system's temp
// dir), leaves none when it ends, and removes a dead run's day-old copy.
func TestStdinSpoolLivesUnderHomeAndGoes(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	env.svc.TempDir = "" // the default: the home's spool directory
	spool := env.svc.Dirs.Spool()
	if err := os.MkdirAll(spool, 0o700); err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(spool, "pbiwb-input-1.csv") // a kill -9'd run's, on a system that keeps names
	recent := filepath.Join(spool, "pbiwb-input-2.csv") // maybe a live run's
	for _, f := range []string{orphan, recent} {
		if err := os.WriteFile(f, []byte("id\n1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-source.SpoolMaxAge - time.Hour)
	os.Chtimes(orphan, old, old)
	t.Setenv("TMPDIR", t.TempDir()) // to see whether anything lands in the system's temp dir

	content, err := os.ReadFile(writeIDs(t, t.TempDir(), 500))
	if err != nil {
		t.Fatal(err)
	}
	env.svc.Stdin = strings.NewReader(string(content))
	ctx := context.Background()
	plan, err := push.Prepare(ctx, env.svc, push.Request{Input: "-", Group: demo.WorkspaceOperations, Dataset: "Stdin", Table: "T"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("the day-old copy is still there: %v", err)
	}
	sum, err := plan.Run(ctx)
	if err != nil || sum.TableRows != 500 {
		t.Fatalf("run: %v, %+v", err, sum)
	}
	plan.Close()
	left, _ := os.ReadDir(spool)
	if len(left) != 1 || left[0].Name() != filepath.Base(recent) {
		t.Errorf("the spool directory holds %v, want only the recent copy", left)
	}
	if st, err := os.Stat(spool); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("spool directory: %v, %v", st, err)
	}
	// The temp dir holds the target locks (DefaultLockDir), and nothing else.
	tmp, _ := os.ReadDir(os.Getenv("TMPDIR"))
	for _, e := range tmp {
		if filepath.Join(os.Getenv("TMPDIR"), e.Name()) != push.DefaultLockDir() {
			t.Errorf("the system's temp dir holds %s", e.Name())
		}
	}
}
