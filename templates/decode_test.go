package templates

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// Every sample survives a JSON round trip, so the CLI can take any email's
// data from a file shaped like `turno templates render` prints it.
func TestDecodeDataRoundTrip(t *testing.T) {
	for _, name := range Names() {
		want := SampleData(name)
		b, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeData(name, b)
		if err != nil {
			t.Fatalf("DecodeData(%s): %v", name, err)
		}
		// Compare re-encoded JSON: time.Time values lose their *Location
		// identity in a round trip but not their instant or offset.
		b2, _ := json.Marshal(got)
		if string(b) != string(b2) {
			t.Errorf("%s: round trip changed the data:\n%s\n%s", name, b, b2)
		}
		if reflect.TypeOf(got) != reflect.TypeOf(want) {
			t.Errorf("%s: got %T, want %T", name, got, want)
		}
	}
}

func TestDecodeDataErrors(t *testing.T) {
	tests := []struct {
		name, json string
		want       []string
	}{
		{"ticket_ack", `{"ticket_number": 1, "subjet": "x", "nombre": "y"}`, []string{"unknown fields", "nombre", "subjet"}},
		{"collection_note", `{"invoices": [{"number": 1, "balanse": 2}]}`, []string{`unknown field "balanse"`}},
		{"ticket_ack", `{"ticket_number": "diez"}`, []string{"ticket_number"}},
		{"ticket_ack", `[1]`, []string{"decode ticket_ack data"}},
		{"no_such_mail", `{}`, []string{`unknown template "no_such_mail"`}},
	}
	for _, tt := range tests {
		_, err := DecodeData(tt.name, []byte(tt.json))
		if err == nil {
			t.Errorf("DecodeData(%s, %s): no error", tt.name, tt.json)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("DecodeData(%s, %s) = %v, want it to mention %q", tt.name, tt.json, err, w)
			}
		}
	}
}

func TestDecodeDataEmbeddedAccess(t *testing.T) {
	got, err := DecodeData("welcome", []byte(`{"client_name": "A", "login": "a@b.cl", "password": "x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if w := got.(Welcome); w.Login != "a@b.cl" || w.Password != "x" {
		t.Errorf("got %+v", w)
	}
}
