package powerbi

import (
	"context"
	"fmt"
)

// PostRows appends rows to a table. body is the ready request body,
// {"rows":[{...},...]}, as connector/source encodes it.
//
// PostRows is never retried here: Power BI has no idempotency key, so sending
// a batch twice stores it twice. The caller decides. Outcomes:
//   - nil: stored.
//   - *Error: Power BI answered and refused; nothing was stored (IsThrottled:
//     wait RetryAfter and send again).
//   - *TransportError with Sent false: never left this machine; send again.
//   - errors.Is(err, ErrAmbiguous): sent, then the connection failed or the
//     context ended before the answer; the rows may or may not be stored, so
//     count them (CountRows) before sending again.
//
// A token refused as expired is the one exception, replayed here once with a
// fresh token (see Client.do for why that is safe).
func (c *Client) PostRows(ctx context.Context, groupID, datasetID, table string, body []byte) error {
	if len(body) == 0 {
		return fmt.Errorf("post rows to table %q: empty request body", table)
	}
	return c.do(ctx, call{
		op: fmt.Sprintf("post rows to table %q", table), method: "POST",
		path: tablePath(groupID, datasetID, table) + "/rows", body: body,
	})
}

// DeleteRows deletes every row of a table (Power BI has no per-row delete).
func (c *Client) DeleteRows(ctx context.Context, groupID, datasetID, table string) error {
	return c.do(ctx, call{
		op: fmt.Sprintf("delete rows of table %q", table), method: "DELETE",
		path: tablePath(groupID, datasetID, table) + "/rows", idempotent: true,
	})
}
