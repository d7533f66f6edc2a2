package domoapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// FuzzServeHTTP: whatever the path, query, headers or body, the emulator
// answers (never panics) with a status a client can act on.
func FuzzServeHTTP(f *testing.F) {
	s := New(Config{})
	tok := s.sign(tokenClaims{UserID: demoUserID, Scope: []string{"data"}, Expires: 1 << 40})
	f.Add("GET", "/oauth/token?grant_type=client_credentials&scope=data", "", "Basic "+basicValue(demo.DomoClientID, demo.DomoClientSecret), "")
	f.Add("POST", "/oauth/token", "grant_type=client_credentials&scope=%zz", "Basic "+basicValue(demo.DomoClientID, demo.DomoClientSecret), "")
	f.Add("GET", "/v1/datasets/"+demo.DomoDataSetID+"/data?includeHeader=true&fileName=%22x", "", "bearer "+tok, "text/csv")
	f.Add("GET", "/v1/datasets/"+demo.DomoDataSetID, "", "Bearer "+tok+".x", "application/json;q=0.5, text/csv")
	f.Add("GET", "/v1/datasets//data/", "", "bearer", "text/csv;;")
	f.Fuzz(func(t *testing.T, method, target, body, auth, accept string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") || method == "" || strings.ContainsAny(method, " \r\n\t") {
			return // not a request line net/http would hand over
		}
		r, err := http.NewRequest(method, "http://sandbox"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		r.Header.Set("Authorization", auth)
		r.Header.Set("Accept", accept)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code < 200 || w.Code >= 500 {
			t.Errorf("%s %s: status %d", method, target, w.Code)
		}
	})
}

func basicValue(id, secret string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(id, secret)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}
