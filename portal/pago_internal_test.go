package portal

import (
	"testing"
	"time"
)

func TestParseAmountChileanFormats(t *testing.T) {
	for in, want := range map[string]int64{"45990": 45990, "45.990": 45990, "$45.990": 45990, "$ 45.990.-": 45990,
		"CLP 45.990": 45990, "45.990 pesos": 45990, "45.990,00": 45990, "1.234.567": 1234567, " 990 ": 990} {
		if got, ok := parseAmount(in); !ok || got != want {
			t.Errorf("parseAmount(%q) = %d %v, want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "abc", "45,5", "4.59.90", "45.99", "0", "-100", "1e6", "$", "45.990,50", "1234.567"} {
		if got, ok := parseAmount(in); ok {
			t.Errorf("parseAmount(%q) = %d, want refused", in, got)
		}
	}
}

func TestParseDateRefusesFuture(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{"2026-03-15": "2026-03-15", "14-03-2026": "2026-03-14", "1/3/2026": "2026-03-01"} {
		if got, ok := parseDate(in, now); !ok || got != want {
			t.Errorf("parseDate(%q) = %q %v", in, got, ok)
		}
	}
	for _, in := range []string{"2026-03-16", "31-02-2026", "ayer", ""} {
		if _, ok := parseDate(in, now); ok {
			t.Errorf("parseDate(%q) accepted", in)
		}
	}
}

func TestSafeNameFollowsTheContent(t *testing.T) {
	for in, want := range map[string]string{"comprobante.pdf": "comprobante.pdf", `C:\fakepath\Pago Marzo.JPEG`: "Pago_Marzo.jpg",
		"../../etc/passwd": "passwd.png", `x".html`: "x.html.png", "": "comprobante.pdf"} {
		ext := ".pdf"
		switch want[len(want)-4:] {
		case ".jpg":
			ext = ".jpg"
		case ".png":
			ext = ".png"
		}
		if got := safeName(in, ext); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}
