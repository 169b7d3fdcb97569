package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"turno/templates"
	"turno/web"
)

// setContactPassword follows the contact's newest link and sets pw.
func (b *client) setContactPassword(addr, pw string) {
	b.t.Helper()
	link := b.r.link(addr)
	u, _ := url.Parse(link)
	if u.Query().Get("contact") == "" {
		b.t.Fatalf("not a contact's link: %s", link)
	}
	tok := b.csrf(link)
	resp, body := b.post(u.Path, url.Values{"csrf": {tok}, "contact": {u.Query().Get("contact")}, "token": {u.Query().Get("token")},
		"password": {pw}, "password2": {pw}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("set contact password: %d %s", resp.StatusCode, body)
	}
}

var contactEditRe = regexp.MustCompile(`href="(/portal/contactos/[0-9a-f]+)"`)

// A contact given "Acceso al portal" gets their own set-password link,
// logs in with their address and acts for the client: their ticket is
// the client's, written as them. Unticking the access (or removing the
// contact) ends their sessions and their login; the principal address
// cannot be given to a contact, and an address with access at one client
// cannot get it at another.
func TestContactPortalAccess(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	owner := r.loggedIn("C-1", "Uno SpA", "uno@example.cl", "una frase bastante larga")
	tok := owner.csrf("/portal/contactos")
	resp, _ := owner.post("/portal/contactos", url.Values{"csrf": {tok}, "address": {"Ana@Example.cl"}, "name": {"Ana Rojas"},
		"role": {"technical"}, "portal": {"1"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/contactos?n=invited" {
		t.Fatalf("add with access: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	mails := r.accessMails("ana@example.cl")
	if len(mails) != 1 || mails[0].Template != "password_reset" || !mails[0].Sensitive {
		t.Fatalf("contact's access mail: %+v", mails)
	}
	var d templates.PasswordReset
	_ = json.Unmarshal([]byte(mails[0].Data), &d)
	if d.Login != "ana@example.cl" || len(r.accessMails("uno@example.cl")) != 1 {
		t.Fatalf("mail data %+v, owner's mails %d", d, len(r.accessMails("uno@example.cl")))
	}
	_, page := owner.get("/portal/contactos")
	if !strings.Contains(page, `<td class="contact-portal">Sí</td>`) {
		t.Fatal("the list does not show the contact's access")
	}

	ana := r.client()
	ana.setContactPassword("ana@example.cl", "la frase de ana es larga")
	if resp := ana.login("ana@example.cl", "la frase de ana es larga"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("contact login: %d", resp.StatusCode)
	}
	if resp := r.client().login("ana@example.cl", "una frase bastante larga"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the owner's password works for the contact: %d", resp.StatusCode)
	}
	form := ana.formOf("/portal/tickets/nuevo")
	form.Set("department", "soporte")
	form.Set("subject", "Desde Ana")
	form.Set("text", "Hola")
	resp, _ = ana.post("/portal/tickets", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("contact opens a ticket: %d", resp.StatusCode)
	}
	ts, err := r.tk.ClientTickets(ctx, "C-1", 0)
	if err != nil || len(ts) != 1 {
		t.Fatalf("client's tickets: %v %d", err, len(ts))
	}
	_, msgs, _ := r.tk.ClientThread(ctx, "C-1", ts[0].Number)
	if len(msgs) != 1 || msgs[0].From.Address != "ana@example.cl" {
		t.Fatalf("writer: %+v", msgs)
	}
	if resp, _ := ana.get("/portal/datos"); resp.StatusCode != http.StatusOK {
		t.Fatalf("contact sees the client's data: %d", resp.StatusCode)
	}

	// Another client cannot give the same address access; nor can anyone
	// give a login address to a contact.
	two := r.loggedIn("C-2", "Dos", "dos@example.cl", "otra frase bastante larga")
	for _, addr := range []string{"ana@example.cl", "uno@example.cl"} {
		tok := two.csrf("/portal/contactos")
		resp, body := two.post("/portal/contactos", url.Values{"csrf": {tok}, "address": {addr}, "role": {"billing"}, "portal": {"1"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="portal-error"`) {
			t.Fatalf("%s at another client: %d", addr, resp.StatusCode)
		}
	}

	// Unticking the access ends Ana's session and her login.
	_, page = owner.get("/portal/contactos")
	edit := contactEditRe.FindStringSubmatch(page)
	if edit == nil {
		t.Fatal("no edit link")
	}
	tok = owner.csrf(edit[1])
	resp, _ = owner.post(edit[1], url.Values{"csrf": {tok}, "address": {"ana@example.cl"}, "name": {"Ana Rojas"}, "role": {"technical"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("untick: %d", resp.StatusCode)
	}
	if resp, _ := ana.get("/portal/datos"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("contact's session after the access was removed: %d", resp.StatusCode)
	}
	if resp := r.client().login("ana@example.cl", "la frase de ana es larga"); resp.StatusCode != http.StatusOK {
		t.Fatalf("contact login after the access was removed: %d", resp.StatusCode)
	}

	// Given again and then the contact removed: the same.
	tok = owner.csrf(edit[1])
	owner.post(edit[1], url.Values{"csrf": {tok}, "address": {"ana@example.cl"}, "name": {"Ana Rojas"}, "role": {"technical"}, "portal": {"1"}})
	ana = r.client()
	ana.setContactPassword("ana@example.cl", "la nueva frase de ana")
	if resp := ana.login("ana@example.cl", "la nueva frase de ana"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("contact login after access given again: %d", resp.StatusCode)
	}
	tok = owner.csrf("/portal/contactos")
	resp, _ = owner.post(edit[1]+"/eliminar", url.Values{"csrf": {tok}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", resp.StatusCode)
	}
	if resp, _ := ana.get("/portal/tickets"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("contact's session after the contact was removed: %d", resp.StatusCode)
	}
	if ok, _ := r.reg.HasContactAccess(ctx, "C-1", []string{"ana@example.cl"}); ok["ana@example.cl"] {
		t.Fatal("access kept after the contact was removed")
	}
}

// A contact's twenty failed logins lock their address and mail them
// login_locked with their own fresh link, once.
func TestContactLockoutMailsTheContact(t *testing.T) {
	r := newRig(t)
	owner := r.loggedIn("C-1", "Uno SpA", "uno@example.cl", "una frase bastante larga")
	tok := owner.csrf("/portal/contactos")
	owner.post("/portal/contactos", url.Values{"csrf": {tok}, "address": {"ana@example.cl"}, "role": {"billing"}, "portal": {"1"}})
	b := r.client()
	tok = b.csrf("/portal/login")
	for range web.Lockout + 2 {
		b.post("/portal/login", url.Values{"csrf": {tok}, "email": {"ana@example.cl"}, "password": {"no es la clave"}})
	}
	ms := r.accessMails("ana@example.cl")
	if len(ms) != 2 || ms[1].Template != "login_locked" {
		t.Fatalf("contact's mails: %d", len(ms))
	}
	var d templates.LoginLocked
	_ = json.Unmarshal([]byte(ms[1].Data), &d)
	if d.Login != "ana@example.cl" || !strings.Contains(d.Link, "contact=") || d.Where != "portal" {
		t.Fatalf("lockout mail data %+v", d)
	}
	b.setContactPassword("ana@example.cl", "ana elige otra frase")
	if resp := b.login("ana@example.cl", "ana elige otra frase"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login after the lockout link: %d", resp.StatusCode)
	}
}
