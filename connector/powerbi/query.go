package powerbi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

type queryRequest struct {
	Queries            []daxQuery     `json:"queries"`
	SerializerSettings map[string]any `json:"serializerSettings,omitempty"`
}

type daxQuery struct {
	Query string `json:"query"`
}

type queryError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type queryResponse struct {
	Error   *queryError `json:"error"`
	Results []struct {
		Error  *queryError `json:"error"`
		Tables []struct {
			Error *queryError                  `json:"error"`
			Rows  []map[string]json.RawMessage `json:"rows"`
		} `json:"tables"`
	} `json:"results"`
}

// Query runs one DAX query through executeQueries and returns the rows of its
// one table, keys as Power BI names them ("T[Col]", or "[n]" for computed
// columns), values as decoded JSON (numbers as json.Number).
func (c *Client) Query(ctx context.Context, groupID, datasetID, dax string) ([]map[string]any, error) {
	return c.query(ctx, "run a DAX query", groupID, datasetID, dax)
}

func (c *Client) query(ctx context.Context, op, groupID, datasetID, dax string) ([]map[string]any, error) {
	body, err := json.Marshal(queryRequest{
		Queries:            []daxQuery{{Query: dax}},
		SerializerSettings: map[string]any{"includeNulls": true},
	})
	if err != nil {
		return nil, err
	}
	var resp queryResponse
	err = c.do(ctx, call{
		op: op, method: "POST", path: datasetPath(groupID, datasetID) + "/executeQueries",
		body: body, out: &resp, idempotent: true, // a query reads only
	})
	if err != nil {
		return nil, err
	}
	if e := resp.Error; e != nil {
		return nil, fmt.Errorf("%s: the query failed: %s %s", op, e.Code, e.Message)
	}
	if len(resp.Results) == 0 {
		return nil, fmt.Errorf("%s: Power BI answered without a result", op)
	}
	r := resp.Results[0]
	if e := r.Error; e != nil {
		return nil, fmt.Errorf("%s: the query failed: %s %s", op, e.Code, e.Message)
	}
	if len(r.Tables) == 0 {
		return nil, nil
	}
	t := r.Tables[0]
	// An error next to rows is truncation (over 100,000 rows or 15 MB; docs/sources.md, Power BI: executeQueries);
	// the rows returned are still valid, but a count would be wrong, so fail.
	if e := t.Error; e != nil {
		return nil, fmt.Errorf("%s: the result is incomplete: %s %s", op, e.Code, e.Message)
	}
	rows := make([]map[string]any, len(t.Rows))
	for i, raw := range t.Rows {
		m := make(map[string]any, len(raw))
		for k, v := range raw {
			var val any
			d := json.NewDecoder(bytes.NewReader(v))
			d.UseNumber() // keep Int64 values exact
			if err := d.Decode(&val); err != nil {
				return nil, fmt.Errorf("%s: value of %s: %w", op, k, err)
			}
			m[k] = val
		}
		rows[i] = m
	}
	return rows, nil
}

// daxTable quotes a table name for DAX: 'Name' with quotes doubled.
func daxTable(name string) string { return "'" + strings.ReplaceAll(name, "'", "''") + "'" }

// CountRows returns how many rows a table holds, with the DAX query
// EVALUATE ROW("n", COUNTROWS('T')). An empty table counts blank, which is 0.
// The push engine uses it to settle an ambiguous POST and to verify a run.
//
// Whether executeQueries works on push datasets in the real service is
// UNCONFIRMED (docs/sources.md, Power BI: executeQueries); the docs exclude only AAS-hosted datasets.
func (c *Client) CountRows(ctx context.Context, groupID, datasetID, table string) (int64, error) {
	op := fmt.Sprintf("count rows of table %q", table)
	rows, err := c.query(ctx, op, groupID, datasetID, `EVALUATE ROW("n", COUNTROWS(`+daxTable(table)+`))`)
	if err != nil {
		return 0, err
	}
	if len(rows) != 1 {
		return 0, fmt.Errorf("%s: expected one result row, got %d", op, len(rows))
	}
	v, ok := rows[0]["[n]"]
	if !ok {
		v, ok = rows[0]["n"]
	}
	if !ok && len(rows[0]) == 1 {
		for _, only := range rows[0] {
			v, ok = only, true
		}
	}
	if !ok {
		return 0, fmt.Errorf("%s: the result has no column [n]", op)
	}
	switch n := v.(type) {
	case nil:
		return 0, nil // COUNTROWS of an empty table is blank
	case json.Number:
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i, nil
		}
		f, err := n.Float64()
		if err != nil || f != math.Trunc(f) || f < 0 {
			return 0, fmt.Errorf("%s: %q is not a row count", op, n)
		}
		return int64(f), nil
	}
	return 0, fmt.Errorf("%s: %v is not a row count", op, v)
}

// TopN returns up to n rows of a table (EVALUATE TOPN(n, 'T')), keyed by
// column name: the "T[...]" qualification Power BI puts on keys is removed.
// Which n rows come back is up to the service.
func (c *Client) TopN(ctx context.Context, groupID, datasetID, table string, n int) ([]map[string]any, error) {
	if n <= 0 {
		return nil, fmt.Errorf("top rows of table %q: n must be positive, not %d", table, n)
	}
	op := fmt.Sprintf("read rows of table %q", table)
	rows, err := c.query(ctx, op, groupID, datasetID, fmt.Sprintf("EVALUATE TOPN(%d, %s)", n, daxTable(table)))
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		m := make(map[string]any, len(r))
		for k, v := range r {
			m[columnKey(table, k)] = v
		}
		rows[i] = m
	}
	return rows, nil
}

// columnKey turns "T[Col]" or "'T'[Col]" or "[Col]" into "Col".
func columnKey(table, k string) string {
	for _, p := range []string{table + "[", daxTable(table) + "[", "["} {
		if strings.HasPrefix(k, p) && strings.HasSuffix(k, "]") {
			return k[len(p) : len(k)-1]
		}
	}
	return k
}

// ExecuteQueriesSetting is the tenant setting executeQueries needs (Learn,
// "Datasets - Execute Queries"; docs/sources.md, Power BI: executeQueries):
// a Power BI administrator turns it on in the admin portal.
const ExecuteQueriesSetting = "Dataset Execute Queries REST API"

// CountingRefused says whether err is Power BI refusing executeQueries
// itself, which leaves the table's rows uncountable for this identity: a
// bare 401 PowerBINotAuthorizedException (the tenant setting is off: field
// notes, UNCONFIRMED beyond them) or a 403 or 404 PowerBIEntityNotFound
// (no Build permission on the dataset, which the caller just read). A token
// refused as expired or invalid is not a refusal to count.
func CountingRefused(err error) bool {
	var e *Error
	if !errors.As(err, &e) || !strings.HasSuffix(e.Path, "/executeQueries") || e.tokenExpired() || e.Code == CodeInvalidToken {
		return false
	}
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden ||
		(e.Status == http.StatusNotFound && e.Code == CodeEntityNotFound)
}

// CountingRefusal says, for people, why Power BI refused to count a table's
// rows (err satisfies CountingRefused) and who can change it.
func CountingRefusal(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return "Power BI refused to count the table's rows"
	}
	build := "Build permission on the dataset (its owner grants it: the dataset › Manage permissions)"
	if e.Status == http.StatusUnauthorized {
		return fmt.Sprintf("Power BI refused to count the table's rows (executeQueries answered %d %s): the tenant setting %q "+
			"is off, which a Power BI administrator turns on in the admin portal (Tenant settings › Integration settings), "+
			"or this identity lacks %s", e.Status, e.Code, ExecuteQueriesSetting, build)
	}
	return fmt.Sprintf("Power BI refused to count the table's rows (executeQueries answered %d %s): this identity lacks %s, "+
		"or the tenant setting %q is off for it", e.Status, e.Code, build, ExecuteQueriesSetting)
}
