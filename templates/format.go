package templates

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// formatMoney formats an amount of Chilean pesos, which have no minor unit:
// "$45.990", "-$1.000", "$0". The format is the same in every language,
// because it is the currency's own convention, not the reader's.
// Money formats whole Chilean pesos as Chilean documents do: $45.990.
// The invoice PDF uses it too, so mail and PDF never disagree.
func Money(amount int64) string { return formatMoney(amount) }

// Date formats the calendar date of t, in t's own location (no
// conversion: the caller picks the zone), in lang ("es": 16 de noviembre
// de 2026; "en": November 16, 2026).
func Date(lang string, t time.Time) string { return formatDate(lang, t) }

func formatMoney(amount int64) string {
	neg := amount < 0
	u := uint64(amount)
	if neg {
		u = -u // also right for math.MinInt64
	}
	digits := strconv.FormatUint(u, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteByte('$')
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(d)
	}
	return b.String()
}

var monthsES = [12]string{
	"enero", "febrero", "marzo", "abril", "mayo", "junio",
	"julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
}

// formatDate formats the calendar date of t, in t's own location:
// "16 de noviembre de 2026" in Spanish, "November 16, 2026" in English.
func formatDate(lang string, t time.Time) string {
	if lang == "en" {
		return t.Format("January 2, 2006")
	}
	return fmt.Sprintf("%d de %s de %d", t.Day(), monthsES[t.Month()-1], t.Year())
}

// formatDateTime adds the time of day, in t's own location, and the zone
// (zoneLabel) in parentheses when zone is not empty:
// "16 de noviembre de 2026 a las 18:30 (hora de Santiago)",
// "November 16, 2026 at 6:30 PM (Santiago time)".
func formatDateTime(lang string, t time.Time, zone string) string {
	var s string
	if lang == "en" {
		s = formatDate(lang, t) + " at " + t.Format("3:04 PM")
	} else {
		s = formatDate(lang, t) + " a las " + t.Format("15:04")
	}
	if zone != "" {
		s += " (" + zone + ")"
	}
	return s
}

// zoneLabel names the zone of loc for a reader in lang: "hora de Santiago"
// / "Santiago time" for a city's zone (the last part of its IANA name,
// spelled in Spanish where that differs), else t's abbreviation as an
// offset from UTC ("UTC", "UTC-03"). A reader cannot mistake either for
// their own zone, which a bare "05:33" lets them do.
func zoneLabel(lang string, loc *time.Location, t time.Time) string {
	name := loc.String()
	if i := strings.LastIndexByte(name, '/'); i >= 0 && !strings.HasPrefix(name, "Etc/") {
		if lang == "en" {
			return cityName(lang, name[i+1:]) + " time"
		}
		return "hora de " + cityName(lang, name[i+1:])
	}
	abbr, _ := t.Zone()
	if strings.HasPrefix(abbr, "+") || strings.HasPrefix(abbr, "-") {
		return "UTC" + abbr
	}
	return abbr
}

// cityName spells the city of an IANA zone name in lang. IANA names are
// English and unaccented; the cities of the Americas' zones that read
// wrong that way are spelled here, the others shown with spaces for
// underscores.
func cityName(lang, city string) string {
	es, en := "", ""
	switch city {
	case "Asuncion":
		es = "Asunción"
	case "Bogota":
		es, en = "Bogotá", "Bogotá"
	case "Cancun":
		es, en = "Cancún", "Cancún"
	case "Easter":
		es, en = "Isla de Pascua", "Easter Island"
	case "Galapagos":
		es, en = "Galápagos", "Galápagos"
	case "Havana":
		es = "La Habana"
	case "Mazatlan":
		es, en = "Mazatlán", "Mazatlán"
	case "Merida":
		es, en = "Mérida", "Mérida"
	case "Mexico_City":
		es = "Ciudad de México"
	case "Panama":
		es = "Panamá"
	case "Sao_Paulo":
		es, en = "São Paulo", "São Paulo"
	}
	if lang == "en" && en != "" {
		return en
	}
	if lang != "en" && es != "" {
		return es
	}
	return strings.ReplaceAll(city, "_", " ")
}

// formatSize formats a byte count for people: "512 bytes", "300 KB",
// "10 MB", "1,5 MB" (Spanish decimal comma) or "1.5 MB" (English).
// Units are binary (1 MB = 1024 KB), as mail clients show them.
func formatSize(lang string, n int64) string {
	const kb, mb, gb = 1 << 10, 1 << 20, 1 << 30
	var v float64
	var unit string
	switch {
	case n >= gb:
		v, unit = float64(n)/gb, "GB"
	case n >= mb:
		v, unit = float64(n)/mb, "MB"
	case n >= kb:
		v, unit = float64(n)/kb, "KB"
	default:
		return strconv.FormatInt(n, 10) + " bytes"
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " " + unit
}

// plural picks the singular form when n is 1 or -1, the plural otherwise.
func plural(n int, singular, pluralForm string) string {
	if n == 1 || n == -1 {
		return singular
	}
	return pluralForm
}

// oneLine collapses every run of white space (CR and LF included) into one
// space and trims the ends, so a value taken from a customer's mail can go
// into a subject line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
