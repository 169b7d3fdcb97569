package billing

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics: how many clients the undeliverable report names (counted from
// the markers at scrape, undeliverable_markers.go), and the DTE issuer's
// calls.
type metrics struct {
	undeliverable *markerGauge
	// dte counts calls to the DTE issuer by result: ok, refused, failed
	// (given up after retries), retry (a transient failure).
	dte *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{undeliverable: &markerGauge{desc: prometheus.NewDesc("turno_billing_undeliverable_clients",
		"Clients whose billing contact or principal address is suppressed (turno billing undeliverable), counted from billing's markers.",
		nil, nil)}}
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

// markerCacheTTL is how long a scrape reuses the last count of markers.
const markerCacheTTL = 10 * time.Second

// markerGauge is the undeliverable gauge: at scrape it counts the markers
// (at most once per markerCacheTTL; this process's own marker writes
// invalidate the cache). Until the service first touches the markers
// (ReconcileUndeliverable at start, a report, a hook) it reports 0.
type markerGauge struct {
	desc *prometheus.Desc

	mu    sync.Mutex
	src   func(context.Context) (int, error)
	value int
	at    time.Time
}

func (g *markerGauge) bind(src func(context.Context) (int, error)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.src = src
}

func (g *markerGauge) invalidate() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.at = time.Time{}
}

// count returns the current count, read again when the cache is stale; on
// a read error it keeps the last value and returns the error.
func (g *markerGauge) count(ctx context.Context) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.src == nil || (!g.at.IsZero() && time.Since(g.at) < markerCacheTTL) {
		return g.value, nil
	}
	n, err := g.src(ctx)
	if err != nil {
		return g.value, err
	}
	g.value, g.at = n, time.Now()
	return n, nil
}

func (g *markerGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *markerGauge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, _ := g.count(ctx) // a failed read reports the last count
	ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(n))
}
