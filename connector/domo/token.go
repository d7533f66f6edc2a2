package domo

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/redact"
)

// SignIn fetches a token now, to prove the client ID and secret (as
// `pbiwb accounts add` and `pbiwb doctor` do). Other methods sign in lazily.
func (c *Client) SignIn(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetchLocked(ctx)
}

// accessToken returns the cached token, fetching one when there is none or it
// is about to expire. fresh is true when it was fetched by this call: a
// refusal of a fresh token is not cured by fetching another.
func (c *Client) accessToken(ctx context.Context) (tok string, fresh bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.expires) {
		return c.token, false, nil
	}
	if err := c.fetchLocked(ctx); err != nil {
		return "", false, err
	}
	return c.token, true, nil
}

// invalidate forgets tok if it is still the cached token (another caller may
// already have replaced it).
func (c *Client) invalidate(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// fetchLocked runs the client-credentials grant as pydomo and the Java SDK
// do: POST a form, the client ID and secret in HTTP Basic auth. c.mu is held,
// so concurrent callers wait for one sign-in instead of each doing one.
func (c *Client) fetchLocked(ctx context.Context) error {
	if c.id == "" || c.secret == "" {
		missing := field.DomoClientID
		if c.id != "" {
			missing = field.DomoClientSecret
		}
		return &Error{Kind: ErrSignIn, Field: missing, Summary: "no " + string(missing) + " was given",
			Advice: "A Domo input needs a Domo API client: its client ID and its client secret"}
	}
	ctx, watch := c.watch(ctx)
	defer watch.Stop()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {c.scope}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return &Error{Kind: ErrService, Summary: "cannot build the Domo sign-in request for " + c.base, Cause: err}
	}
	req.SetBasicAuth(c.id, c.secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return unreachable("cannot reach Domo to sign in at "+c.base, watch.Err(err))
	}
	if resp.StatusCode != http.StatusOK {
		return c.tokenFailure(readAnswer(resp))
	}
	defer resp.Body.Close()
	var t struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&t); err != nil && watch.TimedOut() {
		return unreachable("Domo's sign-in answer at "+c.base+" broke off", watch.Err(err))
	} else if err != nil || t.AccessToken == "" {
		return &Error{Kind: ErrService, Status: resp.StatusCode, Summary: "Domo's sign-in answered without an access token",
			Advice: "Check that the Domo API address is " + cloud.DefaultDomoBase + " (or your instance's API host) and try again"}
	}
	lifetime := time.Duration(t.ExpiresIn) * time.Second
	if lifetime <= 0 {
		lifetime = time.Hour // Domo documents 3599 s
	}
	// Renew a little early, so a token does not expire between check and use.
	margin := min(time.Minute, lifetime/10)
	redact.Secret(t.AccessToken)
	c.token, c.expires = t.AccessToken, c.now().Add(lifetime-margin)
	return nil
}

// unreachable wraps a transport failure; a cancelled or timed-out context
// stays visible to errors.Is (Ctrl-C is not a network problem).
func unreachable(summary string, err error) *Error {
	e := &Error{Kind: ErrUnreachable, Summary: summary, Cause: err}
	switch {
	case errors.Is(err, cloud.ErrRedirectRefused):
		e.Advice = "Domo's API does not redirect there: check the Domo API host and any proxy in between"
	case !errors.Is(err, context.Canceled):
		e.Advice = "Check the network connection and any proxy settings, then try again"
	}
	return e
}
