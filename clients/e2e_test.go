package clients

import (
	"bytes"
	"context"
	"io"
	"net"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"turno/clock"
	"turno/config"
	"turno/internal/testenv"
	"turno/mailout"
	"turno/store"
	"turno/templates"
)

// textPart returns the decoded text/plain part of a raw message.
func textPart(t *testing.T, raw []byte) string {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				return string(b)
			}
		}
	}
	t.Fatal("no text/plain part")
	return ""
}

// TestPasswordThroughOutboxToSMTP runs the password flow end to end: the
// registry enqueues in the real outbox, which renders and delivers to the
// in-process go-smtp server; the link in the mail works once against the
// stored hash, and afterwards neither the token nor the mail body is left
// in the database.
func TestPasswordThroughOutboxToSMTP(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	srv := testenv.SMTP(t, nil)
	clk := clock.NewFake(t0)
	if err := store.EnsureIndexes(ctx, db, append(Indexes(), mailout.Indexes()...)); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(srv.Addr)
	p, _ := strconv.Atoi(port)
	cfg := config.Default()
	cfg.Outbox.Relays = []config.RelayConfig{{Host: host, Port: p, TLS: "none"}}
	cfg.Outbox.SMTPTimeout = config.Duration(5 * time.Second)
	set, err := templates.Load(templates.Options{Company: templates.Company{Name: "Mi Proveedor SpA", SupportAddress: "soporte@example.cl"}})
	if err != nil {
		t.Fatal(err)
	}
	var reg *Registry
	ob, err := mailout.New(mailout.Options{DB: db, Templates: set, Mail: cfg.Mail, Outbox: cfg.Outbox,
		MessageIDKey: []byte("k"), Clock: clk, Logger: testenv.Logger(t), Owner: "test", OptOuts: optOutsOf(&reg)})
	if err != nil {
		t.Fatal(err)
	}
	reg = New(Options{DB: db, Clock: clk, Logger: testenv.Logger(t), Mailer: ob,
		Access: AccessOptions{PortalURL: "https://clientes.example.cl/", TokenTTL: time.Hour}})
	if err := ob.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = ob.Stop(sctx)
	})
	mustAdd(t, reg, completeClient("A", "Ana@Example.cl"))
	if err := reg.AddContact(ctx, "A", Contact{Address: "pagos@example.cl", Role: RoleBilling}, "op"); err != nil {
		t.Fatal(err)
	}
	id, err := reg.Password(ctx, "A", "op")
	if err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(1, 20*time.Second)
	if len(got) != 1 {
		t.Fatalf("%d messages reached the SMTP server", len(got))
	}
	if len(got[0].To) != 1 || got[0].To[0] != "ana@example.cl" {
		t.Fatalf("sent to %v; want the principal address only", got[0].To)
	}
	body := textPart(t, got[0].Data)
	if !bytes.Contains(got[0].Data, []byte("Auto-Submitted: auto-generated")) {
		t.Fatal("no Auto-Submitted header")
	}
	link := regexp.MustCompile(`https://clientes\.example\.cl/set-password\?\S+`).FindString(body)
	if link == "" {
		t.Fatalf("no link in the mail:\n%s", body)
	}
	client, token := tokenFromLink(t, link)
	if client != "A" {
		t.Fatalf("link names client %q", client)
	}
	// The entry is final (sent) and its body purged.
	deadline := time.Now().Add(20 * time.Second)
	for {
		e, err := mailout.Get(ctx, db, id)
		if err != nil {
			t.Fatal(err)
		}
		if e.State == mailout.StateSent && e.Purged {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("entry %s: state %s purged %v", id, e.State, e.Purged)
		}
		ob.Kick()
		time.Sleep(5 * time.Millisecond)
	}
	if n := leakedFragment(t, reg, token); n != "" {
		t.Fatalf("the token is left in the database after sending (found %q)", n)
	}
	if err := reg.RedeemToken(ctx, "A", token); err != nil {
		t.Fatalf("the mailed link does not work: %v", err)
	}
	if err := reg.RedeemToken(ctx, "A", token); err == nil {
		t.Fatal("the link worked twice")
	}
}

// optOutsOf lets the outbox ask a registry built after it.
type lateOptOuts struct{ r **Registry }

func (l lateOptOuts) MailAllowed(ctx context.Context, clientID, kind string) (bool, error) {
	return (*l.r).MailAllowed(ctx, clientID, kind)
}

func optOutsOf(r **Registry) mailout.OptOuts { return lateOptOuts{r} }

// The registry is the outbox's opt-out hook as is.
var _ mailout.OptOuts = (*Registry)(nil)
