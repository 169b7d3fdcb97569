package testenv

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Step names the SMTP command a Script is asked about.
type Step string

// The steps a Script can answer.
const (
	StepMail Step = "MAIL"
	StepRcpt Step = "RCPT"
	StepData Step = "DATA" // after the message body was received
)

// Cmd is one client command as the script sees it.
type Cmd struct {
	Step Step
	Arg  string // sender for MAIL, recipient for RCPT, "" for DATA
	// N counts messages accepted so far by the whole server (0 for the first).
	N int
}

// Reply is what the server does with a command. The zero Reply accepts.
type Reply struct {
	Code     int    // e.g. 451, 550; 0 accepts
	Enhanced string // e.g. "4.3.0"; default derived from Code
	Message  string
	// Delay before answering: with a client timeout shorter than Delay the
	// server looks hung.
	Delay time.Duration
	// Disconnect drops the TCP connection instead of answering.
	Disconnect bool
}

// Script decides each reply; nil accepts everything.
type Script func(Cmd) Reply

// Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	Data []byte
}

// SMTPServer is a running go-smtp server recording what it accepts.
type SMTPServer struct {
	Addr string

	mu       sync.Mutex
	script   Script
	received []Received
	signal   chan struct{}
}

// SMTP starts a go-smtp server on 127.0.0.1 that answers as script says and
// records every accepted message. AUTH PLAIN is offered without TLS and any
// credentials are accepted.
func SMTP(t testing.TB, script Script) *SMTPServer {
	t.Helper()
	s := &SMTPServer{script: script, signal: make(chan struct{}, 1)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: s, conn: c.Conn()}, nil
	}))
	srv.Domain = "sink.test"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 64 << 20
	srv.MaxRecipients = 1000
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// SetScript replaces the script for later commands.
func (s *SMTPServer) SetScript(script Script) {
	s.mu.Lock()
	s.script = script
	s.mu.Unlock()
}

// Received returns a copy of what was accepted so far.
func (s *SMTPServer) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// WaitFor blocks until at least n messages were accepted or timeout passes,
// and returns what was accepted. It does not sleep: it wakes on each message.
func (s *SMTPServer) WaitFor(n int, timeout time.Duration) []Received {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if r := s.Received(); len(r) >= n {
			return r
		}
		select {
		case <-s.signal:
		case <-deadline.C:
			return s.Received()
		}
	}
}

func (s *SMTPServer) answer(cmd Cmd) Reply {
	s.mu.Lock()
	script := s.script
	cmd.N = len(s.received)
	s.mu.Unlock()
	if script == nil {
		return Reply{}
	}
	return script(cmd)
}

type smtpSession struct {
	srv  *SMTPServer
	conn net.Conn
	from string
	to   []string
}

var errDropped = errors.New("connection dropped by script")

func (ss *smtpSession) do(cmd Cmd) error {
	r := ss.srv.answer(cmd)
	if r.Delay > 0 {
		time.Sleep(r.Delay)
	}
	if r.Disconnect {
		_ = ss.conn.Close()
		return errDropped
	}
	if r.Code == 0 {
		return nil
	}
	enh := smtp.EnhancedCode{r.Code / 100, 0, 0}
	if r.Enhanced != "" {
		var a, b, c int
		if n, _ := fmt.Sscanf(r.Enhanced, "%d.%d.%d", &a, &b, &c); n == 3 {
			enh = smtp.EnhancedCode{a, b, c}
		}
	}
	msg := r.Message
	if msg == "" {
		msg = "scripted reply"
	}
	return &smtp.SMTPError{Code: r.Code, EnhancedCode: enh, Message: msg}
}

func (ss *smtpSession) AuthMechanisms() []string { return []string{"PLAIN"} }

func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error { return nil }), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if err := ss.do(Cmd{Step: StepMail, Arg: from}); err != nil {
		return err
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.do(Cmd{Step: StepRcpt, Arg: to}); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ss.do(Cmd{Step: StepData}); err != nil {
		return err
	}
	ss.srv.mu.Lock()
	ss.srv.received = append(ss.srv.received, Received{From: ss.from, To: ss.to, Data: data})
	ss.srv.mu.Unlock()
	select {
	case ss.srv.signal <- struct{}{}:
	default:
	}
	return nil
}

func (ss *smtpSession) Reset() { ss.from, ss.to = "", nil }

func (ss *smtpSession) Logout() error { return nil }
