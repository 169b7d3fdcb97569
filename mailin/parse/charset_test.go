package parse

import (
	"strings"
	"testing"
)

func TestDecodeCharset(t *testing.T) {
	tests := []struct {
		label string
		in    string
		want  string
		warn  bool
	}{
		{"", "caf\xe9", "café", false},            // undeclared 8-bit: cp1252
		{"", "café", "café", false},               // undeclared valid UTF-8
		{"utf-8", "caf\xe9", "café", true},        // declared UTF-8, invalid
		{"UTF8", "ñ", "ñ", false},                 //
		{"latin1", "\xf1", "ñ", false},            //
		{"LATIN1", "\xf1", "ñ", false},            //
		{"iso8859-1", "\x80", "€", false},         // ISO-8859-1 read as cp1252
		{"ISO-8859-1", "\x93x\x94", "“x”", false}, //
		{"iso_8859-1", "\xe1", "á", false},        //
		{"cp1252", "\x85", "…", false},            //
		{"windows-1252", "\x81", "\u0081", false}, // undefined byte kept, not U+FFFD
		{"us-ascii", "\xf3", "ó", false},          //
		{"iso-8859-15", "\xa4", "€", false},       //
		{"koi8", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет", false},
		{"KOI8-R", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет", false},
		{"gb2312", "\xc4\xe3\xba\xc3", "你好", false},
		{"GBK", "\xc4\xe3\xba\xc3", "你好", false},
		{"shift_jis", "\x83\x81\x81[\x83\x8b", "メール", false},
		{`"utf-8"`, "ok", "ok", false},
		{"x-unknown", "caf\xe9", "café", true},
		{"x-unknown", "café", "café", true},
	}
	for _, tt := range tests {
		var w warnings
		got := decodeCharset(tt.label, []byte(tt.in), &w)
		if got != tt.want {
			t.Errorf("decodeCharset(%q, %q) = %q, want %q", tt.label, tt.in, got, tt.want)
		}
		if (len(w.list) > 0) != tt.warn {
			t.Errorf("decodeCharset(%q, %q) warnings %v, want warning %v", tt.label, tt.in, w.list, tt.warn)
		}
		if strings.ContainsRune(got, '\uFFFD') {
			t.Errorf("decodeCharset(%q, %q) has U+FFFD", tt.label, tt.in)
		}
	}
}

func TestDecodeWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=?utf-8?Q?Caf=C3=A9?=", "Café"},
		{"=?ISO-8859-1?Q?Jos=E9?= =?ISO-8859-1?Q?_P=E9rez?=", "José Pérez"},
		{"=?iso-8859-1?Q?=80_5?=", "€ 5"},
		{"=?utf-8?B?w7E=?=", "ñ"},
		{"=?utf-8?B?w7E?=", "ñ"}, // missing padding
		{"Re: =?utf-8?Q?Factura?= pagada", "Re: Factura pagada"},
		{"=?utf-8*es?Q?Hola?=", "Hola"},
		{"=?x-bogus?Q?Hola?=", "Hola"},
		{"plain text", "plain text"},
		{"=?utf-8?Q?unterminated", "=?utf-8?Q?unterminated"},
	}
	for _, tt := range tests {
		var w warnings
		if got := decodeWords(tt.in, &w); got != tt.want {
			t.Errorf("decodeWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// A two-byte character split across adjacent words survives.
	var w warnings
	if got := decodeWords("=?utf-8?Q?=C3?= =?utf-8?Q?=A9t=C3=A9?=", &w); got != "été" {
		t.Errorf("split rune: got %q", got)
	}
}

func TestParseMediaType(t *testing.T) {
	tests := []struct {
		in       string
		wantType string
		key      string
		want     string
	}{
		{`text/plain; charset="ISO-8859-1"`, "text/plain", "charset", "ISO-8859-1"},
		{`TEXT/Plain;charset=utf-8;format=flowed`, "text/plain", "format", "flowed"},
		{`attachment; filename*=iso-8859-1'es'Factura%20n%FAmero.pdf`, "attachment", "filename", "Factura número.pdf"},
		{`attachment; filename*0*=UTF-8''a%C3%B1o; filename*1="-2025.pdf"`, "attachment", "filename", "año-2025.pdf"},
		{`attachment; filename*1="b.txt"; filename*0="a-"`, "attachment", "filename", "a-b.txt"},
		{`attachment; filename="=?utf-8?B?w7FhbmR1LnBkZg==?="`, "attachment", "filename", "ñandu.pdf"},
		{`attachment; filename="a.pdf"; filename*=UTF-8''%C3%A1.pdf`, "attachment", "filename", "á.pdf"},
		{`attachment; filename="C:\dir\x.doc"`, "attachment", "filename", `C:\dir\x.doc`},
		{`attachment; filename="say \"hi\".txt"`, "attachment", "filename", `say "hi".txt`},
		{`multipart/mixed; boundary="----=_Part_1"`, "multipart/mixed", "boundary", "----=_Part_1"},
		{`multipart/mixed; boundary=simple; junk; =x`, "multipart/mixed", "boundary", "simple"},
		{`garbage`, "garbage", "x", ""},
	}
	for _, tt := range tests {
		var w warnings
		mt, params := parseMediaType(tt.in, &w)
		if mt != tt.wantType || params[tt.key] != tt.want {
			t.Errorf("parseMediaType(%q) = %q, %s=%q; want %q, %q", tt.in, mt, tt.key, params[tt.key], tt.wantType, tt.want)
		}
	}
}
