package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/agents"
	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/devmail"
	"turno/mailout"
	"turno/replies"
	"turno/sla"
	"turno/tickets"
)

// DevAgent is the development agent `turno serve --dev` creates; the CLI
// acts as it on a dev data directory.
const DevAgent = "agente@turno.test"

// DevAgentFile, in the data directory, names the dev agent: written by
// `turno serve --dev`, read by the CLI to pick its default acting agent.
const DevAgentFile = "dev-agent"

// WorkParts are what agents work with: tickets, agent accounts and saved
// replies, built the same way in the daemon and in the CLI.
type WorkParts struct {
	Tickets *tickets.Service
	Agents  *agents.Service
	Replies *replies.Store
	// Bounces judges bounces for Tickets; OnSuppressed, set once billing
	// exists, hears of every address a proven bounce suppressed.
	Bounces *outboxBounces
}

// NewWorkParts builds the tickets service with everything an agent's work
// needs. reg may be nil (every sender unknown, no linking); mailer may be
// nil (nothing is mailed).
func NewWorkParts(ctx context.Context, cfg config.Config, db *mongo.Database, reg *clients.Registry,
	mailer tickets.Mailer, clk clock.Clock, log *slog.Logger) (WorkParts, error) {
	key, err := mailout.MessageIDKey(ctx, db, cfg.Mail.MessageIDSecret)
	if err != nil {
		return WorkParts{}, err
	}
	depts := agents.DepartmentsFromConfig(cfg)
	ag, err := agents.New(agents.Options{DB: db, Departments: depts, Clock: clk, Logger: log})
	if err != nil {
		return WorkParts{}, fmt.Errorf("agents: %w", err)
	}
	opts := tickets.OptionsFromConfig(cfg.Tickets)
	opts.DB, opts.Clock, opts.Logger = db, clk, log.With("component", "tickets")
	opts.MessageIDKey = key
	opts.TrustedAuthservID = cfg.Intake.TrustedAuthservID
	bounces := &outboxBounces{db: db, clock: clk, key: key}
	opts.Bounces = bounces
	opts.Agents = ag
	opts.Departments = depts
	opts.MailDomain = cfg.Mail.Domain
	opts.DefaultSender = tickets.Sender{Name: cfg.Mail.FromName, Address: cfg.Mail.FromAddress}
	opts.Senders = map[string]tickets.Sender{}
	for _, d := range depts {
		name, addr := cfg.DepartmentSender(d)
		opts.Senders[d] = tickets.Sender{Name: name, Address: addr}
	}
	if reg != nil {
		opts.Directory, opts.Linker = reg, reg
	}
	if mailer != nil {
		opts.Mailer = mailer
	}
	if opts.Location, err = cfg.Location(); err != nil {
		return WorkParts{}, err
	}
	if opts.SLA, err = sla.FromConfig(cfg); err != nil {
		return WorkParts{}, fmt.Errorf("sla: %w", err)
	}
	svc, err := tickets.New(opts)
	if err != nil {
		return WorkParts{}, fmt.Errorf("tickets: %w", err)
	}
	return WorkParts{Tickets: svc, Agents: ag, Replies: replies.New(db), Bounces: bounces}, nil
}

// DevOverrides points the support and From addresses at the dev mailbox,
// unless the operator chose them (a value equal to the default counts as
// not chosen), so customers' answers come back to the mailbox Turno
// watches, and gives the company a made-up issuer (RUT, giro, address, bank
// account) when none is configured, so dev documents show a complete one.
// The daemon and the CLI (on a dev data directory) apply it alike.
func DevOverrides(cfg config.Config) config.Config {
	addr := devmail.AddressFor(cfg.Dev.User)
	def := config.Default()
	if cfg.Company.SupportAddress == def.Company.SupportAddress {
		cfg.Company.SupportAddress = addr
	}
	if cfg.Mail.FromAddress == def.Mail.FromAddress {
		cfg.Mail.FromAddress = addr
	}
	// The password mail's links lead to this daemon's own portal.
	if cfg.Access.PortalURL == def.Access.PortalURL {
		cfg.Access.PortalURL = "http://" + cfg.HTTP.Listen + "/portal"
	}
	if cfg.Company.RUT == "" && cfg.Company.RazonSocial == "" && !cfg.Company.Bank.Set() {
		// A complete, made-up issuer, so the dev cycle's documents show one.
		cfg.Company.RUT, cfg.Company.RazonSocial, cfg.Company.Giro = "76.543.210-3", cfg.Company.Name, "Servicios de hosting e internet"
		cfg.Company.Address, cfg.Company.Comuna, cfg.Company.City = "Av. Providencia 1234, of. 56", "Providencia", "Santiago"
		cfg.Company.Bank = config.BankConfig{Bank: "Banco de Desarrollo", AccountType: "corriente",
			AccountNumber: "00-123-45678-9", ReceiptsTo: addr}
	}
	return cfg
}

// IsDevDataDir reports whether a --dev daemon has used the data directory,
// and which agent it made.
func IsDevDataDir(cfg config.Config) (string, bool) {
	b, err := os.ReadFile(filepath.Join(cfg.DataDir, DevAgentFile))
	if err != nil {
		return "", false
	}
	a := strings.TrimSpace(string(b))
	return a, a != ""
}

// startDevAgent makes the development agent, writes its name into the data
// directory for the CLI and returns a fresh token for the banner.
func (d *Daemon) startDevAgent(ctx context.Context) (string, error) {
	tok, err := d.Agents.EnsureDev(ctx, DevAgent, "Agente de Desarrollo")
	if err != nil {
		return "", fmt.Errorf("dev agent: %w", err)
	}
	p := filepath.Join(d.opts.Config.DataDir, DevAgentFile)
	if err := os.WriteFile(p, []byte(DevAgent+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("dev agent: %w", err)
	}
	return tok, nil
}
