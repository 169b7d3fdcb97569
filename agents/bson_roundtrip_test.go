package agents

import (
	"reflect"
	"testing"

	"turno/internal/bsontest"
)

// TestStoredTypesRoundTrip: every type this package writes to or reads from
// a collection survives the driver with every field set.
func TestStoredTypesRoundTrip(t *testing.T) {
	for _, v := range []any{
		&Agent{},        // agents
		&addressClaim{}, // agent_addresses
		&Token{},        // api_tokens
	} {
		t.Run(reflect.TypeOf(v).Elem().Name(), func(t *testing.T) { bsontest.RoundTrip(t, v) })
	}
}
