package tickets

import (
	"reflect"
	"testing"

	"turno/internal/bsontest"
)

// TestStoredTypesRoundTrip: every type this package writes to or reads from
// a collection survives the driver with every field set. Not listed, being
// read-only projections declared inside functions: the counter hint
// (allocate), the reference lookup (byReference), the budget slot
// (spendBudget) and the unknown-sender claim (claimUnknownWindow), all
// read from documents written as bson.D.
func TestStoredTypesRoundTrip(t *testing.T) {
	for _, v := range []any{
		&Ticket{},       // tickets
		&Message{},      // ticket_messages
		&Address{},      // in Ticket and Message
		&Attach{},       // in Message
		&Oversize{},     // in Message
		&doneDoc{},      // ticket_message_ids
		&seenDoc{},      // ticket_seen
		&BounceRecord{}, // bounces
	} {
		t.Run(reflect.TypeOf(v).Elem().Name(), func(t *testing.T) { bsontest.RoundTrip(t, v) })
	}
}
