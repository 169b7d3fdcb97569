package billing

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/scheduler"
)

// Proration by days across month lengths (28, 29, 30, 31) and the
// anchor-31 rule: the period runs from the billing day to the day before
// next month's, so its length is the days between two billing days.
func TestProrateAcrossMonthLengths(t *testing.T) {
	type want struct {
		amount   int64
		from, to string
		days, of int
	}
	cases := []struct {
		name     string
		c        Contract
		period   string
		ufCents  int64
		partial  *want // the start's line, before the period's
		main     want
		nLines   int
		noProrat int64 // the main line with prorate off
	}{
		{"february 28, end mid-period", Contract{AnchorDay: 1, Amount: 30000, Start: "2025-01-01", End: "2026-02-14"}, "2026-02", 0,
			nil, want{15000, "2026-02-01", "2026-02-14", 14, 28}, 1, 30000},
		{"february 29 (leap), end mid-period", Contract{AnchorDay: 1, Amount: 30000, Start: "2025-01-01", End: "2028-02-10"}, "2028-02", 0,
			nil, want{10345, "2028-02-01", "2028-02-10", 10, 29}, 1, 30000}, // 10344.83
		{"april 30, end mid-period", Contract{AnchorDay: 1, Amount: 45990, Start: "2025-01-01", End: "2026-04-15"}, "2026-04", 0,
			nil, want{22995, "2026-04-01", "2026-04-15", 15, 30}, 1, 45990},
		{"may 31, end mid-period", Contract{AnchorDay: 1, Amount: 45990, Start: "2025-01-01", End: "2026-05-10"}, "2026-05", 0,
			nil, want{14835, "2026-05-01", "2026-05-10", 10, 31}, 1, 45990}, // 14835.48
		{"half a peso rounds up", Contract{AnchorDay: 1, Amount: 10001, Start: "2025-01-01", End: "2026-04-15"}, "2026-04", 0,
			nil, want{5001, "2026-04-01", "2026-04-15", 15, 30}, 1, 10001}, // 5000.5
		{"start mid-period: its days on a line of their own", Contract{AnchorDay: 5, Amount: 45990, Start: "2026-03-20"}, "2026-04", 0,
			&want{23737, "2026-03-20", "2026-04-04", 16, 31}, want{45990, "", "", 0, 0}, 2, 45990}, // 23736.77
		{"anchor 31 in february: from the 28th to 30 March", Contract{AnchorDay: 31, Amount: 31000, Start: "2025-01-01", End: "2026-03-14"}, "2026-02", 0,
			nil, want{15000, "2026-02-28", "2026-03-14", 15, 31}, 1, 31000},
		{"anchor 31 started in february: 31 January to 27 February is 28 days", Contract{AnchorDay: 31, Amount: 28000, Start: "2026-02-10"}, "2026-02", 0,
			&want{18000, "2026-02-10", "2026-02-27", 18, 28}, want{28000, "", "", 0, 0}, 2, 28000},
		{"anchor 31 in april: 30 April to 30 May", Contract{AnchorDay: 31, Amount: 31000, Start: "2025-01-01", End: "2026-05-15"}, "2026-04", 0,
			nil, want{16000, "2026-04-30", "2026-05-15", 16, 31}, 1, 31000},
		{"UF rounded once", Contract{AnchorDay: 1, Currency: UF, Amount: 2500, Start: "2025-01-01", End: "2026-05-10"}, "2026-05", 3900000,
			nil, want{31452, "2026-05-01", "2026-05-10", 10, 31}, 1, 97500}, // 2.5 UF × $39.000 × 10/31 = 31451.6
		{"ends on the period's last day: whole", Contract{AnchorDay: 1, Amount: 30000, Start: "2025-01-01", End: "2026-02-28"}, "2026-02", 0,
			nil, want{30000, "", "", 0, 0}, 1, 30000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.ID, c.Description = "k", "Plan"
			if c.Currency == "" {
				c.Currency = CLP
			}
			lines, err := buildLines(c, tc.period, tc.ufCents, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) != tc.nLines {
				t.Fatalf("%d lines, want %d: %+v", len(lines), tc.nLines, lines)
			}
			check := func(l InvoiceLine, w want) {
				t.Helper()
				if l.Amount != w.amount || l.UnitPrice != w.amount || l.From != w.from || l.To != w.to || l.Days != w.days || l.Of != w.of {
					t.Fatalf("line %+v, want %+v", l, w)
				}
			}
			if tc.partial != nil {
				check(lines[0], *tc.partial)
			}
			check(lines[len(lines)-1], tc.main)
			off, err := buildLines(c, tc.period, tc.ufCents, false)
			if err != nil || len(off) != 1 || off[0].Amount != tc.noProrat || off[0].From != "" {
				t.Fatalf("prorate off: %+v %v", off, err)
			}
		})
	}
}

// Several lines, taxed and exempt: IVA is computed once on the taxed net
// of the document (19% of 20.006 is 3.801), not summed per line (1.901
// twice would be 3.802); the exempt part carries none.
func TestLinesExemptAndTaxedSumToTheRightIVA(t *testing.T) {
	lines := []InvoiceLine{
		{Kind: LinePlan, Amount: 10003}, {Kind: LineAddon, Amount: 10003},
		{Kind: LineAddon, Amount: 15000, Exempt: true}, {Kind: LineCharge, Amount: 990, Exempt: true},
	}
	a := linesAmounts(lines, 19)
	if a != (Amounts{Net: 35996, Exempt: 15990, Tax: 3801, Total: 39797}) {
		t.Fatalf("amounts %+v", a)
	}
	if a := linesAmounts([]InvoiceLine{{Amount: 20000, Exempt: true}}, 19); a.Tax != 0 || a.Total != 20000 || a.Exempt != 20000 {
		t.Fatalf("all exempt: %+v", a)
	}
}

// A contract with an exempt add-on and a queued one-off charge: the
// invoice lists the plan, the add-on and the charge, with the IVA of the
// taxed part only; the charge is billed once, and a crash between the
// invoice's insert and the charge leaving the queue (simulated by putting
// it back) does not bill it again: the rerun sees the stored invoice list
// it. A charge queued after that waits for the next period.
func TestLinesAndChargeBilledExactlyOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	f.dir.put(completeClient("c1"))
	f.contract(t, "k1", "c1", 5, 38647, "2026-01-01")
	if err := f.svc.AddAddon(ctx, "k1", ContractLine{Description: "Respaldo", Amount: 5000, Exempt: true}); err != nil {
		t.Fatal(err)
	}
	ch, err := f.svc.AddCharge(ctx, "k1", Charge{ID: "op-77", Description: "Instalación", Amount: 25000})
	if err != nil {
		t.Fatal(err)
	}
	if again, err := f.svc.AddCharge(ctx, "k1", Charge{ID: "op-77", Description: "Instalación", Amount: 25000}); err != nil || again.ID != ch.ID {
		t.Fatalf("repeat: %+v %v", again, err)
	}
	for _, bad := range []Charge{{Description: "x"}, {Amount: 10}} {
		if _, err := f.svc.AddCharge(ctx, "k1", bad); err == nil {
			t.Fatalf("bad charge %+v accepted", bad)
		}
	}
	run := func(d string) {
		t.Helper()
		if _, err := f.svc.Cycle(ctx, scheduler.Run{Date: date(t, d)}); err != nil {
			t.Fatal(err)
		}
	}
	run("2026-06-05")
	inv, err := f.svc.invoice(ctx, InvoiceID("k1", "2026-06"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Lines) != 3 || inv.Lines[2].Ref != "op-77" || inv.Lines[2].Amount != 25000 || !inv.Lines[1].Exempt {
		t.Fatalf("lines %+v", inv.Lines)
	}
	// taxed 38.647 + 25.000 = 63.647, IVA 12.092.93 → 12.093; exempt 5.000.
	if inv.Amounts != (Amounts{Net: 68647, Exempt: 5000, Tax: 12093, Total: 80740}) {
		t.Fatalf("amounts %+v", inv.Amounts)
	}
	pdf, err := f.svc.RenderPDF(inv)
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := pdfText(t, pdf); !strings.Contains(text, "Instalación") || !strings.Contains(text, "Respaldo") || !strings.Contains(text, "Monto exento") {
		t.Fatalf("PDF text: %s", text)
	}

	// The crash: the invoice is stored, the charge still queued.
	c, _ := f.svc.Contract(ctx, "k1")
	if len(c.Charges) != 0 {
		t.Fatalf("charge still queued after the cycle: %+v", c.Charges)
	}
	if _, err := f.svc.AddCharge(ctx, "k1", ch); err != nil {
		t.Fatal(err)
	}
	// A crash there comes before the contract is recorded as complete.
	if _, err := f.svc.cycleDone().DeleteMany(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	run("2026-06-05")
	if c, _ := f.svc.Contract(ctx, "k1"); len(c.Charges) != 0 {
		t.Fatalf("the rerun left the billed charge queued: %+v", c.Charges)
	}
	if _, err := f.svc.AddCharge(ctx, "k1", Charge{ID: "op-78", Description: "Visita técnica", Amount: 15000, Exempt: true}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(time.Date(2026, 7, 5, 12, 0, 0, 0, time.UTC))
	run("2026-07-05")
	jul, err := f.svc.invoice(ctx, InvoiceID("k1", "2026-07"))
	if err != nil {
		t.Fatal(err)
	}
	if len(jul.Lines) != 3 || jul.Lines[2].Ref != "op-78" {
		t.Fatalf("july lines %+v: want the plan, the add-on and only the new charge", jul.Lines)
	}
	billed := 0
	for _, id := range []string{InvoiceID("k1", "2026-06"), InvoiceID("k1", "2026-07")} {
		inv, _ := f.svc.invoice(ctx, id)
		for _, l := range inv.Lines {
			if l.Ref == "op-77" {
				billed++
			}
		}
	}
	if billed != 1 {
		t.Fatalf("charge op-77 billed %d times", billed)
	}
}

// With billing.prorate on, a contract that starts within a period has its
// first invoice bill the days before the period on a dated line.
func TestProratedFirstInvoiceInTheCycle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, time.Date(2026, 4, 5, 12, 0, 0, 0, time.UTC))
	f.svc.opts.Billing.Prorate = true
	f.dir.put(completeClient("c1"))
	f.contract(t, "k1", "c1", 5, 45990, "2026-03-20")
	if _, err := f.svc.Cycle(ctx, scheduler.Run{Date: date(t, "2026-04-05")}); err != nil {
		t.Fatal(err)
	}
	inv, err := f.svc.invoice(ctx, InvoiceID("k1", "2026-04"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Lines) != 2 || inv.Lines[0].From != "2026-03-20" || inv.Lines[0].Amount != 23737 || inv.Net != 45990+23737 ||
		inv.Tax != roundHalfUp((45990+23737)*19, 100) {
		t.Fatalf("first invoice: %+v %+v", inv.Lines, inv.Amounts)
	}
	pdf, err := f.svc.RenderPDF(inv)
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := pdfText(t, pdf); !strings.Contains(text, "Hosting Pyme 20-03-2026 al 04-04-2026 (16/31 días)") {
		t.Fatalf("PDF text lacks the prorated dates: %s", text)
	}
}
