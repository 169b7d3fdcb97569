package mailout

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

// TestDKIMSignatureVerifies sends through a relay with a DKIM key and
// verifies what the SMTP server received with go-msgauth, the DNS TXT
// lookup answered from the generated public key. A changed subject must
// then fail verification, so the check is not vacuous.
func TestDKIMSignatureVerifies(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  func(t *testing.T) (der []byte, pemType, txt string)
	}{
		{"rsa-2048-pkcs1", func(t *testing.T) ([]byte, string, string) {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			return x509.MarshalPKCS1PrivateKey(k), "RSA PRIVATE KEY", "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pub)
		}},
		{"ed25519-pkcs8", func(t *testing.T) ([]byte, string, string) {
			pub, k, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			der, err := x509.MarshalPKCS8PrivateKey(crypto.Signer(k))
			if err != nil {
				t.Fatal(err)
			}
			return der, "PRIVATE KEY", "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			der, pemType, txt := tc.key(t)
			keyFile := filepath.Join(t.TempDir(), "dkim.pem")
			if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der}), 0o600); err != nil {
				t.Fatal(err)
			}
			r := newRig(t, nil, func(o *Options) {
				o.Outbox.Relays[0].DKIMDomain = "example.cl"
				o.Outbox.Relays[0].DKIMSelector = "turno2026"
				o.Outbox.Relays[0].DKIMKeyFile = keyFile
				o.Mail.FromName = "Facturación Ñuñoa"
			})
			m := ackMessage("dkim:1", "cliente@example.com")
			m.Attachments = []Attachment{{Filename: "factura-ñuñoa.pdf", ContentType: "application/pdf", Data: invoicePDF()}}
			r.waitState(t, r.enqueue(t, m), StateSent)
			got := r.smtp.WaitFor(1, 10*time.Second)
			if len(got) != 1 {
				t.Fatalf("received %d messages", len(got))
			}
			lookups := 0
			opts := &dkim.VerifyOptions{LookupTXT: func(domain string) ([]string, error) {
				lookups++
				if domain != "turno2026._domainkey.example.cl" {
					return nil, fmt.Errorf("no TXT record for %s", domain)
				}
				return []string{txt}, nil
			}}
			vs, err := dkim.VerifyWithOptions(bytes.NewReader(got[0].Data), opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "example.cl" || lookups != 1 {
				t.Fatalf("verifications %+v (err %v), lookups %d", vs, vs[0].Err, lookups)
			}
			tampered := bytes.Replace(got[0].Data, []byte("\r\nSubject: "), []byte("\r\nSubject: X"), 1)
			if bytes.Equal(tampered, got[0].Data) {
				t.Fatal("no Subject header to tamper with")
			}
			vs, err = dkim.VerifyWithOptions(bytes.NewReader(tampered), opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != 1 || vs[0].Err == nil {
				t.Fatal("a changed subject still verifies")
			}
		})
	}
}
