package billing

import (
	"reflect"
	"testing"

	"turno/internal/bsontest"
)

// TestStoredTypesRoundTrip: every type this package writes to or reads from
// a collection survives the driver with every field set. Not listed: the
// _id-only projection of repairNumbering, declared inside the function.
func TestStoredTypesRoundTrip(t *testing.T) {
	for _, v := range []any{
		&Contract{},       // contracts; snapshot in Invoice
		&Invoice{},        // invoices
		&Amounts{},        // inline in Invoice
		&Hold{},           // billing_holds
		&counter{},        // billing_counters
		&Payment{},        // payments
		&Applied{},        // in Payment
		&dunningState{},   // dunning
		&heldNote{},       // dunning_held
		&UFRate{},         // uf_rates
		&invoiceMarker{},  // invoice_unnumbered, invoice_unmailed
		&clientIndexDoc{}, // billing_client_index
	} {
		t.Run(reflect.TypeOf(v).Elem().Name(), func(t *testing.T) { bsontest.RoundTrip(t, v) })
	}
}
