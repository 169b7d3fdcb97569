package billing

import (
	"context"
	"testing"
	"time"

	"turno/scheduler"
	"turno/templates"
)

// oneInvoice issues invoice 1 (net 38.647, total 45.990) on 2026-06-05,
// due 2026-06-15, to client c1 whose billing contact is conta@cliente.cl.
func oneInvoice(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	c := completeClient("c1")
	c.NotifyEmails = []string{"avisos@cliente.cl"}
	f.dir.put(c)
	f.dir.billing = map[string]string{"c1": "conta@cliente.cl"}
	f.contract(t, "k1", "c1", 5, 38647, "2026-01-01")
	if _, err := f.svc.Cycle(context.Background(), scheduler.Run{Date: date(t, "2026-06-05")}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) collect(t *testing.T, d string) {
	t.Helper()
	if _, err := f.svc.Collect(context.Background(), scheduler.Run{Date: date(t, d)}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) notes() map[int]int { // stage -> notes
	out := map[int]int{}
	for _, m := range f.box.withPrefix("collection:") {
		out[m.Data.(templates.CollectionNote).Stage]++
	}
	return out
}

func TestOnTimePaymentStopsCollectionNotes(t *testing.T) {
	f := oneInvoice(t)
	f.collect(t, "2026-06-11") // −4: no stage yet
	f.collect(t, "2026-06-12") // −3
	f.collect(t, "2026-06-12")
	if got := f.notes(); len(got) != 1 || got[-3] != 1 {
		t.Fatalf("notes %v, want one at −3", got)
	}
	m := f.box.withPrefix("collection:")[0]
	note := m.Data.(templates.CollectionNote)
	if m.To[0] != "conta@cliente.cl" || len(m.Cc) != 0 || note.Total != 45990 || len(note.Invoices) != 1 || m.Kind != "collection_note" {
		t.Fatalf("note to %v cc %v total %d", m.To, m.Cc, note.Total)
	}
	if _, err := f.svc.Pay(context.Background(), PaymentRequest{Numbers: []int64{1}, Amount: 45990, Method: "transferencia",
		Reference: "OP-1", Date: date(t, "2026-06-13")}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"2026-06-15", "2026-06-22", "2026-06-30"} {
		f.collect(t, d)
	}
	if got := f.notes(); len(got) != 1 {
		t.Fatalf("notes after payment: %v", got)
	}
}

func TestOutageSendsOnlyTheHighestStageReached(t *testing.T) {
	f := oneInvoice(t)
	f.svc.opts.Billing.CollectionCcNotify = true
	f.collect(t, "2026-06-12") // −3
	f.collect(t, "2026-06-22") // ten days later: 0 and +7 passed; only +7
	f.collect(t, "2026-06-22")
	f.collect(t, "2026-06-21") // a late rerun of an earlier date never goes back
	got := f.notes()
	if len(got) != 2 || got[-3] != 1 || got[7] != 1 {
		t.Fatalf("notes %v, want −3 and +7 once each", got)
	}
	for _, m := range f.box.withPrefix("collection:") {
		if len(m.Cc) != 2 { // principal and the notify address, copied
			t.Fatalf("cc %v", m.Cc)
		}
	}
	f.collect(t, "2026-06-30")
	if got := f.notes(); got[15] != 1 {
		t.Fatalf("notes %v, want +15", got)
	}
}

func TestPartialPaymentsAndIdempotentReference(t *testing.T) {
	f := oneInvoice(t)
	ctx := context.Background()
	pay := func(amount int64, ref string) error {
		_, err := f.svc.Pay(ctx, PaymentRequest{Numbers: []int64{1}, Amount: amount, Method: "webpay", Reference: ref, Date: date(t, "2026-06-10")})
		return err
	}
	if err := pay(45991, "OP-X"); err == nil {
		t.Fatal("overpayment accepted")
	}
	if err := pay(40000, "OP-1"); err != nil {
		t.Fatal(err)
	}
	if err := pay(40000, "OP-1"); err != nil { // the gateway retries
		t.Fatal(err)
	}
	inv, err := f.svc.InvoiceByNumber(ctx, 1)
	if err != nil || inv.Status != StatusUnpaid || inv.Balance() != 5990 {
		t.Fatalf("after partial payment: %+v err %v", inv, err)
	}
	u, _ := f.svc.UnpaidByClient(ctx)
	if u["c1"] != (Unpaid{Count: 1, Balance: 5990}) {
		t.Fatalf("unpaid %+v", u)
	}
	if err := pay(6000, "OP-2"); err == nil {
		t.Fatal("overpayment of the balance accepted")
	}
	if err := pay(5990, "OP-2"); err != nil {
		t.Fatal(err)
	}
	inv, _ = f.svc.InvoiceByNumber(ctx, 1)
	if inv.Status != StatusPaid || inv.Balance() != 0 || len(inv.Payments) != 2 {
		t.Fatalf("after full payment: %+v", inv)
	}
	confirmations := f.box.withPrefix("payment:")
	if len(confirmations) != 2 {
		t.Fatalf("%d confirmations, want 2", len(confirmations))
	}
	for _, m := range confirmations {
		if len(m.To) != 1 || m.To[0] != "c1@cliente.cl" || len(m.Cc) != 0 {
			t.Fatalf("confirmation to %v cc %v: principal only", m.To, m.Cc)
		}
	}
	if err := f.svc.VoidInvoice(ctx, 1); err == nil {
		t.Fatal("voided a paid invoice")
	}
}
