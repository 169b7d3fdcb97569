package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"turno/internal/testenv"
	"turno/mailin"
	"turno/mailout"
	"turno/store"
)

// oneJSONDocument reports why out is not exactly one JSON document.
func oneJSONDocument(out string) error {
	dec := json.NewDecoder(strings.NewReader(out))
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if err := dec.Decode(&v); !errors.Is(err, io.EOF) {
		return errors.New("more than one JSON document")
	}
	return nil
}

// listCommands are the commands that list something and take no argument.
var listCommands = [][]string{
	{"tickets", "list"},
	{"invoices", "list"},
	{"contracts", "list"},
	{"jobs", "history"},
	{"billing", "holds"},
	{"billing", "undeliverable"},
	{"billing", "uf", "list"},
	{"outbox", "list"},
	{"outbox", "suppressions", "list"},
	{"mail", "status"},
	{"mail", "quarantine", "list"},
}

// checkOutput runs args with and without --json: text that is not JSON,
// one JSON document, and no zero time in either. It returns the JSON.
func checkOutput(t *testing.T, must func(...string) string, args ...string) string {
	t.Helper()
	text := must(args...)
	if strings.TrimSpace(text) == "" || json.Valid([]byte(text)) {
		t.Errorf("turno %s printed JSON or nothing by default:\n%s", strings.Join(args, " "), text)
	}
	js := must(append(args, "--json")...)
	if err := oneJSONDocument(js); err != nil {
		t.Errorf("turno %s --json: %v:\n%s", strings.Join(args, " "), err, js)
	}
	for _, out := range []string{text, js} {
		if strings.Contains(out, "0001-01-01") || strings.Contains(out, "null") {
			t.Errorf("turno %s prints a zero time or null:\n%s", strings.Join(args, " "), out)
		}
	}
	return js
}

// TestOutputTextOrOneJSONDocument: every command that lists or shows
// something prints text by default and one JSON document with --json, an
// empty list as [], and never a zero time.
func TestOutputTextOrOneJSONDocument(t *testing.T) {
	dir := t.TempDir()
	addDevAgent(t, dir, "turno") // the tickets commands act as it
	must := mustRun(t, dir)
	for _, args := range listCommands {
		if js := checkOutput(t, must, args...); strings.TrimSpace(js) != "[]" {
			t.Errorf("turno %s --json on an empty store: %s, want []", strings.Join(args, " "), js)
		}
	}

	// Something of each kind: tickets, an invoice (with its mail in the
	// outbox), a held period, a UF value, a suppressed billing contact, a
	// mailbox's status and a quarantined message.
	seed(t, dir, "turno")
	must("clients", "add", "C1", "--name", "Acme SpA", "--email", "ana@acme.cl", "--no-welcome",
		"--set", "billing_enabled=true", "--set", "razon_social=Acme SpA", "--set", "tax_id=76.086.428-5",
		"--set", "giro=Hosting", "--set", "domicilio=Av. Matta 1234", "--set", "billing_comuna=Santiago", "--set", "billing_ciudad=Santiago")
	must("contacts", "add", "C1", "pagos@acme.cl", "--role", "billing")
	must("clients", "add", "C2", "--name", "Beta", "--email", "beto@beta.cl", "--no-welcome", "--set", "billing_enabled=true")
	must("contracts", "add", "K1", "--client", "C1", "--description", "Hosting Pyme", "--amount", "45990", "--anchor", "16", "--start", "2026-01-01")
	must("contracts", "add", "K2", "--client", "C2", "--description", "Correo", "--amount", "9990", "--anchor", "16", "--start", "2026-01-01")
	must("jobs", "run", "billing-cycle", "--date", "2026-11-16")
	must("billing", "uf", "set", time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly), "39876.54")
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir, Database: "turno", Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 16, 15, 0, 0, 0, time.UTC)
	err = errors.Join(
		mailout.MarkUndeliverable(ctx, st.DB, "pagos@acme.cl", "smtp", "550 5.1.1 user unknown", at),
		insert(ctx, st, mailin.CursorCollection, mailin.Cursor{Mailbox: "soporte", UIDValidity: 7, LastUID: 3}),
		insert(ctx, st, mailin.QuarantineCollection, mailin.Quarantined{ID: "soporte/7/4", Mailbox: "soporte", UIDValidity: 7, UID: 4,
			Size: 10, Reason: "parse", Error: "bad", At: at, State: mailin.QuarantineHeld}),
	)
	if cerr := st.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	for _, args := range listCommands {
		var list []any
		if js := checkOutput(t, must, args...); json.Unmarshal([]byte(js), &list) != nil || len(list) == 0 {
			t.Errorf("turno %s --json: want a non-empty list, got %s", strings.Join(args, " "), js)
		}
	}
	var entries []struct{ ID string }
	if err := json.Unmarshal([]byte(must("outbox", "list", "--json")), &entries); err != nil || len(entries) == 0 {
		t.Fatalf("outbox: %v %v", entries, err)
	}
	for _, args := range [][]string{
		{"tickets", "show", "100001"},
		{"invoices", "show", "1"},
		{"contracts", "show", "K1"},
		{"outbox", "show", entries[0].ID},
		{"jobs", "list"},
		{"templates", "list"},
		{"version"},
	} {
		checkOutput(t, must, args...)
	}
}

func insert(ctx context.Context, st *store.Store, coll string, doc any) error {
	_, err := st.DB.Collection(coll).InsertOne(ctx, doc)
	return err
}

// TestPrintJSON: nil lists become [], zero times are left out, nothing
// else changes, and the value printed is not modified.
func TestPrintJSON(t *testing.T) {
	type inner struct {
		Tags []string  `json:"tags"`
		At   time.Time `json:"at"`
	}
	type doc struct {
		Name   string         `json:"name"`
		Opt    []string       `json:"opt,omitempty"`
		When   time.Time      `json:"when"`
		Ended  time.Time      `json:"ended,omitempty"`
		Ptr    *inner         `json:"ptr"`
		List   []inner        `json:"list"`
		Counts map[string]int `json:"counts"`
		Raw    []byte         `json:"raw"`
		Any    any            `json:"any"`
	}
	at := time.Date(2026, 12, 2, 8, 33, 0, 0, time.FixedZone("-03", -3*3600))
	in := []doc{{Name: "a <b>", When: at, Ptr: &inner{}, List: []inner{{At: at}}, Any: inner{}}}
	var out bytes.Buffer
	if err := printJSON(&out, in); err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"a \u003cb\u003e","when":"2026-12-02T08:33:00-03:00","ptr":{"tags":[]},"list":[{"tags":[],"at":"2026-12-02T08:33:00-03:00"}],"counts":null,"raw":null,"any":{"tags":[]}}]`
	var got bytes.Buffer
	if err := json.Compact(&got, out.Bytes()); err != nil || got.String() != want {
		t.Fatalf("printJSON:\n got %s (%v)\nwant %s", got.String(), err, want)
	}
	if in[0].Ptr.Tags != nil || in[0].List[0].Tags != nil {
		t.Fatal("printJSON changed its argument")
	}
	out.Reset()
	if err := printJSON(&out, []string(nil)); err != nil || out.String() != "[]\n" {
		t.Fatalf("nil list: %q %v", out.String(), err)
	}
}
