package sandboxtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// State is what GET /_sandbox/state answers, as far as tests read it.
type State struct {
	Workspaces []struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Datasets []struct {
			ID        string `json:"id"`
			Name      string `json:"name"`
			Retention string `json:"defaultRetentionPolicy"`
			Tables    []struct {
				Name     string `json:"name"`
				RowCount int64  `json:"rowCount"`
				Columns  []struct {
					Name     string `json:"name"`
					DataType string `json:"dataType"`
				} `json:"columns"`
			} `json:"tables"`
			Counters     map[string]int64 `json:"counters"`
			PendingPosts int64            `json:"pendingPosts"` // POST rows from arrival to answer
		} `json:"datasets"`
	} `json:"workspaces"`
	PostRowsInFlight int64 `json:"postRowsInFlight"` // received, not yet answered
}

// GetState reads everything the sandbox stores.
func GetState(t testing.TB, s *sandbox.Server) State {
	t.Helper()
	resp, err := s.Client().Get(s.URL() + "/_sandbox/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// DatasetIDs are the ids of the datasets of that name in a workspace.
func (st State) DatasetIDs(workspace, name string) []string {
	var ids []string
	for _, w := range st.Workspaces {
		for _, d := range w.Datasets {
			if w.Name == workspace && d.Name == name {
				ids = append(ids, d.ID)
			}
		}
	}
	return ids
}

// Counters are a dataset's request counters (nil when there is no such dataset).
func (st State) Counters(workspace, name string) map[string]int64 {
	for _, w := range st.Workspaces {
		for _, d := range w.Datasets {
			if w.Name == workspace && d.Name == name {
				return d.Counters
			}
		}
	}
	return nil
}

// Rows is what the sandbox holds in a table, in insertion order, numbers as
// json.Number so 64-bit integers compare exactly.
func Rows(t testing.TB, s *sandbox.Server, datasetID, table string) []map[string]any {
	t.Helper()
	q := url.Values{"dataset": {datasetID}, "table": {table}}
	resp, err := s.Client().Get(s.URL() + "/_sandbox/rows?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /_sandbox/rows: %s", resp.Status)
	}
	var rows []map[string]any
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		d := json.NewDecoder(strings.NewReader(sc.Text()))
		d.UseNumber()
		var r map[string]any
		if err := d.Decode(&r); err != nil {
			t.Fatalf("row %q: %v", sc.Text(), err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// Fault injects faults (POST /_sandbox/faults); "{}" clears them.
func Fault(t testing.TB, s *sandbox.Server, body string) {
	t.Helper()
	resp, err := s.Client().Post(s.URL()+"/_sandbox/faults", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 204 {
		t.Fatalf("faults %s: %s", body, resp.Status)
	}
}

// WriteIDs writes a CSV of n rows (id, label "row <id>") and returns its path.
func WriteIDs(t testing.TB, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("ids-%d.csv", n))
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(fh, 1<<20)
	w.WriteString("id,label\n")
	for i := range n {
		w.WriteString(strconv.Itoa(i))
		w.WriteString(",row ")
		w.WriteString(strconv.Itoa(i))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// Tenant changes the tenant settings (POST /_sandbox/tenant) and fails the
// test unless the sandbox accepts them.
func Tenant(t testing.TB, s *sandbox.Server, body string) {
	t.Helper()
	resp, err := s.Client().Post(s.URL()+"/_sandbox/tenant", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("tenant %s: %s %s", body, resp.Status, b)
	}
}

// UserToken is a Power BI access token of the demo user, from the sandbox's
// Entra ID (password grant).
func UserToken(t testing.TB, s *sandbox.Server) string {
	t.Helper()
	return accessToken(t, s, url.Values{"grant_type": {"password"}, "username": {demo.Username}, "password": {demo.Password},
		"scope": {demo.PowerBIResource + "/.default openid offline_access"}})
}

// AppToken is an app-only Power BI access token of the demo app's service
// principal, from the sandbox's Entra ID (client credentials).
func AppToken(t testing.TB, s *sandbox.Server) string {
	t.Helper()
	return accessToken(t, s, url.Values{"grant_type": {"client_credentials"}, "client_secret": {demo.ClientSecret},
		"scope": {demo.PowerBIResource + "/.default"}})
}

func accessToken(t testing.TB, s *sandbox.Server, form url.Values) string {
	t.Helper()
	form.Set("client_id", demo.ClientID)
	resp, err := s.Client().PostForm(s.URL()+"/"+demo.TenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("token (%s): %s %s", form.Get("grant_type"), resp.Status, b)
	}
	return tr.AccessToken
}
