// Package daemon is `turno serve`: it builds every subsystem from the
// configuration, starts them in dependency order, and stops them in reverse.
//
// Lifecycle: New validates and builds nothing that runs; Run starts the
// database, creates indexes, starts the HTTP endpoint (and in dev mode the
// built-in mail servers), and blocks until its context ends or Stop is called.
// Then it stops taking work and tears everything down, last started first,
// within the configured grace period. A failure at start tears down what had
// started and returns the error: nothing is left half-running.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"turno/agentmail"
	"turno/agents"
	"turno/billing"
	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/devmail"
	"turno/httpapi"
	"turno/mailin"
	"turno/mailout"
	"turno/replies"
	"turno/scheduler"
	"turno/store"
	"turno/templates"
	"turno/tickets"
)

// Options configure a Daemon.
type Options struct {
	Config config.Config
	// Dev starts the built-in IMAP and SMTP servers (turno serve --dev).
	Dev    bool
	Logger *slog.Logger
	// Clock; default the wall clock.
	Clock clock.Clock
	// Registry for metrics; default a new one with Go, process and build info.
	Registry *prometheus.Registry
}

// Daemon is a running (or runnable) Turno.
type Daemon struct {
	opts  Options
	log   *slog.Logger
	ready chan struct{}
	stop  chan struct{}
	once  sync.Once

	// Set during Run, valid after Ready.
	Store *store.Store
	HTTP  *httpapi.Server
	Dev   *devmail.Servers
	Mail  *mailin.Service // nil without mailboxes
	// Templates and Outbox are the outbound mail (daemon/outbox.go).
	Templates *templates.Set
	Outbox    *mailout.Outbox
	// Tickets takes parsed mail from the intake and agents' work;
	// Agents and Replies are agent accounts and saved replies
	// (daemon/work.go).
	Tickets *tickets.Service
	Agents  *agents.Service
	Replies *replies.Store
	// Clients is the clients registry (daemon/clients.go).
	Clients *clients.Registry
	// Billing and Scheduler run the billing calendar (daemon/billing.go).
	Billing   *billing.Service
	Scheduler *scheduler.Scheduler
	// DevToken is the dev agent's API token (--dev only), for the banner.
	DevToken string
	// DevPassword is the dev agent's console password (--dev only), for
	// the banner (daemon/console.go).
	DevPassword string
	// pokeNotify wakes the agents' notifications (set by startNotify,
	// daemon/notify.go; nil when they are off).
	pokeNotify func()
	// agentMail routes agents' answers by mail and releases held ones
	// (daemon/agentmail.go), built once.
	agentMail     *agentmail.Router
	agentMailOnce sync.Once
	// payLedger is billing for payment reports (daemon/payreport.go).
	payLedger *billingLedger
	// bounces is the tickets' bounce judge, told of suppressions once
	// billing exists (startBilling).
	bounces *outboxBounces
}

// New checks the options. Nothing starts until Run.
func New(opts Options) (*Daemon, error) {
	if errs := opts.Config.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("invalid configuration: %w", errors.Join(fieldErrs(errs)...))
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Registry == nil {
		opts.Registry = newRegistry()
	}
	return &Daemon{opts: opts, log: opts.Logger, ready: make(chan struct{}), stop: make(chan struct{})}, nil
}

func fieldErrs(fe []config.FieldError) []error {
	out := make([]error, len(fe))
	for i, e := range fe {
		out[i] = e
	}
	return out
}

// Ready is closed once everything has started.
func (d *Daemon) Ready() <-chan struct{} { return d.ready }

// Stop asks Run to stop gracefully; it returns at once.
func (d *Daemon) Stop() { d.once.Do(func() { close(d.stop) }) }

// Run starts everything, blocks until ctx ends or Stop is called, then stops
// everything within the grace period. It returns nil after a clean stop.
func (d *Daemon) Run(ctx context.Context) error {
	cfg := d.opts.Config
	var td teardown
	stopExtending := d.extendStartTimeout() // sdnotify.go: systemd's start timeout
	defer stopExtending()
	grace := cfg.Shutdown.GracePeriod.D()
	fail := func(err error) error {
		tctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		return errors.Join(err, td.run(tctx))
	}

	sopts := StoreOptions(cfg, d.log)
	sopts.Shared = false // the daemon owns its data directory
	st, err := store.Open(ctx, sopts)
	if err != nil {
		return err
	}
	d.Store = st
	td.push("database", st.Close)
	if st.Embedded() {
		d.log.Info("using the embedded store", "data", st.Location)
	} else {
		d.log.Info("connected to MongoDB", "server", st.Location, "database", cfg.MongoDB.Database)
	}
	if err := store.EnsureIndexes(ctx, st.DB, Indexes()); err != nil {
		return fail(err)
	}

	if d.opts.Dev {
		// Customers' replies must come back to the mailbox Turno watches:
		// unless the operator chose them, the support and From addresses
		// are the dev mailbox's (a value equal to the default counts as
		// not chosen).
		cfg = DevOverrides(cfg)
		addr := devmail.AddressFor(cfg.Dev.User)
		d.opts.Config = cfg
		dev, err := devmail.Start(devmail.Options{
			IMAPAddr:   cfg.Dev.IMAPListen,
			SMTPAddr:   cfg.Dev.SMTPListen,
			User:       cfg.Dev.User,
			Password:   cfg.Dev.Password,
			Address:    addr,
			MailDir:    filepath.Join(cfg.DataDir, "dev-mail"),
			MailboxDir: filepath.Join(cfg.DataDir, "dev-mailbox"),
			Logger:     d.log,
		})
		if err != nil {
			return fail(err)
		}
		d.Dev = dev
		td.push("dev mail servers", func(context.Context) error { return dev.Close() })
		d.log.Info("dev mail servers started", "imap", dev.IMAPAddr, "smtp", dev.SMTPAddr,
			"support_address", addr, "from_address", cfg.Mail.FromAddress)
	}

	d.HTTP = httpapi.New(httpapi.Options{Addr: cfg.HTTP.Listen, Gatherer: d.opts.Registry, Logger: d.log,
		TLSCertFile: cfg.HTTP.TLSCertFile, TLSKeyFile: cfg.HTTP.TLSKeyFile})
	d.HTTP.AddCheck("database", st.Ping)
	// Not ready until everything has started: the listener is up early
	// (the API, portal and console mount on it later), and a client that
	// waits for /readyz must find every route there.
	d.HTTP.AddCheck("started", func(context.Context) error {
		select {
		case <-d.ready:
			return nil
		default:
			return errors.New("starting")
		}
	})
	// Clients first (outbox opt-outs, sender lookups), then outbound before
	// inbound: intake acknowledges through the outbox.
	d.startClients(cfg)
	if err := d.startOutbox(ctx, cfg, &td); err != nil {
		return fail(err)
	}
	if err := d.startTickets(ctx, &td); err != nil {
		return fail(err)
	}
	if d.Mail, err = d.startMail(st, &td); err != nil {
		return fail(err)
	}
	if err := d.HTTP.Start(); err != nil {
		return fail(err)
	}
	td.push("http", d.HTTP.Shutdown)
	if err := d.startBilling(ctx, &td); err != nil {
		return fail(err)
	}
	if err := d.startAPI(); err != nil {
		return fail(err)
	}
	if err := d.startPortal(); err != nil {
		return fail(err)
	}
	if d.opts.Dev {
		tok, err := d.startDevAgent(ctx)
		if err != nil {
			return fail(err)
		}
		d.DevToken = tok
		if err := d.startDevClient(ctx); err != nil { // daemon/devclient.go
			return fail(err)
		}
	}
	if err := d.startConsole(ctx); err != nil { // daemon/console.go
		return fail(err)
	}
	d.log.Info("turno started", "http", d.HTTP.Addr(), "tls", d.HTTP.TLS(), "dev", d.opts.Dev)
	d.registerOperatorMetrics() // the open queue and job runs (daemon/queuemetrics.go)
	close(d.ready)
	stopExtending()
	d.notifyWhenReady(ctx) // systemd Type=notify: READY=1 once /readyz says so

	select {
	case <-ctx.Done():
	case <-d.stop:
	}
	d.notifyStopping()
	d.log.Info("stopping", "grace_period", grace)
	start := time.Now()
	tctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := td.run(tctx); err != nil {
		return err
	}
	if tctx.Err() != nil {
		return fmt.Errorf("stop took longer than the grace period (%s)", grace)
	}
	d.log.Info("stopped", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// StoreOptions maps the configuration to the database options, for the
// daemon and every admin command alike.
func StoreOptions(cfg config.Config, log *slog.Logger) store.Options {
	return store.Options{
		URI:            cfg.MongoDB.URI,
		Database:       cfg.MongoDB.Database,
		DataDir:        cfg.DataDir,
		ConnectTimeout: cfg.MongoDB.ConnectTimeout.D(),
		Logger:         log,
		// Admin commands reach a running serve's embedded store.
		Shared: true,
	}
}
