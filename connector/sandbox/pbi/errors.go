package pbi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// The error envelopes of docs/sources.md, Power BI: errors: shape 1 (BadRequest + details) for body
// validation, shape 2 (code + message) for ItemNotFound, TokenExpired and the
// limits, shape 3 (pbi.error) for 401/404 entity errors and DAX failures.

const contentTypeJSON = "application/json; odata.metadata=minimal; odata.streaming=true"

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // messages carry <pi>…</pi> markup verbatim
	err := enc.Encode(v)
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"InternalError","message":"response encoding failed"}}`)
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type errDetail struct {
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

// badRequest is shape 1: {"error":{"code":"BadRequest","message":"Bad Request","details":[...]}}.
func badRequest(w http.ResponseWriter, target, format string, args ...any) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
		"code": "BadRequest", "message": "Bad Request",
		"details": []errDetail{{Message: fmt.Sprintf(format, args...), Target: target}},
	}})
}

// codeError is shape 2: {"error":{"code":code,"message":message}}.
func codeError(w http.ResponseWriter, status int, code, format string, args ...any) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": fmt.Sprintf(format, args...)}})
}

// pbiError is shape 3. A non-empty detail becomes a DetailsMessage, which the
// real service adds for some errors; we always add one so people learn why.
func pbiError(w http.ResponseWriter, status int, code, detail string) {
	details := []any{}
	if detail != "" {
		details = append(details, map[string]any{"code": "DetailsMessage", "detail": map[string]any{"type": 1, "value": detail}})
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code":      code,
		"pbi.error": map[string]any{"code": code, "parameters": map[string]any{}, "details": details, "exceptionCulprit": 1},
	}})
}

func notAuthorized(w http.ResponseWriter, info, detail string) {
	if info != "" {
		w.Header().Set("X-PowerBI-Error-Info", info)
	}
	pbiError(w, http.StatusUnauthorized, "PowerBINotAuthorizedException", detail)
}

func entityNotFound(w http.ResponseWriter, detail string) {
	pbiError(w, http.StatusNotFound, "PowerBIEntityNotFound", detail)
}

// tooManyRequests answers 429 with Retry-After as whole seconds rounded up
// (so retrying after it succeeds) and the exact wait in milliseconds.
func tooManyRequests(w http.ResponseWriter, wait time.Duration, message string) {
	if wait < time.Millisecond {
		wait = time.Millisecond
	}
	w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(wait.Seconds())), 10))
	w.Header().Set("X-Sandbox-Retry-After-Ms", strconv.FormatInt(int64(math.Ceil(float64(wait)/float64(time.Millisecond))), 10))
	codeError(w, http.StatusTooManyRequests, "TooManyRequests", "%s", message)
}
