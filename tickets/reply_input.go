package tickets

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"turno/mailout"
)

// Limits of an agent's reply or note.
const (
	maxKeyLen         = 200
	maxTextBytes      = 100 << 10
	maxAttachments    = 10
	maxAttachBytes    = 10 << 20
	maxFilenameLength = 255
)

// Reply and note message keys are the idempotency key hashed with the
// actor: "reply:<hex sha256(email \x00 key)>", likewise "note:". Two agents
// may use the same key without meeting.
const (
	replyPrefix = "reply:"
	notePrefix  = "note:"
)

func workKey(prefix, actor, key string) string {
	sum := sha256.Sum256([]byte(actor + "\x00" + key))
	return prefix + hex.EncodeToString(sum[:])
}

// replyStatus is the status a reply leaves the ticket in.
func replyStatus(s string) string {
	if s == "" {
		return StatusOpen
	}
	return s
}

func checkKey(key string) error {
	switch {
	case key == "":
		return badInput("key", "an idempotency key is required")
	case len(key) > maxKeyLen:
		return badInput("key", "is longer than %d bytes", maxKeyLen)
	}
	return nil
}

func checkText(text string) error {
	switch {
	case strings.TrimSpace(text) == "":
		return badInput("text", "is empty")
	case len(text) > maxTextBytes:
		return badInput("text", "is longer than %d KB", maxTextBytes>>10)
	}
	return nil
}

// validateReply checks a reply before anything is read or written.
func validateReply(in ReplyInput) error {
	if err := checkKey(in.Key); err != nil {
		return err
	}
	if err := checkText(in.Text); err != nil {
		return err
	}
	switch in.Status {
	case "", StatusOpen, StatusPending, StatusSolved:
	default:
		return badInput("status", "must be open, pending or solved (got %q)", in.Status)
	}
	if in.Answers == "" && !in.Force {
		return badInput("answers", "name the newest message you read (or force)")
	}
	if strings.ContainsAny(in.Answers, "\r\n\x00") || len(in.Answers) > 1000 {
		return badInput("answers", "is not a message key")
	}
	if len(in.Attachments) > maxAttachments {
		return badInput("attachments", "at most %d files (got %d)", maxAttachments, len(in.Attachments))
	}
	total := 0
	for _, a := range in.Attachments {
		if err := checkFilename(a.Filename); err != nil {
			return err
		}
		if strings.ContainsFunc(a.ContentType, unicode.IsControl) || len(a.ContentType) > 200 {
			return badInput("attachments", "%s: content type %q is not valid", a.Filename, a.ContentType)
		}
		total += len(a.Data)
	}
	if total > maxAttachBytes {
		return badInput("attachments", "total %d bytes exceeds %d MB", total, maxAttachBytes>>20)
	}
	return nil
}

// checkFilename refuses names that are empty, carry a path or a control
// character, or are too long for a header.
func checkFilename(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return badInput("attachments", "a file has no name")
	case strings.ContainsAny(name, `/\`):
		return badInput("attachments", "file name %q contains a path separator", name)
	case strings.ContainsFunc(name, unicode.IsControl):
		return badInput("attachments", "file name %q contains a control character", name)
	case name == "." || name == "..":
		return badInput("attachments", "file name %q is not a file name", name)
	case len(name) > maxFilenameLength:
		return badInput("attachments", "file name is longer than %d bytes", maxFilenameLength)
	}
	return nil
}

// hasher writes length-prefixed fields, so that no two requests share an
// encoding.
type hasher struct{ b []byte }

func (h *hasher) add(s string) {
	h.b = binary.BigEndian.AppendUint64(h.b, uint64(len(s)))
	h.b = append(h.b, s...)
}

func (h *hasher) sum() string {
	s := sha256.Sum256(h.b)
	return hex.EncodeToString(s[:])
}

// replyHash identifies a reply request. Force and Answers are left out:
// forcing a refused reply, or retrying it after reading what was new (or
// after it was sent, when the ticket's newest message is the reply itself),
// with its key is the same request.
func replyHash(in ReplyInput) string {
	var h hasher
	h.add("reply")
	h.add(in.Text)
	h.add(replyStatus(in.Status))
	h.add(fmt.Sprint(in.CcOthers))
	for _, a := range in.Attachments {
		h.add(a.Filename)
		h.add(a.ContentType)
		h.add(fileHash(a))
	}
	return h.sum()
}

func noteHash(in NoteInput) string {
	var h hasher
	h.add("note")
	h.add(in.Text)
	return h.sum()
}

func fileHash(a mailout.Attachment) string {
	s := sha256.Sum256(a.Data)
	return hex.EncodeToString(s[:])
}

// attachMeta is what the ticket keeps of the files mailed with a reply.
func attachMeta(as []mailout.Attachment) []Attach {
	var out []Attach
	for _, a := range as {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		out = append(out, Attach{Filename: a.Filename, ContentType: ct, Size: int64(len(a.Data)), SHA256: fileHash(a)})
	}
	return out
}
