package sla

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"turno/config"
)

func defaultPolicy(t *testing.T) *Policy {
	t.Helper()
	p, err := FromConfig(config.Default())
	if err != nil || p == nil {
		t.Fatalf("FromConfig(Default()) = %v, %v", p, err)
	}
	return p
}

func santiago(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func at(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, loc)
}

func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got.In(want.Location()), want)
	}
}

func TestFridayEveningIsDueMondayMorning(t *testing.T) {
	p := defaultPolicy(t)
	loc := santiago(t)
	created := at(loc, 2026, time.March, 13, 17, 30) // a Friday
	if created.Weekday() != time.Friday {
		t.Fatalf("%s is not a Friday", created)
	}
	first, res := p.Due(created, "high", nil)
	wantTime(t, "first response", first, at(loc, 2026, time.March, 16, 9, 30))
	// 8h: 30 min on Friday, 7h30 on Monday.
	wantTime(t, "resolution", res, at(loc, 2026, time.March, 16, 16, 30))
	if got := p.Calendar.Between(created, first); got != time.Hour {
		t.Errorf("Between = %s, want 1h", got)
	}
}

func TestClosingTimeIsDueNotNextOpening(t *testing.T) {
	p := defaultPolicy(t)
	loc := santiago(t)
	first, _ := p.Due(at(loc, 2026, time.March, 13, 17, 0), "high", nil)
	wantTime(t, "first response", first, at(loc, 2026, time.March, 13, 18, 0))
}

func TestChileanHolidaysAreClosed(t *testing.T) {
	p := defaultPolicy(t)
	loc := santiago(t)
	// Thursday 17 Sep 2026; 18 (Friday) and 19 Sep are holidays.
	created := at(loc, 2026, time.September, 17, 17, 30)
	first, res := p.Due(created, "high", nil)
	wantTime(t, "first response", first, at(loc, 2026, time.September, 21, 9, 30))
	wantTime(t, "resolution", res, at(loc, 2026, time.September, 21, 16, 30))
	// Medium, 24h = 2 days 6h of business: Thu 30m, Mon 9h, Tue 9h, Wed 5h30.
	_, res = p.Due(created, "medium", nil)
	wantTime(t, "medium resolution", res, at(loc, 2026, time.September, 23, 14, 30))
	// Good Friday 3 Apr 2026.
	first, _ = p.Due(at(loc, 2026, time.April, 2, 17, 0), "high", nil)
	wantTime(t, "first response before Good Friday", first, at(loc, 2026, time.April, 2, 18, 0))
	first, _ = p.Due(at(loc, 2026, time.April, 2, 17, 1), "high", nil)
	wantTime(t, "first response over Good Friday", first, at(loc, 2026, time.April, 6, 9, 1))
}

// transitions finds the instants in year at which loc's UTC offset changes,
// scanning hour by hour, so the test does not hard-code the tz database.
func transitions(loc *time.Location, year int) []time.Time {
	var out []time.Time
	t := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	_, prev := t.In(loc).Zone()
	for ; t.Year() == year; t = t.Add(time.Hour) {
		if _, off := t.In(loc).Zone(); off != prev {
			// Narrow to the minute.
			lo := t.Add(-time.Hour)
			for lo.Add(time.Minute).Before(t) {
				if _, o := lo.Add(time.Minute).In(loc).Zone(); o == prev {
					lo = lo.Add(time.Minute)
				} else {
					break
				}
			}
			out = append(out, lo.Add(time.Minute))
			prev = off
		}
	}
	return out
}

func TestDaylightSavingChangesAreExact(t *testing.T) {
	loc := santiago(t)
	tr := transitions(loc, 2026)
	if len(tr) != 2 {
		t.Fatalf("America/Santiago changes offset %d times in 2026 (%v), want 2", len(tr), tr)
	}
	var allDay Week
	for d := range allDay {
		allDay[d] = []Span{{0, 24 * 60}}
	}
	always, err := NewCalendar(loc, allDay, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Without holidays: Good Friday 2026 is the Friday before April's change.
	cfg := config.Default()
	cfg.SLA.Holidays = nil
	p, err := FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range tr {
		_, before := x.Add(-time.Minute).In(loc).Zone()
		_, after := x.In(loc).Zone()
		shift := time.Duration(after-before) * time.Second
		// Local midnight two days before to local midnight two days after:
		// four calendar days, which are 96h minus the hour the clock gains.
		l := x.In(loc)
		a := time.Date(l.Year(), l.Month(), l.Day()-2, 0, 0, 0, 0, loc)
		b := time.Date(l.Year(), l.Month(), l.Day()+2, 0, 0, 0, 0, loc)
		want := 96*time.Hour - shift
		if got := always.Between(a, b); got != want || got != b.Sub(a) {
			t.Errorf("around %s: Between = %s, want %s (real %s)", x, got, want, b.Sub(a))
		}
		wantTime(t, "Add over the change", always.Add(a, want), b)

		// Mon–Fri: the Friday before the change at 17:30 plus 1h is the
		// Monday after at 09:30 local, whatever the clock did in between.
		fri := time.Date(l.Year(), l.Month(), l.Day(), 17, 30, 0, 0, loc)
		for fri.Weekday() != time.Friday {
			fri = time.Date(fri.Year(), fri.Month(), fri.Day()-1, 17, 30, 0, 0, loc)
		}
		if !fri.Before(x) {
			t.Fatalf("change %s is not on a weekend after %s", x, fri)
		}
		first, _ := p.Due(fri, "high", nil)
		wantTime(t, "first response over the change", first, time.Date(fri.Year(), fri.Month(), fri.Day()+3, 9, 30, 0, 0, loc))
		if !first.After(x) {
			t.Errorf("due %s is not after the change %s", first, x)
		}
	}
}

func TestPendingTimeDoesNotCountTowardResolution(t *testing.T) {
	p := defaultPolicy(t)
	loc := santiago(t)
	created := at(loc, 2026, time.March, 9, 10, 0) // Monday
	first, res := p.Due(created, "high", nil)
	wantTime(t, "resolution", res, at(loc, 2026, time.March, 9, 18, 0))

	// Pending 12:00–14:00: two hours more, into Tuesday.
	pending := []Interval{{at(loc, 2026, time.March, 9, 12, 0), at(loc, 2026, time.March, 9, 14, 0)}}
	f2, res := p.Due(created, "high", pending)
	wantTime(t, "resolution with pending", res, at(loc, 2026, time.March, 10, 11, 0))
	wantTime(t, "first response ignores pending", f2, first)

	// Overlapping, unsorted intervals count once; time before created and
	// outside business hours counts nothing.
	pending = []Interval{
		{at(loc, 2026, time.March, 9, 13, 0), at(loc, 2026, time.March, 9, 14, 0)},
		{at(loc, 2026, time.March, 9, 8, 0), at(loc, 2026, time.March, 9, 11, 0)},
		{at(loc, 2026, time.March, 9, 12, 0), at(loc, 2026, time.March, 9, 13, 30)},
		{at(loc, 2026, time.March, 9, 20, 0), at(loc, 2026, time.March, 10, 8, 0)},
	}
	// Pending business time: 10–11 and 12–14: 3h.
	_, res = p.Due(created, "high", pending)
	wantTime(t, "resolution with messy pending", res, at(loc, 2026, time.March, 10, 12, 0))

	// Pending over a weekend costs only the business hours it covers.
	pending = []Interval{{at(loc, 2026, time.March, 13, 17, 0), at(loc, 2026, time.March, 16, 10, 0)}}
	_, res = p.Due(at(loc, 2026, time.March, 13, 9, 0), "medium", pending)
	// 24h: Fri 9–17 = 8h, (pending until Mon 10), Mon 10–18 8h, Tue 8h → Tue 17:00.
	wantTime(t, "resolution with pending over a weekend", res, at(loc, 2026, time.March, 17, 17, 0))

	// A pending interval after the due time changes nothing.
	pending = []Interval{{at(loc, 2026, time.March, 9, 18, 0), at(loc, 2026, time.March, 10, 12, 0)}}
	_, res = p.Due(created, "high", pending)
	wantTime(t, "resolution with later pending", res, at(loc, 2026, time.March, 9, 18, 0))

	// Pending now (open interval): the resolution clock is stopped.
	_, res = p.Due(created, "high", []Interval{{Start: at(loc, 2026, time.March, 9, 11, 0)}})
	if !res.IsZero() {
		t.Errorf("resolution while pending = %s, want zero", res)
	}
	// ... unless it began after the target was already met.
	_, res = p.Due(created, "high", []Interval{{Start: at(loc, 2026, time.March, 10, 11, 0)}})
	wantTime(t, "resolution before open pending", res, at(loc, 2026, time.March, 9, 18, 0))
}

func TestUnknownLabelHasNoTarget(t *testing.T) {
	p := defaultPolicy(t)
	f, r := p.Due(time.Now(), "urgent", nil)
	if !f.IsZero() || !r.IsZero() {
		t.Fatalf("Due(urgent) = %s, %s, want zero times", f, r)
	}
}

func TestDisabledGivesNoPolicy(t *testing.T) {
	cfg := config.Default()
	cfg.SLA.Enabled = false
	if p, err := FromConfig(cfg); p != nil || err != nil {
		t.Fatalf("FromConfig(disabled) = %v, %v", p, err)
	}
}

func TestBetweenInvertsAdd(t *testing.T) {
	loc := santiago(t)
	odd, err := NewCalendar(loc, Week{
		time.Sunday:    {{0, 60}},
		time.Monday:    {{8*60 + 15, 12 * 60}, {13 * 60, 17*60 + 45}},
		time.Wednesday: {{0, 24 * 60}},
		time.Saturday:  {{22 * 60, 24 * 60}},
	}, []Date{{2026, time.April, 5}, {2026, time.September, 9}})
	if err != nil {
		t.Fatal(err)
	}
	cals := map[string]*Calendar{"default": defaultPolicy(t).Calendar, "odd": odd}
	r := rand.New(rand.NewPCG(12, 2026))
	lo := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	for name, c := range cals {
		for range 3000 {
			s := lo.Add(time.Duration(r.Int64N(int64(760 * 24 * time.Hour))))
			d := time.Duration(r.Int64N(int64(300 * time.Hour)))
			if r.IntN(4) == 0 {
				d = d.Truncate(time.Hour) // land on opening and closing times
			}
			e := c.Add(s, d)
			if got := c.Between(s, e); got != d {
				t.Fatalf("%s: Between(%s, Add(%s, %s) = %s) = %s", name, s.In(loc), s.In(loc), d, e.In(loc), got)
			}
			b := s.Add(time.Duration(r.Int64N(int64(400 * time.Hour))))
			if back := c.Add(s, c.Between(s, b)); back.After(b) {
				t.Fatalf("%s: Add(s, Between(s, %s)) = %s is after it", name, b.In(loc), back.In(loc))
			}
		}
	}
}

// chileHolidays computes Chile's national holidays of year by their rules,
// to check the literal default list. The solstice date (Día de los Pueblos
// Indígenas) comes from a table: it is fixed by decree each year.
func chileHolidays(t *testing.T, year int) []string {
	solstice := map[int]int{2026: 21, 2027: 21}
	sd, ok := solstice[year]
	if !ok {
		t.Fatalf("no solstice date for %d", year)
	}
	d := func(m time.Month, day int) time.Time { return time.Date(year, m, day, 0, 0, 0, 0, time.UTC) }
	// Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
	a, b, c := year%19, year/100, year%100
	dd, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - dd - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	easter := d(time.Month((h+l-7*m+114)/31), (h+l-7*m+114)%31+1)
	// Law 19.668: Tuesday–Thursday to that week's Monday, Friday to the next.
	move := func(x time.Time) time.Time {
		switch x.Weekday() {
		case time.Tuesday, time.Wednesday, time.Thursday:
			return x.AddDate(0, 0, -int(x.Weekday()-time.Monday))
		case time.Friday:
			return x.AddDate(0, 0, 3)
		}
		return x
	}
	// Law 20.299 as amended: Tuesday to the Friday before, Wednesday to the
	// Friday after.
	reformation := d(time.October, 31)
	switch reformation.Weekday() {
	case time.Tuesday:
		reformation = reformation.AddDate(0, 0, -4)
	case time.Wednesday:
		reformation = reformation.AddDate(0, 0, 2)
	}
	days := []time.Time{
		d(time.January, 1), easter.AddDate(0, 0, -2), easter.AddDate(0, 0, -1),
		d(time.May, 1), d(time.May, 21), d(time.June, sd), move(d(time.June, 29)),
		d(time.July, 16), d(time.August, 15), d(time.September, 18), d(time.September, 19),
		move(d(time.October, 12)), reformation, d(time.November, 1), d(time.December, 8), d(time.December, 25),
	}
	if x := d(time.September, 17); x.Weekday() == time.Monday {
		days = append(days, x)
	}
	if x := d(time.September, 20); x.Weekday() == time.Friday {
		days = append(days, x)
	}
	if x := d(time.January, 2); x.Weekday() == time.Monday {
		days = append(days, x) // law 20.983: 1 Jan on a Sunday
	}
	var out []string
	for _, x := range days {
		out = append(out, x.Format(time.DateOnly))
	}
	slices.Sort(out)
	return out
}

func TestDefaultHolidaysFollowChileanRules(t *testing.T) {
	want := append(chileHolidays(t, 2026), chileHolidays(t, 2027)...)
	got := slices.Sorted(slices.Values(config.ChileHolidays2026And2027))
	if !slices.Equal(got, want) {
		t.Fatalf("default holidays\n got %v\nwant %v", got, want)
	}
	loc := santiago(t)
	for _, s := range []string{"2026-04-05", "2027-03-28"} { // Easter Sundays
		if e, _ := time.ParseInLocation(time.DateOnly, s, loc); e.Weekday() != time.Sunday {
			t.Errorf("Easter %s is a %s", s, e.Weekday())
		}
	}
}
