package ui

import (
	"strings"
	"testing"
)

// Back on the Accounts screen, the list is read again: an account saved
// meanwhile (on the Credentials screen) is there to troubleshoot or open.
func TestAccountsReloadOnBack(t *testing.T) {
	fb := newFakeBackend()
	m := credentialsRoot(t, fb, demoCredentials())
	fb.mu.Lock()
	fb.accounts = []AccountSummary{{Name: "saved-meanwhile", Method: MethodPassword, Username: "u@contoso.example"}}
	fb.mu.Unlock()
	press(t, m, "esc")
	if got := screenText(m); !strings.Contains(got, "saved-meanwhile") {
		t.Errorf("the Accounts screen was not read again:\n%s", got)
	}
}
