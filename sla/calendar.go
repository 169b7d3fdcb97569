package sla

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Span is an open interval of one day, in minutes after local midnight:
// 0 <= Start < End <= 1440 (24:00).
type Span struct{ Start, End int }

// Week is the open hours of each weekday, indexed by time.Weekday.
type Week [7][]Span

// Date is a calendar date in the business time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Calendar counts business time: the open spans of each weekday in loc,
// except on holidays.
type Calendar struct {
	loc      *time.Location
	week     Week
	holidays map[Date]bool
}

// NewCalendar checks week (spans sorted, in range, not overlapping, some
// day open) and returns its calendar.
func NewCalendar(loc *time.Location, week Week, holidays []Date) (*Calendar, error) {
	if loc == nil {
		return nil, errors.New("sla: nil time zone")
	}
	c := &Calendar{loc: loc, holidays: map[Date]bool{}}
	open := false
	for day, spans := range week {
		spans = slices.Clone(spans)
		slices.SortFunc(spans, func(a, b Span) int { return a.Start - b.Start })
		for i, s := range spans {
			if s.Start < 0 || s.End > 24*60 || s.Start >= s.End {
				return nil, fmt.Errorf("sla: %s: bad span %d-%d minutes", time.Weekday(day), s.Start, s.End)
			}
			if i > 0 && s.Start < spans[i-1].End {
				return nil, fmt.Errorf("sla: %s: spans overlap", time.Weekday(day))
			}
		}
		c.week[day] = spans
		open = open || len(spans) > 0
	}
	if !open {
		return nil, errors.New("sla: no day has open hours")
	}
	for _, h := range holidays {
		c.holidays[h] = true
	}
	return c, nil
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsHoliday reports whether d is a listed holiday.
func (c *Calendar) IsHoliday(d Date) bool { return c.holidays[d] }

// open is one open interval as instants.
type open struct{ from, to time.Time }

// day returns the open intervals of the local date y-m-d (normalized, so
// d may overflow) as instants, in order. A wall time that a clock change
// skips or repeats resolves as time.Date resolves it; an interval that
// comes out empty is dropped.
func (c *Calendar) day(y int, m time.Month, d int) []open {
	date := time.Date(y, m, d, 12, 0, 0, 0, c.loc)
	y, m, d = date.Date()
	if c.holidays[Date{y, m, d}] {
		return nil
	}
	var out []open
	for _, s := range c.week[date.Weekday()] {
		from := time.Date(y, m, d, 0, s.Start, 0, 0, c.loc)
		to := time.Date(y, m, d, 0, s.End, 0, 0, c.loc)
		if to.After(from) {
			out = append(out, open{from, to})
		}
	}
	return out
}

// Add returns the instant at which d of business time has passed after
// start. With d <= 0 it is start. When d runs out exactly at a closing
// time, that closing time is the answer (not the next opening).
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	start = start.Round(0) // drop the monotonic reading: instants only
	if d <= 0 {
		return start
	}
	local := start.In(c.loc)
	y, m, dd := local.Date()
	// From the day before: a repeated hour can put start in the local date
	// after an interval's own.
	for i := -1; ; i++ {
		for _, o := range c.day(y, m, dd+i) {
			if !o.to.After(start) {
				continue
			}
			from := o.from
			if start.After(from) {
				from = start
			}
			if avail := o.to.Sub(from); d <= avail {
				return from.Add(d)
			} else {
				d -= avail
			}
		}
	}
}

// Between returns the business time from a to b; 0 when b is not after a.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	a, b = a.Round(0), b.Round(0)
	if !b.After(a) {
		return 0
	}
	var total time.Duration
	y, m, dd := a.In(c.loc).Date()
	for i := -1; ; i++ {
		first := time.Date(y, m, dd+i, 0, 0, 0, 0, c.loc)
		if first.After(b) {
			return total
		}
		for _, o := range c.day(y, m, dd+i) {
			from, to := o.from, o.to
			if a.After(from) {
				from = a
			}
			if b.Before(to) {
				to = b
			}
			if to.After(from) {
				total += to.Sub(from)
			}
		}
	}
}
