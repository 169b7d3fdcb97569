package msgid

import (
	"strings"
	"testing"
)

func TestRoundTripAndForgery(t *testing.T) {
	key := []byte("k1")
	id := New("mail.example.cl", 104233, key)
	if !strings.HasPrefix(id, "<t104233.") || !strings.HasSuffix(id, "@mail.example.cl>") {
		t.Fatalf("shape: %s", id)
	}
	if n, ok := Ticket(id, key); !ok || n != 104233 {
		t.Fatalf("Ticket(%s) = %d, %v", id, n, ok)
	}
	if n, ok := Ticket(strings.Trim(id, "<>"), key); !ok || n != 104233 {
		t.Fatal("without brackets")
	}
	if _, ok := Ticket(id, []byte("other key")); ok {
		t.Fatal("accepted under another key")
	}
	// A stranger edits the ticket number but cannot recompute the MAC.
	forged := strings.Replace(id, "t104233.", "t104234.", 1)
	if _, ok := Ticket(forged, key); ok {
		t.Fatal("accepted a forged ticket number")
	}
	for _, bad := range []string{"", "<>", "<x@y>", "<t1@y>", "<t12.ab@y>", "<tabc.00.11@y>", "<t-5.aa.bb@y>"} {
		if _, ok := Ticket(bad, key); ok {
			t.Errorf("accepted %q", bad)
		}
	}
	plain := New("mail.example.cl", 0, key)
	if _, ok := Ticket(plain, key); ok {
		t.Fatal("plain ID taken for a ticket ID")
	}
	if New("d", 1, key) == New("d", 1, key) {
		t.Fatal("IDs repeat")
	}
}
