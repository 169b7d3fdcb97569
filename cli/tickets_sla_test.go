package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"turno/config"
	"turno/internal/testenv"
	"turno/mailin/parse"
	"turno/sla"
	"turno/store"
	"turno/tickets"
)

// tickets list --overdue lists only tickets past a due time; the text view
// marks them OVERDUE; show prints the due times and --json carries them.
func TestTicketsListOverdue(t *testing.T) {
	dir := t.TempDir()
	withStore(t, dir, func(ctx context.Context, st *store.Store) {
		if err := store.EnsureIndexes(ctx, st.DB, tickets.Indexes()); err != nil {
			t.Fatal(err)
		}
		addAgents(t, ctx, st, map[string][]string{"ana@turno.test": {"soporte"}})
		p, err := sla.FromConfig(config.Default())
		if err != nil {
			t.Fatal(err)
		}
		svc, err := tickets.New(tickets.Options{DB: st.DB, Logger: testenv.Logger(t), SLA: p})
		if err != nil {
			t.Fatal(err)
		}
		// Thirty days ago (past every target, whatever the calendar),
		// and now (due at least an hour of business time ahead).
		for i, at := range []time.Time{time.Now().Add(-30 * 24 * time.Hour), time.Now()} {
			subj := []string{"Viejo", "Nuevo"}[i]
			m, err := parse.Parse(strings.NewReader("From: pedro@gmail.com\r\nTo: soporte@turno.test\r\nSubject: "+subj+
				"\r\nMessage-ID: <sla"+subj+"@gmail.com>\r\n\r\nAyuda.\r\n"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Ingest(ctx, tickets.Incoming{Msg: m, Mailbox: "soporte", Department: "soporte", ArrivedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
	})
	ana := []string{"TURNO_AGENT=ana@turno.test"}
	must := func(args ...string) string {
		t.Helper()
		out, errs, code := runAs(dir, ana, "", args...)
		if code != 0 {
			t.Fatalf("turno %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errs)
		}
		return out
	}
	var list []tickets.Ticket
	if err := json.Unmarshal([]byte(must("tickets", "list", "--overdue", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Subject != "Viejo" || !list[0].Overdue || list[0].FirstResponseDue.IsZero() {
		t.Fatalf("list --overdue: %+v", list)
	}
	old := list[0].Number
	out := must("tickets", "list")
	if !strings.Contains(out, "DUE") || strings.Count(out, "OVERDUE") != 1 {
		t.Fatalf("list text: one OVERDUE row expected:\n%s", out)
	}
	out = must("tickets", "show", "100000")
	if !strings.Contains(out, "First response due ") || !strings.Contains(out, "OVERDUE") {
		t.Fatalf("show lacks the due times:\n%s", out)
	}
	var th tickets.Thread
	if err := json.Unmarshal([]byte(must("tickets", "show", "100001", "--json")), &th); err != nil {
		t.Fatal(err)
	}
	if th.Ticket.Number == old || th.Ticket.Overdue || !th.Ticket.FirstResponseDue.After(time.Now()) {
		t.Fatalf("show --json of the new ticket: overdue %v, first response due %s", th.Ticket.Overdue, th.Ticket.FirstResponseDue)
	}
}
