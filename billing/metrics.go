package billing

import "github.com/prometheus/client_golang/prometheus"

// metrics: how many clients the undeliverable report names, refreshed by
// each collection run (and each report), and the DTE issuer's calls.
type metrics struct {
	undeliverable prometheus.Gauge
	// dte counts calls to the DTE issuer by result: ok, refused, failed
	// (given up after retries), retry (a transient failure).
	dte *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{undeliverable: prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "turno_billing_undeliverable_clients",
		Help: "Clients whose billing contact or principal address is suppressed (turno billing undeliverable), as of the last collection run.",
	})}
	m.dte = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "turno_dte_requests_total",
		Help: "Calls to the DTE issuer by result: ok, refused (permanent, see turno invoices show), failed (given up after retries), retry (transient).",
	}, []string{"result"})
	for _, r := range []string{DTEOK, DTERefused, DTEFailed, "retry"} {
		m.dte.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.undeliverable, m.dte)
	}
	return m
}
