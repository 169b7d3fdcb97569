package testenv

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// IMAPServer is a running go-imap in-memory server with one user.
type IMAPServer struct {
	Addr     string
	Username string
	Password string
	// User is the server-side account: append, create or delete mailboxes
	// through it to change what clients see (IDLE sessions are notified).
	User *imapmemserver.User
}

// IMAP starts an in-memory IMAP server on 127.0.0.1 with one user whose INBOX
// holds msgs (raw RFC 5322 messages), and stops it when the test ends.
func IMAP(t testing.TB, msgs ...[]byte) *IMAPServer {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("soporte@example.test", "secreto")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	s := &IMAPServer{Username: "soporte@example.test", Password: "secreto", User: user}
	for _, m := range msgs {
		s.Append(t, "INBOX", m)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	})
	return s
}

// Append adds a raw message to a mailbox. (imapmemserver panics on nil
// options, hence the empty ones.)
func (s *IMAPServer) Append(t testing.TB, mailbox string, msg []byte) {
	t.Helper()
	_, err := s.User.Append(mailbox, literal{bytes.NewReader(msg)}, &imap.AppendOptions{})
	if err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatalf("append to %s: %v", mailbox, err)
	}
}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }
