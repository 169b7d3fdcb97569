package parse

import (
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// sanitizer is built once; a bluemonday Policy is safe for concurrent use
// once built, so this holds no mutable state.
var sanitizer = sync.OnceValue(func() *bluemonday.Policy {
	return bluemonday.UGCPolicy()
})

// sanitizeHTML returns a copy of an HTML body safe to show to agents.
func sanitizeHTML(s string) string {
	return sanitizer().Sanitize(s)
}

// outlookBorder matches the style of the div Outlook puts around the
// header block of the message being replied to.
var outlookBorder = regexp.MustCompile(`(?i)border-top:\s*solid\s+#(e1e1e1|b5c4df)`)

// isQuoteStart reports whether n starts quoted history in HTML.
func isQuoteStart(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	var class, id, typ, style string
	for _, a := range n.Attr {
		switch strings.ToLower(a.Key) {
		case "class":
			class = a.Val
		case "id":
			id = a.Val
		case "type":
			typ = a.Val
		case "style":
			style = a.Val
		}
	}
	for _, c := range strings.Fields(class) {
		switch c {
		case "gmail_quote", "gmail_quote_container", "moz-cite-prefix", "yahoo_quoted", "OutlookMessageHeader":
			return true
		}
	}
	switch {
	case id == "divRplyFwdMsg" || id == "appendonsend" || strings.HasPrefix(id, "yahoo_quoted"):
		return true
	case n.DataAtom == atom.Blockquote && strings.EqualFold(typ, "cite"):
		return true
	case n.DataAtom == atom.Div && outlookBorder.MatchString(style):
		return true
	}
	return false
}

// hrMark stands for an <hr> in rendered text; quoteSplitHTML decides
// whether it starts quoted history (when a From:/De: line follows).
const hrMark = "\x00hr\x00"

// htmlToText renders HTML as plain text and splits off the quoted
// history, which it recognises on the HTML structure (Gmail, Outlook,
// Apple Mail and Thunderbird markers) before the text is flattened.
func htmlToText(s string) (text, quoted string) {
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return "", ""
	}
	r := &renderer{}
	r.render(doc)
	main, q := r.out[0].String(), r.out[1].String()
	// An <hr> followed by an Outlook header line starts the history too.
	lines := strings.Split(main, "\n")
	split := -1
	for i := 0; i < len(lines) && split < 0; i++ {
		if strings.TrimSpace(lines[i]) != hrMark {
			continue
		}
		for _, next := range lines[i+1:] {
			next = strings.TrimSpace(next)
			if next == "" || next == hrMark {
				continue
			}
			if headerLine.MatchString(next) {
				split = i
			}
			break
		}
	}
	if split >= 0 {
		q = strings.Join(lines[split:], "\n") + "\n" + q
		main = strings.Join(lines[:split], "\n")
	}
	main = strings.ReplaceAll(main, hrMark, "")
	q = strings.ReplaceAll(q, hrMark, "")
	return tidyText(main), tidyText(q)
}

type renderer struct {
	out       [2]strings.Builder // 0: text, 1: quoted history
	cur       int
	lineStart bool
	space     bool
	pre       int
}

func (r *renderer) write(s string) {
	b := &r.out[r.cur]
	if r.space && !r.lineStart {
		b.WriteByte(' ')
	}
	r.space = false
	b.WriteString(s)
	r.lineStart = false
}

func (r *renderer) newline() {
	if !r.lineStart && r.out[r.cur].Len() > 0 {
		r.out[r.cur].WriteByte('\n')
	}
	r.lineStart, r.space = true, false
}

func (r *renderer) br() {
	r.out[r.cur].WriteByte('\n')
	r.lineStart, r.space = true, false
}

func (r *renderer) text(s string) {
	if r.pre > 0 {
		r.write(s)
		r.lineStart = strings.HasSuffix(s, "\n")
		return
	}
	for i, f := range strings.FieldsFunc(s, isHTMLSpace) {
		if i > 0 || (len(s) > 0 && isHTMLSpace(rune(s[0]))) {
			r.space = true
		}
		r.write(f)
	}
	if len(s) > 0 && isHTMLSpace(rune(s[len(s)-1])) {
		r.space = true
	}
}

func isHTMLSpace(c rune) bool {
	// U+00A0 is not collapsed: Outlook's <p>&nbsp;</p> is a blank line.
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func (r *renderer) render(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		r.text(n.Data)
		return
	case html.CommentNode, html.DoctypeNode:
		return
	case html.ElementNode:
		switch n.DataAtom {
		case atom.Script, atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template, atom.Object, atom.Iframe:
			return
		}
		if r.cur == 0 && isQuoteStart(n) {
			r.newline()
			r.cur = 1
			r.lineStart, r.space = true, false
		}
	}
	block := false
	if n.Type == html.ElementNode {
		switch n.DataAtom {
		case atom.Br:
			r.br()
			return
		case atom.Hr:
			r.newline()
			r.write(hrMark)
			r.newline()
			return
		case atom.Li:
			r.newline()
			r.write("- ")
			r.space = false
			r.lineStart = true // no extra space after the dash
			block = true
		case atom.P, atom.Div, atom.Tr, atom.Ul, atom.Ol, atom.Table, atom.Blockquote,
			atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Pre, atom.Section,
			atom.Article, atom.Header, atom.Footer, atom.Address, atom.Dl, atom.Dt, atom.Dd,
			atom.Center, atom.Form, atom.Fieldset, atom.Caption:
			r.newline()
			block = true
		case atom.Td, atom.Th:
			r.space = true
		}
		if n.DataAtom == atom.Pre {
			r.pre++
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		r.render(c)
	}
	if n.Type == html.ElementNode && n.DataAtom == atom.Pre {
		r.pre--
	}
	if block {
		r.newline()
	}
}

// tidyText trims line ends and keeps at most one blank line in a row.
func tidyText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\u00a0", " "), "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\u00a0")
		if strings.TrimSpace(l) == "" {
			blank++
			if blank > 1 {
				continue
			}
			l = ""
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.Trim(strings.Join(out, "\n"), "\n")
}
