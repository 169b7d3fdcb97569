package mailout

import (
	"reflect"
	"testing"

	"turno/internal/bsontest"
)

// TestStoredTypesRoundTrip: every type this package writes to or reads from
// a collection survives the driver with every field set. Not listed, being
// read-only projections declared inside functions: the per-state counts
// (CountByState), the _id probe (Enqueue) and the settings value
// (MessageIDKey), all read from documents written as bson.D.
func TestStoredTypesRoundTrip(t *testing.T) {
	for _, v := range []any{
		&Entry{},            // outbox
		&Recipient{},        // in Entry
		&StoredAttachment{}, // in Entry
		&readyDoc{},         // outbox_ready
		&Suppression{},      // suppressions
		&claimToken{},       // outbox_claims
	} {
		t.Run(reflect.TypeOf(v).Elem().Name(), func(t *testing.T) { bsontest.RoundTrip(t, v) })
	}
}
