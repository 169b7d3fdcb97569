package sla

import (
	"fmt"
	"time"

	"turno/config"
)

// FromConfig builds the policy of cfg's [sla] section in cfg's time_zone.
// It returns nil (and no error) when sla.enabled is false. cfg should be
// validated; FromConfig still refuses what does not parse.
func FromConfig(cfg config.Config) (*Policy, error) {
	if !cfg.SLA.Enabled {
		return nil, nil
	}
	loc, err := cfg.Location()
	if err != nil {
		return nil, fmt.Errorf("time_zone: %w", err)
	}
	var week Week
	for day, s := range cfg.SLA.Hours.Week() {
		spans, err := config.ParseOpenHours(s)
		if err != nil {
			return nil, fmt.Errorf("sla.hours: %s: %w", time.Weekday(day), err)
		}
		for _, sp := range spans {
			week[day] = append(week[day], Span{Start: sp.Start, End: sp.End})
		}
	}
	var holidays []Date
	for _, h := range cfg.SLA.Holidays {
		d, err := config.ParseHoliday(h)
		if err != nil {
			return nil, fmt.Errorf("sla.holidays: %w", err)
		}
		holidays = append(holidays, Date{d.Year(), d.Month(), d.Day()})
	}
	cal, err := NewCalendar(loc, week, holidays)
	if err != nil {
		return nil, err
	}
	targets := map[string]Target{}
	for label, t := range cfg.SLA.Targets.Labels() {
		targets[label] = Target{FirstResponse: t.FirstResponse.D(), Resolution: t.Resolution.D()}
	}
	return &Policy{Calendar: cal, Targets: targets}, nil
}
