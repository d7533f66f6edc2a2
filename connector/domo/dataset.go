package domo

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/pbiwb/pbiwb/connector/internal/stall"
)

// DataSet returns the metadata and schema of DataSet id.
func (c *Client) DataSet(ctx context.Context, id string) (DataSet, error) {
	id, err := checkID(id)
	if err != nil {
		return DataSet{}, err
	}
	ctx, watch := c.watch(ctx)
	defer watch.Stop()
	resp, err := c.get(ctx, watch, id, "the metadata", "/v1/datasets/"+url.PathEscape(id), "application/json")
	if err != nil {
		return DataSet{}, err
	}
	defer resp.Body.Close()
	var j dataSetJSON
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&j); err != nil && watch.TimedOut() {
		return DataSet{}, unreachable("Domo's description of DataSet "+id+" broke off", watch.Err(err))
	} else if err != nil {
		return DataSet{}, &Error{Kind: ErrService, DataSetID: id, Status: resp.StatusCode, Cause: err,
			Summary: "Domo's description of DataSet " + id + " could not be read",
			Advice:  "Try again; if it persists, the Domo API may have changed: report it"}
	}
	if len(j.Schema.Columns) == 0 {
		return DataSet{}, &Error{Kind: ErrService, DataSetID: id, Summary: "Domo describes DataSet " + id + " without any column",
			Advice: "Open the DataSet in Domo: it may be empty or still being created"}
	}
	return j.dataSet(), nil
}

// Export returns DataSet id as CSV with its header row, as Domo streams it:
// the body is read as the caller reads, never held whole. NULL is an empty
// unquoted field and the empty string "" (Domo's dialect). The caller closes
// it; cancelling ctx stops the transfer. A large DataSet takes minutes, so
// the request timeout bounds each wait — for the answer to begin, for each
// next piece of it — not the whole transfer.
func (c *Client) Export(ctx context.Context, id string) (_ io.ReadCloser, err error) {
	id, err = checkID(id)
	if err != nil {
		return nil, err
	}
	ctx, watch := c.watch(ctx)
	defer func() {
		if err != nil {
			watch.Stop()
		}
	}()
	resp, err := c.get(ctx, watch, id, "the rows", "/v1/datasets/"+url.PathEscape(id)+"/data?includeHeader=true", "text/csv")
	if err != nil {
		return nil, err
	}
	// A 2xx is not proof of CSV: a gateway or proxy may answer a page.
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch mt {
	case "text/csv", "application/csv", "text/plain", "application/octet-stream", "":
	default:
		a := readAnswer(resp)
		return nil, &Error{Kind: ErrService, DataSetID: id, Status: resp.StatusCode, Detail: a.detail, TOE: a.toe,
			Summary: "Domo answered the export of DataSet " + id + " with " + mt + " instead of CSV",
			Advice:  "Check the Domo API address (a proxy may be answering instead of Domo) and try again"}
	}
	return &exportBody{body: watch.Body(resp.Body), id: id, watch: watch}, nil
}

// get sends an authenticated GET and returns a 2xx response, or an *Error.
// A refused token is renewed once and the request replayed, as Domo's Java
// SDK does for a 401, and for the 406 page its CSV export answers instead.
// ctx is watch's: a request that stalls fails with its timeout.
func (c *Client) get(ctx context.Context, watch *stall.Watch, id, what, path, accept string) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		tok, fresh, err := c.accessToken(ctx)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
		if err != nil {
			return nil, &Error{Kind: ErrService, DataSetID: id, Summary: "cannot build the Domo request for " + c.base, Cause: err}
		}
		req.Header.Set("Authorization", "bearer "+tok)
		req.Header.Set("Accept", accept)
		watch.Progress() // the wait for the answer starts now, whatever signing in took
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, unreachable("cannot reach Domo to read "+what+" of DataSet "+id, watch.Err(err))
		}
		watch.Progress()
		if resp.StatusCode/100 == 2 {
			return resp, nil
		}
		e := dataFailure(id, what, readAnswer(resp))
		stale := e.Kind == ErrSignIn || e.Status == http.StatusNotAcceptable && e.Kind == ErrService
		if attempt == 0 && !fresh && stale {
			c.invalidate(tok)
			continue
		}
		return nil, e
	}
}

// exportBody gives read errors of the export stream their context; its body
// is the request watch's (stall.Watch.Body), so every piece that arrives
// counts as progress.
type exportBody struct {
	body  io.ReadCloser
	id    string
	watch *stall.Watch
}

func (b *exportBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if err != nil && err != io.EOF {
		err = unreachable("the export of Domo DataSet "+b.id+" broke off", b.watch.Err(err))
	}
	return n, err
}

func (b *exportBody) Close() error {
	err := b.body.Close()
	b.watch.Stop()
	return err
}
