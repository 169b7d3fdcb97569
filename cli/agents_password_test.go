package cli

import (
	"context"
	"io"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/agents"
	"turno/store"
)

// TestAgentsPasswordCommand: the password from stdin or typed twice sets
// the agent's console login; bad input changes nothing.
func TestAgentsPasswordCommand(t *testing.T) {
	dir := t.TempDir()
	must := mustRun(t, dir)
	must("agents", "add", "ana@proveedor.cl", "--name", "Ana", "--department", "soporte")

	withStdin := func(s string) func() {
		old := ticketStdin
		ticketStdin = func() (io.Reader, bool) { return strings.NewReader(s), false }
		return func() { ticketStdin = old }
	}
	restore := withStdin("una frase larga y segura\n")
	out, errs, code := runIn(dir, "agents", "password", "ana@proveedor.cl", "--password-stdin")
	restore()
	if code != 0 || !strings.Contains(out, "console password set for ana@proveedor.cl") {
		t.Fatalf("password --password-stdin: %d %s %s", code, out, errs)
	}
	login := func(pw string) error {
		var err error
		withStore(t, dir, func(ctx context.Context, st *store.Store) {
			s, _ := agents.New(agents.Options{DB: st.DB})
			_, err = s.Login(ctx, "ana@proveedor.cl", pw)
		})
		return err
	}
	if err := login("una frase larga y segura"); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}

	// Typed twice on a terminal; a mismatch changes nothing.
	old := passwordPrompt
	defer func() { passwordPrompt = old }()
	typed := []string{"otra frase bien larga", "otra frase distinta!!"}
	passwordPrompt = func(string, io.Writer) (string, bool, error) { p := typed[0]; typed = typed[1:]; return p, true, nil }
	if _, errs, code := runIn(dir, "agents", "password", "ana@proveedor.cl"); code == 0 || !strings.Contains(errs, "differ") {
		t.Fatalf("mismatch: %d %s", code, errs)
	}
	typed = []string{"otra frase bien larga", "otra frase bien larga"}
	if _, errs, code := runIn(dir, "agents", "password", "ana@proveedor.cl"); code != 0 {
		t.Fatalf("typed: %d %s", code, errs)
	}
	if err := login("otra frase bien larga"); err != nil {
		t.Fatalf("login with the typed password: %v", err)
	}

	// Bad input: a clear error, nothing changed.
	passwordPrompt = func(string, io.Writer) (string, bool, error) { return "", false, nil }
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"agents", "password", "ana@proveedor.cl"}, "--password-stdin"},
		{"corta\n", []string{"agents", "password", "ana@proveedor.cl", "--password-stdin"}, "password: must be 10 to 128"},
		{"\n", []string{"agents", "password", "ana@proveedor.cl", "--password-stdin"}, "empty"},
		{"una frase larga y segura\n", []string{"agents", "password", "nadie@proveedor.cl", "--password-stdin"}, "no such agent"},
	} {
		restore := withStdin(c.stdin)
		_, errs, code := runIn(dir, c.args...)
		restore()
		if code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: %d %q, want an error with %q", c.args, code, errs, c.want)
		}
	}
	if err := login("otra frase bien larga"); err != nil {
		t.Fatalf("a refused change changed the password: %v", err)
	}
	withStore(t, dir, func(ctx context.Context, st *store.Store) {
		if n, _ := st.DB.Collection(agents.CollPasswords).CountDocuments(ctx, bson.D{}); n != 1 {
			t.Fatalf("%d password documents", n)
		}
	})
}
