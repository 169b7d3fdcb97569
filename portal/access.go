package portal

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"turno/clients"
	"turno/web"
)

type loginView struct {
	Email  string
	Error  bool
	Notice string // message key shown above the form
}

func (p *Portal) home(w http.ResponseWriter, r *http.Request) {
	if session(r) != nil {
		http.Redirect(w, r, Prefix+"/datos", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, Prefix+"/login", http.StatusSeeOther)
}

func (p *Portal) loginPage(w http.ResponseWriter, r *http.Request) {
	if session(r) != nil {
		http.Redirect(w, r, Prefix+"/datos", http.StatusSeeOther)
		return
	}
	v := loginView{}
	switch r.URL.Query().Get("n") {
	case "set":
		v.Notice = "login.notice.set"
	case "out":
		v.Notice = "login.notice.out"
	case "all":
		v.Notice = "login.notice.all"
	case "expired":
		v.Notice = "login.notice.expired"
	}
	p.Site.Render(w, r, http.StatusOK, "login", v)
}

// login checks the address and password. Every failure (unknown address,
// wrong password, locked address, inactive client) gets the same page;
// only the client IP's rate limit answers differently (429).
func (p *Portal) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	addr := clients.NormalizeAddress(r.PostForm.Get("email"))
	pw := r.PostForm.Get("password")
	if !p.Site.AllowIP(r) {
		p.Site.Render(w, r, http.StatusTooManyRequests, "login", loginView{Email: addr, Notice: "error.429"})
		return
	}
	fail := func() {
		p.Site.Render(w, r, http.StatusOK, "login", loginView{Email: addr, Error: true})
	}
	if addr == "" || pw == "" || len(addr) > 254 || len(pw) > clients.MaxPasswordLen*4 {
		fail()
		return
	}
	locked, err := p.Site.Locked(ctx, addr)
	if err != nil {
		p.internal(w, r, "login", err)
		return
	}
	sub, err := p.checkLogin(ctx, addr, pw)
	if err != nil && !errors.Is(err, clients.ErrAccessDenied) {
		p.internal(w, r, "login", err)
		return
	}
	if locked || err != nil {
		if ferr := p.Site.LoginFailed(ctx, addr); ferr != nil {
			p.log.Error("portal: count failed login", "err", ferr)
		}
		fail()
		return
	}
	if err := p.Site.LoginSucceeded(ctx, addr); err != nil {
		p.log.Error("portal: clear failed logins", "err", err)
	}
	if _, err := p.Site.Login(ctx, w, r, sub); err != nil {
		p.internal(w, r, "login", err)
		return
	}
	p.log.Info("portal login", "kind", sub.Kind, "subject", sub.ID, "ip", p.Site.ClientIP(r))
	http.Redirect(w, r, Prefix+"/datos", http.StatusSeeOther)
}

type forgotView struct {
	Email string
	Sent  bool
	Error bool
}

func (p *Portal) forgotPage(w http.ResponseWriter, r *http.Request) {
	p.Site.Render(w, r, http.StatusOK, "forgot", forgotView{})
}

// forgot mails a set-password link to a known principal address and
// answers the same page for every well-formed address, known or not.
func (p *Portal) forgot(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	raw := strings.TrimSpace(r.PostForm.Get("email"))
	if !p.Site.AllowIP(r) {
		p.Site.Render(w, r, http.StatusTooManyRequests, "forgot", forgotView{Email: raw, Error: true})
		return
	}
	a, err := mail.ParseAddress(raw)
	if err != nil || a.Address != raw || len(raw) > 254 {
		p.Site.Render(w, r, http.StatusOK, "forgot", forgotView{Email: raw, Error: true})
		return
	}
	addr := clients.NormalizeAddress(raw)
	allowed, err := p.Site.ForgotAllowed(ctx, addr)
	if err != nil {
		p.internal(w, r, "forgot", err)
		return
	}
	id, err := p.clients.LoginClient(ctx, addr)
	var contact *clients.ContactLogin
	if errors.Is(err, clients.ErrAccessDenied) {
		contact, err = p.clients.LoginContact(ctx, addr)
	}
	switch {
	case err == nil && allowed && contact != nil:
		if _, err := p.clients.ContactPassword(ctx, addr, "portal"); err != nil {
			p.log.Error("portal: forgot-password mail", "client", contact.ClientID, "err", err)
		}
	case err == nil && allowed:
		if _, err := p.clients.Password(ctx, id, "portal"); err != nil {
			// Logged, never shown: the answer must not tell known from unknown.
			p.log.Error("portal: forgot-password mail", "client", id, "err", err)
		}
	case err != nil && !errors.Is(err, clients.ErrAccessDenied):
		p.log.Error("portal: forgot-password lookup", "err", err)
	default:
		_ = p.clients.VerifyPassword(ctx, "", raw) // the hash a real request costs
	}
	p.Site.Render(w, r, http.StatusOK, "forgot", forgotView{Sent: true})
}

type setView struct {
	Client, Contact, Token string
	Action                 string
	Error                  string // message key
}

func (p *Portal) setPasswordPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := setView{Client: q.Get("client"), Contact: q.Get("contact"), Token: q.Get("token"), Action: p.setPath}
	check := func() error { return p.clients.CheckSetPasswordToken(r.Context(), v.Client, v.Token) }
	if v.Contact != "" {
		v.Client = ""
		check = func() error { return p.clients.CheckContactToken(r.Context(), v.Contact, v.Token) }
	}
	if err := check(); err != nil {
		if !errors.Is(err, clients.ErrAccessDenied) {
			p.internal(w, r, "set-password", err)
			return
		}
		p.Site.Render(w, r, http.StatusOK, "set_password_bad", nil)
		return
	}
	p.Site.Render(w, r, http.StatusOK, "set_password", v)
}

func (p *Portal) setPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := setView{Client: r.PostForm.Get("client"), Contact: r.PostForm.Get("contact"), Token: r.PostForm.Get("token"), Action: p.setPath}
	pw, pw2 := r.PostForm.Get("password"), r.PostForm.Get("password2")
	if !p.Site.AllowIP(r) {
		p.Site.Error(w, r, http.StatusTooManyRequests)
		return
	}
	if pw != pw2 {
		v.Error = "set.error.mismatch"
		p.Site.Render(w, r, http.StatusOK, "set_password", v)
		return
	}
	if v.Contact != "" {
		p.setContactPassword(w, r, v, pw)
		return
	}
	err := p.clients.SetPasswordWithToken(ctx, v.Client, v.Token, pw)
	if p.setPasswordFailed(w, r, v, err) {
		return
	}
	// A new password ends every session made with the old one and lifts a
	// lockout: the owner proved control of the mailbox.
	sub := web.Subject{Kind: SubjectKind, ID: v.Client}
	if err := p.Site.LogoutEverywhere(ctx, sub); err != nil {
		p.log.Error("portal: end old sessions", "client", v.Client, "err", err)
	}
	if c, err := p.clients.Get(ctx, v.Client); err == nil {
		_ = p.Site.LoginSucceeded(ctx, c.Email)
	}
	http.Redirect(w, r, Prefix+"/login?n=set", http.StatusSeeOther)
}

func (p *Portal) logout(w http.ResponseWriter, r *http.Request) {
	if err := p.Site.Logout(r.Context(), w, r); err != nil {
		p.internal(w, r, "logout", err)
		return
	}
	http.Redirect(w, r, Prefix+"/login?n=out", http.StatusSeeOther)
}

func (p *Portal) logoutAll(w http.ResponseWriter, r *http.Request) {
	s := session(r)
	if s == nil {
		http.Redirect(w, r, Prefix+"/login?n=expired", http.StatusSeeOther)
		return
	}
	if err := p.Site.LogoutEverywhere(r.Context(), s.Subject()); err != nil {
		p.internal(w, r, "logout-all", err)
		return
	}
	if err := p.Site.Logout(r.Context(), w, r); err != nil {
		p.internal(w, r, "logout-all", err)
		return
	}
	p.log.Info("portal: logged out everywhere", "client", s.SubjectID)
	http.Redirect(w, r, Prefix+"/login?n=all", http.StatusSeeOther)
}

func (p *Portal) internal(w http.ResponseWriter, r *http.Request, what string, err error) {
	p.log.Error("portal: "+what, "err", err)
	p.Site.Error(w, r, http.StatusServiceUnavailable)
}

// lockoutNotifier mails the owner of a locked login (template
// login_locked, once per lock window): a client's principal address or a
// contact with portal access, with a fresh set-password link that also
// lifts the lock. An address that is neither gets nothing.
type lockoutNotifier struct{ p *Portal }

func (n lockoutNotifier) NotifyLockout(ctx context.Context, address string, until time.Time) error {
	id, err := n.p.clients.LoginClient(ctx, address)
	if err == nil {
		_, err = n.p.clients.LoginLocked(ctx, id, until)
		return err
	}
	if !errors.Is(err, clients.ErrAccessDenied) {
		return err
	}
	_, err = n.p.clients.ContactLoginLocked(ctx, address, until)
	if errors.Is(err, clients.ErrAccessDenied) {
		return nil // nobody to tell
	}
	return err
}

// setPasswordFailed answers a failed set-password (too short: the form
// again; a bad or used link: the page saying so) and reports whether it
// did; nil err answers nothing.
func (p *Portal) setPasswordFailed(w http.ResponseWriter, r *http.Request, v setView, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, clients.ErrPasswordLength):
		v.Error = "set.error.length"
		p.Site.Render(w, r, http.StatusOK, "set_password", v)
	case errors.Is(err, clients.ErrAccessDenied):
		p.Site.Render(w, r, http.StatusOK, "set_password_bad", nil)
	default:
		p.internal(w, r, "set-password", err)
	}
	return true
}
