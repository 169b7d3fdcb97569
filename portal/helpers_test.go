package portal_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/billing"
	"turno/clients"
	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
	"turno/mailout"
	"turno/portal"
	"turno/store"
	"turno/templates"
	"turno/tickets"
	"turno/web"
)

// rig is the portal on a real embedded store, with the real registry and
// the real outbox (entries are queued, not sent: the tests read them).
type rig struct {
	t   *testing.T
	db  *mongo.Database
	reg *clients.Registry
	srv *httptest.Server
	p   *portal.Portal
	bil *billing.Service
	tk  *tickets.Service
}

func newRig(t *testing.T) *rig { return newRigWith(t, nil) }

// newRigWith is newRig with billing's options adjusted by edit (nil: none).
func newRigWith(t *testing.T, edit func(*billing.Options)) *rig {
	t.Helper()
	ctx := context.Background()
	db := testenv.DB(t)
	idx := append(clients.Indexes(), mailout.Indexes()...)
	idx = append(append(idx, billing.Indexes()...), tickets.Indexes()...)
	if err := store.EnsureIndexes(ctx, db, idx); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	set, err := templates.Load(templates.Options{Company: templates.Company{Name: "Mi Proveedor SpA", SupportAddress: "soporte@example.cl"}})
	if err != nil {
		t.Fatal(err)
	}
	ob, err := mailout.New(mailout.Options{DB: db, Templates: set, Mail: cfg.Mail, Outbox: cfg.Outbox,
		MessageIDKey: []byte("k"), Logger: testenv.Logger(t), Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, db: db}
	mux := http.NewServeMux()
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	r.reg = clients.New(clients.Options{DB: db, Logger: testenv.Logger(t), Mailer: ob,
		Access: clients.AccessOptions{PortalURL: r.srv.URL + "/portal"}})
	bopts := billing.Options{DB: db, Clients: r.reg, Mailer: ob, Logger: testenv.Logger(t)}
	if edit != nil {
		edit(&bopts)
	}
	if r.bil, err = billing.New(bopts); err != nil {
		t.Fatal(err)
	}
	if r.tk, err = tickets.New(tickets.Options{DB: db, Directory: r.reg, Mailer: ob, Departments: []string{"soporte", "pagos"},
		Logger: testenv.Logger(t)}); err != nil {
		t.Fatal(err)
	}
	r.tk.SetPaymentLedger(daemon.PaymentLedger(r.bil), "pagos")
	r.p, err = portal.Mount(mux, portal.Options{DB: db, Clients: r.reg, Billing: r.bil, Tickets: r.tk,
		Departments: []string{"soporte", "pagos"}, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) addClient(id, name, email string) {
	r.t.Helper()
	_, err := r.reg.Add(context.Background(), clients.Client{ID: id, Name: name, Email: email, PersonType: "other", Active: true,
		Mail: clients.MailSwitches{Invoice: true, CollectionNote: true, PaymentConfirmation: true, Ticket: true, Account: true}}, "test")
	if err != nil {
		r.t.Fatal(err)
	}
}

// accessMails are the queued access mails to addr, oldest first.
func (r *rig) accessMails(addr string) []mailout.Entry {
	r.t.Helper()
	cur, err := r.db.Collection(mailout.OutboxCollection).Find(context.Background(), bson.D{{Key: "to", Value: addr}})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []mailout.Entry
	if err := cur.All(context.Background(), &out); err != nil {
		r.t.Fatal(err)
	}
	return out
}

// link is the set-password link of the newest access mail to addr.
func (r *rig) link(addr string) string {
	r.t.Helper()
	ms := r.accessMails(addr)
	if len(ms) == 0 {
		r.t.Fatalf("no access mail to %s", addr)
	}
	var d templates.PasswordReset
	if err := json.Unmarshal([]byte(ms[len(ms)-1].Data), &d); err != nil {
		r.t.Fatal(err)
	}
	return d.Link
}

// browser is a cookie-keeping client that does not follow redirects.
type client struct {
	t *testing.T
	c *http.Client
	r *rig
}

func (r *rig) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: r.t, r: r, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *client) get(path string) (*http.Response, string) {
	b.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = b.r.srv.URL + path
	}
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token of the forms on page.
func (b *client) csrf(page string) string {
	b.t.Helper()
	_, body := b.get(page)
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no csrf field on %s", page)
	}
	return m[1]
}

func (b *client) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.r.srv.URL+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// setPassword follows addr's newest link and sets pw.
func (b *client) setPassword(addr, pw string) {
	b.t.Helper()
	link := b.r.link(addr)
	u, _ := url.Parse(link)
	tok := b.csrf(link)
	resp, body := b.post(u.Path, url.Values{"csrf": {tok}, "client": {u.Query().Get("client")}, "token": {u.Query().Get("token")},
		"password": {pw}, "password2": {pw}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("set password: %d %s", resp.StatusCode, body)
	}
}

func (b *client) login(addr, pw string) *http.Response {
	b.t.Helper()
	tok := b.csrf("/portal/login")
	resp, _ := b.post("/portal/login", url.Values{"csrf": {tok}, "email": {addr}, "password": {pw}})
	return resp
}

// loggedIn makes a client with a password and a browser logged in as it.
func (r *rig) loggedIn(id, name, email, pw string) *client {
	r.t.Helper()
	r.addClient(id, name, email)
	if _, err := r.reg.Password(context.Background(), id, "test"); err != nil {
		r.t.Fatal(err)
	}
	b := r.client()
	b.setPassword(email, pw)
	if resp := b.login(email, pw); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/datos" {
		r.t.Fatalf("login: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return b
}

func sessionCount(t *testing.T, db *mongo.Database) int64 {
	n, err := db.Collection(web.CollSessions).CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
