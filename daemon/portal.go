package daemon

import (
	"context"
	"fmt"
	"net"

	"turno/agents"
	"turno/config"
	"turno/portal"
	"turno/scheduler"
)

// startPortal mounts the customer portal (/portal/) on the HTTP listener
// when [portal] enabled is set, and always in --dev. Its set-password page
// is served at the path [access] portal_url makes the password mail's link
// point to. Expired sessions are swept by a daily job.
func (d *Daemon) startPortal() error {
	cfg := d.opts.Config
	if !cfg.Portal.Enabled && !d.opts.Dev {
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
	p, err := portal.Mount(d.HTTP, portal.Options{DB: d.Store.DB, Clients: d.Clients, Billing: d.Billing, Tickets: d.Tickets,
		Departments:     agents.DepartmentsFromConfig(cfg),
		SetPasswordPath: portal.SetPasswordPath(cfg.Access.PortalURL), SessionTTL: cfg.Portal.SessionTTL.D(),
		TrustedProxies: proxies, Clock: d.opts.Clock, Logger: d.log.With("component", "portal")})
	if err != nil {
		return err
	}
	if d.Scheduler != nil {
		d.Scheduler.AddDaily("portal_sweep", 3, func(ctx context.Context, _ scheduler.Run) (map[string]int, error) {
			return nil, p.Sweep(ctx)
		})
	}
	d.log.Info("customer portal mounted", "path", portal.Prefix+"/", "set_password", portal.SetPasswordPath(cfg.Access.PortalURL))
	return nil
}
