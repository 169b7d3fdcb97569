package config

import (
	"crypto/tls"
	"os"
)

// validate checks the TLS pair: both files or neither, each readable, and
// together a certificate and its key.
func (h HTTPConfig) validate(add func(key, format string, args ...any)) {
	cert, key := h.TLSCertFile, h.TLSKeyFile
	if cert == "" && key == "" {
		return
	}
	if cert == "" {
		add("http.tls_cert_file", "is required when http.tls_key_file is set")
		return
	}
	if key == "" {
		add("http.tls_key_file", "is required when http.tls_cert_file is set")
		return
	}
	ok := true
	for _, f := range []struct{ key, path string }{{"http.tls_cert_file", cert}, {"http.tls_key_file", key}} {
		if _, err := os.ReadFile(f.path); err != nil {
			add(f.key, "cannot be read: %v", err)
			ok = false
		}
	}
	if !ok {
		return
	}
	if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
		add("http.tls_cert_file", "is not a certificate matching http.tls_key_file: %v", err)
	}
}
