package domo

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"unicode"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/redact"
	"github.com/pbiwb/pbiwb/exitcode"
)

// Kinds of failure, for errors.Is. Every error the client returns for a
// Domo answer is an *Error wrapping one of these.
var (
	// ErrSignIn: Domo refused the client ID and secret, or every token
	// issued for them. The CLI exits 4.
	ErrSignIn = errors.New("sign-in to Domo failed")
	// ErrNotFound: no DataSet with that id.
	ErrNotFound = errors.New("no such Domo DataSet")
	// ErrAccessDenied: the DataSet exists but the client may not read it
	// (ownership, or the client lacks the data scope).
	ErrAccessDenied = errors.New("access refused by Domo")
	// ErrInvalidID: the id is not a GUID; nothing was sent.
	ErrInvalidID = errors.New("not a Domo DataSet id")
	// ErrService: Domo answered something unexpected (5xx, throttling, an
	// error page, a body that is not what was asked for).
	ErrService = errors.New("unexpected answer from the Domo API")
	// ErrUnreachable: the request or the export stream failed on the way
	// (network, TLS, timeout, cancellation: see the wrapped cause).
	ErrUnreachable = errors.New("the Domo API could not be reached")
)

// Error is a failure explained for people: what happened, Domo's own words,
// its trace id, and what to do.
type Error struct {
	Kind      error  // one of the Err* kinds above
	Summary   string // what happened, in a sentence
	DataSetID string // the DataSet concerned, if any
	Status    int    // HTTP status Domo answered, 0 if none
	Detail    string // Domo's message, summarised (never a raw HTML page)
	TOE       string // Domo's trace id ("toe"), for Domo support
	Advice    string // what to do next
	Cause     error  // underlying error (network, context), if any
	// SwappedID: the client ID looks like a client secret, so it is not
	// shown and Advice says to check that the two were not swapped.
	SwappedID bool
	// Field is the credential at fault when one is: a missing client ID or
	// secret, or a client ID that looks like the secret. The face says
	// where to give it.
	Field field.ID
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Summary)
	switch {
	case e.Status != 0 && e.Detail != "":
		fmt.Fprintf(&b, " (HTTP %d: %s)", e.Status, e.Detail)
	case e.Status != 0:
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	case e.Cause != nil:
		fmt.Fprintf(&b, ": %v", e.Cause)
	}
	if e.TOE != "" {
		fmt.Fprintf(&b, " [Domo trace id (toe) %s: quote it to Domo support]", e.TOE)
	}
	if e.Advice != "" {
		b.WriteString(". ")
		b.WriteString(e.Advice)
	}
	return redact.String(b.String())
}

// Unwrap exposes the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	errs := []error{e.Kind}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

// ExitCode places a Domo failure among docs/cli.md's codes by its kind: a
// sign-in failure is 4; an id that names no DataSet is the input's fault (3);
// access refused by Domo is 5, the nearest code (docs/cli.md names Power BI
// only): the user must be granted access; anything else is 1.
func (e *Error) ExitCode() exitcode.Code {
	switch e.Kind {
	case ErrSignIn:
		return exitcode.SignIn
	case ErrNotFound, ErrInvalidID:
		return exitcode.Invalid
	case ErrAccessDenied:
		return exitcode.Refused
	}
	return exitcode.Failure
}

// Advice shared by several failures.
const (
	credentialsAdvice = "Check the Domo client ID and client secret: they are listed at developer.domo.com → " +
		"My Account → Manage Clients (create a new client if the secret is lost) and must be pasted whole"
	scopeAdvice = "The Domo API client needs the data scope to read DataSets: at developer.domo.com → My Account → " +
		"Manage Clients, create a client with the Data scope ticked, then save its ID and secret in pbiwb"
)

func ownershipAdvice(id string) string {
	return "Domo lets an API client read a DataSet only as the user who created the client, and " +
		"that user must own or co-own the input DataSet (Domo's rule for writebacks: the writeback's owner " +
		"must be an owner or co-owner of the input DataSet). Ask the owner of DataSet " + id +
		" to add that user as a co-owner, or use a client created by an owner; the client also needs the data scope"
}

// answer is what pbiwb understood of an error response.
type answer struct {
	status   int
	detail   string // Domo's message, summarised
	toe      string
	oauthErr string // Spring OAuth2's "error" (invalid_token, invalid_scope, ...)
	html     bool
	retry    string // Retry-After, if any
}

// readAnswer reads (a bounded part of) an error response and closes it.
func readAnswer(resp *http.Response) answer {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	a := answer{status: resp.StatusCode}
	if r := strings.TrimSpace(resp.Header.Get("Retry-After")); r != "" && strings.Trim(r, "0123456789") == "" && len(r) <= 9 {
		a.retry = r // seconds; an HTTP date or anything else is not repeated
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var j struct {
		Message          string `json:"message"`
		StatusReason     string `json:"statusReason"`
		TOE              string `json:"toe"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	switch {
	case json.Unmarshal(body, &j) == nil:
		a.toe, a.oauthErr = j.TOE, j.Error
		a.detail = firstOf(j.Message, j.ErrorDescription, j.Error, j.StatusReason)
	case mt == "text/html" || looksLikeHTML(body):
		a.html = true
		a.detail = summariseHTML(body)
	default:
		a.detail = firstLine(string(body))
	}
	// Masked before it is clipped, so that no part of a secret is left.
	a.detail = clip(redact.String(oneLine(stripJavaPackage(a.detail))), 300)
	return a
}

// oneLine folds control characters and runs of space into single spaces, so
// a message from Domo prints as one line whatever it holds.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)), " ")
}

var (
	titleRE    = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	causedByRE = regexp.MustCompile(`(?is)Caused by:\s*(?:</h3>\s*)?(?:<pre>)?\s*([^\r\n<]+)`)
	tagRE      = regexp.MustCompile(`<[^>]*>`)
	javaPkgRE  = regexp.MustCompile(`^(?:[a-z][a-z0-9_]*\.)+([A-Z][A-Za-z0-9_$]*)`)
)

// summariseHTML turns an error page (Domo's gateway answers Jetty pages on
// the CSV export) into one line: its title and the first "Caused by".
func summariseHTML(body []byte) string {
	var parts []string
	if m := titleRE.FindSubmatch(body); m != nil {
		parts = append(parts, cleanText(string(m[1])))
	}
	if m := causedByRE.FindSubmatch(body); m != nil {
		parts = append(parts, "caused by "+stripJavaPackage(cleanText(string(m[1]))))
	}
	if len(parts) == 0 {
		return "an HTML error page: " + firstLine(tagRE.ReplaceAllString(string(body), " "))
	}
	return strings.Join(parts, "; ")
}

func looksLikeHTML(b []byte) bool {
	s := strings.ToLower(strings.TrimSpace(string(b[:min(len(b), 256)])))
	return strings.HasPrefix(s, "<html") || strings.HasPrefix(s, "<!doctype html")
}

// stripJavaPackage shortens "com.domo.x.UnauthorizedException: …" to
// "UnauthorizedException: …".
func stripJavaPackage(s string) string { return javaPkgRE.ReplaceAllString(s, "$1") }

func cleanText(s string) string {
	s = html.UnescapeString(tagRE.ReplaceAllString(s, " "))
	return strings.Join(strings.Fields(s), " ")
}

func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if t := strings.TrimSpace(line); t != "" {
			return oneLine(t)
		}
	}
	return ""
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// tokenFailure explains a refused token request.
func (c *Client) tokenFailure(a answer) *Error {
	e := &Error{Status: a.status, Detail: a.detail, TOE: a.toe, SwappedID: redact.LooksLikeSecret(field.DomoClientID, c.id)}
	if e.SwappedID {
		e.Field = field.DomoClientID
	}
	switch {
	case a.oauthErr == "invalid_scope":
		e.Kind = ErrAccessDenied
		e.Summary = fmt.Sprintf("the Domo API client %s does not have the data scope", redact.Quoted(field.DomoClientID, c.id))
		e.Advice = scopeAdvice
	case a.status == http.StatusUnauthorized || a.status == http.StatusForbidden || a.status == http.StatusBadRequest:
		e.Kind = ErrSignIn
		e.Summary = fmt.Sprintf("Domo did not accept the client ID %s and its secret", redact.Quoted(field.DomoClientID, c.id))
		e.Advice = c.swapAdvice() + credentialsAdvice
	default:
		serviceFailure(e, a, "Domo's sign-in (token) endpoint failed")
	}
	return e
}

// swapAdvice says, when the client ID looks like a secret (and is therefore
// not shown), that the two were probably swapped; "" otherwise.
func (c *Client) swapAdvice() string {
	if !redact.LooksLikeSecret(field.DomoClientID, c.id) {
		return ""
	}
	return "The Domo client ID looks like a client secret (it is not shown): check that the Domo client ID and " +
		"client secret are not swapped. "
}

// dataFailure explains a refused DataSet request (metadata or export).
func dataFailure(id, what string, a answer) *Error {
	e := &Error{DataSetID: id, Status: a.status, Detail: a.detail, TOE: a.toe}
	kind := a.status
	if a.html && a.status == http.StatusNotAcceptable {
		// The export's error page hides the real failure in its "Caused by".
		kind = causeStatus(a.detail)
	}
	d := strings.ToLower(a.detail)
	switch {
	case kind == http.StatusUnauthorized:
		e.Kind = ErrSignIn
		e.Summary = fmt.Sprintf("Domo refused pbiwb's access token while reading %s of DataSet %s, even after a new sign-in", what, id)
		e.Advice = "The Domo API client may have been deleted, or its user deactivated. " + credentialsAdvice
	case kind == http.StatusForbidden && (a.oauthErr == "insufficient_scope" || strings.Contains(d, "scope")):
		e.Kind = ErrAccessDenied
		e.Summary = fmt.Sprintf("the Domo API client may not read DataSet %s: it lacks the data scope", id)
		e.Advice = scopeAdvice
	case kind == http.StatusForbidden ||
		(kind == http.StatusBadRequest && (strings.Contains(d, "(403)") || strings.Contains(d, "access is denied") || strings.Contains(d, "not allowed"))):
		// Domo wraps a 403 in a 400: "Infrastructure problem (403): Access is denied".
		e.Kind = ErrAccessDenied
		e.Summary = fmt.Sprintf("Domo refused to let the API client read DataSet %s", id)
		e.Advice = ownershipAdvice(id)
	case kind == http.StatusNotFound:
		e.Kind = ErrNotFound
		e.Summary = fmt.Sprintf("Domo has no DataSet %s", id)
		e.Advice = "Check the DataSet id (open the DataSet in Domo and copy the GUID from the address bar); " +
			"the DataSet may have been deleted, or belong to another Domo instance than the API client"
	default:
		serviceFailure(e, a, fmt.Sprintf("Domo failed to give %s of DataSet %s", what, id))
	}
	return e
}

// causeStatus maps the exception named in a 406 page to the status Domo
// would have answered with JSON; 406 when it names none pbiwb knows.
func causeStatus(detail string) int {
	d := strings.ToLower(detail)
	switch {
	case strings.Contains(d, "unauthorizedexception"), strings.Contains(d, "invalidtokenexception"),
		strings.Contains(d, "full authentication is required"):
		return http.StatusUnauthorized
	case strings.Contains(d, "insufficientscope"):
		return http.StatusForbidden
	case strings.Contains(d, "notfoundexception"):
		return http.StatusNotFound
	case strings.Contains(d, "(403)"), strings.Contains(d, "access is denied"), strings.Contains(d, "forbidden"):
		return http.StatusForbidden
	}
	return http.StatusNotAcceptable
}

func serviceFailure(e *Error, a answer, summary string) {
	e.Kind = ErrService
	e.Summary = summary
	switch {
	case a.status == http.StatusTooManyRequests && a.retry != "":
		e.Advice = "Domo is throttling this API client; try again after " + a.retry + " seconds"
	case a.status == http.StatusTooManyRequests:
		e.Advice = "Domo is throttling this API client; try again in a few minutes"
	case a.status >= 500:
		e.Advice = "Domo had a problem of its own; try again later, and if it persists give Domo support the trace id"
	default:
		e.Advice = "This answer was unexpected; try again, and if it persists report it with the trace id"
	}
}
