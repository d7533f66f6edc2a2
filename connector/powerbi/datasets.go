package powerbi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Dataset is a Power BI dataset (semantic model).
type Dataset struct {
	ID                     string `json:"id"`
	Name                   string `json:"name"`
	AddRowsAPIEnabled      bool   `json:"addRowsAPIEnabled"` // true for push datasets
	DefaultRetentionPolicy string `json:"defaultRetentionPolicy,omitempty"`
	ConfiguredBy           string `json:"configuredBy,omitempty"`
	IsRefreshable          bool   `json:"isRefreshable"`
	WebURL                 string `json:"webUrl,omitempty"`
	CreatedDate            string `json:"createdDate,omitempty"`
	ContentProviderType    string `json:"contentProviderType,omitempty"`
	TargetStorageMode      string `json:"targetStorageMode,omitempty"`
}

// IsPush reports whether rows can be pushed into the dataset.
func (d Dataset) IsPush() bool { return d.AddRowsAPIEnabled }

// CreateDataset is the body of a push dataset creation.
type CreateDataset struct {
	Name        string  `json:"name"`
	DefaultMode string  `json:"defaultMode,omitempty"` // "Push" (the default when empty), "PushStreaming", ...
	Tables      []Table `json:"tables"`
}

// Retention policies of a push dataset, chosen at creation only.
const (
	RetentionNone = "None"
	RetentionFIFO = "basicFIFO"
)

// NormalizeRetention maps the spellings users type ("", "none", "fifo",
// "basicFIFO", any case) to the service's enum values.
func NormalizeRetention(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return RetentionNone, nil
	case "fifo", "basicfifo":
		return RetentionFIFO, nil
	}
	return "", fmt.Errorf("retention policy %q: use none or fifo", s)
}

type datasetList struct {
	Value []Dataset `json:"value"`
}

// Datasets lists the datasets of a workspace (MyWorkspace for the personal one).
func (c *Client) Datasets(ctx context.Context, groupID string) ([]Dataset, error) {
	var l datasetList
	err := c.do(ctx, call{op: "list datasets", method: "GET", path: workspacePath(groupID) + "/datasets", out: &l, idempotent: true})
	return l.Value, err
}

// Dataset returns one dataset by ID.
func (c *Client) Dataset(ctx context.Context, groupID, id string) (Dataset, error) {
	var d Dataset
	err := c.do(ctx, call{op: "get dataset " + id, method: "GET", path: datasetPath(groupID, id), out: &d, idempotent: true})
	return d, err
}

// FindDataset returns the one dataset of a workspace with this exact name:
// ErrNoSuchDataset when there is none, *DuplicateNameError (listing IDs) when
// there are several — Power BI lets names repeat.
func (c *Client) FindDataset(ctx context.Context, groupID, name string) (Dataset, error) {
	all, err := c.Datasets(ctx, groupID)
	if err != nil {
		return Dataset{}, err
	}
	var found []Dataset
	for _, d := range all {
		if d.Name == name {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 0:
		return Dataset{}, fmt.Errorf("%w named %q in the workspace", ErrNoSuchDataset, name)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, d := range found {
		ids[i] = d.ID
	}
	return Dataset{}, &DuplicateNameError{Kind: "dataset", Name: name, IDs: ids}
}

// CreateDataset creates a push dataset with its tables. retention is None or
// basicFIFO (see NormalizeRetention); it can only be chosen now.
//
// Not retried: a repeated POST would create a second dataset of the same name.
// After an ambiguous failure (errors.Is(err, ErrAmbiguous)) look the name up
// with FindDataset before creating again.
func (c *Client) CreateDataset(ctx context.Context, groupID string, req CreateDataset, retention string) (Dataset, error) {
	pol, err := NormalizeRetention(retention)
	if err != nil {
		return Dataset{}, err
	}
	if req.DefaultMode == "" {
		req.DefaultMode = "Push"
	}
	body, err := json.Marshal(req)
	if err != nil {
		return Dataset{}, fmt.Errorf("create dataset %q: %w", req.Name, err)
	}
	var d Dataset
	err = c.do(ctx, call{
		op: fmt.Sprintf("create dataset %q", req.Name), method: "POST",
		path: workspacePath(groupID) + "/datasets", query: encodeQuery("defaultRetentionPolicy", pol),
		body: body, out: &d,
	})
	if err != nil {
		return Dataset{}, err
	}
	// Current responses omit these (docs/sources.md, Power BI: creating a push dataset); what was created is known.
	if d.DefaultRetentionPolicy == "" {
		d.DefaultRetentionPolicy = pol
	}
	if d.Name == "" {
		d.Name = req.Name
	}
	d.AddRowsAPIEnabled = true
	return d, nil
}

// DeleteDataset deletes a dataset with all its tables and rows.
func (c *Client) DeleteDataset(ctx context.Context, groupID, id string) error {
	return c.do(ctx, call{op: "delete dataset " + id, method: "DELETE", path: datasetPath(groupID, id)})
}
