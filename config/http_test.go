package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeTestPair(t *testing.T) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "turno.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"turno.test"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func TestHTTPTLSBothOrNeitherAndReadable(t *testing.T) {
	cert, key := writeTestPair(t)
	for _, c := range []struct {
		name, cert, key, want string
	}{
		{"neither", "", "", ""},
		{"both", cert, key, ""},
		{"cert only", cert, "", "http.tls_key_file: is required"},
		{"key only", "", key, "http.tls_cert_file: is required"},
		{"unreadable", cert, key + ".missing", "http.tls_key_file: cannot be read"},
		{"swapped", key, cert, "http.tls_cert_file: is not a certificate"},
	} {
		cfg := Default()
		cfg.HTTP.TLSCertFile, cfg.HTTP.TLSKeyFile = c.cert, c.key
		var got []string
		for _, e := range cfg.Validate() {
			if strings.HasPrefix(e.Key, "http.") {
				got = append(got, e.Error())
			}
		}
		if c.want == "" && len(got) > 0 || c.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], c.want)) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
