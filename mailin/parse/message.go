package parse

import (
	"io"
	"time"
)

// LoopHeader is the header Turno puts on every message it sends. Mail
// carrying it is Turno's own and never a customer message.
const LoopHeader = "X-Turno-Loop"

// Kind is the class of a message, decided from its headers and structure.
type Kind string

const (
	KindNormal    Kind = "normal"
	KindAutoReply Kind = "auto_reply"
	KindBounce    Kind = "bounce"
	KindBulk      Kind = "bulk"
)

// Options tunes Parse. The zero value (or nil) is ready to use.
type Options struct {
	// Attachment, if set, is called once per attachment with its metadata
	// and its decoded content, which it may read in part or in full; Parse
	// drains the rest. Size and SHA256 are not yet known during the call;
	// they are filled in on the Attachment stored in Message.Attachments.
	// A read error of the underlying message shows as io.EOF here (and as
	// a warning or Parse's error), so an error returned by Attachment is
	// always its own; Parse stops and returns it wrapped.
	// nil: content is hashed and counted, then discarded.
	Attachment func(a *Attachment, content io.Reader) error
	// OwnAddresses are Turno's own addresses (case-insensitive); mail
	// From one of them is flagged Own.
	OwnAddresses []string
}

// Address is a decoded mailbox.
type Address struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// Message is what Parse recovers from one RFC 5322 message.
type Message struct {
	MessageID  string // normalised: no angle brackets, trimmed; "" if absent
	Subject    string // decoded
	From       *Address
	ReplyTo    *Address
	To, Cc     []Address
	Date       *time.Time
	InReplyTo  string   // normalised, "" if absent
	References []string // normalised, oldest first
	TicketRef  string   // number in the [Ticket #N] subject tag, "" if none
	Kind       Kind
	KindReason string // the header or structure that decided Kind, "" for normal
	// Own: carries LoopHeader or is From one of Options.OwnAddresses.
	Own         bool
	Text        string // ticket text: UTF-8, quoted history removed
	Quoted      string // the removed history (and signature)
	HTML        string // sanitised HTML copy, "" if no HTML part
	Attachments []Attachment
	Bounce      *Bounce // non-nil when Kind is bounce
	Warnings    []string
	// AuthResults are the first Authentication-Results fields of the
	// header, whoever wrote them (malformed ones dropped); only those of
	// a trusted authserv-id mean anything (see Authenticate).
	AuthResults []AuthResults
	// Auth is the sender verdict, set by the caller from Authenticate
	// (Parse does not know which server to trust); nil: not judged.
	Auth *Auth
}

// Attachment describes one attachment or forwarded message.
type Attachment struct {
	Filename    string
	ContentType string // lower case, without parameters
	Size        int64  // decoded bytes
	SHA256      string // hex of the decoded content
	Inline      bool   // has a Content-ID or an inline disposition
	ContentID   string // without angle brackets
}

// Bounce is what a delivery failure report says.
type Bounce struct {
	Recipients        []BounceRecipient
	Status            string // the worst status code, e.g. "5.1.1"
	OriginalMessageID string // normalised Message-ID of the bounced message
	// Addressed are the addresses the report was delivered or addressed
	// to (Delivered-To, X-Original-To, Envelope-To, To) and the
	// subaddressed ones ("local+detail@domain") it quotes in its
	// delivery-status or text parts: where the envelope sender of the
	// bounced message shows up (mailout's VERP). At most 16.
	Addressed []string
}

// BounceRecipient is one failed (or delayed) recipient.
type BounceRecipient struct {
	Address    string
	Status     string
	Action     string
	Diagnostic string
}
