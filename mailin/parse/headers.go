package parse

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"strings"
)

const (
	maxHeaderBytes  = 1 << 20 // a larger top-level header block is treated as body
	maxHeaderFields = 10000   // so are top-level fields past this many
	maxLineBytes    = 64 << 10

	// A MIME part's header over either bound drops the part (see
	// readPartHeader); the rest of the message is still read.
	maxPartHeaderBytes = 64 << 10
	maxPartFields      = 1000
)

// field is one header field: canonical key and unfolded raw value
// (RFC 2047 words still encoded), always valid UTF-8.
type field struct{ key, value string }

// header is an ordered header block.
type header []field

func (h header) get(k string) string {
	k = textproto.CanonicalMIMEHeaderKey(k)
	for _, f := range h {
		if f.key == k {
			return f.value
		}
	}
	return ""
}

func (h header) has(k string) bool {
	k = textproto.CanonicalMIMEHeaderKey(k)
	for _, f := range h {
		if f.key == k {
			return true
		}
	}
	return false
}

// readLine reads one line without its line ending. Lines longer than
// maxLineBytes are cut; the rest of the line is discarded.
func readLine(br *bufio.Reader) (line []byte, err error) {
	for {
		chunk, e := br.ReadSlice('\n')
		if len(line)+len(chunk) <= maxLineBytes {
			line = append(line, chunk...)
		}
		if e == bufio.ErrBufferFull {
			continue
		}
		err = e
		break
	}
	line = bytes.TrimRight(line, "\r\n")
	return line, err
}

// peekLine returns the next line (without ending) without consuming it,
// or ok=false when it does not fit the buffer.
func peekLine(br *bufio.Reader) (line []byte, ok bool) {
	for n := 256; ; n *= 2 {
		b, err := br.Peek(n)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return bytes.TrimRight(b[:i], "\r"), true
		}
		if err != nil {
			return bytes.TrimRight(b, "\r"), len(b) > 0
		}
		if n >= br.Size() {
			return nil, false
		}
	}
}

// headerLineKey returns the key of a "Key: value" line, or "" when the
// line is not a header field.
func headerLineKey(line []byte) string {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return ""
	}
	key := bytes.TrimRight(line[:i], " \t")
	if len(key) == 0 {
		return ""
	}
	for _, c := range key {
		if c < 33 || c > 126 {
			return ""
		}
	}
	return string(key)
}

// headerStop says why readFields stopped.
type headerStop int

const (
	stopEnd      headerStop = iota // blank line or EOF
	stopBody                       // a line that is no field: left for the body (warned)
	stopLongLine                   // a line that does not fit the read buffer
	stopBytes                      // the block is over its byte bound
	stopFields                     // the block is over its field bound
)

// readHeader reads a top-level header block leniently. It stops at the
// blank line, at EOF, or at the first line that is neither a field nor a
// continuation (that line is left for the body, with a warning). A
// leading mbox "From " line is skipped. The returned reader yields the
// body. A block over maxHeaderBytes or maxHeaderFields, or with a line
// longer than br's buffer, ends there: the rest is read as body.
func readHeader(br *bufio.Reader, w *warnings) (header, io.Reader) {
	h, conts, stop := readFields(br, w, maxHeaderBytes, maxHeaderFields)
	switch stop {
	case stopLongLine:
		if len(h) == 0 {
			w.addf("no header block")
		} else {
			w.addf("header line too long: treated as body")
		}
	case stopBytes:
		w.addf("header block too large: rest treated as body")
	case stopFields:
		w.addf("more than %d header fields: rest treated as body", maxHeaderFields)
	}
	return joinConts(h, conts), br
}

// readPartHeader reads the header of a MIME part from its raw bytes,
// within maxPartHeaderBytes and maxPartFields. ok is false when the header
// is over a bound (a field line that does not fit the buffer counts as
// over): the caller drops the part. A part without a header, or whose
// header turns into body text, is read leniently as readHeader does.
func readPartHeader(br *bufio.Reader, w *warnings) (h header, body io.Reader, ok bool) {
	h, conts, stop := readFields(br, w, maxPartHeaderBytes, maxPartFields)
	switch stop {
	case stopBytes, stopFields:
		return nil, nil, false
	case stopLongLine:
		b, _ := br.Peek(br.Size())
		if len(h) > 0 || headerLineKey(b) != "" {
			return nil, nil, false
		}
		w.addf("no header block")
	}
	return joinConts(h, conts), br, true
}

func joinConts(h header, conts map[int][]string) header {
	for i, c := range conts {
		if len(c) > 0 {
			h[i].value = strings.Join(append([]string{h[i].value}, c...), " ")
		}
	}
	return h
}

// readFields reads the fields, at most maxBytes of them (line endings not
// counted) and at most maxFields; continuation lines are collected per
// field (conts) and joined once, so many short continuation lines cost
// linear time. Lines past a bound are not consumed.
func readFields(br *bufio.Reader, w *warnings, maxBytes, maxFields int) (header, map[int][]string, headerStop) {
	var h header
	conts := map[int][]string{}
	total := 0
	first := true
	for {
		line, ok := peekLine(br)
		if !ok {
			return h, conts, stopLongLine
		}
		if len(line) == 0 {
			readLine(br)
			return h, conts, stopEnd
		}
		if first && bytes.HasPrefix(line, []byte("From ")) {
			readLine(br)
			first = false
			continue
		}
		cont := line[0] == ' ' || line[0] == '\t'
		key := ""
		if !cont {
			key = headerLineKey(line)
		}
		if (cont && len(h) == 0) || (!cont && key == "") {
			if len(h) > 0 && nextIsHeader(br) {
				w.addf("malformed header line skipped")
				readLine(br)
				continue
			}
			if len(h) == 0 {
				w.addf("no header block")
			} else {
				w.addf("malformed header line: rest treated as body")
			}
			return h, conts, stopBody
		}
		total += len(line)
		if total > maxBytes {
			return h, conts, stopBytes
		}
		if !cont && len(h) >= maxFields {
			return h, conts, stopFields
		}
		readLine(br)
		first = false
		if cont {
			conts[len(h)-1] = append(conts[len(h)-1], strings.TrimSpace(string(line)))
			continue
		}
		i := bytes.IndexByte(line, ':')
		h = append(h, field{
			key:   textproto.CanonicalMIMEHeaderKey(key),
			value: strings.TrimSpace(string(line[i+1:])),
		})
	}
}

// fixHeader makes every value valid UTF-8 (raw Latin-1 header bytes are
// read as Windows-1252).
func fixHeader(h header, w *warnings) header {
	for i := range h {
		h[i].value = ensureUTF8(h[i].value, w, "header "+h[i].key)
	}
	return h
}

// nextIsHeader reports whether the line after the next one is a header
// field, i.e. the next line is garbage inside the header block.
func nextIsHeader(br *bufio.Reader) bool {
	b, _ := br.Peek(min(br.Size(), 8192))
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return false
	}
	rest := b[i+1:]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	return headerLineKey(bytes.TrimRight(rest, "\r")) != ""
}
