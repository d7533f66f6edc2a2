package entra

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
)

// secretInjector adds the client secret to password grants, which MSAL Go's
// confidential client sends without one (docs/sources.md, MSAL: username and password); Entra ID
// requires it of a confidential client. Other requests pass unchanged.
type secretInjector struct {
	inner  httpDoer
	secret string
}

// httpDoer is the HTTP client MSAL Go takes (its internal ops.HTTPClient).
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
	CloseIdleConnections()
}

func (s secretInjector) Do(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.Body == nil {
		return s.inner.Do(req)
	}
	b, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	if f, perr := url.ParseQuery(string(b)); perr == nil && f.Get("grant_type") == "password" && f.Get("client_secret") == "" {
		f.Set("client_secret", s.secret)
		b = []byte(f.Encode())
	}
	req = req.Clone(req.Context())
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return s.inner.Do(req)
}

func (s secretInjector) CloseIdleConnections() { s.inner.CloseIdleConnections() }
