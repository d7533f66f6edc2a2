package domo

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
)

const testID = "845305d8-da3d-4107-a9d6-13ef3f86d4a4"

// fakeDomo serves a token and hands every other request to h.
func fakeDomo(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"tok","token_type":"bearer","expires_in":3599}`)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return New(cloud.Endpoints{DomoBase: srv.URL, HTTP: srv.Client()}, "client", "secret-value")
}

func TestUnexpectedAnswers(t *testing.T) {
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		export   bool
		kind     error
		wantText []string
		wantTOE  string
	}{
		{"server error keeps the toe", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			fmt.Fprint(w, `{"status":500,"statusReason":"Internal Server Error","message":"boom","toe":"ABCDEFGHIJ-KLMNO-PQRST"}`)
		}, false, ErrService, []string{"HTTP 500: boom", "ABCDEFGHIJ-KLMNO-PQRST", "try again later"}, "ABCDEFGHIJ-KLMNO-PQRST"},
		{"throttled", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(429)
		}, false, ErrService, []string{"HTTP 429", "after 30 seconds"}, ""},
		{"plain 403", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(403)
			fmt.Fprint(w, "Not Allowed\n")
		}, false, ErrAccessDenied, []string{"Not Allowed", "co-own"}, ""},
		{"200 with an HTML page instead of CSV", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><head><title>Sign in to your proxy</title></head><body>…</body></html>")
		}, true, ErrService, []string{"text/html instead of CSV", "Sign in to your proxy", "proxy"}, ""},
		{"406 page with an unknown cause", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(406)
			fmt.Fprint(w, "<html><head><title>Error 406 Not Acceptable</title></head><body><h2>HTTP ERROR 406</h2>\n<p>Problem accessing /error.</p><h3>Caused by:</h3><pre>java.lang.IllegalStateException: disk &amp; full\n\tat x.y(Z.java:1)\n</pre></body></html>")
		}, true, ErrService, []string{"Error 406 Not Acceptable; caused by IllegalStateException: disk & full"}, ""},
		{"metadata that is not JSON", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "hello")
		}, false, ErrService, []string{"could not be read"}, ""},
		{"metadata without columns", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"id":"`+testID+`","name":"x","schema":{"columns":[]}}`)
		}, false, ErrService, []string{"without any column"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeDomo(t, tc.handler)
			var err error
			if tc.export {
				_, err = c.Export(context.Background(), testID)
			} else {
				_, err = c.DataSet(context.Background(), testID)
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("error %v, want kind %v", err, tc.kind)
			}
			for _, w := range tc.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message lacks %q:\n%s", w, err)
				}
			}
			if strings.Contains(err.Error(), "secret-value") || strings.Contains(err.Error(), "\tat ") {
				t.Errorf("message leaks: %s", err)
			}
			var de *Error
			if errors.As(err, &de) && de.TOE != tc.wantTOE {
				t.Errorf("toe %q, want %q", de.TOE, tc.wantTOE)
			}
		})
	}
}

// A fresh token that is refused is not renewed again: one token request, and
// the 401 is reported as a sign-in failure.
func TestFreshTokenRefusedIsNotRetried(t *testing.T) {
	calls := 0
	c := fakeDomo(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		fmt.Fprint(w, `{"error":"invalid_token","error_description":"Invalid access token"}`)
	})
	_, err := c.DataSet(context.Background(), testID)
	if !errors.Is(err, ErrSignIn) || calls != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

// The owner id is a number in samples and SDKs but a string in Domo's doc.
func TestOwnerID(t *testing.T) {
	for _, owner := range []string{`{"id":27,"name":"A"}`, `{"id":"27","name":"A"}`} {
		c := fakeDomo(t, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"id":"`+testID+`","owner":`+owner+`,"createdAt":"2016-03-18T21:30:25Z","schema":{"columns":[{"name":"a","type":"long"}]}}`)
		})
		ds, err := c.DataSet(context.Background(), testID)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Owner.ID != "27" || ds.Schema[0].Type != TypeLong || ds.CreatedAt.Year() != 2016 {
			t.Errorf("%s → %+v", owner, ds)
		}
	}
}

// Export returns as soon as Domo starts sending: rows are readable while the
// rest has not been written yet.
func TestExportStreams(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c := fakeDomo(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "text/csv" || r.URL.Query().Get("includeHeader") != "true" {
			t.Errorf("request %s Accept %q", r.URL, r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "text/csv")
		fmt.Fprint(w, "a,b\n1,x\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		fmt.Fprint(w, "2,y\n")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body, err := c.Export(ctx, testID)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	r := csv.NewReader(body)
	for _, want := range []string{"a", "1"} {
		rec, err := r.Read()
		if err != nil || rec[0] != want {
			t.Fatalf("read %v %v, want %s", rec, err, want)
		}
	}
}

// A stream that breaks off says so, with the DataSet, and keeps the cause.
func TestExportBrokenStream(t *testing.T) {
	c := fakeDomo(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Length", "1000")
		fmt.Fprint(w, "a,b\n1,x\n")
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	body, err := c.Export(context.Background(), testID)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	_, err = io.ReadAll(body)
	if !errors.Is(err, ErrUnreachable) || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "broke off") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnreachableAndCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := New(cloud.Endpoints{DomoBase: "http://" + addr, HTTP: &http.Client{}}, "client", "secret-value")
	_, err = c.DataSet(context.Background(), testID)
	if !errors.Is(err, ErrUnreachable) || strings.Contains(err.Error(), "secret-value") || !strings.Contains(err.Error(), "network") {
		t.Errorf("err = %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Export(ctx, testID)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestSummariseHTML(t *testing.T) {
	// The page of domo-java-sdk issue #15, abridged.
	page := `<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"/>
<title>Error 406 Not Acceptable</title>
</head>
<body><h2>HTTP ERROR 406</h2>
<p>Problem accessing /error. Reason:
<pre>    Not Acceptable</pre></p><h3>Caused by:</h3><pre>com.domo.bedrock.service.exception.UnauthorizedException: Full authentication is required to access this resource
	at com.domo.gateway.config.security.OAuthAuthenticationProvider.values(OAuthAuthenticationProvider.java:39)
</pre></body></html>`
	tests := []struct{ in, want string }{
		{page, "Error 406 Not Acceptable; caused by UnauthorizedException: Full authentication is required to access this resource"},
		{"<html><body><h1>502 Bad Gateway</h1></body></html>", "an HTML error page: 502 Bad Gateway"},
	}
	for _, tc := range tests {
		if got := summariseHTML([]byte(tc.in)); got != tc.want {
			t.Errorf("summariseHTML = %q, want %q", got, tc.want)
		}
	}
	if causeStatus(summariseHTML([]byte(page))) != http.StatusUnauthorized {
		t.Error("the issue #15 page is not read as an authentication failure")
	}
}

// FuzzReadAnswer: any error body becomes one printable line, never the raw
// page, and never panics.
func FuzzReadAnswer(f *testing.F) {
	f.Add(406, "text/html", "<html><title>Error 406 Not Acceptable</title><h3>Caused by:</h3><pre>a.b.C: d\n\tat x</pre></html>")
	f.Add(400, "application/json", `{"status":400,"statusReason":"Bad Request","message":"Infrastructure problem (403): Access is denied","toe":"X"}`)
	f.Add(401, "application/json", `{"error":"invalid_token","error_description":"Cannot convert access token to JSON"}`)
	f.Add(502, "text/plain", "\x00\x01bad\r\ngateway")
	f.Add(500, "application/json", `{"message":"line one\nline two\u2028","toe":"T"}`)
	f.Fuzz(func(t *testing.T, status int, contentType, body string) {
		if status < 100 || status > 999 {
			return
		}
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", contentType)
		rec.WriteHeader(status)
		rec.WriteString(body)
		a := readAnswer(rec.Result())
		if strings.ContainsAny(a.detail, "\n\r") || len([]rune(a.detail)) > 301 {
			t.Errorf("detail %q is not one short line", a.detail)
		}
		e := dataFailure(testID, "the rows", a)
		if e.Kind == nil || e.Summary == "" || e.Advice == "" {
			t.Errorf("incomplete error %+v", e)
		}
	})
}

func TestMissingCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request sent without credentials: %s", r.URL)
	}))
	defer srv.Close()
	for _, tc := range []struct{ id, secret, want string }{{"", "s", "no Domo client ID"}, {"id", "", "no Domo client secret"}} {
		err := New(cloud.Endpoints{DomoBase: srv.URL, HTTP: srv.Client()}, tc.id, tc.secret).SignIn(context.Background())
		var de *Error
		// The engine names the field; where to give it is the face's to say.
		if !errors.As(err, &de) || !errors.Is(err, ErrSignIn) || !strings.Contains(err.Error(), tc.want) ||
			!strings.HasSuffix(tc.want, string(de.Field)) || strings.Contains(err.Error(), "PBIWB_") {
			t.Errorf("err = %v (field %q)", err, de.Field)
		}
	}
}

// An invalid id is refused before anything is sent.
func TestInvalidIDSendsNothing(t *testing.T) {
	c := fakeDomo(t, func(w http.ResponseWriter, r *http.Request) { t.Errorf("request sent: %s", r.URL) })
	for _, id := range []string{"", "845305d8da3d4107a9d613ef3f86d4a4", "845305d8-da3d-4107-a9d6-13ef3f86d4a4/data", "../x"} {
		if _, err := c.DataSet(context.Background(), id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("%q: %v", id, err)
		}
	}
}
