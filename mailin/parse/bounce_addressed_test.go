package parse

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestBounceAddressed: where a VERP envelope sender shows up in a bounce:
// the delivery headers the receiving server added, the report's To, and
// subaddressed addresses quoted in the delivery-status part.
func TestBounceAddressed(t *testing.T) {
	raw := "Return-Path: <>\r\nDelivered-To: soporte+b.aaaa@turno.example\r\nX-Original-To: Soporte+B.AAAA@turno.example\r\n" +
		"From: MAILER-DAEMON@mx.example\r\nTo: <soporte+b.bbbb@turno.example>\r\nSubject: Undelivered\r\nMessage-ID: <d1@mx.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nSee maria@cliente.cl, ana+x@otro.cl\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\nX-Postfix-Sender: rfc822; soporte+b.cccc@turno.example\r\n\r\n" +
		"Final-Recipient: rfc822; maria@cliente.cl\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--B--\r\n"
	m := mustParse(t, raw, nil)
	want := []string{"soporte+b.aaaa@turno.example", "soporte+b.bbbb@turno.example", "soporte+b.cccc@turno.example", "ana+x@otro.cl"}
	if m.Bounce == nil || !reflect.DeepEqual(m.Bounce.Addressed, want) {
		t.Fatalf("addressed %+v, want %v", m.Bounce, want)
	}
	var quoted strings.Builder
	for i := range 40 {
		fmt.Fprintf(&quoted, "q+%d@w.cl ", i)
	}
	many := strings.Replace(raw, "See maria", quoted.String()+"maria", 1)
	if m := mustParse(t, many, nil); len(m.Bounce.Addressed) != maxAddressed {
		t.Fatalf("%d addressed, want at most %d", len(m.Bounce.Addressed), maxAddressed)
	}
}
