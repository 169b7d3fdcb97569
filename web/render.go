package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

//go:embed layout/*.html
var layoutFS embed.FS

//go:embed assets
var assetsFS embed.FS

// Langs are the languages of the pages; the first is the default.
var Langs = []string{"es", "en"}

var matcher = language.NewMatcher([]language.Tag{language.Spanish, language.English})

type pageSet struct {
	pages map[string]*template.Template
	errPg *template.Template
	msgs  map[string]string
}

// View is what a page template receives: the page's own Data and what the
// layout needs.
type View struct {
	Lang    string
	Prefix  string
	CSRF    string
	Session *Session
	// Path is the current path, for the language switch's links.
	Path string
	// Nav is the surface's navigation (empty before login).
	Nav  []NavLink
	Data any
}

// NavLink is one entry of a surface's navigation: Href (absolute path)
// and the message key of its label; Current is set per request. Show,
// when set, decides per request whether the link is shown (the console's
// operations, for admins only); nil shows it to every logged-in visitor.
type NavLink struct {
	Href    string
	Label   string
	Current bool
	Show    func(*http.Request) bool
}

// nav is the navigation for r: none before login.
func (s *Site) nav(r *http.Request) []NavLink {
	if CurrentSession(r) == nil {
		return nil
	}
	out := make([]NavLink, 0, len(s.opts.Nav))
	for _, n := range s.opts.Nav {
		if n.Show != nil && !n.Show(r) {
			continue
		}
		n.Current = r.URL.Path == n.Href || strings.HasPrefix(r.URL.Path, n.Href+"/")
		n.Show = nil
		out = append(out, n)
	}
	return out
}

func (s *Site) parse() error {
	names, err := fs.Glob(s.opts.Pages, "*.html")
	if err != nil || len(names) == 0 {
		return fmt.Errorf("web: no page templates (%v)", err)
	}
	s.pages = map[string]*pageSet{}
	for _, lang := range Langs {
		ps := &pageSet{pages: map[string]*template.Template{}, msgs: s.catalogue(lang)}
		funcs := template.FuncMap{"t": ps.t}
		for _, n := range names {
			t, err := template.New("layout.html").Funcs(funcs).ParseFS(layoutFS, "layout/layout.html")
			if err != nil {
				return fmt.Errorf("web: layout: %w", err)
			}
			if _, err := t.ParseFS(s.opts.Pages, n); err != nil {
				return fmt.Errorf("web: page %s: %w", n, err)
			}
			ps.pages[strings.TrimSuffix(n, ".html")] = t
		}
		if ps.errPg, err = template.New("layout.html").Funcs(funcs).ParseFS(layoutFS, "layout/*.html"); err != nil {
			return fmt.Errorf("web: error page: %w", err)
		}
		s.pages[lang] = ps
	}
	return nil
}

func (s *Site) catalogue(lang string) map[string]string {
	out := map[string]string{}
	for _, src := range []map[string]map[string]string{sharedMessages, s.opts.Messages} {
		for k, v := range src[Langs[0]] {
			out[k] = v
		}
		for k, v := range src[lang] {
			out[k] = v
		}
	}
	return out
}

// t looks a message up; args fill its %s/%d verbs. An unknown key shows
// itself, so a missing message is visible (and a test catches it).
func (ps *pageSet) t(key string, args ...any) string {
	m, ok := ps.msgs[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(m, args...)
	}
	return m
}

// T is a message in the request's language.
func (s *Site) T(r *http.Request, key string, args ...any) string {
	return s.pages[Lang(r)].t(key, args...)
}

// Render writes page name with data, with status.
func (s *Site) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	ps := s.pages[Lang(r)]
	t, ok := ps.pages[name]
	if !ok {
		s.opts.Logger.Error("web: no such page", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v := View{Lang: Lang(r), Prefix: s.opts.Prefix, CSRF: s.csrfToken(w, r), Session: CurrentSession(r), Path: r.URL.Path, Nav: s.nav(r), Data: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		s.opts.Logger.Error("web: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Error renders the shared error page for status (403, 404, 429, 5xx).
func (s *Site) Error(w http.ResponseWriter, r *http.Request, status int) {
	ps := s.pages[Lang(r)]
	key := fmt.Sprintf("error.%d", status)
	if _, ok := ps.msgs[key]; !ok {
		key = "error.other"
	}
	v := View{Lang: Lang(r), Prefix: s.opts.Prefix, CSRF: s.csrfToken(w, r), Session: CurrentSession(r), Path: r.URL.Path, Nav: s.nav(r),
		Data: map[string]any{"Status": status, "Message": ps.t(key)}}
	var buf bytes.Buffer
	if err := ps.errPg.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Static serves the shared assets (the stylesheet) under Prefix+"/static/".
func (s *Site) Static() http.Handler {
	sub, _ := fs.Sub(assetsFS, "assets")
	return ServeAssets(s.opts.Prefix+"/static/", sub)
}

// lang picks the page language: ?lang= (remembered in a cookie), the
// cookie, then Accept-Language; Spanish by default.
func (s *Site) lang(w http.ResponseWriter, r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q == "es" || q == "en" {
		http.SetCookie(w, &http.Cookie{Name: "turno_lang", Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Secure(r)})
		return q
	}
	if c, err := r.Cookie("turno_lang"); err == nil && (c.Value == "es" || c.Value == "en") {
		return c.Value
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, idx, conf := matcher.Match(tags...)
			if conf != language.No && idx == 1 {
				return "en"
			}
		}
	}
	return "es"
}
