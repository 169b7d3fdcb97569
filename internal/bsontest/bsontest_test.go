package bsontest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// recorder is a testing.TB that records failures instead of failing the
// test, to show that RoundTrip fails its caller. Only the methods
// RoundTrip calls are implemented.
type recorder struct {
	testing.TB
	failed bool
	msgs   []string
}

func (r *recorder) Helper() {}

func (r *recorder) Error(args ...any) {
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprint(args...))
}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// attachInlineTag is tickets.Attach as it was when it broke intake: the
// driver reads the key "inline" as its inline option.
type attachInlineTag struct {
	Filename string `bson:"filename"`
	Inline   bool   `bson:"inline"`
}

type messageWithAttach struct {
	Key         string            `bson:"_id"`
	Attachments []attachInlineTag `bson:"attachments,omitempty"`
}

func TestRoundTripFailsOnInlineBool(t *testing.T) {
	for _, v := range []any{&attachInlineTag{}, &messageWithAttach{}} {
		r := &recorder{}
		RoundTrip(r, v)
		if !r.failed {
			t.Fatalf("RoundTrip(%T) passed; want a failure", v)
		}
		msg := strings.Join(r.msgs, "\n")
		for _, want := range []string{"marshal", "Inline", `"inline"`} {
			if !strings.Contains(msg, want) {
				t.Errorf("RoundTrip(%T) failure does not mention %q:\n%s", v, want, msg)
			}
		}
	}
}

// The driver takes its option words as options even in the key position;
// for these the round trip itself survives, so only the tag check sees them.
type optionWordKeys struct {
	A int64   `bson:"minsize"`
	B float64 `bson:"truncate"`
	C string  `bson:"omitempty"`
}

func TestRoundTripRefusesOptionWordKeys(t *testing.T) {
	err := Check(&optionWordKeys{})
	if err == nil {
		t.Fatal("Check passed; want the option-word keys refused")
	}
	for _, want := range []string{"optionWordKeys.A", "optionWordKeys.B", "optionWordKeys.C"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
}

type omitting struct {
	ID     string            `bson:"_id"`
	S      string            `bson:"s,omitempty"`
	N      int64             `bson:"n,omitempty"`
	B      bool              `bson:"b,omitempty"`
	T      time.Time         `bson:"t,omitempty"`
	P      *time.Time        `bson:"p,omitempty"`
	L      []string          `bson:"l,omitempty"`
	M      map[string]int    `bson:"m,omitempty"`
	Sub    *omittingSub      `bson:"sub,omitempty"`
	Z      int               `bson:"z,omitzero"`
	ZT     time.Time         `bson:"zt,omitzero"`
	ZS     omittingSub       `bson:"zs,omitzero"`
	Both   []omittingSub     `bson:"both,omitempty,omitzero"`
	MinInt int64             `bson:"min_int,omitempty,minsize"`
	Extra  map[string]string `bson:"extra,omitempty"`
}

type omittingSub struct {
	X string `bson:"x,omitempty"`
}

func TestRoundTripKeepsOmitEmptyFields(t *testing.T) {
	RoundTrip(t, &omitting{})
	RoundTrip(t, omitting{}) // a value works as well as a pointer
}

// kitchen has a field of every kind RoundTrip must fill.
type kitchen struct {
	Embedded
	*EmbeddedPtr
	Inlined   inlined `bson:",inline"`
	S         string
	I         int
	I8        int8
	I16       int16
	I32       int32
	I64       int64
	U         uint
	U8        uint8
	U16       uint16
	U32       uint32
	U64       uint64
	F32       float32
	F64       float64
	B         bool
	T         time.Time
	TP        *time.Time
	OID       bson.ObjectID
	Dec       bson.Decimal128
	DT        bson.DateTime
	Raw       bson.Raw
	RV        bson.RawValue
	Bytes     []byte
	D         bson.D
	M         bson.M
	A         bson.A
	Any       any
	Anys      []any
	Strs      []string
	Structs   []inlined
	Ptrs      []*inlined
	Arr       [2]int
	MapInt    map[string]int
	MapStruct map[string]inlined
	MapSlice  map[string][]string
	Named     named
	PP        **int
	Skipped   string `bson:"-"`
	private   string
}

type Embedded struct{ E string }

type EmbeddedPtr struct{ EP int }

type inlined struct {
	Q string `bson:"q"`
	R int    `bson:"r"`
}

type named string

func TestRoundTripFillLeavesNoZeroField(t *testing.T) {
	var k kitchen
	if err := Fill(&k); err != nil {
		t.Fatal(err)
	}
	v := reflect.ValueOf(k)
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		zero := v.Field(i).IsZero()
		skip := !sf.IsExported() || sf.Tag.Get("bson") == "-"
		if zero != skip {
			t.Errorf("field %s: zero %v after Fill, want %v", sf.Name, zero, skip)
		}
	}
	if len(k.Strs) != 2 || len(k.MapInt) != 1 || k.T.Location() != time.UTC || k.T.Nanosecond()%1e6 != 0 {
		t.Errorf("fill shapes: %d strings, %d map entries, time %v", len(k.Strs), len(k.MapInt), k.T)
	}
	RoundTrip(t, &kitchen{})
}

// lossy writes only Keep, as a custom marshaller might by mistake.
type lossy struct {
	Keep string `bson:"keep"`
	Lost string `bson:"lost"`
}

func (l lossy) MarshalBSON() ([]byte, error) {
	return bson.Marshal(bson.D{{Key: "keep", Value: l.Keep}})
}

type holdsLossy struct {
	Items []lossy `bson:"items"`
}

func TestRoundTripNamesTheLostField(t *testing.T) {
	err := Check(&holdsLossy{})
	if err == nil {
		t.Fatal("Check passed; want the lost field reported")
	}
	if !strings.Contains(err.Error(), "holdsLossy.Items[0].Lost") {
		t.Errorf("error does not name the lost field:\n%v", err)
	}
}

// The driver skips an unexported embedded struct, inline or not, so its
// fields are silently not stored.
type hidden struct {
	Visible string `bson:"visible"`
}

type withHidden struct {
	ID     string `bson:"_id"`
	hidden `bson:",inline"`
}

func TestRoundTripCatchesUnexportedEmbedded(t *testing.T) {
	err := Check(&withHidden{})
	if err == nil || !strings.Contains(err.Error(), "withHidden.hidden.Visible") {
		t.Errorf("Check = %v; want the unexported embedded field reported", err)
	}
}

type tree struct {
	Name     string          `bson:"name"`
	Children []tree          `bson:"children"`
	Parent   *tree           `bson:"parent,omitempty"`
	ByName   map[string]tree `bson:"by_name,omitempty"`
}

func TestRoundTripRecursiveType(t *testing.T) {
	RoundTrip(t, &tree{})
}

func TestRoundTripRefusesNonStruct(t *testing.T) {
	for _, v := range []any{nil, 3, "x", []int{1}, new(int)} {
		if err := Check(v); err == nil {
			t.Errorf("Check(%#v) passed; want an error", v)
		}
	}
}
