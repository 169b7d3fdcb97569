package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
	"turno/mailin"
	"turno/mailin/parse"
	"turno/tickets"
)

func watched(srv *testenv.IMAPServer, name string) config.MailboxConfig {
	host, port, _ := net.SplitHostPort(srv.Addr)
	p, _ := strconv.Atoi(port)
	return config.MailboxConfig{Name: name, Host: host, Port: p, TLS: "none", Username: srv.Username,
		Password: srv.Password, Department: name, PollInterval: config.Duration(time.Hour)}
}

// Three different mails from a web form share one Message-ID: three
// tickets. Alice's mail, also delivered to the payments mailbox by another
// route, stays one ticket message.
func TestReusedMessageIDMakesTicketsAndSecondMailboxNone(t *testing.T) {
	form := func(from, body string) []byte {
		return []byte("Message-ID: <form-notification@webform.test>\r\nFrom: " + from + "\r\nTo: soporte@turno.test\r\n" +
			"Subject: Formulario de contacto\r\nDate: Wed, 02 Dec 2026 09:00:00 -0300\r\n\r\n" + body + "\r\n")
	}
	alice := form("alice@uno.cl", "Quiero contratar hosting.")
	soporte := testenv.IMAP(t, alice, form("bob@dos.cl", "Mi sitio está caído."), form("carol@tres.cl", "¿Tienen dominios .cl?"))
	pagos := testenv.IMAP(t, append([]byte("Received: from mx2.turno.test\r\nDelivered-To: pagos@turno.test\r\n"), alice...))
	cfg := testConfig(t)
	cfg.Intake.LeaseTTL = config.Duration(3 * time.Second)
	cfg.Mailboxes = []config.MailboxConfig{watched(soporte, "soporte"), watched(pagos, "pagos")}
	d, done := start(t, daemon.Options{Config: cfg})
	defer func() { d.Stop(); <-done }()
	ctx := context.Background()
	waitFor(t, "both copies of alice's mail recorded", func() bool {
		var e mailin.Entry
		err := d.Store.DB.Collection(mailin.MessageCollection).FindOne(ctx,
			bson.D{{Key: "_id", Value: "mid:form-notification@webform.test"}}).Decode(&e)
		return err == nil && len(e.Sources) == 2 && e.Ingested
	})
	var list []tickets.Ticket
	waitFor(t, "three tickets", func() bool {
		var err error
		list, err = d.Tickets.List(ctx, tickets.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(list) >= 3
	})
	got := map[string]bool{}
	for _, tk := range list {
		got[tk.Requester.Address] = true
	}
	if len(list) != 3 || !got["alice@uno.cl"] || !got["bob@dos.cl"] || !got["carol@tres.cl"] {
		t.Fatalf("tickets %+v", list)
	}
	n, err := d.Store.DB.Collection(tickets.CollMessages).CountDocuments(ctx, bson.D{})
	if err != nil || n != 3 {
		t.Fatalf("%d ticket messages (%v), want 3", n, err)
	}
}

// The attachment defect quarantined payment receipts with a marshal error.
// Once fixed, an operator's retry turns each into a ticket with its
// attachment listed.
func TestMessageQuarantinedByTheAttachmentDefectRetriesIntoATicket(t *testing.T) {
	cfg := testConfig(t)
	cfg.Intake.LeaseTTL = config.Duration(3 * time.Second)
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	defer func() { d.Stop(); <-done }()
	ctx := context.Background()
	raw := []byte("Message-ID: <comprobante-77@gmail.com>\r\nFrom: Pedro <pedro@gmail.com>\r\nTo: pagos@turno.test\r\n" +
		"Subject: Adjunto comprobante\r\nDate: Tue, 01 Dec 2026 18:00:00 -0300\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Adjunto comprobante de la transferencia.\r\n--b1\r\nContent-Type: application/pdf; name=\"comprobante.pdf\"\r\n" +
		"Content-Disposition: attachment; filename=\"comprobante.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"JVBERi0xLjQKJcOkw7w=\r\n--b1--\r\n")
	hash := parse.RawHash(raw)
	if _, err := mailin.NewRawStore(d.Store.DB).Put(ctx, hash, int64(len(raw)), bytes.NewReader(raw), time.Now()); err != nil {
		t.Fatal(err)
	}
	// What the defective build left: the raw bytes stored, the message held
	// in quarantine after its three attempts.
	q := mailin.Quarantined{ID: "dev/1/77", Mailbox: "dev", UIDValidity: 1, UID: 77, RawID: hash, Size: int64(len(raw)),
		Reason: "ingest", Attempts: 3, At: time.Now().Add(-time.Hour), State: mailin.QuarantineHeld,
		Error: "ingest: store message: cannot marshal type *tickets.Message to a BSON Document: " +
			"(struct tickets.Attach) inline fields must be a struct, a struct pointer, or a map"}
	if _, err := d.Store.DB.Collection(mailin.QuarantineCollection).InsertOne(ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := mailin.RequestRetry(ctx, d.Store.DB, q.ID); err != nil {
		t.Fatal(err)
	}
	// The watcher takes retries on its next pass; new mail starts one.
	wake := []byte("Message-ID: <wake@turno.test>\r\nFrom: ana@cliente.cl\r\nSubject: hola\r\n\r\nhola\r\n")
	if _, err := d.Dev.Mailbox.Append("INBOX", lit{bytes.NewReader(wake)}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	var m tickets.Message
	waitFor(t, "the receipt on a ticket", func() bool {
		err := d.Store.DB.Collection(tickets.CollMessages).FindOne(ctx,
			bson.D{{Key: "_id", Value: "comprobante-77@gmail.com"}}).Decode(&m)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			t.Fatal(err)
		}
		return err == nil
	})
	if m.Ticket == 0 || len(m.Attachments) != 1 || m.Attachments[0].Filename != "comprobante.pdf" || m.Attachments[0].Size != 14 {
		t.Fatalf("ticket message %+v", m)
	}
	waitFor(t, "the quarantine entry done", func() bool {
		l, err := mailin.ListQuarantine(ctx, d.Store.DB, mailin.QuarantineDone)
		if err != nil {
			t.Fatal(err)
		}
		return len(l) == 1 && l[0].ID == q.ID
	})
}
