package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"turno/agents"
	"turno/internal/testenv"
	"turno/store"
)

// TestAgentsCommands: add, show, list, edit and deactivate an agent; make
// a token (standard output is the token alone), list it by a 12-character
// id, revoke it by that prefix; bad input is refused naming the flag, and
// changes nothing.
func TestAgentsCommands(t *testing.T) {
	dir := t.TempDir()
	must := mustRun(t, dir)

	out := must("agents", "add", "Ana@Proveedor.cl", "--name", "Ana Rojas", "--department", "soporte",
		"--address", "ana.rojas@gmail.com", "--signature", "Ana\nSoporte", "--json")
	var a agents.Agent
	if err := json.Unmarshal([]byte(out), &a); err != nil || a.Email != "ana@proveedor.cl" || a.Role != "agent" ||
		len(a.Departments) != 1 || len(a.Addresses) != 1 || !a.Active || a.Lang != "es" {
		t.Fatalf("add printed %s (%v)", out, err)
	}
	if out := must("agents", "show", "ANA.ROJAS@gmail.com"); !strings.Contains(out, "email:        ana@proveedor.cl\n") ||
		!strings.Contains(out, "departments:  soporte\n") {
		t.Fatalf("show by alternate:\n%s", out)
	}

	// Bad input: an error naming the flag, exit 1, nothing written.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"agents", "add", "beto@proveedor.cl"}, "--name"},
		{[]string{"agents", "add", "Beto <beto@proveedor.cl>", "--name", "Beto"}, "EMAIL"},
		{[]string{"agents", "add", "beto@proveedor.cl", "--name", "Beto", "--department", "ventas"}, `--department: "ventas" is not a known department`},
		{[]string{"agents", "add", "beto@proveedor.cl", "--name", "Beto", "--role", "jefe"}, "--role"},
		{[]string{"agents", "add", "beto@proveedor.cl", "--name", "Beto", "--lang", "pt"}, "--lang"},
		{[]string{"agents", "add", "beto@proveedor.cl", "--name", "Beto", "--address", "ana.rojas@gmail.com"}, "already has that address"},
		{[]string{"agents", "edit", "ana@proveedor.cl", "--role", "jefe"}, "--role"},
		{[]string{"agents", "edit", "ana@proveedor.cl"}, "nothing to change"},
		{[]string{"agents", "edit", "nadie@proveedor.cl", "--name", "X"}, "no such agent"},
		{[]string{"agents", "token", "create"}, "--gateway"},
		{[]string{"agents", "token", "create", "nadie@proveedor.cl"}, "no such agent"},
		{[]string{"agents", "token", "revoke", "abc"}, "ID:"},
		{[]string{"agents", "token", "revoke", "0123456789ab"}, "no such token"},
	} {
		out, errs, code := run(t, dir, c.args...)
		if code != 1 || out != "" || !strings.Contains(errs, c.want) {
			t.Errorf("turno %s: code %d, stdout %q, stderr %q (want %q)", strings.Join(c.args, " "), code, out, errs, c.want)
		}
	}
	if out := must("agents", "list", "--json"); strings.Count(out, `"email"`) != 1 {
		t.Fatalf("bad input added an agent:\n%s", out)
	}

	// A token: stdout is exactly one line, the token; the hint goes to stderr.
	tok, errs, code := run(t, dir, "agents", "token", "create", "ana.rojas@gmail.com", "--name", "laptop")
	if code != 0 || strings.Count(tok, "\n") != 1 || !strings.HasPrefix(tok, agents.TokenPrefix) || strings.TrimSpace(tok)+"\n" != tok ||
		!strings.Contains(errs, "shown only this once") {
		t.Fatalf("token create: code %d, stdout %q, stderr %q", code, tok, errs)
	}
	tok = strings.TrimSpace(tok)
	id := agents.TokenID(tok)[:12]
	list := must("agents", "token", "list", "ana@proveedor.cl")
	if !strings.Contains(list, id+" ") || !strings.Contains(list, "laptop") || strings.Contains(list, tok) {
		t.Fatalf("token list:\n%s", list)
	}
	gw := must("agents", "token", "create", "--gateway", "--name", "flow", "--json")
	var g struct{ Token, ID, Scope, Label string }
	if err := json.Unmarshal([]byte(gw), &g); err != nil || !strings.HasPrefix(g.Token, agents.TokenPrefix) || g.ID != agents.TokenID(g.Token) ||
		g.Scope != "gateway" || g.Label != "flow" {
		t.Fatalf("gateway token create --json: %s (%v)", gw, err)
	}
	var all []agents.Token
	if err := json.Unmarshal([]byte(must("agents", "token", "list", "--json")), &all); err != nil || len(all) != 2 {
		t.Fatalf("token list --json: %v %v", all, err)
	}
	if gl := must("agents", "token", "list", "--gateway"); !strings.Contains(gl, "(gateway)") || strings.Contains(gl, id) {
		t.Fatalf("token list --gateway:\n%s", gl)
	}

	if out := must("agents", "token", "revoke", id); out != "revoke "+id+": ok\n" {
		t.Fatalf("revoke printed %q", out)
	}
	var ts []agents.Token
	if err := json.Unmarshal([]byte(must("agents", "token", "list", "ana@proveedor.cl", "--json")), &ts); err != nil ||
		len(ts) != 1 || ts[0].Revoked.IsZero() {
		t.Fatalf("after revoke: %+v %v", ts, err)
	}

	// Edit: --address replaces the alternates; '' clears them.
	out = must("agents", "edit", "ana@proveedor.cl", "--address", "ana@otro.cl", "--role", "admin", "--json")
	if err := json.Unmarshal([]byte(out), &a); err != nil || a.Role != "admin" || len(a.Addresses) != 1 || a.Addresses[0] != "ana@otro.cl" ||
		a.Name != "Ana Rojas" || a.Signature != "Ana\nSoporte" {
		t.Fatalf("edit printed %s (%v)", out, err)
	}
	if _, errs, code := run(t, dir, "agents", "show", "ana.rojas@gmail.com"); code != 1 || !strings.Contains(errs, "no such agent") {
		t.Fatalf("show of a removed alternate: %d %s", code, errs)
	}
	must("agents", "edit", "ana@proveedor.cl", "--address", "")
	must("agents", "add", "beto@proveedor.cl", "--name", "Beto", "--address", "ana@otro.cl")

	if out := must("agents", "deactivate", "ana@proveedor.cl"); out != "deactivate ana@proveedor.cl: ok\n" {
		t.Fatalf("deactivate printed %q", out)
	}
	list = must("agents", "list")
	if !strings.Contains(list, "EMAIL") || !strings.Contains(list, "beto@proveedor.cl") {
		t.Fatalf("list:\n%s", list)
	}
	if _, errs, code := run(t, dir, "agents", "token", "create", "ana@proveedor.cl"); code != 1 || !strings.Contains(errs, "deactivated") {
		t.Fatalf("token for a deactivated agent: %d %s", code, errs)
	}
	if out := must("agents", "show", "ana@proveedor.cl"); !strings.Contains(out, "state:        deactivated\n") {
		t.Fatalf("show after deactivate:\n%s", out)
	}
	noClearTokens(t, dir, tok, g.Token)
}

// noClearTokens: the tokens printed are nowhere in the api_tokens
// collection.
func noClearTokens(t *testing.T, dir string, toks ...string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir, Database: "turno", Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close(ctx) }()
	cur, err := st.DB.Collection(agents.CollTokens).Find(ctx, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	if err := cur.All(ctx, &docs); err != nil || len(docs) != 2 {
		t.Fatalf("%d token documents, %v", len(docs), err)
	}
	for _, d := range docs {
		b, _ := json.Marshal(d)
		for _, tok := range toks {
			if strings.Contains(string(b), strings.TrimPrefix(tok, agents.TokenPrefix)) {
				t.Fatalf("token in clear: %s", b)
			}
		}
	}
}

// TestRepliesCommands: add (from text and from a file), replace, list,
// show, remove; a bad name or no Spanish text is refused.
func TestRepliesCommands(t *testing.T) {
	dir := t.TempDir()
	must := mustRun(t, dir)
	f := filepath.Join(t.TempDir(), "en.txt")
	if err := os.WriteFile(f, []byte("Hi {requester_name},\nticket {ticket_number}.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := must("replies", "add", "Saludo", "--es", "Hola {requester_name}", "--en-file", f, "--json")
	var r struct{ Name, ES, EN string }
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Name != "saludo" || r.EN != "Hi {requester_name},\nticket {ticket_number}." {
		t.Fatalf("add printed %s (%v)", out, err)
	}
	must("replies", "add", "dns", "--es", "Revise su DNS.")
	must("replies", "add", "saludo", "--es", "Buenas {requester_name}")
	if out := must("replies", "show", "SALUDO"); !strings.Contains(out, "Buenas {requester_name}") || strings.Contains(out, "--- en ---") {
		t.Fatalf("show after replace:\n%s", out)
	}
	var ls []struct{ Name string }
	if err := json.Unmarshal([]byte(must("replies", "list", "--json")), &ls); err != nil || len(ls) != 2 || ls[0].Name != "dns" {
		t.Fatalf("list: %v %v", ls, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"replies", "add", "dos palabras", "--es", "x"}, "NAME:"},
		{[]string{"replies", "add", "x"}, "--es or --es-file is required"},
		{[]string{"replies", "add", "x", "--es", "a", "--es-file", f}, "not both"},
		{[]string{"replies", "add", "x", "--es-file", filepath.Join(dir, "none")}, "--es-file"},
		{[]string{"replies", "show", "nada"}, "no such saved reply"},
		{[]string{"replies", "remove", "nada"}, "no such saved reply"},
	} {
		out, errs, code := run(t, dir, c.args...)
		if code != 1 || out != "" || !strings.Contains(errs, c.want) {
			t.Errorf("turno %s: code %d, stdout %q, stderr %q (want %q)", strings.Join(c.args, " "), code, out, errs, c.want)
		}
	}
	if out := must("replies", "remove", "dns"); out != "remove dns: ok\n" {
		t.Fatalf("remove printed %q", out)
	}
	if out := must("replies", "list"); strings.Contains(out, "dns") || !strings.Contains(out, "saludo") {
		t.Fatalf("list after remove:\n%s", out)
	}
}
