package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/agents"
	"turno/daemon"
	"turno/internal/testenv"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/replies"
	"turno/store"
	"turno/tickets"
)

// withStore opens the embedded store of dir (database turno, as the
// commands use it), runs fn and closes it so the commands can open it.
func withStore(t *testing.T, dir string, fn func(ctx context.Context, st *store.Store)) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir, Database: "turno", Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	fn(ctx, st)
}

// addAgents adds active agents (email → departments; "*" makes an admin).
func addAgents(t *testing.T, ctx context.Context, st *store.Store, who map[string][]string) {
	t.Helper()
	ag, err := agents.New(agents.Options{DB: st.DB, Departments: []string{"pagos", "soporte"}, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	for email, depts := range who {
		a := agents.Agent{Email: email, Name: "Agente " + strings.Split(email, "@")[0], Departments: depts}
		if len(depts) == 1 && depts[0] == "*" {
			a.Role, a.Departments = agents.RoleAdmin, nil
		}
		if _, err := ag.Add(ctx, a); err != nil {
			t.Fatalf("add agent %s: %v", email, err)
		}
	}
}

// addDevAgent makes an admin agent and names it in dir as a --dev daemon
// does, so commands run without --as act as it.
func addDevAgent(t *testing.T, dir, db string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir, Database: db, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	addAgents(t, ctx, st, map[string][]string{daemon.DevAgent: {"*"}})
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, daemon.DevAgentFile), []byte(daemon.DevAgent+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// workDir is a data directory with agents ana (soporte) and beto (pagos)
// and ticket 100000, opened in soporte by a customer's mail through Ingest.
func workDir(t *testing.T) string {
	dir := t.TempDir()
	withStore(t, dir, func(ctx context.Context, st *store.Store) {
		if err := store.EnsureIndexes(ctx, st.DB, tickets.Indexes()); err != nil {
			t.Fatal(err)
		}
		addAgents(t, ctx, st, map[string][]string{"ana@turno.test": {"soporte"}, "beto@turno.test": {"pagos"}})
		svc, err := tickets.New(tickets.Options{DB: st.DB, Logger: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		m, err := parse.Parse(strings.NewReader("From: Pedro Soto <pedro@gmail.com>\r\nTo: soporte@turno.test\r\n"+
			"Subject: No llega el correo\r\nMessage-ID: <q1@gmail.com>\r\n\r\nDesde ayer no recibo correo.\r\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Ingest(ctx, tickets.Incoming{Msg: m, Mailbox: "soporte", Department: "soporte",
			ArrivedAt: time.Now().Add(-3 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := replies.New(st.DB).Put(ctx, replies.Saved{Name: "gracias",
			ES: "Gracias {requester_name}, su ticket {ticket_number} queda resuelto. {agent_name}",
			EN: "Thanks {requester_name}, ticket {ticket_number} is solved. {agent_name}"}); err != nil {
			t.Fatal(err)
		}
	})
	return dir
}

// runAs runs the command line on dir with extra environment and stdin.
func runAs(dir string, env []string, stdin string, args ...string) (string, string, int) {
	if stdin != "" {
		old := ticketStdin
		ticketStdin = func() (io.Reader, bool) { return strings.NewReader(stdin), false }
		defer func() { ticketStdin = old }()
	}
	var out, errb bytes.Buffer
	environ := append([]string{"TURNO_DATA_DIR=" + dir, "USER=tester", "TURNO_LOG_LEVEL=warn"}, env...)
	code := Main(args, &out, &errb, environ)
	return out.String(), errb.String(), code
}

func outboxCount(t *testing.T, dir string) int64 {
	var n int64
	withStore(t, dir, func(ctx context.Context, st *store.Store) {
		var err error
		if n, err = st.DB.Collection(mailout.OutboxCollection).CountDocuments(ctx, bson.D{}); err != nil {
			t.Fatal(err)
		}
	})
	return n
}

// The agents' commands end to end on a ticket made by Ingest: list, show,
// reply (from a file, stdin and a saved reply; once per key), note,
// status, assign, priority, each with --json; and bad input refused.
func TestTicketsWorkCommands(t *testing.T) {
	dir := workDir(t)
	ana := []string{"TURNO_AGENT=ana@turno.test"}
	must := func(stdin string, args ...string) (string, string) {
		t.Helper()
		out, errs, code := runAs(dir, ana, stdin, args...)
		if code != 0 {
			t.Fatalf("turno %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errs)
		}
		return out, errs
	}
	decode := func(out string, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
	}

	var list []tickets.Ticket
	out, _ := must("", "tickets", "list", "--json")
	decode(out, &list)
	if len(list) != 1 || list[0].Number != 100000 || list[0].Status != tickets.StatusNew || !list[0].Unverified {
		t.Fatalf("list: %+v", list)
	}
	out, _ = must("", "tickets", "list")
	for _, want := range []string{"100000", "new", "3h", "pedro@gmail.com (unverified)", "No llega el correo", "soporte"} {
		if !strings.Contains(out, want) {
			t.Errorf("list text lacks %q:\n%s", want, out)
		}
	}
	var th tickets.Thread
	out, _ = must("", "tickets", "show", "100000", "--json")
	decode(out, &th)
	if th.Ticket.Number != 100000 || len(th.Messages) != 1 || th.Messages[0].MessageID == "" {
		t.Fatalf("show: %+v", th)
	}

	// A reply from a file, twice with the same key: one outbox entry.
	answer := filepath.Join(t.TempDir(), "answer.txt")
	if err := os.WriteFile(answer, []byte("Hola Pedro, revisamos su casilla.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var res tickets.ReplyResult
	out, _ = must("", "tickets", "reply", "100000", "--file", answer, "--status", "pending", "--key", "k1", "--json")
	decode(out, &res)
	if res.Replayed || res.Ticket.Status != tickets.StatusPending || res.Message.Direction != tickets.DirReply ||
		res.Message.Answers != th.Messages[0].Key || res.Message.OutboxID == "" {
		t.Fatalf("reply: %+v", res)
	}
	out, _ = must("", "tickets", "reply", "100000", "--file", answer, "--status", "pending", "--key", "k1", "--json")
	decode(out, &res)
	if !res.Replayed {
		t.Errorf("the same key again was not a replay: %+v", res)
	}
	if n := outboxCount(t, dir); n != 1 {
		t.Fatalf("outbox has %d entries after two replies with one key, want 1", n)
	}

	// From stdin with "-", no key: one is made and printed.
	out, errs := must("Un dato más.\n", "tickets", "reply", "100000", "-")
	if !strings.Contains(errs, "idempotency key: cli-") || !strings.Contains(errs, "repeat with --key cli-") ||
		!strings.Contains(out, "Reply sent on ticket #100000") {
		t.Errorf("reply from stdin:\n%s\n%s", out, errs)
	}
	// A saved reply, in the ticket's language with its placeholders.
	out, _ = must("", "tickets", "reply", "100000", "--saved", "gracias", "--status", "solved", "--json")
	decode(out, &res)
	if res.Ticket.Status != tickets.StatusSolved || !strings.Contains(res.Message.Text, "Gracias Pedro Soto, su ticket 100000") {
		t.Errorf("saved reply: %+v", res.Message)
	}
	if n := outboxCount(t, dir); n != 3 {
		t.Errorf("outbox has %d entries after three replies, want 3", n)
	}

	// A note from stdin (not a terminal, no file): never mailed.
	out, _ = must("Llamó por teléfono.\n", "tickets", "note", "100000", "--key", "n1", "--json")
	decode(out, &res)
	if res.Message.Direction != tickets.DirNote || res.Message.Text != "Llamó por teléfono.\n" && res.Message.Text != "Llamó por teléfono." {
		t.Errorf("note: %+v", res.Message)
	}
	if n := outboxCount(t, dir); n != 3 {
		t.Errorf("a note reached the outbox: %d entries", n)
	}

	var tk tickets.Ticket
	out, _ = must("", "tickets", "status", "100000", "open", "--json")
	decode(out, &tk)
	if tk.Status != tickets.StatusOpen {
		t.Errorf("status: %+v", tk)
	}
	out, _ = must("", "tickets", "assign", "100000", "--me", "--json")
	decode(out, &tk)
	if tk.Assignee != "ana@turno.test" {
		t.Errorf("assign --me: %+v", tk)
	}
	out, _ = must("", "tickets", "list", "--mine", "--json")
	if decode(out, &list); len(list) != 1 {
		t.Errorf("list --mine: %+v", list)
	}
	out, _ = must("", "tickets", "list", "--unassigned", "--json")
	if decode(out, &list); len(list) != 0 {
		t.Errorf("list --unassigned: %+v", list)
	}
	out, _ = must("", "tickets", "priority", "100000", "high", "--json")
	decode(out, &tk)
	if tk.ManualLabel != "high" || tk.Label != "high" {
		t.Errorf("priority high: %+v", tk)
	}
	out, _ = must("", "tickets", "unassign", "100000", "--json")
	tk = tickets.Ticket{}
	decode(out, &tk)
	if tk.Assignee != "" {
		t.Errorf("unassign: %+v", tk)
	}

	out, _ = must("", "tickets", "show", "100000")
	for _, want := range []string{"REPLY by", "NOTE by", "(internal, never mailed)", "History", "status", "assign", "→"} {
		if !strings.Contains(out, want) {
			t.Errorf("show text lacks %q:\n%s", want, out)
		}
	}

	// Bad input: a clear error naming the argument, nothing changed.
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"tickets", "status", "100000", "bogus"}, "STATUS must be one of"},
		{"", []string{"tickets", "reply", "100000", "--file", answer, "--status", "closed"}, "--status must be open, pending or solved"},
		{"", []string{"tickets", "reply", "100000"}, "no reply text"},
		{"", []string{"tickets", "reply", "100000", "--saved", "nada"}, `--saved: no saved reply "nada"`},
		{"", []string{"tickets", "assign", "100000"}, "--me"},
		{"", []string{"tickets", "priority", "100000", "urgent"}, "LABEL must be high, medium or low"},
		{"", []string{"tickets", "show", "999"}, "ticket 999 not found (or not in your departments)"},
		{"", []string{"tickets", "merge", "100000"}, "--into A is required"},
	} {
		out, errs, code := runAs(dir, ana, tc.stdin, tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("turno %s: exit %d, stderr %q, want %q (stdout %s)", strings.Join(tc.args, " "), code, errs, tc.want, out)
		}
	}
	if n := outboxCount(t, dir); n != 3 {
		t.Errorf("bad input changed the outbox: %d entries", n)
	}
}

// The acting agent: --as, TURNO_AGENT, the dev agent of the data
// directory; none or an unknown one is an error naming the three ways; an
// agent of another department does not see the ticket.
func TestTicketsActingAgent(t *testing.T) {
	dir := workDir(t)
	ways := []string{"--as EMAIL", "TURNO_AGENT", "turno serve --dev"}
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"tickets", "list"}, "no acting agent"},
		{nil, []string{"tickets", "list", "--as", "nadie@turno.test"}, `no agent "nadie@turno.test" (from --as)`},
		{[]string{"TURNO_AGENT=nadie@turno.test"}, []string{"tickets", "show", "100000"}, `no agent "nadie@turno.test" (from TURNO_AGENT)`},
	} {
		_, errs, code := runAs(dir, tc.env, "", tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("turno %v: exit %d, %q, want %q", tc.args, code, errs, tc.want)
		}
		for _, w := range ways {
			if !strings.Contains(errs, w) {
				t.Errorf("turno %v: the error does not name %q: %s", tc.args, w, errs)
			}
		}
	}

	// Beto works in pagos: ticket 100000 (soporte) does not exist for him.
	beto := []string{"--as", "beto@turno.test"}
	for _, args := range [][]string{
		{"tickets", "show", "100000"},
		{"tickets", "status", "100000", "pending"},
		{"tickets", "reply", "100000", "-"},
		{"tickets", "note", "100000", "-", "--key", "x"},
	} {
		out, errs, code := runAs(dir, nil, "hola", append(args, beto...)...)
		if code == 0 || !strings.Contains(errs, "ticket 100000 not found (or not in your departments)") {
			t.Errorf("turno %v as beto: exit %d\n%s\n%s", args, code, out, errs)
		}
	}
	out, errs, code := runAs(dir, nil, "", append([]string{"tickets", "list", "--json"}, beto...)...)
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("list as beto: %d %s %s", code, out, errs)
	}
	if n := outboxCount(t, dir); n != 0 {
		t.Errorf("beto's reply reached the outbox: %d", n)
	}

	// --as wins over TURNO_AGENT.
	if _, errs, code := runAs(dir, []string{"TURNO_AGENT=ana@turno.test"}, "", "tickets", "show", "100000", "--as", "beto@turno.test"); code == 0 || !strings.Contains(errs, "not found") {
		t.Errorf("--as did not win over TURNO_AGENT: %d %s", code, errs)
	}
	// The dev agent named in the data directory is the default.
	if err := os.WriteFile(filepath.Join(dir, daemon.DevAgentFile), []byte("ana@turno.test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := runAs(dir, nil, "", "tickets", "show", "100000"); code != 0 || !strings.Contains(out, "Ticket #100000") {
		t.Errorf("show as the dev agent: %d\n%s\n%s", code, out, errs)
	}
}

// A refused reply prints what is new: who, when, the first lines.
func TestTicketsConflictPrintsWhatIsNew(t *testing.T) {
	var errb bytes.Buffer
	tc := &ticketCmds{e: &env{stderr: &errb}}
	at := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	tc.printConflict(&tickets.ConflictError{Ticket: 7, Newer: []tickets.Message{
		{Key: "q2@gmail.com", From: tickets.Address{Name: "Pedro", Address: "pedro@gmail.com"}, ArrivedAt: at,
			Text: "Sigue sin llegar.\n\nOtra línea\ntercera\ncuarta\n"},
		{Key: "r1", Direction: tickets.DirReply, Agent: "beto@turno.test", AgentName: "Beto", ArrivedAt: at.Add(time.Minute), Text: "Ya lo vemos."},
	}})
	out := errb.String()
	for _, want := range []string{"Ticket #7 changed", "2026-12-02 12:00 UTC  Pedro <pedro@gmail.com>  (q2@gmail.com)",
		"| Sigue sin llegar.", "| tercera", "| …", "agent Beto <beto@turno.test>", "| Ya lo vemos."} {
		if !strings.Contains(out, want) {
			t.Errorf("conflict output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "cuarta") {
		t.Errorf("conflict output shows more than the first lines:\n%s", out)
	}
}

func ingestMail(t *testing.T, dir, raw string) {
	t.Helper()
	withStore(t, dir, func(ctx context.Context, st *store.Store) {
		svc, err := tickets.New(tickets.Options{DB: st.DB, Logger: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		m, err := parse.Parse(strings.NewReader(raw), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Ingest(ctx, tickets.Incoming{Msg: m, Mailbox: "soporte", Department: "soporte", ArrivedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	})
}

// link, assign to another agent, merge and move, each printing the
// resulting ticket with --json; refusals name the argument.
func TestTicketsLinkMergeMove(t *testing.T) {
	dir := workDir(t)
	ingestMail(t, dir, "From: Pedro Soto <pedro@gmail.com>\r\nSubject: Otra cosa\r\nMessage-ID: <q9@gmail.com>\r\n\r\nY otra cosa.\r\n")
	withStore(t, dir, func(ctx context.Context, st *store.Store) {
		addAgents(t, ctx, st, map[string][]string{"jefa@turno.test": {"*"}})
	})
	conf := filepath.Join(dir, "turno.toml")
	if err := os.WriteFile(conf, []byte("[departments.pagos]\naddress = \"pagos@turno.test\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"TURNO_CONFIG=" + conf, "TURNO_AGENT=jefa@turno.test"}
	must := func(v any, args ...string) {
		t.Helper()
		out, errs, code := runAs(dir, env, "", args...)
		if code != 0 {
			t.Fatalf("turno %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errs)
		}
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("turno %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	refused := func(want string, args ...string) {
		t.Helper()
		out, errs, code := runAs(dir, env, "", args...)
		if code == 0 || !strings.Contains(errs, want) {
			t.Errorf("turno %s: exit %d, stderr %q, want %q (stdout %s)", strings.Join(args, " "), code, errs, want, out)
		}
	}

	if _, errs, code := runAs(dir, env, "", "clients", "add", "C1", "--name", "Acme", "--email", "ana@acme.cl", "--no-welcome"); code != 0 {
		t.Fatal(errs)
	}
	var tk tickets.Ticket
	must(&tk, "tickets", "link", "100000", "--client", "C1", "--json")
	if tk.Unverified || tk.ClientID != "C1" {
		t.Errorf("link: %+v", tk)
	}
	refused("--client ID is required", "tickets", "link", "100000")

	refused("AGENT", "tickets", "assign", "100000", "beto@turno.test") // beto works in pagos
	refused("AGENT: no active agent", "tickets", "assign", "100000", "nadie@turno.test")
	tk = tickets.Ticket{}
	must(&tk, "tickets", "assign", "100000", "ana@turno.test", "--json")
	if tk.Assignee != "ana@turno.test" {
		t.Errorf("assign: %+v", tk)
	}

	tk = tickets.Ticket{}
	must(&tk, "tickets", "merge", "100001", "--into", "100000", "--json")
	if tk.Number != 100000 {
		t.Errorf("merge printed %+v, want ticket 100000", tk)
	}
	var th tickets.Thread
	must(&th, "tickets", "show", "100001", "--json")
	if th.Ticket.MergedInto != 100000 || th.Ticket.Status != tickets.StatusClosed {
		t.Errorf("merged ticket: %+v", th.Ticket)
	}
	refused("ticket 100002 not found", "tickets", "merge", "100002", "--into", "100000")
	refused("cannot be merged into itself", "tickets", "merge", "100000", "--into", "100000")

	refused("DEPARTMENT", "tickets", "move", "100000", "nowhere")
	tk = tickets.Ticket{}
	must(&tk, "tickets", "move", "100000", "pagos", "--json")
	if tk.Department != "pagos" {
		t.Errorf("move: %+v", tk)
	}
	if _, errs, code := runAs(dir, []string{"TURNO_CONFIG=" + conf}, "", "tickets", "show", "100000", "--as", "ana@turno.test"); code == 0 || !strings.Contains(errs, "not in your departments") {
		t.Errorf("ana still sees the ticket moved to pagos: %d %s", code, errs)
	}
}
