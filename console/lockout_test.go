package console_test

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

	"turno/agents"
	"turno/config"
	"turno/console"
	"turno/daemon"
	"turno/internal/devserve"
	"turno/internal/testenv"
	"turno/mailout"
	"turno/store"
	"turno/templates"
	"turno/tickets"
	"turno/web"
)

// Twenty failed console logins lock the agent's address and mail the
// agent once (login_locked, the console's variant: no link, ask an
// administrator); an address that is no agent's gets nothing.
func TestConsoleLockoutMailsTheAgentOnce(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	if err := store.EnsureIndexes(ctx, db, append(mailout.Indexes(), tickets.Indexes()...)); err != nil {
		t.Fatal(err)
	}
	set, err := templates.Load(templates.Options{Company: templates.Company{Name: "Mi Proveedor SpA", SupportAddress: "soporte@example.cl"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	ob, err := mailout.New(mailout.Options{DB: db, Templates: set, Mail: cfg.Mail, Outbox: cfg.Outbox,
		MessageIDKey: []byte("k"), Logger: testenv.Logger(t), Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := agents.New(agents.Options{DB: db, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ag.Add(ctx, agents.Agent{Email: "ana@proveedor.cl", Name: "Ana Rojas", Departments: []string{"soporte"}}); err != nil {
		t.Fatal(err)
	}
	tk, err := tickets.New(tickets.Options{DB: db, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := console.New(console.Options{DB: db, Agents: ag, Tickets: tk, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	c.MailLockouts(ob, "https://soporte.example.cl/console/")
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(srv.URL + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(page))
	if m == nil {
		t.Fatal("no csrf on the login page")
	}
	for _, addr := range []string{"ana@proveedor.cl", "nadie@proveedor.cl"} {
		for range web.Lockout + 2 {
			resp, err := hc.PostForm(srv.URL+"/console/login", url.Values{"csrf": {m[1]}, "email": {addr}, "password": {"no es la clave"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	cur, err := db.Collection(mailout.OutboxCollection).Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var es []mailout.Entry
	if err := cur.All(ctx, &es); err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Template != "login_locked" || len(es[0].To) != 1 || es[0].To[0] != "ana@proveedor.cl" || es[0].Sensitive {
		t.Fatalf("lockout mails: %+v", es)
	}
	var d templates.LoginLocked
	if err := json.Unmarshal([]byte(es[0].Data), &d); err != nil {
		t.Fatal(err)
	}
	if d.Where != "console" || d.Link != "" || d.Login != "ana@proveedor.cl" || d.Until.IsZero() {
		t.Fatalf("mail data %+v", d)
	}
	r, err := set.Render("login_locked", "es", d)
	if err != nil || !strings.Contains(r.Text, "turno agents password") {
		t.Fatalf("rendered: %v\n%s", err, r.Text)
	}
}

// The daemon wires the lockout mail: on a --dev daemon, the dev agent
// locked out of the console gets login_locked through the outbox.
func TestDaemonConsoleLockoutMailsTheAgent(t *testing.T) {
	s := devserve.Start(t)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(s.Base + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(page))
	if m == nil {
		t.Fatal("no csrf on the login page")
	}
	for range web.Lockout + 1 {
		resp, err := hc.PostForm(s.Base+"/console/login", url.Values{"csrf": {m[1]}, "email": {daemon.DevAgent}, "password": {"no es la clave"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	n, err := s.D.Store.DB.Collection(mailout.OutboxCollection).CountDocuments(context.Background(),
		bson.D{{Key: "template", Value: "login_locked"}, {Key: "to", Value: daemon.DevAgent}})
	if err != nil || n != 1 {
		t.Fatalf("login_locked mails to the dev agent: %d %v", n, err)
	}
}
