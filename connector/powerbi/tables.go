package powerbi

import (
	"context"
	"encoding/json"
	"fmt"
)

// Table is a push dataset table. Only the properties Power BI's swagger
// defines are sent: the service rejects unknown ones.
type Table struct {
	Name        string    `json:"name"`
	Columns     []Column  `json:"columns"`
	Measures    []Measure `json:"measures,omitempty"`
	Description string    `json:"description,omitempty"`
	IsHidden    bool      `json:"isHidden,omitempty"`
}

// Column is a table column. DataType is one of Int64, Double, Decimal,
// Boolean, Datetime, String (request property names are case-sensitive:
// "dataType", not "datatype").
type Column struct {
	Name         string `json:"name"`
	DataType     string `json:"dataType"`
	FormatString string `json:"formatString,omitempty"`
	DataCategory string `json:"dataCategory,omitempty"`
	SummarizeBy  string `json:"summarizeBy,omitempty"`
	IsHidden     bool   `json:"isHidden,omitempty"`
}

// Measure is a DAX measure of a table.
type Measure struct {
	Name         string `json:"name"`
	Expression   string `json:"expression"`
	FormatString string `json:"formatString,omitempty"`
	Description  string `json:"description,omitempty"`
	IsHidden     bool   `json:"isHidden,omitempty"`
}

type tableList struct {
	Value []Table `json:"value"`
}

// Tables lists a push dataset's tables. Whether the real service returns
// their columns is UNCONFIRMED (docs/sources.md, Power BI: tables): a Table without Columns
// means "not told", not "no columns".
func (c *Client) Tables(ctx context.Context, groupID, datasetID string) ([]Table, error) {
	var l tableList
	err := c.do(ctx, call{op: "list tables", method: "GET", path: datasetPath(groupID, datasetID) + "/tables", out: &l, idempotent: true})
	return l.Value, err
}

// PutTable replaces a table's schema (to add columns or measures). It cannot
// create a table: an unknown table answers ItemNotFound. Power BI answers 200
// (swagger) or 201 (older documentation); both are success.
func (c *Client) PutTable(ctx context.Context, groupID, datasetID string, t Table) error {
	body, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("update table %q: %w", t.Name, err)
	}
	return c.do(ctx, call{
		op: fmt.Sprintf("update table %q", t.Name), method: "PUT",
		path: tablePath(groupID, datasetID, t.Name), body: body, idempotent: true,
	})
}
