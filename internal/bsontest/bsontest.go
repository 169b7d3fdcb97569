// Package bsontest checks that a stored type survives the MongoDB driver.
//
// A struct tag the driver reads differently than its author meant fails
// only when a document that sets the field is written: bson:"inline" on a
// bool is the driver's inline option, not a key, so every ticket message
// with an attachment failed to marshal and the mail never became a ticket.
// RoundTrip makes such a tag fail a unit test instead: it fills every field
// of a value of the type, marshals it with bson.Marshal, unmarshals it into
// a fresh value and requires the two to be deeply equal, naming the first
// field that differs. It also refuses a tag whose key is one of the driver's
// option words (inline, omitempty, minsize, truncate), which the driver
// reads as the option even where the round trip happens to survive.
//
// Every package that stores documents lists its stored types in a table
// test, bson_roundtrip_test.go, that calls RoundTrip on each.
//
// This package imports only the driver and the standard library, so any
// package's tests can use it without an import cycle.
package bsontest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// RoundTrip fails t unless a value of v's type, every field filled, comes
// back from bson.Marshal and bson.Unmarshal deeply equal. v is a value or a
// pointer to one (its contents are not used, only its type): usually
// &T{}.
func RoundTrip(t testing.TB, v any) {
	t.Helper()
	if err := Check(v); err != nil {
		t.Error(err)
	}
}

// Check is RoundTrip returning what is wrong instead of failing a test.
func Check(v any) error {
	typ := reflect.TypeOf(v)
	for typ != nil && typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ == nil || typ.Kind() != reflect.Struct {
		return fmt.Errorf("bsontest: %T is not a struct or a pointer to one", v)
	}
	errs := lintTags(typ)

	orig := reflect.New(typ)
	if err := Fill(orig.Interface()); err != nil {
		return errors.Join(append(errs, err)...)
	}
	data, err := bson.Marshal(orig.Interface())
	if err != nil {
		errs = append(errs, fmt.Errorf("bsontest: marshal %v: %w", typ, err))
		return errors.Join(errs...)
	}
	back := reflect.New(typ)
	if err := bson.Unmarshal(data, back.Interface()); err != nil {
		errs = append(errs, fmt.Errorf("bsontest: unmarshal %v from %s: %w", typ, bson.Raw(data), err))
		return errors.Join(errs...)
	}
	if !reflect.DeepEqual(orig.Interface(), back.Interface()) {
		why := explain(typ.String(), orig.Elem(), back.Elem(), 0)
		if why == "" {
			why = fmt.Sprintf("values differ:\n  wrote %#v\n  read  %#v", orig.Elem(), back.Elem())
		}
		errs = append(errs, fmt.Errorf("bsontest: %v does not survive a round trip: %s\n  document: %s", typ, why, bson.Raw(data)))
	}
	return errors.Join(errs...)
}

// optionWords are the words the driver's tag parser takes as options
// wherever they appear in a bson tag, the key position included.
var optionWords = []string{"inline", "omitempty", "minsize", "truncate"}

// lintTags reports every field, in typ and the types it contains, whose
// bson key is one of the driver's option words.
func lintTags(typ reflect.Type) []error {
	var errs []error
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			if t.Kind() != reflect.Pointer {
				path += "[]"
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			sf := t.Field(i)
			p := path + "." + sf.Name
			if tag, ok := sf.Tag.Lookup("bson"); ok {
				key, _, _ := strings.Cut(tag, ",")
				for _, w := range optionWords {
					if key == w {
						errs = append(errs, fmt.Errorf("bsontest: field %s: tag bson:%q: the driver reads %q as its %s option, not as the key; choose another key",
							p, tag, w, w))
					}
				}
			}
			walk(sf.Type, p)
		}
	}
	walk(typ, typ.String())
	return errs
}

// Fill sets every field of the struct v points to a non-zero value, as
// RoundTrip does: nested structs and embedded ones, pointers allocated,
// slices with two elements, maps with one entry, true bools, distinct
// numbers and strings, times in UTC to the millisecond (a BSON datetime
// holds milliseconds), any and bson.D/bson.M with a string. Unexported
// fields and fields tagged bson:"-" are left alone, except the exported
// fields of an unexported embedded struct, which are filled: the driver
// skips such a struct, and a round trip should show it.
func Fill(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("bsontest: Fill wants a non-nil pointer to a struct, not %T", v)
	}
	f := &filler{active: map[reflect.Type]bool{}}
	f.fill(rv.Elem(), rv.Elem().Type().String())
	return errors.Join(f.errs...)
}

var (
	tTime       = reflect.TypeFor[time.Time]()
	tDecimal128 = reflect.TypeFor[bson.Decimal128]()
	tRaw        = reflect.TypeFor[bson.Raw]()
	tRawValue   = reflect.TypeFor[bson.RawValue]()
	tObjectID   = reflect.TypeFor[bson.ObjectID]()
)

// baseTime is where filled times start: UTC, whole milliseconds, so that
// a BSON datetime (milliseconds since the epoch, read back in UTC) holds it
// exactly.
var baseTime = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

type filler struct {
	n      int                   // counts the values filled, to make each distinct
	active map[reflect.Type]bool // struct types being filled: a recursive type stops here
	errs   []error
}

func (f *filler) next() int {
	f.n++
	return f.n
}

func (f *filler) fill(v reflect.Value, path string) {
	switch v.Type() {
	case tTime:
		v.Set(reflect.ValueOf(baseTime.Add(time.Duration(f.next()) * time.Minute)))
		return
	case tDecimal128:
		d, err := bson.ParseDecimal128(fmt.Sprintf("%d.25", f.next()))
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("bsontest: fill %s: %w", path, err))
			return
		}
		v.Set(reflect.ValueOf(d))
		return
	case tObjectID:
		var id bson.ObjectID
		for i := range id {
			id[i] = byte(f.next())
		}
		v.Set(reflect.ValueOf(id))
		return
	case tRaw:
		doc, err := bson.Marshal(bson.D{{Key: "k", Value: path}})
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("bsontest: fill %s: %w", path, err))
			return
		}
		v.SetBytes(doc)
		return
	case tRawValue:
		t, data, err := bson.MarshalValue(path)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("bsontest: fill %s: %w", path, err))
			return
		}
		v.Set(reflect.ValueOf(bson.RawValue{Type: t, Value: data}))
		return
	}

	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(1 + f.next()%100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(uint64(1 + f.next()%100))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.next()) + 0.5)
	case reflect.Complex64, reflect.Complex128:
		v.SetComplex(complex(float64(f.next()), 1))
	case reflect.String:
		v.SetString(fmt.Sprintf("%s#%d", path, f.next()))
	case reflect.Pointer:
		if f.active[v.Type().Elem()] {
			return // a recursive type: leave the cycle nil
		}
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), path)
		v.Set(p)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte(fmt.Sprintf("%s#%d", path, f.next())))
			return
		}
		if f.active[v.Type().Elem()] {
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range s.Len() {
			f.fill(s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			f.fill(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if f.active[v.Type().Elem()] {
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), 1)
		k := reflect.New(v.Type().Key()).Elem()
		if k.Kind() == reflect.String {
			k.SetString(fmt.Sprintf("k%d", f.next())) // a plain key: no dots, no $
		} else {
			f.fill(k, path+".key")
		}
		e := reflect.New(v.Type().Elem()).Elem()
		f.fill(e, fmt.Sprintf("%s[%v]", path, k))
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Interface:
		if v.NumMethod() > 0 {
			// The driver cannot decode into an interface with methods
			// either (it would not know which type to make).
			f.errs = append(f.errs, fmt.Errorf("bsontest: cannot fill %s: interface type %v has methods", path, v.Type()))
			return
		}
		v.Set(reflect.ValueOf(fmt.Sprintf("%s#%d", path, f.next())))
	case reflect.Struct:
		f.active[v.Type()] = true
		defer delete(f.active, v.Type())
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			if sf.Tag.Get("bson") == "-" {
				continue
			}
			if !sf.IsExported() && !(sf.Anonymous && sf.Type.Kind() == reflect.Struct) {
				continue
			}
			if !sf.IsExported() {
				f.fillExported(v.Field(i), path+"."+sf.Name)
				continue
			}
			f.fill(v.Field(i), path+"."+sf.Name)
		}
	default: // chan, func, unsafe pointer: nothing to store; the driver says so
		f.errs = append(f.errs, fmt.Errorf("bsontest: cannot fill %s: %v cannot be stored", path, v.Type()))
	}
}

// fillExported fills the exported fields of an unexported embedded struct
// (reflect lets them be set, as encoding/json does).
func (f *filler) fillExported(v reflect.Value, path string) {
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		if sf.IsExported() && sf.Tag.Get("bson") != "-" {
			f.fill(v.Field(i), path+"."+sf.Name)
		}
	}
}

// explain names the first place where a (written) and b (read back)
// differ, or returns "" if it finds none.
func explain(path string, a, b reflect.Value, depth int) string {
	if depth > 100 {
		return ""
	}
	if a.IsValid() != b.IsValid() {
		return fmt.Sprintf("%s: wrote %v, read %v", path, describe(a), describe(b))
	}
	if !a.IsValid() {
		return ""
	}
	if a.Type() != b.Type() {
		return fmt.Sprintf("%s: wrote a %v, read a %v (%v)", path, a.Type(), b.Type(), describe(b))
	}
	differ := func() string { return fmt.Sprintf("%s: wrote %v, read %v", path, describe(a), describe(b)) }
	if a.Type() == tTime {
		if a.CanInterface() && b.CanInterface() && !reflect.DeepEqual(a.Interface(), b.Interface()) {
			ta, tb := a.Interface().(time.Time), b.Interface().(time.Time)
			return fmt.Sprintf("%s: wrote %s (%s), read %s (%s)", path,
				ta.Format(timeLayout), ta.Location(), tb.Format(timeLayout), tb.Location())
		}
	}
	switch a.Kind() {
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			return differ()
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if a.Int() != b.Int() {
			return differ()
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if a.Uint() != b.Uint() {
			return differ()
		}
	case reflect.Float32, reflect.Float64:
		if a.Float() != b.Float() {
			return differ()
		}
	case reflect.Complex64, reflect.Complex128:
		if a.Complex() != b.Complex() {
			return differ()
		}
	case reflect.String:
		if a.String() != b.String() {
			return differ()
		}
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return differ()
			}
			return ""
		}
		return explain(path, a.Elem(), b.Elem(), depth+1)
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return differ()
		}
		fallthrough
	case reflect.Array:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: wrote %d elements, read %d (%v)", path, a.Len(), b.Len(), describe(b))
		}
		for i := range a.Len() {
			if s := explain(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i), depth+1); s != "" {
				return s
			}
		}
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return differ()
		}
		for _, k := range a.MapKeys() {
			bv := b.MapIndex(k)
			if !bv.IsValid() {
				return fmt.Sprintf("%s: key %v written, not read back (read %v)", path, describe(k), describe(b))
			}
			if s := explain(fmt.Sprintf("%s[%v]", path, describe(k)), a.MapIndex(k), bv, depth+1); s != "" {
				return s
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if s := explain(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i), depth+1); s != "" {
				return s
			}
		}
	default:
		if a.Kind() == reflect.Func || a.Kind() == reflect.Chan || a.Kind() == reflect.UnsafePointer {
			if a.Pointer() != b.Pointer() {
				return differ()
			}
		}
	}
	return ""
}

// describe prints v for a failure message, saying nil and empty apart.
func describe(v reflect.Value) string {
	if !v.IsValid() {
		return "nothing"
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		if v.IsNil() {
			return fmt.Sprintf("nil %v", v.Type())
		}
		if v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface && v.Len() == 0 {
			return fmt.Sprintf("empty %v", v.Type())
		}
	}
	return fmt.Sprintf("%#v", v)
}
