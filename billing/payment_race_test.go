package billing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/scheduler"
)

// invoicesFor is a fixture with n unpaid invoices of client c1, numbered
// 1..n, each of total 45990.
func invoicesFor(t *testing.T, n int) *fixture {
	t.Helper()
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	f.dir.put(completeClient("c1"))
	for i := range n {
		f.contract(t, fmt.Sprintf("k%d", i+1), "c1", 5, 38647, "2026-01-01")
	}
	if _, err := f.svc.Cycle(context.Background(), scheduler.Run{Date: date(t, "2026-06-05")}); err != nil {
		t.Fatal(err)
	}
	for i, inv := range checkNumbers(t, f.svc, n) {
		if inv.Total != 45990 || inv.Status != StatusUnpaid {
			t.Fatalf("invoice %d: %+v", i+1, inv)
		}
	}
	return f
}

func (f *fixture) req(t *testing.T, amount int64, ref string, nums ...int64) PaymentRequest {
	return PaymentRequest{Numbers: nums, Amount: amount, Method: "webpay", Reference: ref, Date: date(t, "2026-06-10")}
}

// race runs fns at once (released together) and returns their errors.
func race(fns ...func() error) []error {
	errs := make([]error, len(fns))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, fn := range fns {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = fn()
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

// noneApplying fails the test when a payment is left applying.
func noneApplying(t *testing.T, f *fixture) {
	t.Helper()
	cur, err := f.svc.payments.Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var all []Payment
	if err := cur.All(context.Background(), &all); err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		if p.Status == PaymentApplying {
			t.Errorf("payment %s is left applying: %+v", p.ID, p)
		}
	}
}

// Payments racing on one invoice that fit together all land: each adds
// its amount, whatever the others added since it split. Before, each
// stored the invoice's paid amount at its split and applied only if it was
// still that, so all but one failed on every retry, left applying.
func TestConcurrentPaymentsOnOneInvoiceAllLand(t *testing.T) {
	f := invoicesFor(t, 1)
	ctx := context.Background()
	const n, amount = 6, 5000
	var fns []func() error
	for i := range n {
		ref := fmt.Sprintf("OP-%d", i)
		fns = append(fns, func() error {
			_, err := f.svc.Pay(ctx, f.req(t, amount, ref, 1))
			return err
		})
	}
	for i, err := range race(fns...) {
		if err != nil {
			t.Errorf("payment OP-%d: %v", i, err)
		}
	}
	inv, err := f.svc.InvoiceByNumber(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Paid != n*amount || len(inv.Payments) != n || inv.Status != StatusUnpaid {
		t.Fatalf("invoice after %d payments of %d: paid %d, %d payments, %s", n, amount, inv.Paid, len(inv.Payments), inv.Status)
	}
	noneApplying(t, f)
	// The rest of the balance, in two racing payments that fit exactly:
	// both land and the one that fills it marks it paid.
	rest := inv.Balance()
	errs := race(
		func() error { _, err := f.svc.Pay(ctx, f.req(t, rest-1000, "OP-A", 1)); return err },
		func() error { _, err := f.svc.Pay(ctx, f.req(t, 1000, "OP-B", 1)); return err },
	)
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("the last two payments: %v", errs)
	}
	if inv, _ = f.svc.InvoiceByNumber(ctx, 1); inv.Status != StatusPaid || inv.Balance() != 0 || len(inv.Payments) != n+2 {
		t.Fatalf("after paying the rest: %+v", inv)
	}
	noneApplying(t, f)
}

// Payments racing on one invoice that do not fit together: one lands,
// the other is refused cleanly (an InputError, nothing of it left on the
// invoice), and a retry with its reference gets the same answer, never a
// payment stuck applying.
func TestConcurrentPaymentsThatOverpayOneIsRefused(t *testing.T) {
	f := invoicesFor(t, 3)
	ctx := context.Background()
	for round := int64(1); round <= 3; round++ {
		refs := []string{fmt.Sprintf("R%d-A", round), fmt.Sprintf("R%d-B", round)}
		errs := race(
			func() error { _, err := f.svc.Pay(ctx, f.req(t, 45990, refs[0], round)); return err },
			func() error { _, err := f.svc.Pay(ctx, f.req(t, 40000, refs[1], round)); return err },
		)
		won := -1
		for i, err := range errs {
			var ie *InputError
			switch {
			case err == nil:
				if won >= 0 {
					t.Fatalf("round %d: both payments landed on one invoice (over its total)", round)
				}
				won = i
			case !errors.As(err, &ie):
				t.Fatalf("round %d: payment %s failed, not refused: %v", round, refs[i], err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: both refused: %v", round, errs)
		}
		lost := 1 - won
		inv, err := f.svc.InvoiceByNumber(ctx, round)
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{45990, 40000}[won]
		if inv.Paid != want || len(inv.Payments) != 1 || inv.Payments[0] != "ref:"+refs[won] {
			t.Fatalf("round %d: invoice paid %d by %v; want %d by %s only", round, inv.Paid, inv.Payments, want, refs[won])
		}
		// The refused one's retry is refused again and changes nothing.
		amount := []int64{45990, 40000}[lost]
		var ie *InputError
		if _, err := f.svc.Pay(ctx, f.req(t, amount, refs[lost], round)); !errors.As(err, &ie) {
			t.Fatalf("round %d: retry of the refused %s: %v", round, refs[lost], err)
		}
		if again, _ := f.svc.InvoiceByNumber(ctx, round); again.Paid != inv.Paid || len(again.Payments) != 1 {
			t.Fatalf("round %d: the retry changed the invoice: %+v", round, again)
		}
		noneApplying(t, f)
	}
}

// The interleaving of the issue, made exact: payment P is split over
// invoices 1 and 2, then Q pays invoice 2 in full before P is applied. P
// puts its part on invoice 1, finds no room on 2, and is refused: its part
// comes back off invoice 1, it is marked refused with the reason, and its
// retries say so (it used to fail on every retry, applying forever).
func TestInterleavedPaymentIsRefusedNotStuck(t *testing.T) {
	f := invoicesFor(t, 2)
	ctx := context.Background()
	req := f.req(t, 2*45990, "OP-P", 1, 2)
	plan, err := f.svc.allocate(ctx, []int64{1, 2}, req.Amount)
	if err != nil {
		t.Fatal(err)
	}
	// Pay as far as the insert of P's split, as Pay does.
	p := Payment{ID: "ref:OP-P", ClientID: plan.client, Amount: req.Amount, Method: req.Method, Reference: req.Reference,
		Date: req.Date.String(), Requested: []int64{1, 2}, Applied: plan.applied, Status: PaymentApplying, CreatedAt: f.clock.Now()}
	if _, err := f.svc.payments.InsertOne(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Pay(ctx, f.req(t, 45990, "OP-Q", 2)); err != nil {
		t.Fatal(err)
	}
	for try := range 3 {
		var ie *InputError
		if _, err := f.svc.Pay(ctx, req); !errors.As(err, &ie) {
			t.Fatalf("try %d of P: %v; want a refusal", try, err)
		}
	}
	got, err := f.svc.payment(ctx, "ref:OP-P")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != PaymentRefused || got.Reason == "" {
		t.Fatalf("P: status %s reason %q", got.Status, got.Reason)
	}
	one, _ := f.svc.InvoiceByNumber(ctx, 1)
	two, _ := f.svc.InvoiceByNumber(ctx, 2)
	if one.Paid != 0 || len(one.Payments) != 0 || one.Status != StatusUnpaid {
		t.Fatalf("invoice 1 keeps the refused payment's part: %+v", one)
	}
	if two.Paid != 45990 || two.Status != StatusPaid || len(two.Payments) != 1 {
		t.Fatalf("invoice 2: %+v", two)
	}
	// Paying what is left, under a new reference, works.
	if _, err := f.svc.Pay(ctx, f.req(t, 45990, "OP-P2", 1)); err != nil {
		t.Fatal(err)
	}
}

// A reference sent again for another payment (another amount, other
// invoices) is a conflict, ErrReferenceReused, and changes nothing; the
// same payment again answers the first one. Racing twins with different
// bodies: one lands, the other is the conflict.
func TestReferenceReusedIsAConflict(t *testing.T) {
	f := invoicesFor(t, 2)
	ctx := context.Background()
	first, err := f.svc.Pay(ctx, f.req(t, 10000, "OP-1", 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []PaymentRequest{f.req(t, 10000, "OP-1", 2), f.req(t, 10000, "OP-1", 1, 2), f.req(t, 9000, "OP-1", 1)} {
		if _, err := f.svc.Pay(ctx, r); !errors.Is(err, ErrReferenceReused) {
			t.Fatalf("reference reused for invoices %v amount %d: %v; want ErrReferenceReused", r.Numbers, r.Amount, err)
		}
	}
	again, err := f.svc.Pay(ctx, f.req(t, 10000, "OP-1", 1, 1))
	if err != nil || again.ID != first.ID || again.Status != PaymentApplied {
		t.Fatalf("the same payment again: %+v %v", again, err)
	}
	if inv, _ := f.svc.InvoiceByNumber(ctx, 2); inv.Paid != 0 {
		t.Fatalf("a refused reuse paid invoice 2: %+v", inv)
	}
	if inv, _ := f.svc.InvoiceByNumber(ctx, 1); inv.Paid != 10000 || len(inv.Payments) != 1 {
		t.Fatalf("invoice 1: %+v", inv)
	}

	for round := range 3 {
		ref := fmt.Sprintf("TWIN-%d", round)
		errs := race(
			func() error { _, err := f.svc.Pay(ctx, f.req(t, 1000, ref, 2)); return err },
			func() error { _, err := f.svc.Pay(ctx, f.req(t, 2000, ref, 2)); return err },
		)
		ok, conflicts := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrReferenceReused):
				conflicts++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 || conflicts != 1 {
			t.Fatalf("round %d: %d landed, %d conflicts; want one each", round, ok, conflicts)
		}
	}
	if inv, _ := f.svc.InvoiceByNumber(ctx, 2); len(inv.Payments) != 3 {
		t.Fatalf("invoice 2 after three twin races: %+v", inv)
	}
	noneApplying(t, f)
}
