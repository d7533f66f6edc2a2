package entra

import (
	"encoding/base64"
	"errors"
	"testing"
)

func TestParseClaims(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	head := enc(`{"alg":"RS256","typ":"JWT"}`)
	body := `{"tid":"t","upn":"ada@contoso.example","scp":"Dataset.ReadWrite.All Workspace.Read.All","idtyp":"user","exp":1800000000}`
	c, err := ParseClaims(head + "." + enc(body) + ".c2ln")
	if err != nil {
		t.Fatal(err)
	}
	if c.TenantID != "t" || c.UPN != "ada@contoso.example" || c.Expires != 1800000000 || c.IsApp() {
		t.Errorf("claims = %+v", c)
	}
	if !c.HasScope("dataset.readwrite.all") || c.HasScope("Report.Read.All") || !c.HasScope("x", "Workspace.Read.All") {
		t.Errorf("HasScope wrong for %q", c.Scope)
	}
	// Padded base64url, as some issuers write it, is read too.
	padded := base64.URLEncoding.EncodeToString([]byte(`{"idtyp":"app","roles":["Tenant.Read.All"]}`))
	if c, err := ParseClaims(head + "." + padded + "."); err != nil || !c.IsApp() || len(c.Roles) != 1 {
		t.Errorf("padded app token: %+v, %v", c, err)
	}
	for _, bad := range []string{"", "a.b", "a.b.c.d", head + ".!!!.x", head + "." + enc("not json") + ".x"} {
		if _, err := ParseClaims(bad); !errors.Is(err, ErrMalformedToken) {
			t.Errorf("ParseClaims(%q) err = %v", bad, err)
		}
	}
}
