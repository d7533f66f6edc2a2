package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// KeyMap is every key the wizard answers to; screens pick theirs for the help
// line.
type KeyMap struct {
	Next     key.Binding
	Back     key.Binding
	Quit     key.Binding
	Up       key.Binding
	Down     key.Binding
	NextItem key.Binding
	Change   key.Binding
	Complete key.Binding
	Retry    key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Yes      key.Binding
	No       key.Binding
	New      key.Binding
	// Troubleshoot opens the doctor's checks; History the recorded runs.
	Troubleshoot key.Binding
	History      key.Binding
	Resume       key.Binding
}

// DefaultKeyMap is the wizard's keymap.
func DefaultKeyMap() *KeyMap {
	return &KeyMap{
		Next:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next")),
		Back:     key.NewBinding(key.WithKeys("esc", "shift+tab"), key.WithHelp("esc", "back")),
		Quit:     key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Up:       key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "move")),
		Down:     key.NewBinding(key.WithKeys("down")),
		NextItem: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next field")),
		Change:   key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "change")),
		Complete: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "complete")),
		Retry:    key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "retry")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup/pgdn", "scroll")),
		PageDown: key.NewBinding(key.WithKeys("pgdown")),
		Yes:      key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:       key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "no")),
		New:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new writeback")),
		// Control keys: most screens have a field or a filter that takes
		// letters. ctrl+h would be backspace in many terminals, so ctrl+o.
		Troubleshoot: key.NewBinding(key.WithKeys("ctrl+t"), key.WithHelp("ctrl+t", "troubleshoot")),
		History:      key.NewBinding(key.WithKeys("ctrl+o"), key.WithHelp("ctrl+o", "history")),
		Resume:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "resume")),
	}
}

// helpLine renders bindings as "key action · key action".
func (s *Styles) helpLine(width int, bindings ...key.Binding) string {
	out := ""
	for _, b := range bindings {
		h := b.Help()
		if h.Key == "" {
			continue
		}
		part := s.HelpKey.Render(h.Key) + " " + s.Help.Render(h.Desc)
		if out != "" {
			part = s.Help.Render(" · ") + part
		}
		if width > 0 && lipglossWidth(out+part) > width {
			break
		}
		out += part
	}
	return out
}

// keyIs reports whether msg matches b.
func keyIs(msg tea.KeyPressMsg, b key.Binding) bool { return key.Matches(msg, b) }

// keyHelp relabels a binding for one screen's help line.
func keyHelp(b key.Binding, k, desc string) key.Binding {
	b.SetHelp(k, desc)
	return b
}
