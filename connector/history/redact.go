package history

import (
	"strings"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/redact"
)

// redacted is r as it is stored: every secret the process holds and every
// credential a server echoed masked, each error message cut to
// redact.MaxMessage, and a Domo DataSet id that looks like a secret left out.
// r itself (what Record returns to the running push) is not changed.
func (r Record) redacted() Record {
	r.Input = redactInput(r.Input)
	r.Note, r.ResumeHint = redact.String(r.Note), redact.String(r.ResumeHint)
	if r.Request != nil {
		q := *r.Request
		q.Input, q.Group, q.Dataset, q.Table = redactInput(q.Input), redact.String(q.Group), redact.String(q.Dataset), redact.String(q.Table)
		q.Flags, q.Columns = redactAll(q.Flags), redactAll(q.Columns)
		r.Request = &q
	}
	r.Target.WorkspaceName = redact.String(r.Target.WorkspaceName)
	r.Target.DatasetName = redact.String(r.Target.DatasetName)
	r.Target.Table = redact.String(r.Target.Table)
	if len(r.Errors) > 0 {
		errs := make([]Error, len(r.Errors))
		for i, e := range r.Errors {
			e.Message, e.Code, e.RequestID = redact.Message(e.Message), redact.Cut(e.Code, 100), redact.Cut(e.RequestID, 100)
			errs[i] = e
		}
		r.Errors = errs
	}
	return r
}

func redactInput(in string) string {
	if id, ok := strings.CutPrefix(in, "domo:"); ok {
		return "domo:" + redact.ID(field.DataSetID, id)
	}
	return redact.String(in)
}

func redactAll(words []string) []string {
	if words == nil {
		return nil
	}
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = redact.String(w)
	}
	return out
}
