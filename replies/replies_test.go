package replies_test

import (
	"context"
	"errors"
	"testing"

	"turno/internal/bsontest"
	"turno/internal/testenv"
	"turno/replies"
)

// TestPutGetListRemove: names are stored in lower case; Put replaces and
// keeps the created time; List is by name; Remove of an absent name is
// ErrNotFound.
func TestPutGetListRemove(t *testing.T) {
	ctx := context.Background()
	s := replies.New(testenv.DB(t))
	r, err := s.Put(ctx, replies.Saved{Name: " Gracias ", ES: "Gracias, {requester_name}.\r\n", EN: "Thanks, {requester_name}."})
	if err != nil || r.Name != "gracias" || r.ES != "Gracias, {requester_name}." || r.EN == "" || r.CreatedAt.IsZero() {
		t.Fatalf("Put = %+v, %v", r, err)
	}
	if _, err := s.Put(ctx, replies.Saved{Name: "a-dns_1", ES: "Revise su DNS."}); err != nil {
		t.Fatal(err)
	}
	r2, err := s.Put(ctx, replies.Saved{Name: "GRACIAS", ES: "Muchas gracias."})
	if err != nil || r2.ES != "Muchas gracias." || r2.EN != "" || !r2.CreatedAt.Equal(r.CreatedAt) {
		t.Fatalf("replace = %+v, %v (first %+v)", r2, err, r)
	}
	g, err := s.Get(ctx, "Gracias")
	if err != nil || *g != *r2 {
		t.Fatalf("Get = %+v, %v", g, err)
	}
	ls, err := s.List(ctx)
	if err != nil || len(ls) != 2 || ls[0].Name != "a-dns_1" || ls[1].Name != "gracias" {
		t.Fatalf("List = %+v, %v", ls, err)
	}
	if err := s.Remove(ctx, "gracias"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "gracias"); !errors.Is(err, replies.ErrNotFound) {
		t.Fatalf("second Remove: %v", err)
	}
	if _, err := s.Get(ctx, "gracias"); !errors.Is(err, replies.ErrNotFound) {
		t.Fatalf("Get after Remove: %v", err)
	}
	if _, err := s.Get(ctx, "no es un nombre"); !errors.Is(err, replies.ErrNotFound) {
		t.Fatalf("Get of a bad name: %v", err)
	}
}

// TestPutBadInputChangesNothing: a bad name or a missing Spanish text is
// an InputError and nothing is stored.
func TestPutBadInputChangesNothing(t *testing.T) {
	ctx := context.Background()
	s := replies.New(testenv.DB(t))
	if _, err := s.Put(ctx, replies.Saved{Name: "ok", ES: "Hola"}); err != nil {
		t.Fatal(err)
	}
	long := make([]byte, 65)
	for i := range long {
		long[i] = 'a'
	}
	for _, c := range []struct {
		field string
		r     replies.Saved
	}{
		{"name", replies.Saved{Name: "", ES: "x"}},
		{"name", replies.Saved{Name: "dos palabras", ES: "x"}},
		{"name", replies.Saved{Name: "ñandú", ES: "x"}},
		{"name", replies.Saved{Name: string(long), ES: "x"}},
		{"es", replies.Saved{Name: "ok", ES: "  \n"}},
		{"es", replies.Saved{Name: "ok", ES: "a\x00b"}},
		{"en", replies.Saved{Name: "ok", ES: "Hola", EN: "a\x1bb"}},
	} {
		_, err := s.Put(ctx, c.r)
		var ie *replies.InputError
		if !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("Put(%+v) = %v, want an InputError on %s", c.r, err, c.field)
		}
	}
	ls, err := s.List(ctx)
	if err != nil || len(ls) != 1 || ls[0].ES != "Hola" {
		t.Fatalf("after bad input: %+v, %v", ls, err)
	}
}

// TestText: the language chosen (Spanish without an English text), known
// placeholders filled once, unknown ones left as written.
func TestText(t *testing.T) {
	r := replies.Saved{ES: "Hola {requester_name}: su ticket #{ticket_number} lo ve {agent_name}. {otro} {requester_name}",
		EN: "Hi {requester_name}, ticket {ticket_number}."}
	v := replies.Vars{RequesterName: "{agent_name}", TicketNumber: 100042, AgentName: "Ana"}
	if got, want := r.Text("es", v), "Hola {agent_name}: su ticket #100042 lo ve Ana. {otro} {agent_name}"; got != want {
		t.Errorf("es: %q, want %q", got, want)
	}
	if got, want := r.Text("en", v), "Hi {agent_name}, ticket 100042."; got != want {
		t.Errorf("en: %q, want %q", got, want)
	}
	if got := r.Text("fr", v); got != r.Text("es", v) {
		t.Errorf("an unknown language is not Spanish: %q", got)
	}
	r.EN = ""
	if got := r.Text("en", replies.Vars{}); got != "Hola : su ticket # lo ve . {otro} " {
		t.Errorf("en without English text, no vars: %q", got)
	}
}

// TestStoredTypesRoundTrip: Saved survives the driver with every field set.
func TestStoredTypesRoundTrip(t *testing.T) {
	bsontest.RoundTrip(t, &replies.Saved{})
}
