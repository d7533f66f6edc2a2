package ui

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// details is the seed's Details pane: Select Group from the live list of
// workspaces, Dataset Name (the workspace's push datasets offered), Table
// Name, the update mode, and the retention of a new dataset.
type details struct {
	c   *Common
	req Request

	groups    *picker
	loaded    bool
	groupsErr error
	group     *Workspace

	datasets    []string
	datasetsErr error
	loadingSets busy

	fields []*field // dataset, table, mode, retention
	focus  int      // 0 = the group list, 1… = fields[focus-1]
	busy   busy
	notice string
}

type (
	workspacesMsg struct {
		gen  int
		list []Workspace
		err  error
	}
	datasetsMsg struct {
		gen  int
		list []string
		err  error
	}
)

const (
	fieldDataset   = "dataset"
	fieldTable     = "table"
	fieldMode      = "mode"
	fieldRetention = "retention"
)

func newDetails(c *Common, req Request, report InputReport) *details {
	s := c.styles
	d := &details{c: c, req: req, groups: newPicker(nil), busy: newBusy(s), loadingSets: newBusy(s), fields: []*field{
		newField(s, fieldDataset, "Dataset Name", "A push dataset of this workspace, or a new one (created on push); tab completes", true, checkDatasetName),
		newField(s, fieldTable, "Table Name", "Letters, digits, space and # - @ ^ _ ~; up to 100 characters", true, checkTableName),
		newChoice(fieldMode, "Update mode", "replace deletes the table's rows, then writes; append adds to them", "replace", "append"),
		newChoice(fieldRetention, "Retention (new dataset)", "none keeps up to 5,000,000 rows; fifo keeps the newest 200,000", "none", "fifo"),
	}}
	name := strings.TrimSuffix(report.Name, filepath.Ext(report.Name))
	d.fields[0].setValue(name)
	d.fields[1].setValue(tableName(name))
	d.fields[0].input.ShowSuggestions = true
	return d
}

// tableName makes a valid default table name from the input's name.
func tableName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if checkTableName(string(r)) == nil {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	if b.Len() == 0 {
		return "Table1"
	}
	return truncate(b.String(), 100)
}

func (d *details) Title() string { return "4/7 Details" }

func (d *details) Init() tea.Cmd { return d.loadGroups() }

func (d *details) loadGroups() tea.Cmd {
	ctx, gen, tick := d.busy.start(d.c, "Loading your workspaces…")
	b, account := d.c.backend, d.req.Account
	d.groupsErr = nil
	return tea.Batch(tick, func() tea.Msg {
		list, err := b.Workspaces(ctx, account)
		return workspacesMsg{gen, list, err}
	})
}

func (d *details) loadDatasets() tea.Cmd {
	ctx, gen, tick := d.loadingSets.start(d.c, "Loading the push datasets of "+d.group.Name+"…")
	b, account, id := d.c.backend, d.req.Account, d.group.ID
	d.datasets, d.datasetsErr = nil, nil
	return tea.Batch(tick, func() tea.Msg {
		list, err := b.Datasets(ctx, account, id)
		return datasetsMsg{gen, list, err}
	})
}

func (d *details) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case workspacesMsg:
		if !d.busy.current(msg.gen) {
			return d, nil
		}
		d.busy.done()
		d.loaded, d.groupsErr = true, msg.err
		d.groups.setItems(workspaceItems(msg.list))
		return d, nil
	case datasetsMsg:
		if !d.loadingSets.current(msg.gen) {
			return d, nil
		}
		d.loadingSets.done()
		d.datasets, d.datasetsErr = msg.list, msg.err
		d.fields[0].input.SetSuggestions(msg.list)
		return d, nil
	case tea.KeyPressMsg:
		return d, d.key(msg)
	case tea.PasteMsg:
		if d.focus > 0 {
			return d, d.fields[d.focus-1].update(msg)
		}
		return d, nil
	}
	return d, tea.Batch(d.busy.update(msg), d.loadingSets.update(msg))
}

func (d *details) key(msg tea.KeyPressMsg) tea.Cmd {
	d.notice = ""
	k := msg.String()
	switch {
	case k == "esc" && d.focus == 0 && d.groups.filter != "":
		d.groups.update(keyMsgCtrlU) // esc first clears the filter
		return nil
	case k == "esc":
		d.busy.stop()
		d.loadingSets.stop()
		return back
	case keyIs(msg, d.c.keys.Troubleshoot):
		t := requestTarget(d.req)
		if d.group != nil {
			t.WorkspaceID, t.WorkspaceName = d.group.ID, d.group.Name
		}
		return troubleshootCmd(t)
	case k == "ctrl+r":
		if d.groupsErr != nil || (d.focus == 0 && !d.busy.active()) {
			return d.loadGroups()
		}
		if d.datasetsErr != nil && d.group != nil {
			return d.loadDatasets()
		}
		return nil
	case d.focus == 0:
		return d.groupKey(msg)
	case k == "enter":
		return d.submit()
	case k == "tab" && d.focus == 1 && d.canComplete():
		return d.fields[0].update(msg)
	case k == "tab" || k == "down":
		return d.move(+1)
	case k == "shift+tab" || k == "up":
		return d.move(-1)
	}
	return d.fields[d.focus-1].update(msg)
}

func (d *details) groupKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter", "tab":
		if d.busy.active() {
			return nil
		}
		it := d.groups.selected()
		if it == nil {
			if d.group != nil && msg.String() == "tab" {
				return d.move(+1)
			}
			return nil
		}
		w := it.value.(Workspace)
		switch {
		case w.Unavailable != "":
			d.notice = w.Name + " cannot be chosen: " + w.Unavailable
			return nil
		case it.off:
			d.notice = it.title + " is read-only for you: pick a workspace where you are Admin, Member or Contributor."
			return nil
		}
		changed := d.group == nil || d.group.ID != w.ID
		d.group = &w
		cmd := d.move(+1)
		if changed {
			return tea.Batch(cmd, d.loadDatasets())
		}
		return cmd
	case "shift+tab":
		return back
	}
	d.groups.update(msg)
	return nil
}

// canComplete: tab accepts an offered dataset name before moving on.
func (d *details) canComplete() bool {
	f := d.fields[0]
	return f.input.CurrentSuggestion() != "" && f.input.CurrentSuggestion() != f.input.Value()
}

func (d *details) visible(i int) bool {
	if i == 0 || d.fields[i-1].id != fieldRetention {
		return true
	}
	return d.isNew()
}

// isNew reports whether the dataset will be created.
func (d *details) isNew() bool { return !slices.Contains(d.datasets, d.fields[0].value()) }

func (d *details) move(dir int) tea.Cmd {
	for i := d.focus + dir; i >= 0 && i <= len(d.fields); i += dir {
		if d.visible(i) {
			if d.focus > 0 {
				d.fields[d.focus-1].blur()
			}
			d.focus = i
			if i > 0 {
				return d.fields[i-1].focus()
			}
			return nil
		}
	}
	if dir < 0 {
		return back
	}
	return nil
}

// submit is enter on a field: the next field, or on the last one the review.
func (d *details) submit() tea.Cmd {
	if f := d.fields[d.focus-1]; d.invalid(f) {
		return nil
	}
	if d.focus < d.lastVisible() {
		return d.move(+1)
	}
	if d.group == nil {
		d.focus = 0
		d.notice = "Select a group (workspace) first."
		return nil
	}
	for i, f := range d.fields {
		if d.visible(i+1) && d.invalid(f) {
			return d.moveTo(i + 1)
		}
	}
	r := d.req
	r.WorkspaceID, r.WorkspaceName = d.group.ID, d.group.Name
	r.Dataset, r.Table, r.Mode = d.fields[0].value(), d.fields[1].value(), d.fields[2].value()
	r.Retention = ""
	if d.isNew() {
		r.Retention = d.fields[3].value()
	}
	return func() tea.Msg { return detailsReadyMsg{r} }
}

func (d *details) invalid(f *field) bool {
	f.validate()
	if f.missing() && f.err == nil {
		f.err = errors.New("required")
	}
	return f.err != nil
}

func (d *details) lastVisible() int {
	for i := len(d.fields); i > 0; i-- {
		if d.visible(i) {
			return i
		}
	}
	return 0
}

func (d *details) moveTo(i int) tea.Cmd {
	if d.focus > 0 {
		d.fields[d.focus-1].blur()
	}
	d.focus = i
	return d.fields[i-1].focus()
}

// workspaceItems are the workspaces by name, My workspace first.
func workspaceItems(list []Workspace) []pickItem {
	var items, personal []pickItem
	for _, w := range list {
		it := pickItem{title: w.Name, value: w}
		switch {
		case w.Personal && w.Unavailable != "":
			it.detail, it.note, it.off = "personal", "not for a service principal", true
		case w.Personal:
			it.detail = "personal"
		case w.Unavailable != "":
			it.note, it.off = "unavailable", true
		case w.ReadOnly:
			it.note, it.off = "read-only for you", true
		}
		if w.Personal {
			personal = append(personal, it)
		} else {
			items = append(items, it)
		}
	}
	slices.SortStableFunc(items, func(a, b pickItem) int { return strings.Compare(strings.ToLower(a.title), strings.ToLower(b.title)) })
	return append(personal, items...)
}

func (d *details) View() string {
	s, w := d.c.styles, d.c.width
	var lines []string
	label := "Select Group"
	switch {
	case d.focus == 0:
		lines = append(lines, s.Focused.Render("› "+label)+"  "+s.Hint.Render("the workspace to write to; read-only ones cannot be chosen"))
		switch {
		case d.busy.active():
			lines = append(lines, "  "+d.busy.view(s, w))
		case d.groupsErr != nil:
			lines = append(lines, indent(s.Error.Render(wrap("✗ Could not list the workspaces: "+d.groupsErr.Error(), w-2)), "  "),
				"  "+s.Advice.Render("ctrl+r retries; ctrl+t troubleshoots (network, sign-in, permissions)"))
		default:
			lines = append(lines, d.groups.view(s, true, w, max(d.c.bodyHeight()-10, 3)), "")
			if it := d.groups.selected(); it != nil {
				if ws, ok := it.value.(Workspace); ok && ws.Unavailable != "" {
					lines = append(lines, indent(s.Warn.Render(wrap(ws.Name+": "+ws.Unavailable, w-2)), "  "), "")
				}
			}
		}
	default:
		name := d.group.Name
		lines = append(lines, "  "+padRight(label, labelWidth)+name)
	}
	for i, f := range d.fields {
		if d.visible(i + 1) {
			lines = append(lines, f.view(s, d.focus == i+1, w))
		}
		if f.id == fieldDataset && d.group != nil {
			lines = append(lines, "    "+d.datasetsLine())
		}
	}
	if d.focus > 0 {
		lines = append(lines, "", s.Hint.Render(truncate(d.fields[d.focus-1].hint, w)))
	}
	if d.notice != "" {
		lines = append(lines, "", s.Warn.Render(wrap(d.notice, w)))
	}
	return strings.Join(lines, "\n")
}

// datasetsLine says what exists in the chosen workspace, and whether the
// dataset will be created.
func (d *details) datasetsLine() string {
	s := d.c.styles
	switch {
	case d.loadingSets.active():
		return d.loadingSets.view(s, d.c.width)
	case d.datasetsErr != nil:
		return s.Error.Render(truncate("✗ could not list its datasets: "+d.datasetsErr.Error()+" (ctrl+r retries)", d.c.width-4))
	}
	var out string
	if len(d.datasets) == 0 {
		out = s.Hint.Render("no push datasets in " + d.group.Name + " yet")
	} else {
		out = s.Hint.Render("existing: ") + strings.Join(d.datasets, ", ")
	}
	if d.isNew() {
		out += s.Warn.Render("  (new: will be created)")
	}
	return truncate(out, d.c.width-4)
}

func (d *details) Help() string {
	k, s, w := d.c.keys, d.c.styles, d.c.width
	if d.focus == 0 && d.groupsErr != nil {
		return s.helpLine(w, k.Retry, k.Troubleshoot, k.Back, k.Quit)
	}
	if d.focus == 0 {
		return s.helpLine(w, keyHelp(k.Up, "↑/↓", "move"), keyHelp(k.NextItem, "type", "filter"), keyHelp(k.Next, "enter", "choose"), k.Retry, k.Back, k.Quit)
	}
	if d.fields[d.focus-1].options != nil {
		return s.helpLine(w, k.Change, keyHelp(k.NextItem, "tab/↓", "next field"), k.Next, k.Back, k.Quit)
	}
	return s.helpLine(w, keyHelp(k.NextItem, "tab/↓", "next field"), k.Next, k.Back, k.Quit)
}
