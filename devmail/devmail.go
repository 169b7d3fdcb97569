// Package devmail runs the mail servers of `turno serve --dev`: a go-imap
// in-memory IMAP server holding the support mailbox, and a go-smtp server that
// writes every message it receives as a .eml file, so a newcomer can point any
// mail client at Turno and see what it would send. Both listen on loopback
// only and keep nothing but those files: the IMAP mailbox starts empty at
// every start.
package devmail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure the dev servers.
type Options struct {
	IMAPAddr string // e.g. 127.0.0.1:1143
	SMTPAddr string // e.g. 127.0.0.1:1025
	User     string // login for both servers
	Password string
	// MailDir receives one .eml file per message the SMTP server accepts.
	MailDir string
	Logger  *slog.Logger
}

// Servers are the running dev servers.
type Servers struct {
	IMAPAddr string
	SMTPAddr string
	// Mailbox is the support account on the IMAP server.
	Mailbox *imapmemserver.User

	imap *imapserver.Server
	smtp *smtp.Server
	seq  atomic.Int64
}

// Start listens on both addresses. On error nothing is left running.
func Start(opts Options) (*Servers, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(opts.MailDir, 0o750); err != nil {
		return nil, fmt.Errorf("dev mail directory: %w", err)
	}
	s := &Servers{}
	mem := imapmemserver.New()
	s.Mailbox = imapmemserver.NewUser(opts.User, opts.Password)
	if err := s.Mailbox.Create("INBOX", nil); err != nil {
		return nil, err
	}
	mem.AddUser(s.Mailbox)
	s.imap = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
	})
	imapLn, err := net.Listen("tcp", opts.IMAPAddr)
	if err != nil {
		return nil, fmt.Errorf("dev IMAP server on %s: %w", opts.IMAPAddr, err)
	}
	smtpLn, err := net.Listen("tcp", opts.SMTPAddr)
	if err != nil {
		_ = imapLn.Close()
		return nil, fmt.Errorf("dev SMTP server on %s: %w", opts.SMTPAddr, err)
	}
	s.IMAPAddr, s.SMTPAddr = imapLn.Addr().String(), smtpLn.Addr().String()

	s.smtp = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, opts: opts}, nil
	}))
	s.smtp.Domain = "turno.dev"
	s.smtp.AllowInsecureAuth = true
	s.smtp.ReadTimeout, s.smtp.WriteTimeout = time.Minute, time.Minute
	s.smtp.MaxMessageBytes = 50 << 20

	go func() {
		if err := s.imap.Serve(imapLn); err != nil && !errors.Is(err, net.ErrClosed) {
			opts.Logger.Error("dev IMAP server stopped", "err", err)
		}
	}()
	go func() {
		if err := s.smtp.Serve(smtpLn); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			opts.Logger.Error("dev SMTP server stopped", "err", err)
		}
	}()
	return s, nil
}

// Close stops both servers.
func (s *Servers) Close() error {
	return errors.Join(s.smtp.Close(), s.imap.Close())
}

type session struct {
	srv  *Servers
	opts Options
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.opts.User || pass != ss.opts.Password {
			return errors.New("invalid credentials")
		}
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error { ss.from = from; return nil }

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error { ss.to = append(ss.to, to); return nil }

// Data writes the message to MailDir with its envelope in X-Dev-* headers, by
// writing a temp file and renaming it, so a reader never sees half a file.
func (ss *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "X-Dev-Envelope-From: %s\r\n", ss.from)
	for _, to := range ss.to {
		fmt.Fprintf(&buf, "X-Dev-Envelope-To: %s\r\n", to)
	}
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%04d.eml", time.Now().UTC().Format("20060102T150405.000000000"), ss.srv.seq.Add(1))
	tmp := filepath.Join(ss.opts.MailDir, "."+name+".tmp")
	if err := os.WriteFile(tmp, buf.Bytes(), 0o640); err != nil {
		return fmt.Errorf("save message: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(ss.opts.MailDir, name)); err != nil {
		return fmt.Errorf("save message: %w", err)
	}
	ss.opts.Logger.Info("dev SMTP server saved a message", "file", name, "from", ss.from, "rcpts", len(ss.to))
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }
