package console_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-imap/v2"

	"turno/agents"
	"turno/billing"
	"turno/clients"
	"turno/daemon"
	"turno/internal/browser"
	"turno/internal/devserve"
	"turno/replies"
	"turno/scheduler"
	"turno/tickets"
)

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

// startDev runs serve --dev in-process.
func startDev(t *testing.T) (*daemon.Daemon, string, string) {
	t.Helper()
	s := devserve.Start(t)
	return s.D, s.Base, s.Dir
}

func waitFor(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sentTo is the first mail in dev-mail to addr whose subject has tag and
// whose body has text.
func sentTo(dir, addr, tag, text string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "dev-mail", "*.eml"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		m, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil || !strings.Contains(m.Header.Get("To"), addr) || !strings.Contains(m.Header.Get("Subject"), tag) {
			continue
		}
		if strings.Contains(string(b), text) {
			return true
		}
	}
	return false
}

// The agent's loop in a real browser on a real serve --dev: a customer's
// mail to the dev mailbox becomes a ticket; the dev agent logs in with the
// banner's password, sees it in the queue, sees a second mail appear
// without reloading, opens the first with the keyboard, answers with a
// saved reply (the customer receives it) after seeing the client's unpaid
// balance, is refused after another agent's answer, notes, solves, and
// logs out. Every page is screenshotted and
// audited with axe-core.
func TestBrowserAgentLoop(t *testing.T) {
	b := browser.New(t)
	d, base, dir := startDev(t)
	ctx := context.Background()
	if d.DevPassword == "" {
		t.Fatal("no dev agent console password for the banner")
	}
	if _, err := d.Replies.Put(ctx, replies.Saved{Name: "saludo", ES: "Hola {requester_name}, gracias por escribirnos.",
		EN: "Hi {requester_name}, thanks for writing."}); err != nil {
		t.Fatal(err)
	}
	appendMail := func(id, from, subject, body string) {
		t.Helper()
		raw := "Message-ID: <" + id + ">\r\nFrom: " + from + "\r\nTo: " + d.Dev.Mailbox.Address + "\r\nSubject: " + subject +
			"\r\nDate: Wed, 02 Dec 2026 10:00:00 -0300\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
		if _, err := d.Dev.Mailbox.Append("INBOX", literal{bytes.NewReader([]byte(raw))}, &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ticket := func(n int64) func() bool {
		return func() bool { _, _, err := d.Tickets.Show(ctx, n); return err == nil }
	}
	// Paula is a client with a document unpaid, issued by a real cycle.
	c := clients.NewClient("C-500", "Paula Muñoz Servicios", "paula@cliente.cl")
	c.BillingEnabled = true
	c.Billing = clients.BillingData{RazonSocial: "Paula Muñoz Servicios EIRL", TaxCountry: "CL", TaxID: "76.086.428-5",
		Giro: "Diseño", Domicilio: "Av. Matta 1234", Comuna: "Santiago", Ciudad: "Santiago"}
	if _, err := d.Clients.Add(ctx, c, "test"); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("America/Santiago")
	day := scheduler.DateOf(time.Now(), loc)
	if err := d.Billing.AddContract(ctx, billing.Contract{ID: "C-500-K1", ClientID: "C-500", Description: "Correo 10 casillas",
		Currency: billing.CLP, Amount: 29990, Exempt: true, AnchorDay: day.Day, Start: "2020-01-01", Active: true}); err != nil {
		t.Fatal(err)
	}
	for ran := false; !ran; {
		err := d.Scheduler.RunNow(ctx, billing.CycleJob, scheduler.Run{Date: day, Out: io.Discard})
		switch {
		case errors.Is(err, scheduler.ErrRunning):
			time.Sleep(20 * time.Millisecond)
		case err != nil:
			t.Fatal(err)
		default:
			ran = true
		}
	}
	appendMail("q1@cliente.cl", "Paula Muñoz <paula@cliente.cl>", "No llega el correo a mi casilla",
		"Hola, desde ayer no recibo correos en paula@cliente.cl. ¿Pueden revisar?\n\nGracias, Paula")
	waitFor(t, "ticket 100000", ticket(100000))

	b.Visit(base+"/console/", "login")
	b.Fill("#email", daemon.DevAgent)
	b.Fill("#password", d.DevPassword)
	b.Submit("button[type=submit]", "table.queue")
	b.Check("queue")
	if got := b.Text(`tr[data-number="100000"] .subject`); got != "No llega el correo a mi casilla" {
		t.Fatalf("the queue's first row: %q", got)
	}

	// A new mail appears without a reload (the script polls the marker; a
	// visibility change makes it look now).
	b.Do(chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	appendMail("q2@cliente.cl", "Tomás <tomas@otra.cl>", "<script>alert(1)</script> Factura duplicada", "Me llegó dos veces la factura.")
	waitFor(t, "ticket 100001", ticket(100001))
	b.Do(chromedp.Evaluate[chromedp.Void](`document.dispatchEvent(new Event("visibilitychange"))`),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-number="100001"]`)))
	if !browser.Get(b, chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Fatal("the page reloaded to show the new ticket")
	}
	if got := b.Text(".views .count"); got != "2" {
		t.Fatalf("the view's count after the update: %q", got)
	}
	if got := b.Text(`tr[data-number="100001"] .subject`); got != "<script>alert(1)</script> Factura duplicada" {
		t.Fatalf("the hostile subject shows as %q", got)
	}
	b.Check("queue-live")

	// j selects the first row; r opens it with the reply box focused.
	b.Do(chromedp.KeyEvent("j"))
	if sel := browser.Get(b, chromedp.Evaluate[string](`document.querySelector("tr.selected").dataset.number`)); sel != "100000" {
		t.Fatalf("j selected %q", sel)
	}
	b.Do(chromedp.KeyEvent("r"), chromedp.WaitVisible(chromedp.CSS("#reply-text")))
	waitFor(t, "the reply box focused", func() bool {
		return browser.Get(b, chromedp.Evaluate[string](`document.activeElement && document.activeElement.id || ""`)) == "reply-text"
	})
	b.Check("ticket")
	// Beside the thread, the requester's client and what it owes.
	if got := b.Text("#client-balance"); got != "$29.990" {
		t.Fatalf("the client's unpaid balance shows %q", got)
	}

	b.Do(chromedp.SetValue(chromedp.CSS("#saved"), "saludo"))
	b.Fill("#reply-text", "Revisamos su casilla: estaba llena. Ya liberamos espacio.")
	b.Submit("#send-reply", "#done")
	b.Check("ticket-replied")
	waitFor(t, "the reply in dev-mail", func() bool {
		return sentTo(dir, "paula@cliente.cl", "[Ticket #100000]", "Ya liberamos espacio")
	})
	if !sentTo(dir, "paula@cliente.cl", "[Ticket #100000]", "Hola Paula Mu") {
		t.Error("the saved reply is not in the mail")
	}

	// Another agent answers while this page is open: the refusal names them.
	ana, err := d.Agents.Add(ctx, agents.Agent{Email: "ana@turno.test", Name: "Ana Rojas", Role: agents.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Tickets.Reply(ctx, ana.Actor(), 100000, tickets.ReplyInput{Key: "ana-1", Force: true,
		Text: "Paula, ¿le llegan ahora?"}); err != nil {
		t.Fatal(err)
	}
	b.Fill("#reply-text", "¿Algo más en que podamos ayudar?")
	b.Submit("#send-reply", "#collision")
	if got := b.Text("#collision"); !strings.HasPrefix(got, "Ana Rojas respondió hace") || !strings.HasSuffix(got, ": léalo primero") {
		t.Fatalf("collision message %q", got)
	}
	b.Check("ticket-collision")

	b.Fill("#note-text", "La casilla se llenó por un reenvío en bucle; avisar a redes.")
	b.Submit("#save-note", "#done")
	b.Check("ticket-note")

	// The agent solves it from the page.
	b.Do(chromedp.SetValue(chromedp.CSS("#set-status"), "solved"))
	b.Submit(`form[action$="/tickets/100000/status"] button[type=submit]`, ".tags .status-solved")
	b.Check("ticket-solved")
	if solved, _, err := d.Tickets.Show(ctx, 100000); err != nil || solved.Status != tickets.StatusSolved {
		t.Fatalf("after solving from the page: %+v %v", solved, err)
	}

	// Focusing the reply box tells the others (the script's beacon): Ana
	// sees the dev agent replying on the ticket.
	b.Do(chromedp.Focus(chromedp.CSS("#reply-text")))
	first, _, err := d.Tickets.Show(ctx, 100000)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the dev agent marked as replying", func() bool {
		ps, err := d.Tickets.PresenceOn(ctx, ana.Actor(), *first)
		return err == nil && len(ps[100000]) == 1 && ps[100000][0].State == tickets.PresenceReplying &&
			ps[100000][0].Agent == daemon.DevAgent
	})

	// Ana writes on the second ticket: the dev agent's queue marks its row.
	if _, err := d.Tickets.MarkPresence(ctx, ana.Actor(), 100001, tickets.PresenceReplying); err != nil {
		t.Fatal(err)
	}
	b.Visit(base+"/console/queue", "queue-presence")
	if got := b.Text(`tr[data-number="100001"] .presence-tag.replying`); got != "Ana Rojas está respondiendo" {
		t.Fatalf("the row being answered says %q", got)
	}

	// A mail with an HTML part: its sanitised view, framed on demand.
	html := `<p style="color: #1a5fb4">Hola, adjunto el <b>error</b> que aparece:</p><ul><li>Buzón lleno</li></ul>` +
		`<img src="https://tracker.example/p.gif" alt="pixel"><script>document.title = "pwned"</script>` +
		`<p onclick="alert(1)">Saludos, Marta</p>`
	raw := "Message-ID: <h1@cliente.cl>\r\nFrom: Marta <marta@cliente.cl>\r\nTo: " + d.Dev.Mailbox.Address +
		"\r\nSubject: Error en HTML\r\nDate: Wed, 02 Dec 2026 11:00:00 -0300\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=\"a1\"\r\n\r\n--a1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Hola, adjunto el error.\r\n--a1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--a1--\r\n"
	if _, err := d.Dev.Mailbox.Append("INBOX", literal{bytes.NewReader([]byte(raw))}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ticket 100002", ticket(100002))
	b.Visit(base+"/console/tickets/100002", "ticket-html-link")
	b.Submit("#html-link-0", "iframe#html-view")
	waitFor(t, "the framed view loaded", func() bool {
		return browser.Get(b, chromedp.Evaluate[bool](`(function () { var f = document.getElementById("html-view");
			return !!f && f.getBoundingClientRect().height > 100; })()`))
	})
	b.Check("ticket-html-view")
	if got := browser.Get(b, chromedp.Evaluate[string](`document.getElementById("html-view").getAttribute("sandbox")`)); got != "" {
		t.Fatalf("the iframe's sandbox allows %q", got)
	}

	b.Visit(base+"/console/tickets/100000?lang=en", "ticket-en")
	if got := b.Text("#reply-h"); got != "Answer the customer" {
		t.Fatalf("English reply heading %q", got)
	}
	b.Visit(base+"/console/queue?lang=es&view=unassigned", "queue-unassigned")
	if got := b.Text(".views a[aria-current=page]"); !strings.HasPrefix(got, "Sin asignar") {
		t.Fatalf("current view %q", got)
	}
	b.Visit(base+"/console/tickets/999999", "not-found")
	b.Submit("nav form button", ".alert.ok")
	b.Check("logged-out")
}
