package parse

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// transferDecoder returns a reader that undoes Content-Transfer-Encoding.
// Both decoders are lenient: they skip what they cannot decode and record
// a warning instead of failing.
func transferDecoder(cte string, r io.Reader, w *warnings) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return &base64Reader{src: r, w: w}
	case "quoted-printable":
		return &qpReader{src: bufio.NewReaderSize(r, 4096), w: w}
	case "", "7bit", "8bit", "binary":
		return r
	default:
		w.addf("unknown Content-Transfer-Encoding %q: used as is", cte)
		return r
	}
}

// base64Reader decodes base64, ignoring whitespace, skipping invalid
// characters, accepting missing padding and padding in the middle
// (concatenated encodings).
type base64Reader struct {
	src     io.Reader
	w       *warnings
	in      [4096]byte
	outBuf  [3200]byte // 4096 sextets decode to at most 3072 bytes
	out     []byte
	acc     uint32
	n       int // sextets in acc
	err     error
	invalid bool
}

func b64val(c byte) (byte, bool) {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A', true
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26, true
	case '0' <= c && c <= '9':
		return c - '0' + 52, true
	case c == '+' || c == '-':
		return 62, true
	case c == '/' || c == '_':
		return 63, true
	}
	return 0, false
}

func (b *base64Reader) flushPartial() {
	switch b.n {
	case 1:
		b.w.addf("base64: truncated group dropped")
	case 2:
		b.out = append(b.out, byte(b.acc>>4))
	case 3:
		b.out = append(b.out, byte(b.acc>>10), byte(b.acc>>2))
	}
	b.acc, b.n = 0, 0
}

func (b *base64Reader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		b.out = b.outBuf[:0]
		n, err := b.src.Read(b.in[:])
		for _, c := range b.in[:n] {
			if v, ok := b64val(c); ok {
				b.acc = b.acc<<6 | uint32(v)
				b.n++
				if b.n == 4 {
					b.out = append(b.out, byte(b.acc>>16), byte(b.acc>>8), byte(b.acc))
					b.acc, b.n = 0, 0
				}
				continue
			}
			switch c {
			case '=':
				b.flushPartial()
			case ' ', '\t', '\r', '\n':
			default:
				if !b.invalid {
					b.invalid = true
					b.w.addf("base64: invalid characters skipped")
				}
			}
		}
		if err != nil {
			b.flushPartial()
			b.err = err
		}
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// qpReader decodes quoted-printable line by line. A '=' not followed by
// two hex digits is kept literally (with a warning).
type qpReader struct {
	src *bufio.Reader
	w   *warnings
	buf []byte
	out []byte
	err error
}

func (q *qpReader) Read(p []byte) (int, error) {
	for len(q.out) == 0 {
		if q.err != nil {
			return 0, q.err
		}
		q.out = q.buf[:0] // reuse the line buffer
		line, err := q.src.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			err = nil // decode the long line in pieces; no line end yet
		}
		eol := ""
		switch {
		case bytes.HasSuffix(line, []byte("\r\n")):
			eol, line = "\r\n", line[:len(line)-2]
		case bytes.HasSuffix(line, []byte("\n")):
			eol, line = "\n", line[:len(line)-1]
		}
		if eol != "" || err != nil {
			line = bytes.TrimRight(line, " \t")
		}
		soft := false
		if bytes.HasSuffix(line, []byte("=")) && (eol != "" || err != nil) {
			soft, line = true, line[:len(line)-1]
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '=' {
				if i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
					q.out = append(q.out, unhex(line[i+1])<<4|unhex(line[i+2]))
					i += 2
					continue
				}
				q.w.addf("quoted-printable: malformed escape kept literally")
			}
			q.out = append(q.out, c)
		}
		if !soft {
			q.out = append(q.out, eol...)
		}
		if err != nil {
			q.err = err
		}
	}
	if cap(q.out) > cap(q.buf) {
		q.buf = q.out[:0]
	}
	n := copy(p, q.out)
	q.out = q.out[n:]
	return n, nil
}
