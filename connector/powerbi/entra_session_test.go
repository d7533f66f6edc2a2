package powerbi

import (
	"context"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
)

// The real token source: entra.Session (MSAL Go) signed in to the sandbox.
// It also refreshes on demand, for a token the service refuses as expired.
var (
	_ TokenSource = (*entra.Session)(nil)
	_ Refresher   = (*entra.Session)(nil)
)

func TestEntraSessionAgainstSandbox(t *testing.T) {
	s, ep := startSandbox(t, sandbox.Options{TokenLifetime: 10 * time.Minute})
	ctx := context.Background()
	sess, err := entra.New(ep, entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID,
		Username: demo.Username, Password: demo.Password, Method: entra.MethodPassword}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.SignIn(ctx, nil); err != nil {
		t.Fatal(err)
	}
	c := New(ep, sess)
	if g, err := c.FindGroup(ctx, demo.WorkspaceSales); err != nil || g.ID != demo.WorkspaceSalesID {
		t.Fatalf("FindGroup with an entra.Session = %+v, %v", g, err)
	}

	// The service (its clock moved on) calls the token expired while the
	// session still believes it fresh: only a forced refresh helps.
	fake := simtime.NewFake(time.Now())
	s.Clock().SetNow(fake.Now)
	fake.Advance(11 * time.Minute)
	if _, err := c.Groups(ctx, ""); err != nil {
		t.Fatalf("Groups after the service-side expiry: %v", err)
	}
}
