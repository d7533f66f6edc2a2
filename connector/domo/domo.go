// Package domo is a client of the Domo Platform API for reading a DataSet as
// an input: the OAuth client-credentials token, the DataSet's metadata and
// schema, and its CSV export as a stream.
//
// Failures come back as *Error values that say what went wrong and what to
// do; callers branch with errors.Is on ErrSignIn (the CLI's exit 4),
// ErrNotFound, ErrAccessDenied, ErrInvalidID and ErrService. The client
// secret never appears in an error.
//
// Choices where Domo's behaviour is not documented (docs/sources.md, Domo: choices where the API is silent):
//   - The token is requested by POST with a form, as pydomo and the Java SDK
//     do, with scope "data" (all a DataSet read needs), so a client without
//     that scope fails at sign-in with advice instead of later.
//   - Access is refused as 403, or as Domo's observed 400 "Infrastructure
//     problem (403): Access is denied"; both read as ErrAccessDenied. The
//     advice assumes an API client reads as the user who created it
//     (inference), hence the seed's owner/co-owner rule.
//   - On the CSV export Domo hides errors behind a 406 HTML page; the page's
//     "Caused by" line decides the kind, and a stale token is renewed once.
package domo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/redact"
	"github.com/pbiwb/pbiwb/names"
)

// Domo column types (the six Domo documents).
const (
	TypeString   = "STRING"
	TypeLong     = "LONG"
	TypeDouble   = "DOUBLE"
	TypeDecimal  = "DECIMAL"
	TypeDate     = "DATE"
	TypeDateTime = "DATETIME"
)

// Column is one column of a DataSet's schema.
type Column struct {
	Name string
	Type string // one of the Type constants, as Domo spells it
}

// Owner is a DataSet's owner. Domo documents the id as a string while its
// SDKs and samples carry a number; either is read into ID.
type Owner struct {
	ID   string
	Name string
}

// DataSet is a DataSet's metadata (GET /v1/datasets/{id}).
type DataSet struct {
	ID          string
	Name        string
	Description string
	Owner       Owner
	Rows        int64
	Columns     int
	Schema      []Column
	PDPEnabled  bool
	// Zero when Domo leaves them out or sends a form that is not ISO 8601.
	CreatedAt, UpdatedAt, DataCurrentAt time.Time
}

// Client talks to one Domo instance's API with one API client's credentials.
// It is safe for concurrent use; the token is fetched on first use, cached
// until shortly before it expires, and renewed once when Domo refuses it.
type Client struct {
	base   string
	http   *http.Client
	id     string
	secret string
	scope  string
	now    func() time.Time
	// timeout bounds each request (WithRequestTimeout); 0 is DefaultRequestTimeout.
	timeout time.Duration

	mu      sync.Mutex
	token   string
	expires time.Time
}

// New returns a client of ep.DomoBase using ep.HTTP. No request is made until
// a method needs one.
func New(ep cloud.Endpoints, clientID, clientSecret string, opts ...Option) *Client {
	base := strings.TrimRight(ep.DomoBase, "/")
	if base == "" {
		base = cloud.DefaultDomoBase
	}
	// The secret, and an ID that looks like one (swapped with it), are
	// masked wherever pbiwb shows or stores text from now on.
	redact.Secret(clientSecret)
	if redact.LooksLikeSecret(field.DomoClientID, clientID) {
		redact.Secret(clientID)
	}
	c := &Client{
		// cloud's redirect policy: the Basic credentials and the bearer
		// token never follow a redirect to http or to another host.
		base: base, http: cloud.WithRedirectPolicy(ep.HTTP),
		id: strings.TrimSpace(clientID), secret: clientSecret,
		scope: "data", // reading DataSets needs Domo's data scope, nothing more
		now:   time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// The most of a JSON or error body read into memory.
const maxBody = 8 << 20

// checkID trims id and checks it is a GUID, as Domo DataSet ids are.
func checkID(id string) (string, error) {
	id = strings.TrimSpace(id)
	if names.IsGUID(id) {
		return id, nil
	}
	summary := fmt.Sprintf("%q is not a Domo DataSet id", id)
	if redact.LooksLikeSecret(field.DataSetID, id) {
		summary = "the DataSet id given is not a Domo DataSet id (it is not repeated here, in case it is a secret typed in the wrong place)"
		redact.Secret(id) // nor anywhere else (the resume command, the history)
	}
	return "", &Error{
		Kind:    ErrInvalidID,
		Summary: summary,
		Advice: "A DataSet id is a GUID such as 845305d8-da3d-4107-a9d6-13ef3f86d4a4; " +
			"open the DataSet in Domo and copy it from the address bar (…/datasources/ID/details/…)",
	}
}

// dataSetJSON is the documented DataSet object, as far as pbiwb reads it.
type dataSetJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Owner       struct {
		ID   json.RawMessage `json:"id"`
		Name string          `json:"name"`
	} `json:"owner"`
	Columns       int    `json:"columns"`
	Rows          int64  `json:"rows"`
	CreatedAt     string `json:"createdAt"`
	UpdatedAt     string `json:"updatedAt"`
	DataCurrentAt string `json:"dataCurrentAt"`
	Schema        struct {
		Columns []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"columns"`
	} `json:"schema"`
	PDPEnabled bool `json:"pdpEnabled"`
}

func (j dataSetJSON) dataSet() DataSet {
	ds := DataSet{
		ID: j.ID, Name: j.Name, Description: j.Description,
		Owner:     Owner{ID: strings.Trim(string(j.Owner.ID), `"`), Name: j.Owner.Name},
		Rows:      j.Rows,
		Columns:   j.Columns,
		Schema:    make([]Column, len(j.Schema.Columns)),
		CreatedAt: parseTime(j.CreatedAt), UpdatedAt: parseTime(j.UpdatedAt), DataCurrentAt: parseTime(j.DataCurrentAt),
		PDPEnabled: j.PDPEnabled,
	}
	if string(j.Owner.ID) == "null" {
		ds.Owner.ID = ""
	}
	for i, c := range j.Schema.Columns {
		ds.Schema[i] = Column{Name: c.Name, Type: strings.ToUpper(c.Type)}
	}
	return ds
}

func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
