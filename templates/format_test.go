package templates

import (
	"math"
	"testing"
	"time"
)

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "$0"},
		{5, "$5"},
		{999, "$999"},
		{1000, "$1.000"},
		{45990, "$45.990"},
		{100000, "$100.000"},
		{1234567, "$1.234.567"},
		{-1000, "-$1.000"},
		{-5, "-$5"},
		{-1234567, "-$1.234.567"},
		{math.MaxInt64, "$9.223.372.036.854.775.807"},
		{math.MinInt64, "-$9.223.372.036.854.775.808"},
	}
	for _, tt := range tests {
		if got := formatMoney(tt.in); got != tt.want {
			t.Errorf("formatMoney(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatDateAllMonths(t *testing.T) {
	es := []string{"enero", "febrero", "marzo", "abril", "mayo", "junio",
		"julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}
	en := []string{"January", "February", "March", "April", "May", "June",
		"July", "August", "September", "October", "November", "December"}
	for m := time.January; m <= time.December; m++ {
		d := time.Date(2026, m, 16, 12, 0, 0, 0, time.UTC)
		if got, want := formatDate("es", d), "16 de "+es[m-1]+" de 2026"; got != want {
			t.Errorf("es %v: got %q, want %q", m, got, want)
		}
		if got, want := formatDate("en", d), en[m-1]+" 16, 2026"; got != want {
			t.Errorf("en %v: got %q, want %q", m, got, want)
		}
	}
}

func TestFormatDateEdges(t *testing.T) {
	santiago := time.FixedZone("CLT", -3*3600)
	tests := []struct {
		lang string
		t    time.Time
		want string
	}{
		{"es", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "1 de enero de 2026"},
		{"en", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "January 1, 2026"},
		{"es", time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), "31 de diciembre de 2026"},
		// The date is the one in t's own location, not UTC.
		{"es", time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC).In(santiago), "28 de febrero de 2026"},
	}
	for _, tt := range tests {
		if got := formatDate(tt.lang, tt.t); got != tt.want {
			t.Errorf("formatDate(%s, %v) = %q, want %q", tt.lang, tt.t, got, tt.want)
		}
	}
}

func TestFormatDateTime(t *testing.T) {
	d := time.Date(2026, 11, 16, 18, 30, 0, 0, time.UTC)
	if got, want := formatDateTime("es", d, ""), "16 de noviembre de 2026 a las 18:30"; got != want {
		t.Errorf("es: got %q, want %q", got, want)
	}
	if got, want := formatDateTime("en", d, ""), "November 16, 2026 at 6:30 PM"; got != want {
		t.Errorf("en: got %q, want %q", got, want)
	}
	if got, want := formatDateTime("es", d, "hora de Santiago"), "16 de noviembre de 2026 a las 18:30 (hora de Santiago)"; got != want {
		t.Errorf("es with zone: got %q, want %q", got, want)
	}
	if got, want := formatDateTime("en", d, "Santiago time"), "November 16, 2026 at 6:30 PM (Santiago time)"; got != want {
		t.Errorf("en with zone: got %q, want %q", got, want)
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		lang string
		n    int64
		want string
	}{
		{"es", 512, "512 bytes"},
		{"es", 300 << 10, "300 KB"},
		{"es", 10 << 20, "10 MB"},
		{"es", 3 << 19, "1,5 MB"},
		{"en", 3 << 19, "1.5 MB"},
		{"en", 2 << 30, "2 GB"},
	}
	for _, tt := range tests {
		if got := formatSize(tt.lang, tt.n); got != tt.want {
			t.Errorf("formatSize(%s, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestPluralAndOneLine(t *testing.T) {
	if plural(1, "día", "días") != "día" || plural(0, "día", "días") != "días" || plural(3, "día", "días") != "días" {
		t.Error("plural picks the wrong form")
	}
	if got := oneLine(" Re:\r\n  no\tanda\n"); got != "Re: no anda" {
		t.Errorf("oneLine = %q", got)
	}
}
