package tickets_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clients"
	"turno/clock"
	"turno/internal/testenv"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/store"
	"turno/tickets"
)

var t0 = time.Date(2026, 11, 16, 12, 0, 0, 0, time.UTC)

var testKey = []byte("test-hmac-key")

// recorder is the outbox as far as tickets can tell: idempotent by Key.
type recorder struct {
	mu   sync.Mutex
	byKy map[string]mailout.Message
	all  []mailout.Message
}

func (r *recorder) Enqueue(_ context.Context, m mailout.Message) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byKy == nil {
		r.byKy = map[string]mailout.Message{}
	}
	if _, ok := r.byKy[m.Key]; ok {
		return m.Key, nil
	}
	r.byKy[m.Key] = m
	r.all = append(r.all, m)
	return m.Key, nil
}

func (r *recorder) sent() []mailout.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]mailout.Message(nil), r.all...)
}

// directory maps addresses to memberships.
type directory map[string][]clients.Membership

func (d directory) Lookup(_ context.Context, addr string) ([]clients.Membership, error) {
	return d[strings.ToLower(addr)], nil
}

func member(client, tier string) []clients.Membership {
	return []clients.Membership{{ClientID: client, Role: clients.RolePrincipal, ClientActive: true, SupportTier: tier}}
}

type env struct {
	t   *testing.T
	db  *mongo.Database
	svc *tickets.Service
	clk *clock.Fake
	out *recorder
	dir directory
}

func newEnv(t *testing.T, mod func(*tickets.Options)) *env {
	t.Helper()
	db := testenv.DB(t)
	ctx := context.Background()
	if err := store.EnsureIndexes(ctx, db, tickets.Indexes()); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, clk: clock.NewFake(t0), out: &recorder{}, dir: directory{
		"maria@cliente.cl":   member("C1", "standard"),
		"jorge@cliente.cl":   member("C1", "standard"),
		"ana@premium.cl":     member("C2", "premium"),
		"robot@autoresp.cl":  member("C3", ""),
		"inactivo@viejo.cl":  {{ClientID: "C4", Role: clients.RolePrincipal, ClientActive: false}},
		"soporte@cliente.cl": member("C1", ""),
	}}
	opts := tickets.Options{DB: db, Directory: e.dir, Mailer: e.out, MessageIDKey: testKey,
		Clock: e.clk, Logger: testenv.Logger(t)}
	if mod != nil {
		mod(&opts)
	}
	svc, err := tickets.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

// mail is a message to build and parse.
type mail struct {
	from, subject, id, inReplyTo, refs, extra, body string
}

func (m mail) raw() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: soporte@turno.example\r\nSubject: %s\r\nDate: Mon, 16 Nov 2026 09:00:00 -0300\r\n", m.from, m.subject)
	if m.id != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", m.id)
	}
	if m.inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: %s\r\n", m.inReplyTo)
	}
	if m.refs != "" {
		fmt.Fprintf(&b, "References: %s\r\n", m.refs)
	}
	b.WriteString(m.extra)
	body := m.body
	if body == "" {
		body = "Hola, necesito ayuda."
	}
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", body)
	return b.Bytes()
}

func parseRaw(t *testing.T, raw []byte) *parse.Message {
	t.Helper()
	m, err := parse.Parse(bytes.NewReader(raw), &parse.Options{OwnAddresses: []string{"soporte@turno.example"}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (e *env) incoming(raw []byte, mailbox string) tickets.Incoming {
	return tickets.Incoming{Msg: parseRaw(e.t, raw), RawHash: parse.RawHash(raw), RawRef: "raw-" + mailbox,
		Mailbox: mailbox, Department: "soporte", ArrivedAt: e.clk.Now()}
}

func (e *env) ingest(raw []byte) tickets.Result {
	e.t.Helper()
	return e.ingestIn(e.incoming(raw, "soporte"))
}

func (e *env) ingestIn(in tickets.Incoming) tickets.Result {
	e.t.Helper()
	res, err := e.svc.Ingest(context.Background(), in)
	if err != nil {
		e.t.Fatalf("ingest: %v", err)
	}
	return res
}

func (e *env) file(name string) []byte {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) count(coll string, filter bson.D) int64 {
	e.t.Helper()
	n, err := e.db.Collection(coll).CountDocuments(context.Background(), filter)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) ticket(n int64) *tickets.Ticket {
	e.t.Helper()
	tk, _, err := e.svc.Show(context.Background(), n)
	if err != nil {
		e.t.Fatal(err)
	}
	return tk
}

func want[T comparable](t *testing.T, what string, got, exp T) {
	t.Helper()
	if got != exp {
		t.Fatalf("%s = %v, want %v", what, got, exp)
	}
}
