package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"turno/agents"
	"turno/mailout"
	"turno/msgid"
	"turno/templates"
	"turno/tickets"
)

// Key is the outbox idempotency key of the notification about event ev of
// ticket n to the agent with primary address agent.
func Key(n int64, ev tickets.Event, agent string) string {
	return "notify:" + strconv.FormatInt(n, 10) + ":" + eventHash(ev) + ":" + agent
}

// eventHash names an event: every field of it, so the same event read
// again (after a crash, by a second worker) hashes the same.
func eventHash(ev tickets.Event) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", ev.At.UnixMilli(), ev.By, ev.Type, ev.From, ev.To, ev.Note, ev.Key)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// send enqueues one notification per recipient of n.
func (w *Worker) send(ctx context.Context, t *tickets.Ticket, n notice, auto int) error {
	data := templates.AgentNotification{
		TicketNumber: t.Number, Subject: t.Subject, Event: n.kind, Actor: n.actor,
		RequesterName: t.Requester.Name, RequesterAddress: t.Requester.Address, Unverified: t.Unverified,
		Priority: t.Label, Department: t.Department, Automatic: auto,
	}
	if n.kind == agents.NotifySLA {
		data.SLATarget = n.ev.To
	}
	data.Text, data.TextCut = clip(strings.TrimSpace(n.text), w.opts.MaxText)
	if t.ClientID != "" && w.opts.Clients != nil {
		c, err := w.opts.Clients.ClientInfo(ctx, t.ClientID)
		if err != nil {
			return fmt.Errorf("client %s: %w", t.ClientID, err)
		}
		if c != nil {
			data.ClientName, data.ClientTier = c.Name, c.Tier
			data.UnpaidCount, data.UnpaidBalance = c.UnpaidCount, c.UnpaidBalance
		}
	}
	fromName, fromAddr := w.opts.Sender(t.Department)
	last := ""
	if t.LastPublic != nil {
		last = msgid.Tag(t.LastPublic.Key)
	}
	thread := threadID(t.Origin)
	for _, a := range n.to {
		d := data
		d.AgentName = a.Name
		lang := a.Lang
		if lang != "en" {
			lang = "es"
		}
		m := mailout.Message{
			Key: Key(t.Number, n.ev, a.Email), Template: "agent_notification", Lang: lang, Data: d,
			To: []string{a.Email}, ReplyTo: fromAddr, FromName: fromName, FromAddress: fromAddr,
			Ticket:    t.Number,
			MessageID: msgid.NewNotice(w.opts.MailDomain, t.Number, msgid.Tag(a.Email), last, w.opts.MessageIDKey),
			Priority:  mailout.PriorityTicket, AutoSubmitted: "auto-generated",
		}
		if thread != "" {
			m.InReplyTo, m.References = thread, []string{thread}
		}
		if _, err := w.opts.Mailer.Enqueue(ctx, m); err != nil {
			return fmt.Errorf("enqueue notification to %s: %w", a.Email, err)
		}
		Sent.WithLabelValues(n.kind).Inc()
		w.log.Info("agent notified", "ticket", t.Number, "event", n.kind, "agent", a.Email)
	}
	return nil
}

// threadID is the Message-ID (with brackets) of the mail that opened the
// ticket when its dedup key is one ("" for a raw hash or a reused ID).
func threadID(origin string) string {
	if origin == "" || strings.HasPrefix(origin, "raw:") || strings.ContainsAny(origin, "#<> \t\r\n") || !strings.Contains(origin, "@") {
		return ""
	}
	return "<" + origin + ">"
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimRight(s[:n], " \t\n"), true
}
