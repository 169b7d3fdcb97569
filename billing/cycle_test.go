package billing

import (
	"context"
	"fmt"
	"testing"
	"time"

	"turno/clients"
	"turno/scheduler"
)

// A year of cycles driven through the scheduler with a server clock in UTC,
// across 29 February 2028 and both Santiago DST changes (cycle at 00:00, the
// hour that does not exist on the September change): every contract is
// invoiced exactly once per month, on its anchor's billing day.
func TestYearOfCyclesInvoicesOncePerPeriodOnTheRightDay(t *testing.T) {
	start := time.Date(2028, 1, 1, 3, 0, 0, 0, time.UTC) // 2028-01-01 00:00 in Santiago (UTC-3)
	f := newFixture(t, nil, start)
	f.dir.put(completeClient("c1"))
	anchors := []int{1, 15, 28, 29, 30, 31}
	for _, a := range anchors {
		f.contract(t, fmt.Sprintf("k%02d", a), "c1", a, 10000, "2028-01-01")
	}
	s, err := scheduler.New(scheduler.Options{DB: f.st.DB, Location: f.loc, CatchUpDays: 7, Clock: f.clock, Owner: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	s.AddDaily(CycleJob, 0, f.svc.Cycle)
	ctx := context.Background()
	end := time.Date(2029, 1, 1, 3, 0, 0, 0, time.UTC)
	for now := start; now.Before(end); now = now.Add(11 * time.Hour) {
		f.clock.Set(now)
		if _, err := s.Tick(ctx); err != nil {
			t.Fatalf("tick at %s: %v", now, err)
		}
	}
	invs := checkNumbers(t, f.svc, 12*len(anchors))
	got := map[string]string{}
	for _, inv := range invs {
		if _, dup := got[inv.ID]; dup {
			t.Fatalf("second invoice %s", inv.ID)
		}
		got[inv.ID] = inv.IssueDate
	}
	for _, a := range anchors {
		for m := 1; m <= 12; m++ {
			id := InvoiceID(fmt.Sprintf("k%02d", a), fmt.Sprintf("2028-%02d", m))
			want := fmt.Sprintf("2028-%02d-%02d", m, BillingDay(a, 2028, m))
			if got[id] != want {
				t.Errorf("%s issued %q, want %s", id, got[id], want)
			}
		}
	}
	if got["k31|2028-02"] != "2028-02-29" || got["k30|2028-02"] != "2028-02-29" || got["k29|2028-02"] != "2028-02-29" {
		t.Errorf("February 2028: %s %s %s", got["k29|2028-02"], got["k30|2028-02"], got["k31|2028-02"])
	}
	if n := len(f.box.withPrefix("invoice:")); n != 72 {
		t.Errorf("%d invoice mails, want 72", n)
	}
}

// Incomplete billing data hold the contract: nothing is issued, the client
// is asked once per period however often the cycle reruns, and the next
// cycle after the fix bills the held period once.
func TestHeldPeriodBilledOnceAfterTheFix(t *testing.T) {
	f := newFixture(t, nil, time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC))
	c := completeClient("c1")
	c.Billing.Giro = " "
	f.dir.put(c)
	f.contract(t, "k1", "c1", 10, 20000, "2026-01-01")
	ctx := context.Background()
	run := func(d string) map[string]int {
		n, err := f.svc.Cycle(ctx, scheduler.Run{Date: date(t, d)})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for range 3 {
		if n := run("2026-05-10"); n["held"] != 1 {
			t.Fatalf("counts %v", n)
		}
	}
	checkNumbers(t, f.svc, 0)
	asks := f.box.withPrefix("billing-data:c1:2026-05")
	if len(asks) != 1 || f.box.calls["billing-data:c1:2026-05"] != 3 {
		t.Fatalf("billing_data_required: %d entries", len(asks))
	}
	holds, err := f.svc.Holds(ctx, "c1")
	if err != nil || len(holds) != 1 || holds[0].Reasons[0] == "" {
		t.Fatalf("holds %+v err %v", holds, err)
	}
	if _, err := f.svc.Release(ctx, "c1"); err == nil {
		t.Fatal("release with incomplete data succeeded")
	}
	f.dir.put(completeClient("c1"))
	run("2026-05-11")
	run("2026-05-11")
	if _, err := f.svc.Release(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	invs := checkNumbers(t, f.svc, 1)
	if invs[0].ID != "k1|2026-05" || invs[0].IssueDate != "2026-05-11" || invs[0].DueDate != "2026-05-21" {
		t.Fatalf("released invoice %+v", invs[0])
	}
	if h, _ := f.svc.Holds(ctx, "c1"); len(h) != 0 {
		t.Fatalf("hold still open: %+v", h)
	}
}

// Inactive clients, clients not billed and ended contracts issue nothing;
// invoice mail goes to the principal and every notify address, or nowhere
// when switched off.
func TestCycleSkipsAndRecipients(t *testing.T) {
	f := newFixture(t, nil, time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC))
	on := completeClient("on")
	on.NotifyEmails = []string{"conta@cliente.cl", "ON@cliente.cl"}
	off := completeClient("off")
	off.Mail.Invoice = false
	idle := completeClient("idle")
	idle.Active = false
	nobill := completeClient("nobill")
	nobill.BillingEnabled = false
	for _, c := range []string{"on", "off", "idle", "nobill"} {
		f.dir.put(map[string]*clients.Client{"on": on, "off": off, "idle": idle, "nobill": nobill}[c])
		f.contract(t, "k-"+c, c, 10, 1000, "2026-01-01")
	}
	f.contract(t, "k-ended", "on", 10, 1000, "2026-01-01")
	if err := f.svc.EndContract(context.Background(), "k-ended", date(t, "2026-05-09")); err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.Cycle(context.Background(), scheduler.Run{Date: date(t, "2026-05-10")})
	if err != nil {
		t.Fatal(err)
	}
	if n["invoiced"] != 2 || n["skipped_client"] != 2 || n["mail_off"] != 1 {
		t.Fatalf("counts %v", n)
	}
	mails := f.box.withPrefix("invoice:k-on|2026-05:issued:")
	if len(mails) != 2 {
		t.Fatalf("%d invoice mails to client on, want principal + 1 notify", len(mails))
	}
	for _, m := range mails {
		if len(m.Attachments) != 1 || m.Kind != "invoice" || m.ClientID != "on" {
			t.Fatalf("mail %+v", m.Key)
		}
	}
	if len(f.box.withPrefix("invoice:k-off")) != 0 {
		t.Fatal("mail sent to a client with invoice mail off")
	}
}
