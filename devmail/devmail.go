// Package devmail runs the mail servers of `turno serve --dev`, so a newcomer
// can point any mail client at Turno: a go-imap in-memory IMAP server holding
// the support mailbox, and a go-smtp server. Both listen on loopback only.
//
// The SMTP server routes by envelope recipient: mail to the support mailbox's
// address (Options.Address, soporte@turno.test by default) is delivered to
// that mailbox's INBOX, where Turno's intake picks it up as a customer's
// mail; mail to anyone else is what Turno sends, written as one .eml file per
// message under Options.MailDir. A mail to both goes to both.
//
// The IMAP mailbox is kept on disk under Options.MailboxDir (see persist.go):
// one .eml file per message plus state.json with every folder's UIDVALIDITY
// and UIDNEXT and every message's UID, flags and internal date. A restart
// reloads it with the same UIDs, so the intake's cursor stays valid. Appends
// (IMAP APPEND, SMTP delivery, Mailbox.Append) are on disk before they are
// acknowledged; other changes (flags, copies, moves, expunges, folders) are
// saved within milliseconds by a background saver, and once more at Close.
package devmail

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"
)

// DefaultAddress is the support mailbox's address when Options.User is not
// an email address.
const DefaultAddress = "soporte@turno.test"

// AddressFor is the support mailbox's address for a login: the login itself
// when it is a bare email address, else DefaultAddress.
func AddressFor(user string) string {
	if a, err := mail.ParseAddress(user); err == nil && a.Name == "" && a.Address == strings.TrimSpace(user) {
		return a.Address
	}
	return DefaultAddress
}

// Options configure the dev servers.
type Options struct {
	IMAPAddr string // e.g. 127.0.0.1:1143
	SMTPAddr string // e.g. 127.0.0.1:1025
	User     string // login for both servers
	Password string
	// Address is the support mailbox's email address: SMTP mail to it is
	// delivered to the mailbox's INBOX. Default AddressFor(User).
	Address string
	// MailDir receives one .eml file per message the SMTP server accepts for
	// any other recipient.
	MailDir string
	// MailboxDir keeps the IMAP mailbox across restarts. Empty: the mailbox
	// lives in memory only and starts empty.
	MailboxDir string
	Logger     *slog.Logger
}

// Servers are the running dev servers.
type Servers struct {
	IMAPAddr string
	SMTPAddr string
	// Mailbox is the support account on the IMAP server.
	Mailbox *Mailbox

	imap *imapserver.Server
	smtp *smtp.Server
	seq  atomic.Int64
}

// Start loads the mailbox and listens on both addresses. On error nothing is
// left running.
func Start(opts Options) (*Servers, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Address == "" {
		opts.Address = AddressFor(opts.User)
	}
	if err := os.MkdirAll(opts.MailDir, 0o700); err != nil {
		return nil, fmt.Errorf("dev mail directory: %w", err)
	}
	s := &Servers{}
	user := imapmemserver.NewUser(opts.User, opts.Password)
	var disk *diskStore
	if opts.MailboxDir != "" {
		var err error
		if disk, err = loadMailbox(opts.MailboxDir, user, opts.Logger); err != nil {
			return nil, err
		}
	} else if err := user.Create("INBOX", nil); err != nil {
		return nil, err
	}
	mem := imapmemserver.New()
	mem.AddUser(user)
	s.Mailbox = &Mailbox{Address: opts.Address, user: user}

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
	if disk != nil {
		if err := disk.begin(); err != nil {
			_, _ = imapLn.Close(), smtpLn.Close()
			return nil, err
		}
		disk.addr, disk.user, disk.pass = s.IMAPAddr, opts.User, opts.Password
		s.Mailbox.saver = newSaver(disk.snapshot, opts.Logger)
	}

	s.imap = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			inner := mem.NewSession().(imapserver.SessionIMAP4rev2)
			return &savingSession{SessionIMAP4rev2: inner, box: s.Mailbox}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
	})
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
	if s.Mailbox.saver != nil {
		go s.Mailbox.saver.run()
	}
	return s, nil
}

// Close stops the SMTP server, saves the mailbox a last time and stops the
// IMAP server.
func (s *Servers) Close() error {
	err := s.smtp.Close()
	if s.Mailbox.saver != nil {
		err = errors.Join(err, s.Mailbox.saver.stop())
	}
	return errors.Join(err, s.imap.Close())
}
