package mailout

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"turno/templates"
)

// LoopHeader marks mail as Turno's own; the intake (mailin/parse) never
// treats a message carrying it as a customer message.
const LoopHeader = "X-Turno-Loop"

// tagSubject puts "[Ticket #N]" in front of a ticket mail's subject: the tag
// the intake threads on. Templates leave it out, so it is written in one
// place for every ticket mail.
func tagSubject(subject string, ticket int64) string {
	if ticket <= 0 {
		return subject
	}
	tag := "[Ticket #" + strconv.FormatInt(ticket, 10) + "]"
	if strings.Contains(subject, tag) {
		return subject
	}
	return tag + " " + subject
}

// render turns stored template data into the three parts, with the ticket
// tag in the subject.
func (o *Outbox) render(name, lang, dataJSON string, ticket int64) (*templates.Rendered, error) {
	data, err := templates.DecodeData(name, []byte(dataJSON))
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	r, err := o.opts.Templates.Render(name, lang, data)
	if err != nil {
		return nil, err
	}
	r.Subject = tagSubject(r.Subject, ticket)
	if err := checkHeader("subject", r.Subject); err != nil {
		return nil, err
	}
	return r, nil
}

// composeInput is everything that goes into the MIME message.
type composeInput struct {
	FromName, FromAddress string
	Entry                 *Entry
	Rendered              *templates.Rendered
	Date                  time.Time
	LoopValue             string
}

// compose builds the MIME message: multipart/alternative text and HTML (in
// multipart/mixed with attachments), UTF-8, quoted-printable, RFC 2047 for
// non-ASCII display names and subjects. Every header value was checked for
// line breaks at enqueue; they are checked again here, as the rendered
// subject and the configuration reach headers too. No line exceeds 998
// bytes, and top-level headers fold at 78 columns where they can
// (fold.go): References keeps its first id and the last refsTail.
func compose(in composeInput) ([]byte, error) {
	e := in.Entry
	for f, v := range map[string]string{"from name": in.FromName, "from": in.FromAddress, "subject": in.Rendered.Subject,
		"message-id": e.MessageID, "in-reply-to": e.InReplyTo, "loop": in.LoopValue} {
		if err := checkHeader(f, v); err != nil {
			return nil, err
		}
	}
	m := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP), gomail.WithNoDefaultUserAgent())
	if err := m.FromFormat(in.FromName, in.FromAddress); err != nil {
		return nil, fmt.Errorf("compose: from: %w", err)
	}
	if err := m.To(e.To...); err != nil {
		return nil, fmt.Errorf("compose: to: %w", err)
	}
	if len(e.Cc) > 0 {
		if err := m.Cc(e.Cc...); err != nil {
			return nil, fmt.Errorf("compose: cc: %w", err)
		}
	}
	if e.ReplyTo != "" {
		if err := m.ReplyTo(e.ReplyTo); err != nil {
			return nil, fmt.Errorf("compose: reply-to: %w", err)
		}
	}
	m.Subject(sendableSubject(in.Rendered.Subject))
	// Replaces go-mail's default random Message-ID (one header, not two).
	m.SetMessageIDWithValue(strings.TrimSuffix(strings.TrimPrefix(e.MessageID, "<"), ">"))
	m.SetDateWithValue(in.Date)
	// Trimmed and bounded again here: entries stored before Enqueue did it
	// may still carry thousands of references.
	if threadID(e.InReplyTo) {
		m.SetGenHeaderPreformatted(gomail.HeaderInReplyTo, e.InReplyTo)
	}
	if refs := trimReferences(e.References); len(refs) > 0 {
		m.SetGenHeaderPreformatted(gomail.HeaderReferences, foldIDs(string(gomail.HeaderReferences), refs))
	}
	switch auto := e.AutoSubmitted; auto {
	case "no": // a person's mail
	default:
		if auto == "" {
			auto = "auto-generated"
		}
		m.SetGenHeaderPreformatted("Auto-Submitted", auto)
		m.SetGenHeaderPreformatted("X-Auto-Response-Suppress", "All")
	}
	m.SetGenHeaderPreformatted(LoopHeader, in.LoopValue)
	m.SetBodyString(gomail.TypeTextPlain, in.Rendered.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, in.Rendered.HTML)
	for _, a := range e.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		if err := m.AttachReader(sendableFilename(a.Filename), bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(ct))); err != nil {
			return nil, fmt.Errorf("compose: attach %s: %w", a.Filename, err)
		}
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("compose: write: %w", err)
	}
	return buf.Bytes(), nil
}
