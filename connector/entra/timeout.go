package entra

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/internal/stall"
)

// DefaultRequestTimeout is how long one request to Entra ID may go without
// progress unless WithRequestTimeout says otherwise: the same default as
// Power BI's and Domo's requests (docs/cli.md, --request-timeout).
const DefaultRequestTimeout = 2 * time.Minute

// WithRequestTimeout bounds every request MSAL makes to Entra ID (instance
// discovery, the tenant's metadata, the token and device code endpoints,
// each device code poll): one is given up on once d passes with nothing
// moving. The waits for a person (the browser page, the device code's
// browser step) are not requests and stay unbounded. d <= 0 keeps
// DefaultRequestTimeout.
func WithRequestTimeout(d time.Duration) Option {
	return func(s *Session) { s.timeout = max(d, 0) }
}

// liftMSALCap gives ctx a deadline too far away to matter when it has none:
// MSAL Go caps every request of a call without a deadline at 30 seconds
// (docs/sources.md, MSAL: request timeouts), which would cut a slow answer
// the request timeout allows and word a stall as an unreachable host. The
// request timeout bounds each request instead (stallClient); a deadline the
// caller set stays in force. Cache calls still get their own default bound
// (withDefaultTimeout sees the mark).
func liftMSALCap(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithDeadline(context.WithValue(ctx, capLiftedKey{}, true), time.Now().Add(liftedDeadline))
}

// liftedDeadline is the deadline liftMSALCap sets: longer than any sign-in a
// person finishes (the device code lives 15 minutes).
const liftedDeadline = 24 * time.Hour

// capLiftedKey marks a context whose deadline liftMSALCap set.
type capLiftedKey struct{}

// maxAnswerBytes bounds an Entra answer read while the request's watch runs;
// real ones are a few kilobytes (metadata, tokens), so more is not Entra.
const maxAnswerBytes = 4 << 20

// stallClient is the HTTP client MSAL is given: every request runs under a
// stall.Watch, its answer read whole before the watch stops, so a server that
// accepts and never answers (or stops halfway) is given up on, with a
// *RequestStallError naming what stalled.
type stallClient struct {
	inner   httpDoer
	timeout time.Duration
}

// RequestStallError is an Entra ID request given up on by the request timeout.
type RequestStallError struct {
	What string // "the token request", ...
	Host string
	Err  *stall.TimeoutError
}

func (e *RequestStallError) Error() string {
	return fmt.Sprintf("%s to %s: %v", e.What, e.Host, e.Err)
}

func (e *RequestStallError) Unwrap() error { return e.Err }

func (c stallClient) Do(req *http.Request) (*http.Response, error) {
	ctx, watch := stall.Start(req.Context(), cmp.Or(c.timeout, DefaultRequestTimeout))
	defer watch.Stop()
	trace := &httptrace.ClientTrace{
		GotConn:              func(httptrace.GotConnInfo) { watch.Progress() },
		WroteHeaders:         watch.Progress,
		WroteRequest:         func(httptrace.WroteRequestInfo) { watch.Progress() },
		GotFirstResponseByte: watch.Progress,
	}
	req = req.WithContext(httptrace.WithClientTrace(ctx, trace))
	stalled := func(err error) error {
		if te, ok := watch.Err(err).(*stall.TimeoutError); ok {
			return &RequestStallError{What: requestKind(req), Host: req.URL.Host, Err: te}
		}
		return err
	}
	resp, err := c.inner.Do(req)
	if err != nil {
		return nil, stalled(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(watch.Body(resp.Body), maxAnswerBytes+1))
	if err != nil {
		return nil, stalled(err)
	}
	if len(body) > maxAnswerBytes {
		return nil, fmt.Errorf("%s to %s: the answer is larger than %d MB, which no Entra ID answer is", requestKind(req), req.URL.Host, maxAnswerBytes>>20)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func (c stallClient) CloseIdleConnections() { c.inner.CloseIdleConnections() }

// requestKind names an Entra ID request by its path, as people know it.
func requestKind(req *http.Request) string {
	p := strings.ToLower(req.URL.Path)
	switch {
	case strings.HasSuffix(p, "/oauth2/v2.0/token"), strings.HasSuffix(p, "/oauth2/token"):
		if grant := grantOf(req); grant != "" {
			return "the token request (" + grant + ")"
		}
		return "the token request"
	case strings.HasSuffix(p, "/devicecode"):
		return "the device code request"
	case strings.Contains(p, "/discovery/instance"):
		return "the instance discovery request"
	case strings.Contains(p, "openid-configuration"):
		return "the tenant's metadata request (openid-configuration)"
	case strings.Contains(p, "/userrealm/"):
		return "the user realm lookup"
	}
	return "the sign-in request"
}

// grantOf reads a token request's grant type, in words ("device code poll").
func grantOf(req *http.Request) string {
	if req.GetBody == nil {
		return ""
	}
	rc, err := req.GetBody()
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 64<<10))
	for kv := range strings.SplitSeq(string(b), "&") {
		if g, ok := strings.CutPrefix(kv, "grant_type="); ok {
			switch {
			case strings.Contains(g, "device_code"):
				return "device code poll"
			case g == "password":
				return "password"
			case g == "client_credentials":
				return "client credentials"
			case g == "refresh_token":
				return "refresh"
			case g == "authorization_code":
				return "the browser sign-in's code"
			}
			return ""
		}
	}
	return ""
}

// stallAdvice explains a request given up on by the request timeout.
func stallAdvice(se *RequestStallError, err error) *Error {
	e := &Error{Err: err,
		Summary: fmt.Sprintf("the sign-in host %s did not answer %s: nothing arrived for %v.", se.Host, se.What, se.Err.After)}
	const check = "Something between pbiwb and Entra ID accepted the connection and never answered: check the network and any proxy (HTTPS_PROXY), then try again."
	e.withFix(check + " If the host is only slow, allow more time with {request timeout}.")
	e.setting, e.fixWithout = field.RequestTimeout, check
	return e
}

// asStall finds a request given up on by the request timeout in err.
func asStall(err error) (*RequestStallError, bool) {
	var se *RequestStallError
	return se, errors.As(err, &se)
}
