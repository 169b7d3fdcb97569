package mailout

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/store"
)

// Collections owned by mailout.
const (
	OutboxCollection       = "outbox"
	ReadyCollection        = "outbox_ready"
	ClaimsCollection       = "outbox_claims"
	SuppressionsCollection = "suppressions"
	SettingsCollection     = "settings"
)

// State is where an outbox entry is in its life.
type State string

// The states. queued and retry wait for their next_attempt_at; sending is
// held under a lease that expires; sent, failed, suppressed and cancelled
// are final.
const (
	StateQueued     State = "queued"
	StateSending    State = "sending"
	StateRetry      State = "retry"
	StateSent       State = "sent"
	StateFailed     State = "failed"
	StateSuppressed State = "suppressed"
	StateCancelled  State = "cancelled"
)

// Final reports whether nothing more will happen to an entry in state s.
func (s State) Final() bool {
	switch s {
	case StateSent, StateFailed, StateSuppressed, StateCancelled:
		return true
	}
	return false
}

// Recipient states inside an entry.
const (
	RcptPending    = "pending"
	RcptSent       = "sent"
	RcptFailed     = "failed"
	RcptSuppressed = "suppressed"
)

// Entry is one outbox document, as an operator sees it.
type Entry struct {
	ID            string             `bson:"_id" json:"id"`
	Key           string             `bson:"key" json:"key"`
	State         State              `bson:"state" json:"state"`
	Priority      int                `bson:"priority" json:"priority"`
	Template      string             `bson:"template" json:"template"`
	Lang          string             `bson:"lang" json:"lang"`
	Data          string             `bson:"data,omitempty" json:"data,omitempty"` // template data as JSON
	To            []string           `bson:"to" json:"to"`
	Cc            []string           `bson:"cc,omitempty" json:"cc,omitempty"`
	ReplyTo       string             `bson:"reply_to,omitempty" json:"reply_to,omitempty"`
	Ticket        int64              `bson:"ticket,omitempty" json:"ticket,omitempty"`
	InReplyTo     string             `bson:"in_reply_to,omitempty" json:"in_reply_to,omitempty"`
	References    []string           `bson:"references,omitempty" json:"references,omitempty"`
	Attachments   []StoredAttachment `bson:"attachments,omitempty" json:"attachments,omitempty"`
	Sensitive     bool               `bson:"sensitive,omitempty" json:"sensitive,omitempty"`
	Purged        bool               `bson:"purged,omitempty" json:"purged,omitempty"`
	AutoSubmitted string             `bson:"auto_submitted,omitempty" json:"auto_submitted,omitempty"`
	ClientID      string             `bson:"client_id,omitempty" json:"client_id,omitempty"`
	Kind          string             `bson:"kind,omitempty" json:"kind,omitempty"`
	MessageID     string             `bson:"message_id" json:"message_id"`
	// FromName and FromAddress override the configured From header of
	// this entry ("" = mail.from_name / mail.from_address).
	FromName    string      `bson:"from_name,omitempty" json:"from_name,omitempty"`
	FromAddress string      `bson:"from_address,omitempty" json:"from_address,omitempty"`
	Recipients  []Recipient `bson:"recipients" json:"recipients"`

	CreatedAt     time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt     time.Time `bson:"updated_at" json:"updated_at"`
	Attempts      int       `bson:"attempts" json:"attempts"`
	NextAttemptAt time.Time `bson:"next_attempt_at" json:"next_attempt_at"`
	LeaseOwner    string    `bson:"lease_owner,omitempty" json:"lease_owner,omitempty"`
	LeaseUntil    time.Time `bson:"lease_until,omitempty" json:"lease_until,omitzero"`
	LastError     string    `bson:"last_error,omitempty" json:"last_error,omitempty"`
	Relay         string    `bson:"relay,omitempty" json:"relay,omitempty"`
	SentAt        time.Time `bson:"sent_at,omitempty" json:"sent_at,omitzero"`
	// Ambiguous counts attempts that sent the whole body and got no reply:
	// each may have delivered the message (doc.go, the duplicate-send
	// windows), so a retry after one may have sent it twice.
	Ambiguous int `bson:"ambiguous,omitempty" json:"ambiguous,omitempty"`
}

// Recipient is one envelope recipient and what became of it.
type Recipient struct {
	Address string `bson:"address" json:"address"`
	State   string `bson:"state" json:"state"`
	Reply   string `bson:"reply,omitempty" json:"reply,omitempty"` // the SMTP reply that decided it
}

// StoredAttachment is an attachment as kept in the entry.
type StoredAttachment struct {
	Filename    string `bson:"filename" json:"filename"`
	ContentType string `bson:"content_type" json:"content_type"`
	Data        []byte `bson:"data,omitempty" json:"-"`
	Size        int    `bson:"size" json:"size"`
}

// readyDoc marks an entry that may need work. It is tiny, so a scan of the
// ready set costs what the backlog costs, never what the history costs.
type readyDoc struct {
	ID        string    `bson:"_id"`
	Priority  int       `bson:"priority"`
	Due       time.Time `bson:"due"`
	CreatedAt time.Time `bson:"created_at"`
	// State is the entry's state as its last writer left it (queued,
	// retry, sending): the depth gauge counts markers, not entries
	// (refreshDepth). "" on markers written before it: counted as queued.
	State State `bson:"state,omitempty"`
}

// maxIDLen is the longest idempotency key used verbatim as _id.
const maxIDLen = 200

// EntryID is the _id of the entry for an idempotency key: the key itself,
// or "sha256:<hex>" of it when longer than 200 bytes.
func EntryID(key string) string {
	if len(key) <= maxIDLen {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Indexes are the secondary indexes mailout relies on: operators list the
// outbox by state and age (turno outbox list), and the scan reads the ready
// set by due time. On a real MongoDB these make those reads cheap; on the
// embedded store they are harmless.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: OutboxCollection, Model: mongo.IndexModel{
			Keys:    bson.D{{Key: "state", Value: 1}, {Key: "created_at", Value: 1}},
			Options: options.Index().SetName("state_created"),
		}},
		{Collection: ReadyCollection, Model: mongo.IndexModel{
			Keys:    bson.D{{Key: "due", Value: 1}},
			Options: options.Index().SetName("due"),
		}},
	}
}
