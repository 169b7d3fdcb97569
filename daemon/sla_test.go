package daemon

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"turno/tickets"
)

// The breach counter counts what this process recorded; the overdue gauge
// follows the last complete check, departments that cleared going to 0.
func TestSLAMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newSLAMetrics(reg, []string{"soporte", "pagos"})
	breaches := func(dept, target string) float64 {
		return testutil.ToFloat64(m.breaches.WithLabelValues(dept, target))
	}
	overdue := func(dept string) float64 { return testutil.ToFloat64(m.overdue.WithLabelValues(dept)) }

	if n := testutil.CollectAndCount(m.breaches); n != 4 {
		t.Fatalf("breach series before any breach = %d, want 4 (2 departments × 2 targets)", n)
	}
	m.observe(tickets.SLAReport{
		Breaches: []tickets.Breach{{Ticket: 1, Department: "soporte", Target: tickets.TargetFirstResponse},
			{Ticket: 2, Department: "ventas", Target: tickets.TargetResolution}},
		Overdue: map[string]int{"soporte": 3, "ventas": 1},
	}, true)
	if breaches("soporte", tickets.TargetFirstResponse) != 1 || breaches("ventas", tickets.TargetResolution) != 1 ||
		breaches("soporte", tickets.TargetResolution) != 0 {
		t.Fatal("breach counts wrong after the first check")
	}
	if overdue("soporte") != 3 || overdue("ventas") != 1 || overdue("pagos") != 0 {
		t.Fatal("overdue gauge wrong after the first check")
	}
	// A failed check counts what it recorded, leaves the gauge alone.
	m.observe(tickets.SLAReport{Breaches: []tickets.Breach{{Ticket: 3, Department: "soporte",
		Target: tickets.TargetFirstResponse}}, Overdue: map[string]int{}}, false)
	if breaches("soporte", tickets.TargetFirstResponse) != 2 || overdue("soporte") != 3 {
		t.Fatal("a failed check: breaches not counted or gauge changed")
	}
	// ventas cleared (absent from the report): 0, not its old value.
	m.observe(tickets.SLAReport{Overdue: map[string]int{"soporte": 1}}, true)
	if overdue("soporte") != 1 || overdue("ventas") != 0 {
		t.Fatalf("gauge after clearing = %v / %v", overdue("soporte"), overdue("ventas"))
	}
	// Registering again on the same registry reuses the metrics.
	again := newSLAMetrics(reg, nil)
	if again.breaches != m.breaches || again.overdue != m.overdue {
		t.Fatal("a second registration made new metrics")
	}
	if probs, err := testutil.GatherAndLint(reg); err != nil || len(probs) > 0 {
		t.Fatalf("lint: %v %v", probs, err)
	}
}
