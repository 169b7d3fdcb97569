package daemon_test

import (
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"turno/daemon"
)

// eventSeries are metrics whose series exist only once their event has
// happened (a labelled counter of failures): on a fresh dev daemon they
// are registered but have no sample yet, so /metrics cannot show them.
var eventSeries = map[string]string{
	"turno_mail_quarantined_total": "the first quarantined message",
	"turno_outbox_sends_total":     "the first delivery attempt",
}

// registered reports whether a metric of that name is registered in reg:
// a gauge of the same name and another help string is refused then.
func registered(reg *prometheus.Registry, name string) bool {
	probe := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "probe: is this name registered?"})
	if err := reg.Register(probe); err != nil {
		return true
	}
	reg.Unregister(probe)
	return false
}

// The sample alerting rules pass `promtool check rules`, and every metric
// they name is on /metrics of a dev daemon (the queue's and the jobs'
// series included), or, for the few that only exist after their first
// event, registered by the daemon: a renamed metric breaks the alert
// silently, so it breaks this test instead.
func TestAlertRulesNameRealMetrics(t *testing.T) {
	const rules = "../contrib/prometheus/turno-alerts.yml"
	promtool := requireTool(t, "promtool", "prometheus")
	if out, err := exec.Command(promtool, "check", "rules", rules).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	src, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	ident := regexp.MustCompile(`\bturno_[a-z0-9_]+`)
	for _, line := range strings.Split(string(src), "\n") {
		if expr, ok := strings.CutPrefix(strings.TrimSpace(line), "expr:"); ok {
			for _, n := range ident.FindAllString(expr, -1) {
				names[n] = true
			}
		}
	}
	if len(names) < 8 {
		t.Fatalf("found only %d metric names in the rules: %v", len(names), names)
	}

	reg := daemon.NewRegistry()
	d, done := start(t, daemon.Options{Config: testConfig(t), Dev: true, Registry: reg})
	defer func() {
		d.Stop()
		if err := <-done; err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	base := "http://" + d.HTTP.Addr()

	// The dev mailbox connects and the scheduler's first tick runs the
	// billing jobs (their last success) in the background: wait for them.
	var missing []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, body := get(t, base+"/metrics")
		exposed := map[string]bool{}
		for _, line := range strings.Split(body, "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
				exposed[f[2]] = true
			}
		}
		missing = missing[:0]
		for n := range names {
			if !exposed[n] {
				missing = append(missing, n)
			}
		}
		sort.Strings(missing)
		pending := false
		for _, n := range missing {
			if _, ok := eventSeries[n]; !ok {
				pending = true
			}
		}
		if !pending || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, n := range missing {
		if why, ok := eventSeries[n]; ok && registered(reg, n) {
			t.Logf("%s: registered; its series appear with %s", n, why)
			continue
		}
		hint := ""
		if n == "turno_tickets_sla_breaches_total" {
			hint = " (the SLA breach counter: daemon/sla.go registers it)"
		}
		t.Errorf("the alert rules use %s, which a dev daemon's /metrics does not have%s", n, hint)
	}
}
