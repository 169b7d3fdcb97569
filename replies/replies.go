// Package replies owns saved replies: named answers in Spanish and English
// with placeholders, that agents insert into a reply.
//
// # Collections
//
//   - saved_replies: _id is the reply's name (lower case); es and en
//     texts, created and updated.
package replies

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Coll is the collection this package owns.
const Coll = "saved_replies"

var errTodo = errors.New("not built yet")

// ErrNotFound: no saved reply by that name.
var ErrNotFound = errors.New("no such saved reply")

// Saved is one saved reply.
type Saved struct {
	Name      string    `bson:"_id" json:"name"`
	ES        string    `bson:"es" json:"es"`
	EN        string    `bson:"en,omitempty" json:"en,omitempty"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
}

// Vars fill the placeholders {requester_name}, {ticket_number} and
// {agent_name}.
type Vars struct {
	RequesterName string
	TicketNumber  int64
	AgentName     string
}

// Store keeps saved replies.
type Store struct{ db *mongo.Database }

// New returns a Store on db.
func New(db *mongo.Database) *Store { return &Store{db: db} }

// Put adds or replaces a saved reply (name and es required).
func (s *Store) Put(ctx context.Context, r Saved) (*Saved, error) { return nil, errTodo }

// Get returns the saved reply by name.
func (s *Store) Get(ctx context.Context, name string) (*Saved, error) { return nil, errTodo }

// List returns every saved reply by name.
func (s *Store) List(ctx context.Context) ([]Saved, error) { return nil, errTodo }

// Remove deletes a saved reply.
func (s *Store) Remove(ctx context.Context, name string) error { return errTodo }

// Text is r's text in lang (es when there is no English text), with the
// placeholders filled.
func (r Saved) Text(lang string, v Vars) string { return "" }
