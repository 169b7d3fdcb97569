package agents

import (
	"errors"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clock"
	"turno/tickets"
)

// Collection names, owned by this package.
const (
	CollAgents    = "agents"
	CollAddresses = "agent_addresses"
	CollTokens    = "api_tokens"
)

// Roles.
const (
	RoleAgent = "agent"
	RoleAdmin = "admin"
)

// Token scopes.
const (
	ScopeAgent   = "agent"   // acts as an agent on /api/v1
	ScopeGateway = "gateway" // may only record payments
)

// Errors.
var (
	ErrNotFound = errors.New("no such agent")
	ErrExists   = errors.New("an agent already has that address")
	// ErrBadToken: unknown, revoked, or its agent is deactivated.
	ErrBadToken = errors.New("invalid or revoked token")
)

// InputError is bad input: nothing changed.
type InputError struct{ Field, Msg string }

func (e *InputError) Error() string { return e.Field + ": " + e.Msg }

// Agent is one document of the agents collection.
type Agent struct {
	Email       string   `bson:"_id" json:"email"`
	Name        string   `bson:"name" json:"name"`
	Role        string   `bson:"role" json:"role"`
	Departments []string `bson:"departments,omitempty" json:"departments"`
	Addresses   []string `bson:"addresses,omitempty" json:"addresses,omitempty"` // alternates
	Active      bool     `bson:"active" json:"active"`
	Lang        string   `bson:"lang,omitempty" json:"lang,omitempty"` // es (default) or en
	Signature   string   `bson:"signature,omitempty" json:"signature,omitempty"`
	// Notify lists the notification mails the agent wants (NotifyKinds);
	// nil means the defaults (all of them), ["none"] none at all.
	Notify    []string  `bson:"notify,omitempty" json:"notify,omitempty"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
}

// Actor is the agent as package tickets scopes its work.
func (a Agent) Actor() tickets.Actor {
	return tickets.Actor{Email: a.Email, Name: a.Name, Admin: a.Role == RoleAdmin,
		Departments: a.Departments, Lang: a.Lang, Signature: a.Signature}
}

// Edit changes an agent; nil fields are left alone.
type Edit struct {
	Name        *string
	Role        *string
	Departments *[]string
	Addresses   *[]string
	Lang        *string
	Signature   *string
	// Notify replaces the notification preferences; a nil slice restores
	// the defaults.
	Notify *[]string
}

// Token is an API token as listed (never the token itself).
type Token struct {
	ID        string    `bson:"_id" json:"id"` // SHA-256 hex of the token; list shows a prefix
	Agent     string    `bson:"agent,omitempty" json:"agent,omitempty"`
	Client    string    `bson:"client,omitempty" json:"client,omitempty"` // the client a portal token acts for
	Scope     string    `bson:"scope" json:"scope"`
	Label     string    `bson:"label,omitempty" json:"label,omitempty"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	LastUsed  time.Time `bson:"last_used,omitempty" json:"last_used,omitzero"`
	Revoked   time.Time `bson:"revoked,omitempty" json:"revoked,omitzero"`
}

// Options configure a Service.
type Options struct {
	DB *mongo.Database // required
	// Departments are the known department names; empty accepts any.
	Departments []string
	Clock       clock.Clock
	Logger      *slog.Logger
}

// Service manages agents and tokens. It holds no state besides its
// options; several processes may share one database.
type Service struct {
	opts Options
}
