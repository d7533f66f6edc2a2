// Package cloud names the hosts pbiwb talks to: the Entra ID login host, the
// Power BI REST API and its token scope for each national cloud, and the Domo
// API; or, for a sandbox, one loopback URL for all three with the sandbox CA
// trusted for that URL alone.
package cloud

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
)

// Endpoints are the hosts and HTTP client for one environment.
type Endpoints struct {
	Name          string       // public, usgov, usgovhigh, usgovdod, china, or sandbox
	AuthorityHost string       // e.g. https://login.microsoftonline.com (no trailing slash)
	APIBase       string       // e.g. https://api.powerbi.com (no trailing slash)
	Resource      string       // Power BI resource; the scope is Resource + "/.default"
	DomoBase      string       // e.g. https://api.domo.com
	HTTP          *http.Client // trusts the sandbox CA when Sandbox is true
	Sandbox       bool
}

// Scope is the MSAL scope for Power BI in this environment.
func (e Endpoints) Scope() string { return e.Resource + "/.default" }

// Names lists the clouds --cloud accepts.
var Names = []string{"public", "usgov", "usgovhigh", "usgovdod", "china"}

var clouds = map[string]Endpoints{
	"public":    {AuthorityHost: "https://login.microsoftonline.com", APIBase: "https://api.powerbi.com", Resource: "https://analysis.windows.net/powerbi/api"},
	"usgov":     {AuthorityHost: "https://login.microsoftonline.com", APIBase: "https://api.powerbigov.us", Resource: "https://analysis.usgovcloudapi.net/powerbi/api"},
	"usgovhigh": {AuthorityHost: "https://login.microsoftonline.us", APIBase: "https://api.high.powerbigov.us", Resource: "https://high.analysis.usgovcloudapi.net/powerbi/api"},
	"usgovdod":  {AuthorityHost: "https://login.microsoftonline.us", APIBase: "https://api.mil.powerbigov.us", Resource: "https://mil.analysis.usgovcloudapi.net/powerbi/api"},
	"china":     {AuthorityHost: "https://login.chinacloudapi.cn", APIBase: "https://api.powerbi.cn", Resource: "https://analysis.chinacloudapi.cn/powerbi/api"},
}

// DefaultDomoBase is the Domo API host.
const DefaultDomoBase = "https://api.domo.com"

// Lookup returns the endpoints of a named cloud ("" means public).
func Lookup(name string) (Endpoints, error) {
	if name == "" {
		name = "public"
	}
	e, ok := clouds[strings.ToLower(name)]
	if !ok {
		return Endpoints{}, fmt.Errorf("unknown cloud %q: use one of %s", name, strings.Join(Names, ", "))
	}
	e.Name = strings.ToLower(name)
	e.DomoBase = DefaultDomoBase
	e.HTTP = &http.Client{Transport: http.DefaultTransport, CheckRedirect: CheckRedirect}
	return e, nil
}

// Sandbox returns endpoints that send every call to the sandbox at baseURL.
// The sandbox CA is fetched from baseURL/_sandbox/ca.pem; because that first
// request cannot verify the server yet, it is allowed only for loopback hosts.
func Sandbox(ctx context.Context, baseURL string) (Endpoints, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return Endpoints{}, &field.Error{Field: field.Sandbox, Rule: field.Invalid, Value: baseURL, Msg: "want an https URL such as https://127.0.0.1:8443"}
	}
	if !isLoopback(u.Hostname()) {
		return Endpoints{}, &field.Error{Field: field.Sandbox, Rule: field.Invalid, Value: baseURL,
			Msg: "the sandbox CA is fetched unverified, so only loopback hosts (127.0.0.1, ::1, localhost) are allowed"}
	}
	pemBytes, err := fetchCA(ctx, u.String()+"/_sandbox/ca.pem")
	if err != nil {
		return Endpoints{}, fmt.Errorf("no sandbox answers at %s: %w", u, err)
	}
	client, err := ClientTrusting(pemBytes)
	if err != nil {
		return Endpoints{}, fmt.Errorf("sandbox at %s: %w", u, err)
	}
	base := u.String()
	return Endpoints{
		Name:          "sandbox",
		AuthorityHost: base,
		APIBase:       base,
		Resource:      "https://analysis.windows.net/powerbi/api",
		DomoBase:      base,
		HTTP:          client,
		Sandbox:       true,
	}, nil
}

// ClientTrusting returns an HTTP client whose only trusted root is the PEM CA.
func ClientTrusting(caPEM []byte) (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("its CA certificate is not valid PEM")
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil, // loopback: never through a proxy
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
	}, CheckRedirect: CheckRedirect}, nil
}

func fetchCA(ctx context.Context, caURL string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	insecure := &http.Client{Transport: &http.Transport{
		Proxy:           nil,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback only, see Sandbox
	}, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		// Followed, the unverified fetch could leave loopback.
		return fmt.Errorf("it answered with a redirect to %s instead of the CA certificate", req.URL.Redacted())
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, caURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := insecure.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", caURL, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 64<<10))
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
