// Package powerbi is a typed client for the Power BI REST API surface pbiwb
// needs: workspaces (groups), push datasets, their tables and rows, and the
// executeQueries call used to count and sample what a table holds.
//
// Every call takes a workspace ID; MyWorkspace ("") addresses the caller's
// personal workspace, which the service serves under paths without
// /groups/{id}. Failures are *Error values carrying Power BI's code, message,
// RequestId and Retry-After (see errors.go); transport failures are
// *TransportError, which say whether the request had been sent (ambiguous) or
// not.
package powerbi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
)

// MyWorkspace is the workspace ID that means the signed-in user's personal
// workspace ("My workspace"). A service principal has no My workspace.
const MyWorkspace = ""

// TokenSource supplies Power BI access tokens. Token must return a token that
// is valid now, refreshing an expired one itself (entra.Session does).
//
// The service may still reject a token as expired: clocks differ, or the token
// was revoked. The client then asks once for a new token and replays the
// request. If the source also implements Refresher, its Refresh is used for
// that; otherwise Token is called again, and when it returns the very token
// that was rejected the client gives up and returns the TokenExpired error.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Refresher is implemented by token sources that can force a new token.
//
// Refresh is given the token the service rejected. It must return a different
// token: a newly acquired one, or, when another caller already replaced the
// rejected token (several requests in flight all see TokenExpired at once), the
// current one without acquiring again. Implementations must be safe for
// concurrent use.
type Refresher interface {
	Refresh(ctx context.Context, rejected string) (string, error)
}

// StaticToken is a TokenSource that always returns the same token; for tests
// and for a token obtained elsewhere (for example with `az account
// get-access-token`).
type StaticToken string

// Token returns the token.
func (t StaticToken) Token(context.Context) (string, error) {
	if t == "" {
		return "", errors.New("no access token")
	}
	return string(t), nil
}

// Client calls the Power BI REST API. It is safe for concurrent use.
type Client struct {
	ep      cloud.Endpoints
	base    *url.URL // APIBase + /v1.0/myorg
	http    *http.Client
	tokens  TokenSource
	observe func(Exchange)
	retry   RetryPolicy
	sleep   func(context.Context, time.Duration) error
	timeout time.Duration // per request; 0 is DefaultRequestTimeout (WithRequestTimeout)

	pageSize int // GET /groups page size; 0 means groupPageSize (tests shrink it)
}

// Exchange describes one HTTP round trip, for logs and debugging. It never
// holds the token or a request body.
type Exchange struct {
	Op        string // what the client was doing, e.g. "post rows"
	Method    string
	Path      string // URL path (escaped) and query
	Status    int    // 0 when no response arrived
	RequestID string // Power BI's RequestId header, "" when absent
	Duration  time.Duration
	Attempt   int   // 1 for the first try, 2+ for retries (a replay with a fresh token keeps the number)
	Err       error // the transport error, if any
}

// RetryPolicy governs automatic retries of requests that are safe to repeat
// (GET, PUT table, DELETE rows, executeQueries). Creating a dataset and posting
// rows are never retried here: repeating them could duplicate a dataset or
// rows, so their callers decide.
type RetryPolicy struct {
	Attempts int           // total tries including the first; <= 1 disables retries
	MaxWait  time.Duration // a 429 whose Retry-After exceeds this is returned, not waited out
	Backoff  time.Duration // first wait after a 5xx or network error; doubles each time
}

// DefaultRetry is the retry policy of a new Client.
var DefaultRetry = RetryPolicy{Attempts: 3, MaxWait: 30 * time.Second, Backoff: 500 * time.Millisecond}

// Option configures a Client.
type Option func(*Client)

// WithObserver calls fn after every HTTP round trip (from the calling
// goroutine; fn must be fast and safe for concurrent use).
func WithObserver(fn func(Exchange)) Option { return func(c *Client) { c.observe = fn } }

// WithRetry replaces DefaultRetry; WithRetry(RetryPolicy{}) disables retries.
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// WithHTTPClient replaces ep.HTTP (for tests).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// New returns a client for the Power BI API of ep, authenticating with ts.
func New(ep cloud.Endpoints, ts TokenSource, opts ...Option) *Client {
	base, err := url.Parse(strings.TrimRight(ep.APIBase, "/") + "/v1.0/myorg")
	if err != nil || base.Host == "" {
		// Endpoints come from cloud.Lookup or cloud.Sandbox, which validate
		// their URLs; keep a usable value so the first call reports it.
		base = &url.URL{Scheme: "https", Host: "invalid-api-base.invalid", Path: "/v1.0/myorg"}
	}
	c := &Client{
		ep:     ep,
		base:   base,
		http:   ep.HTTP,
		tokens: ts,
		retry:  DefaultRetry,
		sleep:  sleepCtx,
	}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	c.http = withClusterRedirects(c.http, base.Hostname(), resourceHost(ep.Resource))
	return c
}

// withClusterRedirects returns a copy of h that follows redirects by pbiwb's
// policy (cloud.RedirectPolicy: never from https to http, no Authorization or
// request body to another host), with one exception: when Power BI redirects
// (307) to one of its cluster hosts, such as
// wabi-north-europe-redirect.analysis.windows.net (docs/sources.md, Power BI: conventions), the
// Authorization header and the body go along, over HTTPS only and only to the
// API host itself or the Power BI resource's domain, which the token is
// issued for anyway. h's own CheckRedirect is replaced.
func withClusterRedirects(h *http.Client, apiHost, resource string) *http.Client {
	cp := *h
	cp.CheckRedirect = cloud.RedirectPolicy(func(host string) bool { return trustedHost(host, apiHost, resource) })
	return &cp
}

func trustedHost(host, apiHost, resource string) bool {
	host = strings.ToLower(host)
	if host == strings.ToLower(apiHost) {
		return true
	}
	return resource != "" && (host == resource || strings.HasSuffix(host, "."+resource))
}

// resourceHost is the host of the Power BI resource URI, e.g.
// analysis.windows.net for https://analysis.windows.net/powerbi/api.
func resourceHost(resource string) string {
	u, err := url.Parse(resource)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// Endpoints returns the endpoints the client was built with.
func (c *Client) Endpoints() cloud.Endpoints { return c.ep }

// workspacePath is the path prefix of a workspace's collections:
// "/groups/{id}" or "" for My workspace.
func workspacePath(groupID string) string {
	if groupID == MyWorkspace {
		return ""
	}
	return "/groups/" + url.PathEscape(groupID)
}

func datasetPath(groupID, datasetID string) string {
	return workspacePath(groupID) + "/datasets/" + url.PathEscape(datasetID)
}

// tablePath escapes the table name as one path segment: Power BI table names
// may contain spaces, '#', '@', '^', '~' and any non-ASCII character.
func tablePath(groupID, datasetID, table string) string {
	return datasetPath(groupID, datasetID) + "/tables/" + url.PathEscape(table)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
