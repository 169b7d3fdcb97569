package config

import (
	"net/url"
	"path/filepath"
	"time"
)

// DTEConfig connects Turno to the provider's DTE system, which signs and
// numbers electronic tax documents through the SII (Turno does not: that
// needs the provider's certificate and CAF files). Turno hands it each
// invoice, as JSON, once per invoice (idempotency key), and mails the tax
// document it answers with. Command and URL are alternatives; with both,
// the command is used.
type DTEConfig struct {
	// Command is an executable run with Args: the invoice as JSON on
	// standard input, the answer as JSON on standard output.
	Command string   `toml:"command"`
	Args    []string `toml:"args"`
	// URL receives the invoice as an HTTP POST, with Secret as a Bearer
	// token.
	URL        string `toml:"url"`
	Secret     string `toml:"secret" secret:"true"`
	SecretFile string `toml:"secret_file"`
	// When the tax document is issued: "on_payment" (when an invoice is
	// paid in full; the payment confirmation carries it) or "on_issue"
	// (with the cycle's document, which is then mailed with it).
	When string `toml:"when"`
	// Timeout of one call to the issuer.
	Timeout Duration `toml:"timeout"`
}

// When the DTE is issued (billing.dte.when).
const (
	DTEOnIssue   = "on_issue"
	DTEOnPayment = "on_payment"
)

// Enabled reports whether a DTE issuer is configured.
func (d DTEConfig) Enabled() bool { return d.Command != "" || d.URL != "" }

func (d *DTEConfig) validate(add func(key, format string, args ...any)) {
	if d.When != DTEOnIssue && d.When != DTEOnPayment {
		add("billing.dte.when", "must be on_issue or on_payment (got %q)", d.When)
	}
	if d.Command != "" && !filepath.IsAbs(d.Command) {
		add("billing.dte.command", "must be an absolute path (got %q)", d.Command)
	}
	if d.URL != "" {
		u, err := url.Parse(d.URL)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			add("billing.dte.url", "must be an http(s) URL (got %q)", d.URL)
		case u.User != nil:
			add("billing.dte.url", "must not carry credentials: set billing.dte.secret")
		case u.Scheme == "http" && !loopback(u.Hostname()):
			add("billing.dte.url", "must be https unless it is on this machine: the secret and the invoices travel in it")
		}
		if d.Command == "" && len(d.Secret) < 16 {
			add("billing.dte.secret", "must be at least 16 characters with billing.dte.url (or set billing.dte.secret_file)")
		}
	}
	if d.Timeout.D() < time.Second || d.Timeout.D() > 10*time.Minute {
		add("billing.dte.timeout", "must be from 1s to 10m")
	}
}

func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
