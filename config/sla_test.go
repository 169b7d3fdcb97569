package config

import (
	"strings"
	"testing"
)

func TestSLAValidation(t *testing.T) {
	cases := []struct {
		name string
		edit func(*SLAConfig)
		want string
	}{
		{"bad interval", func(s *SLAConfig) { s.Hours.Mon = "9-18" }, "sla.hours.mon: interval \"9-18\" must be HH:MM-HH:MM"},
		{"crosses midnight", func(s *SLAConfig) { s.Hours.Fri = "22:00-02:00" }, "sla.hours.fri: interval \"22:00-02:00\" ends before it starts"},
		{"overlap", func(s *SLAConfig) { s.Hours.Tue = "09:00-13:00, 12:00-18:00" }, "sla.hours.tue: intervals 09:00-13:00 and 12:00-18:00 overlap"},
		{"bad date", func(s *SLAConfig) { s.Holidays = append(s.Holidays, "2026-02-30") }, "sla.holidays: holiday \"2026-02-30\" must be a date YYYY-MM-DD"},
		{"twice", func(s *SLAConfig) { s.Holidays = append(s.Holidays, "2026-01-01") }, "sla.holidays: 2026-01-01 is listed twice"},
		{"resolution < first", func(s *SLAConfig) { s.Targets.Low.Resolution = Duration(1) }, "sla.targets.low.resolution: 1ns is less than first_response 8h0m0s"},
		{"zero", func(s *SLAConfig) { s.Targets.High.FirstResponse = 0 }, "sla.targets.high.first_response: must be greater than zero"},
		{"closed", func(s *SLAConfig) { s.Hours = SLAHours{} }, "sla.hours: no day has open hours"},
	}
	for _, c := range cases {
		cfg := Default()
		c.edit(&cfg.SLA)
		errs := cfg.Validate()
		if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), c.want) {
			t.Errorf("%s: got %v, want one error starting %q", c.name, errs, c.want)
		}
	}
	cfg := Default()
	cfg.SLA.Enabled = false
	cfg.SLA.Hours = SLAHours{}
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Errorf("disabled with no hours: %v", errs)
	}
}

func TestSLAFromFileAndEnv(t *testing.T) {
	p := writeFile(t, "[sla]\nholidays = [\"2026-12-31\"]\n[sla.targets.high]\nfirst_response = \"30m\"\n[sla.hours]\nsat = \"10:00-13:00\"\n")
	cfg, err := Load(p, []string{"TURNO_SLA_HOURS_MON=08:00-12:00,13:00-17:00", "TURNO_SLA_ENABLED=false"})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.SLA
	if s.Enabled || s.Hours.Sat != "10:00-13:00" || s.Hours.Mon != "08:00-12:00,13:00-17:00" || s.Hours.Tue != "09:00-18:00" ||
		len(s.Holidays) != 1 || s.Targets.High.FirstResponse.D().String() != "30m0s" || s.Targets.High.Resolution.D().String() != "8h0m0s" {
		t.Fatalf("got %+v", s)
	}
	spans, err := ParseOpenHours(s.Hours.Mon)
	if err != nil || len(spans) != 2 || spans[0] != (OpenSpan{8 * 60, 12 * 60}) || spans[1] != (OpenSpan{13 * 60, 17 * 60}) {
		t.Fatalf("ParseOpenHours = %v, %v", spans, err)
	}
	if spans, err := ParseOpenHours("00:00-24:00"); err != nil || spans[0] != (OpenSpan{0, 1440}) {
		t.Fatalf("whole day = %v, %v", spans, err)
	}
	p = writeFile(t, "[sla.hours]\nwed = \"09:00-25:00\"\n")
	if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), ":2: sla.hours.wed:") {
		t.Fatalf("want an error naming line 2 and sla.hours.wed, got %v", err)
	}
}
