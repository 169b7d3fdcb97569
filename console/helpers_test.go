package console_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"turno/agents"
	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
	"turno/mailin/parse"
	"turno/tickets"
)

const pw = "caballo correcto batería"

// env is a real daemon (not --dev) with [console] enabled, on the embedded
// store, its outbox relaying to a go-smtp server, and agents with console
// passwords: ana and carla (soporte), beto (ventas).
type env struct {
	t    *testing.T
	d    *daemon.Daemon
	base string
	smtp *testenv.SMTPServer
	n    int
}

func newEnv(t *testing.T) *env { return newEnvWith(t, nil) }

// newEnvWith is newEnv with cfg changed by tune first.
func newEnvWith(t *testing.T, tune func(*config.Config)) *env {
	t.Helper()
	srv := testenv.SMTP(t, nil)
	host, port, _ := net.SplitHostPort(srv.Addr)
	p, _ := strconv.Atoi(port)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Shutdown.GracePeriod = config.Duration(5 * time.Second)
	cfg.Outbox.Relays = []config.RelayConfig{{Host: host, Port: p, TLS: "none"}}
	cfg.Departments = map[string]config.DepartmentConfig{"soporte": {}, "ventas": {Name: "Ventas"}}
	cfg.Console.Enabled = true
	if tune != nil {
		tune(&cfg)
	}
	d, err := daemon.New(daemon.Options{Config: cfg, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	select {
	case <-d.Ready():
	case err := <-done:
		t.Fatalf("daemon stopped before ready: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("daemon not ready after 60s")
	}
	t.Cleanup(func() {
		d.Stop()
		if err := <-done; err != nil {
			t.Errorf("daemon stop: %v", err)
		}
	})
	e := &env{t: t, d: d, base: "http://" + d.HTTP.Addr(), smtp: srv}
	e.agent("ana@proveedor.cl", "Ana Rojas", "soporte")
	e.agent("carla@proveedor.cl", "Carla Díaz", "soporte")
	e.agent("beto@proveedor.cl", "Beto Soto", "ventas")
	return e
}

func (e *env) agent(email, name, dept string) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.d.Agents.Add(ctx, agents.Agent{Email: email, Name: name, Departments: []string{dept}}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.d.Agents.SetPassword(ctx, email, pw); err != nil {
		e.t.Fatal(err)
	}
}

// mail ingests a customer's mail into dept; inReplyTo threads it.
func (e *env) mail(dept, from, subject, inReplyTo string) tickets.Result {
	e.t.Helper()
	e.n++
	raw := fmt.Sprintf("Message-ID: <m%d-%d@cliente.cl>\r\nFrom: %s\r\nTo: %s@example.cl\r\nSubject: %s\r\n"+
		"Date: Tue, 01 Dec 2026 10:00:00 -0300\r\n", e.n, time.Now().UnixNano(), from, dept, subject)
	if inReplyTo != "" {
		raw += "In-Reply-To: <" + inReplyTo + ">\r\nReferences: <" + inReplyTo + ">\r\n"
	}
	raw += "\r\nHola, necesito ayuda con <b>esto</b>.\r\n"
	m, err := parse.Parse(bytes.NewReader([]byte(raw)), &parse.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.d.Tickets.Ingest(context.Background(), tickets.Incoming{Msg: m, RawHash: parse.RawHash([]byte(raw)),
		RawRef: "r", Mailbox: dept, Department: dept})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// thread is ticket n as stored (unscoped, for checking what changed).
func (e *env) thread(n int64) (*tickets.Ticket, []tickets.Message) {
	e.t.Helper()
	t, msgs, err := e.d.Tickets.Show(context.Background(), n)
	if err != nil {
		e.t.Fatal(err)
	}
	return t, msgs
}

// client is a cookie-keeping HTTP client that does not follow redirects.
type client struct {
	t *testing.T
	e *env
	c *http.Client
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *client) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.e.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func (b *client) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.e.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

var fieldRe = regexp.MustCompile(`name="(csrf|key|answers)" value="([^"]*)"`)

// fields are the hidden fields (csrf, key, answers) of the first form on
// page that has them.
func (b *client) fields(page string) url.Values {
	b.t.Helper()
	_, body := b.get(page)
	v := url.Values{}
	for _, m := range fieldRe.FindAllStringSubmatch(body, -1) {
		if v.Get(m[1]) == "" {
			v.Set(m[1], htmlUnescape(m[2]))
		}
	}
	if v.Get("csrf") == "" {
		b.t.Fatalf("no csrf field on %s:\n%s", page, body)
	}
	return v
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#43;", "+", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'").Replace(s)
}

func (b *client) login(email, password string) *http.Response {
	b.t.Helper()
	f := b.fields("/console/login")
	resp, _ := b.post("/console/login", url.Values{"csrf": {f.Get("csrf")}, "email": {email}, "password": {password}})
	return resp
}

func (e *env) loggedIn(email string) *client {
	e.t.Helper()
	b := e.client()
	if resp := b.login(email, pw); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/queue" {
		e.t.Fatalf("login %s: %d → %s", email, resp.StatusCode, resp.Header.Get("Location"))
	}
	return b
}

// with adds fields to a copy of v.
func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}
