package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"turno/mailout"
)

// The agent-facing side of the package: what agents do to tickets (the
// lifecycle, assignment, replies and notes), scoped to the acting agent.
// The API, the CLI, the console and reply-by-email are thin layers over
// these methods; every rule (scope, collision, idempotency) is kept here.

// Ticket statuses beyond open and closed (see model.go).
const (
	StatusNew     = "new"     // no agent reply yet
	StatusPending = "pending" // waiting on the customer
	StatusSolved  = "solved"  // closed automatically after Options.CloseAfter
)

// Statuses lists every status in lifecycle order.
var Statuses = []string{StatusNew, StatusOpen, StatusPending, StatusSolved, StatusClosed}

// Message directions (Message.Direction). Customer mail has "" (in).
const (
	DirIn    = ""      // a mail that reached a watched mailbox
	DirReply = "reply" // an agent's answer, mailed through the outbox
	DirNote  = "note"  // an internal note, never mailed
)

// Actor is who acts: an agent as the agents package knows them. Every
// agent-facing method is scoped by it: a ticket outside the actor's
// departments is ErrNotFound, as if it did not exist.
type Actor struct {
	Email       string // primary address, lower case
	Name        string
	Admin       bool // sees every department
	Departments []string
	Lang        string // es or en
	Signature   string
}

// Sees reports whether the actor may see tickets of department.
func (a Actor) Sees(department string) bool {
	return a.Admin || slices.Contains(a.Departments, department)
}

// Agents tells the tickets package about agents (for assignment and
// mentions). The agents package satisfies it.
type Agents interface {
	// Actor returns the active agent with that primary or alternate
	// address; ErrNoAgent when there is none or it is deactivated.
	Actor(ctx context.Context, email string) (Actor, error)
}

// ErrNoAgent: no active agent has that address.
var ErrNoAgent = errors.New("no active agent with that address")

// Linker registers an address as a contact of a client (the clients
// registry, audited as done by `by`).
type Linker interface {
	LinkContact(ctx context.Context, clientID, address, name, by string) error
}

// Event is one change on a ticket: who, when, what, from → to.
type Event struct {
	At   time.Time `bson:"at" json:"at"`
	By   string    `bson:"by" json:"by"`     // agent address, "customer" or "system"
	Type string    `bson:"type" json:"type"` // created, message, status, assign, priority, department, merged, merged_from, link, reply, note, reopened, sla_breach
	From string    `bson:"from,omitempty" json:"from,omitempty"`
	To   string    `bson:"to,omitempty" json:"to,omitempty"`
	Note string    `bson:"note,omitempty" json:"note,omitempty"`
	// Key is the message the event is about (created, message, reply,
	// note): its ticket_messages _id.
	Key string `bson:"key,omitempty" json:"key,omitempty"`
}

// InputError is bad input from an agent: nothing changed. Field names the
// offending input ("" when it is the request as a whole).
type InputError struct {
	Field, Msg string
}

func (e *InputError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Msg)
}

func badInput(field, format string, args ...any) error {
	return &InputError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// ConflictError is the collision check's refusal: since the message the
// agent answered, Newer arrived (customer messages or other agents'
// replies, oldest first). Nothing was sent; retry with Force or after
// reading them.
type ConflictError struct {
	Ticket int64
	Newer  []Message
}

func (e *ConflictError) Error() string {
	if len(e.Newer) == 0 {
		return fmt.Sprintf("ticket %d changed since the message you answered", e.Ticket)
	}
	n := e.Newer[len(e.Newer)-1]
	who := n.From.Address
	if n.Agent != "" {
		who = n.Agent
	}
	return fmt.Sprintf("ticket %d: %d newer message(s) since the one you answered, the latest from %s at %s (%s): read it first, or force",
		e.Ticket, len(e.Newer), who, n.ArrivedAt.UTC().Format(time.RFC3339), n.Key)
}

// ErrKeyReused: an idempotency key was used before for a different request.
var ErrKeyReused = errors.New("idempotency key already used for a different request")

// QueueFilter narrows the agents' queue. Empty fields match everything.
type QueueFilter struct {
	// Status: one status, "" for every status but closed (the queue),
	// "all" for every ticket including closed ones.
	Status     string
	Department string
	// Assignee: an agent's address, "none" for unassigned, "" for any.
	Assignee  string
	Label     string // high, medium, low
	Requester string // the requester's address (any case)
	Text      string // a substring of the subject, any case
	// Overdue: only tickets past a due time not met (sla.go; refused
	// when no service-level policy is configured).
	Overdue bool
	// Cursor continues a previous page (Page.Next); Limit is the page size
	// (default 50, at most 500).
	Cursor string
	Limit  int
}

// Page is one page of the queue.
type Page struct {
	Tickets []Ticket `json:"tickets"`
	Next    string   `json:"next,omitempty"` // "" on the last page
}

// Thread is a ticket with its messages (customer mail, replies and notes,
// oldest first); the ticket carries its events.
type Thread struct {
	Ticket   Ticket    `json:"ticket"`
	Messages []Message `json:"messages"`
}

// ReplyInput is an agent's answer.
type ReplyInput struct {
	// Key is the idempotency key (required): the same actor and key never
	// send twice; the same key with another request is ErrKeyReused.
	Key string
	// Answers is the key of the newest message the agent saw (required
	// unless Force): the collision check compares it with what arrived.
	Answers string
	Text    string // the answer, plain text (required)
	// CcOthers copies the answered message's other recipients.
	CcOthers bool
	// Attachments are mailed with the reply (metadata kept on the ticket).
	Attachments []mailout.Attachment
	// Status after the reply: open (default) or pending or solved.
	Status string
	// Force sends even if newer messages arrived.
	Force bool
}

// NoteInput is an internal note.
type NoteInput struct {
	Key  string // idempotency key (required)
	Text string // required
}

// ReplyResult is what Reply did.
type ReplyResult struct {
	Message Message `json:"message"`
	Ticket  Ticket  `json:"ticket"`
	// Replayed: the key was seen before; this is the first call's result
	// and nothing was sent again.
	Replayed bool `json:"replayed"`
}

// MessageIDKey is the HMAC key of Turno's ticket Message-IDs (for tests and
// tools that check one).
func (s *Service) MessageIDKey() []byte { return s.opts.MessageIDKey }
