package parse

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// allocDuring parses r and returns the message and the bytes allocated
// while parsing (TotalAlloc delta), an upper bound of the heap growth.
// It also samples HeapAlloc to report the peak live heap above the start.
func allocDuring(t *testing.T, r io.Reader) (*Message, uint64, uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var ms runtime.MemStats
		var hi uint64
		for {
			runtime.ReadMemStats(&ms)
			hi = max(hi, ms.HeapAlloc)
			select {
			case <-stop:
				peak <- hi
				return
			default:
			}
			runtime.Gosched()
		}
	}()
	m, err := Parse(r, nil)
	close(stop)
	hi := <-peak
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	growth := uint64(0)
	if hi > before.HeapAlloc {
		growth = hi - before.HeapAlloc
	}
	return m, after.TotalAlloc - before.TotalAlloc, growth
}

const boundsHead = "From: Ana <ana@cliente.cl>\r\nSubject: ayuda\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
	"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHola, necesito ayuda con la factura.\r\n"

// hugePartHeader is a 25 MB message whose second part has a 25 MB header
// of the given shape, followed by a third, normal part.
func hugePartHeader(shape string) io.Reader {
	const size = 25 << 20
	var header io.Reader
	switch shape {
	case "fields": // many short fields
		line := "X-Junk: aaaaaaaaaaaaaaaaaaaaaaaa\r\n"
		header = &repeatReader{s: line, n: size / len(line)}
	case "folded": // one field, folded into many continuation lines
		line := " " + strings.Repeat("a", 76) + "\r\n"
		header = io.MultiReader(strings.NewReader("X-Junk: a\r\n"), &repeatReader{s: line, n: size / len(line)})
	case "line": // one field on one 25 MB line
		header = io.MultiReader(strings.NewReader("X-Junk: "), &repeatReader{s: strings.Repeat("a", 1000), n: size / 1000}, strings.NewReader("\r\n"))
	case "first line": // the part starts with a 25 MB field line
		header = io.MultiReader(strings.NewReader("X-Junk: "), &repeatReader{s: strings.Repeat("a", 1000), n: size / 1000}, strings.NewReader("\r\nContent-Type: text/plain\r\n"))
	}
	return io.MultiReader(strings.NewReader(boundsHead+"--B\r\nContent-Type: application/pdf\r\n"),
		header,
		strings.NewReader("\r\nJVBERi0xLjQK\r\n--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=ok.bin\r\n\r\nok\r\n--B--\r\n"))
}

// TestHugePartHeaderDropped: a part whose header is 25 MB is dropped with a
// warning, the rest of the message still becomes a ticket, and parsing it
// stays within a memory bound (not the 1.1 GB seen before).
func TestHugePartHeaderDropped(t *testing.T) {
	const bound = 64 << 20
	for _, shape := range []string{"fields", "folded", "line", "first line"} {
		t.Run(shape, func(t *testing.T) {
			m, alloc, peak := allocDuring(t, hugePartHeader(shape))
			t.Logf("25 MB part header (%s): allocated %.1f MiB, peak heap growth %.1f MiB", shape, float64(alloc)/(1<<20), float64(peak)/(1<<20))
			if alloc > bound {
				t.Errorf("allocated %d bytes, want at most %d", alloc, bound)
			}
			if m.Text != "Hola, necesito ayuda con la factura." {
				t.Errorf("text %q", m.Text)
			}
			if len(m.Attachments) != 1 || m.Attachments[0].Filename != "ok.bin" {
				t.Errorf("attachments %+v: want only ok.bin (the part after the dropped one)", m.Attachments)
			}
			if !hasWarning(m, "part header") {
				t.Errorf("no warning about the dropped part: %v", m.Warnings)
			}
		})
	}
}

func hasWarning(m *Message, sub string) bool {
	for _, w := range m.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

// TestPartHeaderBounds: a part header just under the bounds is read; one
// over (bytes or fields) drops that part only.
func TestPartHeaderBounds(t *testing.T) {
	part := func(h string) string {
		return boundsHead + "--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=x.bin\r\n" +
			h + "\r\nxyz\r\n--B--\r\n"
	}
	fields := func(n int) string { return strings.Repeat("X-A: b\r\n", n) }
	tests := []struct {
		name string
		h    string
		kept bool
	}{
		{"fields under", fields(maxPartFields - 2), true},
		{"fields over", fields(maxPartFields), false},
		{"bytes under", "X-A: " + strings.Repeat("a", maxPartHeaderBytes-1000) + "\r\n", true},
		{"bytes over", "X-A: " + strings.Repeat("a ", maxPartHeaderBytes/2) + "\r\n", false},
		{"folded over", "X-A: a\r\n" + strings.Repeat(" aaaaaaaaaaaaaaaaaaaa\r\n", maxPartHeaderBytes/20), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, part(tc.h), nil)
			checkInvariants(t, m)
			if m.Text != "Hola, necesito ayuda con la factura." {
				t.Errorf("text %q", m.Text)
			}
			if kept := len(m.Attachments) == 1; kept != tc.kept {
				t.Errorf("attachment kept = %v, want %v (warnings %v)", kept, tc.kept, m.Warnings)
			}
			if !tc.kept && !hasWarning(m, "part header") {
				t.Errorf("no warning: %v", m.Warnings)
			}
		})
	}
}

// TestManyParts: 200,000 tiny parts (a 25 MB message): the first
// maxParts are read, the rest skipped with a warning, memory bounded.
func TestManyParts(t *testing.T) {
	part := "--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=p.bin\r\n\r\nzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\r\n"
	n := (25 << 20) / len(part)
	r := io.MultiReader(strings.NewReader(boundsHead), &repeatReader{s: part, n: n}, strings.NewReader("--B--\r\n"))
	m, alloc, peak := allocDuring(t, r)
	t.Logf("%d parts: allocated %.1f MiB, peak heap growth %.1f MiB", n+1, float64(alloc)/(1<<20), float64(peak)/(1<<20))
	if m.Text != "Hola, necesito ayuda con la factura." {
		t.Errorf("text %q", m.Text)
	}
	// The multipart itself and its first text part count as parts.
	if got := len(m.Attachments); got != maxParts-2 {
		t.Errorf("%d attachments, want %d", got, maxParts-2)
	}
	if !hasWarning(m, fmt.Sprintf("more than %d parts", maxParts)) {
		t.Errorf("no warning: %v", m.Warnings)
	}
	if alloc > 64<<20 {
		t.Errorf("allocated %d bytes", alloc)
	}
}

// TestDeepNesting: multiparts nested 100,000 deep (7 MB): what is
// deeper than maxDepth is skipped with a warning; the text before it and
// an attachment after it are kept.
func TestDeepNesting(t *testing.T) {
	const levels = 100000
	var b strings.Builder
	b.WriteString(boundsHead)
	for i := range levels {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", bnd(i), i+1)
	}
	for i := levels; i >= 0; i-- {
		fmt.Fprintf(&b, "--%s--\r\n", bnd(i))
		if i == 1 {
			b.WriteString("--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=after.bin\r\n\r\nok\r\n")
		}
	}
	m, alloc, peak := allocDuring(t, strings.NewReader(b.String()))
	t.Logf("%d levels (%d bytes): allocated %.1f MiB, peak heap growth %.1f MiB", levels, b.Len(), float64(alloc)/(1<<20), float64(peak)/(1<<20))
	if m.Text != "Hola, necesito ayuda con la factura." {
		t.Errorf("text %q", m.Text)
	}
	if !hasWarning(m, fmt.Sprintf("nested deeper than %d", maxDepth)) {
		t.Errorf("no warning: %v", m.Warnings)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "after.bin" {
		t.Errorf("attachments %+v", m.Attachments)
	}
	if alloc > 64<<20 {
		t.Errorf("allocated %d bytes", alloc)
	}
}

func bnd(i int) string {
	if i == 0 {
		return "B"
	}
	return fmt.Sprintf("b%d", i)
}

// TestHugeTopHeaderBounded: a 25 MB top-level header (fields or one
// line) ends at its bound and the rest is read as a text body (cut at
// maxTextBytes); the live heap stays bounded.
func TestHugeTopHeaderBounded(t *testing.T) {
	const size = 25 << 20
	shapes := map[string]func() io.Reader{
		"fields": func() io.Reader {
			line := "X-Junk: aaaaaaaaaaaaaaaaaaaaaaaa\r\n"
			return io.MultiReader(strings.NewReader("From: ana@cliente.cl\r\n"), &repeatReader{s: line, n: size / len(line)}, strings.NewReader("\r\nhola\r\n"))
		},
		"line": func() io.Reader {
			return io.MultiReader(strings.NewReader("From: ana@cliente.cl\r\nX-Junk: "), &repeatReader{s: strings.Repeat("a", 1000), n: size / 1000}, strings.NewReader("\r\n\r\nhola\r\n"))
		},
	}
	for name, mk := range shapes {
		t.Run(name, func(t *testing.T) {
			m, alloc, peak := allocDuring(t, mk())
			t.Logf("25 MB top-level header (%s): allocated %.1f MiB, peak heap growth %.1f MiB", name, float64(alloc)/(1<<20), float64(peak)/(1<<20))
			if alloc > 200<<20 {
				t.Errorf("allocated %d bytes", alloc)
			}
			if m.From == nil || m.From.Address != "ana@cliente.cl" {
				t.Errorf("from %+v", m.From)
			}
			if len(m.Warnings) == 0 {
				t.Error("no warning")
			}
		})
	}
}
