package mailout

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clock"
	"turno/config"
	"turno/internal/testenv"
	"turno/templates"
)

var t0 = time.Date(2026, 11, 16, 12, 0, 0, 0, time.UTC)

type rig struct {
	ob    *Outbox
	db    *mongo.Database
	clock *clock.Fake
	smtp  *testenv.SMTPServer
}

func relayFor(t testing.TB, addr string) config.RelayConfig {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return config.RelayConfig{Host: host, Port: p, TLS: "none"}
}

func loadTemplates(t testing.TB) *templates.Set {
	set, err := templates.Load(templates.Options{Company: templates.Company{Name: "Mi Proveedor SpA", SupportAddress: "soporte@example.cl"}})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// newRig starts an outbox on a fresh embedded store, sending to a scripted
// go-smtp server, with a fake clock.
func newRig(t *testing.T, script testenv.Script, tune func(*Options)) *rig {
	t.Helper()
	db := testenv.DB(t)
	srv := testenv.SMTP(t, script)
	fc := clock.NewFake(t0)
	cfg := config.Default()
	cfg.Outbox.Connections = 2
	cfg.Outbox.SMTPTimeout = config.Duration(2 * time.Second)
	cfg.Outbox.Relays = []config.RelayConfig{relayFor(t, srv.Addr)}
	opts := Options{DB: db, Templates: loadTemplates(t), Mail: cfg.Mail, Outbox: cfg.Outbox,
		MessageIDKey: []byte("test-key"), Clock: fc, Logger: testenv.Logger(t), Owner: "test"}
	if tune != nil {
		tune(&opts)
	}
	ob, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := ob.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ob.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return &rig{ob: ob, db: db, clock: fc, smtp: srv}
}

func ackMessage(key string, to ...string) Message {
	return Message{Key: key, Template: "ticket_ack", Lang: "es", To: to, Ticket: 10482,
		Data: templates.SampleData("ticket_ack"), AutoSubmitted: "auto-replied", Priority: PriorityTicket,
		ReplyTo: "soporte@example.cl"}
}

// waitState waits until entry id is in state want (checking on a short
// tick, never a fixed sleep), kicking the scanner each time.
func (r *rig) waitState(t *testing.T, id string, want State) *Entry {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		e, err := Get(context.Background(), r.db, id)
		if err != nil {
			t.Fatal(err)
		}
		if e.State == want {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("entry %s is %s (last error %q), want %s", id, e.State, e.LastError, want)
		}
		r.ob.Kick()
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *rig) enqueue(t *testing.T, m Message) string {
	t.Helper()
	id, err := r.ob.Enqueue(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func jsonOf(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
