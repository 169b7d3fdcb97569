package tickets

import (
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/store"
)

// Collection names. Each is owned by this package.
const (
	CollTickets  = "tickets"                // _id: ticket number
	CollMessages = "ticket_messages"        // _id: dedup key (normalised Message-ID, + #fingerprint on reuse, or raw:<sha256>)
	CollNumbers  = "ticket_numbers"         // _id: ticket number; origin: the dedup key that claimed it
	CollSeen     = "ticket_seen"            // _id: dedup key, fp; inserted first, as a cheap "is this new?" probe
	CollDone     = "ticket_message_ids"     // _id: dedup key; ticket, auto_reply: written when every step completed
	CollCounters = "ticket_counters"        // _id: "number"; seq: a hint of the last number claimed
	CollBudget   = "auto_reply_budget"      // _id: address|hour|slot; key: the message that spent it
	CollUnknown  = "unknown_sender_replies" // _id: address|window bucket; key, sent_at
	CollBounces  = "bounces"                // _id: dedup key of the bounce
	// CollQueue is the agents' queue: one document per ticket that is not
	// closed (_id: ticket number), the ticket without its events.
	CollQueue = "ticket_queue"
	// CollDirty holds one marker per ticket being changed (_id: ticket
	// number): inserted before the ticket is written, deleted once the
	// queue document follows it. It is also the per-ticket write lock.
	CollDirty = "ticket_queue_dirty"
)

// Ticket statuses.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Address is a mailbox as stored.
type Address struct {
	Name    string `bson:"name,omitempty" json:"name,omitempty"`
	Address string `bson:"address" json:"address"`
}

// Ticket is one document of the tickets collection.
type Ticket struct {
	// ID is the number in decimal: the embedded store finds string _ids
	// fast and numeric ones by scanning.
	ID         string  `bson:"_id" json:"-"`
	Number     int64   `bson:"number" json:"number"`
	Subject    string  `bson:"subject" json:"subject"`
	Requester  Address `bson:"requester" json:"requester"`
	ClientID   string  `bson:"client_id,omitempty" json:"client_id,omitempty"`
	Unverified bool    `bson:"unverified" json:"unverified"` // opened by an unknown sender
	Department string  `bson:"department" json:"department"`
	Channel    string  `bson:"channel" json:"channel"`
	Mailbox    string  `bson:"mailbox,omitempty" json:"mailbox,omitempty"`
	Status     string  `bson:"status" json:"status"`
	Priority   int     `bson:"priority" json:"priority"`
	Label      string  `bson:"priority_label" json:"priority_label"`
	// SortKey orders the queue ascending: priority descending, then the
	// first message's arrival, then the number (see sortKey).
	SortKey string `bson:"sort_key" json:"-"`
	// Origin is the dedup key of the message that opened the ticket.
	Origin       string    `bson:"origin" json:"origin"`
	FirstArrival time.Time `bson:"first_arrival" json:"first_arrival"`
	CreatedAt    time.Time `bson:"created_at" json:"created_at"`
	ClosedAt     time.Time `bson:"closed_at,omitempty" json:"closed_at,omitzero"`
	ReopenedAt   time.Time `bson:"reopened_at,omitempty" json:"reopened_at,omitzero"`
	// Mentions is the ticket named in the subject tag when the message could
	// not join it (a stranger, or a closed ticket past the reopen window).
	Mentions int64 `bson:"mentions,omitempty" json:"mentions,omitempty"`
	// LinkedFrom is the closed ticket this one continues (a reply after the
	// reopen window).
	LinkedFrom int64 `bson:"linked_from,omitempty" json:"linked_from,omitempty"`

	// The agents' side (work.go). Assignee is the owning agent's primary
	// address ("" unassigned).
	Assignee string `bson:"assignee,omitempty" json:"assignee,omitempty"`
	// ManualLabel is an agent's priority override (high, medium, low),
	// kept until cleared; Priority, Label and SortKey follow it.
	ManualLabel string `bson:"manual_label,omitempty" json:"manual_label,omitempty"`
	// Score is the computed priority, kept to restore it when an override
	// is cleared.
	Score      int       `bson:"score,omitempty" json:"score,omitempty"`
	SolvedAt   time.Time `bson:"solved_at,omitempty" json:"solved_at,omitzero"`
	MergedInto int64     `bson:"merged_into,omitempty" json:"merged_into,omitempty"`
	// LastPublic is the newest message the customer can see (a customer
	// mail or an agent's reply): the collision check compares it with the
	// message an agent says they answered.
	LastPublic *LastPublic `bson:"last_public,omitempty" json:"last_public,omitempty"`
	// Events is the ticket's history, oldest first.
	Events []Event `bson:"events,omitempty" json:"events,omitempty"`
	// MessageKeys are the keys of the messages filed on this ticket
	// (customer mail, replies, notes), so its thread is read by _id;
	// Keyed says the list is complete (tickets opened before it existed
	// are read by a filtered query instead).
	MessageKeys []string `bson:"message_keys,omitempty" json:"-"`
	Keyed       bool     `bson:"keyed,omitempty" json:"-"`
	// Service levels (sla.go): when the first response and the resolution
	// are due (zero: no target, or resolution while the ticket waits),
	// when the first agent reply went out, the stretches spent waiting
	// (pending, solved; they do not count toward resolution) and the
	// targets whose breach is recorded. Overdue is computed on read
	// (Queue, Get), never stored.
	FirstResponseDue time.Time      `bson:"first_response_due,omitempty" json:"first_response_due,omitzero"`
	ResolutionDue    time.Time      `bson:"resolution_due,omitempty" json:"resolution_due,omitzero"`
	FirstResponseAt  time.Time      `bson:"first_response_at,omitempty" json:"first_response_at,omitzero"`
	Waiting          []WaitInterval `bson:"waiting,omitempty" json:"waiting,omitempty"`
	SLABreached      []string       `bson:"sla_breached,omitempty" json:"sla_breached,omitempty"`
	Overdue          bool           `bson:"-" json:"overdue,omitempty"`
	// Version counts changes made by agents (optimistic concurrency).
	Version   int64     `bson:"version,omitempty" json:"version,omitempty"`
	UpdatedAt time.Time `bson:"updated_at,omitempty" json:"updated_at,omitzero"`
}

// LastPublic names the newest customer-visible message on a ticket.
type LastPublic struct {
	Key   string    `bson:"key" json:"key"`
	At    time.Time `bson:"at" json:"at"`
	Agent string    `bson:"agent,omitempty" json:"agent,omitempty"` // "" for the customer
}

// Message is one document of the ticket_messages collection: one per
// distinct incoming mail, whatever became of it.
type Message struct {
	Key         string    `bson:"_id" json:"key"`
	Ticket      int64     `bson:"ticket" json:"ticket"` // 0: no ticket (rejected sender)
	Disposition string    `bson:"disposition" json:"disposition"`
	MessageID   string    `bson:"message_id,omitempty" json:"message_id,omitempty"`
	InReplyTo   string    `bson:"in_reply_to,omitempty" json:"in_reply_to,omitempty"`
	References  []string  `bson:"references,omitempty" json:"references,omitempty"`
	From        Address   `bson:"from" json:"from"`
	To          []Address `bson:"to,omitempty" json:"to,omitempty"`
	Cc          []Address `bson:"cc,omitempty" json:"cc,omitempty"`
	Subject     string    `bson:"subject" json:"subject"`
	Date        time.Time `bson:"date,omitempty" json:"date,omitzero"`
	Kind        string    `bson:"kind" json:"kind"`
	KindReason  string    `bson:"kind_reason,omitempty" json:"kind_reason,omitempty"`
	Text        string    `bson:"text" json:"text"`
	Quoted      string    `bson:"quoted,omitempty" json:"quoted,omitempty"`
	HTML        string    `bson:"html,omitempty" json:"-"`
	Attachments []Attach  `bson:"attachments,omitempty" json:"attachments,omitempty"`
	Warnings    []string  `bson:"warnings,omitempty" json:"warnings,omitempty"`
	Mailbox     string    `bson:"mailbox" json:"mailbox"`
	RawRef      string    `bson:"raw_ref" json:"raw_ref"`
	ArrivedAt   time.Time `bson:"arrived_at" json:"arrived_at"`
	StoredAt    time.Time `bson:"stored_at" json:"stored_at"`
	Registered  bool      `bson:"registered" json:"registered"`
	ClientID    string    `bson:"client_id,omitempty" json:"client_id,omitempty"`
	// Auth is the sender verdict read from the trusted server's
	// Authentication-Results (parse.AuthPass, AuthFail, AuthNone); "" when
	// no server is trusted. A fail makes the sender unverified (see Ingest).
	Auth string `bson:"auth,omitempty" json:"auth,omitempty"`
	// Thread says why the message went where it went; Notes add what an
	// agent should know ("mentions ticket #N", "forged reference refused").
	Thread string   `bson:"thread" json:"thread"`
	Notes  []string `bson:"notes,omitempty" json:"notes,omitempty"`
	// Opened: this message opened its ticket; Seed is then the ticket as
	// first written, so a retry after a crash can create it from here.
	Opened bool    `bson:"opened,omitempty" json:"opened,omitempty"`
	Seed   *Ticket `bson:"seed,omitempty" json:"-"`
	// Oversize: the intake dropped this message's attachments.
	Oversize *Oversize `bson:"oversize,omitempty" json:"oversize,omitempty"`
	// Reopens: this message reopens its (closed) ticket.
	Reopens bool `bson:"reopens,omitempty" json:"reopens,omitempty"`
	// Fingerprint is parse.Fingerprint of the mail ("" when the key is
	// the raw hash): it tells a copy of this mail from another mail that
	// reuses its Message-ID.
	Fingerprint string `bson:"fingerprint,omitempty" json:"-"`
	// Lang is the language automatic replies to this message use: the
	// client's for a registered sender, else parse.GuessLang of the mail.
	Lang string `bson:"lang,omitempty" json:"lang,omitempty"`

	// The agents' side (work.go): Direction is DirIn (""), DirReply or
	// DirNote; Agent wrote a reply or note.
	Direction string `bson:"direction,omitempty" json:"direction,omitempty"`
	Agent     string `bson:"agent,omitempty" json:"agent,omitempty"`
	AgentName string `bson:"agent_name,omitempty" json:"agent_name,omitempty"`
	// Answers is the key of the message a reply answered.
	Answers string `bson:"answers,omitempty" json:"answers,omitempty"`
	// OutboxID is the outbox entry that mails a reply.
	OutboxID string `bson:"outbox_id,omitempty" json:"outbox_id,omitempty"`
	// RequestHash identifies the request behind an idempotency key, so a
	// key reused for another request is refused.
	RequestHash string `bson:"request_hash,omitempty" json:"-"`
	// State of a reply: "pending" until it is on the ticket and in the
	// outbox, then "sent" ("refused" when its collision check failed).
	State string `bson:"state,omitempty" json:"state,omitempty"`
}

// Attach is an attachment's metadata (the bytes stay with the raw message).
type Attach struct {
	Filename    string `bson:"filename" json:"filename"`
	ContentType string `bson:"content_type" json:"content_type"`
	Size        int64  `bson:"size" json:"size"`
	SHA256      string `bson:"sha256" json:"sha256"`
	// Inline is stored as "is_inline": the driver reads a tag name of
	// "inline" as its inline option, which made every message with an
	// attachment fail to marshal. No document with the old name exists
	// (none could be written), so there is nothing older to read.
	Inline bool `bson:"is_inline" json:"inline"`
}

// Message dispositions.
const (
	DispTicket   = "ticket"   // on a ticket (opened or appended)
	DispRejected = "rejected" // unknown sender under policy reject
)

type colls struct {
	tickets, messages, seen, done, numbers, counters, budget, unknown, bounces *mongo.Collection
	queue, dirty                                                               *mongo.Collection
}

func newColls(db *mongo.Database) colls {
	return colls{
		tickets:  db.Collection(CollTickets),
		messages: db.Collection(CollMessages),
		numbers:  db.Collection(CollNumbers),
		done:     db.Collection(CollDone),
		seen:     db.Collection(CollSeen),
		counters: db.Collection(CollCounters),
		budget:   db.Collection(CollBudget),
		unknown:  db.Collection(CollUnknown),
		bounces:  db.Collection(CollBounces),
		queue:    db.Collection(CollQueue),
		dirty:    db.Collection(CollDirty),
	}
}

// Indexes are the secondary indexes this package relies on. Every hot path
// (dedup, threading by Message-ID, numbering, budgets) is an _id lookup; these
// serve the queue listing and a ticket's thread.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: CollTickets, Model: mongo.IndexModel{
			Keys: bson.D{{Key: "status", Value: 1}, {Key: "sort_key", Value: 1}}}},
		{Collection: CollTickets, Model: mongo.IndexModel{
			Keys: bson.D{{Key: "sort_key", Value: 1}}}},
		{Collection: CollTickets, Model: mongo.IndexModel{
			Keys:    bson.D{{Key: "number", Value: 1}},
			Options: options.Index().SetUnique(true)}},
		{Collection: CollTickets, Model: mongo.IndexModel{
			Keys:    bson.D{{Key: "origin", Value: 1}},
			Options: options.Index().SetUnique(true)}},
		{Collection: CollMessages, Model: mongo.IndexModel{
			Keys: bson.D{{Key: "ticket", Value: 1}, {Key: "arrived_at", Value: 1}}}},
		{Collection: CollBounces, Model: mongo.IndexModel{
			Keys: bson.D{{Key: "matched", Value: 1}, {Key: "received_at", Value: 1}}}},
		{Collection: CollQueue, Model: mongo.IndexModel{
			Keys: bson.D{{Key: "sort_key", Value: 1}}}},
		{Collection: CollQueue, Model: mongo.IndexModel{
			Keys: bson.D{{Key: "department", Value: 1}, {Key: "sort_key", Value: 1}}}},
	}
}
