package daemon

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"turno/clock"
	"turno/tickets"
)

// The open queue, for alerting on work piling up:
// turno_tickets_open{department} and
// turno_tickets_oldest_open_age_seconds{department}, from
// tickets.QueueStats (the queue projection only) at most every
// queueStatsTTL however often Prometheus scrapes. Departments the
// configuration names (its mailboxes', the dev mailbox's) are reported at 0
// when empty, so an alert rule always finds them.

const queueStatsTTL = 15 * time.Second

var (
	ticketsOpenDesc = prometheus.NewDesc("turno_tickets_open",
		"Tickets not closed, by department.", []string{"department"}, nil)
	oldestOpenDesc = prometheus.NewDesc("turno_tickets_oldest_open_age_seconds",
		"Age of the oldest ticket not closed, by department (0 when none is open).", []string{"department"}, nil)
)

type queueCollector struct {
	svc   *tickets.Service
	clk   clock.Clock
	depts []string

	mu    sync.Mutex
	at    time.Time
	stats []tickets.QueueStat
	err   error
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- ticketsOpenDesc
	ch <- oldestOpenDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	now := c.clk.Now()
	if c.at.IsZero() || now.Sub(c.at) >= queueStatsTTL || now.Before(c.at) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c.stats, c.err = c.svc.QueueStats(ctx)
		cancel()
		c.at = now
	}
	stats, err := c.stats, c.err
	c.mu.Unlock()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(ticketsOpenDesc, err)
		return
	}
	seen := map[string]bool{}
	for _, s := range stats {
		seen[s.Department] = true
		ch <- prometheus.MustNewConstMetric(ticketsOpenDesc, prometheus.GaugeValue, float64(s.Open), s.Department)
		age := now.Sub(s.Oldest).Seconds()
		if age < 0 {
			age = 0
		}
		ch <- prometheus.MustNewConstMetric(oldestOpenDesc, prometheus.GaugeValue, age, s.Department)
	}
	for _, d := range c.depts {
		if !seen[d] {
			seen[d] = true
			ch <- prometheus.MustNewConstMetric(ticketsOpenDesc, prometheus.GaugeValue, 0, d)
			ch <- prometheus.MustNewConstMetric(oldestOpenDesc, prometheus.GaugeValue, 0, d)
		}
	}
}

// registerOperatorMetrics registers the metrics that read running parts
// (the open queue, the scheduler's jobs) once they have started.
func (d *Daemon) registerOperatorMetrics() {
	reg := d.opts.Registry
	if d.Tickets != nil {
		var depts []string
		for _, mb := range d.opts.Config.Mailboxes {
			if dep := mb.Normalized().Department; dep != "" {
				depts = append(depts, dep)
			}
		}
		if d.opts.Dev && len(d.opts.Config.Mailboxes) == 0 {
			depts = append(depts, "soporte") // the dev mailbox's (daemon/mailin.go)
		}
		reg.MustRegister(&queueCollector{svc: d.Tickets, clk: d.opts.Clock, depts: depts})
	}
	if d.Scheduler != nil {
		reg.MustRegister(d.Scheduler.Collector())
	}
}
