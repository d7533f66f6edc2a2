package pbi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// TestThroughRealSandbox takes tokens from the sandbox's own Entra ID (user
// password grant and client credentials) and uses them on its Power BI side.
func TestThroughRealSandbox(t *testing.T) {
	s, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := s.Client()
	tokenFor := func(form url.Values) string {
		t.Helper()
		form.Set("client_id", demo.ClientID)
		res, err := c.PostForm(s.URL()+"/"+demo.TenantID+"/oauth2/v2.0/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var tr struct {
			AccessToken string `json:"access_token"`
		}
		b, _ := io.ReadAll(res.Body)
		if err := json.Unmarshal(b, &tr); err != nil || tr.AccessToken == "" {
			t.Fatalf("token: %d %s", res.StatusCode, b)
		}
		return tr.AccessToken
	}
	user := tokenFor(url.Values{"grant_type": {"password"}, "username": {demo.Username}, "password": {demo.Password},
		"scope": {demo.PowerBIResource + "/.default openid offline_access"}})
	app := tokenFor(url.Values{"grant_type": {"client_credentials"}, "client_secret": {demo.ClientSecret}, "scope": {demo.PowerBIResource + "/.default"}})

	get := func(tok, path string) (int, string) {
		req, _ := http.NewRequest("GET", s.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get(user, "/v1.0/myorg/groups"); code != 200 || !strings.Contains(body, demo.WorkspaceExecutive) || strings.Contains(body, demo.WorkspaceHidden) {
		t.Errorf("user groups: %d %s", code, body)
	}
	if code, body := get(app, "/v1.0/myorg/groups"); code != 200 || !strings.Contains(body, demo.WorkspaceSales) || strings.Contains(body, demo.WorkspaceFinance) {
		t.Errorf("service principal groups: %d %s", code, body)
	}
	if code, body := get(app, "/v1.0/myorg/datasets"); code != 401 || !strings.Contains(body, "My workspace") {
		t.Errorf("service principal in My workspace: %d %s", code, body)
	}
	if code, body := get("", "/_sandbox/limits"); code != 200 || !strings.Contains(body, `"maxRowsPerPost":10000`) {
		t.Errorf("limits: %d %s", code, body)
	}
}
