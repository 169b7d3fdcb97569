package agents_test

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/agents"
)

func TestConsolePasswordSetCheckedAndHashed(t *testing.T) {
	s, db, clk := newService(t, "soporte")
	ctx := context.Background()
	if _, err := s.Add(ctx, agents.Agent{Email: "ana@example.cl", Name: "Ana", Departments: []string{"soporte"},
		Addresses: []string{"ana.alt@example.cl"}}); err != nil {
		t.Fatal(err)
	}
	// Before any password: no login.
	if _, err := s.Login(ctx, "ana@example.cl", "lo que sea de largo"); !errors.Is(err, agents.ErrBadLogin) {
		t.Fatalf("login without a password: %v", err)
	}
	// Too short: refused, nothing stored.
	var ie *agents.InputError
	if _, err := s.SetPassword(ctx, "ana@example.cl", "corta"); !errors.As(err, &ie) {
		t.Fatalf("short password: %v", err)
	}
	if n, _ := db.Collection(agents.CollPasswords).CountDocuments(ctx, bson.D{}); n != 0 {
		t.Fatalf("a refused password was stored (%d)", n)
	}
	if _, err := s.SetPassword(ctx, "nadie@example.cl", "una frase larga y segura"); !errors.Is(err, agents.ErrNotFound) {
		t.Fatalf("unknown agent: %v", err)
	}
	// Set through an alternate address: stored under the primary, hashed.
	if _, err := s.SetPassword(ctx, "ANA.alt@example.cl", "una frase larga y segura"); err != nil {
		t.Fatal(err)
	}
	var doc bson.M
	if err := db.Collection(agents.CollPasswords).FindOne(ctx, bson.D{{Key: "_id", Value: "ana@example.cl"}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for k, v := range doc {
		if s, ok := v.(string); ok && s == "una frase larga y segura" {
			t.Fatalf("the password is stored in clear in %s", k)
		}
	}
	for _, addr := range []string{"ana@example.cl", "Ana.Alt@example.cl"} {
		a, err := s.Login(ctx, addr, "una frase larga y segura")
		if err != nil || a.Email != "ana@example.cl" {
			t.Fatalf("login as %s: %v %v", addr, a, err)
		}
	}
	for _, c := range [][2]string{{"ana@example.cl", "una frase larga y segurA"}, {"nadie@example.cl", "una frase larga y segura"}, {"", ""}} {
		if _, err := s.Login(ctx, c[0], c[1]); !errors.Is(err, agents.ErrBadLogin) {
			t.Fatalf("login %q/%q: %v, want ErrBadLogin", c[0], c[1], err)
		}
	}
	first, _ := s.PasswordSetAt(ctx, "ana@example.cl")
	clk.Advance(60e9)
	if _, err := s.SetPassword(ctx, "ana@example.cl", "otra frase distinta"); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.PasswordSetAt(ctx, "ana@example.cl"); !again.After(first) {
		t.Fatalf("set_at %v → %v", first, again)
	}
	if _, err := s.Login(ctx, "ana@example.cl", "una frase larga y segura"); !errors.Is(err, agents.ErrBadLogin) {
		t.Fatal("the old password still works")
	}
	// A deactivated agent cannot log in.
	if err := s.Deactivate(ctx, "ana@example.cl"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "ana@example.cl", "otra frase distinta"); !errors.Is(err, agents.ErrBadLogin) {
		t.Fatalf("deactivated agent: %v", err)
	}
	if p := agents.NewPassword(); len(p) < agents.MinPasswordLen {
		t.Fatalf("NewPassword %q too short", p)
	}
}
