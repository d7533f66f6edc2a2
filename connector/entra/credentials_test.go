package entra

import (
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

func TestValidateCredentials(t *testing.T) {
	good := Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID, Username: demo.Username,
		Method: MethodPassword, Password: "p"}
	cases := []struct {
		name   string
		change func(*Credentials)
		fields []string
	}{
		{"valid password", func(*Credentials) {}, nil},
		{"tenant by domain", func(c *Credentials) { c.TenantID = "contoso.onmicrosoft.com" }, nil},
		{"spaces around IDs", func(c *Credentials) { c.TenantID, c.ClientID = " "+c.TenantID+" ", c.ClientID+"\t" }, nil},
		{"device code without username", func(c *Credentials) { c.Method, c.Username, c.Password = MethodDeviceCode, "", "" }, nil},
		{"service principal", func(c *Credentials) {
			c.Method, c.Username, c.Password, c.ClientSecret = MethodServicePrincipal, "", "", "s"
		}, nil},
		{"no method", func(c *Credentials) { c.Method = "" }, []string{"auth method"}},
		{"bad method", func(c *Credentials) { c.Method = "interactive" }, []string{"auth method"}},
		{"no tenant", func(c *Credentials) { c.TenantID = "" }, []string{"tenant ID"}},
		{"common tenant", func(c *Credentials) { c.TenantID = "common" }, []string{"tenant ID"}},
		{"tenant not a GUID or domain", func(c *Credentials) { c.TenantID = "contoso" }, []string{"tenant ID"}},
		{"tenant GUID typo", func(c *Credentials) { c.TenantID = "00000000-0000-4000-8000-00000000c0d" }, []string{"tenant ID"}},
		{"client ID not a GUID", func(c *Credentials) { c.ClientID = "pbiwb-app" }, []string{"client ID"}},
		{"no client ID", func(c *Credentials) { c.ClientID = "" }, []string{"client ID"}},
		{"no username for password", func(c *Credentials) { c.Username = "" }, []string{"username"}},
		{"username not a UPN", func(c *Credentials) { c.Username = `CONTOSO\alice` }, []string{"username"}},
		{"username without a dotted domain", func(c *Credentials) { c.Username = "alice@contoso" }, []string{"username"}},
		{"guest username", func(c *Credentials) { c.Username = "alice_fabrikam.com#EXT#@contoso.onmicrosoft.com" }, nil},
		{"device code with bad username", func(c *Credentials) { c.Method, c.Username = MethodDeviceCode, "alice" }, []string{"username"}},
		{"no password", func(c *Credentials) { c.Password = "" }, []string{"password"}},
		{"service principal without secret", func(c *Credentials) { c.Method = MethodServicePrincipal }, []string{"client secret"}},
		{"everything wrong", func(c *Credentials) { *c = Credentials{Method: MethodPassword} }, []string{"tenant ID", "client ID", "username", "password"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.change(&c)
			errs := ValidateCredentials(c.normalize())
			if len(errs) != len(tc.fields) {
				t.Fatalf("got %v, want errors for %v", errs, tc.fields)
			}
			for i, f := range tc.fields {
				if string(errs[i].Field) != f || errs[i].Message == "" {
					t.Errorf("error %d = %+v, want field %q", i, errs[i], f)
				}
			}
		})
	}
}

// Every code docs/sources.md (Entra ID: the codes pbiwb explains) lists has advice that names where to fix it.
func TestAdviceCoversTheReferenceTable(t *testing.T) {
	for _, code := range []int{7000215, 7000218, 7000222, 700025, 700016, 90002, 9001023, 50126, 50034, 50053,
		50055, 50057, 50076, 50079, 65001, 53003, 530035, 530032, 500011, 70011, 1002012, 700082, 70008, 50173,
		70043, 50020, 50105, 7000112, 90094, 90095, 70019, 70018} {
		a, ok := adviceByCode[code]
		if !ok || a.summary == "" || a.fix == "" {
			t.Errorf("AADSTS%d: no advice", code)
		}
	}
}

func TestExplainUnknownCodeAndBody(t *testing.T) {
	e := fromAAD(aadBody{Error: "invalid_request", Description: "AADSTS99999: Something new. Trace ID: x", Codes: []int{99999}}, nil, Credentials{})
	if e.Code != 99999 || e.Summary != "AADSTS99999: Something new." || e.Fix == "" {
		t.Errorf("%+v", e)
	}
}
