// Copyright 2010 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license. Adapted
// from go-message's textproto multipart reader (MIT, Copyright 2016
// emersion), itself from Go's mime/multipart.

package parse

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// rawMultipart splits a multipart body into parts like go-message's
// textproto.MultipartReader, with one difference: a part is returned raw,
// header included. go-message reads each part's header itself, without
// any limit (a 25 MB part header cost 1.1 GB of heap); here the caller
// reads it with readPartHeader, which is bounded.
type rawMultipart struct {
	br        *bufio.Reader
	current   *rawPart
	partsRead int

	nl               []byte // "\r\n" or "\n" (set after seeing the first boundary line)
	nlDashBoundary   []byte // nl + "--boundary"
	dashBoundaryDash []byte // "--boundary--"
	dashBoundary     []byte // "--boundary"
}

// multipartBuf is the read buffer of one multipart level; it must hold
// "\r\n--" plus the longest boundary (70) with room to spare.
const multipartBuf = 4096

func newRawMultipart(r io.Reader, boundary string) *rawMultipart {
	b := []byte("\r\n--" + boundary + "--")
	return &rawMultipart{
		br:               bufio.NewReaderSize(&stickyErrorReader{r: r}, multipartBuf),
		nl:               b[:2],
		nlDashBoundary:   b[:len(b)-2],
		dashBoundaryDash: b[2:],
		dashBoundary:     b[2 : len(b)-2],
	}
}

// stickyErrorReader never calls Read again once it has seen an error.
type stickyErrorReader struct {
	r   io.Reader
	err error
}

func (r *stickyErrorReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	var n int
	n, r.err = r.r.Read(p)
	return n, r.err
}

// next returns the next part, raw (header, blank line, body), or io.EOF
// after the closing boundary. The previous part is drained first.
func (m *rawMultipart) next() (io.Reader, error) {
	if m.current != nil {
		io.Copy(io.Discard, m.current)
	}
	if string(m.dashBoundary) == "--" {
		return nil, fmt.Errorf("multipart: boundary is empty")
	}
	expectNewPart := false
	for {
		line, err := m.br.ReadSlice('\n')
		if err == io.EOF && m.isFinalBoundary(line) {
			// "--boundary--" without a final line ending.
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("multipart: NextPart: %v", err)
		}
		if m.isBoundaryDelimiterLine(line) {
			m.partsRead++
			m.current = &rawPart{m: m}
			return m.current, nil
		}
		if m.isFinalBoundary(line) {
			return nil, io.EOF
		}
		if expectNewPart {
			return nil, fmt.Errorf("multipart: expecting a new Part; got line %q", string(line))
		}
		if m.partsRead == 0 {
			continue // preamble
		}
		// The line ending between a part's body and the boundary line.
		if bytes.Equal(line, m.nl) {
			expectNewPart = true
			continue
		}
		return nil, fmt.Errorf("multipart: unexpected line in Next(): %q", line)
	}
}

// isFinalBoundary matches `^--boundary--[ \t]*(\r\n)?$`.
func (m *rawMultipart) isFinalBoundary(line []byte) bool {
	if !bytes.HasPrefix(line, m.dashBoundaryDash) {
		return false
	}
	rest := skipLWSP(line[len(m.dashBoundaryDash):])
	return len(rest) == 0 || bytes.Equal(rest, m.nl)
}

// isBoundaryDelimiterLine matches "--boundary", optional blanks and the
// line ending (RFC 2046 §5.1). Bare "\n" endings are accepted when the
// first boundary line has one.
func (m *rawMultipart) isBoundaryDelimiterLine(line []byte) bool {
	if !bytes.HasPrefix(line, m.dashBoundary) {
		return false
	}
	rest := skipLWSP(line[len(m.dashBoundary):])
	if m.partsRead == 0 && len(rest) == 1 && rest[0] == '\n' {
		m.nl = m.nl[1:]
		m.nlDashBoundary = m.nlDashBoundary[1:]
	}
	return bytes.Equal(rest, m.nl)
}

func skipLWSP(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// rawPart reads one part's bytes up to the next boundary.
type rawPart struct {
	m       *rawMultipart
	n       int   // known data bytes waiting in m.br
	total   int64 // data bytes read already
	err     error // returned when n == 0
	readErr error // read error seen on m.br
}

func (p *rawPart) Read(d []byte) (int, error) {
	br := p.m.br
	for p.n == 0 && p.err == nil {
		peek, _ := br.Peek(br.Buffered())
		p.n, p.err = scanUntilBoundary(peek, p.m.dashBoundary, p.m.nlDashBoundary, p.total, p.readErr)
		if p.n == 0 && p.err == nil {
			_, p.readErr = br.Peek(len(peek) + 1)
			if p.readErr == io.EOF {
				p.readErr = io.ErrUnexpectedEOF
			}
		}
	}
	if p.n == 0 {
		return 0, p.err
	}
	n := min(len(d), p.n)
	n, _ = br.Read(d[:n])
	p.total += int64(n)
	p.n -= n
	if p.n == 0 {
		return n, p.err
	}
	return n, nil
}

// scanUntilBoundary returns how many bytes of buf are part data, and the
// error to return once they are read (io.EOF at the boundary).
// dashBoundary is "--boundary", nlDashBoundary "\r\n--boundary" or
// "\n--boundary"; at the start of a part (total == 0) a bare
// "--boundary" also ends it.
func scanUntilBoundary(buf, dashBoundary, nlDashBoundary []byte, total int64, readErr error) (int, error) {
	if total == 0 {
		if bytes.HasPrefix(buf, dashBoundary) {
			switch matchAfterPrefix(buf, dashBoundary, readErr) {
			case -1:
				return len(dashBoundary), nil
			case 0:
				return 0, nil
			case +1:
				return 0, io.EOF
			}
		}
		if bytes.HasPrefix(dashBoundary, buf) {
			return 0, readErr
		}
	}
	if i := bytes.Index(buf, nlDashBoundary); i >= 0 {
		switch matchAfterPrefix(buf[i:], nlDashBoundary, readErr) {
		case -1:
			return i + len(nlDashBoundary), nil
		case 0:
			return i, nil
		case +1:
			return i, io.EOF
		}
	}
	if bytes.HasPrefix(nlDashBoundary, buf) {
		return 0, readErr
	}
	// Everything up to the last line ending is data; so is what follows
	// it unless it may still become the boundary.
	i := bytes.LastIndexByte(buf, nlDashBoundary[0])
	if i >= 0 && bytes.HasPrefix(nlDashBoundary, buf[i:]) {
		return i, nil
	}
	return len(buf), readErr
}

// matchAfterPrefix: +1 when the prefix is followed by a dash, blank, line
// ending or the end of input (a boundary), -1 by anything else ("--foobar"
// is not "--foo"), 0 when more input is needed.
func matchAfterPrefix(buf, prefix []byte, readErr error) int {
	if len(buf) == len(prefix) {
		if readErr != nil {
			return +1
		}
		return 0
	}
	switch buf[len(prefix)] {
	case ' ', '\t', '\r', '\n', '-':
		return +1
	}
	return -1
}
