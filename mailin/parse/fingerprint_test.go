package parse

import (
	"strings"
	"testing"
)

func TestFingerprint(t *testing.T) {
	base := "Message-ID: <form-notification@webform.test>\r\nFrom: %s\r\nDate: Wed, 2 Dec 2026 09:00:00 -0300\r\n" +
		"Subject: Formulario de contacto\r\n%s\r\nQuiero contratar un plan.\r\n"
	mk := func(from, extra string) string {
		m, err := Parse(strings.NewReader(strings.Replace(strings.Replace(base, "%s", from, 1), "%s", extra, 1)), nil)
		if err != nil {
			t.Fatal(err)
		}
		return Fingerprint(m)
	}
	alice := mk("alice@example.cl", "")
	if got := mk("alice@example.cl", "Received: from mx2.example.cl\r\nDelivered-To: ventas@turno.test\r\n"); got != alice {
		t.Error("the same mail through another mailbox has another fingerprint")
	}
	if got := mk("ALICE@example.cl", ""); got != alice {
		t.Error("the sender's case changed the fingerprint")
	}
	if mk("bob@example.cl", "") == alice {
		t.Error("another sender, same fingerprint")
	}
	if len(alice) != 64 {
		t.Errorf("fingerprint %q is not a hex SHA-256", alice)
	}
}
