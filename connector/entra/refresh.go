package entra

import (
	"context"
	"encoding/json"
	"errors"
)

// Refresh returns an access token other than rejected, which Power BI refused
// as expired although it looked fresh here (this computer's clock is behind
// the service's, or the token was revoked). It forgets the remembered token and
// MSAL's cached access tokens, then gets a new one: by refresh token for a
// user, by client credentials for a service principal, or by signing in again
// with the password. It satisfies powerbi.Refresher; concurrent callers that
// rejected the same token share one refresh.
func (s *Session) Refresh(ctx context.Context, rejected string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last.token != "" && s.last.token != rejected {
		return s.last.token, nil // another caller refreshed already
	}
	s.last = tokenMemo{}
	if err := s.st.load(ctx); err != nil {
		return "", err
	}
	if err := s.st.dropAccessTokens(); err != nil {
		return "", err
	}
	ctx, cancel := liftMSALCap(ctx)
	defer cancel()
	tok, err := s.token(ctx)
	if err != nil {
		return "", explain(err, s.loginHost(), s.creds)
	}
	if tok == rejected {
		return "", &Error{Err: errors.New("the token Power BI refused was handed out again by Entra ID"),
			Summary: "Power BI refused an access token as expired that Entra ID still considers valid.",
			Fix:     "Check that this computer's clock is right (time zone and time sync), then try again."}
	}
	return tok, nil
}

// dropAccessTokens removes the access tokens from the shared MSAL cache, so
// the next silent call redeems the refresh token; MSAL's clients reload the
// cache because its version changes.
func (st *store) dropAccessTokens() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.msal) == 0 {
		return nil
	}
	var sections map[string]json.RawMessage
	if err := json.Unmarshal(st.msal, &sections); err != nil {
		return nil // not ours to judge: the silent call will say what is wrong
	}
	if _, ok := sections["AccessToken"]; !ok {
		return nil
	}
	delete(sections, "AccessToken")
	data, err := json.Marshal(sections)
	if err != nil {
		return err
	}
	st.msal = data
	st.version++
	return nil
}
