package cli

// How every command prints what it lists or shows: text (a table, or a few
// labelled lines) by default, and with --json exactly one JSON document.
//
//   - Text shows each time in the business time zone with the zone's name
//     ("2026-12-02 05:33 -03"), and "-" for a time never set.
//   - JSON keeps times in RFC 3339 with their offset, prints an empty list
//     as [] (never null), and leaves out a member whose time was never set
//     (never 0001-01-01T00:00:00Z).
//
// printJSON applies the JSON rules to any value, so the domain types print
// as they are, whatever their tags say.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"turno/config"
	"turno/scheduler"
)

// businessZone is the time zone operators read times in. It is the one
// place the CLI reads it from the configuration.
func businessZone(cfg config.Config) (*time.Location, error) {
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("billing.time_zone: %w", err)
	}
	return loc, nil
}

// whenLayout is a time as text output shows it: to the minute, with the
// zone's abbreviation or offset.
const whenLayout = "2006-01-02 15:04 MST"

// when formats t for text output in the business time zone (UTC when no
// configuration was loaded); "-" for a time never set.
func (e *env) when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	loc := e.zone
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(whenLayout)
}

// today is the business date now, in the business time zone (UTC when no
// configuration was loaded).
func (e *env) today() scheduler.Date {
	loc := e.zone
	if loc == nil {
		loc = time.UTC
	}
	return scheduler.DateOf(time.Now(), loc)
}

// jsonFlag adds the --json flag every listing or showing command has.
func jsonFlag(cmd *cobra.Command, asJSON *bool) {
	cmd.Flags().BoolVar(asJSON, "json", false, "print one JSON document instead of text")
}

// emit prints v as one JSON document when asJSON, else calls text.
func (e *env) emit(asJSON bool, v any, text func(w io.Writer) error) error {
	if asJSON {
		return printJSON(e.stdout, v)
	}
	return text(e.stdout)
}

// newTable starts a table on w with its header row ("A\tB\tC"); the caller
// writes tab-separated rows and flushes.
func newTable(w io.Writer, header string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	return tw
}

// printJSON writes v to w as one indented JSON document: nil slices print
// as [], and object members holding a zero time are left out.
func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(withEmptyLists(v))
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var compact bytes.Buffer
	if err := copyWithoutZeroTimes(dec, &compact); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// withEmptyLists returns a copy of v in which every nil slice reachable
// through exported fields, elements, map values and pointers is an empty
// one, so it encodes as [] (or is still left out by omitempty). v itself
// is not changed.
func withEmptyLists(v any) any {
	if v == nil {
		return v
	}
	rv := reflect.ValueOf(v)
	c := reflect.New(rv.Type()).Elem()
	c.Set(rv)
	fillLists(c, 0)
	return c.Interface()
}

// fillLists replaces nil slices in the settable value v, copying every
// slice, map and pointee it goes through so that the original is shared
// with nothing it changes.
func fillLists(v reflect.Value, depth int) {
	if depth > 32 { // stored documents are not that deep; a cycle is
		return
	}
	switch v.Kind() {
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // []byte encodes as a base64 string, not a list
		}
		if v.IsNil() {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		v.Set(c)
		for i := range c.Len() {
			fillLists(c.Index(i), depth+1)
		}
	case reflect.Array:
		for i := range v.Len() {
			fillLists(v.Index(i), depth+1)
		}
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(v.Elem())
		v.Set(c)
		fillLists(c.Elem(), depth+1)
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		c := reflect.New(v.Elem().Type()).Elem()
		c.Set(v.Elem())
		fillLists(c, depth+1)
		v.Set(c)
	case reflect.Map:
		if v.IsNil() {
			return
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			x := reflect.New(v.Type().Elem()).Elem()
			x.Set(it.Value())
			fillLists(x, depth+1)
			c.SetMapIndex(it.Key(), x)
		}
		v.Set(c)
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				fillLists(f, depth+1)
			}
		}
	}
}

// copyWithoutZeroTimes copies one JSON value from dec to out, leaving out
// every object member whose value is a zero time.
func copyWithoutZeroTimes(dec *json.Decoder, out *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		b, err := json.Marshal(tok)
		out.Write(b)
		return err
	}
	switch d {
	case '[':
		out.WriteByte('[')
		for n := 0; dec.More(); n++ {
			if n > 0 {
				out.WriteByte(',')
			}
			if err := copyWithoutZeroTimes(dec, out); err != nil {
				return err
			}
		}
		out.WriteByte(']')
	case '{':
		out.WriteByte('{')
		n := 0
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			var val bytes.Buffer
			if err := copyWithoutZeroTimes(dec, &val); err != nil {
				return err
			}
			if isZeroTime(val.Bytes()) {
				continue
			}
			if n > 0 {
				out.WriteByte(',')
			}
			k, err := json.Marshal(key)
			if err != nil {
				return err
			}
			out.Write(k)
			out.WriteByte(':')
			out.Write(val.Bytes())
			n++
		}
		out.WriteByte('}')
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// isZeroTime reports whether the JSON value b is a string holding the zero
// time, in any offset.
func isZeroTime(b []byte) bool {
	if len(b) < len(`"0001-01-01T00:00:00Z"`) || b[0] != '"' {
		return false
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && t.IsZero()
}
