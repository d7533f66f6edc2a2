package cloud

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// The redirect policy of every HTTP client pbiwb builds (Entra ID through
// MSAL, Power BI, Domo, the sandbox). Go's own policy follows a redirect from
// https to http on the same host with the Authorization header (a bearer
// token or Basic credentials then cross the network in clear), keeps that
// header for a subdomain, and replays a 307/308 request body (a password or
// client-secret form) to any host. Here:
//
//   - a redirect never leaves HTTPS: one to http:// is refused;
//   - Authorization and cookies go only to the host (and port) first asked,
//     unless keep accepts the new host (Power BI's cluster hosts);
//   - a request body is replayed only to that host, or one keep accepts;
//   - at most 10 redirects, as Go's default.

// ErrRedirectRefused matches (errors.Is) the error of a redirect this policy
// refused: nothing was sent to the redirect's target.
var ErrRedirectRefused = errors.New("redirect refused")

// RedirectError is a refused redirect. It has no Unwrap, so that an error
// chain's innermost message (what sign-in errors show) is this whole one.
type RedirectError struct {
	From, To string // scheme://host of the request answered with the redirect, and of its target
	Reason   string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("refused to follow a redirect from %s to %s: %s", e.From, e.To, e.Reason)
}

// Is makes errors.Is(err, ErrRedirectRefused) true.
func (e *RedirectError) Is(target error) bool { return target == ErrRedirectRefused }

const maxRedirects = 10

// CheckRedirect is the policy for an http.Client's CheckRedirect.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	return checkRedirect(req, via, nil)
}

// RedirectPolicy is CheckRedirect, except that a redirect over HTTPS to a
// host keep accepts is treated as the host first asked: it gets the
// Authorization header and the request body.
func RedirectPolicy(keep func(host string) bool) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error { return checkRedirect(req, via, keep) }
}

// WithRedirectPolicy returns a copy of h (an empty client when nil) that
// follows redirects by CheckRedirect; h's own CheckRedirect is replaced.
func WithRedirectPolicy(h *http.Client) *http.Client {
	var cp http.Client
	if h != nil {
		cp = *h
	}
	cp.CheckRedirect = CheckRedirect
	return &cp
}

func checkRedirect(req *http.Request, via []*http.Request, keep func(string) bool) error {
	first, prev := via[0], via[len(via)-1]
	refuse := func(reason string) error {
		return &RedirectError{From: origin(prev), To: origin(req), Reason: reason}
	}
	if len(via) >= maxRedirects {
		return refuse(fmt.Sprintf("stopped after %d redirects", maxRedirects))
	}
	if req.URL.Scheme != "https" {
		for _, r := range via {
			if r.URL.Scheme == "https" {
				return refuse("it leaves HTTPS, so the request and its credentials would cross the network unencrypted")
			}
		}
	}
	if strings.EqualFold(req.URL.Host, first.URL.Host) {
		return nil
	}
	if keep != nil && req.URL.Scheme == "https" && keep(strings.ToLower(req.URL.Hostname())) {
		if auth := first.Header.Get("Authorization"); auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return nil
	}
	for _, h := range []string{"Authorization", "Cookie", "Cookie2"} {
		req.Header.Del(h)
	}
	if req.Body != nil && req.Body != http.NoBody {
		return refuse("a request body (which may hold credentials) is sent again only to the host first asked")
	}
	return nil
}

// origin is scheme://host of r's URL: no path or query, which may hold
// identifiers not worth repeating in an error.
func origin(r *http.Request) string {
	return r.URL.Scheme + "://" + r.URL.Host
}
