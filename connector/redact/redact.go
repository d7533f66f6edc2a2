// Package redact keeps secrets out of what pbiwb shows and stores, and keeps
// what a server says to a readable size.
//
// Three tools, used where an error is built (powerbi, domo, entra) and again,
// as a last net, where text leaves the process (the CLI's error line, the
// wizard, the run history, doctor):
//
//   - a process-wide registry of the secrets this process holds (passwords,
//     client secrets, the Domo client secret, access and refresh tokens as
//     they pass), each replaced by Mask wherever it appears;
//   - patterns for credentials a server may echo without pbiwb knowing them:
//     "Bearer …", JWTs (eyJ…), Basic credentials, client_secret=… and
//     password=… in form and JSON shapes;
//   - Cut, which bounds a server's message (MaxMessage) on a UTF-8 boundary
//     and says how much was left out.
//
// ID fields (tenant, client ID, username, Domo client ID, DataSet id) are
// shown only when they look like what they are: see LooksLikeSecret.
package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/format"
)

// Mask replaces a secret.
const Mask = "***"

// MaxMessage is the most of a server's message pbiwb shows or stores:
// enough for any real explanation, small enough for a terminal line and a
// history record.
const MaxMessage = 2 << 10

// MinSecretLen is the shortest value the registry accepts. Entra ID requires
// passwords of at least 8 characters and issues longer client secrets, as
// Domo does; a shorter value (a test's "x") would blank out ordinary words.
const MinSecretLen = 8

var registry struct {
	sync.Mutex
	known    map[string]bool
	replacer *strings.Replacer // nil when known changed since it was built
}

func init() { Reset() }

// Reset forgets every secret but the sandbox's demo ones: for tests that run
// several commands in one process.
func Reset() {
	registry.Lock()
	registry.known, registry.replacer = nil, nil
	registry.Unlock()
	// The sandbox's demo secrets are published, but they are secrets to the
	// sandbox, and a process may send them to one at any time: treating
	// them as held lets a demo secret typed into an ID field be recognised.
	Secret(demo.ClientSecret, demo.Password, demo.DomoClientSecret)
}

// Secret adds values to the secrets this process holds. Empty and short
// values (under MinSecretLen) are ignored; so are values already known.
func Secret(values ...string) {
	registry.Lock()
	defer registry.Unlock()
	for _, v := range values {
		v = strings.TrimSpace(v)
		if len(v) < MinSecretLen {
			continue
		}
		// A server echoes a secret as it received it: in a form or URL
		// (percent-encoded) or in JSON (escaped).
		for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v), jsonEscaped(v, false), jsonEscaped(v, true)} {
			if !registry.known[form] {
				if registry.known == nil {
					registry.known = map[string]bool{}
				}
				registry.known[form] = true
				registry.replacer = nil
			}
		}
	}
}

// Held reports whether v is a secret this process holds.
func Held(v string) bool {
	v = strings.TrimSpace(v)
	registry.Lock()
	defer registry.Unlock()
	return v != "" && registry.known[v]
}

// jsonEscaped is v inside a JSON string, with or without Go's escaping of
// <, > and & (other encoders do not escape them).
func jsonEscaped(v string, html bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(v)
	s := strings.TrimSuffix(b.String(), "\n")
	return s[1 : len(s)-1]
}

func secretsReplacer() *strings.Replacer {
	registry.Lock()
	defer registry.Unlock()
	if registry.replacer == nil {
		vals := make([]string, 0, len(registry.known))
		for v := range registry.known {
			vals = append(vals, v)
		}
		// Longest first: a secret that contains another is masked whole.
		sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
		pairs := make([]string, 0, 2*len(vals))
		for _, v := range vals {
			pairs = append(pairs, v, Mask)
		}
		registry.replacer = strings.NewReplacer(pairs...)
	}
	return registry.replacer
}

var (
	// A bearer token: at least 16 token characters, so prose such as "the
	// Bearer token" stays.
	bearerRE = regexp.MustCompile(`(?i)\b(bearer)(\s+)[A-Za-z0-9\-._~+/]{16,}=*`)
	// A JWT (access and ID tokens): base64url header starting {" then two more parts.
	jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)
	// Basic credentials; masked only when they decode to "user:secret".
	basicRE = regexp.MustCompile(`(?i)\b(basic)(\s+)([A-Za-z0-9+/]{4,}={0,2})`)
	// key=value in a form, a query string or a log line.
	formRE = regexp.MustCompile(`(?i)\b(client_secret|client_assertion|password|passwd|access_token|refresh_token|id_token)(\s*=\s*)([^&\s"',;]+)`)
	// "key": "value" in JSON.
	jsonRE = regexp.MustCompile(`(?i)("(?:client_secret|client_assertion|password|passwd|access_token|refresh_token|id_token|secret|authorization)"\s*:\s*")((?:[^"\\]|\\.)*)`)
	// An echoed Authorization header of a scheme the patterns above do not know.
	headerRE = regexp.MustCompile(`(?i)\b(authorization)(\s*:\s*)([^\s",;][^",;\r\n]*)`)
)

// String masks in s every secret this process holds and every credential
// pattern a server may echo.
func String(s string) string {
	if s == "" {
		return s
	}
	s = secretsReplacer().Replace(s)
	s = jwtRE.ReplaceAllString(s, Mask)
	s = bearerRE.ReplaceAllString(s, "${1}${2}"+Mask)
	s = basicRE.ReplaceAllStringFunc(s, maskBasic)
	s = formRE.ReplaceAllString(s, "${1}${2}"+Mask)
	s = jsonRE.ReplaceAllString(s, "${1}"+Mask)
	s = headerRE.ReplaceAllStringFunc(s, maskHeader)
	return s
}

func maskBasic(m string) string {
	sub := basicRE.FindStringSubmatch(m)
	raw, err := base64.StdEncoding.DecodeString(sub[3])
	if err != nil || !strings.Contains(string(raw), ":") {
		return m // a word after "basic", not credentials
	}
	return sub[1] + sub[2] + Mask
}

func maskHeader(m string) string {
	sub := headerRE.FindStringSubmatch(m)
	if strings.HasPrefix(sub[3], Mask) || strings.Contains(sub[3], " "+Mask) {
		return m // already masked by a pattern above ("Bearer ***")
	}
	return sub[1] + sub[2] + Mask
}

// Message is a server's message as pbiwb shows and stores it: masked
// (String) and cut to MaxMessage.
func Message(s string) string {
	// Masking 20 MB to keep 2 KB is wasted work: mask a window instead. A
	// secret cut at the window's end is not matched, but it sits at the end
	// of the masked window, which is cut away as long as the window keeps
	// more than a token's length beyond MaxMessage.
	const window, slack = 64 << 10, 16 << 10
	if len(s) > window {
		if head := String(s[:window]); len(head) > MaxMessage+slack {
			return CutPart(head, MaxMessage, int64(len(s)-window))
		}
	}
	return Cut(String(s), MaxMessage)
}

// Cut returns s when it has at most max bytes, else its first bytes up to
// max, ending on a whole UTF-8 character, and a marker saying how many bytes
// were cut.
func Cut(s string, max int) string { return CutPart(s, max, 0) }

// CutPart is Cut for s that is itself the start of a longer text, of which
// unread more bytes were never read (-1: an unknown number).
func CutPart(s string, max int, unread int64) string {
	if len(s) <= max && unread == 0 {
		return s
	}
	n := min(max, len(s))
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	cut := int64(len(s) - n)
	if unread < 0 {
		return fmt.Sprintf("%s… [cut: more than %s bytes]", s[:n], format.Thousands(cut))
	}
	return fmt.Sprintf("%s… [cut: %s more bytes]", s[:n], format.Thousands(cut+unread))
}
