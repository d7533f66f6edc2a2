package push

import (
	"context"
	"errors"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push/internal/writer"
)

// classifyPowerBI is the Classifier of connector/powerbi's errors, as its
// PostRows documents them: a request sent without an answer is Ambiguous
// (settle by counting); a 429 is Throttled with the server's Retry-After;
// a 5xx answer, a token refused as expired, or a request that never left is
// Transient (nothing was stored);
// everything else is Fatal, keeping the status, code and RequestId for people.
func classifyPowerBI(err error) writer.Failure {
	var (
		pe *powerbi.Error
		te *powerbi.TransportError
	)
	switch {
	case errors.Is(err, powerbi.ErrAmbiguous):
		f := writer.Failure{Kind: writer.Ambiguous}
		if errors.As(err, &te) {
			f.Status, f.RequestID = te.Status, te.RequestID
		}
		return f
	case errors.As(err, &pe) && powerbi.IsThrottled(err):
		return writer.Failure{Kind: writer.Throttled, RetryAfter: pe.RetryAfter, Status: pe.Status, Code: pe.Code, RequestID: pe.RequestID}
	case errors.As(err, &pe):
		f := writer.Failure{Kind: writer.Fatal, Status: pe.Status, Code: pe.Code, RequestID: pe.RequestID}
		// A token refused as expired even after the client's replay with a
		// fresh one (a token that lapsed on the way): nothing was stored,
		// and the next try gets another token.
		if pe.Status >= 500 || pe.Code == powerbi.CodeTokenExpired {
			f.Kind = writer.Transient
		}
		return f
	case errors.As(err, &te) && !te.Sent:
		return writer.Failure{Kind: writer.Transient, Status: te.Status, RequestID: te.RequestID}
	}
	return writer.Failure{Kind: writer.Fatal}
}

// table binds a powerbi.Client to one table: the targetTable of a job.
type table struct {
	c                 *powerbi.Client
	group, dataset, t string
}

func (t table) PostRows(ctx context.Context, body []byte) error {
	return t.c.PostRows(ctx, t.group, t.dataset, t.t, body)
}

func (t table) CountRows(ctx context.Context) (int64, error) {
	return t.c.CountRows(ctx, t.group, t.dataset, t.t)
}

func (t table) DeleteRows(ctx context.Context) error {
	return t.c.DeleteRows(ctx, t.group, t.dataset, t.t)
}
