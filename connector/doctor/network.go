package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
)

// dialTimeout bounds one DNS lookup, TCP connection or TLS handshake.
const dialTimeout = 8 * time.Second

// checkNetwork reaches every host the account's cloud needs, step by step
// (DNS, TCP, TLS), so the failure names the step: a DNS failure, a firewall
// and a TLS-inspecting proxy call for different fixes.
func (d *Doctor) checkNetwork(ctx context.Context) Result {
	var found []string
	var failures []string
	var fix string
	for _, h := range d.hosts() {
		line, fixHere := d.reach(ctx, h)
		if fixHere == "" {
			found = append(found, line)
			continue
		}
		failures = append(failures, line)
		if fix == "" {
			fix = fixHere
		}
	}
	if d.cfg.EndpointsErr != nil && len(failures) == 0 {
		failures = append(failures, fmt.Sprintf("the sandbox answered, but its CA could not be fetched from %s/_sandbox/ca.pem: %v",
			d.cfg.Endpoints.APIBase, field.Phrased(d.cfg.EndpointsErr, d.face().Name)))
		fix = "Check that the URL is the one `pbiwb sandbox` printed (https, loopback host and port)."
	}
	if len(failures) > 0 {
		return fail(strings.Join(failures, "; "), fix, found...)
	}
	return pass(strings.Join(found, "; "))
}

// hosts are the distinct base URLs to reach: the login and API hosts, and the
// Domo API for a Domo input. A sandbox serves all three at one URL.
func (d *Doctor) hosts() []string {
	ep := d.cfg.Endpoints
	list := []string{ep.AuthorityHost, ep.APIBase}
	if isDomo(d.cfg.Input) {
		list = append(list, ep.DomoBase)
	}
	var out []string
	seen := map[string]bool{}
	for _, h := range list {
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		out = append(out, h)
	}
	return out
}

// reach checks one base URL; fix is "" when it is reachable.
func (d *Doctor) reach(ctx context.Context, base string) (line, fix string) {
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return fmt.Sprintf("%q is not a URL", base), "This is a pbiwb defect unless you gave the URL (" + d.face().Name(field.Sandbox) + "): check it."
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
	}
	what := u.Host
	if d.cfg.Endpoints.Sandbox {
		what = "sandbox " + base
	}
	proxy := d.proxyFor(u)
	dialHost, dialPort := host, port
	via := ""
	if proxy != nil {
		via = " via proxy " + proxy.Redacted() + " (HTTPS_PROXY)"
		dialHost, dialPort = proxy.Hostname(), proxy.Port()
		if dialPort == "" {
			dialPort = map[string]string{"https": "443"}[proxy.Scheme]
			if dialPort == "" {
				dialPort = "80"
			}
		}
	}

	// DNS (of the proxy when one is used: the proxy resolves the real host).
	addr := dialHost
	if net.ParseIP(dialHost) == nil {
		dctx, cancel := context.WithTimeout(ctx, dialTimeout)
		addrs, err := net.DefaultResolver.LookupHost(dctx, dialHost)
		cancel()
		if err != nil {
			return fmt.Sprintf("%s%s: DNS lookup of %s failed (%v)", what, via, dialHost, rootErr(err)),
				"Check the network connection and DNS; if this network reaches the internet only through a proxy, set HTTPS_PROXY (e.g. http://proxy.example:3128)" + d.cloudHint()
		}
		addr = addrs[0]
	}

	// TCP.
	start := time.Now()
	dialer := net.Dialer{Timeout: dialTimeout}
	conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(dialHost, dialPort))
	if err != nil {
		line := fmt.Sprintf("%s%s: cannot connect to %s port %s (%v)", what, via, dialHost, dialPort, rootErr(err))
		switch {
		case d.cfg.Endpoints.Sandbox && errors.Is(err, syscall.ECONNREFUSED):
			return line, "The sandbox is not running at " + base + ": start it with `pbiwb sandbox` (in another terminal) and give the URL it prints as " + d.face().Name(field.Sandbox) + "."
		case proxy != nil:
			return line, "The proxy in HTTPS_PROXY does not answer: check its host and port, or unset HTTPS_PROXY if this network needs none."
		}
		return line, "A firewall may block outgoing HTTPS (port 443): ask the network administrator to allow " + host + ", or set HTTPS_PROXY if the network has a proxy."
	}
	tcp := "TCP " + time.Since(start).Round(time.Millisecond).String()
	if time.Since(start) < time.Millisecond {
		tcp = "TCP <1ms"
	}

	// TLS: a handshake with the roots the real client uses; through a proxy,
	// a real request (CONNECT, then TLS) since the handshake happens in the
	// tunnel.
	if proxy != nil {
		conn.Close()
		if line, fix := d.viaProxy(ctx, base, what+via); fix != "" {
			return line, fix
		}
		return fmt.Sprintf("%s%s: DNS %s, %s, TLS ok", what, via, addr, tcp), ""
	}
	defer conn.Close()
	cfg := d.tlsConfig()
	cfg.ServerName = host
	tc := tls.Client(conn, cfg)
	hctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		line := fmt.Sprintf("%s: TLS handshake failed (%v)", what, rootErr(err))
		if isCertError(err) {
			if d.cfg.Endpoints.Sandbox {
				return line, "The server at this URL is not the sandbox that was asked for its CA: check the URL `pbiwb sandbox` printed."
			}
			return line, "The certificate is not trusted: a proxy or security product that inspects TLS needs its CA certificate installed in the system trust store (ask the network administrator)."
		}
		return line, "Something between this computer and " + host + " broke the TLS connection; check proxy and firewall settings."
	}
	state := tc.ConnectionState()
	return fmt.Sprintf("%s: DNS %s, %s, %s ok (certificate trusted), no proxy", what, addr, tcp, tlsVersion(state.Version)), ""
}

// viaProxy makes one request through the client, which tunnels through the
// proxy: any HTTP answer proves the proxy and TLS work.
func (d *Doctor) viaProxy(ctx context.Context, base, what string) (line, fix string) {
	rctx, cancel := context.WithTimeout(ctx, 2*dialTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, base+"/", nil)
	if err != nil {
		return what + ": " + err.Error(), "This is a pbiwb defect; please report it."
	}
	resp, err := d.cfg.Endpoints.HTTP.Do(req)
	if err != nil {
		line := fmt.Sprintf("%s: the request through the proxy failed (%v)", what, rootErr(err))
		if isCertError(err) {
			return line, "The proxy inspects TLS with its own certificate: install its CA certificate in the system trust store (ask the network administrator)."
		}
		return line, "The proxy refused or could not reach the host: ask the network administrator to allow it through the proxy."
	}
	resp.Body.Close()
	return "", ""
}

// proxyFor is the proxy the real client would use for u (HTTPS_PROXY and
// NO_PROXY, as net/http reads them), nil for none.
func (d *Doctor) proxyFor(u *url.URL) *url.URL {
	h := d.cfg.Endpoints.HTTP
	if h == nil {
		return nil
	}
	t, ok := h.Transport.(*http.Transport)
	if h.Transport == nil {
		t, ok = http.DefaultTransport.(*http.Transport)
	}
	if !ok || t.Proxy == nil {
		return nil
	}
	p, err := t.Proxy(&http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}})
	if err != nil {
		return nil
	}
	return p
}

// tlsConfig is the real client's TLS configuration (the sandbox CA for a
// sandbox), so the handshake trusts exactly what later requests trust.
func (d *Doctor) tlsConfig() *tls.Config {
	if h := d.cfg.Endpoints.HTTP; h != nil {
		if t, ok := h.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
			return t.TLSClientConfig.Clone()
		}
	}
	if d.cfg.Endpoints.Sandbox {
		// Without the CA (it could not be fetched) the handshake can only
		// show that something speaks TLS there; trust is reported separately.
		return &tls.Config{InsecureSkipVerify: true} //nolint:gosec // loopback sandbox, reported as untrusted
	}
	return &tls.Config{MinVersion: tls.VersionTLS12}
}

func (d *Doctor) cloudHint() string {
	if d.cfg.Endpoints.Sandbox {
		return "; for a sandbox, check the URL `pbiwb sandbox` printed."
	}
	return "; check " + d.face().Name(field.Cloud) + " matches the tenant's cloud (" + d.cfg.Endpoints.Name + " now)."
}

func isCertError(err error) bool {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	return errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) || errors.As(err, &ve)
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLS 1.3"
	case tls.VersionTLS12:
		return "TLS 1.2"
	}
	return fmt.Sprintf("TLS (0x%x)", v)
}

// rootErr is the innermost error, without URLs and operation prefixes.
func rootErr(err error) error {
	var de *net.DNSError
	if errors.As(err, &de) {
		return errors.New(de.Err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
