package agentmail_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/agentmail"
	"turno/agents"
	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/internal/testenv"
	"turno/mailin"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/msgid"
	"turno/store"
	"turno/templates"
	"turno/tickets"
)

var key = []byte("agentmail-test-hmac-key-of-32-bytes!")

const domain = "turno.example"

// directory maps customer addresses to their client (the clients
// registry's answer).
type directory map[string]string

func (d directory) Lookup(_ context.Context, addr string) ([]clients.Membership, error) {
	if c, ok := d[strings.ToLower(addr)]; ok {
		return []clients.Membership{{ClientID: c, Role: clients.RolePrincipal, ClientActive: true}}, nil
	}
	return nil, nil
}

type env struct {
	t      *testing.T
	db     *mongo.Database
	tk     *tickets.Service
	ag     *agents.Service
	raw    *mailin.RawStore
	ob     *mailout.Outbox
	smtp   *testenv.SMTPServer
	clk    *clock.Fake
	router *agentmail.Router
	reg    *prometheus.Registry
	seq    int
}

func newEnv(t *testing.T, mod func(*agentmail.Options)) *env {
	t.Helper()
	ctx := context.Background()
	db := testenv.DB(t)
	if err := store.EnsureIndexes(ctx, db, tickets.Indexes()); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, raw: mailin.NewRawStore(db), clk: clock.NewFake(time.Now().UTC()),
		smtp: testenv.SMTP(t, nil), reg: prometheus.NewRegistry()}
	host, port, _ := net.SplitHostPort(e.smtp.Addr)
	p, _ := strconv.Atoi(port)
	cfg := config.Default()
	cfg.Outbox.Relays = []config.RelayConfig{{Host: host, Port: p, TLS: "none"}}
	cfg.Outbox.SMTPTimeout = config.Duration(2 * time.Second)
	cfg.Outbox.PollInterval = config.Duration(50 * time.Millisecond)
	cfg.Mail.Domain = domain
	set, err := templates.Load(templates.Options{Company: templates.Company{Name: "Mi Proveedor SpA", SupportAddress: "soporte@turno.example"}})
	if err != nil {
		t.Fatal(err)
	}
	e.ob, err = mailout.New(mailout.Options{DB: db, Templates: set, Mail: cfg.Mail, Outbox: cfg.Outbox,
		MessageIDKey: key, Logger: testenv.Logger(t), Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ob.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.ob.Stop(ctx)
	})
	e.ag, err = agents.New(agents.Options{DB: db, Clock: e.clk, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []agents.Agent{
		{Email: "ana@turno.example", Name: "Ana Rojas", Departments: []string{"soporte"},
			Addresses: []string{"ana.rojas@gmail.com"}, Signature: "Ana Rojas\nMesa de ayuda"},
		{Email: "beto@turno.example", Name: "Beto Soto", Departments: []string{"ventas"}},
		{Email: "carla@turno.example", Name: "Carla Díaz", Departments: []string{"soporte"}},
		{Email: "dani@cliente.cl", Name: "Dani (also a customer)", Departments: []string{"soporte"}},
	} {
		if _, err := e.ag.Add(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.ag.Deactivate(ctx, "carla@turno.example"); err != nil {
		t.Fatal(err)
	}
	dir := directory{"maria@cliente.cl": "C1", "dani@cliente.cl": "C1"}
	e.tk, err = tickets.New(tickets.Options{DB: db, Directory: dir, Mailer: e.ob, Agents: e.ag, MessageIDKey: key,
		MailDomain: domain, DefaultSender: tickets.Sender{Name: "Soporte Mi Proveedor", Address: "soporte@turno.example"},
		Clock: e.clk, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	opts := agentmail.Options{DB: db, Tickets: e.tk, Agents: e.ag, Contacts: dir, Mailer: e.ob, Raw: e.raw,
		MessageIDKey: key, Domain: domain, OwnAddresses: []string{"soporte@turno.example"},
		Registerer: e.reg, Clock: e.clk, Logger: testenv.Logger(t)}
	if mod != nil {
		mod(&opts)
	}
	e.router, err = agentmail.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// customer opens a ticket from maria and returns it.
func (e *env) customer(body string) *tickets.Ticket {
	e.t.Helper()
	e.seq++
	raw := []byte(fmt.Sprintf("From: María Pérez <maria@cliente.cl>\r\nTo: soporte@turno.example\r\n"+
		"Subject: No puedo enviar correo\r\nMessage-ID: <c%d-%d@cliente.cl>\r\nDate: Mon, 16 Nov 2026 09:00:00 -0300\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", e.seq, time.Now().UnixNano(), body))
	m := e.parse(raw)
	res, err := e.tk.Ingest(context.Background(), tickets.Incoming{Msg: m, RawHash: parse.RawHash(raw),
		Mailbox: "soporte", Department: "soporte", ArrivedAt: e.clk.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	e.clk.Advance(time.Second)
	return e.ticket(res.Ticket)
}

func (e *env) ticket(n int64) *tickets.Ticket {
	e.t.Helper()
	t, err := e.tk.Peek(context.Background(), n)
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

// notice is a notification's Message-ID for agent about t as it is now.
func (e *env) notice(t *tickets.Ticket, agent string) string {
	last := ""
	if t.LastPublic != nil {
		last = msgid.Tag(t.LastPublic.Key)
	}
	return msgid.NewNotice(domain, t.Number, msgid.Tag(agent), last, key)
}

func (e *env) parse(raw []byte) *parse.Message {
	e.t.Helper()
	m, err := parse.Parse(bytes.NewReader(raw), &parse.Options{OwnAddresses: []string{"soporte@turno.example"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// agentMail is a mail answering ref, from from, with extra headers and a
// body (a quoted notification below it); attach adds a PDF.
type agentMail struct {
	from, ref, extra, body, id string
	attach                     bool
}

func (a agentMail) raw() []byte {
	var b bytes.Buffer
	id := a.id
	if id == "" {
		id = fmt.Sprintf("agent-%d@gmail.com", time.Now().UnixNano())
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: soporte@turno.example\r\nSubject: Re: [Ticket #1] Nuevo mensaje\r\n"+
		"Message-ID: <%s>\r\nDate: Mon, 16 Nov 2026 10:00:00 -0300\r\nIn-Reply-To: %s\r\nReferences: %s\r\n%sMIME-Version: 1.0\r\n",
		a.from, id, a.ref, a.ref, a.extra)
	text := a.body + "\r\n\r\nEl lun, 16 nov 2026 a las 9:05, Turno <soporte@turno.example> escribió:\r\n" +
		"> Nuevo mensaje de María Pérez en el ticket: TEXTO-DEL-AVISO\r\n> Responda a este correo.\r\n"
	if !a.attach {
		fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\n\r\n%s", text)
		return b.Bytes()
	}
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"+
		"--b1\r\nContent-Type: application/pdf; name=\"guia.pdf\"\r\nContent-Disposition: attachment; filename=\"guia.pdf\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7w=\r\n--b1--\r\n", text)
	return b.Bytes()
}

// route stores raw in the raw store and routes it.
func (e *env) route(raw []byte, mailbox string) (agentmail.Result, bool) {
	e.t.Helper()
	return e.routeAuth(raw, mailbox, "")
}

func (e *env) routeAuth(raw []byte, mailbox, auth string) (agentmail.Result, bool) {
	e.t.Helper()
	ctx := context.Background()
	h := parse.RawHash(raw)
	if _, err := e.raw.Put(ctx, h, int64(len(raw)), bytes.NewReader(raw), time.Now()); err != nil {
		e.t.Fatal(err)
	}
	res, handled, err := e.router.Route(ctx, agentmail.Mail{Msg: e.parse(raw), RawHash: h, Mailbox: mailbox,
		AgentAuth: auth, ArrivedAt: e.clk.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	return res, handled
}

// outbox lists what was enqueued, by template.
func (e *env) outbox(template string) []mailout.Entry {
	e.t.Helper()
	l, err := mailout.List(context.Background(), e.db, mailout.ListOptions{Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []mailout.Entry
	for _, x := range l {
		if x.Template == template {
			out = append(out, x)
		}
	}
	return out
}

func (e *env) count(result string) float64 {
	return testutil.ToFloat64(e.router.Counter().WithLabelValues(result))
}

func (e *env) thread(n int64) []tickets.Message {
	e.t.Helper()
	_, msgs, err := e.tk.Show(context.Background(), n)
	if err != nil {
		e.t.Fatal(err)
	}
	return msgs
}

func (e *env) held(n int64) []tickets.Message {
	e.t.Helper()
	l, err := e.tk.HeldItems(context.Background(), n, 50)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}
