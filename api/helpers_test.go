package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/agents"
	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/tickets"
)

const billingToken = "billing-token-for-tests-0123456789"

// env is a real daemon on a temp data directory with the embedded store,
// its outbox relaying to a go-smtp server, and three agents: ana and
// admin (soporte, admin sees all) and beto (ventas).
type env struct {
	t    *testing.T
	d    *daemon.Daemon
	base string
	smtp *testenv.SMTPServer
	// tokens by agent
	ana, beto, admin string
	n                int // messages ingested
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := testenv.SMTP(t, nil)
	host, port, _ := net.SplitHostPort(srv.Addr)
	p, _ := strconv.Atoi(port)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Dev.IMAPListen = "127.0.0.1:0"
	cfg.Dev.SMTPListen = "127.0.0.1:0"
	cfg.Shutdown.GracePeriod = config.Duration(5 * time.Second)
	cfg.Outbox.Relays = []config.RelayConfig{{Host: host, Port: p, TLS: "none"}}
	cfg.Billing.APIToken = billingToken
	cfg.Departments = map[string]config.DepartmentConfig{"soporte": {}, "ventas": {Name: "Ventas"}}
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
	e.ana = e.agent("ana@proveedor.cl", "Ana Rojas", agents.RoleAgent, "soporte")
	e.beto = e.agent("beto@proveedor.cl", "Beto Soto", agents.RoleAgent, "ventas")
	e.admin = e.agent("jefa@proveedor.cl", "Jefa", agents.RoleAdmin)
	return e
}

func (e *env) agent(email, name, role string, deps ...string) string {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.d.Agents.Add(ctx, agents.Agent{Email: email, Name: name, Role: role, Departments: deps}); err != nil {
		e.t.Fatal(err)
	}
	tok, _, err := e.d.Agents.CreateToken(ctx, email, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// mail ingests a customer's mail into soporte; inReplyTo threads it.
func (e *env) mail(from, subject, inReplyTo string) tickets.Result {
	e.t.Helper()
	e.n++
	raw := fmt.Sprintf("Message-ID: <m%d-%d@cliente.cl>\r\nFrom: %s\r\nTo: soporte@example.cl\r\nSubject: %s\r\n"+
		"Date: Tue, 01 Dec 2026 10:00:00 -0300\r\n", e.n, time.Now().UnixNano(), from, subject)
	if inReplyTo != "" {
		raw += "In-Reply-To: <" + inReplyTo + ">\r\nReferences: <" + inReplyTo + ">\r\n"
	}
	raw += "\r\nHola, necesito ayuda.\r\n"
	m, err := parse.Parse(bytes.NewReader([]byte(raw)), &parse.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.d.Tickets.Ingest(context.Background(), tickets.Incoming{Msg: m, RawHash: parse.RawHash([]byte(raw)),
		RawRef: "r", Mailbox: "soporte", Department: "soporte"})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

type resp struct {
	code   int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d %s: %v", r.code, r.body, err)
	}
}

// apiErr is the one error shape.
type apiErr struct {
	Error struct {
		Code, Message, Field string
		Newer                []struct {
			Key, From, Agent string
			ArrivedAt        time.Time `json:"arrived_at"`
		}
	}
}

func (r resp) err(t *testing.T) apiErr {
	t.Helper()
	var e apiErr
	r.json(t, &e)
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not the error shape: %d %s", r.code, r.body)
	}
	return e
}

// clientFrom sends requests from another loopback address (the whole of
// 127.0.0.0/8 is local): the failure limit is per client address.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// do sends a request; body is JSON-encoded unless it is a string or nil.
func (e *env) do(method, path, token string, body any, hdr ...string) resp {
	e.t.Helper()
	return e.doWith(http.DefaultClient, method, path, token, body, hdr...)
}

func (e *env) doWith(c *http.Client, method, path, token string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{code: r.StatusCode, header: r.Header, body: b}
}

// thread reads a ticket as the admin sees it, straight from the domain.
func (e *env) thread(n int64) *tickets.Thread {
	e.t.Helper()
	th, err := e.d.Tickets.Get(context.Background(), tickets.Actor{Email: "test", Admin: true}, n)
	if err != nil {
		e.t.Fatal(err)
	}
	return th
}

// replies counts ticket n's reply entries in the outbox.
func (e *env) outboxReplies(n int64) int64 {
	e.t.Helper()
	c, err := e.d.Store.DB.Collection(mailout.OutboxCollection).CountDocuments(context.Background(),
		bson.D{{Key: "template", Value: "ticket_reply"}, {Key: "ticket", Value: n}})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}
