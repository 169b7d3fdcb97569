package clients

import (
	"reflect"
	"testing"

	"turno/internal/bsontest"
)

// TestStoredTypesRoundTrip: every type this package writes to or reads from
// a collection survives the driver with every field set. Client,
// BillingData, MailSwitches and Contact are stored inside clientDoc (and
// BillingData inside billing's invoices) and are also checked alone.
func TestStoredTypesRoundTrip(t *testing.T) {
	for _, v := range []any{
		&clientDoc{},    // clients
		&Client{},       // inline in clientDoc
		&BillingData{},  // in Client; snapshot in billing's invoices
		&MailSwitches{}, // in Client
		&Contact{},      // in clientDoc
		&change{},       // clientDoc.last_change
		&FieldChange{},  // in change
		&AuditEntry{},   // client_audit
		&accessDoc{},    // client_access
		&addressDoc{},   // client_addresses
		&addrMember{},   // in addressDoc
		&loginDoc{},     // client_logins
	} {
		t.Run(reflect.TypeOf(v).Elem().Name(), func(t *testing.T) { bsontest.RoundTrip(t, v) })
	}
}
