package console_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"turno/mailin/parse"
	"turno/tickets"
)

// hostileHTML is a customer's HTML part: a script, handlers, a tracking
// pixel, a cid: picture, a form and a link.
const hostileHTML = `<p onclick="steal()" style="color: #c00">Hola, <b>no me llega</b> el correo.</p>` +
	`<script>alert(1)</script><img src="https://tracker.example/pixel.gif?u=paula" width="1" height="1">` +
	`<img src="cid:logo@cliente.cl" alt="logo"><form action="https://evil.example/"><input name="pw"></form>` +
	`<a href="https://ejemplo.cl/ayuda" onmouseover="x()">ayuda</a><iframe src="https://evil.example/"></iframe>`

// htmlMail ingests a multipart/alternative mail (text and HTML) into dept.
func (e *env) htmlMail(dept, from, subject, htmlPart string) int64 {
	e.t.Helper()
	e.n++
	raw := fmt.Sprintf("Message-ID: <h%d-%d@cliente.cl>\r\nFrom: %s\r\nTo: %s@example.cl\r\nSubject: %s\r\n"+
		"Date: Tue, 01 Dec 2026 10:00:00 -0300\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"a1\"\r\n\r\n"+
		"--a1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHola, no me llega el correo.\r\n"+
		"--a1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n%s\r\n--a1--\r\n", e.n, time.Now().UnixNano(), from, dept, subject, htmlPart)
	m, err := parse.Parse(bytes.NewReader([]byte(raw)), &parse.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.d.Tickets.Ingest(context.Background(), tickets.Incoming{Msg: m, RawHash: parse.RawHash([]byte(raw)),
		RawRef: "r", Mailbox: dept, Department: dept})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Ticket
}

// The sanitised HTML view on a real daemon: the ticket page links it for
// the message with an HTML part only; asked for, the page frames it in
// an iframe with an empty sandbox (and allows framing 'self' only then);
// the view itself carries the sandbox CSP, may be framed by the console
// only, and has no script, no handler, no remote or cid: image, no form
// or iframe, while the text stays. Another department's agent gets 404,
// as does a message without HTML.
func TestConsoleHTMLView(t *testing.T) {
	e := newEnv(t)
	n := e.htmlMail("soporte", "Paula <paula@cliente.cl>", "Correo en HTML", hostileHTML)
	plain := e.mail("soporte", "Pedro <pedro@cliente.cl>", "Solo texto", "").Ticket
	if _, msgs := e.thread(n); len(msgs) != 1 || msgs[0].HTML == "" {
		t.Fatalf("the mail's HTML was not stored: %+v", msgs)
	}
	ana, beto := e.loggedIn("ana@proveedor.cl"), e.loggedIn("beto@proveedor.cl")
	page := fmt.Sprintf("/console/tickets/%d", n)
	view := fmt.Sprintf("/console/tickets/%d/html/0", n)

	resp, body := ana.get(page)
	if !strings.Contains(body, fmt.Sprintf(`href="%s?html=0#msg-0"`, page)) || strings.Contains(body, "<iframe") {
		t.Fatalf("the ticket page's HTML link:\n%s", body)
	}
	if strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-src") {
		t.Fatal("a page without the view allows frames")
	}
	if _, body := ana.get(fmt.Sprintf("/console/tickets/%d", plain)); strings.Contains(body, "?html=") {
		t.Fatal("a message without HTML is offered as HTML")
	}
	resp, body = ana.get(page + "?html=0")
	if !strings.Contains(body, fmt.Sprintf(`<iframe class="html-view" id="html-view" src="%s" sandbox title=`, view)) {
		t.Fatalf("no sandboxed iframe:\n%s", body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("the framing page's CSP: %q", csp)
	}

	resp, body = ana.get(view)
	h := resp.Header
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("the view: %d %q", resp.StatusCode, h.Get("Content-Type"))
	}
	csp := h.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "img-src data:", "style-src 'unsafe-inline'", "; sandbox;", "frame-ancestors 'self'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("the view's CSP %q lacks %q", csp, d)
		}
	}
	if strings.Contains(csp, "allow-scripts") || h.Get("X-Frame-Options") == "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("the view's headers: %v", h)
	}
	low := strings.ToLower(body)
	for _, bad := range []string{"<script", "alert(1)", "onclick", "onmouseover", "tracker.example", "cid:", "<form", "<input", "<iframe", "evil.example"} {
		if strings.Contains(low, bad) {
			t.Errorf("the view keeps %q:\n%s", bad, body)
		}
	}
	for _, good := range []string{"<b>no me llega</b>", `href="https://ejemplo.cl/ayuda"`, `rel="nofollow noreferrer`, "<title>Correo en HTML</title>"} {
		if !strings.Contains(body, good) {
			t.Errorf("the view lost %q:\n%s", good, body)
		}
	}

	for _, c := range []struct {
		who  *client
		path string
	}{
		{beto, view},
		{beto, page + "?html=0"},
		{ana, fmt.Sprintf("/console/tickets/%d/html/0", plain)},
		{ana, fmt.Sprintf("/console/tickets/%d/html/1", n)},
		{ana, fmt.Sprintf("/console/tickets/%d/html/x", n)},
	} {
		if resp, body := c.who.get(c.path); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "no me llega") {
			t.Errorf("%s: %d", c.path, resp.StatusCode)
		}
	}
	if resp, _ := e.client().get(view); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the view without a session: %d", resp.StatusCode)
	}
}
