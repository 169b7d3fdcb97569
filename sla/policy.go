package sla

import (
	"slices"
	"time"
)

// Target is one priority label's targets, in business time.
type Target struct {
	FirstResponse time.Duration
	Resolution    time.Duration
}

// Interval is a stretch of time, [Start, End). A zero End is open: it has
// not ended yet.
type Interval struct {
	Start, End time.Time
}

// Policy is the calendar and the targets by priority label.
type Policy struct {
	Calendar *Calendar
	Targets  map[string]Target
}

// Due returns when a ticket created at created with priority label is due
// its first response and its resolution. Business time inside pending
// (the intervals the ticket spent waiting on the customer) does not count
// toward resolution: it pushes the resolution due time later by that much.
// pending may be unsorted and overlapping.
//
// Zero times mean no target: an unknown label gives both zero, and an open
// pending interval (End zero: the ticket is pending now, so its resolution
// clock is stopped) gives a zero resolution.
func (p *Policy) Due(created time.Time, label string, pending []Interval) (firstResponse, resolution time.Time) {
	t, ok := p.Targets[label]
	if !ok || p.Calendar == nil {
		return time.Time{}, time.Time{}
	}
	c := p.Calendar
	firstResponse = c.Add(created, t.FirstResponse)

	ps, stopped := merge(created, pending)
	at, left := created.Round(0), t.Resolution
	for _, iv := range ps {
		if iv.Start.After(at) {
			if due := c.Add(at, left); !due.After(iv.Start) {
				return firstResponse, due
			}
			left -= c.Between(at, iv.Start)
		}
		if iv.End.After(at) {
			at = iv.End
		}
	}
	if stopped {
		return firstResponse, time.Time{}
	}
	return firstResponse, c.Add(at, left)
}

// merge sorts the intervals, clips them to after from, drops empty ones and
// joins those that overlap or touch. An open interval ends the list, and
// stopped says so.
func merge(from time.Time, ivs []Interval) (out []Interval, stopped bool) {
	ivs = slices.Clone(ivs)
	slices.SortFunc(ivs, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	for _, iv := range ivs {
		iv.Start, iv.End = iv.Start.Round(0), iv.End.Round(0)
		if iv.Start.Before(from) {
			iv.Start = from
		}
		if iv.End.IsZero() {
			return append(out, Interval{Start: iv.Start}), true
		}
		if !iv.End.After(iv.Start) {
			continue
		}
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out, false
}
