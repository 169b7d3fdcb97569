package mailout

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/internal/testenv"
)

func TestVERPSenderShape(t *testing.T) {
	key := []byte("test-key")
	a, ok := VERPSender("soporte@proveedor.cl", key, "ticket-ack:<CAF=1@mail.gmail.com>", "Maria@Cliente.cl")
	if !ok {
		t.Fatal("no VERP for soporte@")
	}
	local, domain, _ := strings.Cut(a, "@")
	if !strings.HasPrefix(local, "soporte+b.") || domain != "proveedor.cl" || len(local) > 64 || len(local) != len("soporte")+verpLen {
		t.Fatalf("VERP %q", a)
	}
	if tok, ok := parseVERP("<" + strings.ToUpper(a) + ">"); !ok || tok.entry != verpEntryTag(key, "ticket-ack:<CAF=1@mail.gmail.com>") {
		t.Fatalf("an upper-cased VERP does not parse: %+v %v", tok, ok)
	}
	if b, _ := VERPSender("soporte@proveedor.cl", key, "ticket-ack:<CAF=1@mail.gmail.com>", "maria@cliente.cl"); b != a {
		t.Fatalf("the recipient's case changes the token: %s %s", a, b)
	}
	if VERPBase(a) != "soporte@proveedor.cl" || VERPBase("ana+x@b.cl") != "ana+x@b.cl" {
		t.Fatalf("VERPBase(%q) = %q", a, VERPBase(a))
	}
	long := strings.Repeat("n", 32) + "@proveedor.cl"
	if got, ok := VERPSender(long, key, "e", "r@x.cl"); ok || got != long {
		t.Fatalf("a 32-character local part got a token: %q", got)
	}
	if _, ok := VERPSender(strings.Repeat("n", 31)+"@proveedor.cl", key, "e", "r@x.cl"); !ok {
		t.Fatal("a 31-character local part has room for the token")
	}
	if _, ok := VERPSender("a+b@proveedor.cl", key, "e", "r@x.cl"); ok {
		t.Fatal("a subaddressed from_address got a token")
	}
	for _, bad := range []string{"soporte@proveedor.cl", "soporte+b.x.y.z@proveedor.cl", "+b.aaaaaaaaaaaa.aaaa.aaaaaaaaaaaa@x",
		"soporte+b.aaaaaaaaaaaa.aaaa.aaaaaaaaaaa1@x"} {
		if _, ok := parseVERP(bad); ok {
			t.Errorf("%q parsed as a VERP address", bad)
		}
	}
}

// TestVERPPerRecipientAndBounces: each recipient gets the message in its
// own transaction from its own VERP address; a bounce to one of those
// addresses suppresses that recipient only, and every way of faking one
// suppresses nothing.
func TestVERPPerRecipientAndBounces(t *testing.T) {
	r := newRig(t, nil, nil)
	ctx := context.Background()
	m := ackMessage("collection:c1", "maria@cliente.cl")
	m.Cc = []string{"conta@cliente.cl"}
	m.Sensitive = true
	id := r.enqueue(t, m)
	e := r.waitState(t, id, StateSent)
	if e.Recipients[0].State != RcptSent || e.Recipients[1].State != RcptSent {
		t.Fatalf("recipients %+v", e.Recipients)
	}
	got := r.smtp.WaitFor(2, 5*time.Second)
	if len(got) != 2 {
		t.Fatalf("%d transactions, want one per recipient", len(got))
	}
	envelope := map[string]string{}
	for _, g := range got {
		if len(g.To) != 1 || VERPBase(g.From) != r.ob.opts.Mail.FromAddress || g.From == r.ob.opts.Mail.FromAddress {
			t.Fatalf("transaction from %q to %v", g.From, g.To)
		}
		envelope[g.To[0]] = g.From
	}
	if envelope["maria@cliente.cl"] == envelope["conta@cliente.cl"] {
		t.Fatal("both recipients share one envelope sender")
	}
	key := r.ob.opts.MessageIDKey
	now := r.clock.Now()
	check := func(name string, addressed []string, bounced []BouncedRecipient, reason string) BounceVerdict {
		t.Helper()
		v, err := RecordBounce(ctx, r.db, key, addressed, bounced, now)
		if err != nil {
			t.Fatal(err)
		}
		if v.Reason != reason || v.Matched != (reason == "") {
			t.Fatalf("%s: verdict %+v, want reason %q", name, v, reason)
		}
		return v
	}
	victim := []BouncedRecipient{{Address: "maria@cliente.cl", Status: "5.1.1", Diagnostic: "user unknown"}}
	// The Cc'd accountant forges a bounce for María with its own VERP.
	check("co-recipient's token", []string{envelope["conta@cliente.cl"]}, victim, RefusedNotRecipient)
	check("no token", []string{"soporte@example.cl"}, victim, RefusedNoVERP)
	tok, _ := parseVERP(envelope["maria@cliente.cl"])
	forged := strings.Replace(envelope["maria@cliente.cl"], tok.mac, "aaaaaaaaaaaa", 1)
	check("bad signature", []string{forged}, victim, RefusedBadSignature)
	unknown := strings.Replace(envelope["maria@cliente.cl"], tok.entry, "aaaaaaaaaaaa", 1)
	check("unknown entry", []string{unknown}, victim, RefusedUnknownEntry)
	check("no failed recipient", []string{envelope["maria@cliente.cl"]}, nil, RefusedNoRecipients)
	if n, _ := r.db.Collection(SuppressionsCollection).CountDocuments(ctx, bson.D{}); n != 0 {
		t.Fatalf("%d suppressions after refused bounces", n)
	}
	// A delay report for María is hers but suppresses nothing.
	delay := check("delay", []string{envelope["maria@cliente.cl"]}, []BouncedRecipient{{Address: "maria@cliente.cl", Status: "4.2.2"}}, "")
	if len(delay.Suppressed) != 0 {
		t.Fatalf("a 4.x.x report suppressed %v", delay.Suppressed)
	}
	// The real bounce: addressed to María's VERP address (any case).
	v := check("real", []string{"soporte@example.cl", strings.ToUpper(envelope["maria@cliente.cl"])}, append(victim,
		BouncedRecipient{Address: "conta@cliente.cl", Status: "5.1.1"}), "")
	if v.Entry != id || !v.Sensitive || len(v.Suppressed) != 1 || v.Suppressed[0] != "maria@cliente.cl" {
		t.Fatalf("verdict %+v", v)
	}
	if ok, _ := Suppressed(ctx, r.db, "maria@cliente.cl"); !ok {
		t.Fatal("the real bounce did not suppress María")
	}
	if ok, _ := Suppressed(ctx, r.db, "conta@cliente.cl"); ok {
		t.Fatal("María's bounce suppressed the accountant")
	}
}

// TestVERPRejectedAfterMailFrom: the relay accepts one recipient's
// transaction and rejects the other's DATA with a content 5.7.1: only
// that recipient fails, and a DATA refusal marks no address undeliverable.
func TestVERPDataRefusalIsPerRecipient(t *testing.T) {
	var rcpt string
	r := newRig(t, func(c testenv.Cmd) testenv.Reply {
		switch c.Step {
		case testenv.StepRcpt:
			rcpt = c.Arg
		case testenv.StepData:
			if rcpt == "malo@example.com" {
				return testenv.Reply{Code: 554, Enhanced: "5.7.1", Message: "content refused"}
			}
		}
		return testenv.Reply{}
	}, func(o *Options) { o.Outbox.Connections = 1 })
	id := r.enqueue(t, ackMessage("k", "bueno@example.com", "malo@example.com"))
	e := r.waitState(t, id, StateSent)
	got := map[string]string{}
	for _, rc := range e.Recipients {
		got[rc.Address] = rc.State
	}
	if got["bueno@example.com"] != RcptSent || got["malo@example.com"] != RcptFailed {
		t.Fatalf("recipients %+v", e.Recipients)
	}
	if ok, _ := Suppressed(context.Background(), r.db, "malo@example.com"); ok {
		t.Fatal("a DATA refusal marked the address undeliverable")
	}
}
