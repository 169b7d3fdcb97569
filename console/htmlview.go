package console

import (
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"sync"

	"github.com/microcosm-cc/bluemonday"

	"turno/tickets"
)

// The HTML of a customer's mail, on demand: the ticket page's link
// (?html=m) shows message m's HTML part in an iframe with an empty
// sandbox attribute (no scripts, no forms, no popups, an opaque origin),
// loaded from GET /console/tickets/{n}/html/{m}. That response is the
// stored HTML (sanitised once at intake) sanitised again here by
// htmlPolicy, which also drops every image that is not a data: URL (no
// remote fetch, no tracking pixel; cid: parts are dropped too), served
// with its own CSP: nothing may load but data: images and inline styles,
// the document is sandboxed again by the CSP itself, and only a console
// page may frame it.

// htmlViewCSP is the sanitised view's policy (frame-ancestors 'self':
// only this route may be framed, by the console's own pages).
const htmlViewCSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

// dataImage is the only img src kept: an inline picture.
var dataImage = regexp.MustCompile(`^\s*data:image/(png|gif|jpeg|webp);base64,`)

// htmlPolicy is bluemonday's user-content policy (UGCPolicy) without
// its any-URL images: an img keeps its src only as a data: picture. Plus
// a few harmless inline styles (the CSP blocks any fetch a style could
// make), and links that open apart without a referrer (the empty sandbox
// blocks them: the address can still be copied). Built once; a Policy is
// safe for concurrent use.
var htmlPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardAttributes()
	p.AllowStandardURLs()
	p.AllowElements("article", "aside", "figure", "section", "summary", "details", "h1", "h2", "h3", "h4", "h5", "h6",
		"hgroup", "blockquote", "br", "div", "hr", "p", "span", "wbr", "abbr", "acronym", "cite", "code", "dfn", "em",
		"figcaption", "mark", "s", "samp", "strong", "sub", "sup", "var", "b", "i", "pre", "small", "strike", "tt", "u",
		"center", "font")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("datetime").Matching(bluemonday.ISO8601).OnElements("time", "del", "ins")
	p.AllowAttrs("dir").Matching(bluemonday.Direction).OnElements("bdi", "bdo")
	p.AllowLists()
	p.AllowTables()
	p.AllowAttrs("align").Matching(bluemonday.ImageAlign).OnElements("img")
	p.AllowAttrs("alt").Matching(bluemonday.Paragraph).OnElements("img")
	p.AllowAttrs("height", "width").Matching(bluemonday.NumberOrPercent).OnElements("img", "table", "td", "th")
	p.AllowAttrs("src").Matching(dataImage).OnElements("img")
	p.AllowDataURIImages()
	p.AllowStyles("color", "background-color", "text-align", "font-weight", "font-style",
		"text-decoration", "font-size").Globally()
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
})

// sanitizeMailHTML is a customer's HTML made safe to show in the view.
func sanitizeMailHTML(s string) string { return htmlPolicy().Sanitize(s) }

// htmlDoc wraps the sanitised body; the template escapes the title.
var htmlDoc = template.Must(template.New("html").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family: sans-serif; margin: 0.75rem; overflow-wrap: anywhere">{{.Body}}</body></html>
`))

// htmlView serves message m's HTML of ticket n, sanitised, for the
// ticket page's iframe. The ticket is read with the agent as the actor:
// another department's is a 404, as is a message without HTML.
func (c *Console) htmlView(w http.ResponseWriter, r *http.Request) {
	n, ok := ticketNumber(r)
	mi, err := strconv.Atoi(r.PathValue("m"))
	if !ok || err != nil || mi < 0 {
		c.Site.Error(w, r, http.StatusNotFound)
		return
	}
	th, ok := c.threadOr404(w, r, n, "message HTML")
	if !ok {
		return
	}
	if mi >= len(th.Messages) || !hasHTML(th.Messages[mi]) {
		c.Site.Error(w, r, http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", htmlViewCSP)
	h.Del("X-Frame-Options") // frame-ancestors 'self' says who may frame it
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	c.log.Info("console: message HTML", "agent", agentOf(r).Email, "ticket", n, "message", mi)
	_ = htmlDoc.Execute(w, map[string]any{"Lang": langOf(r), "Title": th.Ticket.Subject,
		"Body": template.HTML(sanitizeMailHTML(th.Messages[mi].HTML))}) // #nosec: sanitised just above
}

// hasHTML: a customer's message that came with an HTML part.
func hasHTML(m tickets.Message) bool { return m.Direction == tickets.DirIn && m.HTML != "" }
