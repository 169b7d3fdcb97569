package billing

import (
	"testing"

	"turno/scheduler"
)

func TestBillingDayKeepsTheAnchor(t *testing.T) {
	for _, tc := range []struct {
		anchor, year, month, want int
	}{
		{31, 2026, 1, 31}, {31, 2026, 2, 28}, {31, 2026, 3, 31}, {31, 2026, 4, 30}, {31, 2026, 5, 31},
		{30, 2028, 2, 29}, {29, 2028, 2, 29}, {29, 2027, 2, 28}, {28, 2027, 2, 28}, {1, 2027, 2, 1}, {15, 2026, 6, 15},
	} {
		if got := BillingDay(tc.anchor, tc.year, tc.month); got != tc.want {
			t.Errorf("anchor %d in %d-%02d: day %d, want %d", tc.anchor, tc.year, tc.month, got, tc.want)
		}
	}
	got := AnchorsFor(scheduler.Date{Year: 2027, Month: 2, Day: 28})
	if len(got) != 4 || got[0] != 28 || got[3] != 31 {
		t.Errorf("anchors for 28 Feb 2027: %v", got)
	}
	if got := AnchorsFor(scheduler.Date{Year: 2028, Month: 2, Day: 28}); len(got) != 1 {
		t.Errorf("anchors for 28 Feb 2028 (leap): %v", got)
	}
}

func TestComputeAmountsRoundsLikeChileanDocuments(t *testing.T) {
	for _, tc := range []struct {
		c          Contract
		uf         int64
		net, tax   int64
		wantErrStr bool
	}{
		{Contract{Currency: CLP, Amount: 38647}, 0, 38647, 7343, false}, // 7342.93
		{Contract{Currency: CLP, Amount: 50}, 0, 50, 10, false},         // 9.5 rounds up
		{Contract{Currency: CLP, Amount: 10000, Exempt: true}, 0, 10000, 0, false},
		{Contract{Currency: UF, Amount: 2500}, 3912345, 97809, 18584, false}, // 97808.625 → 97809
		{Contract{Currency: UF, Amount: 1000}, 3987654, 39877, 7577, false},  // 39876.54 → 39877
		{Contract{Currency: UF, Amount: 2000}, 3900025, 78001, 14820, false}, // 78000.5 → 78001 (half up)
		{Contract{Currency: UF, Amount: 1000}, 0, 0, 0, true},
	} {
		a, err := ComputeAmounts(tc.c, tc.uf, 19)
		if (err != nil) != tc.wantErrStr {
			t.Errorf("%+v: err %v", tc.c, err)
			continue
		}
		if err == nil && (a.Net != tc.net || a.Tax != tc.tax || a.Total != tc.net+tc.tax) {
			t.Errorf("%+v: got %+v, want net %d tax %d", tc.c, a, tc.net, tc.tax)
		}
	}
}
