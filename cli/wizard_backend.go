package cli

// The wizard's adapter from ui.Backend to the engine: saved accounts through
// keystore (the same resolver `--account` uses), sign-in through entra, the
// workspaces through powerbi, inputs through source, and the writeback
// through push. The wizard calls it from its commands, never from Update, so
// every method may block; each honours ctx.

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/ui"
)

// wizardBackend implements ui.Backend. It keeps every signed-in account in
// memory by name, so the wizard can go on with an account the user chose not
// to save (no keyring, insecure storage declined).
type wizardBackend struct {
	g    Globals
	dirs home.Dirs
	deps *deps
	now  func() time.Time
	// inProcessSandbox is the address of the sandbox started for this wizard
	// ("" when none): command lines shown for later use need one started there.
	inProcessSandbox string
	// getenv reads BROWSER and the display variables for the browser
	// sign-in (nil: os.Getenv).
	getenv func(string) string

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

	// Set for credentials signed in here: what SaveAccount writes. Until
	// saved is set, a command line names the account by these identifiers.
	creds  *entra.Credentials
	saved  bool
	cache  *memCache
	result entra.Result

	// Set for a saved account: its identity reads the Domo secret when needed.
	id *identity

	domoMu             sync.Mutex
	domoID, domoSecret string
	domo               *domo.Client
}

func newWizardBackend(g Globals, dirs home.Dirs, d *deps) *wizardBackend {
	return &wizardBackend{g: g, dirs: dirs, deps: d, now: time.Now, sessions: map[string]*wizardSession{}}
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
func (b *wizardBackend) quietEnv() Env {
	return Env{
		Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard,
		Getenv:     func(string) string { return "" },
		IsTerminal: func() bool { return false },
		deps:       b.deps,
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
