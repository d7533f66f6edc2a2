package entra_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

func certCreds(cert []byte, password string) entra.Credentials {
	return entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientIDCertificate, Method: entra.MethodServicePrincipal,
		Certificate: cert, CertificatePassword: password}
}

func demoPFX(t *testing.T, pemData []byte, password string) []byte {
	t.Helper()
	certs, key, err := confidential.CertFromPEM(pemData, "")
	if err != nil {
		t.Fatal(err)
	}
	pfx, err := pkcs12.Modern.Encode(key, certs[0], nil, password)
	if err != nil {
		t.Fatal(err)
	}
	return pfx
}

func TestCertificateSignIn(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	cases := []struct {
		name  string
		c     entra.Credentials
		code  int
		field field.ID
		text  string
	}{
		{"PEM", certCreds(demo.CertificatePEM, ""), 0, "", ""},
		{"PFX with its password", certCreds(demoPFX(t, demo.CertificatePEM, "pfx-pass"), "pfx-pass"), 0, "", ""},
		{"expired certificate", certCreds(demo.ExpiredCertificatePEM, ""), 700027, field.Certificate, "reason: The key used is expired."},
		{"PFX without its password", certCreds(demoPFX(t, demo.CertificatePEM, "pfx-pass"), ""), 0, field.CertificatePassword, "none was given"},
		{"PFX with a wrong password", certCreds(demoPFX(t, demo.CertificatePEM, "pfx-pass"), "wrong"), 0, field.CertificatePassword, "password is wrong"},
		{"not a certificate", certCreds([]byte("hello"), ""), 0, field.Certificate, "neither PEM"},
		{"certificate without its key", certCreds([]byte(strings.Split(string(demo.CertificatePEM), "-----BEGIN PRIVATE KEY")[0]), ""), 0, field.Certificate, "private key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := entra.New(l.ep, tc.c, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err = s.SignIn(ctx, nil)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				tok, err := s.Token(ctx)
				if err != nil || claimsOf(t, tok).AppID != demo.ClientIDCertificate {
					t.Fatalf("token: %v", err)
				}
				return
			}
			var e *entra.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Field != tc.field || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("got %v (field %q), want AADSTS%d on %q saying %q", err, e.Field, tc.code, tc.field, tc.text)
			}
			if strings.Contains(err.Error(), "pfx-pass") {
				t.Fatal("the PFX password leaked into the error")
			}
		})
	}
	// A secret and a certificate together: one of them, please.
	c := certCreds(demo.CertificatePEM, "")
	c.ClientSecret = demo.ClientSecret
	if _, err := entra.New(l.ep, c, nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("both: %v", err)
	}
}

func TestDescribeCertificate(t *testing.T) {
	certs, _, _ := confidential.CertFromPEM(demo.CertificatePEM, "")
	sum := sha1.Sum(certs[0].Raw)
	for _, data := range [][]byte{demo.CertificatePEM, demoPFX(t, demo.CertificatePEM, "x")} {
		info, err := entra.DescribeCertificate(data, "x")
		if err != nil {
			t.Fatal(err)
		}
		if info.Thumbprint != strings.ToUpper(hex.EncodeToString(sum[:])) || !info.NotAfter.Equal(time.Date(2046, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("info %+v", info)
		}
	}
}
