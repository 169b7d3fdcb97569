package mailout

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	depth   *prometheus.GaugeVec
	oldest  prometheus.Gauge
	sends   *prometheus.CounterVec
	latency *prometheus.HistogramVec
	window  prometheus.Histogram
	// attempt is one delivery attempt's whole time: claim, render, SMTP,
	// record.
	attempt prometheus.Histogram
	// ambiguous counts attempts that ended with the body sent and no reply.
	ambiguous *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		depth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "turno_outbox_entries", Help: "Outbox entries by state, refreshed every 30s: queued, retry and sending from the ready markers; sent, failed, suppressed and cancelled as counted by the last retention pass.",
		}, []string{"state"}),
		oldest: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "turno_outbox_oldest_due_age_seconds", Help: "Age of the oldest entry waiting to be sent, at the last scan.",
		}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "turno_outbox_sends_total", Help: "Delivery attempts by result (sent, retry, failed, suppressed) and relay.",
		}, []string{"result", "relay"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "turno_outbox_smtp_seconds", Help: "Time of one SMTP transaction (MAIL to end of DATA).",
			Buckets: prometheus.ExponentialBuckets(0.001, 3, 10),
		}, []string{"relay"}),
		window: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "turno_outbox_unrecorded_window_seconds", Help: "Time between the relay accepting a message and the outbox recording it as sent: the duplicate-send window.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 14),
		}),
		attempt: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "turno_outbox_attempt_seconds", Help: "Time of one delivery attempt, from claiming the entry to recording its result.",
			Buckets: prometheus.ExponentialBuckets(0.001, 3, 10),
		}),
		ambiguous: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "turno_outbox_ambiguous_deliveries_total",
			Help: "Delivery attempts whose connection broke or timed out after the whole body was sent and before the relay's reply, by relay: the relay may have accepted the message, and the retry may duplicate it.",
		}, []string{"relay"}),
	}
	if reg != nil {
		reg.MustRegister(m.depth, m.oldest, m.sends, m.latency, m.window, m.attempt, m.ambiguous)
	}
	return m
}
