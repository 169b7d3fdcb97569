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

func TestNoticeRoundTripAndForgery(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	id := NewNotice("mail.example.cl", 104233, Tag("Ana@Example.cl"), Tag("msg-key"), key)
	ref, ok := Notice(id, key)
	if !ok || ref.Ticket != 104233 || ref.AgentTag != Tag("ana@example.cl") || ref.LastTag != Tag("msg-key") {
		t.Fatalf("Notice(%s) = %+v, %v", id, ref, ok)
	}
	if n, ok := Ticket(id, key); !ok || n != 104233 {
		t.Fatalf("Ticket(%s) = %d, %v", id, n, ok)
	}
	// A plain ticket ID is not a notice.
	if _, ok := Notice(New("mail.example.cl", 104233, key), key); ok {
		t.Fatal("plain ticket Message-ID parsed as a notice")
	}
	// Altering the agent tag, the last tag or the ticket breaks the HMAC.
	for _, bad := range []string{
		strings.Replace(id, ".n."+Tag("ana@example.cl"), ".n.00000000", 1),
		strings.Replace(id, Tag("msg-key"), "ffffffff", 1),
		strings.Replace(id, "<t104233.", "<t104234.", 1),
	} {
		if _, ok := Notice(bad, key); ok {
			t.Fatalf("forged notice %s accepted", bad)
		}
		if _, ok := Ticket(bad, key); ok {
			t.Fatalf("forged notice %s accepted by Ticket", bad)
		}
	}
	if _, ok := Notice(id, []byte("another key, another installation")); ok {
		t.Fatal("notice accepted under another key")
	}
}
