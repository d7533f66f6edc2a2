package powerbi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pbiwb/pbiwb/connector/redact"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
)

// Response headers Power BI (and the sandbox) set.
const (
	HeaderRequestID    = "RequestId"            // one per request; Microsoft support asks for it
	HeaderErrorInfo    = "X-PowerBI-Error-Info" // short code on auth failures, e.g. TokenExpired
	HeaderErrorDetails = "X-PowerBI-Error-Details"
	HeaderRetryAfter   = "Retry-After"              // integer seconds (or an HTTP date)
	HeaderSandboxRetry = "X-Sandbox-Retry-After-Ms" // the sandbox's exact wait in milliseconds
)

// Error codes the client and Advice know (docs/sources.md, Power BI: errors).
const (
	CodeTokenExpired          = "TokenExpired"
	CodeInvalidToken          = "InvalidToken"
	CodeNotAuthorized         = "PowerBINotAuthorizedException"
	CodeGroupNotAccessible    = "GroupNotAccessible"
	CodeEntityNotFound        = "PowerBIEntityNotFound"
	CodeItemNotFound          = "ItemNotFound"
	CodeBadRequest            = "BadRequest"
	CodeExecuteQueriesError   = "DatasetExecuteQueriesError"
	CodeTooManyRequests       = "TooManyRequests"
	CodeRequestEntityTooLarge = "RequestEntityTooLarge"
)

// Error is an answer from Power BI with a non-2xx status.
type Error struct {
	Status     int           // HTTP status
	Code       string        // error.code, else the X-PowerBI-Error-Info header
	Message    string        // error.message, else the first pbi.error detail
	Details    []string      // pbi.error details, error.details messages, X-PowerBI-Error-Details
	RequestID  string        // RequestId header
	RetryAfter time.Duration // from X-Sandbox-Retry-After-Ms, else Retry-After; 0 when absent
	Method     string
	Path       string
	Op         string // what the client was doing, e.g. "post rows"
	ErrorInfo  string // the X-PowerBI-Error-Info header as sent
	AppOnly    bool   // the rejected token was app-only (a service principal)
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "Power BI answered %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	switch t := e.texts(); len(t) {
	case 0:
	case 1:
		b.WriteString(": " + t[0]) // cut when decoded
	default:
		b.WriteString(": " + redact.Cut(strings.Join(t, "; "), redact.MaxMessage))
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", format.Duration(e.RetryAfter))
	}
	if e.Method != "" {
		fmt.Fprintf(&b, " [%s %s]", e.Method, e.Path)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (RequestId %s)", e.RequestID)
	}
	return redact.String(b.String())
}

// ExitCode: Power BI refused (exit 5).
func (e *Error) ExitCode() exitcode.Code { return exitcode.Refused }

// texts are the message and the details worth showing: a generic message
// such as "Bad Request" is left out when details say more.
func (e *Error) texts() []string {
	var out []string
	if e.Message != "" && !(len(e.Details) > 0 && e.Message == http.StatusText(e.Status)) {
		out = append(out, e.Message)
	}
	for _, d := range e.Details {
		if d != e.Message {
			out = append(out, d)
		}
	}
	return out
}

// tokenExpired reports whether the service refused the token as expired, in
// the body or only in the header (403 with an empty body).
func (e *Error) tokenExpired() bool {
	return e.Code == CodeTokenExpired || e.ErrorInfo == CodeTokenExpired
}

// ErrAmbiguous matches (errors.Is) a *TransportError whose request was sent
// completely before the connection failed or the context ended: the service
// may or may not have carried it out. For POST rows the rows may or may not
// be stored; count the table's rows (CountRows) before sending again.
var ErrAmbiguous = errors.New("the request was sent but no answer arrived: it may or may not have taken effect")

// TransportError is a failure to get an HTTP answer: connection refused, TLS,
// a dropped connection, a context deadline. Sent tells the two cases apart,
// using httptrace's WroteRequest: false means the request never left (safe to
// send again), true means it was written in full and the outcome is unknown
// (errors.Is(err, ErrAmbiguous)).
type TransportError struct {
	Op        string
	Method    string
	Host      string
	Path      string
	Sent      bool
	Status    int    // set when the status line arrived but reading the body failed
	RequestID string // likewise
	Err       error
}

func (e *TransportError) Error() string {
	if e.Sent {
		return fmt.Sprintf("%s: %s %s was sent to %s but no complete answer came back (%v); it may or may not have taken effect",
			e.Op, e.Method, e.Path, e.Host, e.Err)
	}
	return fmt.Sprintf("%s: could not send %s %s to %s: %v", e.Op, e.Method, e.Path, e.Host, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrAmbiguous) true for a request that was sent.
func (e *TransportError) Is(target error) bool { return target == ErrAmbiguous && e.Sent }

// TokenError is a failure to obtain an access token from the TokenSource;
// nothing was sent to Power BI.
type TokenError struct {
	Op  string
	Err error
}

func (e *TokenError) Error() string {
	return fmt.Sprintf("%s: no Power BI access token: %v", e.Op, e.Err)
}

func (e *TokenError) Unwrap() error { return e.Err }

// IsThrottled reports whether err is Power BI's 429 (wait RetryAfter).
func IsThrottled(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusTooManyRequests || e.Code == CodeTooManyRequests)
}

// IsNotFound reports whether err says the workspace, dataset or table does
// not exist (or is not visible), including a dataset that is not a push dataset.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) &&
		(e.Status == http.StatusNotFound || e.Code == CodeItemNotFound || e.Code == CodeEntityNotFound)
}

// IsNotPushDataset reports whether err is the service's "Dataset … is not
// Push API dataset." (an imported or Desktop-built dataset).
func IsNotPushDataset(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeItemNotFound &&
		strings.Contains(strings.ToLower(e.Message), "not push api dataset")
}

// IsAuth reports whether err is a refusal of the token or of the identity's
// access (401, 403, or no token at all).
func IsAuth(err error) bool {
	var te *TokenError
	if errors.As(err, &te) {
		return true
	}
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case CodeTokenExpired, CodeInvalidToken, CodeNotAuthorized, CodeGroupNotAccessible:
		return true
	}
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// envelope is the union of the error shapes of docs/sources.md, Power BI: errors: {"error":{...}}
// with code/message, details[] and/or "pbi.error", or a bare {code, message}.
type envelope struct {
	Error *errorBody `json:"error"`
	errorBody
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Target  string `json:"target"`
	} `json:"details"`
	PBIError *struct {
		Code    string `json:"code"`
		Details []struct {
			Code   string `json:"code"`
			Detail struct {
				Value string `json:"value"`
			} `json:"detail"`
		} `json:"details"`
	} `json:"pbi.error"`
}

// maxErrorBytes is the most of an error answer read: a real one is a few
// hundred bytes, and a server that answers 20 MB must not have them held in
// memory, printed or stored (see redact.MaxMessage for what is shown).
const maxErrorBytes = 64 << 10

// decodeError builds an *Error from a non-2xx answer: error.code, then
// error.message, then pbi.error's details[].detail.value, then
// error.details[].message; the X-PowerBI-Error-Info header when the body says
// nothing (auth failures often come with an empty body). body is what was
// read: more than maxErrorBytes means the answer went on. Every text from the
// server is masked and cut (redact.Message).
func decodeError(status int, h http.Header, body []byte) *Error {
	e := &Error{
		Status:     status,
		RequestID:  redact.Cut(h.Get(HeaderRequestID), 100),
		ErrorInfo:  redact.Cut(strings.TrimSpace(h.Get(HeaderErrorInfo)), 100),
		RetryAfter: retryAfter(h),
	}
	var unread int64 // bytes of the answer never read: -1 when unknown
	if len(body) > maxErrorBytes {
		body, unread = body[:maxErrorBytes], -1
		if n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil && n > maxErrorBytes {
			unread = n - maxErrorBytes
		}
	}
	body = bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	var env envelope
	if len(body) > 0 && json.Unmarshal(body, &env) == nil {
		eb := &env.errorBody
		if env.Error != nil {
			eb = env.Error
		}
		e.Code, e.Message = eb.Code, eb.Message
		if p := eb.PBIError; p != nil {
			if e.Code == "" {
				e.Code = p.Code
			}
			for _, d := range p.Details {
				switch {
				case d.Detail.Value == "":
				case d.Code == "" || d.Code == "DetailsMessage":
					e.Details = append(e.Details, d.Detail.Value)
				default:
					e.Details = append(e.Details, d.Code+": "+d.Detail.Value)
				}
			}
		}
		for _, d := range eb.Details {
			if d.Message != "" {
				e.Details = append(e.Details, d.Message)
			}
		}
		if e.Message == "" && len(e.Details) > 0 {
			e.Message = e.Details[0]
		}
		e.Code, e.Message = redact.Cut(e.Code, 100), redact.Message(e.Message)
		for i, d := range e.Details {
			e.Details[i] = redact.Message(d)
		}
	} else if code, msg, ok := partialError(body); unread != 0 && ok {
		// JSON cut by the read limit: its code and the start of its message.
		e.Code, e.Message = redact.Cut(code, 100), redact.CutPart(redact.String(msg), redact.MaxMessage, unread)
	} else if len(body) > 0 {
		// Not JSON: a proxy's HTML page or plain text. Keep a short, printable excerpt.
		e.Message = redact.String(excerpt(body, 200))
	}
	if e.Code == "" {
		e.Code = e.ErrorInfo
	}
	if d := strings.TrimSpace(h.Get(HeaderErrorDetails)); d != "" {
		e.Details = append(e.Details, redact.String(excerpt([]byte(d), 300)))
	}
	if wa := h.Get("WWW-Authenticate"); strings.Contains(wa, "insufficient_claims") {
		e.Details = append(e.Details, "Entra ID asks for more claims (conditional access, e.g. MFA)")
	}
	return e
}

var (
	partialCodeRE    = regexp.MustCompile(`"code"\s*:\s*"((?:[^"\\]|\\.){0,200})"`)
	partialMessageRE = regexp.MustCompile(`"message"\s*:\s*"((?:[^"\\]|\\.)*)`)
)

// partialError reads the code and the start of the message of a JSON error
// answer that was cut before its end.
func partialError(body []byte) (code, msg string, ok bool) {
	if m := partialCodeRE.FindSubmatch(body); m != nil {
		code = unquoteJSON(m[1])
	}
	if m := partialMessageRE.FindSubmatch(body); m != nil {
		msg = unquoteJSON(m[1])
	}
	return code, msg, code != "" || msg != ""
}

// unquoteJSON decodes the inside of a JSON string that may end in the middle
// of an escape sequence (it was cut): the broken end is dropped.
func unquoteJSON(raw []byte) string {
	for drop := 0; drop <= 6 && drop <= len(raw); drop++ {
		var s string
		if json.Unmarshal([]byte(`"`+string(raw[:len(raw)-drop])+`"`), &s) == nil {
			return s
		}
	}
	return string(bytes.ToValidUTF8(raw, []byte("?")))
}

// retryAfter reads the sandbox's exact milliseconds when present, else
// Retry-After as integer seconds or an HTTP date.
func retryAfter(h http.Header) time.Duration {
	if ms, err := strconv.ParseInt(strings.TrimSpace(h.Get(HeaderSandboxRetry)), 10, 64); err == nil && ms >= 0 {
		return time.Duration(ms) * time.Millisecond
	}
	v := strings.TrimSpace(h.Get(HeaderRetryAfter))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

func excerpt(b []byte, n int) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// appOnlyToken reports whether an access token is app-only (a service
// principal's, from client credentials). It reads the unverified claims only
// to tailor advice: idtyp "app", or no delegated "scp" claim at all.
func appOnlyToken(tok string) bool {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return false
	}
	var c struct {
		IDType string  `json:"idtyp"`
		Scope  *string `json:"scp"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return false
	}
	if c.IDType != "" {
		return c.IDType == "app"
	}
	return c.Scope == nil
}
