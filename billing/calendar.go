package billing

import (
	"fmt"
	"time"

	"turno/scheduler"
)

// BillingDay is the day of d's month on which a contract anchored on anchor
// bills: the anchor itself, or the month's last day when the month is
// shorter. The anchor never changes, so a contract anchored on the 31st
// bills on 30 April and again on 31 May.
func BillingDay(anchor int, year int, month int) int {
	last := scheduler.Date{Year: year, Month: monthOf(month), Day: 1}.LastDayOfMonth()
	return min(anchor, last)
}

// BillsOn reports whether a contract anchored on anchor bills on d.
func BillsOn(anchor int, d scheduler.Date) bool {
	return d.Day == BillingDay(anchor, d.Year, int(d.Month))
}

// AnchorsFor lists the anchor days that bill on d: d's day, and on the last
// day of a short month every anchor after it.
func AnchorsFor(d scheduler.Date) []int {
	out := []int{d.Day}
	if d.Day == d.LastDayOfMonth() {
		for a := d.Day + 1; a <= 31; a++ {
			out = append(out, a)
		}
	}
	return out
}

// PeriodOf names the monthly period a billing date belongs to: "2026-02".
func PeriodOf(d scheduler.Date) string { return fmt.Sprintf("%04d-%02d", d.Year, d.Month) }

// periodLabel is the period as the mail shows it: "febrero 2026".
func periodLabel(period, lang string) string {
	var y, m int
	if _, err := fmt.Sscanf(period, "%d-%d", &y, &m); err != nil || m < 1 || m > 12 {
		return period
	}
	if lang == "en" {
		return fmt.Sprintf("%s %d", monthOf(m).String(), y)
	}
	return fmt.Sprintf("%s %d", monthsES[m-1], y)
}

var monthsES = [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio",
	"julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}

func monthOf(m int) time.Month { return time.Month(m) }
