package templates

import (
	htmltemplate "html/template"
	"strings"
	"time"
)

// textFuncs are the helpers every template of one language may call.
// Subjects and plain-text bodies get exactly these; HTML bodies get these
// plus htmlOnlyFuncs.
//
//	money INT64          "$45.990", "-$1.000", "$0" (Chilean pesos)
//	date TIME            "16 de noviembre de 2026" / "November 16, 2026":
//	                     the calendar date in the Set's zone, zone not shown
//	datetime TIME        date plus "a las 18:30 (hora de Santiago)" /
//	                     "at 6:30 PM (Santiago time)", in the Set's zone
//	size INT64           "10 MB", "1,5 MB" / "1.5 MB"
//	neg INT64            -INT64, to show a credit as a positive amount
//	plural INT ONE MANY  ONE when INT is 1, else MANY
//	oneline STRING       white space (line breaks too) collapsed to single spaces
//	company              the Company given to Load: {{company.Name}}
//
// A zero time is shown as it is (no conversion), so that zero-value data
// render as before; the default templates test IsZero where it can occur.
func textFuncs(lang string, c Company, loc *time.Location) map[string]any {
	local := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.In(loc)
	}
	return map[string]any{
		"money": formatMoney,
		"date":  func(t time.Time) string { return formatDate(lang, local(t)) },
		"datetime": func(t time.Time) string {
			t = local(t)
			return formatDateTime(lang, t, zoneLabel(lang, loc, t))
		},
		"size":    func(n int64) string { return formatSize(lang, n) },
		"neg":     func(n int64) int64 { return -n },
		"plural":  plural,
		"oneline": oneLine,
		"company": func() Company { return c },
	}
}

// htmlFuncs adds, for HTML bodies only:
//
//	paragraphs STRING    plain text as escaped HTML: blank lines start a
//	                     new <p>, single line breaks become <br>
func htmlFuncs(lang string, c Company, loc *time.Location) htmltemplate.FuncMap {
	m := textFuncs(lang, c, loc)
	m["paragraphs"] = paragraphs
	return m
}

// paragraphs renders plain text (an agent's reply) as HTML paragraphs.
// Everything in it is escaped; only the <p> and <br> are markup.
func paragraphs(s string) htmltemplate.HTML {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, para := range strings.Split(s, "\n\n") {
		para = strings.Trim(para, "\n")
		if strings.TrimSpace(para) == "" {
			continue
		}
		lines := strings.Split(para, "\n")
		for i, l := range lines {
			lines[i] = htmltemplate.HTMLEscapeString(l)
		}
		b.WriteString("<p>" + strings.Join(lines, "<br>\n") + "</p>\n")
	}
	return htmltemplate.HTML(b.String())
}
