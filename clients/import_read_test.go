package clients

import (
	"bytes"
	"strings"
	"testing"
)

func TestReadCSVEncodingsAndSeparators(t *testing.T) {
	for name, src := range map[string][]byte{
		"utf8 comma":       []byte("client_id,name\nA,Ñandú\n"),
		"utf8 bom semi":    []byte("\uFEFFclient_id;name\r\nA;Ñandú\r\n"),
		"windows-1252":     {'c', 'l', 'i', 'e', 'n', 't', '_', 'i', 'd', ';', 'n', 'a', 'm', 'e', '\n', 'A', ';', 0xD1, 'a', 'n', 'd', 0xFA, '\n'},
		"quoted separator": []byte("client_id,name\n\"A\",\"Ñandú\"\n"),
	} {
		cols, rows, err := readCSV(bytes.NewReader(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(cols) != 2 || len(rows) != 1 || rows[0].line != 2 || rows[0].values[cols[1]] != "Ñandú" {
			t.Fatalf("%s: %d cols, rows %+v", name, len(cols), rows)
		}
	}
	if _, rows, err := readCSV(strings.NewReader("client_id,name\nA,x,extra\nB,y\n")); err != nil || rows[0].values != nil || rows[1].line != 3 {
		t.Fatalf("short/long rows: %v %+v", err, rows)
	}
	for _, bad := range []string{"", "name\nx\n", "client_id,client_id\n"} {
		if _, _, err := readCSV(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("client_id;name;email\nA;B;c@d.cl\n"))
	f.Add([]byte("client_id,name\n\"A\nB\",x\n"))
	f.Add([]byte{0xFF, 0xFE, ';', '\n'})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, rows, err := readCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		last := 1
		for _, r := range rows {
			if r.line <= last {
				t.Fatalf("line numbers not increasing: %d after %d", r.line, last)
			}
			last = r.line
		}
	})
}
