package config

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// MailboxConfig is one watched IMAP mailbox ([[mailboxes]]). Zero values mean
// the defaults that Normalized fills in.
type MailboxConfig struct {
	// Name identifies the mailbox in the database (cursor, lease) and in logs;
	// renaming it rescans the folder (dedup keeps that harmless).
	Name string `toml:"name"`
	Host string `toml:"host"`
	// Port; default 993 for tls = "implicit", else 143.
	Port int `toml:"port"`
	// TLS is implicit (default), starttls, or none (loopback hosts only).
	TLS      string `toml:"tls"`
	Username string `toml:"username"`
	Password string `toml:"password" secret:"true"`
	// PasswordFile holds the password (one line); use password or this.
	PasswordFile string `toml:"password_file"`
	// OAuth2 selects bearer-token login instead of a password: xoauth2
	// (Gmail, Microsoft 365) or oauthbearer (RFC 7628). Empty: password.
	OAuth2 string `toml:"oauth2"`
	// TokenCommand is run (by /bin/sh -c) before each login; its standard
	// output, trimmed, is the access token.
	TokenCommand string `toml:"token_command"`
	// TokenFile is read before each login when token_command is empty.
	TokenFile string `toml:"token_file"`
	// Folder to watch; default INBOX.
	Folder string `toml:"folder"`
	// Department the mailbox's tickets belong to.
	Department string `toml:"department"`
	// After is what happens on the server once a message is stored: seen
	// (default), move:<folder> (created if missing) or delete.
	After string `toml:"after"`
	// UnknownSender is ticket (default) or reject.
	UnknownSender string `toml:"unknown_sender"`
	// PollInterval is the polling period without IDLE, and the safety poll
	// with it; default 60s.
	PollInterval Duration `toml:"poll_interval"`
	// Idle is auto (default: use IDLE when the server offers it) or off.
	Idle string `toml:"idle"`
	// AgentAuth is what an agent's reply by mail (package agentmail) must
	// prove beyond its From and its Turno reference: none (default), or
	// dkim_or_spf: the trusted server's Authentication-Results must show
	// a DKIM or SPF pass for the agent's domain (needs
	// intake.trusted_authserv_id), else the reply is held.
	AgentAuth string `toml:"agent_auth"`
}

// Values of MailboxConfig.AgentAuth.
const (
	AgentAuthNone      = "none"
	AgentAuthDKIMOrSPF = "dkim_or_spf"
)

// IntakeConfig tunes mail intake for every mailbox ([intake]).
type IntakeConfig struct {
	// BatchSize is how many messages one UID FETCH asks for.
	BatchSize int `toml:"batch_size"`
	// MaxMessageSize in bytes; larger mail becomes a ticket without its
	// attachments, with a note, and the sender is told once.
	MaxMessageSize int64 `toml:"max_message_size"`
	// RetryLimit is how many failed attempts a message gets before it is
	// quarantined.
	RetryLimit int `toml:"retry_limit"`
	// QuarantineFolder receives quarantined messages on the server (created
	// if missing). Empty: they are flagged $TurnoQuarantine and left in place.
	QuarantineFolder string `toml:"quarantine_folder"`
	// LeaseTTL is how long a process holds a mailbox without renewing; another
	// process takes the mailbox over this long after the holder dies.
	LeaseTTL Duration `toml:"lease_ttl"`
	// TrustedAuthservID is the authserv-id of the receiving server whose
	// Authentication-Results (RFC 8601) are believed; empty trusts none.
	TrustedAuthservID string `toml:"trusted_authserv_id"`
}

func defaultIntake() IntakeConfig {
	return IntakeConfig{
		BatchSize:        50,
		MaxMessageSize:   25 << 20,
		RetryLimit:       3,
		QuarantineFolder: "Turno-Quarantine",
		LeaseTTL:         Duration(30 * time.Second),
	}
}

// Normalized returns m with its defaults filled in.
func (m MailboxConfig) Normalized() MailboxConfig {
	if m.TLS == "" {
		m.TLS = "implicit"
	}
	if m.Port == 0 {
		m.Port = 143
		if m.TLS == "implicit" {
			m.Port = 993
		}
	}
	if m.Folder == "" {
		m.Folder = "INBOX"
	}
	if m.After == "" {
		m.After = "seen"
	}
	if m.UnknownSender == "" {
		m.UnknownSender = "ticket"
	}
	if m.PollInterval == 0 {
		m.PollInterval = Duration(60 * time.Second)
	}
	if m.Idle == "" {
		m.Idle = "auto"
	}
	if m.AgentAuth == "" {
		m.AgentAuth = AgentAuthNone
	}
	return m
}

// Addr is host:port.
func (m MailboxConfig) Addr() string {
	n := m.Normalized()
	return net.JoinHostPort(n.Host, fmt.Sprint(n.Port))
}

// MoveTarget is the folder of after = "move:<folder>", or "".
func (m MailboxConfig) MoveTarget() string {
	if f, ok := strings.CutPrefix(m.After, "move:"); ok {
		return f
	}
	return ""
}

// validateIntake checks [[mailboxes]] and [intake].
func (c *Config) validateIntake(add func(key, format string, args ...any)) {
	in := c.Intake
	if in.BatchSize < 1 || in.BatchSize > 1000 {
		add("intake.batch_size", "must be between 1 and 1000 (got %d)", in.BatchSize)
	}
	if in.MaxMessageSize < 1<<20 {
		add("intake.max_message_size", "must be at least 1048576 bytes (got %d)", in.MaxMessageSize)
	}
	if in.RetryLimit < 1 {
		add("intake.retry_limit", "must be at least 1 (got %d)", in.RetryLimit)
	}
	if in.LeaseTTL.D() < 3*time.Second {
		add("intake.lease_ttl", "must be at least 3s (got %s)", in.LeaseTTL.D())
	}
	if id := in.TrustedAuthservID; id != "" && !validAuthservID(id) {
		add("intake.trusted_authserv_id", "must be a server name without spaces, quotes, parentheses or \";\" (got %q)", id)
	}
	names := map[string]int{}
	for i, raw := range c.Mailboxes {
		m := raw.Normalized()
		k := func(s string) string { return fmt.Sprintf("mailboxes.%d.%s", i, s) }
		if strings.TrimSpace(m.Name) == "" {
			add(k("name"), "is required")
		} else if j, dup := names[m.Name]; dup {
			add(k("name"), "%q is already the name of mailboxes.%d", m.Name, j)
		} else {
			names[m.Name] = i
		}
		if m.Host == "" {
			add(k("host"), "is required")
		}
		if m.Port < 1 || m.Port > 65535 {
			add(k("port"), "must be between 1 and 65535 (got %d)", m.Port)
		}
		switch m.TLS {
		case "implicit", "starttls":
		case "none":
			if !isLoopbackHost(m.Host) {
				add(k("tls"), "none is allowed only for a loopback host (got host %q): passwords would cross the network in clear", m.Host)
			}
		default:
			add(k("tls"), "must be implicit, starttls or none (got %q)", m.TLS)
		}
		if m.Username == "" {
			add(k("username"), "is required")
		}
		switch m.OAuth2 {
		case "":
			if m.Password == "" {
				add(k("password"), "is required (or password_file, or oauth2 with token_command or token_file)")
			}
		case "xoauth2", "oauthbearer":
			if (m.TokenCommand == "") == (m.TokenFile == "") {
				add(k("oauth2"), "needs exactly one of token_command and token_file")
			}
		default:
			add(k("oauth2"), "must be xoauth2 or oauthbearer (got %q)", m.OAuth2)
		}
		switch {
		case m.After == "seen", m.After == "delete":
		case strings.HasPrefix(m.After, "move:") && strings.TrimSpace(m.MoveTarget()) != "":
			if m.MoveTarget() == m.Folder {
				add(k("after"), "moves to the watched folder itself (%q)", m.Folder)
			}
		default:
			add(k("after"), "must be seen, move:<folder> or delete (got %q)", m.After)
		}
		switch m.UnknownSender {
		case "ticket", "reject":
		default:
			add(k("unknown_sender"), "must be ticket or reject (got %q)", m.UnknownSender)
		}
		if m.PollInterval.D() < time.Second {
			add(k("poll_interval"), "must be at least 1s (got %s)", m.PollInterval.D())
		}
		switch m.Idle {
		case "auto", "off":
		default:
			add(k("idle"), "must be auto or off (got %q)", m.Idle)
		}
		switch m.AgentAuth {
		case AgentAuthNone:
		case AgentAuthDKIMOrSPF:
			if in.TrustedAuthservID == "" {
				add(k("agent_auth"), "dkim_or_spf needs intake.trusted_authserv_id (the server whose Authentication-Results are believed)")
			}
		default:
			add(k("agent_auth"), "must be none or dkim_or_spf (got %q)", m.AgentAuth)
		}
	}
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// validAuthservID: what an Authentication-Results header can carry as its
// authserv-id unquoted (a host name, usually), at most 255 bytes.
func validAuthservID(s string) bool {
	if len(s) > 255 {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`"();\`, c) {
			return false
		}
	}
	return true
}
