package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SLAConfig is the [sla] section: response and resolution targets per
// priority label, counted in business hours of the weekly calendar in Hours,
// minus Holidays, in the business time zone (time_zone).
type SLAConfig struct {
	// Enabled computes due times; false gives tickets none.
	Enabled bool `toml:"enabled"`
	// Holidays are closed dates, "YYYY-MM-DD" in the business time zone.
	// Default: Chile's national holidays of 2026 and 2027.
	Holidays []string   `toml:"holidays"`
	Targets  SLATargets `toml:"targets"`
	Hours    SLAHours   `toml:"hours"`
}

// SLATargets are the targets per priority label (tickets.priority).
type SLATargets struct {
	High   SLATarget `toml:"high"`
	Medium SLATarget `toml:"medium"`
	Low    SLATarget `toml:"low"`
}

// SLATarget is one label's targets, in business time.
type SLATarget struct {
	FirstResponse Duration `toml:"first_response"`
	Resolution    Duration `toml:"resolution"`
}

// SLAHours is the weekly calendar: per weekday, open intervals in local
// wall-clock time, "09:00-18:00" or "09:00-13:00,14:00-18:00"; empty is
// closed all day. "24:00" ends a day.
type SLAHours struct {
	Mon string `toml:"mon"`
	Tue string `toml:"tue"`
	Wed string `toml:"wed"`
	Thu string `toml:"thu"`
	Fri string `toml:"fri"`
	Sat string `toml:"sat"`
	Sun string `toml:"sun"`
}

// Week returns the days indexed by time.Weekday (Sunday first).
func (h SLAHours) Week() [7]string {
	return [7]string{h.Sun, h.Mon, h.Tue, h.Wed, h.Thu, h.Fri, h.Sat}
}

// Labels returns the targets by priority label.
func (t SLATargets) Labels() map[string]SLATarget {
	return map[string]SLATarget{"high": t.High, "medium": t.Medium, "low": t.Low}
}

// ChileHolidays2026And2027 are Chile's national holidays of 2026 and 2027,
// the default sla.holidays. Movable ones, by their rules:
//   - Good Friday and Holy Saturday: Easter is 5 Apr 2026 and 28 Mar 2027.
//   - Día Nacional de los Pueblos Indígenas (law 21.357): the day of the
//     southern winter solstice, fixed by decree each year; the solstice is
//     21 Jun in both years (08:24 and 14:10 UTC, the same date in Chile).
//   - San Pedro y San Pablo (29 Jun) and Encuentro de Dos Mundos (12 Oct),
//     law 19.668: a Tuesday to Thursday moves to that week's Monday, a
//     Friday to the next Monday. 2026: both Mondays. 2027: Tuesdays, so
//     28 Jun and 11 Oct.
//   - Iglesias Evangélicas (31 Oct, law 20.299): a Tuesday moves to Friday
//     27 Oct, a Wednesday to Friday 2 Nov; 2026 and 2027 are weekend days.
//   - 17 Sep is a holiday on a Monday and 20 Sep on a Friday (law 20.215):
//     neither happens in 2026 or 2027.
//
// Election days (declared by law when they fall) and regional holidays
// (Arica 7 Jun, Chillán 20 Aug) are not listed: add them here.
var ChileHolidays2026And2027 = []string{
	"2026-01-01", "2026-04-03", "2026-04-04", "2026-05-01", "2026-05-21",
	"2026-06-21", "2026-06-29", "2026-07-16", "2026-08-15", "2026-09-18",
	"2026-09-19", "2026-10-12", "2026-10-31", "2026-11-01", "2026-12-08",
	"2026-12-25",
	"2027-01-01", "2027-03-26", "2027-03-27", "2027-05-01", "2027-05-21",
	"2027-06-21", "2027-06-28", "2027-07-16", "2027-08-15", "2027-09-18",
	"2027-09-19", "2027-10-11", "2027-10-31", "2027-11-01", "2027-12-08",
	"2027-12-25",
}

func defaultSLA() SLAConfig {
	return SLAConfig{
		Enabled:  true,
		Holidays: slices.Clone(ChileHolidays2026And2027),
		Targets: SLATargets{
			High:   SLATarget{FirstResponse: Duration(time.Hour), Resolution: Duration(8 * time.Hour)},
			Medium: SLATarget{FirstResponse: Duration(4 * time.Hour), Resolution: Duration(24 * time.Hour)},
			Low:    SLATarget{FirstResponse: Duration(8 * time.Hour), Resolution: Duration(72 * time.Hour)},
		},
		Hours: SLAHours{
			Mon: "09:00-18:00", Tue: "09:00-18:00", Wed: "09:00-18:00",
			Thu: "09:00-18:00", Fri: "09:00-18:00",
		},
	}
}

// OpenSpan is an open interval of one day in minutes after local midnight,
// Start < End <= 1440.
type OpenSpan struct{ Start, End int }

// ParseOpenHours parses one day of sla.hours: "" (closed) or comma-separated
// "HH:MM-HH:MM" intervals, each non-empty, that do not overlap. The spans
// come back sorted.
func ParseOpenHours(s string) ([]OpenSpan, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []OpenSpan
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		a, b, ok := strings.Cut(part, "-")
		if !ok {
			return nil, fmt.Errorf("interval %q must be HH:MM-HH:MM, like 09:00-18:00", part)
		}
		start, err1 := parseClock(a)
		end, err2 := parseClock(b)
		if err1 != nil || err2 != nil || start == 24*60 {
			return nil, fmt.Errorf("interval %q must be HH:MM-HH:MM with times from 00:00 to 24:00, like 09:00-18:00", part)
		}
		if end <= start {
			return nil, fmt.Errorf("interval %q ends before it starts (an interval cannot cross midnight: split it between two days)", part)
		}
		out = append(out, OpenSpan{start, end})
	}
	slices.SortFunc(out, func(x, y OpenSpan) int { return x.Start - y.Start })
	for i := 1; i < len(out); i++ {
		if out[i].Start < out[i-1].End {
			return nil, fmt.Errorf("intervals %s and %s overlap", fmtSpan(out[i-1]), fmtSpan(out[i]))
		}
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return hh*60 + mm, nil
}

func fmtSpan(s OpenSpan) string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.Start/60, s.Start%60, s.End/60, s.End%60)
}

// ParseHoliday parses one entry of sla.holidays ("2026-09-18").
func ParseHoliday(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("holiday %q must be a date YYYY-MM-DD, like 2026-09-18", s)
	}
	return d, nil
}

func (c *Config) validateSLA(add func(key, format string, args ...any)) {
	s := c.SLA
	for _, label := range []string{"high", "medium", "low"} {
		t := s.Targets.Labels()[label]
		key := "sla.targets." + label
		if t.FirstResponse.D() <= 0 {
			add(key+".first_response", "must be greater than zero")
		}
		if t.Resolution.D() <= 0 {
			add(key+".resolution", "must be greater than zero")
		} else if t.Resolution.D() < t.FirstResponse.D() {
			add(key+".resolution", "%s is less than first_response %s: a ticket cannot be due resolved before its first answer",
				t.Resolution.D(), t.FirstResponse.D())
		}
	}
	open, bad := false, false
	for i, day := range s.Hours.Week() {
		spans, err := ParseOpenHours(day)
		if err != nil {
			add("sla.hours."+strings.ToLower(time.Weekday(i).String()[:3]), "%v", err)
			bad = true
		}
		open = open || len(spans) > 0
	}
	if s.Enabled && !open && !bad {
		add("sla.hours", "no day has open hours: business time never passes, so nothing would ever be due (set sla.enabled = false instead)")
	}
	seen := map[string]bool{}
	for _, h := range s.Holidays {
		if _, err := ParseHoliday(h); err != nil {
			add("sla.holidays", "%v", err)
			continue
		}
		if seen[h] {
			add("sla.holidays", "%s is listed twice", h)
		}
		seen[h] = true
	}
}
