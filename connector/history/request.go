package history

import (
	"errors"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/cmdline"
)

// Request is the push a run was asked to do, as `pbiwb push`'s flags say it
// (push.Request's fields, and the global and identity flags around them, in
// Push.Flags), so that resuming or running it again rebuilds it from fields;
// the command line is rendered from it (Push.Args, Push.Line) only to be
// shown or run. It is stored as cmdline.Push's fields, so a new push option
// is added there once. Never a secret.
type Request struct {
	cmdline.Push
}

// Account is the saved account the request named (--account), if any.
func (q Request) Account() string {
	for i := 0; i+1 < len(q.Flags); i++ {
		if q.Flags[i] == "--"+cmdline.Account {
			return q.Flags[i+1]
		}
	}
	return ""
}

// PushRequest is the request of the run: the one the record keeps, or, for
// a record of an earlier version that kept only its resume command, the
// one that command says. ok is false when the record has neither (a run
// whose process died before it ended, recorded by an earlier version).
func (r Record) PushRequest() (q Request, ok bool, err error) {
	if r.Request != nil {
		return *r.Request, true, nil
	}
	if r.ResumeHint == "" {
		return Request{}, false, nil
	}
	q, err = parseHint(r.ResumeHint)
	return q, err == nil, err
}

// parseHint reads the resume command an earlier version stored
// ("pbiwb push [global and identity flags] --input ... --resume"): push's
// own flags into their fields, the others kept as Flags.
func parseHint(line string) (Request, error) {
	words, err := cmdline.Split(line)
	if err != nil {
		return Request{}, err
	}
	if len(words) < 2 || words[1] != "push" {
		return Request{}, errors.New("it is not a pbiwb push command")
	}
	var q Request
	fields := map[string]*string{cmdline.Input: &q.Input, cmdline.Group: &q.Group, cmdline.Dataset: &q.Dataset,
		cmdline.Table: &q.Table, cmdline.Mode: &q.Mode, cmdline.Retention: &q.Retention,
		cmdline.Format: &q.Format, cmdline.Sheet: &q.Sheet}
	words = words[2:]
	for i := 0; i < len(words); i++ {
		w := words[i]
		name, hasDashes := strings.CutPrefix(w, "--")
		if !hasDashes {
			return Request{}, errors.New("it has a word that is not a flag: " + w)
		}
		value, inline := "", false
		if n, v, ok := strings.Cut(name, "="); ok {
			name, value, inline = n, v, true
		}
		switch name {
		case cmdline.Resume, cmdline.Restart:
			continue // how to go on is the reader's choice
		}
		if !inline {
			if i+1 >= len(words) || strings.HasPrefix(words[i+1], "--") {
				q.Flags = append(q.Flags, w) // a boolean flag
				continue
			}
			i++
			value = words[i]
		}
		switch into, own := fields[name]; {
		case own:
			*into = value
		case name == cmdline.Column:
			q.Columns = append(q.Columns, value)
		case name == cmdline.MaxThrottleWait:
			d, err := time.ParseDuration(value)
			if err != nil {
				return Request{}, errors.New("its --" + name + " " + value + " is not a duration")
			}
			q.MaxThrottleWait = d
		default:
			q.Flags = append(q.Flags, "--"+name, value)
		}
	}
	return q, nil
}
