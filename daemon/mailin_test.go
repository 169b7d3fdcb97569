package daemon_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/daemon"
	"turno/mailin"
)

type lit struct{ *bytes.Reader }

func (l lit) Size() int64 { return l.Reader.Size() }

// With --dev and no mailboxes the daemon watches the built-in mailbox: mail
// put there is stored and recorded, and /readyz names the mailbox.
func TestDevMailboxIsWatched(t *testing.T) {
	cfg := testConfig(t)
	cfg.Intake.LeaseTTL = 3_000_000_000
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	defer func() { d.Stop(); <-done }()
	msg := []byte("Message-ID: <dev1@cliente.cl>\r\nFrom: ana@cliente.cl\r\nSubject: Ayuda\r\n\r\nHola\r\n")
	if _, err := d.Dev.Mailbox.Append("INBOX", lit{bytes.NewReader(msg)}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := d.Store.DB.Collection(mailin.MessageCollection).CountDocuments(context.Background(),
			bson.D{{Key: "_id", Value: "mid:dev1@cliente.cl"}, {Key: "ingested", Value: true}})
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("dev mailbox message not taken in")
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, body := get(t, "http://"+d.HTTP.Addr()+"/readyz")
	if code != 200 || !strings.Contains(body, "mailbox:dev") {
		t.Fatalf("/readyz %d %s", code, body)
	}
}
