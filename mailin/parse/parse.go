package parse

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	maxDepth     = 20       // deeper multipart nesting is skipped, with a warning
	maxTextBytes = 8 << 20  // a text body beyond this is cut
	maxPreamble  = 1 << 20  // kept to recover text when no boundary is found
	maxParts     = 1000     // parts beyond this are skipped
	peekHeader   = 64 << 10 // bytes read ahead of an attached message
	maxExtraText = 1 << 20  // later text parts and delivery-status kept for bounces
)

// Parse reads one RFC 5322 message. It never fails on malformed content:
// it recovers the best text it can and adds warnings. err is non-nil only
// when r fails or Options.Attachment returns an error; the partial
// Message is returned with it.
func Parse(r io.Reader, opts *Options) (*Message, error) {
	if opts == nil {
		opts = &Options{}
	}
	src := &errReader{r: r}
	p := &parser{opts: opts, msg: &Message{}}
	br := bufio.NewReaderSize(src, peekHeader)
	h, body := readHeader(br, &p.w)
	h = fixHeader(h, &p.w)
	p.top = h
	p.walk(h, body, 0, "")
	p.finish()
	if p.err == nil && src.err != nil {
		p.err = fmt.Errorf("read message: %w", src.err)
	}
	return p.msg, p.err
}

// errReader remembers the first non-EOF error of the message reader, so
// that Parse can tell a broken reader from broken MIME.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

type parser struct {
	opts  *Options
	msg   *Message
	w     warnings
	top   header
	err   error // from Options.Attachment; stops the walk
	parts int
	bufs  map[int]*bufio.Reader // part header readers by depth

	plain, html     string
	havePlain       bool
	haveHTML        bool
	flowed, delSp   bool
	report          bool   // multipart/report; report-type=delivery-status
	dsn             []byte // message/delivery-status content
	origHeaderID    string // Message-ID of the returned message
	bounceTextParts []string
	extraText       int // bytes in bounceTextParts
}

// walk handles one entity: its header h and its still-encoded body.
func (p *parser) walk(h header, body io.Reader, depth int, parent string) {
	if p.err != nil {
		return
	}
	p.parts++
	if p.parts > maxParts {
		p.w.addf("more than %d parts: rest skipped", maxParts)
		return
	}
	ct, params := "text/plain", map[string]string{}
	if v := h.get("Content-Type"); v != "" {
		ct, params = parseMediaType(v, &p.w)
		if !strings.Contains(ct, "/") {
			p.w.addf("malformed Content-Type %q: read as text/plain", v)
			ct, params = "text/plain", map[string]string{}
		}
	} else if parent == "multipart/digest" {
		ct = "message/rfc822"
	}
	disp, dparams := parseMediaType(h.get("Content-Disposition"), &p.w)
	filename := dparams["filename"]
	if filename == "" {
		filename = params["name"]
	}
	filename = cleanFilename(filename)
	cid := NormalizeMessageID(h.get("Content-Id"))

	if strings.HasPrefix(ct, "multipart/") {
		if depth >= maxDepth {
			p.w.addf("multipart nested deeper than %d: skipped", maxDepth)
			return
		}
		if ct == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") {
			p.report = true
		}
		if params["boundary"] == "" {
			p.w.addf("%s without boundary: read as text/plain", ct)
			p.textPart("text/plain", params, h, body)
			return
		}
		p.multipart(ct, params["boundary"], body, depth)
		return
	}

	attachment := disp == "attachment" || filename != ""
	switch {
	case (ct == "text/plain" || ct == "text/html") && !attachment:
		p.textPart(ct, params, h, body)
		return
	case ct == "message/delivery-status" || ct == "message/global-delivery-status":
		room := max(0, maxExtraText-len(p.dsn))
		b, _ := p.readAll(transferDecoder(h.get("Content-Transfer-Encoding"), body, &p.w), int64(room))
		p.dsn = append(p.dsn, b...)
		p.dsn = append(p.dsn, '\n')
		return
	case ct == "text/rfc822-headers" || ct == "message/rfc822-headers":
		b, _ := p.readAll(transferDecoder(h.get("Content-Transfer-Encoding"), body, &p.w), peekHeader)
		hh, _ := readHeader(bufio.NewReader(bytes.NewReader(b)), &warnings{})
		if p.origHeaderID == "" {
			p.origHeaderID = NormalizeMessageID(hh.get("Message-Id"))
		}
		return
	}

	content := transferDecoder(h.get("Content-Transfer-Encoding"), body, &p.w)
	a := &Attachment{
		Filename:    filename,
		ContentType: ct,
		Inline:      cid != "" || disp == "inline",
		ContentID:   cid,
	}
	if ct == "message/rfc822" || ct == "message/global" {
		// Peek at the attached message's header for its name and id; the
		// peeked bytes stay buffered and are streamed with the rest.
		br := bufio.NewReaderSize(content, peekHeader)
		head, _ := br.Peek(peekHeader)
		hh, _ := readHeader(bufio.NewReader(bytes.NewReader(head)), &warnings{})
		hh = fixHeader(hh, &warnings{})
		if a.Filename == "" {
			subj := cleanFilename(decodeWords(hh.get("Subject"), &warnings{}))
			if subj == "" {
				subj = "message"
			}
			a.Filename = subj + ".eml"
		}
		if p.origHeaderID == "" && p.report {
			p.origHeaderID = NormalizeMessageID(hh.get("Message-Id"))
		}
		content = br
	}
	p.attachment(a, content)
}

// multipart walks the parts of a multipart body. A missing closing
// boundary, junk between parts and a body without any boundary are
// warnings; in the last case the body is read as text. A part whose
// header is over a bound is dropped (its bytes are skipped, never held)
// and the walk goes on; past maxParts the rest of the body is skipped.
func (p *parser) multipart(ct, boundary string, body io.Reader, depth int) {
	capture := &capReader{r: body, max: maxPreamble}
	mr := newRawMultipart(capture, boundary)
	n := 0
	for {
		if p.parts >= maxParts {
			p.w.addf("more than %d parts: rest skipped", maxParts)
			return
		}
		part, err := mr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if n == 0 {
				p.w.addf("%s: no boundary found: body read as text", ct)
				p.textPart("text/plain", nil, nil, bytes.NewReader(capture.buf))
			} else if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "EOF") {
				p.w.addf("%s: missing closing boundary", ct)
			} else {
				p.w.addf("%s: %v: rest skipped", ct, err)
			}
			return
		}
		n++
		if n == 1 {
			capture.buf = nil
			capture.max = 0
		}
		pr := &partReader{part: part, w: &p.w}
		br := p.partBuf(depth, pr)
		ph, pbody, ok := readPartHeader(br, &p.w)
		if !ok {
			p.parts++
			p.w.addf("part header over %d KiB or %d fields: part dropped", maxPartHeaderBytes>>10, maxPartFields)
			continue // next drains it
		}
		ph = fixHeader(ph, &p.w)
		p.walk(ph, pbody, depth+1, ct)
		if p.err != nil {
			return
		}
	}
	if n == 0 {
		p.w.addf("%s: no parts", ct)
	}
}

// partBuf returns the reader for a part header at depth, reusing one
// buffer per depth: a part is done before the next one at its depth.
func (p *parser) partBuf(depth int, r io.Reader) *bufio.Reader {
	if p.bufs == nil {
		p.bufs = map[int]*bufio.Reader{}
	}
	br := p.bufs[depth]
	if br == nil {
		// A power of two, as peekLine needs; a line longer than this is
		// over maxPartHeaderBytes anyway.
		br = bufio.NewReaderSize(r, maxPartHeaderBytes)
		p.bufs[depth] = br
		return br
	}
	br.Reset(r)
	return br
}

// partReader turns a truncated part into a clean EOF plus a warning.
type partReader struct {
	part io.Reader
	w    *warnings
}

func (r *partReader) Read(b []byte) (int, error) {
	n, err := r.part.Read(b)
	if err != nil && err != io.EOF {
		r.w.addf("part truncated: %v", err)
		err = io.EOF
	}
	return n, err
}

// capReader keeps the first max bytes it reads.
type capReader struct {
	r   io.Reader
	buf []byte
	max int
}

func (c *capReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if room := c.max - len(c.buf); room > 0 {
		c.buf = append(c.buf, b[:min(n, room)]...)
	}
	return n, err
}

// readAll reads up to limit bytes, then drains the rest.
func (p *parser) readAll(r io.Reader, limit int64) ([]byte, bool) {
	b, _ := io.ReadAll(io.LimitReader(r, limit))
	n, _ := io.Copy(io.Discard, r)
	return b, n > 0
}

// textPart decodes a body text part; only the first plain and the first
// HTML part become the ticket text, later ones are kept for bounces.
func (p *parser) textPart(ct string, params map[string]string, h header, body io.Reader) {
	r := transferDecoder(h.get("Content-Transfer-Encoding"), body, &p.w)
	b, cut := p.readAll(r, maxTextBytes)
	if cut {
		p.w.addf("text part larger than %d bytes: cut", maxTextBytes)
	}
	text := decodeCharset(params["charset"], b, &p.w)
	text = dropControls(normalizeNewlines(text), &p.w)
	switch {
	case ct == "text/html" && !p.haveHTML:
		p.html, p.haveHTML = text, true
	case ct == "text/plain" && !p.havePlain:
		if strings.EqualFold(params["format"], "flowed") {
			text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
		}
		p.plain, p.havePlain = text, true
	default:
		// Later text parts matter only for scraping bounces; keep a little.
		if p.extraText+len(text) <= maxExtraText {
			p.bounceTextParts = append(p.bounceTextParts, text)
			p.extraText += len(text)
		}
	}
}

// attachment streams one attachment through the hash and the callback.
func (p *parser) attachment(a *Attachment, content io.Reader) {
	hash := sha256.New()
	cnt := &countWriter{}
	tee := io.TeeReader(content, io.MultiWriter(hash, cnt))
	if p.opts.Attachment != nil {
		if err := p.opts.Attachment(a, tee); err != nil {
			p.err = fmt.Errorf("attachment %q: %w", a.Filename, err)
			return
		}
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		p.w.addf("attachment %q: %v", a.Filename, err)
	}
	a.Size = cnt.n
	a.SHA256 = hex.EncodeToString(hash.Sum(nil))
	p.msg.Attachments = append(p.msg.Attachments, *a)
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) {
	c.n += int64(len(b))
	return len(b), nil
}

// cleanFilename decodes stray RFC 2047 words and removes path parts and
// control characters.
func cleanFilename(s string) string {
	if strings.Contains(s, "=?") {
		s = decodeWords(s, &warnings{})
	}
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// dropControls removes control characters other than tab and newline
// (binary junk in a text part), with a warning.
func dropControls(s string, w *warnings) string {
	isCtl := func(r rune) bool {
		return (r < 32 && r != '\t' && r != '\n') || r == 127 || (r >= 0x80 && r < 0xa0)
	}
	if !strings.ContainsFunc(s, isCtl) {
		return s
	}
	w.addf("control characters removed from text")
	return strings.Map(func(r rune) rune {
		if isCtl(r) {
			return -1
		}
		return r
	}, s)
}
