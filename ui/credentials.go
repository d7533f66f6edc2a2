package ui

import (
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// credentials is the seed connector's Credentials pane plus the sign-in
// method and the cloud. Each field is checked as it is typed; sign-in runs
// behind a spinner and a failure's advice lands beside the field it concerns.
type credentials struct {
	c       *Common
	fields  []*field
	focus   int   // index into fields
	err     error // a failure no single field owns
	busy    busy
	prompts chan string

	signedIn    *AccountSummary // signed in, not yet saved
	askInsecure error           // the keyring is unavailable: offer the 0600 file
	showNotes   bool            // signed in with notes: shown until enter
	refused     map[string]bool // sign-in methods the tenant refused (MethodRefusal)
}

type (
	signedInMsg struct {
		gen     int
		account AccountSummary
		err     error
	}
	savedMsg struct {
		gen int
		err error
	}
)

var clouds = []string{"public", "usgov", "usgovhigh", "usgovdod", "china"}

func newCredentials(c *Common, fill Credentials, err error) *credentials {
	s := c.styles
	cr := &credentials{c: c, busy: newBusy(s), fields: []*field{
		newChoice(FieldMethod, "Sign-in method", "browser: MFA; password: as Domo's; device code: SSH; service principal: jobs", MethodBrowser, MethodPassword, MethodDeviceCode, MethodServicePrincipal),
		newChoice(FieldCloud, "Cloud", "Where your tenant lives: public for most; usgov… or china for national clouds", clouds...),
		newField(s, FieldAccountName, "Account name", "What pbiwb calls this account (pbiwb push --account NAME)", true, checkAccountName),
		newField(s, FieldClientID, "Azure Application Client ID", "Entra ID › App registrations › your app › Overview › Application (client) ID", true, checkGUID),
		newField(s, FieldClientSecret, "Azure Application Client Secret", "Your app › Certificates & secrets › the secret's Value (not its Secret ID)", false, checkSecret).secret(),
		newField(s, FieldCertificate, "Certificate file", "Instead of the secret: a PEM file (certificate and key) or a PFX file, uploaded to the app", false, nil),
		newField(s, FieldCertificatePassword, "Certificate password", "Only for a PFX file protected by a password", false, nil).secret(),
		newField(s, FieldTenantID, "Azure Tenant ID", "Entra ID › Overview › Tenant ID (or a domain like contoso.onmicrosoft.com)", true, checkTenant),
		newField(s, FieldUsername, "Username", "Entra ID › Users › the user › User principal name, e.g. name@contoso.com", true, checkUPN),
		newField(s, FieldPassword, "Password", "The user's Azure AD password; accounts with MFA need the device-code method", true, nil).secret(),
		newField(s, FieldDomoClientID, "Domo Client ID", "Domo inputs only: developer.domo.com › My Account › Manage Clients", false, nil),
		newField(s, FieldDomoClientSecret, "Domo Client Secret", "Domo inputs only: shown with the client in Manage Clients", false, nil).secret(),
	}}
	cr.fill(fill)
	cr.showError(err)
	return cr
}

func (cr *credentials) Title() string { return "2/7 Credentials" }

func (cr *credentials) Init() tea.Cmd { return cr.fields[cr.focus].focus() }

func (cr *credentials) get(id string) *field {
	if id == FieldAppRegistration {
		id = FieldClientID
	}
	for _, f := range cr.fields {
		if f.id == id {
			return f
		}
	}
	return nil
}

func (cr *credentials) fill(c Credentials) {
	if c.Name == "" {
		c.Name = "default"
	}
	if c.Method == "" {
		c.Method = MethodPassword
	}
	for id, v := range map[string]string{
		FieldMethod: c.Method, FieldCloud: c.Cloud, FieldAccountName: c.Name, FieldClientID: c.ClientID,
		FieldClientSecret: c.ClientSecret, FieldTenantID: c.TenantID, FieldUsername: c.Username,
		FieldPassword: c.Password, FieldDomoClientID: c.DomoClientID, FieldDomoClientSecret: c.DomoClientSecret,
		FieldCertificate: c.Certificate, FieldCertificatePassword: c.CertificatePassword,
	} {
		if v != "" {
			cr.get(id).setValue(v)
		}
	}
}

// visible reports whether a field applies to the chosen method.
func (cr *credentials) visible(f *field) bool {
	m := cr.get(FieldMethod).value()
	if (f.id == FieldCertificate || f.id == FieldCertificatePassword) && m != MethodServicePrincipal {
		return false
	}
	switch m {
	case MethodBrowser, MethodDeviceCode, MethodServicePrincipal:
		return f.id != FieldUsername && f.id != FieldPassword
	}
	return true
}

func (cr *credentials) creds() Credentials {
	v := func(id string) string {
		if f := cr.get(id); cr.visible(f) {
			return f.value()
		}
		return ""
	}
	return Credentials{
		Name: v(FieldAccountName), Method: v(FieldMethod), Cloud: v(FieldCloud), TenantID: v(FieldTenantID),
		ClientID: v(FieldClientID), ClientSecret: v(FieldClientSecret), Username: v(FieldUsername),
		Password: cr.get(FieldPassword).input.Value(), DomoClientID: v(FieldDomoClientID),
		DomoClientSecret: cr.get(FieldDomoClientSecret).input.Value(),
		Certificate:      v(FieldCertificate), CertificatePassword: v(FieldCertificatePassword),
	}
}

// showError puts a sign-in failure beside its field, or above the help line.
func (cr *credentials) showError(err error) {
	cr.err = nil
	if err == nil {
		return
	}
	var mr MethodRefusal
	if errors.As(err, &mr) && mr.MethodRefused() {
		if cr.refused == nil {
			cr.refused = map[string]bool{}
		}
		cr.refused[cr.get(FieldMethod).value()] = true
	}
	var fe FieldError
	if errors.As(err, &fe) {
		if f := cr.get(fe.Field()); f != nil && cr.visible(f) {
			f.advice = strings.TrimSpace(summary(fe) + "\n" + fe.Advice())
			cr.moveTo(cr.indexOf(f))
			return
		}
	}
	cr.err = err
}

func (cr *credentials) indexOf(f *field) int {
	for i, g := range cr.fields {
		if g == f {
			return i
		}
	}
	return 0
}

func (cr *credentials) moveTo(i int) tea.Cmd {
	cr.fields[cr.focus].blur()
	cr.focus = i
	return cr.fields[i].focus()
}

// step moves focus by dir over the visible fields; false at either end.
func (cr *credentials) step(dir int) (tea.Cmd, bool) {
	for i := cr.focus + dir; i >= 0 && i < len(cr.fields); i += dir {
		if cr.visible(cr.fields[i]) {
			return cr.moveTo(i), true
		}
	}
	return nil, false
}

func (cr *credentials) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case signedInMsg:
		if !cr.busy.current(msg.gen) {
			return cr, nil
		}
		cr.busy.done()
		if msg.err != nil {
			cr.showError(msg.err)
			return cr, nil
		}
		cr.signedIn = &msg.account
		return cr, cr.save(false)
	case savedMsg:
		if !cr.busy.current(msg.gen) {
			return cr, nil
		}
		cr.busy.done()
		switch {
		case errors.Is(msg.err, ErrKeyringUnavailable):
			cr.askInsecure = msg.err
			return cr, nil
		case msg.err != nil:
			cr.err = errors.New("signed in, but the account could not be saved: " + msg.err.Error())
			return cr, nil
		}
		return cr, cr.proceed()
	case deviceCodeMsg:
		return cr, cr.busy.onPrompt(msg, cr.prompts)
	case tea.KeyPressMsg:
		return cr, cr.key(msg)
	case tea.PasteMsg:
		return cr, cr.fields[cr.focus].update(msg)
	}
	return cr, cr.busy.update(msg)
}

func (cr *credentials) key(msg tea.KeyPressMsg) tea.Cmd {
	k := cr.c.keys
	switch {
	case cr.busy.active():
		switch {
		case msg.String() == "esc":
			cr.busy.stop()
		case msg.String() == "c" && cr.busy.promptURL() != "":
			return tea.SetClipboard(cr.busy.promptURL()) // OSC 52: the terminal's clipboard
		}
		return nil
	case cr.askInsecure != nil:
		switch {
		case keyIs(msg, k.Yes):
			cr.askInsecure = nil
			return cr.save(true)
		case keyIs(msg, k.No):
			// Use the account for this session only.
			cr.askInsecure = nil
			return cr.proceed()
		}
		return nil
	case cr.showNotes:
		switch msg.String() {
		case "enter":
			cr.showNotes = false
			return cr.ready()
		case "esc":
			cr.showNotes = false
		}
		return nil
	case msg.String() == "esc":
		return back
	case keyIs(msg, k.Troubleshoot):
		creds := cr.creds()
		return troubleshootCmd(Target{Account: creds.Name, Credentials: &creds})
	case msg.String() == "enter":
		return cr.submit()
	case msg.String() == "tab" || msg.String() == "down":
		cmd, _ := cr.step(+1)
		return cmd
	case msg.String() == "shift+tab" || msg.String() == "up":
		if cmd, ok := cr.step(-1); ok {
			return cmd
		}
		if msg.String() == "shift+tab" {
			return back
		}
		return nil
	}
	cr.err = nil
	return cr.fields[cr.focus].update(msg)
}

// submit signs in when every visible field is valid, else moves to the first
// field that is not.
func (cr *credentials) submit() tea.Cmd {
	for _, f := range cr.fields {
		if !cr.visible(f) {
			continue
		}
		f.validate()
		if f.missing() && f.err == nil {
			f.err = errors.New("required")
		}
		if f.id == FieldClientSecret && cr.get(FieldMethod).value() == MethodServicePrincipal && f.value() == "" &&
			strings.TrimSpace(cr.get(FieldCertificate).value()) == "" {
			f.err = errors.New("a service principal signs in with its client secret, or a certificate file")
		}
	}
	for i, f := range cr.fields {
		if cr.visible(f) && f.err != nil {
			return cr.moveTo(i)
		}
	}
	creds := cr.creds()
	ctx, gen, tick := cr.busy.start(cr.c, signInLabel(creds))
	cr.err = nil
	cr.prompts = make(chan string, 1)
	prompts, b := cr.prompts, cr.c.backend
	return tea.Batch(tick, cr.busy.waitPrompt(prompts, gen), func() tea.Msg {
		defer close(prompts)
		acc, err := b.SignIn(ctx, creds, prompts)
		return signedInMsg{gen, acc, err}
	})
}

func (cr *credentials) save(insecure bool) tea.Cmd {
	creds := cr.creds()
	creds.InsecureStorage = insecure
	ctx, gen, tick := cr.busy.start(cr.c, "Saving the account "+creds.Name+"…")
	b := cr.c.backend
	return tea.Batch(tick, func() tea.Msg { return savedMsg{gen, b.SaveAccount(ctx, creds)} })
}

// proceed moves on once the account is saved (or kept for this session),
// first showing the sign-in's notes when it had any.
func (cr *credentials) proceed() tea.Cmd {
	if len(cr.signedIn.Notes) > 0 {
		cr.showNotes = true
		return nil
	}
	return cr.ready()
}

func (cr *credentials) ready() tea.Cmd {
	acc := *cr.signedIn
	if acc.Name == "" {
		acc.Name = cr.creds().Name
	}
	acc.HasDomo = acc.HasDomo || cr.creds().DomoClientID != ""
	return func() tea.Msg { return accountReadyMsg{acc} }
}

// summary is what went wrong, without the advice when Error repeats it
// (entra.Error's text ends with "Fix: <advice>").
func summary(fe FieldError) string {
	msg := fe.Error()
	if a := fe.Advice(); a != "" {
		msg = strings.Replace(msg, "Fix: "+a, "", 1)
		msg = strings.Replace(msg, a, "", 1)
	}
	return strings.TrimSpace(msg)
}

// methodNotes say what a sign-in method implies, before the user meets it.
var methodNotes = map[string]string{
	MethodBrowser:    "Browser: after enter, your browser opens Microsoft's sign-in page (MFA works); if it cannot, the address to open appears here. pbiwb continues by itself; esc stops waiting.",
	MethodDeviceCode: "Device code: after enter, a code and a web page appear here; sign in there (MFA works) and pbiwb continues by itself.",
	MethodServicePrincipal: "A service principal needs the Power BI tenant setting that lets service principals use the APIs, " +
		"and membership (Member or Contributor) of each workspace it writes to; it has no My workspace.",
}

func signInLabel(c Credentials) string {
	who := c.Username
	switch c.Method {
	case MethodServicePrincipal:
		who = "the app " + c.ClientID
	case MethodDeviceCode:
		who = "a device code"
	case MethodBrowser:
		who = "the browser"
	}
	cloud := c.Cloud
	if cloud == "" {
		cloud = "public"
	}
	return "Signing in to Entra ID (" + cloud + " cloud) with " + who + "…"
}

func (cr *credentials) View() string {
	s, w := cr.c.styles, cr.c.width
	if cr.busy.active() {
		return cr.busy.view(s, w)
	}
	if cr.showNotes {
		lines := []string{s.OK.Render("✓ Signed in as " + cr.creds().Name + "."), "", "Entra ID signed you in, with advice worth acting on:"}
		for _, n := range cr.signedIn.Notes {
			lines = append(lines, s.Warn.Render(wrap("! "+n, w)))
		}
		return strings.Join(append(lines, "", s.Hint.Render("enter continues to the input; esc returns to the credentials")), "\n")
	}
	if cr.askInsecure != nil {
		return strings.Join([]string{
			s.OK.Render("✓ Signed in."),
			"",
			s.Warn.Render(wrap("! The OS keyring is not reachable ("+cr.askInsecure.Error()+"), so the secrets cannot be stored safely.", w)),
			"",
			wrap("Store them instead in a file only your user can read (mode 0600)? Anyone who can read your files, or your backups, can read the secrets.", w),
			"",
			"  y  store the secrets in a 0600 file (insecure storage)",
			"  n  do not save; use this account for this session only",
		}, "\n")
	}
	var lines []string
	for i, f := range cr.fields {
		if cr.visible(f) {
			lines = append(lines, f.view(s, i == cr.focus, w))
		}
	}
	lines = append(lines, "", s.Hint.Render(truncate(cr.fields[cr.focus].hint, w)))
	if note := methodNotes[cr.get(FieldMethod).value()]; note != "" {
		lines = append(lines, s.Warn.Render(wrap(note, w)))
	}
	if len(cr.refused) > 0 {
		var names []string
		for _, m := range cr.get(FieldMethod).options {
			if cr.refused[m] {
				names = append(names, m)
			}
		}
		lines = append(lines, s.Warn.Render(wrap("Refused by this tenant so far: "+strings.Join(names, ", ")+".", w)))
	}
	if cr.err != nil {
		var fe FieldError
		if !errors.As(cr.err, &fe) {
			lines = append(lines, s.Error.Render(wrap("✗ "+cr.err.Error(), w)))
		} else if lines = append(lines, s.Error.Render(wrap("✗ "+summary(fe), w))); fe.Advice() != "" {
			lines = append(lines, s.Advice.Render(wrap("  "+fe.Advice(), w)))
		}
	}
	return strings.Join(lines, "\n")
}

func (cr *credentials) Help() string {
	k, s := cr.c.keys, cr.c.styles
	switch {
	case cr.busy.active():
		return s.helpLine(cr.c.width, keyHelp(k.Back, "esc", "cancel"), k.Quit)
	case cr.askInsecure != nil:
		return s.helpLine(cr.c.width, k.Yes, k.No, k.Quit)
	case cr.showNotes:
		return s.helpLine(cr.c.width, keyHelp(k.Next, "enter", "continue"), k.Back, k.Quit)
	}
	next := keyHelp(k.Next, "enter", "sign in")
	if cr.failed() {
		return s.helpLine(cr.c.width, next, k.Troubleshoot, keyHelp(k.NextItem, "tab/↓", "next field"), k.Back, k.Quit)
	}
	if cr.fields[cr.focus].options != nil {
		return s.helpLine(cr.c.width, k.Change, keyHelp(k.NextItem, "tab/↓", "next field"), next, k.Back, k.Quit)
	}
	return s.helpLine(cr.c.width, keyHelp(k.NextItem, "tab/↓", "next field"), next, k.Back, k.Quit)
}

// failed reports whether a sign-in failure is on show (the troubleshoot key
// is then offered in the help line; it works at any time).
func (cr *credentials) failed() bool {
	if cr.err != nil {
		return true
	}
	for _, f := range cr.fields {
		if f.advice != "" {
			return true
		}
	}
	return false
}
