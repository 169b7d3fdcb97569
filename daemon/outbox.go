package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/config"
	"turno/mailout"
	"turno/templates"
)

// TemplateOptions is how the daemon (and `turno config check`) load the
// email templates from the configuration: its company, and its time zone,
// in which every date and time in mail is shown.
func TemplateOptions(cfg config.Config) templates.Options {
	c := cfg.Company
	return templates.Options{Dir: cfg.Templates.Dir, TimeZone: cfg.TimeZone, Company: templates.Company{
		Name: c.Name, SupportAddress: c.SupportAddress, Website: c.Website, Phone: c.Phone, Footer: c.Footer}}
}

// startOutbox loads the templates (a broken override fails the start),
// builds the outbox and starts its workers. In dev mode with no relay
// configured, mail goes to the dev SMTP server.
func (d *Daemon) startOutbox(ctx context.Context, cfg config.Config, td *teardown) error {
	set, err := templates.Load(TemplateOptions(cfg))
	if err != nil {
		return err
	}
	d.Templates = set
	key, err := mailout.MessageIDKey(ctx, d.Store.DB, cfg.Mail.MessageIDSecret)
	if err != nil {
		return err
	}
	ocfg := cfg.Outbox
	if len(ocfg.Relays) == 0 && d.Dev != nil {
		host, port, _ := net.SplitHostPort(d.Dev.SMTPAddr)
		p, _ := strconv.Atoi(port)
		ocfg.Relays = []config.RelayConfig{{Host: host, Port: p, TLS: "none"}}
	}
	if len(ocfg.Relays) == 0 {
		d.log.Warn("no SMTP relay configured: mail is queued but not sent (set [[outbox.relays]])")
	}
	ob, err := mailout.New(mailout.Options{DB: d.Store.DB, Templates: set, Mail: cfg.Mail, Outbox: ocfg,
		MessageIDKey: key, OptOuts: d.Clients, Clock: d.opts.Clock, Logger: d.log, Registry: d.opts.Registry})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := ob.Start(); err != nil {
		return err
	}
	d.Outbox = ob
	td.push("outbox", ob.Stop)
	if len(ocfg.Relays) > 0 {
		d.HTTP.AddCheck("smtp", ob.CheckRelays)
	}
	return nil
}

// NewOutbox builds an outbox that enqueues but does not deliver: for admin
// commands (turno clients password, turno invoices pay…) whose mail the
// serving daemon sends.
func NewOutbox(ctx context.Context, cfg config.Config, db *mongo.Database, log *slog.Logger) (*mailout.Outbox, error) {
	set, err := templates.Load(TemplateOptions(cfg))
	if err != nil {
		return nil, err
	}
	key, err := mailout.MessageIDKey(ctx, db, cfg.Mail.MessageIDSecret)
	if err != nil {
		return nil, err
	}
	return mailout.New(mailout.Options{DB: db, Templates: set, Mail: cfg.Mail, Outbox: cfg.Outbox, MessageIDKey: key, Logger: log})
}
