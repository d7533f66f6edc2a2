package ui

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/pbiwb/pbiwb/format"
)

// input asks for the Domo DataSet ID or a local file, reads and validates the
// whole input, shows its schema, row count and every finding, and lets the
// user change a column's type.
type input struct {
	c       *Common
	account string
	hasDomo bool
	path    *field
	busy    busy

	report    *InputReport
	err       error
	sheet     string            // the workbook's sheet to read ("" its first)
	overrides map[string]string // column → type, as chosen here
	inspected map[string]string // the overrides the report was made with
	col       int               // the column under the cursor
	onTable   bool              // focus on the column table, not the field
	findTop   int               // first finding shown
	notice    string

	completeGen int
	candidates  []string
}

type (
	inspectedMsg struct {
		gen    int
		report InputReport
		err    error
	}
	completedMsg struct {
		gen     int
		typed   string
		matches []string
	}
)

// PowerBITypes are the column types a push dataset takes.
var PowerBITypes = []string{"Int64", "Double", "Decimal", "Boolean", "Datetime", "String"}

func newInput(c *Common, account string, hasDomo bool) *input {
	f := newField(c.styles, "input", "Domo DataSet ID or file", "A Domo DataSet ID, or a CSV, TSV, Excel, Parquet or JSONL file; tab completes", true, nil)
	if c.inputSuggestion != "" {
		f.setValue(c.inputSuggestion)
		f.input.CursorEnd()
	}
	return &input{c: c, account: account, hasDomo: hasDomo, path: f, busy: newBusy(c.styles), overrides: map[string]string{}}
}

func (in *input) Title() string { return "3/7 Input" }

func (in *input) Init() tea.Cmd { return in.path.focus() }

func (in *input) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case inspectedMsg:
		if !in.busy.current(msg.gen) {
			return in, nil
		}
		in.busy.done()
		in.err = msg.err
		if msg.err != nil {
			in.report = nil
			return in, nil
		}
		in.report = &msg.report
		in.col, in.findTop = min(in.col, max(len(msg.report.Columns)-1, 0)), 0
		in.onTable = len(msg.report.Columns) > 0 || len(msg.report.Sheets) > 1
		if in.onTable {
			in.path.blur()
		}
		return in, nil
	case completedMsg:
		if msg.gen == in.completeGen && msg.typed == in.path.input.Value() {
			in.applyCompletion(msg)
		}
		return in, nil
	case tea.KeyPressMsg:
		return in, in.key(msg)
	case tea.PasteMsg:
		if !in.onTable {
			return in, in.edit(msg)
		}
	}
	return in, in.busy.update(msg)
}

func (in *input) key(msg tea.KeyPressMsg) tea.Cmd {
	in.notice = ""
	switch k := msg.String(); {
	case in.busy.active():
		if k == "esc" {
			in.busy.stop()
		}
		return nil
	case k == "esc":
		return back
	case k == "enter":
		return in.next()
	case k == "pgdown" || k == "pgup":
		if in.report != nil {
			step := map[string]int{"pgdown": 5, "pgup": -5}[k]
			in.findTop = max(0, min(in.findTop+step, len(in.report.Findings)-1))
		}
		return nil
	case k == "shift+tab":
		if in.onTable {
			in.onTable = false
			return in.path.focus()
		}
		return back
	case in.onTable:
		return in.tableKey(k)
	case k == "tab" && isGUID(in.path.value()):
		if in.report != nil && len(in.report.Columns) > 0 {
			in.onTable = true
			in.path.blur()
		}
		return nil
	case k == "tab":
		return in.complete()
	}
	return in.edit(msg)
}

// edit changes the path; the old report no longer applies.
func (in *input) edit(msg tea.Msg) tea.Cmd {
	before := in.path.input.Value()
	cmd := in.path.update(msg)
	if in.path.input.Value() != before {
		in.report, in.err, in.candidates = nil, nil, nil
		in.overrides = map[string]string{}
		in.inspected, in.sheet = nil, ""
	}
	return cmd
}

func (in *input) tableKey(k string) tea.Cmd {
	cols := in.report.Columns
	if len(cols) == 0 && k != "tab" && k != "[" && k != "]" {
		return nil // an empty sheet: only another sheet, or another input
	}
	switch k {
	case "up":
		in.col = max(in.col-1, 0)
	case "down":
		in.col = min(in.col+1, len(cols)-1)
	case "tab":
		in.onTable = false
		return in.path.focus()
	case "[", "]":
		// another sheet of the workbook: read it (its own columns)
		if n := len(in.report.Sheets); n > 1 {
			i := slices.Index(in.report.Sheets, in.report.Sheet)
			d := map[string]int{"[": -1, "]": 1}[k]
			in.sheet = in.report.Sheets[(i+d+n)%n]
			in.overrides, in.col = map[string]string{}, 0
			return in.inspect()
		}
	case "left", "right":
		col := cols[in.col]
		i := slices.Index(PowerBITypes, in.typeOf(col))
		d := map[string]int{"left": -1, "right": 1}[k]
		t := PowerBITypes[(i+d+len(PowerBITypes))%len(PowerBITypes)]
		if t == col.Type && in.inspected[col.Name] == "" {
			delete(in.overrides, col.Name)
		} else {
			in.overrides[col.Name] = t
		}
	}
	return nil
}

// typeOf is a column's type as the user sees it: their choice, else the report's.
func (in *input) typeOf(col Column) string {
	if t, ok := in.overrides[col.Name]; ok {
		return t
	}
	return col.Type
}

func (in *input) dirty() bool { return !maps.Equal(in.overrides, in.inspected) }

// next inspects (again, after a type change), or moves on when the input is
// clean.
func (in *input) next() tea.Cmd {
	if in.path.value() == "" {
		in.path.err = fmt.Errorf("required")
		return nil
	}
	if in.report == nil || in.dirty() {
		return in.inspect()
	}
	if n := len(in.report.Findings); n > 0 {
		in.notice = fmt.Sprintf("%s to fix first: change a column's type (←/→) or correct the input.", format.Count(n, "finding"))
		return nil
	}
	report, overrides := *in.report, maps.Clone(in.overrides)
	return func() tea.Msg { return inputReadyMsg{report, overrides} }
}

func (in *input) inspect() tea.Cmd {
	ref := inputRef(in.path.value())
	if strings.HasPrefix(ref, "domo:") && !in.hasDomo {
		in.notice = "This account has no Domo client; if reading fails, add the Domo Client ID and Secret to the account."
	}
	ctx, gen, tick := in.busy.start(in.c, "Reading and validating the whole input…")
	overrides, b, account, sheet := maps.Clone(in.overrides), in.c.backend, in.account, in.sheet
	in.inspected = overrides
	return tea.Batch(tick, func() tea.Msg {
		r, err := b.InspectInput(ctx, account, ref, sheet, overrides)
		return inspectedMsg{gen, r, err}
	})
}

// complete lists the directory of the typed path (in a command: it is I/O).
func (in *input) complete() tea.Cmd {
	typed := in.path.input.Value()
	in.completeGen = in.c.nextGen()
	gen, readDir := in.completeGen, in.c.readDir
	return func() tea.Msg {
		dir, base := filepath.Split(typed)
		list := dir
		if list == "" {
			list = "."
		}
		entries, err := readDir(list)
		if err != nil {
			return completedMsg{gen: gen, typed: typed}
		}
		var matches []string
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, base) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".")) {
				continue
			}
			if e.IsDir() {
				name += string(filepath.Separator)
			}
			matches = append(matches, dir+name)
		}
		return completedMsg{gen, typed, matches}
	}
}

func (in *input) applyCompletion(msg completedMsg) {
	in.candidates = nil
	switch len(msg.matches) {
	case 0:
		in.notice = "No file or folder starts with that."
		return
	case 1:
		in.path.setValue(msg.matches[0])
	default:
		in.path.setValue(commonPrefix(msg.matches))
		in.candidates = msg.matches
	}
	in.path.input.CursorEnd()
}

func commonPrefix(list []string) string {
	p := list[0]
	for _, s := range list[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

func (in *input) View() string {
	s, w := in.c.styles, in.c.width
	lines := []string{in.path.view(s, !in.onTable, w), "  " + s.Hint.Render(truncate(in.path.hint, w-2))}
	if len(in.candidates) > 0 {
		names := make([]string, len(in.candidates))
		for i, c := range in.candidates {
			names[i] = filepath.Base(c)
			if strings.HasSuffix(c, string(filepath.Separator)) {
				names[i] += string(filepath.Separator)
			}
		}
		lines = append(lines, "  "+truncate(strings.Join(names, "  "), w-2))
	}
	lines = append(lines, "")
	switch {
	case in.busy.active():
		lines = append(lines, in.busy.view(s, w))
	case in.err != nil:
		lines = append(lines, s.Error.Render(wrap("✗ "+in.err.Error(), w)))
	case in.report != nil:
		lines = append(lines, in.reportView()...)
	}
	if in.notice != "" {
		lines = append(lines, "", s.Warn.Render(wrap(in.notice, w)))
	}
	return strings.Join(lines, "\n")
}

// reportView: the summary, the column table (a window around the cursor),
// then the findings (scrolled with pgup/pgdn).
func (in *input) reportView() []string {
	s, w, r := in.c.styles, in.c.width, in.report
	lines := []string{fmt.Sprintf("%s · %s · %s · %s", s.Selected.Render(r.Name), r.Kind, format.Count(r.Rows, "row"), format.Count(len(r.Columns), "column"))}
	room := in.c.bodyHeight() - 6
	if len(r.Sheets) > 1 {
		var names []string
		for _, n := range r.Sheets {
			if n == r.Sheet {
				n = s.Selected.Render("‹" + n + "›")
			}
			names = append(names, n)
		}
		lines = append(lines, truncate("Sheets: "+strings.Join(names, "  ")+s.Hint.Render("   [ ] another sheet"), w))
		room--
	}
	colRows := min(len(r.Columns), max(room/2, 3))
	if len(r.Findings) == 0 {
		colRows = min(len(r.Columns), max(room-2, 3))
	}
	first := max(0, min(in.col-colRows/2, len(r.Columns)-colRows))
	lines = append(lines, s.Hint.Render(fmt.Sprintf("  %-32s %-10s %s", "Column", "Type", "from")))
	for i := first; i < first+colRows; i++ {
		col := r.Columns[i]
		t, origin := in.typeOf(col), col.Origin
		if t != col.Type {
			origin = "changed by you (enter re-checks)"
		}
		mark, name := "  ", truncate(col.Name, 32)
		row := fmt.Sprintf("%-32s %-10s %s", name, t, s.Hint.Render(origin))
		if in.onTable && i == in.col {
			mark = s.Focused.Render("› ")
			row = fmt.Sprintf("%s %s %s", s.Focused.Render(padRight(name, 32)), s.Selected.Render(padRight("‹"+t+"›", 10)), s.Hint.Render(origin))
		}
		lines = append(lines, truncate(mark+row, w))
	}
	if len(r.Findings) == 0 {
		lines = append(lines, s.OK.Render("✓ No findings: every row converts to its column's type."))
		return append(lines, in.warningLines(room-colRows-1)...)
	}
	lines = append(lines, s.Error.Render(fmt.Sprintf("✗ %s (nothing will be written until they are fixed):", format.Count(len(r.Findings), "finding"))))
	shown := max(room-colRows-1, 2)
	for i := in.findTop; i < len(r.Findings) && i < in.findTop+shown; i++ {
		lines = append(lines, truncate("  "+findingText(r.Findings[i]), w))
	}
	if rest := len(r.Findings) - in.findTop - shown; rest > 0 {
		lines = append(lines, s.Hint.Render(fmt.Sprintf("  … %d more (pgdn)", rest)))
	}
	return lines
}

// warningLines are the scan's warnings, wrapped, in the room left (at least
// three lines); what does not fit is counted.
func (in *input) warningLines(room int) []string {
	s, w, warns := in.c.styles, in.c.width, in.report.Warnings
	room = max(room, 3)
	var lines []string
	for i, warn := range warns {
		wrapped := strings.Split(wrap("! "+warn, w), "\n")
		if len(lines)+len(wrapped) > room-1 && i < len(warns) {
			return append(lines, s.Hint.Render(fmt.Sprintf("  … %s more (pbiwb push --dry-run lists them)", format.Count(len(warns)-i, "warning"))))
		}
		for _, l := range wrapped {
			lines = append(lines, s.Warn.Render(l))
		}
	}
	return lines
}

func findingText(f Finding) string {
	var where []string
	if f.Line > 0 {
		where = append(where, fmt.Sprintf("line %d", f.Line))
	}
	if f.Column != "" {
		where = append(where, "column "+f.Column)
	}
	if len(where) == 0 {
		return f.Message
	}
	return strings.Join(where, ", ") + ": " + f.Message
}

func (in *input) Help() string {
	k, s, w := in.c.keys, in.c.styles, in.c.width
	switch {
	case in.busy.active():
		return s.helpLine(w, keyHelp(k.Back, "esc", "cancel"), k.Quit)
	case in.onTable:
		help := []key.Binding{k.Up, keyHelp(k.Change, "←/→", "change type")}
		if in.report != nil && len(in.report.Sheets) > 1 {
			help = append(help, keyHelp(k.Change, "[ ]", "sheet"))
		}
		return s.helpLine(w, append(help, k.Next, keyHelp(k.NextItem, "tab", "edit input"), k.PageUp, k.Back, k.Quit)...)
	}
	return s.helpLine(w, keyHelp(k.Next, "enter", "check"), k.Complete, k.Back, k.Quit)
}
