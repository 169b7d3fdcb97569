package portal

import (
	"context"
	"errors"
	"net/http"

	"turno/clients"
	"turno/web"
)

// checkLogin checks an address and password: a client's principal
// address, else a contact's with portal access. Any failure is
// clients.ErrAccessDenied and costs one password hash, known or not.
func (p *Portal) checkLogin(ctx context.Context, addr, pw string) (web.Subject, error) {
	id, err := p.clients.LoginClient(ctx, addr)
	if err == nil {
		return web.Subject{Kind: SubjectKind, ID: id}, p.clients.VerifyPassword(ctx, id, pw)
	}
	if !errors.Is(err, clients.ErrAccessDenied) {
		return web.Subject{}, err
	}
	cl, err := p.clients.LoginContact(ctx, addr)
	if errors.Is(err, clients.ErrAccessDenied) {
		_ = p.clients.VerifyPassword(ctx, "", pw) // the hash a real login costs
		return web.Subject{}, err
	}
	if err != nil {
		return web.Subject{}, err
	}
	return web.Subject{Kind: ContactKind, ID: cl.AccessID}, p.clients.VerifyContactPassword(ctx, addr, pw)
}

// setContactPassword is the set-password form for a contact's link: the
// same answers as the client's, and the same effects on the contact's
// sessions and lockout.
func (p *Portal) setContactPassword(w http.ResponseWriter, r *http.Request, v setView, pw string) {
	ctx := r.Context()
	addr, err := p.clients.SetContactPasswordWithToken(ctx, v.Contact, v.Token, pw)
	if p.setPasswordFailed(w, r, v, err) {
		return
	}
	p.endContactSessions(r, addr)
	_ = p.Site.LoginSucceeded(ctx, addr)
	http.Redirect(w, r, Prefix+"/login?n=set", http.StatusSeeOther)
}
