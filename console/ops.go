package console

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"turno/agents"
)

// The operations pages (admins only): a thin layer over the read and
// repair functions the CLI uses (turno mail status / quarantine, turno
// outbox, turno jobs, turno billing holds / undeliverable). Every other
// agent gets 404 for every page and action, as if they did not exist.
//
//	GET  /console/ops                     dashboard: counts and charts
//	GET  /console/ops/mail                mailboxes and the quarantine
//	POST /console/ops/mail/retry          id: mailin.RequestRetry (turno mail quarantine retry)
//	GET  /console/ops/outbox              depth by state, failures, suppressions
//	POST /console/ops/outbox/unsuppress   address: mailout.ClearSuppression, then billing's markers
//	GET  /console/ops/jobs                scheduled jobs and their runs
//	GET  /console/ops/billing             held periods and undeliverable contacts
func (c *Console) opsRoutes(m *http.ServeMux) {
	m.HandleFunc("GET "+Prefix+"/ops", c.page(c.admin(c.opsDashboard)))
	m.HandleFunc("GET "+Prefix+"/ops/mail", c.page(c.admin(c.opsMail)))
	m.HandleFunc("POST "+Prefix+"/ops/mail/retry", c.action(c.admin(c.opsRetry)))
	m.HandleFunc("GET "+Prefix+"/ops/outbox", c.page(c.admin(c.opsOutbox)))
	m.HandleFunc("POST "+Prefix+"/ops/outbox/unsuppress", c.action(c.admin(c.opsUnsuppress)))
	m.HandleFunc("GET "+Prefix+"/ops/jobs", c.page(c.admin(c.opsJobs)))
	m.HandleFunc("GET "+Prefix+"/ops/billing", c.page(c.admin(c.opsBilling)))
}

// isAdmin reports whether the request's agent (set by page or action) is
// an admin: the operations link in the navigation is shown to them only.
func isAdmin(r *http.Request) bool {
	a := agentOf(r)
	return a != nil && a.Role == agents.RoleAdmin
}

// admin serves h to admins; any other agent gets 404. It runs inside page
// or action, which decided the agent.
func (c *Console) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !isAdmin(r) {
			c.Site.Error(w, r, http.StatusNotFound)
			return
		}
		h(w, r)
	}
}

// opsView is what ops.html receives: the page's name picks its part.
type opsView struct {
	Page   string
	Tabs   []link
	Notice string // a message key, shown as done
	Error  string // a message key, shown as an alert
	Arg    string // the notice's or error's %s
	Now    time.Time
	Loc    *time.Location

	Dash    *dashView
	Mail    *mailView
	Outbox  *outboxView
	Jobs    *jobsView
	Billing *billingView
}

var opsPages = []struct{ name, path string }{
	{"dashboard", ""}, {"mail", "/mail"}, {"outbox", "/outbox"}, {"jobs", "/jobs"}, {"billing", "/billing"},
}

func (c *Console) opsView(r *http.Request, page string) opsView {
	v := opsView{Page: page, Now: c.o.Clock.Now(), Loc: c.o.Location}
	for _, p := range opsPages {
		v.Tabs = append(v.Tabs, link{Label: "ops.tab." + p.name, Href: Prefix + "/ops" + p.path, Current: p.name == page})
	}
	q := r.URL.Query()
	if n := q.Get("n"); opsNotices[n] {
		v.Notice, v.Arg = "ops.done."+n, q.Get("arg")
	}
	if e := q.Get("e"); opsErrors[e] {
		v.Error, v.Arg = "ops.error."+e, q.Get("arg")
	}
	return v
}

// The outcomes an action may report on the page it returns to.
var (
	opsNotices = map[string]bool{"retry": true, "unsuppress": true}
	opsErrors  = map[string]bool{"retry": true, "unsuppress": true}
)

// back sends the browser to page with an outcome (303, so a reload does
// not post again).
func back(w http.ResponseWriter, r *http.Request, page, kind, what, arg string) {
	q := url.Values{kind: {what}}
	if arg != "" {
		q.Set("arg", arg)
	}
	http.Redirect(w, r, Prefix+"/ops"+page+"?"+q.Encode(), http.StatusSeeOther)
}

// opsFail logs err and answers 503 (the page cannot be read now).
func (c *Console) opsFail(w http.ResponseWriter, r *http.Request, what string, err error) {
	c.internal(w, r, "ops "+what, err)
}

// opsCtx bounds a page's reads.
func opsCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 20*time.Second)
}

// When shows t in the company's zone as a <time> (a dash when zero).
func (v opsView) When(t time.Time) template.HTML {
	if t.IsZero() {
		return `<span class="muted">—</span>`
	}
	return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `">` +
		t.In(v.Loc).Format("02/01/2006 15:04") + `</time>`) // digits and punctuation only
}

// Int is *p (0 for nil), for the templates.
func (v opsView) Int(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
