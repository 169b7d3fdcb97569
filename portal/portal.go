package portal

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/billing"
	"turno/clients"
	"turno/clock"
	"turno/mailin"
	"turno/tickets"
	"turno/web"
)

//go:embed pages/*.html
var pagesFS embed.FS

// Prefix is where the portal is mounted.
const Prefix = "/portal"

// CookieName is the portal's session cookie.
const CookieName = "turno_portal"

// SubjectKind of a portal session: a client.
const SubjectKind = "client"

// Mux is where the portal mounts (httpapi.Server, http.ServeMux).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Options configure the portal. DB and Clients are required.
type Options struct {
	DB      *mongo.Database
	Clients *clients.Registry
	// Billing serves Facturas and releases held periods when Mis datos
	// become complete; nil: no Facturas page, no release (the next cycle
	// bills them).
	Billing *billing.Service
	// Tickets serves the Tickets pages; nil: none.
	Tickets *tickets.Service
	// Departments a customer may open a ticket in (the first is the
	// default); empty: "soporte".
	Departments []string
	// SetPasswordPath is the path the password mail's link points to
	// (SetPasswordPath of [access] portal_url); default
	// /portal/set-password.
	SetPasswordPath string
	SessionTTL      time.Duration
	TrustedProxies  []*net.IPNet
	Clock           clock.Clock
	Logger          *slog.Logger
}

// Portal is the mounted portal.
type Portal struct {
	Site    *web.Site
	clients *clients.Registry
	billing *billing.Service
	tickets *tickets.Service
	depts   []string
	setPath string
	raw     *mailin.RawStore // uploaded files, once per SHA-256
	log     *slog.Logger
}

// SetPasswordPath is the path of the set-password links that
// clients.AccessOptions builds on portalURL.
func SetPasswordPath(portalURL string) string {
	p := portalURL
	if i := strings.Index(p, "://"); i >= 0 {
		p = p[i+3:]
		if j := strings.IndexAny(p, "/?#"); j >= 0 {
			p = p[j:]
		} else {
			p = ""
		}
	}
	if j := strings.IndexAny(p, "?#"); j >= 0 {
		p = p[:j]
	}
	return strings.TrimRight(p, "/") + "/set-password"
}

// DataURL is the absolute address of Mis datos on the portal that
// portalURL's origin serves ("" when portalURL has no scheme and host):
// where billing's request for missing data sends the client.
func DataURL(portalURL string) string {
	u, err := url.Parse(portalURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + Prefix + "/datos"
}

// New builds the portal without mounting it.
func New(opts Options) (*Portal, error) {
	if opts.DB == nil || opts.Clients == nil {
		return nil, errors.New("portal: DB and Clients are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SetPasswordPath == "" {
		opts.SetPasswordPath = Prefix + "/set-password"
	}
	if len(opts.Departments) == 0 {
		opts.Departments = []string{"soporte"}
	}
	p := &Portal{clients: opts.Clients, billing: opts.Billing, tickets: opts.Tickets, depts: opts.Departments,
		setPath: opts.SetPasswordPath, raw: mailin.NewRawStore(opts.DB), log: opts.Logger}
	nav := []web.NavLink{{Href: Prefix + "/datos", Label: "nav.data"}, {Href: Prefix + "/contactos", Label: "nav.contacts"}}
	if p.billing != nil {
		nav = append(nav, web.NavLink{Href: Prefix + "/facturas", Label: "nav.invoices"})
	}
	if p.tickets != nil {
		nav = append(nav, web.NavLink{Href: Prefix + "/tickets", Label: "nav.tickets"})
	}
	if p.billing != nil && p.tickets != nil {
		nav = append(nav, web.NavLink{Href: Prefix + "/pago", Label: "nav.pay"})
	}
	pages, _ := fs.Sub(pagesFS, "pages")
	site, err := web.New(web.Options{DB: opts.DB, Surface: "portal", CookieName: CookieName, Prefix: Prefix, Nav: nav,
		Pages: pages, Messages: allMessages(), SessionTTL: opts.SessionTTL, MaxForm: maxForm, TrustedProxies: opts.TrustedProxies,
		Notifier: lockoutNotifier{p}, TooLarge: p.tooLarge, Clock: opts.Clock, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	p.Site = site
	return p, nil
}

// Mount builds the portal and mounts it on mux under /portal/ (and the
// set-password path when it lies outside).
func Mount(mux Mux, opts Options) (*Portal, error) {
	p, err := New(opts)
	if err != nil {
		return nil, err
	}
	h := p.Handler()
	mux.Handle(Prefix+"/", h)
	if !strings.HasPrefix(p.setPath, Prefix+"/") {
		mux.Handle(p.setPath, h)
	}
	return p, nil
}

// Handler serves every portal page (paths as in the package doc).
func (p *Portal) Handler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET "+Prefix+"/{$}", p.home)
	m.HandleFunc("GET "+Prefix+"/login", p.loginPage)
	m.HandleFunc("POST "+Prefix+"/login", p.login)
	m.HandleFunc("GET "+Prefix+"/forgot", p.forgotPage)
	m.HandleFunc("POST "+Prefix+"/forgot", p.forgot)
	m.HandleFunc("GET "+p.setPath, p.setPasswordPage)
	m.HandleFunc("POST "+p.setPath, p.setPassword)
	m.HandleFunc("POST "+Prefix+"/logout", p.logout)
	m.HandleFunc("POST "+Prefix+"/logout-all", p.logoutAll)
	m.HandleFunc("GET "+Prefix+"/datos", p.datos)
	m.HandleFunc("POST "+Prefix+"/datos", p.saveDatos)
	m.HandleFunc("GET "+Prefix+"/contactos", p.contactos)
	m.HandleFunc("POST "+Prefix+"/contactos", p.saveContacto)
	m.HandleFunc("GET "+Prefix+"/contactos/{id}", p.contacto)
	m.HandleFunc("POST "+Prefix+"/contactos/{id}", p.saveContacto)
	m.HandleFunc("POST "+Prefix+"/contactos/{id}/eliminar", p.removeContacto)
	if p.billing != nil {
		m.HandleFunc("GET "+Prefix+"/facturas", p.facturas)
		m.HandleFunc("GET "+Prefix+"/facturas/{file}", p.facturaPDF)
	}
	if p.tickets != nil {
		m.HandleFunc("GET "+Prefix+"/tickets", p.ticketList)
		m.HandleFunc("GET "+Prefix+"/tickets/nuevo", p.newTicketPage)
		m.HandleFunc("POST "+Prefix+"/tickets", p.openTicket)
		m.HandleFunc("GET "+Prefix+"/tickets/{n}", p.ticketPage)
		m.HandleFunc("POST "+Prefix+"/tickets/{n}", p.replyTicket)
		m.HandleFunc("GET "+Prefix+"/tickets/{n}/comprobante", p.receiptFile)
		m.HandleFunc("GET "+Prefix+"/tickets/{n}/archivos/{m}/{i}", p.ticketFile)
	}
	if p.billing != nil && p.tickets != nil {
		m.HandleFunc("GET "+Prefix+"/pago", p.pagoPage)
		m.HandleFunc("POST "+Prefix+"/pago", p.reportPago)
	}
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { p.Site.Error(w, r, http.StatusNotFound) })
	static := p.Site.Static()
	wrapped := p.Site.Wrap(m)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, Prefix+"/static/") && r.Method == http.MethodGet {
			static.ServeHTTP(w, r) // no session lookup for the stylesheet
			return
		}
		wrapped.ServeHTTP(w, r)
	})
}

// Sweep removes expired sessions and old rate-limit windows (a daily job).
func (p *Portal) Sweep(ctx context.Context) error { return p.Site.Sweep(ctx) }
