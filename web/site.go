package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clock"
)

// Options configure a Site. DB, Surface, CookieName, Prefix and Pages are
// required.
type Options struct {
	DB *mongo.Database
	// Surface names the site ("portal", "console"); sessions of one are
	// never valid on the other.
	Surface string
	// CookieName of the session cookie, e.g. "turno_portal".
	CookieName string
	// Prefix is the URL path the site is mounted on, e.g. "/portal"; the
	// layout links the stylesheet at Prefix+"/static/turno.css".
	Prefix string
	// Pages are the surface's page templates (*.html at the root of the
	// FS), each defining "title" and "content"; Messages its catalogue
	// (lang → key → text), added to the shared one.
	Pages    fs.FS
	Messages map[string]map[string]string
	// SessionTTL is how long a login lasts; default 12h.
	SessionTTL time.Duration
	// TrustedProxies may set X-Forwarded-For and X-Forwarded-Proto.
	TrustedProxies []*net.IPNet
	// ScriptSrc is added to the CSP's script-src ('self' for a surface
	// serving its own embedded scripts); empty: no script at all.
	ScriptSrc string
	// Notifier is told once when an address gets locked; nil: nobody.
	Notifier LockoutNotifier
	// Nav are the links of the main navigation shown to a logged-in
	// visitor, in order; the one whose Href prefixes the path is marked
	// current.
	Nav []NavLink
	// MaxForm bounds a form's body; default 1 MiB.
	MaxForm int64
	// TooLarge, when set, answers a multipart form over MaxForm that
	// passed the cross-origin check, instead of 403 (see toolarge.go).
	// It must change nothing: no field of the form, the CSRF token
	// included, was read.
	TooLarge http.HandlerFunc
	Clock    clock.Clock
	Logger   *slog.Logger
}

// Site is one surface's shared machinery.
type Site struct {
	opts                         Options
	sessions, subjects, throttle *mongo.Collection
	pages                        map[string]*pageSet // lang → pages
	cop                          *http.CrossOriginProtection
	ips                          *ipLimiter
	override                     atomic.Pointer[notifierBox] // SetNotifier
}

// New builds a site and parses every page in every language; a template
// mistake is an error here, not at the first request.
func New(opts Options) (*Site, error) {
	if opts.DB == nil || opts.Surface == "" || opts.CookieName == "" || opts.Pages == nil {
		return nil, errors.New("web: DB, Surface, CookieName and Pages are required")
	}
	opts.Prefix = strings.TrimRight(opts.Prefix, "/")
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.MaxForm <= 0 {
		opts.MaxForm = 1 << 20
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Site{opts: opts, sessions: opts.DB.Collection(CollSessions), subjects: opts.DB.Collection(CollSubjects),
		throttle: opts.DB.Collection(CollThrottle), cop: http.NewCrossOriginProtection(), ips: newIPLimiter()}
	s.cop.SetDenyHandler(http.HandlerFunc(s.forbidden))
	if err := s.parse(); err != nil {
		return nil, err
	}
	return s, nil
}

type ctxKey int

const (
	sessionKey ctxKey = iota
	langKey
	csrfKey
)

// CurrentSession is the request's session under Site.Wrap; nil when
// nobody is logged in.
func CurrentSession(r *http.Request) *Session {
	s, _ := r.Context().Value(sessionKey).(*Session)
	return s
}

// Lang is the request's language ("es" or "en").
func Lang(r *http.Request) string {
	if l, ok := r.Context().Value(langKey).(string); ok {
		return l
	}
	return "es"
}

// Wrap serves h with the security headers, the language, the session and
// the CSRF checks of every state-changing request.
func (s *Site) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.headers(w)
		ctx := context.WithValue(r.Context(), langKey, s.lang(w, r))
		sess, err := s.loadSession(ctx, r)
		if err != nil {
			s.opts.Logger.Error("web: session", "surface", s.opts.Surface, "err", err)
			s.Error(w, r.WithContext(ctx), http.StatusServiceUnavailable)
			return
		}
		if sess != nil {
			ctx = context.WithValue(ctx, sessionKey, sess)
		}
		r = r.WithContext(ctx)
		if !safeMethod(r.Method) {
			body := r.Body
			r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxForm)
			if err := s.cop.Check(r); err != nil {
				s.forbidden(w, r)
				return
			}
			if sess != nil && s.tooLarge(w, r, body) {
				return
			}
			if !s.validCSRF(r, sess) {
				s.opts.Logger.Warn("web: CSRF token missing or wrong", "surface", s.opts.Surface, "path", r.URL.Path, "ip", s.ClientIP(r))
				s.forbidden(w, r)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (s *Site) headers(w http.ResponseWriter) {
	h := w.Header()
	script := "'none'"
	if s.opts.ScriptSrc != "" {
		// A surface's own scripts may fetch from it (the console's polling).
		script = s.opts.ScriptSrc + "; connect-src 'self'"
	}
	h.Set("Content-Security-Policy", "default-src 'none'; script-src "+script+"; style-src 'self'; img-src 'self' data:; "+
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// validCSRF compares the form's csrf field with the session's secret, or
// without a session with the pre-login cookie, in constant time.
func (s *Site) validCSRF(r *http.Request, sess *Session) bool {
	var want string
	if sess != nil {
		want = sess.CSRF
	} else if c, err := r.Cookie(s.preCookie()); err == nil {
		want = c.Value
	}
	var got string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(s.opts.MaxForm); err != nil {
			return false
		}
	}
	if err := r.ParseForm(); err != nil {
		return false
	}
	got = r.PostForm.Get("csrf")
	return want != "" && len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// csrfToken is what the request's forms carry: the session's secret, or
// before login the pre-login cookie's token (set now if missing).
func (s *Site) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if sess := CurrentSession(r); sess != nil {
		return sess.CSRF
	}
	if v, ok := r.Context().Value(csrfKey).(string); ok {
		return v
	}
	if c, err := r.Cookie(s.preCookie()); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return c.Value
	}
	tok := randomToken()
	s.setCookie(w, r, s.preCookie(), tok, time.Time{})
	return tok
}

func (s *Site) forbidden(w http.ResponseWriter, r *http.Request) { s.Error(w, r, http.StatusForbidden) }

// Secure reports whether the visitor reached us over HTTPS: TLS here, or a
// trusted proxy's X-Forwarded-Proto.
func (s *Site) Secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.trustedPeer(r) && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

func (s *Site) trusted(ip net.IP) bool {
	for _, n := range s.opts.TrustedProxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func peerIP(r *http.Request) net.IP {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return net.ParseIP(host)
}

func (s *Site) trustedPeer(r *http.Request) bool {
	ip := peerIP(r)
	return ip != nil && s.trusted(ip)
}

// ClientIP is the visitor's address: the peer, or when the peer is a
// trusted proxy the right-most X-Forwarded-For entry that is not one.
func (s *Site) ClientIP(r *http.Request) string {
	ip := peerIP(r)
	if ip == nil {
		return r.RemoteAddr
	}
	if !s.trusted(ip) {
		return ip.String()
	}
	parts := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(parts) - 1; i >= 0; i-- {
		p := net.ParseIP(strings.TrimSpace(parts[i]))
		if p == nil {
			break
		}
		if !s.trusted(p) {
			return p.String()
		}
		ip = p
	}
	return ip.String()
}

// Prefix is the path the site is mounted on.
func (s *Site) Prefix() string { return s.opts.Prefix }

// Logger of the site.
func (s *Site) Logger() *slog.Logger { return s.opts.Logger }

// Clock of the site.
func (s *Site) Clock() clock.Clock { return s.opts.Clock }

func (s *Site) String() string { return fmt.Sprintf("web.Site(%s)", s.opts.Surface) }
