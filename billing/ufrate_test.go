package billing

import (
	"context"
	"strings"
	"testing"
	"time"

	"turno/scheduler"
)

func TestParseUFValue(t *testing.T) {
	for in, want := range map[string]int64{
		"39876.54": 3987654, "39876,54": 3987654, "39.876,54": 3987654, "$ 39.876,54": 3987654,
		"39876.5": 3987650, "39876": 3987600, " 40.000,00 ": 4000000,
	} {
		got, err := ParseUFValue(in)
		if err != nil || got != want {
			t.Errorf("ParseUFValue(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "39876.543", "-39876", "0", "39,876.54", "39876.54.1", "1e4"} {
		if got, err := ParseUFValue(bad); err == nil {
			t.Errorf("ParseUFValue(%q) = %d, want an error", bad, got)
		}
	}
}

// A UF contract is priced at the UF value of its issue date; with none
// recorded and none configured it is not invoiced, the run says why, and a
// rerun after the value is set invoices it once.
func TestUFContractPricedAtTheIssueDateValue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC))
	f.dir.put(completeClient("cl1"))
	if err := f.svc.AddContract(ctx, Contract{ID: "uf1", ClientID: "cl1", Description: "Dedicado", Currency: UF,
		Amount: 2500, AnchorDay: 5, Start: "2026-01-01"}); err != nil {
		t.Fatal(err)
	}
	d := date(t, "2026-03-05")
	if err := f.svc.SetUFRate(ctx, date(t, "2026-03-04"), 3900000, "test"); err != nil { // another day's value
		t.Fatal(err)
	}
	n, err := f.svc.Cycle(ctx, scheduler.Run{Date: d})
	if err == nil || !strings.Contains(err.Error(), "no UF value for 2026-03-05") || n["invoiced"] != 0 {
		t.Fatalf("cycle without the day's UF value: counts %v, err %v", n, err)
	}
	if got := checkNumbers(t, f.svc, 0); len(got) != 0 {
		t.Fatal("invoiced without a UF value")
	}
	if err := f.svc.SetUFRate(ctx, d, 3912345, "test"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the rerun changes nothing
		if _, err := f.svc.Cycle(ctx, scheduler.Run{Date: d}); err != nil {
			t.Fatal(err)
		}
	}
	inv := checkNumbers(t, f.svc, 1)[0]
	if inv.Net != 97809 || inv.Tax != 18584 || inv.Total != 116393 || inv.UFRate != 39123.45 {
		t.Fatalf("invoice %+v", inv.Amounts)
	}
	rates, err := f.svc.UFRates(ctx, date(t, "2026-03-01"), date(t, "2026-03-31"))
	if err != nil || len(rates) != 2 || rates[1].Date != "2026-03-05" || rates[1].Value() != 39123.45 {
		t.Fatalf("rates %+v, %v", rates, err)
	}
}
