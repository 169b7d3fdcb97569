package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"turno/agentmail"
	"turno/clock"
	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
	"turno/mailin"
	"turno/mailin/parse"
	"turno/msgid"
	"turno/store"
	"turno/tickets"
)

// holdUnauthenticated routes ana's answer to a notification of ticket
// 100000 through the router as a mailbox requiring DKIM or SPF would (the
// mail has none), and returns the held item's key.
func holdUnauthenticated(t *testing.T, dir string) string {
	t.Helper()
	var key string
	withStore(t, dir, func(ctx context.Context, st *store.Store) {
		cfg := config.Default()
		cfg.DataDir = dir
		log := testenv.Logger(t)
		parts, err := daemon.NewWorkParts(ctx, cfg, st.DB, nil, nil, clock.Real{}, log)
		if err != nil {
			t.Fatal(err)
		}
		r, err := daemon.NewAgentMailRouter(cfg, st.DB, parts.Tickets, parts.Agents, nil, nil, nil, clock.Real{}, log)
		if err != nil {
			t.Fatal(err)
		}
		tk, err := parts.Tickets.Peek(ctx, 100000)
		if err != nil {
			t.Fatal(err)
		}
		notice := msgid.NewNotice(cfg.Mail.Domain, tk.Number, msgid.Tag("ana@turno.test"), msgid.Tag(tk.LastPublic.Key),
			parts.Tickets.MessageIDKey())
		raw := []byte("From: Ana <ana@turno.test>\r\nTo: soporte@turno.test\r\nSubject: Re: [Ticket #100000] aviso\r\n" +
			"Message-ID: <held-cli@turno.test>\r\nIn-Reply-To: <" + notice + ">\r\nReferences: <" + notice + ">\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\nRESPUESTA-CONFIRMADA: reinicie el router.\r\n")
		h := parse.RawHash(raw)
		if _, err := mailin.NewRawStore(st.DB).Put(ctx, h, int64(len(raw)), bytes.NewReader(raw), time.Now()); err != nil {
			t.Fatal(err)
		}
		m, err := parse.Parse(bytes.NewReader(raw), nil)
		if err != nil {
			t.Fatal(err)
		}
		res, _, err := r.Route(ctx, agentmail.Mail{Msg: m, RawHash: h, Mailbox: "soporte",
			AgentAuth: config.AgentAuthDKIMOrSPF, ArrivedAt: time.Now()})
		if err != nil || res.Reason != tickets.HeldAuth {
			t.Fatalf("route: %+v %v", res, err)
		}
		dk, _ := tickets.DedupKey(m, h)
		key = tickets.HeldKey(dk)
	})
	return key
}

// turno tickets release: only the sending agent (or an admin) may confirm
// a mail held for authentication; it is applied once (one reply in the
// outbox), however often released; a bad key is refused with a clear
// message and changes nothing.
func TestTicketsRelease(t *testing.T) {
	dir := workDir(t)
	key := holdUnauthenticated(t, dir)
	before := outboxCount(t, dir)
	ana := []string{"TURNO_AGENT=ana@turno.test"}

	if _, errs, code := runAs(dir, []string{"TURNO_AGENT=beto@turno.test"}, "", "tickets", "release", "100000", key); code == 0 ||
		!strings.Contains(errs, "not found") {
		t.Fatalf("beto (another department): code %d, %s", code, errs)
	}
	if _, errs, code := runAs(dir, ana, "", "tickets", "release", "100000", "held:nope"); code == 0 || !strings.Contains(errs, "KEY") {
		t.Fatalf("bad key: code %d, %s", code, errs)
	}
	if n := outboxCount(t, dir); n != before {
		t.Fatalf("a refused release enqueued mail (%d → %d)", before, n)
	}
	out, errs, code := runAs(dir, ana, "", "tickets", "release", "100000", key)
	if code != 0 || !strings.Contains(out, "Held mail released on ticket #100000: applied.") {
		t.Fatalf("release: code %d\n%s%s", code, out, errs)
	}
	out, errs, code = runAs(dir, ana, "", "tickets", "release", "--json", "100000", key)
	if code != 0 || !strings.Contains(out, `"replayed": true`) {
		t.Fatalf("second release: code %d\n%s%s", code, out, errs)
	}
	if n := outboxCount(t, dir); n != before+1 {
		t.Fatalf("outbox %d → %d, want the one reply", before, n)
	}
	out, _, code = runAs(dir, ana, "", "tickets", "show", "100000")
	if code != 0 || !strings.Contains(out, "RESPUESTA-CONFIRMADA") || !strings.Contains(out, "unauthenticated; released and applied) · "+key) {
		t.Fatalf("show after release:\n%s", out)
	}
}
