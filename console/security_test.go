package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"turno/console"
	"turno/tickets"
	"turno/web"
)

// TestConsoleSecurity walks the console's doors with a plain HTTP client
// on a real daemon: no session, CSRF, another department's ticket, a
// hostile subject, cookie flags, and sessions that outlive their agent.
func TestConsoleSecurity(t *testing.T) {
	e := newEnv(t)
	own := e.mail("soporte", "Paula <paula@cliente.cl>", "No llega el correo", "").Ticket
	other := e.mail("ventas", "Pedro <pedro@cliente.cl>", "Cotización de ventas", "").Ticket
	hostile := e.mail("soporte", "Mallory <m@cliente.cl>", "<script>alert(1)</script>", "").Ticket

	t.Run("no session: pages go to login, actions answer 401", func(t *testing.T) {
		anon := e.client()
		for _, p := range []string{"/console/queue", fmt.Sprintf("/console/tickets/%d", own), "/console/"} {
			resp, _ := anon.get(p)
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/") {
				t.Fatalf("GET %s: %d → %q", p, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		if resp, _ := anon.get("/console/queue"); !strings.HasPrefix(resp.Header.Get("Location"), "/console/login?next=") {
			t.Fatalf("queue → %q", resp.Header.Get("Location"))
		}
		if resp, _ := anon.get("/console/queue/marker"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("marker without session: %d", resp.StatusCode)
		}
		// A valid pre-login token is not a session.
		f := anon.fields("/console/login")
		_, before := e.thread(own)
		for _, a := range []string{"reply", "note", "assign", "status", "priority"} {
			resp, _ := anon.post(fmt.Sprintf("/console/tickets/%d/%s", own, a),
				with(f, "text", "hola", "note", "hola", "assignee", "me", "status", "solved", "priority", "high", "key", "k1", "answers", "x"))
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%s without session: %d", a, resp.StatusCode)
			}
		}
		tk, after := e.thread(own)
		if len(after) != len(before) || tk.Status != tickets.StatusNew || tk.Assignee != "" || tk.ManualLabel != "" {
			t.Fatalf("an action without session changed the ticket: %+v", tk)
		}
	})

	t.Run("login: generic failure, cookie flags, separate cookie", func(t *testing.T) {
		b := e.client()
		f := b.fields("/console/login")
		var first string
		for _, c := range [][2]string{{"ana@proveedor.cl", "wrong password here"}, {"nadie@proveedor.cl", pw}} {
			resp, body := b.post("/console/login", url.Values{"csrf": {f.Get("csrf")}, "email": {c[0]}, "password": {c[1]}})
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="login-error"`) {
				t.Fatalf("login %s: %d", c[0], resp.StatusCode)
			}
			if first == "" {
				first = strings.Replace(body, c[0], "", 1)
			} else if strings.Replace(body, c[0], "", 1) != first {
				t.Fatal("an unknown address answers differently from a wrong password")
			}
		}
		resp := b.login("ana@proveedor.cl", pw)
		var sess *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == console.CookieName {
				sess = c
			}
		}
		if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Secure || len(sess.Value) < 40 {
			t.Fatalf("session cookie over plain HTTP: %+v", sess)
		}
		// After login, back to the page asked for, but never elsewhere.
		for next, want := range map[string]string{
			fmt.Sprintf("/console/tickets/%d", own): fmt.Sprintf("/console/tickets/%d", own),
			"//evil.example/console/":               "/console/queue",
			"https://evil.example/":                 "/console/queue",
			"/console/../portal/":                   "/console/queue",
		} {
			nb := e.client()
			f := nb.fields("/console/login")
			r, _ := nb.post("/console/login", url.Values{"csrf": {f.Get("csrf")}, "email": {"ana@proveedor.cl"}, "password": {pw}, "next": {next}})
			if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
				t.Fatalf("next %q: %d → %q, want %q", next, r.StatusCode, r.Header.Get("Location"), want)
			}
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Fatalf("CSP %q", csp)
		}
		// The console's session is no portal session, and the reverse.
		u, _ := url.Parse(e.base)
		p := e.client()
		p.c.Jar.SetCookies(u, []*http.Cookie{{Name: "turno_portal", Value: sess.Value, Path: "/"}})
		if resp, _ := p.get("/console/queue"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("a console session id under the portal's cookie name opens the console: %d", resp.StatusCode)
		}
	})

	ana := e.loggedIn("ana@proveedor.cl")

	t.Run("queue shows the agent's departments in Turno's order, text escaped", func(t *testing.T) {
		resp, body := ana.get("/console/queue")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("queue: %d", resp.StatusCode)
		}
		if !strings.Contains(body, "No llega el correo") || strings.Contains(body, "Cotización de ventas") {
			t.Fatal("the queue does not show exactly ana's department")
		}
		if strings.Contains(body, "<script>alert(1)</script>") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Fatal("the hostile subject is not shown as text in the queue")
		}
		if strings.Contains(body, "<script>") && !strings.Contains(body, `<script src="/console/static/console.js" defer></script>`) {
			t.Fatal("an inline script on the queue page")
		}
		if resp, _ := ana.get("/console/queue?view=mine"); resp.StatusCode != http.StatusOK {
			t.Fatalf("mine: %d", resp.StatusCode)
		}
		if resp, body := ana.get("/console/queue?status=bogus"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) {
			t.Fatalf("a bad filter: %d", resp.StatusCode)
		}
	})

	t.Run("the queue's change marker follows new mail", func(t *testing.T) {
		marker := func() string {
			resp, body := ana.get("/console/queue/marker")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("marker: %d %s", resp.StatusCode, body)
			}
			return body
		}
		before := marker()
		if again := marker(); again != before {
			t.Fatalf("the marker changed by itself: %s → %s", before, again)
		}
		_, page := ana.get("/console/queue")
		if !strings.Contains(page, strings.TrimSpace(strings.Split(before, `"`)[3])) {
			t.Fatal("the page does not carry the marker it would poll")
		}
		n := e.mail("soporte", "Rosa <rosa@cliente.cl>", "Cambio de plan", "").Ticket
		if after := marker(); after == before {
			t.Fatal("the marker did not change with a new ticket")
		}
		vmarker, _ := ana.get("/console/queue/marker?dept=ventas")
		if vmarker.StatusCode != http.StatusOK {
			t.Fatalf("marker of another department: %d", vmarker.StatusCode)
		}
		_, q := ana.get("/console/queue?dept=ventas")
		if strings.Contains(q, "Cotización de ventas") {
			t.Fatal("filtering by another department shows its tickets")
		}
		if _, q := ana.get("/console/queue"); !strings.Contains(q, fmt.Sprintf(`data-number="%d"`, n)) {
			t.Fatal("the new ticket is not in the queue")
		}
	})

	t.Run("hostile subject and body are text on the ticket page", func(t *testing.T) {
		_, body := ana.get(fmt.Sprintf("/console/tickets/%d", hostile))
		if strings.Contains(body, "<script>alert(1)</script>") || strings.Contains(body, "<b>esto</b>") {
			t.Fatal("customer text reached the page unescaped")
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body, "&lt;b&gt;esto&lt;/b&gt;") {
			t.Fatalf("customer text not shown as text:\n%s", body)
		}
	})

	t.Run("another department's ticket is a 404, and nothing changes", func(t *testing.T) {
		if resp, _ := ana.get(fmt.Sprintf("/console/tickets/%d", other)); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("ventas ticket for ana: %d", resp.StatusCode)
		}
		f := ana.fields(fmt.Sprintf("/console/tickets/%d", own))
		_, before := e.thread(other)
		for _, a := range []string{"reply", "note", "assign", "status", "priority"} {
			resp, _ := ana.post(fmt.Sprintf("/console/tickets/%d/%s", other, a),
				with(f, "text", "hola", "note", "hola", "assignee", "me", "status", "solved", "priority", "high"))
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("%s on ventas' ticket: %d", a, resp.StatusCode)
			}
		}
		tk, after := e.thread(other)
		if len(after) != len(before) || tk.Status != tickets.StatusNew || tk.Assignee != "" || tk.ManualLabel != "" {
			t.Fatalf("ventas' ticket changed: %+v", tk)
		}
		for _, p := range []string{"/console/tickets/999999", "/console/tickets/abc", "/console/tickets/-1"} {
			if resp, _ := ana.get(p); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("%s: %d", p, resp.StatusCode)
			}
		}
	})

	t.Run("a form without the CSRF token is refused and changes nothing", func(t *testing.T) {
		page := fmt.Sprintf("/console/tickets/%d", own)
		f := ana.fields(page)
		_, before := e.thread(own)
		for _, csrf := range []string{"", "wrong-token-wrong-token-wrong-token-wrong-tok"} {
			for _, a := range []string{"reply", "note", "assign", "status", "priority"} {
				resp, _ := ana.post(page+"/"+a, with(f, "csrf", csrf, "text", "hola", "note", "hola", "assignee", "me", "status", "solved", "priority", "high"))
				if resp.StatusCode != http.StatusForbidden {
					t.Fatalf("%s with csrf %q: %d", a, csrf, resp.StatusCode)
				}
			}
		}
		resp, _ := ana.post("/console/logout", url.Values{})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("logout without token: %d", resp.StatusCode)
		}
		tk, after := e.thread(own)
		if len(after) != len(before) || tk.Status != tickets.StatusNew || tk.Assignee != "" || tk.ManualLabel != "" {
			t.Fatalf("a refused form changed the ticket: %+v", tk)
		}
		if resp, _ := ana.get("/console/queue"); resp.StatusCode != http.StatusOK {
			t.Fatalf("the session did not survive: %d", resp.StatusCode)
		}
	})

	t.Run("reply, note, assign, status, priority; the collision refusal", func(t *testing.T) {
		page := fmt.Sprintf("/console/tickets/%d", own)
		carla := e.loggedIn("carla@proveedor.cl")
		fa := ana.fields(page) // ana opens the ticket
		fc := carla.fields(page)
		resp, _ := carla.post(page+"/reply", with(fc, "text", "Hola Paula, lo revisamos.", "status", "pending"))
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), page+"?done=reply") {
			t.Fatalf("carla's reply: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		// Ana answers what she read, which is no longer the newest.
		resp, body := ana.post(page+"/reply", with(fa, "text", "Hola Paula, ¿qué error ve?"))
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Carla Díaz respondió hace un momento: léalo primero") {
			t.Fatalf("collision: %d\n%s", resp.StatusCode, body)
		}
		if !strings.Contains(body, "Hola Paula, ¿qué error ve?") || !strings.Contains(body, `name="force"`) {
			t.Fatal("the refused reply's draft is not kept, or no way to send anyway")
		}
		_, msgs := e.thread(own)
		for _, m := range msgs {
			if m.Direction == tickets.DirReply && strings.Contains(m.Text, "qué error") && m.State == tickets.StateSent {
				t.Fatal("the refused reply was sent")
			}
		}
		// Read, then answer: the page now names carla's reply.
		fa = ana.fields(page)
		if resp, _ := ana.post(page+"/reply", with(fa, "text", "Hola Paula, ¿qué error ve?", "status", "open")); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("ana's reply after reading: %d", resp.StatusCode)
		}
		// The same form twice (a double click) sends once.
		if resp, _ := ana.post(page+"/reply", with(fa, "text", "Hola Paula, ¿qué error ve?", "status", "open")); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the same reply again: %d", resp.StatusCode)
		}
		for _, c := range []url.Values{
			with(fa, "note", "Paula usa Outlook 2016"),
		} {
			if resp, _ := ana.post(page+"/note", c); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("note: %d", resp.StatusCode)
			}
		}
		for a, v := range map[string][]string{"assign": {"assignee", "me"}, "status": {"status", "pending"}, "priority": {"priority", "high"}} {
			if resp, _ := ana.post(page+"/"+a, with(fa, v...)); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: %d", a, resp.StatusCode)
			}
		}
		// Bad input: the reason shown, nothing changed.
		if resp, body := ana.post(page+"/status", with(fa, "status", "bogus")); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Elija un estado válido") {
			t.Fatalf("bad status: %d", resp.StatusCode)
		}
		if resp, _ := ana.post(page+"/assign", with(fa, "assignee", "beto@proveedor.cl")); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("assign to another department's agent: %d", resp.StatusCode)
		}
		tk, msgs := e.thread(own)
		var replies, notes int
		for _, m := range msgs {
			switch m.Direction {
			case tickets.DirReply:
				if m.State == tickets.StateSent {
					replies++
				}
			case tickets.DirNote:
				notes++
			}
		}
		if replies != 2 || notes != 1 || tk.Assignee != "ana@proveedor.cl" || tk.Status != tickets.StatusPending || tk.Label != tickets.LabelHigh {
			t.Fatalf("after the forms: %d replies, %d notes, %+v", replies, notes, tk)
		}
		_, body = ana.get(page)
		if !strings.Contains(body, "entry-note") || !strings.Contains(body, "Paula usa Outlook 2016") || !strings.Contains(body, "asignó el ticket a Ana Rojas") {
			t.Fatal("the page does not show the note and the events")
		}
		if got := e.smtp.WaitFor(2, 30*time.Second); len(got) < 2 {
			t.Fatalf("the customer got %d replies by mail", len(got))
		}
	})

	t.Run("a changed password or a deactivated agent ends the session", func(t *testing.T) {
		beto := e.loggedIn("beto@proveedor.cl")
		time.Sleep(5 * time.Millisecond) // set_at after the session's start
		if _, err := e.d.Agents.SetPassword(t.Context(), "beto@proveedor.cl", "otra frase bastante larga"); err != nil {
			t.Fatal(err)
		}
		if resp, _ := beto.get("/console/queue"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("session after a password change: %d", resp.StatusCode)
		}
		carla := e.loggedIn("carla@proveedor.cl")
		if err := e.d.Agents.Deactivate(t.Context(), "carla@proveedor.cl"); err != nil {
			t.Fatal(err)
		}
		if resp, _ := carla.get("/console/queue"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("session of a deactivated agent: %d", resp.StatusCode)
		}
		if resp := e.client().login("carla@proveedor.cl", pw); resp.StatusCode != http.StatusOK {
			t.Fatalf("a deactivated agent logs in: %d", resp.StatusCode)
		}
	})

	t.Run("twenty wrong passwords lock the address, whatever the password", func(t *testing.T) {
		e.agent("dana@proveedor.cl", "Dana", "soporte")
		b := e.client()
		f := b.fields("/console/login")
		try := func(password string) (int, string) {
			resp, body := b.post("/console/login", url.Values{"csrf": {f.Get("csrf")}, "email": {"dana@proveedor.cl"}, "password": {password}})
			return resp.StatusCode, body
		}
		for i := range web.Lockout {
			if code, body := try(fmt.Sprintf("wrong password %02d", i)); code != http.StatusOK || !strings.Contains(body, `id="login-error"`) {
				t.Fatalf("attempt %d: %d", i+1, code)
			}
		}
		if code, body := try(pw); code != http.StatusOK || !strings.Contains(body, `id="login-error"`) {
			t.Fatalf("the right password while locked: %d", code)
		}
		// Another agent's login is not affected.
		if resp := e.client().login("ana@proveedor.cl", pw); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("ana locked out by dana's failures: %d", resp.StatusCode)
		}
	})

	t.Run("logout", func(t *testing.T) {
		f := ana.fields("/console/queue")
		if resp, _ := ana.post("/console/logout", url.Values{"csrf": {f.Get("csrf")}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d", resp.StatusCode)
		}
		if resp, _ := ana.get("/console/queue"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("after logout: %d", resp.StatusCode)
		}
	})
}
