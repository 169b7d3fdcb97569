package billing

import (
	"context"
	"strings"
	"testing"
	"time"

	"turno/clients"
	"turno/scheduler"
)

// The dry run of a cycle says why each client is not invoiced: an inactive
// client and a client whose billing is off (the default for a new client)
// need different fixes, so they get different words.
func TestCycleDryRunSaysWhyAClientIsSkipped(t *testing.T) {
	f := newFixture(t, nil, time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC))
	idle := completeClient("idle")
	idle.Active = false
	nobill := completeClient("nobill")
	nobill.BillingEnabled = false
	neither := completeClient("neither")
	neither.Active, neither.BillingEnabled = false, false
	for _, c := range []*clients.Client{completeClient("on"), idle, nobill, neither} {
		f.dir.put(c)
		f.contract(t, "k-"+c.ID, c.ID, 10, 1000, "2026-01-01")
	}
	var out strings.Builder
	if _, err := f.svc.Cycle(context.Background(), scheduler.Run{Date: date(t, "2026-05-10"), DryRun: true, Out: &out}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"k-idle: skip: client idle is inactive\n",
		"k-neither: skip: client neither is inactive (and its billing is off)\n",
		"k-nobill: skip: billing is off for client nobill (billing_enabled=false; turno clients edit nobill --set billing_enabled=true)\n",
		"k-on: invoice k-on|2026-05 ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run does not say %q:\n%s", want, out.String())
		}
	}
}
