package ui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// field is one labelled line of a form: a text input, or (with options) a
// choice changed with ←/→. It validates as the user types and can carry the
// advice of a backend error that concerns it.
type field struct {
	id       string // a Field* constant, or a screen's own name
	label    string
	hint     string // one line: where to find the value
	required bool
	check    func(string) error

	input   textinput.Model
	options []string // a choice field when not nil
	choice  int

	err    error  // from check, as typed
	advice string // from the backend, shown beside the field
}

const labelWidth = 33

func newField(s *Styles, id, label, hint string, required bool, check func(string) error) *field {
	in := textinput.New()
	in.Prompt = ""
	in.SetStyles(s.Input)
	in.CharLimit = 1024
	return &field{id: id, label: label, hint: hint, required: required, check: check, input: in}
}

func newChoice(id, label, hint string, options ...string) *field {
	return &field{id: id, label: label, hint: hint, options: options}
}

func (f *field) secret() *field {
	f.input.EchoMode = textinput.EchoPassword
	f.input.EchoCharacter = '•'
	return f
}

func (f *field) value() string {
	if f.options != nil {
		return f.options[f.choice]
	}
	return strings.TrimSpace(f.input.Value())
}

func (f *field) setValue(v string) {
	if f.options != nil {
		for i, o := range f.options {
			if o == v {
				f.choice = i
			}
		}
		return
	}
	f.input.SetValue(v)
	f.validate()
}

func (f *field) validate() {
	f.err = nil
	if f.check != nil && f.options == nil {
		f.err = f.check(f.value())
	}
}

// missing reports a required field left empty.
func (f *field) missing() bool { return f.required && f.value() == "" }

func (f *field) focus() tea.Cmd {
	if f.options != nil {
		return nil
	}
	return f.input.Focus()
}

func (f *field) blur() { f.input.Blur() }

// update handles a key for the focused field; it clears stale advice once
// the value changes.
func (f *field) update(msg tea.Msg) tea.Cmd {
	if f.options != nil {
		if k, ok := msg.(tea.KeyPressMsg); ok {
			switch k.String() {
			case "left":
				f.choice = (f.choice + len(f.options) - 1) % len(f.options)
				f.advice = ""
			case "right", "space":
				f.choice = (f.choice + 1) % len(f.options)
				f.advice = ""
			}
		}
		return nil
	}
	before := f.input.Value()
	var cmd tea.Cmd
	f.input, cmd = f.input.Update(msg)
	if f.input.Value() != before {
		f.advice = ""
		f.validate()
	}
	return cmd
}

// view draws the field's line, then its error and advice (wrapped) below it.
func (f *field) view(s *Styles, focused bool, width int) string {
	mark, label := "  ", s.Label.Render(padRight(f.label, labelWidth))
	if focused {
		mark, label = s.Focused.Render("› "), s.Focused.Render(padRight(f.label, labelWidth))
	}
	var val string
	if f.options != nil {
		val = f.choiceView(s, focused, width-labelWidth-2)
	} else {
		f.input.SetWidth(max(width-labelWidth-4, 8))
		val = f.input.View()
	}
	lines := []string{mark + label + val}
	if f.err != nil {
		lines = append(lines, hanging(s.Error, "✗ ", f.err.Error(), width))
	}
	for i, part := range strings.Split(f.advice, "\n") {
		if part == "" {
			continue
		}
		prefix := "! "
		if i > 0 {
			prefix = "→ "
		}
		lines = append(lines, hanging(s.Advice, prefix, part, width))
	}
	return strings.Join(lines, "\n")
}

// choiceView shows the options, the chosen one in brackets; when they do
// not fit in width, the chosen one and as many neighbours as fit, with "…"
// where options are left out.
func (f *field) choiceView(s *Styles, focused bool, width int) string {
	if !focused {
		return f.options[f.choice]
	}
	plain := make([]string, len(f.options))
	total := 0
	for i, o := range f.options {
		if i == f.choice {
			plain[i] = "[" + o + "]"
		} else {
			plain[i] = " " + o + " "
		}
		total += lipglossWidth(plain[i])
	}
	lo, hi := 0, len(f.options) // the options shown: [lo, hi)
	if total > width {
		lo, hi = f.choice, f.choice+1
		used := lipglossWidth(plain[f.choice]) + 2 // room for "…" at both ends
		for grew := true; grew; {
			grew = false
			if hi < len(f.options) && used+lipglossWidth(plain[hi]) <= width {
				used += lipglossWidth(plain[hi])
				hi, grew = hi+1, true
			}
			if lo > 0 && used+lipglossWidth(plain[lo-1]) <= width {
				used += lipglossWidth(plain[lo-1])
				lo, grew = lo-1, true
			}
		}
	}
	var b strings.Builder
	if lo > 0 {
		b.WriteString(s.Hint.Render("…"))
	}
	for i := lo; i < hi; i++ {
		if i == f.choice {
			b.WriteString(s.Selected.Render(plain[i]))
		} else {
			b.WriteString(s.Hint.Render(plain[i]))
		}
	}
	if hi < len(f.options) {
		b.WriteString(s.Hint.Render("…"))
	}
	return b.String()
}

func padRight(s string, w int) string {
	if n := lipglossWidth(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return truncate(s, w-1) + " "
}

// hanging renders "    ✗ text" wrapped to width, continuation lines
// indented under the text rather than under the mark.
func hanging(st lipgloss.Style, mark, text string, width int) string {
	lines := strings.Split(wrap(text, width-6), "\n")
	for i, l := range lines {
		lead := "      "
		if i == 0 {
			lead = "    " + mark
		}
		lines[i] = st.Render(lead + l)
	}
	return strings.Join(lines, "\n")
}
