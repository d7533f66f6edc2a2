package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/pbiwb/pbiwb/format"
)

// assumeQuestion asks, before a resume, what became of the batches a run
// left with an unknown outcome (Unsettled): Power BI refuses to count the
// table's rows, so pbiwb cannot tell whether they landed, and a resume
// that guessed could duplicate them or leave them out. The Done screen and
// a run's details open it instead of resuming blindly; the answer becomes
// Request.Assume (--assume-sent or --assume-lost).
type assumeQuestion struct {
	u    *Unsettled
	open bool
}

// The question's keys: deliberate digits, since either answer is wrong
// when it is not true (a letter such as n or esc means something else on
// the screens that ask).
const (
	assumeSentKey = "1"
	assumeLostKey = "2"
)

// key answers a key while the question is open: the choice (AssumeSent or
// AssumeLost) once given, "" otherwise; esc closes the question.
func (q *assumeQuestion) key(msg tea.KeyPressMsg) string {
	switch msg.String() {
	case assumeSentKey:
		q.open = false
		return AssumeSent
	case assumeLostKey:
		q.open = false
		return AssumeLost
	case "esc":
		q.open = false
	}
	return ""
}

// unsettledBatches names the batches and their input rows:
// "batch 3 (input rows 20,001–29,999)".
func unsettledBatches(u Unsettled) string {
	parts := make([]string, len(u.Batches))
	for i, b := range u.Batches {
		parts[i] = fmt.Sprintf("batch %s (input rows %s–%s)", format.Thousands(int64(b.Batch)),
			format.Thousands(b.FirstRow), format.Thousands(b.FirstRow+int64(b.Rows)-1))
	}
	if len(parts) == 0 {
		return "a batch"
	}
	return strings.Join(parts, ", ")
}

// unsettledStop is what stopped the run, for people.
func unsettledStop(u Unsettled) string {
	return fmt.Sprintf("Power BI gave no answer for %s, and it refuses to count the table's rows, so pbiwb cannot tell whether those %s landed, and will not guess",
		unsettledBatches(u), format.Count(u.Rows(), "row"))
}

// view is the question, in the screen's width.
func (q *assumeQuestion) view(s *Styles, w int) string {
	u := *q.u
	rows := format.Count(u.Rows(), "row")
	lines := []string{
		s.Selected.Render(wrap(fmt.Sprintf("Did the %s of %s land in the table?", rows, unsettledBatches(u)), w)),
		"",
		wrap("Power BI gave no answer when they were sent, and it refuses to count the table's rows, so pbiwb cannot tell, "+
			"and will not guess. Look in Power BI first: the table's row count, or whether those rows are in it. Then say "+
			"which is true, and the resume runs with your answer:", w),
		"",
		option(s, w, assumeSentKey, "They landed.", "The resume records them as written and does not send them again "+
			"(--assume-sent). If they had not landed, the table would lack them."),
		"",
		option(s, w, assumeLostKey, "They did not land.", "The resume sends them again (--assume-lost). If they had "+
			"landed, the table would hold them twice."),
	}
	return strings.Join(lines, "\n")
}

// option is one answer: its key, then its meaning, wrapped under it.
func option(s *Styles, w int, key, head, body string) string {
	text := wrap(head+" "+body, w-5)
	first, rest, _ := strings.Cut(text, "\n")
	out := "  " + s.HelpKey.Render(key) + "  " + first
	if rest != "" {
		out += "\n" + indent(rest, "     ")
	}
	return out
}

// help is the question's help line.
func (q *assumeQuestion) help(s *Styles, w int, k *KeyMap) string {
	return s.helpLine(w, keyHelp(k.Yes, assumeSentKey, "they landed"), keyHelp(k.No, assumeLostKey, "they did not"), keyHelp(k.Back, "esc", "not now"))
}
