package console

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/agents"
	"turno/billing"
	"turno/clients"
	"turno/clock"
	"turno/mailin"
	"turno/replies"
	"turno/scheduler"
	"turno/tickets"
	"turno/web"
)

//go:embed pages/*.html
var pagesFS embed.FS

//go:embed assets
var assetsFS embed.FS

// Prefix is where the console is mounted.
const Prefix = "/console"

// CookieName is the console's session cookie (the portal's is another).
const CookieName = "turno_console"

// SubjectKind of a console session: an agent, by primary address.
const SubjectKind = "agent"

// Mux is where the console mounts (httpapi.Server, http.ServeMux).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Options configure the console. DB, Agents and Tickets are required.
type Options struct {
	DB      *mongo.Database
	Agents  *agents.Service
	Tickets *tickets.Service
	// Replies are the saved replies offered in the reply form; nil: none.
	Replies *replies.Store
	// Clients shows a ticket's client beside it; nil: the ID only.
	Clients *clients.Registry
	// Billing adds the client's contracts, unpaid invoices and balance;
	// nil: none shown.
	Billing *billing.Service
	// Scheduler lists the jobs and their runs on the operations pages;
	// nil: none shown.
	Scheduler *scheduler.Scheduler
	// Departments are the configured ones (the filter's choices for an
	// admin; an agent sees their own).
	Departments    []string
	SessionTTL     time.Duration
	TrustedProxies []*net.IPNet
	// Location shows times in the company's zone; default UTC.
	Location *time.Location
	Clock    clock.Clock
	Logger   *slog.Logger
}

// Console is the mounted console.
type Console struct {
	Site *web.Site
	o    Options
	log  *slog.Logger
	raw  *mailin.RawStore
}

// New builds the console without mounting it.
func New(opts Options) (*Console, error) {
	if opts.DB == nil || opts.Agents == nil || opts.Tickets == nil {
		return nil, errors.New("console: DB, Agents and Tickets are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	c := &Console{o: opts, log: opts.Logger, raw: mailin.NewRawStore(opts.DB)}
	pages, _ := fs.Sub(pagesFS, "pages")
	site, err := web.New(web.Options{DB: opts.DB, Surface: "console", CookieName: CookieName, Prefix: Prefix,
		Pages: pages, Messages: messages, SessionTTL: opts.SessionTTL, TrustedProxies: opts.TrustedProxies,
		ScriptSrc: "'self'", Nav: []web.NavLink{{Href: Prefix + "/queue", Label: "nav.queue"},
			{Href: Prefix + "/ops", Label: "nav.ops", Show: isAdmin}},
		Clock: opts.Clock, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	c.Site = site
	return c, nil
}

// Mount builds the console and mounts it on mux under /console/.
func Mount(mux Mux, opts Options) (*Console, error) {
	c, err := New(opts)
	if err != nil {
		return nil, err
	}
	mux.Handle(Prefix+"/", c.Handler())
	return c, nil
}

// Handler serves every console page (paths as in the package doc).
func (c *Console) Handler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET "+Prefix+"/{$}", c.home)
	m.HandleFunc("GET "+Prefix+"/login", c.loginPage)
	m.HandleFunc("POST "+Prefix+"/login", c.login)
	m.HandleFunc("POST "+Prefix+"/logout", c.logout)
	m.HandleFunc("GET "+Prefix+"/queue", c.page(c.queue))
	m.HandleFunc("GET "+Prefix+"/queue/marker", c.action(c.marker))
	m.HandleFunc("GET "+Prefix+"/tickets/{n}", c.page(c.ticket))
	for _, a := range []string{"reply", "note", "assign", "status", "priority"} {
		m.HandleFunc("POST "+Prefix+"/tickets/{n}/"+a, c.action(c.ticketAction(a)))
	}
	for _, a := range []string{"confirm", "reject"} {
		m.HandleFunc("POST "+Prefix+"/tickets/{n}/payment/"+a, c.action(c.paymentAction(a)))
	}
	m.HandleFunc("GET "+Prefix+"/tickets/{n}/files/{m}/{i}", c.page(c.file))
	m.HandleFunc("GET "+Prefix+"/tickets/{n}/html/{m}", c.page(c.htmlView))
	m.HandleFunc("POST "+Prefix+"/tickets/{n}/presence", c.action(c.presenceBeacon))
	for _, a := range []string{"move", "merge", "link"} {
		m.HandleFunc("POST "+Prefix+"/tickets/{n}/"+a, c.action(c.manageAction(a)))
	}
	c.opsRoutes(m) // ops.go: the operations pages, admins only
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { c.Site.Error(w, r, http.StatusNotFound) })
	shared := c.Site.Static()
	own := c.static()
	wrapped := c.Site.Wrap(m)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, Prefix+"/static/") && r.Method == http.MethodGet {
			// No session lookup for the stylesheets and the script.
			if strings.HasPrefix(r.URL.Path, Prefix+"/static/console.") {
				own.ServeHTTP(w, r)
			} else {
				shared.ServeHTTP(w, r)
			}
			return
		}
		wrapped.ServeHTTP(w, r)
	})
}

// static serves console.css and console.js, with the security headers.
func (c *Console) static() http.Handler {
	sub, _ := fs.Sub(assetsFS, "assets")
	return web.ServeAssets(Prefix+"/static/", sub)
}

// Sweep removes expired sessions and old rate-limit windows, and the
// presence marks long past (tickets.PrunePresence): a daily job.
func (c *Console) Sweep(ctx context.Context) error {
	if err := c.Site.Sweep(ctx); err != nil {
		return err
	}
	n, err := c.o.Tickets.PrunePresence(ctx)
	if n > 0 {
		c.log.Info("console: presence marks pruned", "count", n)
	}
	return err
}

type actorKey struct{}

// agentOf is the request's agent under page or action.
func agentOf(r *http.Request) *agents.Agent {
	a, _ := r.Context().Value(actorKey{}).(*agents.Agent)
	return a
}

// authenticate is the session's agent: active, and logged in after their
// password was last set; nil otherwise (the session is then ended).
func (c *Console) authenticate(w http.ResponseWriter, r *http.Request) (*agents.Agent, error) {
	s := web.CurrentSession(r)
	if s == nil || s.Kind != SubjectKind {
		return nil, nil
	}
	a, err := c.o.Agents.Get(r.Context(), s.SubjectID)
	if errors.Is(err, agents.ErrNotFound) {
		a, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if a != nil && a.Active && a.Email == s.SubjectID {
		set, err := c.o.Agents.PasswordSetAt(r.Context(), a.Email)
		if err != nil {
			return nil, err
		}
		if !set.IsZero() && !set.After(s.Created) {
			return a, nil
		}
	}
	_ = c.Site.Logout(r.Context(), w, r)
	return nil, nil
}

// page serves h to a logged-in agent; anyone else goes to the login page.
func (c *Console) page(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := c.authenticate(w, r)
		if err != nil {
			c.internal(w, r, "session", err)
			return
		}
		if a == nil {
			http.Redirect(w, r, Prefix+"/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, a)))
	}
}

// action serves h to a logged-in agent; anyone else gets 401.
func (c *Console) action(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := c.authenticate(w, r)
		if err != nil {
			c.internal(w, r, "session", err)
			return
		}
		if a == nil {
			c.Site.Error(w, r, http.StatusUnauthorized)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, a)))
	}
}

func (c *Console) internal(w http.ResponseWriter, r *http.Request, what string, err error) {
	c.log.Error("console: "+what, "err", err)
	c.Site.Error(w, r, http.StatusServiceUnavailable)
}
