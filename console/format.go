package console

import (
	"fmt"
	"time"
)

// ago says how long ago t was, in lang: "hace 2 minutos" / "2 minutes ago".
func ago(lang string, now, t time.Time) string {
	d := now.Sub(t)
	if d < time.Minute {
		if lang == "en" {
			return "just now"
		}
		return "hace un momento"
	}
	n, unit := span(d)
	if lang == "en" {
		return fmt.Sprintf("%d %s ago", n, plural(n, unitsEN[unit]))
	}
	return fmt.Sprintf("hace %d %s", n, plural(n, unitsES[unit]))
}

// in says how long until t: "en 3 horas" / "in 3 hours".
func in(lang string, now, t time.Time) string {
	d := t.Sub(now)
	if d < time.Minute {
		d = time.Minute
	}
	n, unit := span(d)
	if lang == "en" {
		return fmt.Sprintf("in %d %s", n, plural(n, unitsEN[unit]))
	}
	return fmt.Sprintf("en %d %s", n, plural(n, unitsES[unit]))
}

// short is a compact age for the queue: "5 min", "3 h", "2 d".
func short(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "<1 min"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d d", int(d/(24*time.Hour)))
	}
}

var (
	unitsES = [][2]string{{"minuto", "minutos"}, {"hora", "horas"}, {"día", "días"}}
	unitsEN = [][2]string{{"minute", "minutes"}, {"hour", "hours"}, {"day", "days"}}
)

func span(d time.Duration) (int, int) {
	switch {
	case d < time.Hour:
		return int(d / time.Minute), 0
	case d < 48*time.Hour:
		return int(d / time.Hour), 1
	default:
		return int(d / (24 * time.Hour)), 2
	}
}

func plural(n int, forms [2]string) string {
	if n == 1 {
		return forms[0]
	}
	return forms[1]
}
