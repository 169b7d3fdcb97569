package config

import (
	"strings"
	"testing"

	"turno/internal/testcert"
)

func TestHTTPTLSBothOrNeitherAndReadable(t *testing.T) {
	cert, key := testPair(t)
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

func testPair(t *testing.T) (cert, key string) {
	cert, key, _ = testcert.Pair(t)
	return cert, key
}
