package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/agents"
	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/internal/testenv"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/notify"
	"turno/store"
	"turno/templates"
	"turno/tickets"
)

var t0 = time.Date(2026, 11, 16, 12, 0, 0, 0, time.UTC)

var testKey = []byte("test-hmac-key-for-notifications!")

const domain = "turno.example"

type env struct {
	t      *testing.T
	db     *mongo.Database
	clk    *clock.Fake
	tk     *tickets.Service
	ag     *agents.Service
	ob     *mailout.Outbox
	smtp   *testenv.SMTPServer
	w      *notify.Worker
	actors map[string]tickets.Actor
	seq    int
}

// clientsStub answers the client glance the daemon builds from the
// registry and billing (not a store fake: a fixed table).
type clientsStub map[string]notify.ClientInfo

func (c clientsStub) ClientInfo(_ context.Context, id string) (*notify.ClientInfo, error) {
	if ci, ok := c[id]; ok {
		return &ci, nil
	}
	return nil, nil
}

// directory: maria@cliente.cl is the principal contact of client C1.
type directory struct{}

func (directory) Lookup(_ context.Context, addr string) ([]clients.Membership, error) {
	if addr == "maria@cliente.cl" {
		return []clients.Membership{{ClientID: "C1", Role: clients.RolePrincipal, ClientActive: true, SupportTier: "premium"}}, nil
	}
	return nil, nil
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db := testenv.DB(t)
	if err := store.EnsureIndexes(ctx, db, tickets.Indexes()); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, clk: clock.NewFake(t0), actors: map[string]tickets.Actor{}}
	e.smtp = testenv.SMTP(t, nil)
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
		MessageIDKey: testKey, Logger: testenv.Logger(t), Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	e.ag, err = agents.New(agents.Options{DB: db, Departments: []string{"soporte", "ventas"}, Clock: e.clk, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []agents.Agent{
		{Email: "ana@turno.example", Name: "Ana Rojas", Departments: []string{"soporte"}},
		{Email: "beto@turno.example", Name: "Beto Soto", Departments: []string{"soporte"}, Addresses: []string{"beto.soto@gmail.com"}, Lang: "en"},
		{Email: "carla@turno.example", Name: "Carla Díaz", Departments: []string{"ventas"}},
		{Email: "dora@turno.example", Name: "Dora Jefa", Role: agents.RoleAdmin, Departments: []string{"soporte"}},
		{Email: "eva@turno.example", Name: "Eva Admin", Role: agents.RoleAdmin},
	} {
		got, err := e.ag.Add(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		e.actors[got.Email] = got.Actor()
	}
	senders := map[string]tickets.Sender{
		"soporte": {Name: "Soporte Mi Proveedor", Address: "soporte@turno.example"},
		"ventas":  {Name: "Ventas Mi Proveedor", Address: "ventas@turno.example"},
	}
	e.tk, err = tickets.New(tickets.Options{DB: db, Directory: directory{}, Mailer: e.ob, MessageIDKey: testKey, Agents: e.ag,
		Senders: senders, DefaultSender: tickets.Sender{Name: "Mi Proveedor", Address: "hola@turno.example"},
		MailDomain: domain, Clock: e.clk, Logger: testenv.Logger(t), AutoReplyBudget: -1})
	if err != nil {
		t.Fatal(err)
	}
	e.w = e.worker()
	return e
}

func (e *env) worker() *notify.Worker {
	w, err := notify.New(notify.Options{DB: e.db, Tickets: e.tk, Agents: e.ag, Mailer: e.ob,
		Clients: clientsStub{"C1": {Name: "Comercial Los Andes SpA", Tier: "premium", UnpaidCount: 2, UnpaidBalance: 58490}},
		Sender: func(d string) (string, string) {
			if d == "ventas" {
				return "Ventas Mi Proveedor", "ventas@turno.example"
			}
			return "Soporte Mi Proveedor", "soporte@turno.example"
		},
		MailDomain: domain, MessageIDKey: testKey, Clock: e.clk, Logger: testenv.Logger(e.t)})
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

// customer mails support: a new ticket (ticket 0) or an answer on one.
func (e *env) customer(ticket int64, extra, body string) tickets.Result {
	e.t.Helper()
	e.seq++
	subject := "No puedo enviar correo"
	if ticket > 0 {
		subject = fmt.Sprintf("Re: [Ticket #%d] No puedo enviar correo", ticket)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: María Pérez <maria@cliente.cl>\r\nTo: soporte@turno.example\r\nSubject: %s\r\n"+
		"Date: Mon, 16 Nov 2026 09:00:00 -0300\r\nMessage-ID: <m%d@cliente.cl>\r\n%s"+
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", subject, e.seq, extra, body)
	m, err := parse.Parse(bytes.NewReader(b.Bytes()), &parse.Options{OwnAddresses: []string{"soporte@turno.example"}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.clk.Advance(time.Minute)
	res, err := e.tk.Ingest(context.Background(), tickets.Incoming{Msg: m, RawHash: parse.RawHash(b.Bytes()),
		RawRef: "raw", Mailbox: "soporte", Department: "soporte", ArrivedAt: e.clk.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *env) step() {
	e.t.Helper()
	if err := e.w.Step(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// sent is every notification in the outbox: agent → entries, oldest first.
type entry struct {
	Key       string   `bson:"_id"`
	To        []string `bson:"to"`
	Template  string   `bson:"template"`
	Lang      string   `bson:"lang"`
	Data      string   `bson:"data"`
	MessageID string   `bson:"message_id"`
	ReplyTo   string   `bson:"reply_to"`
	Ticket    int64    `bson:"ticket"`
}

func (e *env) notifications() []entry {
	e.t.Helper()
	cur, err := e.db.Collection("outbox").Find(context.Background(), bson.D{{Key: "template", Value: "agent_notification"}},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []entry
	if err := cur.All(context.Background(), &out); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (en entry) data(t *testing.T) templates.AgentNotification {
	var d templates.AgentNotification
	if err := json.Unmarshal([]byte(en.Data), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// who lists, per event kind, the agents notified, sorted.
func (e *env) who() map[string][]string {
	out := map[string][]string{}
	for _, n := range e.notifications() {
		d := n.data(e.t)
		out[d.Event] = append(out[d.Event], n.To...)
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

func wantWho(t *testing.T, got map[string][]string, kind string, want ...string) {
	t.Helper()
	slices.Sort(want)
	if !slices.Equal(got[kind], want) {
		t.Fatalf("%s notified %v, want %v", kind, got[kind], want)
	}
}
