package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"turno/clients"
	"turno/clock"
	"turno/internal/testenv"
	"turno/mailin/parse"
	"turno/store"
	"turno/tickets"
)

type oneContact struct{}

func (oneContact) Lookup(_ context.Context, addr string) ([]clients.Membership, error) {
	if addr == "ana@premium.cl" {
		return []clients.Membership{{ClientID: "C2", ClientActive: true, SupportTier: "premium"}}, nil
	}
	return nil, nil
}

// seed writes two tickets into an embedded store under dir, then closes it
// so the command can open the same files.
func seed(t *testing.T, dir, db string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir, Database: db, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if err := store.EnsureIndexes(ctx, st.DB, tickets.Indexes()); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 11, 16, 12, 0, 0, 0, time.UTC))
	svc, err := tickets.New(tickets.Options{DB: st.DB, Directory: oneContact{}, Clock: clk, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{
		"From: nadie@gmail.com\r\nSubject: Consulta\r\nMessage-ID: <a@gmail.com>\r\n\r\nHola\r\n",
		"From: Ana <ana@premium.cl>\r\nSubject: =?utf-8?Q?Ca=C3=ADda?=\r\nMessage-ID: <b@premium.cl>\r\n\r\nSe cayó el sitio\r\n",
	} {
		m, err := parse.Parse(strings.NewReader(raw), nil)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		if _, err := svc.Ingest(ctx, tickets.Incoming{Msg: m, Mailbox: "soporte", Department: "soporte", ArrivedAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTicketsListAndShow(t *testing.T) {
	dir := t.TempDir()
	db := testenv.DBName(t)
	seed(t, dir, db)
	addDevAgent(t, dir, db) // the commands act as it
	environ := []string{"TURNO_DATA_DIR=" + dir, "TURNO_MONGODB_DATABASE=" + db, "TURNO_LOG_LEVEL=error"}
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := Main(args, &out, &errb, environ); code != 0 {
			t.Fatalf("turno %v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}

	var list []tickets.Ticket
	if err := json.Unmarshal([]byte(run("tickets", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Number != 100001 || list[1].Number != 100000 {
		t.Fatalf("queue order: %+v", list)
	}
	if list[0].Label != "high" || list[1].Label != "low" || !list[1].Unverified {
		t.Fatalf("labels: %+v", list)
	}
	text := run("tickets", "list", "--priority", "low")
	if !strings.Contains(text, "100000") || strings.Contains(text, "100001") || !strings.Contains(text, "(unverified)") {
		t.Fatalf("filtered list:\n%s", text)
	}

	var shown struct {
		Ticket   tickets.Ticket    `json:"ticket"`
		Messages []tickets.Message `json:"messages"`
	}
	if err := json.Unmarshal([]byte(run("tickets", "show", "100001", "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Ticket.Subject != "Caída" || len(shown.Messages) != 1 || shown.Messages[0].Text != "Se cayó el sitio" {
		t.Fatalf("show: %+v", shown)
	}
	if text := run("tickets", "show", "#100001"); !strings.Contains(text, "Ticket #100001  Caída") || !strings.Contains(text, "Se cayó el sitio") {
		t.Fatalf("show text:\n%s", text)
	}

	var out, errb bytes.Buffer
	if code := Main([]string{"tickets", "show", "999"}, &out, &errb, environ); code != 1 || !strings.Contains(errb.String(), "ticket 999 not found") {
		t.Fatalf("missing ticket: exit %d, %q", code, errb.String())
	}
}

// Text output shows times in the business time zone, labelled; JSON keeps
// RFC 3339 with the offset as stored.
func TestTicketTimesInBusinessZone(t *testing.T) {
	dir := t.TempDir()
	db := testenv.DBName(t)
	seed(t, dir, db) // arrivals 12:01 and 12:02 UTC, 16 November 2026
	addDevAgent(t, dir, db)
	for _, tc := range []struct {
		zone, show string
	}{
		{"", "--- 1. 2026-11-16 09:02 -03"}, // default America/Santiago, summer time
		{"America/Bogota", "--- 1. 2026-11-16 07:02 -05"},
		{"UTC", "--- 1. 2026-11-16 12:02 UTC"},
	} {
		environ := []string{"TURNO_DATA_DIR=" + dir, "TURNO_MONGODB_DATABASE=" + db, "TURNO_LOG_LEVEL=error"}
		if tc.zone != "" {
			environ = append(environ, "TURNO_BILLING_TIME_ZONE="+tc.zone)
		}
		run := func(args ...string) string {
			t.Helper()
			var out, errb bytes.Buffer
			if code := Main(args, &out, &errb, environ); code != 0 {
				t.Fatalf("turno %v: exit %d: %s", args, code, errb.String())
			}
			return out.String()
		}
		if out := run("tickets", "show", "100001"); !strings.Contains(out, tc.show) {
			t.Errorf("zone %q: tickets show lacks %q:\n%s", tc.zone, tc.show, out)
		}
		if out := run("tickets", "list", "--json"); !strings.Contains(out, `"first_arrival": "2026-11-16T12:01:00Z"`) {
			t.Errorf("zone %q: JSON times changed:\n%s", tc.zone, out)
		}
	}
}
