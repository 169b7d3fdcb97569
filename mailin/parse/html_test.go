package parse

import (
	"strings"
	"testing"
)

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name, in, text, quoted string
	}{
		{"script and style dropped",
			`<style>p{x:y}</style><script>alert(1)</script><p>Hola</p>`, "Hola", ""},
		{"entities",
			`<p>a &amp; b &lt;c&gt; &eacute; &euro;&nbsp;5 &#8220;q&#8221;</p>`, "a & b <c> é € 5 “q”", ""},
		{"paragraphs br div on own lines",
			`<p>uno</p><p>dos</p><div>tres<br>cuatro</div>cinco`, "uno\ndos\ntres\ncuatro\ncinco", ""},
		{"list items",
			`<ul><li>a</li><li> b <b>c</b></li></ul>`, "- a\n- b c", ""},
		{"whitespace collapsed",
			"<p>  a \n\t  b   </p>", "a b", ""},
		{"at most one blank line",
			`a<br><br><br><br>b<p>&nbsp;</p><p>&nbsp;</p>c`, "a\n\nb\n\nc", ""},
		{"gmail quote",
			`<div>Listo</div><div class="gmail_quote"><div class="gmail_attr">El lun, Ana escribió:</div><blockquote>viejo</blockquote></div>`,
			"Listo", "El lun, Ana escribió:\nviejo"},
		{"apple cite",
			`<div>Ok</div><blockquote type="cite">old</blockquote>`, "Ok", "old"},
		{"outlook border div",
			`<p>Gracias</p><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p><b>De:</b> x</p></div><p>viejo</p>`,
			"Gracias", "De: x\nviejo"},
		{"divRplyFwdMsg",
			`<div>Ok</div><hr><div id="divRplyFwdMsg"><b>From:</b> x</div><div>old</div>`, "Ok", "From: x\nold"},
		{"hr then From",
			`<p>Ok</p><hr><p><b>From:</b> x<br><b>Sent:</b> y</p>`, "Ok", "From: x\nSent: y"},
		{"hr alone is a blank line",
			`<p>a</p><hr><p>b</p>`, "a\n\nb", ""},
		{"pre keeps layout",
			`<pre>a  b
c</pre>`, "a  b\nc", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, quoted := htmlToText(tt.in)
			if text != tt.text || quoted != tt.quoted {
				t.Errorf("htmlToText:\n text %q\nquoted %q\nwant text %q\nquoted %q", text, quoted, tt.text, tt.quoted)
			}
		})
	}
}

func TestSanitizeHTML(t *testing.T) {
	got := sanitizeHTML(`<p onclick="x()">Hi<script>evil()</script><a href="javascript:x">l</a><img src="cid:a"></p>`)
	for _, bad := range []string{"onclick", "script", "evil", "javascript:"} {
		if strings.Contains(got, bad) {
			t.Errorf("sanitised HTML still has %q: %s", bad, got)
		}
	}
	if !strings.Contains(got, "Hi") {
		t.Errorf("sanitised HTML lost text: %s", got)
	}
}
