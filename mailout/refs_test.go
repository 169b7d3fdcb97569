package mailout

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wneessen/go-mail/smtp"

	"turno/mailin/parse"
)

// manyRefs is a References list like the contact's that made a 96 KB
// header line: n ids of about 32 bytes.
func manyRefs(n int) []string {
	refs := make([]string, n)
	for i := range refs {
		refs[i] = fmt.Sprintf("<CAF%06d.x7Qz@mail.gmail.com>", i)
	}
	return refs
}

// checkLines fails on a line over 998 bytes anywhere, and on a top-level
// header line over 78 (everything compose writes there can be folded).
func checkLines(t *testing.T, msg []byte) {
	t.Helper()
	head, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	for i, l := range bytes.Split(head, []byte("\r\n")) {
		if len(l) > foldWidth {
			t.Errorf("header line %d is %d bytes: %.100s", i, len(l), l)
		}
	}
	for i, l := range bytes.Split(msg, []byte("\r\n")) {
		if len(l) > 998 {
			t.Errorf("line %d is %d bytes: %.100s", i, len(l), l)
		}
	}
}

// TestComposeBoundsHeaderLines: 3,000 references, a subject with a
// 1,500-byte word, a 3,000-byte attachment name, an In-Reply-To too long
// for a line and references that cannot be sent: every line stays within
// 998 bytes and the top-level header within 78, and the intake reads back
// the first reference, the last ten and the whole subject.
func TestComposeBoundsHeaderLines(t *testing.T) {
	set := loadTemplates(t)
	o := &Outbox{opts: Options{Templates: set}}
	subject := "Ayuda " + strings.Repeat("x", 1500) + " ñandú"
	r, err := o.render("ticket_ack", "es", `{"ticket_number":5,"subject":"x"}`, 5)
	if err != nil {
		t.Fatal(err)
	}
	r.Subject = subject
	refs := manyRefs(3000)
	refs = append(refs[:1500:1500], append([]string{"<with space@x>", "no-brackets@x", "<" + strings.Repeat("a", 950) + "@x>"}, refs[1500:]...)...)
	e := &Entry{ID: "k", To: []string{"ana@cliente.cl"}, MessageID: "<t5.00112233aabbccdd.0011223344556677@example.cl>", Ticket: 5,
		InReplyTo: "<" + strings.Repeat("b", 1000) + "@x>", References: refs,
		Attachments: []StoredAttachment{{Filename: strings.Repeat("ñ", 1500) + ".pdf", ContentType: "application/pdf", Data: []byte("%PDF")}}}
	msg, err := compose(composeInput{FromName: "Soporte", FromAddress: "soporte@example.cl", Entry: e, Rendered: r,
		Date: time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), LoopValue: "example.cl"})
	if err != nil {
		t.Fatal(err)
	}
	checkLines(t, msg)
	m, err := parse.Parse(bytes.NewReader(msg), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != subject {
		t.Errorf("subject read back as %.80q", m.Subject)
	}
	want := append([]string{"CAF000000.x7Qz@mail.gmail.com"}, func() (out []string) {
		for i := 2990; i < 3000; i++ {
			out = append(out, fmt.Sprintf("CAF%06d.x7Qz@mail.gmail.com", i))
		}
		return
	}()...)
	if strings.Join(m.References, " ") != strings.Join(want, " ") {
		t.Errorf("references read back: %v\nwant %v", m.References, want)
	}
	if m.InReplyTo != "" {
		t.Errorf("an In-Reply-To too long for a line was sent: %.60q", m.InReplyTo)
	}
	if len(m.Attachments) != 1 || len(m.Attachments[0].Filename) > maxFilename || !strings.HasSuffix(m.Attachments[0].Filename, "ñ.pdf") {
		t.Errorf("attachments %+v", m.Attachments)
	}
}

func TestTrimReferences(t *testing.T) {
	if got := trimReferences(manyRefs(11)); len(got) != 11 {
		t.Errorf("11 references trimmed to %d", len(got))
	}
	got := trimReferences(manyRefs(12))
	if len(got) != 11 || got[0] != manyRefs(1)[0] || got[1] != manyRefs(3)[2] {
		t.Errorf("12 references: %v", got)
	}
	if got := trimReferences([]string{"a@b", "<a b@c>", ""}); got != nil {
		t.Errorf("unsendable references kept: %q", got)
	}
}

// TestThousandsOfReferencesAreSent: an acknowledgement to a mail with
// 3,000 references is stored with eleven and accepted by a go-smtp relay
// that refuses lines over 2,000 bytes (go-smtp's default MaxLineLength,
// which the test shows the rig's server enforces).
func TestThousandsOfReferencesAreSent(t *testing.T) {
	r := newRig(t, nil, nil)
	refuseLongLine(t, r.smtp.Addr)

	m := ackMessage("ack-refs", "ana@cliente.cl")
	m.References = manyRefs(3000)
	m.InReplyTo = m.References[2999]
	if n := len(strings.Join(m.References, " ")); n < 90000 {
		t.Fatalf("references are %d bytes, want a header like the 96 KB one", n)
	}
	id := r.enqueue(t, m)
	e := r.waitState(t, id, StateSent)
	if len(e.References) != 1+refsTail || e.References[0] != m.References[0] || e.References[refsTail] != m.References[2999] {
		t.Errorf("stored references: %v", e.References)
	}
	got := r.smtp.WaitFor(1, 10*time.Second)
	if len(got) != 1 {
		t.Fatalf("relay accepted %d messages", len(got))
	}
	checkLines(t, got[0].Data)
	pm, err := parse.Parse(bytes.NewReader(got[0].Data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pm.References) != 1+refsTail || pm.InReplyTo != "CAF002999.x7Qz@mail.gmail.com" {
		t.Errorf("delivered references %v, in-reply-to %q", pm.References, pm.InReplyTo)
	}
}

// refuseLongLine shows that the relay at addr refuses a message with a
// 2,500-byte line, as the relay that refused the 96 KB References did.
func refuseLongLine(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("probe@example.cl"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("probe@cliente.cl"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	_, err = fmt.Fprintf(w, "Subject: probe\r\nReferences: %s\r\n\r\nx\r\n", strings.Repeat("<a@b> ", 420))
	if err == nil {
		err = w.Close()
	}
	if err == nil {
		t.Fatal("the relay accepted a 2,500-byte line: it does not stand for the relay that refused one")
	}
}
