package console

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"turno/agents"
	"turno/web"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

type loginView struct {
	Email  string
	Next   string
	Error  bool
	Notice string // message key shown above the form
}

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, Prefix+"/queue", http.StatusSeeOther)
}

// safeNext is where to go after login: a console path, never elsewhere
// (no scheme, host, "//", backslash or dot segments that leave /console/).
func safeNext(next string) string {
	home := Prefix + "/queue"
	if next == "" || strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, "//") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return home
	}
	clean := path.Clean(u.Path)
	if !strings.HasPrefix(clean, Prefix+"/") || strings.HasPrefix(clean, Prefix+"/login") {
		return home
	}
	if u.RawQuery != "" {
		clean += "?" + u.RawQuery
	}
	return clean
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if s := web.CurrentSession(r); s != nil && s.Kind == SubjectKind {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	v := loginView{Next: r.URL.Query().Get("next")}
	switch r.URL.Query().Get("n") {
	case "out":
		v.Notice = "login.notice.out"
	}
	c.Site.Render(w, r, http.StatusOK, "login", v)
}

// login checks an agent's address and password. Every failure (unknown
// address, wrong password, no password yet, deactivated agent, locked
// address) gets the same page; only the client IP's rate limit answers
// differently (429).
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	addr := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	pw := r.PostForm.Get("password")
	next := r.PostForm.Get("next")
	if !c.Site.AllowIP(r) {
		c.Site.Render(w, r, http.StatusTooManyRequests, "login", loginView{Email: addr, Next: next, Notice: "error.429"})
		return
	}
	fail := func() {
		c.Site.Render(w, r, http.StatusOK, "login", loginView{Email: addr, Next: next, Error: true})
	}
	if addr == "" || pw == "" || len(addr) > 254 {
		fail()
		return
	}
	locked, err := c.Site.Locked(ctx, addr)
	if err != nil {
		c.internal(w, r, "login", err)
		return
	}
	a, err := c.o.Agents.Login(ctx, addr, pw) // always costs one hash
	if err != nil && !errors.Is(err, agents.ErrBadLogin) {
		c.internal(w, r, "login", err)
		return
	}
	if locked || err != nil {
		if ferr := c.Site.LoginFailed(ctx, addr); ferr != nil {
			c.log.Error("console: count failed login", "err", ferr)
		}
		fail()
		return
	}
	if err := c.Site.LoginSucceeded(ctx, addr); err != nil {
		c.log.Error("console: clear failed logins", "err", err)
	}
	if _, err := c.Site.Login(ctx, w, r, web.Subject{Kind: SubjectKind, ID: a.Email}); err != nil {
		c.internal(w, r, "login", err)
		return
	}
	c.log.Info("console login", "agent", a.Email, "ip", c.Site.ClientIP(r))
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if err := c.Site.Logout(r.Context(), w, r); err != nil {
		c.internal(w, r, "logout", err)
		return
	}
	http.Redirect(w, r, Prefix+"/login?n=out", http.StatusSeeOther)
}
