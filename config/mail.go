package config

import (
	"fmt"
	"net"
	"net/mail"
	"os"
	"strings"
	"time"
)

// MailConfig is how Turno's outgoing mail presents itself.
type MailConfig struct {
	// FromAddress and FromName make the From header of every message.
	// Empty (the default): company.support_address and company.name.
	FromAddress string `toml:"from_address"`
	FromName    string `toml:"from_name"`
	// Domain is the right-hand side of the Message-IDs Turno generates.
	Domain string `toml:"domain"`
	// MessageIDSecret keys the HMAC in ticket Message-IDs. Empty: one is
	// generated at first start and kept in the database for every process.
	// Set, it must be at least MinMessageIDSecret bytes.
	MessageIDSecret     string `toml:"message_id_secret" secret:"true"`
	MessageIDSecretFile string `toml:"message_id_secret_file"`
}

// OutboxConfig tunes the outbox and names the SMTP relays.
type OutboxConfig struct {
	// Connections is the number of parallel SMTP connections (workers).
	Connections int `toml:"connections"`
	// PollInterval is how often the ready set is scanned for mail other
	// processes enqueued and for retries that came due.
	PollInterval Duration `toml:"poll_interval"`
	// Lease is how long a claimed entry is ours before another process may
	// take it over (a crash mid-send).
	Lease Duration `toml:"lease"`
	// Backoff: first retry after RetryInitial, doubling up to RetryMax,
	// with jitter; after GiveUpAfter since enqueue the entry fails.
	RetryInitial Duration `toml:"retry_initial"`
	RetryMax     Duration `toml:"retry_max"`
	GiveUpAfter  Duration `toml:"give_up_after"`
	// SMTPTimeout bounds each SMTP command and the dial.
	SMTPTimeout Duration `toml:"smtp_timeout"`
	// Relays in failover order. Empty: no mail leaves (in dev mode it goes
	// to the dev SMTP server).
	Relays []RelayConfig `toml:"relays"`
}

// RelayConfig is one SMTP relay.
type RelayConfig struct {
	Host string `toml:"host"`
	Port int    `toml:"port"`
	// TLS: "starttls" (required), "implicit" (TLS from the first byte) or
	// "none" (loopback hosts only).
	TLS string `toml:"tls"`
	// Auth: "" (none), "plain", "login" or "xoauth2".
	Auth         string `toml:"auth"`
	Username     string `toml:"username"`
	Password     string `toml:"password" secret:"true"`
	PasswordFile string `toml:"password_file"`
	// For xoauth2: a command whose standard output is the access token, or
	// a file holding it; read at every connection.
	OAuth2TokenCommand string `toml:"oauth2_token_command"`
	OAuth2TokenFile    string `toml:"oauth2_token_file"`
	// Rate limits shared by every connection to this relay; 0 = none.
	RatePerSecond float64 `toml:"rate_per_second"`
	RatePerMinute float64 `toml:"rate_per_minute"`
	// Optional DKIM signing: domain, selector and a PEM private key file.
	DKIMDomain   string `toml:"dkim_domain"`
	DKIMSelector string `toml:"dkim_selector"`
	DKIMKeyFile  string `toml:"dkim_key_file"`
}

// MinMessageIDSecret is the shortest mail.message_id_secret accepted, in
// bytes: a shorter HMAC key could be guessed, and with it Message-IDs (and
// the bounces that quote them) forged.
const MinMessageIDSecret = 32

func defaultMail() MailConfig {
	// FromAddress and FromName are filled from [company] by derive.
	return MailConfig{Domain: "example.cl"}
}

func defaultOutbox() OutboxConfig {
	return OutboxConfig{
		Connections:  4,
		PollInterval: Duration(time.Second),
		Lease:        Duration(5 * time.Minute),
		RetryInitial: Duration(time.Minute),
		RetryMax:     Duration(time.Hour),
		GiveUpAfter:  Duration(72 * time.Hour),
		SMTPTimeout:  Duration(30 * time.Second),
		Relays:       []RelayConfig{},
	}
}

// validateMail checks the [mail] and [outbox] sections.
func (c *Config) validateMail(add func(key, format string, args ...any)) {
	if _, err := mail.ParseAddress(c.Mail.FromAddress); err != nil {
		add("mail.from_address", "must be an email address (got %q)", c.Mail.FromAddress)
	}
	if strings.ContainsAny(c.Mail.FromName, "\r\n") {
		add("mail.from_name", "must be one line")
	}
	if n := len(c.Mail.MessageIDSecret); n > 0 && n < MinMessageIDSecret {
		key := "mail.message_id_secret"
		if c.Mail.MessageIDSecretFile != "" {
			key += "_file"
		}
		add(key, "must be at least %d bytes (it has %d); make one with `openssl rand -hex 32`, or leave it empty "+
			"to have one generated and kept in the database", MinMessageIDSecret, n)
	}
	if d := c.Mail.Domain; d == "" || strings.ContainsAny(d, " \r\n<>@") {
		add("mail.domain", "must be a domain name (got %q)", d)
	}
	o := c.Outbox
	if o.Connections < 1 || o.Connections > 100 {
		add("outbox.connections", "must be between 1 and 100 (got %d)", o.Connections)
	}
	for _, d := range []struct {
		key string
		v   Duration
	}{{"poll_interval", o.PollInterval}, {"lease", o.Lease}, {"retry_initial", o.RetryInitial},
		{"retry_max", o.RetryMax}, {"give_up_after", o.GiveUpAfter}, {"smtp_timeout", o.SMTPTimeout}} {
		if d.v.D() <= 0 {
			add("outbox."+d.key, "must be greater than zero")
		}
	}
	if o.RetryMax.D() < o.RetryInitial.D() {
		add("outbox.retry_max", "must not be less than outbox.retry_initial")
	}
	if o.Lease.D() <= 2*o.SMTPTimeout.D() {
		add("outbox.lease", "must be more than twice outbox.smtp_timeout, so a slow send never outlives its lease")
	}
	for i, r := range o.Relays {
		validateRelay(fmt.Sprintf("outbox.relays.%d.", i), r, add)
	}
}

func validateRelay(p string, r RelayConfig, add func(key, format string, args ...any)) {
	if r.Host == "" {
		add(p+"host", "is required")
	}
	if r.Port < 1 || r.Port > 65535 {
		add(p+"port", "must be a TCP port (got %d)", r.Port)
	}
	switch r.TLS {
	case "starttls", "implicit":
	case "none":
		ip := net.ParseIP(r.Host)
		if r.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			add(p+"tls", "\"none\" is allowed only for a loopback host (got %q)", r.Host)
		}
	default:
		add(p+"tls", "must be starttls, implicit or none (got %q)", r.TLS)
	}
	switch r.Auth {
	case "":
	case "plain", "login":
		if r.Username == "" {
			add(p+"username", "is required with auth %q", r.Auth)
		}
	case "xoauth2":
		if r.Username == "" {
			add(p+"username", "is required with auth xoauth2")
		}
		if (r.OAuth2TokenCommand == "") == (r.OAuth2TokenFile == "") {
			add(p+"oauth2_token_command", "set exactly one of oauth2_token_command and oauth2_token_file")
		}
	default:
		add(p+"auth", "must be empty, plain, login or xoauth2 (got %q)", r.Auth)
	}
	if r.RatePerSecond < 0 || r.RatePerMinute < 0 {
		add(p+"rate_per_second", "rates must not be negative")
	}
	if r.DKIMDomain != "" || r.DKIMSelector != "" || r.DKIMKeyFile != "" {
		if r.DKIMDomain == "" || r.DKIMSelector == "" || r.DKIMKeyFile == "" {
			add(p+"dkim_key_file", "DKIM needs dkim_domain, dkim_selector and dkim_key_file together")
		} else if _, err := os.Stat(r.DKIMKeyFile); err != nil {
			add(p+"dkim_key_file", "%v", err)
		}
	}
}
