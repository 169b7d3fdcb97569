package daemon

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"turno/agents"
	"turno/tickets"
)

// slaCheckEvery is how often breaches of service-level targets are
// recorded. Every process does it: CheckSLA records each breach once per
// ticket and target whoever runs it (the agents' notifier mails it).
const slaCheckEvery = time.Minute

// slaMetrics are turno_tickets_sla_breaches_total{department,target} (the
// breaches this process recorded) and turno_tickets_overdue{department}
// (open tickets past a due time, as of this process's last check).
type slaMetrics struct {
	breaches *prometheus.CounterVec
	overdue  *prometheus.GaugeVec

	mu   sync.Mutex
	seen map[string]bool // departments the gauge has a value for
}

// newSLAMetrics registers the metrics in reg (reusing ones registered
// before) with every series of depts at zero, so rates and alerts see
// them before the first breach.
func newSLAMetrics(reg prometheus.Registerer, depts []string) *slaMetrics {
	m := &slaMetrics{
		breaches: registerOr(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "turno_tickets_sla_breaches_total",
			Help: "Service-level breaches this process recorded (each is recorded once per ticket and target, by whichever process sees it first), by department and target (first_response, resolution).",
		}, []string{"department", "target"})),
		overdue: registerOr(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "turno_tickets_overdue",
			Help: "Open tickets past a service-level due time not met (first response or resolution), by department, as of the last check.",
		}, []string{"department"})),
		seen: map[string]bool{},
	}
	for _, d := range depts {
		m.breaches.WithLabelValues(d, tickets.TargetFirstResponse)
		m.breaches.WithLabelValues(d, tickets.TargetResolution)
		m.overdue.WithLabelValues(d).Set(0)
		m.seen[d] = true
	}
	return m
}

// registerOr registers c in reg, or returns the collector registered
// there before under the same name.
func registerOr[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if have, ok := are.ExistingCollector.(C); ok {
			return have
		}
	}
	if err != nil {
		panic(err) // a metric of that name and another shape: a bug
	}
	return c
}

// observe counts the breaches of one check and, when the check finished
// (complete), sets the gauge: departments with no overdue ticket go to 0.
func (m *slaMetrics) observe(r tickets.SLAReport, complete bool) {
	for _, b := range r.Breaches {
		m.breaches.WithLabelValues(b.Department, b.Target).Inc()
	}
	if !complete {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for d := range m.seen {
		if _, ok := r.Overdue[d]; !ok {
			m.overdue.WithLabelValues(d).Set(0)
		}
	}
	for d, n := range r.Overdue {
		m.overdue.WithLabelValues(d).Set(float64(n))
		m.seen[d] = true
	}
}

// startSLA registers the service-level metrics and checks the targets now
// and every slaCheckEvery until the daemon stops. Nothing without [sla]
// enabled.
func (d *Daemon) startSLA(ctx context.Context) {
	cfg := d.opts.Config
	if !cfg.SLA.Enabled {
		return
	}
	m := newSLAMetrics(d.opts.Registry, agents.DepartmentsFromConfig(cfg))
	go func() {
		t := time.NewTicker(slaCheckEvery)
		defer t.Stop()
		for {
			r, err := d.Tickets.CheckSLAReport(ctx)
			m.observe(r, err == nil)
			if err != nil && ctx.Err() == nil {
				d.log.Warn("checking service-level targets", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-d.stop:
				return
			case <-t.C:
			}
		}
	}()
}
