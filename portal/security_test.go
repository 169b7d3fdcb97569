package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"turno/portal"
	"turno/web"
)

func TestLoginSeesOnlyOwnDataAndLogsOut(t *testing.T) {
	r := newRig(t)
	b := r.loggedIn("C-1", "Ferretería Uno", "uno@example.cl", "caballo correcto batería")
	r.addClient("C-2", "Otra Empresa SpA", "dos@example.cl")
	_, body := b.get("/portal/datos")
	if !strings.Contains(body, "Ferretería Uno") || !strings.Contains(body, "uno@example.cl") {
		t.Fatalf("Mis datos lacks the client:\n%s", body)
	}
	// Another client's data is not reachable by naming its id.
	for _, p := range []string{"/portal/datos?client=C-2", "/portal/datos?id=C-2", "/portal/datos/C-2", "/portal/clients/C-2"} {
		resp, body := b.get(p)
		if strings.Contains(body, "Otra Empresa") || strings.Contains(body, "dos@example.cl") {
			t.Fatalf("%s shows the other client", p)
		}
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
	resp, _ := b.post("/portal/logout", url.Values{"csrf": {b.csrf("/portal/datos")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/portal/datos"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout Mis datos answers %d", resp.StatusCode)
	}
}

func TestFormWithoutCSRFTokenIsRefusedAndChangesNothing(t *testing.T) {
	r := newRig(t)
	b := r.loggedIn("C-1", "Uno", "uno@example.cl", "caballo correcto batería")
	before := sessionCount(t, r.db)
	for _, form := range []url.Values{{}, {"csrf": {"wrong-token-wrong-token-wrong-token-wrong-tok"}}} {
		resp, _ := b.post("/portal/logout-all", form)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("logout-all with csrf %q: %d, want 403", form.Get("csrf"), resp.StatusCode)
		}
	}
	if resp, _ := b.get("/portal/datos"); resp.StatusCode != http.StatusOK {
		t.Fatalf("session ended by a refused form: %d", resp.StatusCode)
	}
	if after := sessionCount(t, r.db); after != before {
		t.Fatalf("sessions %d → %d", before, after)
	}
	// Login and forgot-password forms need the token too.
	anon := r.client()
	if resp, _ := anon.post("/portal/login", url.Values{"email": {"uno@example.cl"}, "password": {"caballo correcto batería"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login without token: %d", resp.StatusCode)
	}
	n := len(r.accessMails("uno@example.cl"))
	if resp, _ := anon.post("/portal/forgot", url.Values{"email": {"uno@example.cl"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forgot without token: %d", resp.StatusCode)
	}
	if got := len(r.accessMails("uno@example.cl")); got != n {
		t.Fatalf("a refused forgot-password form sent mail (%d → %d)", n, got)
	}
	if after := sessionCount(t, r.db); after != before {
		t.Fatalf("sessions %d → %d", before, after)
	}
}

func TestTwentyWrongPasswordsLockAndMailTheOwnerOnce(t *testing.T) {
	r := newRig(t)
	const pw = "caballo correcto batería"
	r.loggedIn("C-1", "Uno", "uno@example.cl", pw)
	mails := len(r.accessMails("uno@example.cl"))
	b := r.client()
	tok := b.csrf("/portal/login")
	var first string
	for i := range web.Lockout + 3 {
		resp, body := b.post("/portal/login", url.Values{"csrf": {tok}, "email": {"uno@example.cl"}, "password": {"wrong password " + string(rune('a'+i))}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="login-error"`) {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
		if i == 0 {
			first = body
		} else if body != first {
			t.Fatalf("attempt %d answers differently from the first", i+1)
		}
	}
	if got := len(r.accessMails("uno@example.cl")) - mails; got != 1 {
		t.Fatalf("owner got %d lockout mails, want exactly 1", got)
	}
	if all := r.accessMails("uno@example.cl"); all[len(all)-1].Template != "login_locked" || !all[len(all)-1].Sensitive {
		t.Fatalf("lockout mail: template %q sensitive %v", all[len(all)-1].Template, all[len(all)-1].Sensitive)
	}
	// Locked: the right password is refused with the same message.
	resp, body := b.post("/portal/login", url.Values{"csrf": {tok}, "email": {"uno@example.cl"}, "password": {pw}})
	if resp.StatusCode != http.StatusOK || body != first {
		t.Fatalf("right password while locked: %d", resp.StatusCode)
	}
	// The mailed link sets a new password and lifts the lock.
	b.setPassword("uno@example.cl", "otra frase bastante larga")
	if resp := b.login("uno@example.cl", "otra frase bastante larga"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login after reset: %d", resp.StatusCode)
	}
}

func TestForgotPasswordAnswersAlikeForUnknownAddress(t *testing.T) {
	r := newRig(t)
	r.addClient("C-1", "Uno", "uno@example.cl")
	b := r.client()
	tok := b.csrf("/portal/forgot")
	known, kbody := b.post("/portal/forgot", url.Values{"csrf": {tok}, "email": {"uno@example.cl"}})
	unknown, ubody := b.post("/portal/forgot", url.Values{"csrf": {tok}, "email": {"nadie@example.cl"}})
	if known.StatusCode != unknown.StatusCode || kbody != ubody {
		t.Fatalf("known %d / unknown %d answer differently:\n%s\n---\n%s", known.StatusCode, unknown.StatusCode, kbody, ubody)
	}
	for _, h := range []string{"Content-Type", "Content-Security-Policy", "Set-Cookie", "Location"} {
		if known.Header.Get(h) != unknown.Header.Get(h) {
			t.Fatalf("header %s differs: %q / %q", h, known.Header.Get(h), unknown.Header.Get(h))
		}
	}
	if n := len(r.accessMails("uno@example.cl")); n != 1 {
		t.Fatalf("known address got %d mails, want 1", n)
	}
	if n := len(r.accessMails("nadie@example.cl")); n != 0 {
		t.Fatalf("unknown address got %d mails", n)
	}
}

func TestSessionCookieFlagsAndSecurityHeaders(t *testing.T) {
	r := newRig(t)
	r.addClient("C-1", "Uno", "uno@example.cl")
	if _, err := r.reg.Password(t.Context(), "C-1", "test"); err != nil {
		t.Fatal(err)
	}
	b := r.client()
	b.setPassword("uno@example.cl", "caballo correcto batería")
	resp := b.login("uno@example.cl", "caballo correcto batería")
	var sess *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == portal.CookieName {
			sess = c
		}
	}
	if sess == nil {
		t.Fatal("no session cookie at login")
	}
	if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Secure || len(sess.Value) < 40 {
		t.Fatalf("cookie over plain HTTP: %+v", sess)
	}
	// Behind a trusted proxy saying https (here: any peer is trusted when
	// the test mounts a site that trusts loopback) the cookie is Secure.
	h := resp.Header
	for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
		if h.Get(k) != want {
			t.Fatalf("%s = %q", k, h.Get(k))
		}
	}
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
	// The session id is stored only as its hash.
	n, err := r.db.Collection(web.CollSessions).CountDocuments(t.Context(), map[string]string{"_id": sess.Value})
	if err != nil || n != 0 {
		t.Fatalf("raw session id stored (%d, %v)", n, err)
	}
	// Rotated at login: a cookie planted before login does not survive it.
	b2 := r.client()
	u, _ := url.Parse(r.srv.URL)
	b2.c.Jar.SetCookies(u, []*http.Cookie{{Name: portal.CookieName, Value: "planted-by-attacker", Path: "/"}})
	resp = b2.login("uno@example.cl", "caballo correcto batería")
	for _, c := range resp.Cookies() {
		if c.Name == portal.CookieName && c.Value == "planted-by-attacker" {
			t.Fatal("session id not rotated at login")
		}
	}
}

func TestLogoutEverywhereEndsEverySession(t *testing.T) {
	r := newRig(t)
	const pw = "caballo correcto batería"
	a := r.loggedIn("C-1", "Uno", "uno@example.cl", pw)
	b := r.client()
	if resp := b.login("uno@example.cl", pw); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("second login failed")
	}
	resp, _ := a.post("/portal/logout-all", url.Values{"csrf": {a.csrf("/portal/datos")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout-all: %d", resp.StatusCode)
	}
	for name, br := range map[string]*client{"this device": a, "the other device": b} {
		if resp, _ := br.get("/portal/datos"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s still logged in: %d", name, resp.StatusCode)
		}
	}
	if resp := b.login("uno@example.cl", pw); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("a new login after logout-all failed")
	}
	if resp, _ := b.get("/portal/datos"); resp.StatusCode != http.StatusOK {
		t.Fatalf("new session refused: %d", resp.StatusCode)
	}
}

func TestHostileNameIsShownAsText(t *testing.T) {
	r := newRig(t)
	b := r.loggedIn("C-1", "<script>alert(1)</script>", "uno@example.cl", "caballo correcto batería")
	_, body := b.get("/portal/datos")
	if strings.Contains(body, "<script>alert(1)</script>") {
		t.Fatal("the name reached the page unescaped")
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("the name is not shown as text:\n%s", body)
	}
}

func TestUsedSetPasswordLinkDoesNotWorkTwice(t *testing.T) {
	r := newRig(t)
	r.loggedIn("C-1", "Uno", "uno@example.cl", "caballo correcto batería")
	b := r.client()
	_, body := b.get(r.link("uno@example.cl"))
	if !strings.Contains(body, "Este enlace ya no sirve") {
		t.Fatalf("a used link still offers the form:\n%s", body)
	}
	_, body = b.get("/portal/login?lang=en")
	if !strings.Contains(body, "Log in to the portal") || !strings.Contains(body, `lang="en"`) {
		t.Fatal("?lang=en does not switch to English")
	}
}
