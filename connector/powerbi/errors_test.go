package powerbi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/internal/stall"
)

// testClient serves h over plain HTTP. These unit tests feed the verbatim
// error bodies of docs/sources.md, Power BI: errors that the sandbox cannot be made to produce all
// of; the client's behaviour against the real sandbox is in sandbox_test.go.
func testClient(t *testing.T, h http.HandlerFunc, opts ...Option) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ep := cloud.Endpoints{Name: "test", APIBase: srv.URL, HTTP: srv.Client()}
	c := New(ep, StaticToken(testToken), opts...)
	c.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() } // no real waits
	return c, srv
}

// testToken must never show up in an error or advice.
const testToken = "sekret-bearer-token"

// Verbatim bodies from docs/sources.md, Power BI: errors (sources named there).
const (
	bodyBadRequest      = `{"error":{"code":"BadRequest","message":"Bad Request","details":[{"message":"The property 'compatibilityLevel' does not exist on type 'Microsoft.PowerBI.ServiceContracts.Api.Dataset'. Make sure to only use property names that are defined by the type.","target":"dataset"}]}}`
	bodyTableNotFound   = `{"error":{"code":"ItemNotFound","message":"Table '<pi>Cr</pi>' not found in dataset 'sobe_wowvirtualserver|892d0dc4-c0f4-493f-b2b9-4e553dbefcfc'"}}`
	bodyNotPushBare     = `{"code": "ItemNotFound", "message": "Dataset 8e09a5e6-7eb4-4899-ac7a-ff63733626ba is not Push API dataset."}`
	bodyTokenExpired    = `{"error":{"code":"TokenExpired","message":"Access token has expired, resubmit with a new access token"}}`
	bodyNotAuthorized   = `{"error":{"code":"PowerBINotAuthorizedException","pbi.error":{"code":"PowerBINotAuthorizedException","parameters":{},"details":[],"exceptionCulprit":1}}}`
	bodyEntityNotFound  = `{"error":{"code":"PowerBIEntityNotFound","pbi.error":{"code":"PowerBIEntityNotFound","parameters":{},"details":[],"exceptionCulprit":1}}}`
	bodyExecQueriesFail = `{"error":{"code":"DatasetExecuteQueriesError","pbi.error":{"code":"DatasetExecuteQueriesError","parameters":{},"details":[{"code":"DetailsMessage","detail":{"type":1,"value":"Failed to execute the DAX query."}},{"code":"AnalysisServicesErrorCode","detail":{"type":1,"value":"3239575574"}}]}}}`
	bodyThrottled       = `{"error":{"code":"TooManyRequests","message":"You have exceeded the amount of requests allowed in the current time frame and further requests will fail."}}`
)

func TestErrorDecoding(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		header      map[string]string
		body        string
		code, msg   string
		details     []string
		retryAfter  time.Duration
		notFound    bool
		auth        bool
		throttled   bool
		notPush     bool
		adviceHas   []string
		appOnlyTest bool
	}{
		{name: "BadRequest with details", status: 400, body: bodyBadRequest, code: "BadRequest", msg: "Bad Request",
			details:   []string{"The property 'compatibilityLevel' does not exist on type 'Microsoft.PowerBI.ServiceContracts.Api.Dataset'. Make sure to only use property names that are defined by the type."},
			adviceHas: []string{"rejected the request as invalid", "compatibilityLevel"}},
		{name: "ItemNotFound table", status: 404, body: bodyTableNotFound, code: "ItemNotFound",
			msg: "Table '<pi>Cr</pi>' not found in dataset 'sobe_wowvirtualserver|892d0dc4-c0f4-493f-b2b9-4e553dbefcfc'", notFound: true,
			adviceHas: []string{"cannot find", "case-sensitive"}},
		{name: "not a push dataset, bare envelope", status: 404, body: bodyNotPushBare, code: "ItemNotFound",
			msg: "Dataset 8e09a5e6-7eb4-4899-ac7a-ff63733626ba is not Push API dataset.", notFound: true, notPush: true,
			adviceHas: []string{"not created through the push API", "Choose another dataset name"}},
		{name: "TokenExpired body", status: 403, body: bodyTokenExpired, code: "TokenExpired",
			msg: "Access token has expired, resubmit with a new access token", auth: true, adviceHas: []string{"expired", "clock"}},
		{name: "TokenExpired header only", status: 403, header: map[string]string{HeaderErrorInfo: "TokenExpired"}, code: "TokenExpired", auth: true},
		{name: "InvalidToken header only", status: 403, header: map[string]string{HeaderErrorInfo: "InvalidToken"}, code: "InvalidToken", auth: true,
			adviceHas: []string{"check cloud (public"}},
		{name: "not authorized pbi.error", status: 401, body: bodyNotAuthorized, code: "PowerBINotAuthorizedException", auth: true,
			adviceHas: []string{"not a member of the workspace", "Dataset.ReadWrite.All", "Grant admin consent"}},
		{name: "not authorized, service principal", status: 401, body: bodyNotAuthorized, code: "PowerBINotAuthorizedException", auth: true,
			appOnlyTest: true, adviceHas: []string{"Service principals can use Fabric APIs", "Member or Admin"}},
		{name: "GroupNotAccessible header", status: 401, header: map[string]string{HeaderErrorInfo: "GroupNotAccessible"}, code: "GroupNotAccessible", auth: true,
			adviceHas: []string{"not a member"}},
		{name: "entity not found", status: 404, body: bodyEntityNotFound, code: "PowerBIEntityNotFound", notFound: true,
			adviceHas: []string{"no such dataset", "pbiwb groups"}},
		{name: "DAX failure", status: 400, body: bodyExecQueriesFail, code: "DatasetExecuteQueriesError", msg: "Failed to execute the DAX query.",
			details:   []string{"Failed to execute the DAX query.", "AnalysisServicesErrorCode: 3239575574"},
			adviceHas: []string{"DAX query", "Dataset Execute Queries REST API"}},
		{name: "throttled, Retry-After seconds", status: 429, header: map[string]string{HeaderRetryAfter: "17"}, body: bodyThrottled,
			code: "TooManyRequests", msg: "You have exceeded the amount of requests allowed in the current time frame and further requests will fail.",
			retryAfter: 17 * time.Second, throttled: true, adviceHas: []string{"wait 17s", "120 POSTs a minute"}},
		{name: "throttled, sandbox milliseconds preferred", status: 429, header: map[string]string{HeaderRetryAfter: "2", HeaderSandboxRetry: "1234"},
			code: "", retryAfter: 1234 * time.Millisecond, throttled: true, adviceHas: []string{"wait 1s"}},
		{name: "too large", status: 413, body: `{"error":{"code":"RequestEntityTooLarge","message":"Request too large"}}`, code: "RequestEntityTooLarge",
			msg: "Request too large", adviceHas: []string{"16 MB"}},
		{name: "server error, HTML body", status: 502, body: "<html><body>Bad   gateway</body></html>", msg: "<html><body>Bad gateway</body></html>",
			adviceHas: []string{"internal error (502)"}},
		{name: "server error, generic", status: 500, body: `{"error":{"code":"InternalServerError","message":"An error has occurred"}}`, code: "InternalServerError",
			msg: "An error has occurred", adviceHas: []string{"internal error (500)", "support case"}},
		{name: "forbidden read-only", status: 403, body: `{"error":{"code":"Forbidden","message":"The workspace is read-only"}}`, code: "Forbidden",
			msg: "The workspace is read-only", auth: true, adviceHas: []string{"Viewer", "Contributor"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set(HeaderRequestID, "req-123")
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}, WithRetry(RetryPolicy{}))
			if tt.appOnlyTest {
				c.tokens = StaticToken(fakeJWT(`{"idtyp":"app","roles":["Tenant.ReadWrite.All"]}`))
			}
			_, err := c.Dataset(context.Background(), "00000000-0000-4000-8000-00000000a001", "d1")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if e.Status != tt.status || e.Code != tt.code || e.Message != tt.msg || e.RequestID != "req-123" || e.RetryAfter != tt.retryAfter {
				t.Errorf("got status %d code %q msg %q req %q retry %v\nwant %d %q %q req-123 %v",
					e.Status, e.Code, e.Message, e.RequestID, e.RetryAfter, tt.status, tt.code, tt.msg, tt.retryAfter)
			}
			if strings.Join(e.Details, "|") != strings.Join(tt.details, "|") {
				t.Errorf("details = %q, want %q", e.Details, tt.details)
			}
			if e.Method != "GET" || e.Path != "/v1.0/myorg/groups/00000000-0000-4000-8000-00000000a001/datasets/d1" {
				t.Errorf("method/path = %s %s", e.Method, e.Path)
			}
			if IsNotFound(err) != tt.notFound || IsAuth(err) != tt.auth || IsThrottled(err) != tt.throttled || IsNotPushDataset(err) != tt.notPush {
				t.Errorf("IsNotFound %v IsAuth %v IsThrottled %v IsNotPushDataset %v; want %v %v %v %v",
					IsNotFound(err), IsAuth(err), IsThrottled(err), IsNotPushDataset(err), tt.notFound, tt.auth, tt.throttled, tt.notPush)
			}
			adv := Advice(err, nil)
			for _, want := range append(tt.adviceHas, "RequestId req-123", "Microsoft support") {
				if !strings.Contains(adv, want) {
					t.Errorf("Advice lacks %q:\n%s", want, adv)
				}
			}
			if strings.Contains(err.Error()+adv, testToken) {
				t.Errorf("the token leaked into the error or advice")
			}
			if !strings.Contains(err.Error(), "req-123") {
				t.Errorf("Error() lacks the RequestId: %s", err)
			}
		})
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	h := http.Header{}
	h.Set(HeaderRetryAfter, time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
	if d := retryAfter(h); d < 80*time.Second || d > 91*time.Second {
		t.Errorf("retryAfter(HTTP date in 90s) = %v", d)
	}
	h.Set(HeaderRetryAfter, "soon")
	if d := retryAfter(h); d != 0 {
		t.Errorf("retryAfter(garbage) = %v, want 0", d)
	}
}

func TestAppOnlyToken(t *testing.T) {
	tests := []struct {
		claims string
		want   bool
	}{
		{`{"idtyp":"app"}`, true},
		{`{"idtyp":"user","scp":"Dataset.ReadWrite.All"}`, false},
		{`{"scp":"Dataset.ReadWrite.All"}`, false},
		{`{"roles":["x"]}`, true}, // no idtyp (optional claim), no scp: app-only
	}
	for _, tt := range tests {
		if got := appOnlyToken(fakeJWT(tt.claims)); got != tt.want {
			t.Errorf("appOnlyToken(%s) = %v, want %v", tt.claims, got, tt.want)
		}
	}
	if appOnlyToken("not-a-jwt") {
		t.Error("opaque token taken as app-only")
	}
}

func TestAdviceServicePrincipalMyWorkspace(t *testing.T) {
	e := &Error{Status: 401, Code: CodeNotAuthorized, Path: "/v1.0/myorg/datasets", AppOnly: true}
	if adv := Advice(e, nil); !strings.Contains(adv, "no My workspace") {
		t.Errorf("advice = %s", adv)
	}
	if Advice(errors.New("other"), nil) != "" {
		t.Error("Advice of a foreign error should be empty")
	}
}

// flags names fields as the command line does, and is typed.
type flags struct{}

func (flags) Name(f field.ID) string {
	return map[field.ID]string{field.Cloud: "--cloud", field.Group: "--group", field.Resume: "--resume",
		field.Sandbox: "--sandbox URL", field.RequestTimeout: "--request-timeout",
		field.Troubleshoot: "`pbiwb doctor --group G --dataset D`"}[f]
}
func (fl flags) Setting(f field.ID, v string) string { return fl.Name(f) + " " + v }
func (flags) Typed() bool                            { return true }

// labels names fields as a screen would: not typed.
type labels struct{}

func (labels) Name(f field.ID) string                { return "the " + strings.ToUpper(string(f)) + " field" }
func (l labels) Setting(f field.ID, v string) string { return l.Name(f) + " set to " + v }

// The advice names the settings it suggests as the face does: the command
// line's flags and commands, word for word, a screen's labels without
// backticks, and the IDs without a face; the server's text is never read as
// a reference.
func TestAdviceNamesSettings(t *testing.T) {
	const group = "/v1.0/myorg/groups/00000000-0000-4000-8000-00000000a001/datasets/d1"
	tests := []struct {
		name         string
		err          error
		cli, labeled string
	}{
		{"invalid token", &Error{Status: 403, Code: CodeInvalidToken, Path: group},
			"check --cloud (public, usgov, usgovhigh, usgovdod, china) matches the tenant", "check the CLOUD field (public"},
		{"item not found", &Error{Status: 404, Code: CodeItemNotFound, Path: group, Message: "no {table} here"},
			"cannot find that item: no {table} here. Table names are case-sensitive; list them with `pbiwb doctor --group G --dataset D`. A table",
			"list them with the TROUBLESHOOTING CHECKS field. A table"},
		{"throttled", &Error{Status: 429, Path: group},
			"pbiwb push waits and continues by itself; `--resume` continues a stopped run.", "by itself; the RESUME field continues a stopped run."},
		{"internal", &Error{Status: 500, Path: group},
			"try again in a few minutes; `pbiwb push --resume` continues a stopped run. If it persists", "try again in a few minutes; the RESUME field continues a stopped run. If"},
		{"no My workspace", &Error{Status: 401, Code: CodeNotAuthorized, Path: "/v1.0/myorg/datasets", AppOnly: true},
			"choose a workspace the service principal is a member of with --group.", "is a member of with the WORKSPACE field."},
		{"redirect", &TransportError{Host: "api.powerbi.com", Err: fmt.Errorf("to {x}: %w", cloud.ErrRedirectRefused)},
			"Check --cloud (or the --sandbox URL), and that no proxy", "Check the CLOUD field (or the SANDBOX URL field), and"},
		{"stalled", &TransportError{Host: "api.powerbi.com", Sent: true, Method: http.MethodGet, Err: &stall.TimeoutError{After: time.Minute}},
			"no complete answer came back: nothing arrived for 1m0s (the request timeout, --request-timeout); try again.",
			"nothing arrived for 1m0s (the request timeout, the REQUEST TIMEOUT field)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Advice(tt.err, flags{}); !strings.Contains(got, tt.cli) {
				t.Errorf("command line:\n%s\nlacks %q", got, tt.cli)
			}
			if got := Advice(tt.err, labels{}); !strings.Contains(got, tt.labeled) || strings.Contains(got, "--") || strings.Contains(got, "`pbiwb push") {
				t.Errorf("labels:\n%s\nlacks %q, or names a flag", got, tt.labeled)
			}
			if got := Advice(tt.err, nil); strings.Contains(got, "--") || strings.Contains(got, "{resume}") {
				t.Errorf("plain:\n%s", got)
			}
		})
	}
}
