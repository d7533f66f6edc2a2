package powerbi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
)

// sandboxTokens is a TokenSource for tests that signs in to the sandbox's
// Entra ID with a plain OAuth form POST (password or client credentials
// grant), caches the token until its expires_in passes, and implements
// Refresher as entra.Session is expected to. It stands in for entra.Session,
// which is built in another package.
type sandboxTokens struct {
	ep   cloud.Endpoints
	form url.Values

	mu      sync.Mutex
	tok     string
	expires time.Time
	fetches int
}

func userTokens(ep cloud.Endpoints) *sandboxTokens {
	return &sandboxTokens{ep: ep, form: url.Values{
		"grant_type": {"password"}, "client_id": {demo.ClientID},
		"username": {demo.Username}, "password": {demo.Password}, "scope": {ep.Scope()},
	}}
}

func appTokens(ep cloud.Endpoints) *sandboxTokens {
	return &sandboxTokens{ep: ep, form: url.Values{
		"grant_type": {"client_credentials"}, "client_id": {demo.ClientID},
		"client_secret": {demo.ClientSecret}, "scope": {ep.Scope()},
	}}
}

func (s *sandboxTokens) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != "" && time.Now().Before(s.expires) {
		return s.tok, nil
	}
	return s.fetch(ctx)
}

func (s *sandboxTokens) Refresh(ctx context.Context, rejected string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != "" && s.tok != rejected {
		return s.tok, nil
	}
	return s.fetch(ctx)
}

func (s *sandboxTokens) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

func (s *sandboxTokens) fetch(ctx context.Context) (string, error) {
	u := s.ep.AuthorityHost + "/" + demo.TenantID + "/oauth2/v2.0/token"
	req, err := http.NewRequestWithContext(ctx, "POST", u, strings.NewReader(s.form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.ep.HTTP.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("token endpoint answered %s: %w", resp.Status, err)
	}
	if body.AccessToken == "" {
		return "", fmt.Errorf("token endpoint answered %s: %s %s", resp.Status, body.Error, body.Description)
	}
	s.tok, s.expires = body.AccessToken, time.Now().Add(time.Duration(body.ExpiresIn)*time.Second)
	s.fetches++
	return s.tok, nil
}

// startSandbox starts a real sandbox and returns its endpoints.
var startSandbox = sandboxtest.Start

func TestSandboxTokens(t *testing.T) {
	_, ep := startSandbox(t, sandbox.Options{})
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		src     *sandboxTokens
		appOnly bool
	}{{"user", userTokens(ep), false}, {"service principal", appTokens(ep), true}} {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := tt.src.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if appOnlyToken(tok) != tt.appOnly {
				t.Errorf("appOnlyToken = %v, want %v", !tt.appOnly, tt.appOnly)
			}
			again, _ := tt.src.Token(ctx)
			fresh, err := tt.src.Refresh(ctx, tok)
			if err != nil || again != tok || tt.src.count() != 2 || fresh == "" {
				t.Errorf("cache/refresh: again==tok %v, fetches %d, err %v", again == tok, tt.src.count(), err)
			}
		})
	}
}
