package seed

import (
	"fmt"
	"slices"
	"time"
)

// Durations of one measurement.
type Durations []time.Duration

// Pct is the p-th quantile (0 < p <= 1), nearest rank.
func (d Durations) Pct(p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// MS formats d in milliseconds.
func MS(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }

// Pair times a and b alternately n times (after 3 untimed rounds).
func Pair(n int, a, b func(i int) error) (Durations, Durations, error) {
	ds, err := Alternate(n, a, b)
	if err != nil {
		return nil, nil, err
	}
	return ds[0], ds[1], nil
}

// Alternate times each of fns in turn, n rounds after 3 untimed ones
// (round i calls each with i, from -3), so that load on a shared machine
// hits them alike.
func Alternate(n int, fns ...func(i int) error) ([]Durations, error) {
	ds := make([]Durations, len(fns))
	for i := -3; i < n; i++ {
		for j, fn := range fns {
			start := time.Now()
			if err := fn(i); err != nil {
				return nil, err
			}
			if i >= 0 {
				ds[j] = append(ds[j], time.Since(start))
			}
		}
	}
	return ds, nil
}

// Report prints one line: a's and d's p50 and p99 and their ratios.
func Report(what, aName, dName string, a, d Durations) {
	fmt.Printf("%-18s %s p50 %s p99 %s  %s p50 %s p99 %s  ratio p50 %.2f p99 %.2f\n", what,
		aName, MS(a.Pct(.5)), MS(a.Pct(.99)), dName, MS(d.Pct(.5)), MS(d.Pct(.99)),
		float64(a.Pct(.5))/float64(d.Pct(.5)), float64(a.Pct(.99))/float64(d.Pct(.99)))
}
