package mailin

import "github.com/prometheus/client_golang/prometheus"

// metrics are intake's Prometheus series, labelled by mailbox.
type metrics struct {
	fetched     *prometheus.CounterVec
	stored      *prometheus.CounterVec
	dedup       *prometheus.CounterVec
	quarantined *prometheus.CounterVec
	rescans     *prometheus.CounterVec
	connected   *prometheus.GaugeVec
	poll        *prometheus.HistogramVec
	process     *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		fetched: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "turno_mail_fetched_total",
			Help: "Messages fetched from IMAP."}, []string{"mailbox"}),
		stored: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "turno_mail_stored_total",
			Help: "Raw messages newly stored (a copy already stored is not counted)."}, []string{"mailbox"}),
		dedup: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "turno_mail_deduplicated_total",
			Help: "Messages whose dedup key had already been delivered by another server copy."}, []string{"mailbox"}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "turno_mail_quarantined_total",
			Help: "Messages quarantined, by the step that failed and whether the error was permanent (at once) or the retries ran out. Page on any increase."},
			[]string{"mailbox", "reason", "class"}),
		rescans: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "turno_mail_rescans_total",
			Help: "Folders rescanned because mail at or below the cursor was never handled (the server's UIDs went backwards)."},
			[]string{"mailbox", "reason"}),
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "turno_mail_connected",
			Help: "1 while this process holds the mailbox and is connected to it."}, []string{"mailbox"}),
		poll: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "turno_mail_poll_seconds",
			Help:    "Time of one pass over a mailbox (search, fetch, store, ingest, acknowledge).",
			Buckets: prometheus.ExponentialBuckets(0.005, 3, 10)}, []string{"mailbox"}),
		process: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "turno_mail_process_seconds",
			Help:    "Time to store and ingest one message.",
			Buckets: prometheus.ExponentialBuckets(0.001, 3, 10)}, []string{"mailbox"}),
	}
	if reg != nil {
		reg.MustRegister(m.fetched, m.stored, m.dedup, m.quarantined, m.rescans, m.connected, m.poll, m.process)
	}
	return m
}
