package push

import (
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
)

// historyObserver keeps a history record up to date from the event stream:
// progress as it goes (the store writes it about once a second), and the
// outcome, waits, errors and resume hint at the summary.
func historyObserver(run *history.Run) Observer {
	return func(e Event) {
		if e.Kind != KindSummary {
			run.Update(func(r *history.Record) { progressInto(r, e.Progress) })
			return
		}
		s := e.Summary
		run.Finish(s.Outcome, s.ExitCode, func(r *history.Record) {
			progressInto(r, e.Progress)
			r.RowsWritten, r.BatchesDone, r.Verified, r.NotVerified = s.RowsWritten, s.BatchesDone, s.Verified, s.NotVerified
			r.ResumeHint, r.AlreadyBy, r.CountNote = s.ResumeHint, s.AlreadyWrittenBy, s.CountNote
			r.Unsettled = s.Unsettled
			r.Waits = map[string]history.WaitTotal{}
			for k, v := range s.Waits {
				r.Waits[k] = history.WaitTotal{Count: v.Count, Seconds: v.Seconds}
			}
			r.Errors = r.Errors[:0]
			for _, x := range s.Errors {
				r.Errors = append(r.Errors, history.Error{Time: e.Time, Message: x.Message, Status: x.Status,
					Code: x.Code, RequestID: x.RequestID})
			}
			r.Posts = r.Posts[:0]
			for _, p := range s.Posts {
				r.Posts = append(r.Posts, history.Post{End: p.End, Rows: p.Rows})
			}
		})
	}
}

func progressInto(r *history.Record, p Progress) {
	r.RowsWritten, r.RowsTotal = p.RowsWritten, p.RowsTotal
	r.BatchesDone, r.BatchesTotal = p.BatchesDone, p.BatchesTotal
	r.Retries, r.Throttled = p.Retries, p.Throttled
}

// sentFromHistory converts history posts into the pacer's seed: pass it
// store.RecentPosts(apiBase, datasetID, now.Add(-limits.Hour())).
func sentFromHistory(posts []history.Post) []pacer.Sent {
	out := make([]pacer.Sent, len(posts))
	for i, p := range posts {
		out[i] = pacer.Sent{End: p.End, Rows: p.Rows}
	}
	return out
}
