package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"turno/billing"
	"turno/portal"
	"turno/scheduler"
	"turno/store"
)

// BillingParts builds the billing service and the scheduler with its jobs
// from the configuration; the CLI uses it too. Clients and Mailer may be nil
// until the clients registry and the outbox are wired, and then the billing
// jobs are not registered (billing.Service.Wired says so).
func BillingParts(opts Options, st *store.Store, clients billing.Clients, mailer billing.Mailer) (*billing.Service, *scheduler.Scheduler, error) {
	cfg := opts.Config
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, nil, fmt.Errorf("billing time zone: %w", err)
	}
	var reg prometheus.Registerer // the CLI has no registry: keep the interface nil
	if opts.Registry != nil {
		reg = opts.Registry
	}
	dataURL := "" // the built-in portal's Mis datos, when it is served
	if cfg.Portal.Enabled || opts.Dev {
		dataURL = portal.DataURL(cfg.Access.PortalURL)
	}
	svc, err := billing.New(billing.Options{DB: st.DB, Clients: clients, Mailer: mailer, Billing: cfg.Billing,
		Company: cfg.Company, PortalURL: cfg.Access.PortalURL, DataURL: dataURL, Location: loc, Clock: opts.Clock, Logger: opts.Logger, Registry: reg})
	if err != nil {
		return nil, nil, err
	}
	sched, err := scheduler.New(scheduler.Options{DB: st.DB, Location: loc, CatchUpDays: cfg.Billing.CatchUpDays,
		LeaseTTL: cfg.Billing.LeaseTTL.D(), Clock: opts.Clock, Logger: opts.Logger})
	if err != nil {
		return nil, nil, err
	}
	if svc.Wired() {
		sched.AddDaily(billing.CycleJob, cfg.Billing.CycleHour, svc.Cycle)
		sched.AddDaily(billing.CollectionJob, cfg.Billing.CollectionHour, svc.Collect)
	}
	// Retention runs on the same leader-only scheduler, recorded like the
	// billing jobs (turno jobs run retention works too).
	if err := AddRetention(context.Background(), opts, st, sched); err != nil {
		return nil, nil, err
	}
	return svc, sched, nil
}

// startBilling starts the scheduler and mounts the payments endpoint.
func (d *Daemon) startBilling(ctx context.Context, td *teardown) error {
	svc, sched, err := BillingParts(d.opts, d.Store, d.Clients, d.Outbox)
	if err != nil {
		return err
	}
	if !svc.Wired() {
		d.log.Warn("billing jobs and the payments endpoint are off: no clients registry or outbox")
	} else if tok := d.opts.Config.Billing.APIToken; tok != "" {
		d.HTTP.Handle("POST /api/payments", svc.PaymentsHandler(tok))
	}
	d.Billing, d.Scheduler = svc, sched
	d.payLedger.set(svc) // payreport.go
	if svc.Wired() {
		// The undeliverable-clients gauge follows every suppression and
		// starts from a reconcile of what changed while stopped.
		if d.bounces != nil {
			d.bounces.OnSuppressed(svc.AddressChanged)
		}
		// ... and every client change made through this process.
		d.Clients.OnChange(func(ctx context.Context, id string) {
			if err := svc.ClientChanged(ctx, id); err != nil {
				d.log.Warn("billing: undeliverable marker after a client change; the next reconcile repairs it", "client", id, "err", err)
			}
		})
		// Invoices from before billing's markers and client index are
		// marked once, so the cycle reads them by _id from then on (until
		// then the cycle and a client's reads wait for it or run it).
		d.upgradeInBackground(td, "billing markers", svc.UpgradeIndexes)
		if _, err := svc.ReconcileUndeliverable(ctx); err != nil {
			d.log.Warn("billing: reconcile undeliverable clients", "err", err)
		}
	}
	if err := sched.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	td.push("scheduler", sched.Stop)
	if svc.Wired() {
		// The DTE loop retries the tax-document issuer between cycles and
		// does on_payment requests at once (it returns at once when no
		// issuer is configured).
		dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() { defer close(done); svc.RunDTE(dctx, 0) }()
		td.push("dte", func(ctx context.Context) error {
			cancel()
			select {
			case <-done:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}
	return nil
}
