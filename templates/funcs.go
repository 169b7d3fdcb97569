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
//	date TIME            "16 de noviembre de 2026" / "November 16, 2026"
//	datetime TIME        date plus "a las 18:30" / "at 6:30 PM"
//	size INT64           "10 MB", "1,5 MB" / "1.5 MB"
//	neg INT64            -INT64, to show a credit as a positive amount
//	plural INT ONE MANY  ONE when INT is 1, else MANY
//	oneline STRING       white space (line breaks too) collapsed to single spaces
//	company              the Company given to Load: {{company.Name}}
func textFuncs(lang string, c Company) map[string]any {
	return map[string]any{
		"money":    formatMoney,
		"date":     func(t time.Time) string { return formatDate(lang, t) },
		"datetime": func(t time.Time) string { return formatDateTime(lang, t) },
		"size":     func(n int64) string { return formatSize(lang, n) },
		"neg":      func(n int64) int64 { return -n },
		"plural":   plural,
		"oneline":  oneLine,
		"company":  func() Company { return c },
	}
}

// htmlFuncs adds, for HTML bodies only:
//
//	paragraphs STRING    plain text as escaped HTML: blank lines start a
//	                     new <p>, single line breaks become <br>
func htmlFuncs(lang string, c Company) htmltemplate.FuncMap {
	m := textFuncs(lang, c)
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
