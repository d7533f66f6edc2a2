package ui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
)

// Styles is every style the wizard draws with, built once. With NoColor the
// styles carry no colour at all, and meaning never rests on colour alone: marks
// (›, ✗, ✓, !) and words carry it too.
type Styles struct {
	NoColor bool

	Title    lipgloss.Style // the app name in the header
	Step     lipgloss.Style // "3/7 Input"
	Label    lipgloss.Style // a field's label
	Focused  lipgloss.Style // the focused label or list row
	Hint     lipgloss.Style // one-line hints, muted text
	Error    lipgloss.Style // validation and backend errors
	Advice   lipgloss.Style // what to do about an error
	OK       lipgloss.Style // success marks
	Warn     lipgloss.Style // waits and warnings
	Help     lipgloss.Style // the key help line
	HelpKey  lipgloss.Style // a key in the help line
	Box      lipgloss.Style // framed text: device code message, command line
	Selected lipgloss.Style // a chosen option
	Spinner  lipgloss.Style

	Input textinput.Styles
}

// NewStyles builds the styles; noColor comes from the caller (NO_COLOR).
func NewStyles(noColor bool) *Styles {
	c := func(s lipgloss.Style, col string) lipgloss.Style {
		if noColor {
			return s
		}
		return s.Foreground(lipgloss.Color(col))
	}
	base := lipgloss.NewStyle()
	s := &Styles{
		NoColor:  noColor,
		Title:    c(base.Bold(true), "#7D56F4"),
		Step:     c(base, "245"),
		Label:    base,
		Focused:  c(base.Bold(true), "#7D56F4"),
		Hint:     c(base, "245"),
		Error:    c(base, "#FF5F5F"),
		Advice:   c(base, "#FFAF5F"),
		OK:       c(base, "#5FD787"),
		Warn:     c(base, "#FFD75F"),
		Help:     c(base, "241"),
		HelpKey:  c(base, "250"),
		Box:      c(base.Border(lipgloss.RoundedBorder()).Padding(0, 1), "252"),
		Selected: c(base.Bold(true), "#5FD7FF"),
		Spinner:  c(base, "#7D56F4"),
	}
	s.Input = textinput.DefaultStyles(true)
	if noColor {
		plain := textinput.StyleState{}
		s.Input.Focused, s.Input.Blurred = plain, plain
		s.Input.Cursor.Color = nil
	}
	// A steady cursor: blinking only adds redraws (and noise in tests).
	s.Input.Cursor.Blink = false
	return s
}

// bar draws a static progress bar of width cells for pct in [0, 1].
func (s *Styles) bar(pct float64, width int) string {
	full := int(pct*float64(width) + 0.5)
	full = max(0, min(full, width))
	return s.OK.Render(strings.Repeat("█", full)) + s.Hint.Render(strings.Repeat("░", width-full))
}
