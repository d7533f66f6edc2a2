package domoapi

import (
	"bufio"
	"errors"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// dataSetJSON is the documented DataSet object (GET /v1/datasets/{id}).
type dataSetJSON struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	Description   string     `json:"description"`
	Owner         ownerJSON  `json:"owner"`
	Columns       int        `json:"columns"`
	Rows          int        `json:"rows"`
	CreatedAt     string     `json:"createdAt"`
	UpdatedAt     string     `json:"updatedAt"`
	DataCurrentAt string     `json:"dataCurrentAt"`
	Schema        schemaJSON `json:"schema"`
	PDPEnabled    bool       `json:"pdpEnabled"`
}

type ownerJSON struct {
	ID   int64  `json:"id"` // a number, as the SDKs and samples have it
	Name string `json:"name"`
}

type schemaJSON struct {
	Columns []Column `json:"columns"`
}

// failure is an error a DataSet endpoint answers with: as JSON, or on the CSV
// export for a text/csv-only client as the 406 page naming cause.
type failure struct {
	status int
	json   func(w http.ResponseWriter, r *http.Request)
	cause  string // the Java exception line Domo's 406 page shows
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// lookup authenticates the request and finds a DataSet the caller may read.
func (s *Server) lookup(r *http.Request, id string) (*Table, *failure) {
	c, err := s.authenticate(r)
	if err != nil {
		return nil, authFailure(err)
	}
	if !slices.Contains(c.Scope, "data") {
		return nil, &failure{
			status: http.StatusForbidden,
			json: func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusForbidden, map[string]string{
					"error": "insufficient_scope", "error_description": "Insufficient scope for this resource", "scope": "data",
				})
			},
			cause: "org.springframework.security.oauth2.common.exceptions.InsufficientScopeException: Insufficient scope for this resource",
		}
	}
	t, ok := s.datasets[strings.ToLower(id)]
	if !guidPattern.MatchString(id) || !ok {
		return nil, &failure{
			status: http.StatusNotFound,
			json: func(w http.ResponseWriter, r *http.Request) {
				writeError(w, r, http.StatusNotFound, "Not Found", "DataSet not found")
			},
			cause: "com.domo.bedrock.service.exception.NotFoundException: DataSet not found",
		}
	}
	if !t.readableBy(c.UserID) {
		const msg = "Infrastructure problem (403): Access is denied"
		return nil, &failure{
			status: http.StatusBadRequest,
			json: func(w http.ResponseWriter, r *http.Request) {
				writeError(w, r, http.StatusBadRequest, "Bad Request", msg)
			},
			cause: "com.domo.bedrock.service.exception.BadRequestException: " + msg,
		}
	}
	return t, nil
}

func authFailure(err error) *failure {
	if errors.Is(err, errNoToken) {
		const cause = "com.domo.bedrock.service.exception.UnauthorizedException: Full authentication is required to access this resource"
		return &failure{
			status: http.StatusUnauthorized,
			// The observed body says "Internal Server Error" with status 401
			// (domo-java-sdk #14): kept, so clients branch on status, not text.
			json: func(w http.ResponseWriter, r *http.Request) {
				writeError(w, r, http.StatusUnauthorized, "Internal Server Error", cause)
			},
			cause: cause,
		}
	}
	// Spring OAuth2's descriptions; the first is observed (domo-java-sdk #5, #12).
	desc := "Invalid access token"
	switch {
	case errors.Is(err, errTokenGarbled):
		desc = "Cannot convert access token to JSON"
	case errors.Is(err, errTokenExpired):
		desc = "Access token expired"
	}
	return &failure{
		status: http.StatusUnauthorized,
		json: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="Domo", error="invalid_token", error_description="`+desc+`"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": desc})
		},
		cause: "org.springframework.security.oauth2.common.exceptions.InvalidTokenException: " + desc,
	}
}

func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request, id string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		writeError(w, r, http.StatusMethodNotAllowed, "Method Not Allowed", "Request method '"+r.Method+"' not supported")
		return
	}
	t, f := s.lookup(r, id)
	if f != nil {
		f.json(w, r)
		return
	}
	writeJSON(w, http.StatusOK, dataSetJSON{
		ID: t.ID, Name: t.Name, Description: t.Description,
		Owner:   ownerJSON{ID: t.Owner.ID, Name: t.Owner.Name},
		Columns: len(t.Columns), Rows: t.RowCount,
		CreatedAt: iso(t.CreatedAt), UpdatedAt: iso(t.UpdatedAt), DataCurrentAt: iso(t.DataCurrentAt),
		Schema: schemaJSON{Columns: t.Columns},
	})
}

// serveData streams the CSV export: rows are generated and written in chunks,
// so memory does not grow with the DataSet.
func (s *Server) serveData(w http.ResponseWriter, r *http.Request, id string) {
	csvOnly := acceptsOnlyCSV(r.Header.Get("Accept"))
	fail := func(f *failure) {
		if csvOnly {
			writeNotAcceptable(w, f.cause)
			return
		}
		f.json(w, r)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		writeError(w, r, http.StatusMethodNotAllowed, "Method Not Allowed", "Request method '"+r.Method+"' not supported")
		return
	}
	t, f := s.lookup(r, id)
	if f != nil {
		fail(f)
		return
	}
	includeHeader := false
	if v := r.URL.Query().Get("includeHeader"); v != "" {
		b, err := strconv.ParseBool(v) // pydomo sends "True"
		if err != nil {
			const msg = "Failed to convert value of type 'java.lang.String' to required type 'boolean'"
			fail(&failure{
				status: http.StatusBadRequest,
				json: func(w http.ResponseWriter, r *http.Request) {
					writeError(w, r, http.StatusBadRequest, "Bad Request", msg)
				},
				cause: "org.springframework.web.method.annotation.MethodArgumentTypeMismatchException: " + msg,
			})
			return
		}
		includeHeader = b
	}

	w.Header().Set("Content-Type", "text/csv")
	if name := r.URL.Query().Get("fileName"); name != "" {
		if d := mime.FormatMediaType("attachment", map[string]string{"filename": name}); d != "" {
			w.Header().Set("Content-Disposition", d)
		}
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	line := make([]byte, 0, 512)
	if includeHeader {
		line = appendRecord(line[:0], headerRow(t.Columns))
		_, _ = bw.Write(line)
	}
	ctx := r.Context()
	for i, row := range t.Rows() {
		line = appendRecord(line[:0], row)
		if _, err := bw.Write(line); err != nil {
			return // the client went away
		}
		if i%4096 == 0 && ctx.Err() != nil {
			return
		}
	}
	_ = bw.Flush()
}

// acceptsOnlyCSV reports whether an Accept header admits text/csv but no JSON
// (as the SDKs' exports send "Accept: text/csv").
func acceptsOnlyCSV(accept string) bool {
	csv := false
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/csv":
			csv = true
		case "application/json", "*/*", "application/*":
			return false
		}
	}
	return csv
}

func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }
