package push

import (
	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/connector/history"
)

// command is the `pbiwb push` that does what req asks, for the dry run's
// plan and the resume, run-again and --restart hints: the global and
// identity flags of svc.Invocation, then req's flags, defaults left out.
func command(svc Services, req Request) cmdline.Push {
	p := cmdline.Push{Flags: svc.Invocation, Input: req.Input, Format: req.Format, Sheet: req.Sheet, Group: req.Group, Dataset: req.Dataset,
		Table: req.Table, Mode: req.Mode, Retention: req.Retention, Columns: req.Columns,
		Resume: req.Resume, Restart: req.Restart, AssumeSent: req.AssumeSent, AssumeLost: req.AssumeLost}
	if req.MaxThrottleWait != DefaultMaxThrottleWait {
		p.MaxThrottleWait = req.MaxThrottleWait
	}
	return p
}

// historyRequest is what the history keeps of req, to resume it or run it
// again from its fields: its command, without how this run was asked
// (--resume, --restart).
func historyRequest(svc Services, req Request) *history.Request {
	p := command(svc, req)
	p.Resume, p.Restart, p.AssumeSent, p.AssumeLost = false, false, false, false
	return &history.Request{Push: p}
}
