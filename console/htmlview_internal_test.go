package console

import (
	"strings"
	"testing"
)

// The view's sanitiser on HTML that never went through the intake's:
// scripts, handlers, javascript: links, remote and cid: images, CSS that
// fetches, embedded frames and forms go; text, inline data: images and
// plain styles stay.
func TestSanitizeMailHTML(t *testing.T) {
	for _, c := range []struct{ in, gone, kept string }{
		{`<p>Hola<script>alert(1)</script></p>`, "<script", "<p>Hola</p>"},
		{`<img src=x onerror=alert(1)>`, "onerror", ""},
		{`<a href="javascript:alert(1)">x</a>`, "javascript:", "x"},
		{`<img src="https://tracker.example/p.gif">`, "tracker.example", ""},
		{`<img src="//tracker.example/p.gif">`, "tracker.example", ""},
		{`<img src="cid:logo@x" alt="logo">`, "cid:", `alt="logo"`},
		{`<div style="background: url(https://x.example/a.png)">t</div>`, "x.example", "t"},
		{`<span style="color: #c00">rojo</span>`, "<script", `style="color: #c00"`},
		{`<iframe src="https://evil.example/"></iframe><object data="a.swf"></object>`, "evil.example", ""},
		{`<form action="https://evil.example/"><input name="pw"></form>`, "<input", ""},
		{`<img src="data:image/png;base64,iVBORw0KGgo=" alt="firma">`, "<script", `src="data:image/png;base64,iVBORw0KGgo="`},
		{`<img src="data:text/html;base64,PHNjcmlwdD4=">`, "data:text/html", ""},
		{`<a href="https://ejemplo.cl/">ayuda</a>`, "<script", `target="_blank"`},
	} {
		got := sanitizeMailHTML(c.in)
		if strings.Contains(strings.ToLower(got), c.gone) || !strings.Contains(got, c.kept) {
			t.Errorf("sanitize(%s) = %s; want without %q, with %q", c.in, got, c.gone, c.kept)
		}
	}
}
