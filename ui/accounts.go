package ui

import (
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// accounts is the first screen: pick a saved account (the one used last on
// top) or add a new one.
type accounts struct {
	c       *Common
	list    *picker
	loaded  bool
	err     error
	busy    busy
	prompts chan string
}

type (
	accountsMsg struct {
		gen  int
		list []AccountSummary
		err  error
	}
	openedMsg struct {
		gen     int
		account AccountSummary
		err     error
	}
)

const addNew = "+ Add a new account"

func newAccounts(c *Common) *accounts {
	return &accounts{c: c, list: newPicker(accountItems(nil)), busy: newBusy(c.styles)}
}

func (a *accounts) Title() string { return "1/7 Account" }

func (a *accounts) Init() tea.Cmd {
	ctx, gen, tick := a.busy.start(a.c, "Reading saved accounts…")
	b := a.c.backend
	return tea.Batch(tick, func() tea.Msg {
		list, err := b.Accounts(ctx)
		return accountsMsg{gen, list, err}
	})
}

func (a *accounts) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case accountsMsg:
		if !a.busy.current(msg.gen) {
			return a, nil
		}
		a.busy.done()
		a.loaded, a.err = true, msg.err
		a.list.setItems(accountItems(msg.list))
		return a, nil
	case openedMsg:
		if !a.busy.current(msg.gen) {
			return a, nil
		}
		a.busy.done()
		if msg.err != nil {
			// Let the user mend the saved account: its fields, the advice beside
			// the one at fault.
			return a, func() tea.Msg { return addAccountMsg{fill: fillFrom(msg.account), err: msg.err} }
		}
		return a, func() tea.Msg { return accountReadyMsg{msg.account} }
	case deviceCodeMsg:
		return a, a.busy.onPrompt(msg, a.prompts)
	case tea.KeyPressMsg:
		return a, a.key(msg)
	}
	return a, a.busy.update(msg)
}

func (a *accounts) key(msg tea.KeyPressMsg) tea.Cmd {
	k := a.c.keys
	switch {
	case a.busy.active():
		if keyIs(msg, k.Back) {
			a.busy.stop()
			if !a.loaded {
				return back
			}
		}
		return nil
	case keyIs(msg, k.Retry) && a.err != nil:
		return a.Init()
	case msg.String() == "esc" && a.list.filter != "":
		a.list.update(keyMsgCtrlU)
		return nil
	case keyIs(msg, k.Back):
		return back
	case keyIs(msg, k.Troubleshoot):
		return troubleshootCmd(Target{Account: a.highlighted()})
	case keyIs(msg, k.History):
		account := a.highlighted()
		return func() tea.Msg { return historyMsg{account} }
	case keyIs(msg, k.Next):
		it := a.list.selected()
		if it == nil {
			return nil
		}
		acc, ok := it.value.(AccountSummary)
		if !ok {
			return func() tea.Msg { return addAccountMsg{} }
		}
		return a.open(acc)
	}
	a.list.update(msg)
	return nil
}

func (a *accounts) open(acc AccountSummary) tea.Cmd {
	ctx, gen, tick := a.busy.start(a.c, "Signing in as "+acc.Name+"…")
	a.prompts = make(chan string, 1)
	prompts, b := a.prompts, a.c.backend
	return tea.Batch(tick, a.busy.waitPrompt(prompts, gen), func() tea.Msg {
		defer close(prompts)
		got, err := b.OpenAccount(ctx, acc.Name, prompts)
		if err != nil {
			got = acc
		}
		return openedMsg{gen, got, err}
	})
}

func (a *accounts) View() string {
	s := a.c.styles
	if a.busy.active() {
		return a.busy.view(s, a.c.width)
	}
	var b strings.Builder
	b.WriteString("Which account should sign in to Power BI?\n")
	b.WriteString(s.Hint.Render("Saved accounts keep their secrets in the OS keyring; the one used last is first.") + "\n\n")
	if a.err != nil {
		b.WriteString(s.Error.Render("✗ Could not read the saved accounts: "+a.err.Error()) + "\n")
		b.WriteString(s.Advice.Render("  ctrl+r retries; you can still add a new account.") + "\n\n")
	}
	b.WriteString(a.list.view(s, true, a.c.width, a.c.bodyHeight()-4))
	return b.String()
}

func (a *accounts) Help() string {
	k := a.c.keys
	if a.busy.active() {
		return a.c.styles.helpLine(a.c.width, k.Back, k.Quit)
	}
	if a.err != nil {
		return a.c.styles.helpLine(a.c.width, k.Up, keyHelp(k.Next, "enter", "choose"), k.Retry, k.Troubleshoot, k.History, k.Quit)
	}
	return a.c.styles.helpLine(a.c.width, k.Up, keyHelp(k.Next, "enter", "choose"), k.Troubleshoot, k.History, k.Quit)
}

// accountItems lists the accounts, most recently used first, then "add new".
func accountItems(list []AccountSummary) []pickItem {
	list = slices.Clone(list)
	slices.SortStableFunc(list, func(x, y AccountSummary) int { return y.LastUsed.Compare(x.LastUsed) })
	items := make([]pickItem, 0, len(list)+1)
	for _, acc := range list {
		detail := acc.Username
		if detail == "" {
			detail = "app " + acc.ClientID
		}
		detail += " · " + acc.Method
		if acc.Cloud != "" && acc.Cloud != "public" {
			detail += " · " + acc.Cloud
		}
		items = append(items, pickItem{title: acc.Name, detail: detail, value: acc})
	}
	return append(items, pickItem{title: addNew})
}

// fillFrom turns a saved account into Credentials to mend (no secrets).
func fillFrom(a AccountSummary) Credentials {
	return Credentials{Name: a.Name, Method: a.Method, Cloud: a.Cloud, TenantID: a.TenantID, ClientID: a.ClientID, Username: a.Username}
}

// highlighted is the name of the account under the cursor, "" on "add new".
func (a *accounts) highlighted() string {
	if it := a.list.selected(); it != nil {
		if acc, ok := it.value.(AccountSummary); ok {
			return acc.Name
		}
	}
	return ""
}
