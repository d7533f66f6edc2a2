package powerbi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pbiwb/pbiwb/connector/redact"
)

// A server may answer an error with megabytes of text, or repeat the request
// it refused, Authorization header and all: what pbiwb reads, shows and
// stores of it stays bounded and holds no credential.
func TestErrorTextIsBoundedAndMasked(t *testing.T) {
	const jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzY3AiOiJEYXRhc2V0LlJlYWRXcml0ZS5BbGwifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	huge := strings.Repeat("é", 10<<20) // 20 MB of two-byte characters
	tests := []struct {
		name, token string
		write       func(w http.ResponseWriter, r *http.Request)
		want        []string
	}{
		{"20 MB JSON message", testToken, func(w http.ResponseWriter, r *http.Request) {
			body := `{"error":{"code":"BadRequest","message":"` + huge + `"}}`
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(body))
		}, []string{"Power BI answered 400 BadRequest: ééé", "[cut: 20,969,47"}},
		{"20 MB JSON message, length unknown", testToken, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"code":"BadRequest","message":"` + huge + `"}}`))
		}, []string{"Power BI answered 400 BadRequest: ééé", "[cut: more than 6"}},
		{"20 MB of plain text", testToken, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte(huge))
		}, []string{"Power BI answered 502: ééé"}},
		{"echoed Authorization header", jwt, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"code":"BadRequest","message":"Invalid request: Authorization: ` + r.Header.Get("Authorization") +
				`; client_secret=abc~def-secret-value&password=hunter22"}}`))
		}, []string{"Authorization: Bearer ***", "client_secret=***", "password=***"}},
		{"echoed token inside JSON details", "opaque-token-of-no-known-shape", func(w http.ResponseWriter, r *http.Request) {
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"code":"InvalidToken","message":"token ` + tok + ` refused","details":[{"message":"{\"access_token\":\"` + tok + `\"}"}]}}`))
		}, []string{"token *** refused", `"access_token":"***"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Cleanup(redact.Reset)
			c, _ := testClient(t, tt.write, WithRetry(RetryPolicy{}))
			c.tokens = registering{StaticToken(tt.token)}
			_, err := c.Groups(context.Background(), "")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			msg, adv := err.Error(), Advice(err, nil)
			for _, text := range []string{msg, adv} {
				if len(text) > 3*redact.MaxMessage || !utf8.ValidString(text) {
					t.Errorf("%d bytes (valid UTF-8: %v), want a bounded message", len(text), utf8.ValidString(text))
				}
				for _, secret := range []string{tt.token, "abc~def", "hunter22"} {
					if strings.Contains(text, secret) {
						t.Errorf("%q shows in:\n%s", secret, text)
					}
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%.100s ... %s", w, msg, msg[max(0, len(msg)-200):])
				}
			}
		})
	}
}

// registering registers its tokens as the Entra session does.
type registering struct{ TokenSource }

func (r registering) Token(ctx context.Context) (string, error) {
	tok, err := r.TokenSource.Token(ctx)
	redact.Secret(tok)
	return tok, err
}
