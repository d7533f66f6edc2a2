// Package e2e drives the built pbiwb binary the way a person does: in a
// terminal (tmux), with keys, reading the screen.
//
// It needs tmux; without it the tests skip, unless PBIWB_REQUIRE_TMUX=1 (CI),
// when they fail. Set PBIWB_E2E_SCREENS=DIR to keep the text of every screen
// passed (NN-name.txt).
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

// The zero-setup demo, start to finish: `pbiwb --sandbox` with a fresh home,
// the demo account added from the prefilled Credentials screen (no keyring
// reachable, so insecure storage is chosen explicitly), the demo Domo
// DataSet into a new dataset of Sales Analytics, and the verified row count
// on the Done screen.
func TestWizardDemoEndToEnd(t *testing.T) {
	tm := startTmux(t)
	bin := buildPBIWB(t)
	homeDir := t.TempDir()
	tm.run(t, map[string]string{
		"NO_COLOR": "1",
		// No Secret Service: keystore reports the keyring unavailable at once
		// (a D-Bus dial that fails), and the wizard offers insecure storage.
		"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + filepath.Join(homeDir, "no-dbus"),
	}, bin, "--sandbox", "--home", homeDir)

	tm.waitFor(t, "accounts", "1/7 Account", "+ Add a new account")
	tm.keys(t, "Enter")

	tm.waitFor(t, "credentials", "2/7 Credentials", demo.ClientID, demo.TenantID, demo.Username, demo.DomoClientID)
	if screen := tm.capture(t, true); hasColour(screen) {
		t.Errorf("NO_COLOR=1 but the screen has colour codes:\n%q", screen)
	}
	for _, secret := range []string{demo.ClientSecret, demo.Password, demo.DomoClientSecret} {
		if strings.Contains(tm.capture(t, false), secret) {
			t.Errorf("secret %q shown on the Credentials screen", secret)
		}
	}
	tm.keys(t, "Enter")

	// Where no keyring answers (D-Bus is pointed nowhere above; a macOS
	// keychain would answer), the wizard asks before using a plain file.
	screen := tm.waitForAny(t, "keyring", "3/7 Input", "store the secrets in a 0600 file")
	insecure := strings.Contains(screen, "0600 file")
	if insecure {
		tm.keys(t, "y")
	}

	// --sandbox suggests the demo DataSet: enter takes it.
	tm.waitFor(t, "input", "3/7 Input", "Domo DataSet ID or file", demo.DomoDataSetID)
	tm.keys(t, "Enter")
	tm.waitFor(t, "input-checked", "Sales Orders · Domo DataSet · 5,000 rows", "No findings")
	tm.keys(t, "Enter")

	tm.waitFor(t, "details", "4/7 Details", demo.WorkspaceSales, "read-only for you")
	tm.keys(t, "Sales", "Enter")
	tm.waitFor(t, "details-group", "Select Group                     "+demo.WorkspaceSales, "no push datasets in Sales Analytics yet")
	tm.keys(t, "C-u", "E2E Orders", "Enter", "C-u", "Orders", "Enter")
	tm.waitFor(t, "details-filled", "Dataset Name                     E2E Orders", "Table Name                       Orders", "(new: will be created)")
	tm.keys(t, "Enter", "Enter")

	screen = tm.waitFor(t, "review", "5/7 Review", "The plan", "5,000 rows", "--account sandbox", "pbiwb sandbox --addr 127.0.0.1:")
	// The in-process sandbox's URL is on the command line shown; slow its
	// answers down so the Push screen stays long enough to be seen.
	m := regexp.MustCompile(`--sandbox (https://127\.0\.0\.1:\d+)`).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no sandbox URL on the Review screen:\n%s", screen)
	}
	sb := sandboxClient(t, m[1])
	sb.post(t, "/_sandbox/faults", `{"latency":"700ms"}`)
	tm.keys(t, "Enter")

	tm.waitFor(t, "push", "6/7 Push", "Writing domo:"+demo.DomoDataSetID+" → Sales Analytics › E2E Orders › Orders (replace)", "Rows")
	tm.waitFor(t, "done", "7/7 Done", "5,000 rows written and verified: the table holds 5,000 rows",
		"Sales Analytics › E2E Orders › Orders")
	if n := sb.rowCount(t, demo.WorkspaceSales, "E2E Orders", "Orders"); n != 5000 {
		t.Errorf("the sandbox holds %d rows in Sales Analytics › E2E Orders › Orders; want 5,000", n)
	}
	// The run is in the History screen, opened from Done; back returns there.
	tm.keys(t, "h")
	tm.waitFor(t, "history", "History", "✓ succeeded", "5,000", "Sales Analytics › E2E Orders › Orders")
	tm.keys(t, "Enter")
	tm.waitFor(t, "history-run", "History › ", "✓ succeeded (exit 0)", "5,000 / 5,000 · verified")
	// One esc at a time: two in a row can arrive as alt+esc.
	tm.keys(t, "Escape")
	tm.waitFor(t, "history-back", "Runs recorded on this machine")
	tm.keys(t, "Escape")
	tm.waitFor(t, "done-again", "7/7 Done", "5,000 rows written and verified")
	tm.keys(t, "q")
	tm.waitFor(t, "exit", "PBIWB-EXIT=0")

	// The account was saved, in the file the user chose, readable by them only.
	dirs, err := home.Resolve(homeDir)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dirs.Config, keystore.AccountsFileName)); err != nil || !strings.Contains(string(b), `"sandbox"`) {
		t.Errorf("accounts.json: %v\n%s", err, b)
	}
	if insecure {
		fi, err := os.Stat(keystore.NewFileBackend(dirs).Path())
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("insecure-storage file: %v %v", err, fi)
		}
	}
}

// sandbox is the wizard's in-process sandbox, reached with its own CA.
type sandbox struct {
	url  string
	http *http.Client
}

func sandboxClient(t *testing.T, url string) *sandbox {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ep, err := cloud.Sandbox(ctx, url)
	if err != nil {
		t.Fatalf("reaching the wizard's sandbox at %s: %v", url, err)
	}
	return &sandbox{url: url, http: ep.HTTP}
}

func (s *sandbox) post(t *testing.T, path, body string) {
	t.Helper()
	resp, err := s.http.Post(s.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: HTTP %d", path, resp.StatusCode)
	}
}

// rowCount reads a table's row count from GET /_sandbox/state (-1: no such table).
func (s *sandbox) rowCount(t *testing.T, workspace, dataset, table string) int64 {
	t.Helper()
	resp, err := s.http.Get(s.url + "/_sandbox/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Workspaces []struct {
			Name     string `json:"name"`
			Datasets []struct {
				Name   string `json:"name"`
				Tables []struct {
					Name     string `json:"name"`
					RowCount int64  `json:"rowCount"`
				} `json:"tables"`
			} `json:"datasets"`
		} `json:"workspaces"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	for _, w := range st.Workspaces {
		for _, d := range w.Datasets {
			for _, tb := range d.Tables {
				if w.Name == workspace && d.Name == dataset && tb.Name == table {
					return tb.RowCount
				}
			}
		}
	}
	return -1
}

// hasColour reports whether s sets a foreground or background colour (SGR
// 30–38, 40–48, 90–97, 100–107); bold and the resets to the default colours
// (39, 49) are not colour.
func hasColour(s string) bool {
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.Split(m[1], ";") {
			var n int
			if _, err := fmt.Sscanf(p, "%d", &n); err == nil &&
				(n >= 30 && n <= 38 || n >= 40 && n <= 48 || n >= 90 && n <= 97 || n >= 100 && n <= 107) {
				return true
			}
		}
	}
	return false
}

var sgr = regexp.MustCompile("\x1b\\[([0-9;]*)m")

// Without a terminal the wizard says where to go and exits 2 (docs/cli.md).
func TestWizardWithoutTerminal(t *testing.T) {
	bin := buildPBIWB(t)
	cmd := exec.Command(bin, "--sandbox", "--home", t.TempDir())
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stderr = strings.NewReader(""), &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "pbiwb push") {
		t.Errorf("exit %v, stderr %q; want 2 pointing to pbiwb push", err, stderr.String())
	}
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// buildPBIWB builds the binary from the repository root, once per test binary.
func buildPBIWB(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pbiwb-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "pbiwb")
		cmd := exec.Command("go", "build", "-o", builtBin, ".")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// tmux is a private tmux server (its own socket, no user configuration)
// with one window of 100×30.
type tmux struct {
	socket  string
	screens string // PBIWB_E2E_SCREENS, where each screen passed is written
	n       int
	last    string
}

func startTmux(t *testing.T) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("PBIWB_REQUIRE_TMUX") == "1" {
			t.Fatal("tmux is not installed, and PBIWB_REQUIRE_TMUX=1 requires this test to run")
		}
		t.Skip("tmux is not installed: the end-to-end wizard test needs it (apt-get install tmux); set PBIWB_REQUIRE_TMUX=1 to make this a failure")
	}
	// A short socket path: Unix sockets allow about 100 bytes.
	dir, err := os.MkdirTemp("", "pbiwb-tmux")
	if err != nil {
		t.Fatal(err)
	}
	tm := &tmux{socket: filepath.Join(dir, "s"), screens: os.Getenv("PBIWB_E2E_SCREENS")}
	t.Cleanup(func() {
		if t.Failed() && tm.last != "" {
			t.Logf("last screen:\n%s", tm.last)
		}
		_ = exec.Command("tmux", "-S", tm.socket, "kill-server").Run()
		os.RemoveAll(dir)
	})
	return tm
}

func (tm *tmux) cmd(args ...string) *exec.Cmd {
	return exec.Command("tmux", append([]string{"-S", tm.socket, "-f", os.DevNull}, args...)...)
}

// run starts argv in the window with env added; when it exits, the window
// shows PBIWB-EXIT=<code> and stays open for the test to read.
func (tm *tmux) run(t *testing.T, env map[string]string, argv ...string) {
	t.Helper()
	var words []string
	words = append(words, "env")
	for k, v := range env {
		words = append(words, k+"="+v)
	}
	words = append(words, argv...)
	for i, w := range words {
		words[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	shell := strings.Join(words, " ") + "; echo PBIWB-EXIT=$?; sleep 600"
	if out, err := tm.cmd("new-session", "-d", "-x", "100", "-y", "30", "-s", "wizard", shell).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
}

// keys sends tmux key names or literal text, one argument at a time.
func (tm *tmux) keys(t *testing.T, keys ...string) {
	t.Helper()
	for _, k := range keys {
		args := []string{"send-keys", "-t", "wizard"}
		if !tmuxKey.MatchString(k) {
			args = append(args, "-l") // literal text
		}
		if out, err := tm.cmd(append(args, k)...).CombinedOutput(); err != nil {
			t.Fatalf("tmux send-keys %q: %v\n%s", k, err, out)
		}
	}
}

var tmuxKey = regexp.MustCompile(`^(Enter|Escape|Tab|BTab|Up|Down|Left|Right|C-[a-z]|[a-z])$`)

func (tm *tmux) capture(t *testing.T, escapes bool) string {
	t.Helper()
	args := []string{"capture-pane", "-p", "-t", "wizard"}
	if escapes {
		args = append(args, "-e")
	}
	out, err := tm.cmd(args...).Output()
	if err != nil {
		t.Fatalf("tmux capture-pane: %v", err)
	}
	return string(out)
}

// waitFor polls the screen until it shows every one of want, and returns
// it; the screen is kept under name when PBIWB_E2E_SCREENS is set.
func (tm *tmux) waitFor(t *testing.T, name string, want ...string) string {
	t.Helper()
	return tm.poll(t, name, func(screen string) string {
		for _, w := range want {
			if !strings.Contains(screen, w) {
				return fmt.Sprintf("%q", w)
			}
		}
		return ""
	})
}

// waitForAny polls the screen until it shows one of want.
func (tm *tmux) waitForAny(t *testing.T, name string, want ...string) string {
	t.Helper()
	return tm.poll(t, name, func(screen string) string {
		for _, w := range want {
			if strings.Contains(screen, w) {
				return ""
			}
		}
		return fmt.Sprintf("any of %q", want)
	})
}

// poll captures the screen every 50ms until missing says nothing is
// missing, for 30 seconds at most.
func (tm *tmux) poll(t *testing.T, name string, missing func(screen string) string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		screen := tm.capture(t, false)
		tm.last = screen
		m := missing(screen)
		if m == "" {
			tm.save(t, name, screen)
			return screen
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the screen never showed %s:\n%s", name, m, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (tm *tmux) save(t *testing.T, name, screen string) {
	if tm.screens == "" {
		return
	}
	tm.n++
	if err := os.MkdirAll(tm.screens, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(tm.screens, fmt.Sprintf("%02d-%s.txt", tm.n, name))
	if err := os.WriteFile(path, []byte(screen), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestHasColour(t *testing.T) {
	for s, want := range map[string]bool{
		"plain": false, "\x1b[1mbold\x1b[0m": false, "\x1b[39m\x1b[49m": false,
		"\x1b[31mred": true, "\x1b[1;32mbold green": true, "\x1b[38;5;212mpink": true, "\x1b[48;2;0;0;0mbg": true, "\x1b[94mbright": true,
	} {
		if got := hasColour(s); got != want {
			t.Errorf("hasColour(%q) = %v, want %v", s, got, want)
		}
	}
}
