package daemon

import (
	"context"
	"fmt"
	"net"

	"turno/agents"
	"turno/config"
	"turno/console"
	"turno/scheduler"
)

// startConsole mounts the agents' console (/console/) on the HTTP listener
// when [console] enabled is set, and always in --dev, where the dev agent
// gets a fresh console password for the banner (DevPassword). Expired
// sessions are swept by a daily job. Run after startDevAgent.
func (d *Daemon) startConsole(ctx context.Context) error {
	cfg := d.opts.Config
	if !cfg.Console.Enabled && !d.opts.Dev {
		return nil
	}
	var proxies []*net.IPNet
	for _, s := range cfg.HTTP.TrustedProxies {
		n, err := config.ParseTrustedProxy(s)
		if err != nil {
			return fmt.Errorf("http.trusted_proxies: %w", err)
		}
		proxies = append(proxies, n)
	}
	loc, err := cfg.Location()
	if err != nil {
		return err
	}
	c, err := console.Mount(d.HTTP, console.Options{DB: d.Store.DB, Agents: d.Agents, Tickets: d.Tickets,
		Replies: d.Replies, Clients: d.Clients, Billing: d.Billing, Scheduler: d.Scheduler, Departments: agents.DepartmentsFromConfig(cfg),
		SessionTTL: cfg.Console.SessionTTL.D(), TrustedProxies: proxies, Location: loc,
		Clock: d.opts.Clock, Logger: d.log.With("component", "console")})
	if err != nil {
		return err
	}
	if d.Outbox != nil {
		c.MailLockouts(d.Outbox, "") // a locked-out agent hears it by mail
	}
	if d.Scheduler != nil {
		d.Scheduler.AddDaily("console_sweep", 3, func(ctx context.Context, _ scheduler.Run) (map[string]int, error) {
			return nil, c.Sweep(ctx)
		})
	}
	if d.opts.Dev {
		pw := agents.NewPassword()
		if _, err := d.Agents.SetPassword(ctx, DevAgent, pw); err != nil {
			return fmt.Errorf("dev agent console password: %w", err)
		}
		d.DevPassword = pw
	}
	d.log.Info("agents' console mounted", "path", console.Prefix+"/")
	return nil
}
