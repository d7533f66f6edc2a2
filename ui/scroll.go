package ui

import (
	"fmt"
	"strings"
)

// scroller shows a window of lines that ↑/↓ and pgup/pgdn move, for screens
// whose text may be longer than the terminal (Troubleshoot, a run's details).
type scroller struct {
	top int // first line shown
}

// key moves the window; it reports whether the key was a scrolling one.
func (sc *scroller) key(k string, page int) bool {
	switch k {
	case "up":
		sc.top--
	case "down":
		sc.top++
	case "pgup":
		sc.top -= max(page-1, 1)
	case "pgdown":
		sc.top += max(page-1, 1)
	case "home":
		sc.top = 0
	case "end":
		sc.top = 1 << 30
	default:
		return false
	}
	return true
}

// window is the lines to draw in height rows, with a last row saying how
// many lines are below when they do not all fit.
func (sc *scroller) window(s *Styles, text []string, height int) []string {
	height = max(height, 2)
	var lines []string // one per row: an entry may hold several
	for _, t := range text {
		lines = append(lines, strings.Split(t, "\n")...)
	}
	if len(lines) <= height {
		sc.top = 0
		return lines
	}
	rows := height - 1
	sc.top = max(0, min(sc.top, len(lines)-rows))
	out := append([]string(nil), lines[sc.top:sc.top+rows]...)
	if below := len(lines) - sc.top - rows; below > 0 {
		return append(out, s.Hint.Render(fmt.Sprintf("↓ %d more lines (↓/pgdn)", below)))
	}
	return append(out, s.Hint.Render("(end; ↑/pgup scrolls back)"))
}
