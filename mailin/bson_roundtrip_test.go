package mailin

import (
	"reflect"
	"testing"

	"turno/internal/bsontest"
)

// TestStoredTypesRoundTrip: every type this package writes to or reads from
// a collection survives the driver with every field set. Not listed: the
// attempt counter read back in failure, a projection declared inside the
// function and written with $inc.
func TestStoredTypesRoundTrip(t *testing.T) {
	for _, v := range []any{
		&Entry{},       // mail_messages
		&Cursor{},      // mail_cursors
		&Quarantined{}, // mail_quarantine
		&rawDoc{},      // mail_raw_index
	} {
		t.Run(reflect.TypeOf(v).Elem().Name(), func(t *testing.T) { bsontest.RoundTrip(t, v) })
	}
}
