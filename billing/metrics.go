package billing

import "github.com/prometheus/client_golang/prometheus"

// metrics is billing's one gauge: how many clients the undeliverable
// report names, refreshed by each collection run (and each report).
type metrics struct {
	undeliverable prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{undeliverable: prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "turno_billing_undeliverable_clients",
		Help: "Clients whose billing contact or principal address is suppressed (turno billing undeliverable), as of the last collection run.",
	})}
	if reg != nil {
		reg.MustRegister(m.undeliverable)
	}
	return m
}
