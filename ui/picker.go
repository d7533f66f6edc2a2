package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// pickItem is one row of a picker.
type pickItem struct {
	title  string
	detail string // dimmed, after the title
	note   string // a mark such as "read-only"
	off    bool   // shown but not choosable
	value  any
}

// picker is a short list filtered as you type (a plain substring match,
// case-insensitive), moved with ↑/↓. It is smaller than bubbles/list and has
// no keys of its own that quit or page away, which suits a wizard step.
type picker struct {
	items   []pickItem
	filter  string
	visible []int // indexes into items
	cursor  int   // index into visible
	offset  int   // first visible row drawn
}

func newPicker(items []pickItem) *picker {
	p := &picker{items: items}
	p.refilter()
	return p
}

func (p *picker) setItems(items []pickItem) {
	p.items = items
	p.refilter()
}

func (p *picker) refilter() {
	p.visible = p.visible[:0]
	f := strings.ToLower(p.filter)
	for i, it := range p.items {
		if f == "" || strings.Contains(strings.ToLower(it.title+" "+it.detail), f) {
			p.visible = append(p.visible, i)
		}
	}
	p.cursor = min(p.cursor, max(len(p.visible)-1, 0))
	// Prefer a choosable row.
	if len(p.visible) > 0 && p.items[p.visible[p.cursor]].off {
		for i, v := range p.visible {
			if !p.items[v].off {
				p.cursor = i
				break
			}
		}
	}
}

// keyMsgCtrlU clears a picker's filter.
var keyMsgCtrlU = tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}

// selected returns the row under the cursor, or nil.
func (p *picker) selected() *pickItem {
	if len(p.visible) == 0 {
		return nil
	}
	return &p.items[p.visible[p.cursor]]
}

// update handles ↑/↓, typing and backspace; it reports whether it used the key.
func (p *picker) update(msg tea.KeyPressMsg) bool {
	switch msg.String() {
	case "up", "ctrl+p":
		if p.cursor > 0 {
			p.cursor--
		}
	case "down", "ctrl+n":
		if p.cursor < len(p.visible)-1 {
			p.cursor++
		}
	case "backspace":
		if p.filter == "" {
			return false
		}
		r := []rune(p.filter)
		p.filter = string(r[:len(r)-1])
		p.refilter()
	case "ctrl+u":
		p.filter = ""
		p.refilter()
	default:
		if msg.Text == "" || msg.Mod&^tea.ModShift != 0 {
			return false
		}
		p.filter += msg.Text
		p.cursor = 0
		p.refilter()
	}
	return true
}

// view draws the filter line and at most height-1 rows around the cursor.
func (p *picker) view(s *Styles, focused bool, width, height int) string {
	var b strings.Builder
	filter := s.Hint.Render("type to filter")
	if p.filter != "" {
		filter = p.filter + s.Hint.Render(fmt.Sprintf("  (%d of %d)", len(p.visible), len(p.items)))
	}
	b.WriteString("  " + s.Hint.Render("Filter: ") + filter)
	rows := max(height-1, 1)
	if len(p.visible) > rows {
		rows = max(rows-1, 1) // room for "↓ N more"
	}
	if p.cursor < p.offset {
		p.offset = p.cursor
	}
	if p.cursor >= p.offset+rows {
		p.offset = p.cursor - rows + 1
	}
	p.offset = max(0, min(p.offset, len(p.visible)-rows))
	if len(p.visible) == 0 {
		b.WriteString("\n  " + s.Hint.Render("nothing matches"))
	}
	for i := p.offset; i < len(p.visible) && i < p.offset+rows; i++ {
		it := p.items[p.visible[i]]
		line := it.title
		if it.detail != "" {
			line += "  " + s.Hint.Render(it.detail)
		}
		if it.note != "" {
			line += "  " + s.Warn.Render("("+it.note+")")
		}
		mark := "  "
		if i == p.cursor && focused {
			mark = s.Focused.Render("› ")
			line = s.Focused.Render(it.title) + strings.TrimPrefix(line, it.title)
		}
		b.WriteString("\n" + truncate(mark+line, width))
	}
	if more := len(p.visible) - (p.offset + rows); more > 0 {
		b.WriteString("\n  " + s.Hint.Render(fmt.Sprintf("↓ %d more", more)))
	}
	return b.String()
}
