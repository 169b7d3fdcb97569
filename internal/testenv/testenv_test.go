package testenv_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/internal/testenv"
)

func sampleMessage(id string) []byte {
	return []byte("From: Cliente <cliente@example.cl>\r\nTo: soporte@example.test\r\n" +
		"Subject: Consulta " + id + "\r\nMessage-ID: <" + id + "@example.cl>\r\n" +
		"Date: Mon, 16 Nov 2026 10:00:00 -0300\r\n\r\nHola, necesito ayuda.\r\n")
}

// fetchAll logs in, selects INBOX and returns every message body by UID.
func fetchAll(t *testing.T, addr, user, pass string) map[imap.UID][]byte {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("select: %v", err)
	}
	uids := imap.UIDSet{}
	uids.AddRange(1, 0) // 1:*
	msgs, err := c.Fetch(uids, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	out := map[imap.UID][]byte{}
	for _, m := range msgs {
		for _, b := range m.BodySection {
			out[m.UID] = b.Bytes
		}
	}
	return out
}

func TestIMAPServerServesMessages(t *testing.T) {
	s := testenv.IMAP(t, sampleMessage("a1"))
	s.Append(t, "INBOX", sampleMessage("a2"))
	got := fetchAll(t, s.Addr, s.Username, s.Password)
	if len(got) != 2 || !bytes.Contains(got[2], []byte("Consulta a2")) {
		t.Fatalf("got %d messages: %q", len(got), got[2])
	}
}

func TestStoreGivesEachTestItsOwnDatabase(t *testing.T) {
	db := testenv.DB(t)
	if db.Name() != "t_TestStoreGivesEachTestItsOwnDatabase" {
		t.Fatalf("database %q", db.Name())
	}
	ctx := context.Background()
	if _, err := db.Collection("c").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	n, err := db.Collection("c").CountDocuments(ctx, bson.D{})
	if err != nil || n != 1 {
		t.Fatalf("count %d, %v", n, err)
	}
}

func send(addr, from string, to []string, body string) error {
	return smtp.SendMail(addr, nil, from, to, []byte(body))
}

func TestSMTPServerScriptedReplies(t *testing.T) {
	calls := 0
	s := testenv.SMTP(t, func(c testenv.Cmd) testenv.Reply {
		switch {
		case c.Step == testenv.StepRcpt && strings.HasPrefix(c.Arg, "nadie@"):
			return testenv.Reply{Code: 550, Enhanced: "5.1.1", Message: "no such user"}
		case c.Step == testenv.StepData && c.N == 0 && calls == 0:
			calls++
			return testenv.Reply{Code: 451, Enhanced: "4.3.0", Message: "try later"}
		}
		return testenv.Reply{}
	})
	err := send(s.Addr, "turno@example.cl", []string{"a@example.cl"}, "Subject: x\r\n\r\nbody\r\n")
	if err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("first DATA: got %v, want 451", err)
	}
	if err := send(s.Addr, "turno@example.cl", []string{"a@example.cl"}, "Subject: x\r\n\r\nbody\r\n"); err != nil {
		t.Fatalf("retry: %v", err)
	}
	err = send(s.Addr, "turno@example.cl", []string{"nadie@example.cl"}, "Subject: y\r\n\r\nbody\r\n")
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("rejected rcpt: got %v", err)
	}
	got := s.WaitFor(1, 5*time.Second)
	if len(got) != 1 || got[0].To[0] != "a@example.cl" || !bytes.Contains(got[0].Data, []byte("body")) {
		t.Fatalf("received %+v", got)
	}
}

func TestSMTPServerDisconnectAndSlow(t *testing.T) {
	s := testenv.SMTP(t, func(c testenv.Cmd) testenv.Reply {
		if c.Step == testenv.StepMail && c.Arg == "drop@example.cl" {
			return testenv.Reply{Disconnect: true}
		}
		if c.Step == testenv.StepMail && c.Arg == "slow@example.cl" {
			return testenv.Reply{Delay: 2 * time.Second}
		}
		return testenv.Reply{}
	})
	if err := send(s.Addr, "drop@example.cl", []string{"a@example.cl"}, "x"); err == nil {
		t.Fatal("want error from dropped connection")
	}
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(300 * time.Millisecond))
	err = c.Mail("slow@example.cl")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("slow reply: got %v, want a client timeout", err)
	}
	if n := len(s.Received()); n != 0 {
		t.Fatalf("received %d", n)
	}
}

// The real external servers: these run in CI (scripts/test.sh starts them)
// and skip on a laptop without them.

func TestDovecotAppendAndFetch(t *testing.T) {
	d := testenv.RequireDovecot(t)
	c, err := imapclient.DialInsecure(d.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(d.User, d.Password).Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	folder := fmt.Sprintf("plumbing-%d", time.Now().UnixNano())
	if err := c.Create(folder, nil).Wait(); err != nil {
		t.Fatalf("create: %v", err)
	}
	defer func() { _ = c.Delete(folder).Wait() }()
	msg := sampleMessage("dovecot-plumbing")
	cmd := c.Append(folder, int64(len(msg)), nil)
	if _, err := cmd.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("append: %v", err)
	}
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	uids := imap.UIDSet{}
	uids.AddRange(1, 0)
	msgs, err := c.Fetch(uids, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || !bytes.Contains(msgs[0].BodySection[0].Bytes, []byte("Consulta dovecot-plumbing")) {
		t.Fatalf("fetched %d messages", len(msgs))
	}
}

func TestSMTPSinkAcceptsMail(t *testing.T) {
	addr := testenv.RequireSMTPSink(t)
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("turno.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("turno@example.cl"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("cliente@example.cl"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(sampleMessage("sink")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("smtp-sink did not accept the message: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}
