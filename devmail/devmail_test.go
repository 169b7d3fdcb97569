package devmail

import (
	"fmt"
	"log/slog"
	"net/smtp"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

const (
	user = "soporte@turno.test"
	pass = "turno"
)

func startDev(t *testing.T, dataDir string) *Servers {
	t.Helper()
	s, err := Start(Options{IMAPAddr: "127.0.0.1:0", SMTPAddr: "127.0.0.1:0", User: user, Password: pass,
		MailDir: filepath.Join(dataDir, "dev-mail"), MailboxDir: filepath.Join(dataDir, "dev-mailbox"),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func login(t *testing.T, s *Servers) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.IMAPAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func appendMsg(t *testing.T, c *imapclient.Client, folder, subject string, flags ...imap.Flag) imap.UID {
	t.Helper()
	msg := fmt.Sprintf("From: a@example.cl\r\nSubject: %s\r\n\r\nHola.\r\n", subject)
	cmd := c.Append(folder, int64(len(msg)), &imap.AppendOptions{Flags: flags,
		Time: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)})
	if _, err := cmd.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatal(err)
	}
	return data.UID
}

type folderView struct {
	UIDValidity uint32
	UIDNext     imap.UID
	Subscribed  bool
	Messages    []string // "uid flags date body"
}

// view is everything a client can see of the mailbox.
func view(t *testing.T, s *Servers) map[string]folderView {
	t.Helper()
	c := login(t, s)
	defer func() { _ = c.Logout().Wait() }()
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]folderView{}
	for _, l := range list {
		sel, err := c.Select(l.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			t.Fatal(err)
		}
		v := folderView{UIDValidity: sel.UIDValidity, UIDNext: sel.UIDNext, Subscribed: slices.Contains(l.Attrs, imap.MailboxAttrSubscribed)}
		if sel.NumMessages > 0 {
			body := &imap.FetchItemBodySection{Peek: true}
			msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true, InternalDate: true,
				BodySection: []*imap.FetchItemBodySection{body}}).Collect()
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				flags := make([]string, len(m.Flags))
				for i, f := range m.Flags {
					flags[i] = string(f)
				}
				slices.Sort(flags)
				v.Messages = append(v.Messages, fmt.Sprintf("%d %v %s %q", m.UID, flags, m.InternalDate.UTC().Format(time.RFC3339), m.FindBodySection(body)))
			}
		}
		out[l.Mailbox] = v
	}
	return out
}

func TestDevMailboxComesBackAfterARestart(t *testing.T) {
	dir := t.TempDir()
	s := startDev(t, dir)
	c := login(t, s)
	for i := 1; i <= 5; i++ {
		appendMsg(t, c, "INBOX", fmt.Sprintf("m%d", i))
	}
	appendMsg(t, c, "INBOX", "leído", imap.FlagSeen)
	if err := c.Create("Archivo", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe("Archivo").Wait(); err != nil {
		t.Fatal(err)
	}
	// A folder that comes and goes: its UIDVALIDITY is never handed out again.
	if err := c.Create("Borrar", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	appendMsg(t, c, "Borrar", "efímero") // an APPEND is saved before its OK: the snapshot saw Borrar
	if err := c.Delete("Borrar").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Move(imap.UIDSetNum(2), "Archivo").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen, "$Turno"}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(1, 5), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.UIDExpunge(imap.UIDSetNum(1)).Close(); err != nil { // 5 stays, flagged \Deleted
		t.Fatal(err)
	}
	_ = c.Logout().Wait()
	before := view(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = startDev(t, dir)
	defer s.Close()
	after := view(t, s)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("the mailbox changed across a restart:\nbefore %+v\nafter  %+v", before, after)
	}
	if len(after["INBOX"].Messages) != 4 || len(after["Archivo"].Messages) != 1 || !after["Archivo"].Subscribed {
		t.Fatalf("unexpected mailbox %+v", after)
	}

	// New mail continues the old numbering; a new folder gets a new UIDVALIDITY.
	c = login(t, s)
	if uid := appendMsg(t, c, "INBOX", "nuevo"); uid != before["INBOX"].UIDNext {
		t.Fatalf("new message UID %d, want %d", uid, before["INBOX"].UIDNext)
	}
	if err := c.Create("Otra", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status("Otra", &imap.StatusOptions{UIDValidity: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if st.UIDValidity <= 3 { // INBOX 1, Archivo 2, Borrar 3
		t.Fatalf("new folder UIDVALIDITY %d reuses an old one", st.UIDValidity)
	}
}

// What a kill -9 leaves on disk: every acknowledged append is there, and
// UIDNEXT moves on, so a UID the dead process may have shown a client is
// never given to another message.
func TestDevMailboxAfterACrash(t *testing.T) {
	dir := t.TempDir()
	s := startDev(t, dir)
	defer s.Close()
	send(t, s, "cliente@gmail.com", []string{user}, "Subject: por SMTP\r\n\r\nHola.\r\n")
	c := login(t, s)
	appendMsg(t, c, "INBOX", "por IMAP")
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	// A flag change is saved in the background, promptly.
	state := filepath.Join(dir, "dev-mailbox", stateFile)
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(state)
		if strings.Contains(strings.ToLower(string(b)), `"\\flagged"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the flag is not saved:\n%s", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	live := view(t, s)

	crashed := t.TempDir()
	if err := os.CopyFS(crashed, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	s2 := startDev(t, crashed)
	defer s2.Close()
	got := view(t, s2)
	if !reflect.DeepEqual(got["INBOX"].Messages, live["INBOX"].Messages) || got["INBOX"].UIDValidity != live["INBOX"].UIDValidity {
		t.Fatalf("after a crash:\n%+v\nwant\n%+v", got, live)
	}
	if want := live["INBOX"].UIDNext + uncleanUIDGap; got["INBOX"].UIDNext != want {
		t.Fatalf("UIDNEXT after a crash %d, want %d", got["INBOX"].UIDNext, want)
	}
}

func send(t *testing.T, s *Servers, from string, to []string, msg string) {
	t.Helper()
	if err := smtp.SendMail(s.SMTPAddr, nil, from, to, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

func TestDevSMTPRoutesByRecipient(t *testing.T) {
	dir := t.TempDir()
	s := startDev(t, dir)
	defer s.Close()
	send(t, s, "cliente@gmail.com", []string{"SOPORTE@turno.test"}, "Subject: al soporte\r\n\r\nHola.\r\n")
	send(t, s, "soporte@turno.test", []string{"cliente@gmail.com"}, "Subject: al cliente\r\n\r\nHola.\r\n")
	send(t, s, "cliente@gmail.com", []string{"otro@gmail.com", user}, "Subject: a ambos\r\n\r\nHola.\r\n")
	send(t, s, "", []string{user}, "Subject: rebote\r\n\r\nHola.\r\n")

	var inbox []string
	for _, m := range view(t, s)["INBOX"].Messages {
		inbox = append(inbox, m)
	}
	if len(inbox) != 3 {
		t.Fatalf("INBOX has %d messages, want 3: %q", len(inbox), inbox)
	}
	for i, want := range []string{
		`Return-Path: <cliente@gmail.com>\r\nDelivered-To: soporte@turno.test\r\nSubject: al soporte`,
		`Return-Path: <cliente@gmail.com>\r\nDelivered-To: soporte@turno.test\r\nSubject: a ambos`,
		`Return-Path: <>\r\nDelivered-To: soporte@turno.test\r\nSubject: rebote`,
	} {
		if !strings.Contains(inbox[i], want) {
			t.Errorf("INBOX message %d: %s, want %s", i+1, inbox[i], want)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "dev-mail", "*.eml"))
	var subjects []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, subj, _ := strings.Cut(string(b), "Subject: ")
		subj, _, _ = strings.Cut(subj, "\r\n")
		subjects = append(subjects, subj)
	}
	slices.Sort(subjects)
	if !slices.Equal(subjects, []string{"a ambos", "al cliente"}) {
		t.Fatalf("dev-mail holds %q, want the mail to the customer and the one to both", subjects)
	}
}

func TestDevAddressFor(t *testing.T) {
	for user, want := range map[string]string{
		"soporte@turno.test":       "soporte@turno.test",
		"ayuda@example.cl":         "ayuda@example.cl",
		"turno":                    DefaultAddress,
		"":                         DefaultAddress,
		"Ayuda <ayuda@example.cl>": DefaultAddress,
	} {
		if got := AddressFor(user); got != want {
			t.Errorf("AddressFor(%q) = %q, want %q", user, got, want)
		}
	}
}
