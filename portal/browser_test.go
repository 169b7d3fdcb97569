package portal_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-message/mail"

	"turno/clients"
	"turno/daemon"
	"turno/internal/browser"
	"turno/internal/devserve"
)

// startDev runs serve --dev in-process, its portal's links pointing at it.
func startDev(t *testing.T) (*daemon.Daemon, string, string) {
	t.Helper()
	s := devserve.Start(t)
	return s.D, s.Base, s.Dir
}

var linkRe = regexp.MustCompile(`https?://\S+/set-password\?\S+`)

// waitLink reads the set-password link from the mail dev-mail received for to.
func waitLink(t *testing.T, dir, to string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(dir, "dev-mail", "*.eml"))
		for _, f := range files {
			if l := linkIn(t, f, to); l != "" {
				return l
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no password mail to %s in dev-mail", to)
	return ""
}

func linkIn(t *testing.T, file, to string) string {
	fh, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer fh.Close()
	mr, err := mail.CreateReader(fh)
	if err != nil {
		return ""
	}
	if tos, _ := mr.Header.AddressList("To"); len(tos) == 0 || tos[0].Address != to {
		return ""
	}
	for {
		p, err := mr.NextPart()
		if err != nil {
			return ""
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				var sb strings.Builder
				buf := make([]byte, 4096)
				for {
					n, err := p.Body.Read(buf)
					sb.Write(buf[:n])
					if err != nil {
						break
					}
				}
				return linkRe.FindString(sb.String())
			}
		}
	}
}

// The whole access loop in a real browser on a real daemon: the password
// mail's link, choosing a password, logging in, Mis datos, logging out.
func TestBrowserAccessLoop(t *testing.T) {
	b := browser.New(t)
	d, base, dir := startDev(t)
	ctx := context.Background()
	const email = "contacto@ferreteria.cl"
	if _, err := d.Clients.Add(ctx, clients.Client{ID: "C-100", Name: "Ferretería <b>El Clavo</b>", Email: email,
		PersonType: "other", Active: true, Phone: "+56 2 2345 6789", Comuna: "Providencia", Ciudad: "Santiago",
		Mail:    clients.MailSwitches{Invoice: true, CollectionNote: true, PaymentConfirmation: true, Ticket: true, Account: true},
		Billing: clients.BillingData{RazonSocial: "Ferretería El Clavo SpA", TaxID: "76.086.428-5"}}, "test"); err != nil {
		t.Fatal(err)
	}
	b.Visit(base+"/portal/", "login")
	b.Visit(base+"/portal/forgot", "forgot")
	b.Fill("#email", email)
	b.Submit("button[type=submit]", ".alert.ok")
	b.Check("forgot-sent")

	link := waitLink(t, dir, email)
	if !strings.HasPrefix(link, base+"/portal/set-password?") {
		t.Fatalf("the mail's link %q does not lead to this portal", link)
	}
	b.Visit(link, "set-password")
	b.Fill("#password", "una frase larga y segura")
	b.Fill("#password2", "otra frase distinta")
	b.Submit("button[type=submit]", "#set-error")
	b.Check("set-password-error")
	b.Fill("#password", "una frase larga y segura")
	b.Fill("#password2", "una frase larga y segura")
	b.Submit("button[type=submit]", ".alert.ok")
	b.Check("login-after-set")

	b.Fill("#email", email)
	b.Fill("#password", "una frase larga y segura")
	b.Submit("button[type=submit]", "#datos-save")
	b.Check("mis-datos")
	if got := browser.Get(b, chromedp.Value(chromedp.CSS("#name"))); got != "Ferretería <b>El Clavo</b>" {
		t.Fatalf("Mis datos shows name %q", got)
	}
	b.Visit(base+"/portal/datos?lang=en", "mis-datos-en")
	if h := b.Text("h1"); h != "My details" {
		t.Fatalf("English heading %q", h)
	}
	b.Visit(base+"/portal/datos?lang=es", "mis-datos-es")
	b.Submit("nav form button", ".alert.ok")
	b.Check("logged-out")
	if loc := b.Location(); !strings.Contains(loc, "/portal/login") {
		t.Fatalf("after logout at %s", loc)
	}
	b.Visit(base+"/portal/no-such-page", "not-found")
}

// waitDevMail waits for the mails in dev-mail whose subject starts with
// subject and returns their recipients (every To of every such mail).
func waitDevMail(t *testing.T, dir, subject string) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var to []string
		files, _ := filepath.Glob(filepath.Join(dir, "dev-mail", "*.eml"))
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				continue
			}
			mr, err := mail.CreateReader(fh)
			if err == nil {
				if s, _ := mr.Header.Subject(); strings.HasPrefix(s, subject) {
					tos, _ := mr.Header.AddressList("To")
					for _, a := range tos {
						to = append(to, a.Address)
					}
				}
			}
			fh.Close()
		}
		if len(to) > 0 {
			return to
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no mail %q in dev-mail", subject)
	return nil
}
