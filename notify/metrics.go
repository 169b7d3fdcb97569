package notify

import "github.com/prometheus/client_golang/prometheus"

// Sent counts notification mails enqueued, by event kind (new, reply,
// assign, mention, sla). A repeat after a crash enqueues nothing new but
// may count again.
var Sent = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "turno_notifications_sent_total",
	Help: "Agent notification mails enqueued, by event kind.",
}, []string{"event"})
