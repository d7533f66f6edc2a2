package pbi

import (
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/token"
	"github.com/pbiwb/pbiwb/connector/schema"
)

func TestAuth(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	other := token.NewSigner([]byte("another key, another sandbox....")).Sign(token.Claims{TenantID: demo.TenantID, Audience: demo.PowerBIResource, IDType: "user", Expires: t0.Add(time.Hour).Unix()})
	wrongTenant := e.signer.Sign(token.Claims{TenantID: "x", Audience: demo.PowerBIResource, ObjectID: demo.UserObjectID, Scope: allScopes, IDType: "user", Expires: t0.Add(time.Hour).Unix()})
	wrongAud := e.signer.Sign(token.Claims{TenantID: demo.TenantID, Audience: "https://graph.microsoft.com", ObjectID: demo.UserObjectID, Scope: allScopes, IDType: "user", Expires: t0.Add(time.Hour).Unix()})
	usgov := e.signer.Sign(token.Claims{TenantID: demo.TenantID, Audience: "https://analysis.usgovcloudapi.net/powerbi/api", ObjectID: demo.UserObjectID, Scope: allScopes, IDType: "user", Expires: t0.Add(time.Hour).Unix()})
	expired := e.tokenFor(demo.UserObjectID, "user", allScopes, -time.Second)
	noScope := e.tokenFor(demo.UserObjectID, "user", "Report.Read.All", time.Hour)
	readOnly := e.tokenFor(demo.UserObjectID, "user", "Dataset.Read.All Workspace.Read.All", time.Hour)
	sales := "/v1.0/myorg/groups/" + demo.WorkspaceSalesID

	tests := []struct {
		name, method, path, tok string
		body                    any
		status                  int
		info, code, contains    string
	}{
		{"no token", "GET", "/v1.0/myorg/groups", "", nil, 403, "InvalidToken", "", ""},
		{"foreign signature", "GET", "/v1.0/myorg/groups", other, nil, 403, "InvalidToken", "", ""},
		{"garbage", "GET", "/v1.0/myorg/groups", "abc", nil, 403, "InvalidToken", "", ""},
		{"wrong tenant", "GET", "/v1.0/myorg/groups", wrongTenant, nil, 403, "InvalidToken", "", ""},
		{"wrong audience", "GET", "/v1.0/myorg/groups", wrongAud, nil, 403, "InvalidToken", "", ""},
		{"sovereign cloud audience", "GET", "/v1.0/myorg/groups", usgov, nil, 200, "", "", ""},
		{"expired", "GET", "/v1.0/myorg/groups", expired, nil, 403, "TokenExpired", "TokenExpired", "Access token has expired"},
		{"no workspace scope", "GET", "/v1.0/myorg/groups", noScope, nil, 401, "InsufficientScope", "PowerBINotAuthorizedException", "Workspace.Read.All"},
		{"read scope cannot post rows", "POST", sales + "/datasets/x/tables/T/rows", readOnly, `{"rows":[]}`, 401, "InsufficientScope", "PowerBINotAuthorizedException", "Dataset.ReadWrite.All"},
		{"read scope can list datasets", "GET", sales + "/datasets", readOnly, nil, 200, "", "", ""},
		{"hidden workspace", "GET", "/v1.0/myorg/groups/" + demo.WorkspaceHiddenID, e.user, nil, 401, "GroupNotAccessible", "PowerBINotAuthorizedException", ""},
		{"unknown workspace", "GET", "/v1.0/myorg/groups/00000000-0000-4000-8000-0000000000ff/datasets", e.user, nil, 401, "GroupNotAccessible", "PowerBINotAuthorizedException", ""},
		{"app in My workspace", "GET", "/v1.0/myorg/datasets", e.appToken(), nil, 401, "", "PowerBINotAuthorizedException", "My workspace"},
		{"app outside its workspace", "GET", "/v1.0/myorg/groups/" + demo.WorkspaceFinanceID + "/datasets", e.appToken(), nil, 401, "GroupNotAccessible", "PowerBINotAuthorizedException", "service principal"},
		{"app in Sales Analytics", "GET", sales + "/datasets", e.appToken(), nil, 200, "", "", ""},
		{"read-only workspace write", "POST", "/v1.0/myorg/groups/" + demo.WorkspaceExecutiveID + "/datasets", e.user, map[string]any{"name": "x", "tables": []any{intTable}}, 401, "", "PowerBINotAuthorizedException", "read-only"},
		{"unknown dataset", "GET", sales + "/datasets/00000000-0000-4000-8000-0000000000ff", e.user, nil, 404, "", "PowerBIEntityNotFound", ""},
		{"imported dataset is not push", "GET", "/v1.0/myorg/groups/" + demo.WorkspaceFinanceID + "/datasets/" + demo.ImportedDatasetID + "/tables", e.user, nil, 404, "", "ItemNotFound", "is not Push API dataset."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body, tc.tok)
			if r.status != tc.status {
				t.Fatalf("status = %v, want %d", r, tc.status)
			}
			if len(r.header.Get("RequestId")) != 36 {
				t.Errorf("RequestId = %q", r.header.Get("RequestId"))
			}
			if got := r.header.Get("X-PowerBI-Error-Info"); got != tc.info {
				t.Errorf("X-PowerBI-Error-Info = %q, want %q", got, tc.info)
			}
			if tc.info == "InvalidToken" && len(r.body) != 0 {
				t.Errorf("body = %q, want empty", r.body)
			}
			if tc.code != "" && errorCode(t, r) != tc.code {
				t.Errorf("code = %q, want %q (%s)", errorCode(t, r), tc.code, r.body)
			}
			if !strings.Contains(string(r.body), tc.contains) {
				t.Errorf("body %s does not mention %q", r.body, tc.contains)
			}
		})
	}
}
