package templates

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// DecodeData decodes JSON into the data type of the named email, for
// `turno templates render --data FILE.json`. Keys are the snake_case names
// in the types' json tags; times are RFC 3339 ("2026-11-16T09:00:00-03:00").
// Unknown keys are an error naming all of them at the top level, and the
// first one inside nested objects.
func DecodeData(name string, jsonBytes []byte) (any, error) {
	k, err := lookup(name)
	if err != nil {
		return nil, fmt.Errorf("decode data: %w", err)
	}
	typ := k.dataType()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(jsonBytes, &raw); err != nil {
		return nil, fmt.Errorf("decode %s data: %w", name, err)
	}
	known := jsonFields(typ)
	var unknown []string
	for key := range raw {
		if !slices.Contains(known, key) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("decode %s data: unknown %s %s (known: %s)", name,
			plural(len(unknown), "field", "fields"), strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	v := reflect.New(typ)
	dec := json.NewDecoder(bytes.NewReader(jsonBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v.Interface()); err != nil {
		return nil, fmt.Errorf("decode %s data: %w", name, err)
	}
	return v.Elem().Interface(), nil
}

// jsonFields lists the JSON keys of a struct type, embedded fields' included.
func jsonFields(typ reflect.Type) []string {
	var names []string
	for _, f := range reflect.VisibleFields(typ) {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}
