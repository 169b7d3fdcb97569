// Package config owns Turno's configuration: one TOML file whose every key has
// a default (documented in turno.example.toml at the repository root), every
// key overridable by an environment variable named after its path
// (mongodb.uri → TURNO_MONGODB_URI), and secrets readable from files
// (mongodb.uri_file).
//
// Loading is strict: an unknown key, a value of the wrong type, a bad duration
// or a failed validation is an error that names the key and, for a file, the
// line. Check reports every problem of a file in one pass, in file order,
// with a suggestion for a near-miss key, and warns where two keys that name
// one setting disagree; Load fails on the errors among them.
//
// A few keys default to another key's value rather than to a constant, so
// that one fact is configured once: mail.from_name is company.name and
// mail.from_address is company.support_address unless set. time_zone was
// once billing.time_zone; the old name is still read (see derive.go).
package config

import "time"

// Config is the whole configuration. Sections are added by the issues that
// need them; each field documents its default in Default().
type Config struct {
	// DataDir holds the embedded database and dev-mode mail.
	DataDir string `toml:"data_dir"`
	// TimeZone is the business time zone (an IANA name): every date and
	// time a customer or an operator reads is shown in it, and it decides
	// the business date and the hour of the daily jobs. Default
	// America/Santiago; billing.time_zone is its old name.
	TimeZone  string          `toml:"time_zone"`
	Log       LogConfig       `toml:"log"`
	HTTP      HTTPConfig      `toml:"http"`
	MongoDB   MongoDBConfig   `toml:"mongodb"`
	Shutdown  ShutdownConfig  `toml:"shutdown"`
	Dev       DevConfig       `toml:"dev"`
	Company   CompanyConfig   `toml:"company"`
	Templates TemplatesConfig `toml:"templates"`
	Intake    IntakeConfig    `toml:"intake"`
	Mailboxes []MailboxConfig `toml:"mailboxes"`
	Mail      MailConfig      `toml:"mail"`
	Outbox    OutboxConfig    `toml:"outbox"`
	Tickets   TicketsConfig   `toml:"tickets"`
	// Departments name each department's reply sender (departments.go).
	Departments map[string]DepartmentConfig `toml:"departments"`
	Access      AccessConfig                `toml:"access"`
	Billing     BillingConfig               `toml:"billing"`
	SLA         SLAConfig                   `toml:"sla"`
	Portal      PortalConfig                `toml:"portal"`
	Retention   RetentionConfig             `toml:"retention"`
	Console     ConsoleConfig               `toml:"console"`
}

// LogConfig sets up log/slog.
type LogConfig struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text or json
}

// HTTPConfig is the HTTP listener: the operator endpoints (/healthz,
// /readyz, /metrics) and the agents' API (/api/v1).
type HTTPConfig struct {
	Listen string `toml:"listen"`
	// TLSCertFile and TLSKeyFile (PEM) serve HTTPS instead of HTTP: both
	// or neither. Default neither.
	TLSCertFile string `toml:"tls_cert_file"`
	TLSKeyFile  string `toml:"tls_key_file"`
	// TrustedProxies are the addresses (IPs or CIDR ranges) of reverse
	// proxies whose X-Forwarded-For and X-Forwarded-Proto the web pages
	// believe (the client's IP for rate limits, https for Secure cookies).
	// Default none.
	TrustedProxies []string `toml:"trusted_proxies"`
}

// MongoDBConfig selects the database. An empty URI means the embedded store.
type MongoDBConfig struct {
	URI            string   `toml:"uri" secret:"true"`
	URIFile        string   `toml:"uri_file"`
	Database       string   `toml:"database"`
	ConnectTimeout Duration `toml:"connect_timeout"`
}

// ShutdownConfig bounds the graceful stop.
type ShutdownConfig struct {
	GracePeriod Duration `toml:"grace_period"`
}

// DevConfig is used only by `turno serve --dev`.
type DevConfig struct {
	IMAPListen string `toml:"imap_listen"`
	SMTPListen string `toml:"smtp_listen"`
	User       string `toml:"user"`
	Password   string `toml:"password" secret:"true"`
}

// TemplatesConfig points at operator overrides of the embedded templates.
type TemplatesConfig struct {
	Dir string `toml:"dir"`
}

// Default returns the configuration Turno runs with when nothing is set. It
// must match turno.example.toml (a test checks).
func Default() Config {
	c := defaults()
	c.derive()
	return c
}

// defaults is Default before derive: the keys that default to another key's
// value are still empty, so that derive can tell them from set ones.
func defaults() Config {
	return Config{
		DataDir: "./turno-data",
		Log:     LogConfig{Level: "info", Format: "text"},
		HTTP:    HTTPConfig{Listen: "127.0.0.1:8025", TrustedProxies: []string{}},
		MongoDB: MongoDBConfig{
			Database:       "turno",
			ConnectTimeout: Duration(10 * time.Second),
		},
		Shutdown: ShutdownConfig{GracePeriod: Duration(30 * time.Second)},
		Dev: DevConfig{
			IMAPListen: "127.0.0.1:1143",
			SMTPListen: "127.0.0.1:1025",
			User:       "soporte@turno.test",
			Password:   "turno",
		},
		Company: CompanyConfig{
			Name:           "Mi Proveedor SpA",
			SupportAddress: "soporte@example.cl",
		},
		Intake:      defaultIntake(),
		Mail:        defaultMail(),
		Outbox:      defaultOutbox(),
		Tickets:     defaultTickets(),
		Departments: map[string]DepartmentConfig{},
		Access:      AccessConfig{Mode: "link", PortalURL: "https://clientes.example.cl", TokenTTL: Duration(24 * time.Hour)},
		Billing:     defaultBilling(),
		SLA:         defaultSLA(),
		Portal:      PortalConfig{SessionTTL: Duration(12 * time.Hour)},
		Retention:   defaultRetention(),
		Console:     ConsoleConfig{SessionTTL: Duration(12 * time.Hour)},
	}
}
