package entra

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1" // #nosec: the thumbprint Azure portal shows is SHA-1 (docs/sources.md, MSAL: certificates)
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/pbiwb/pbiwb/connector/field"
)

// A service principal may sign in with a certificate instead of a client
// secret (docs/cli.md, "Certificates"): a PEM file holding the certificate and
// its unencrypted private key, or a PFX (PKCS #12) file with its password.
// MSAL Go signs the client assertion with the key (RSA only).

// CertificateInfo describes a certificate as Azure portal lists it under
// Certificates & secrets.
type CertificateInfo struct {
	Thumbprint string // SHA-1 of the certificate, upper-case hex
	Subject    string
	NotBefore  time.Time
	NotAfter   time.Time
}

// ExpiryWarning is how long before its expiry a certificate is warned about.
const ExpiryWarning = 30 * 24 * time.Hour

// DescribeCertificate reads a certificate file as the sign-in would and
// describes its certificate; the error is a *Error naming the field at fault.
func DescribeCertificate(data []byte, password string) (CertificateInfo, error) {
	certs, _, err := parseCertificate(data, password)
	if err != nil {
		return CertificateInfo{}, err
	}
	c := certs[0]
	sum := sha1.Sum(c.Raw)
	return CertificateInfo{Thumbprint: strings.ToUpper(hex.EncodeToString(sum[:])), Subject: c.Subject.String(),
		NotBefore: c.NotBefore, NotAfter: c.NotAfter}, nil
}

// parseCertificate reads PEM (certificate and key) or PFX. The certificate
// whose public key matches the key comes first, as MSAL wants it.
func parseCertificate(data []byte, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	if len(data) == 0 {
		return nil, nil, certError(field.Certificate, "the certificate file is empty.")
	}
	if blk, _ := pem.Decode(data); blk != nil {
		if strings.Contains(string(data), "ENCRYPTED") {
			return nil, nil, certError(field.Certificate, "the PEM file's private key is encrypted, which pbiwb cannot read: "+
				"give a PFX file with its password instead, or decrypt the key (openssl pkey -in key.pem -out plain.pem).")
		}
		certs, key, err := confidential.CertFromPEM(data, "")
		if err != nil {
			return nil, nil, certError(field.Certificate, "the PEM file must hold the certificate and its private key (BEGIN CERTIFICATE and BEGIN PRIVATE KEY blocks): "+err.Error()+".")
		}
		return orderCerts(certs, key)
	}
	key, cert, chain, err := pkcs12.DecodeChain(data, password)
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword) && password == "":
		return nil, nil, certError(field.CertificatePassword, "the PFX file is protected by a password, and none was given.")
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return nil, nil, certError(field.CertificatePassword, "the PFX file's password is wrong.")
	case err != nil:
		return nil, nil, certError(field.Certificate, "the file is neither PEM (a certificate and its private key) nor a PFX (PKCS #12) file that pbiwb can read.")
	}
	return orderCerts(append([]*x509.Certificate{cert}, chain...), key)
}

func orderCerts(certs []*x509.Certificate, key crypto.PrivateKey) ([]*x509.Certificate, crypto.PrivateKey, error) {
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, certError(field.Certificate, fmt.Sprintf("the private key is %T: Entra ID client assertions need an RSA key.", key))
	}
	for i, c := range certs {
		if pub, ok := c.PublicKey.(*rsa.PublicKey); ok && pub.Equal(&rk.PublicKey) {
			certs[0], certs[i] = certs[i], certs[0]
			return certs, key, nil
		}
	}
	return nil, nil, certError(field.Certificate, "no certificate in the file matches its private key.")
}

func certError(f field.ID, summary string) *Error {
	e := &Error{Field: f, Summary: summary}
	if f == field.CertificatePassword {
		return e.withFix("Give the PFX file's password in {certificate password}.")
	}
	return e.withFix("Export the certificate with its private key as PEM or PFX, the same certificate whose public part is uploaded to " + portalApp + " → Certificates & secrets → Certificates.")
}
