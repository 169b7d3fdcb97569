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
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Coll is the collection this package owns.
const Coll = "saved_replies"

// MaxText is the longest text of one language, in bytes.
const MaxText = 64 << 10

// ErrNotFound: no saved reply by that name.
var ErrNotFound = errors.New("no such saved reply")

// InputError is bad input: nothing changed.
type InputError struct{ Field, Msg string }

func (e *InputError) Error() string { return e.Field + ": " + e.Msg }

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

var nameRE = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// NormName is a saved reply's name as stored: trimmed, lower case. It
// refuses a name that is not 1 to 64 of a-z, 0-9, - and _.
func NormName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if !nameRE.MatchString(n) {
		return "", &InputError{Field: "name", Msg: fmt.Sprintf("%q is not a reply name: 1 to 64 of a-z, 0-9, - and _", name)}
	}
	return n, nil
}

func checkText(field, s string, required bool) (string, error) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimRight(s, " \t\n")
	if s == "" {
		if required {
			return "", &InputError{Field: field, Msg: "the text is required"}
		}
		return "", nil
	}
	if len(s) > MaxText {
		return "", &InputError{Field: field, Msg: fmt.Sprintf("is longer than %d bytes", MaxText)}
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
		return "", &InputError{Field: field, Msg: "must not contain control characters other than new lines and tabs"}
	}
	return s, nil
}

// Put adds or replaces a saved reply (name and es required). Replacing
// keeps its created time; an empty EN removes the English text.
func (s *Store) Put(ctx context.Context, r Saved) (*Saved, error) {
	var err error
	if r.Name, err = NormName(r.Name); err != nil {
		return nil, err
	}
	if r.ES, err = checkText("es", r.ES, true); err != nil {
		return nil, err
	}
	if r.EN, err = checkText("en", r.EN, false); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	set := bson.D{{Key: "es", Value: r.ES}, {Key: "updated_at", Value: now}}
	update := bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "created_at", Value: now}}}}
	if r.EN != "" {
		set = append(set, bson.E{Key: "en", Value: r.EN})
	} else {
		update = append(update, bson.E{Key: "$unset", Value: bson.D{{Key: "en", Value: ""}}})
	}
	update = append(update, bson.E{Key: "$set", Value: set})
	var out Saved
	err = s.db.Collection(Coll).FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: r.Name}}, update,
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&out)
	if err != nil {
		return nil, fmt.Errorf("save reply %s: %w", r.Name, err)
	}
	return &out, nil
}

// Get returns the saved reply by name.
func (s *Store) Get(ctx context.Context, name string) (*Saved, error) {
	n, err := NormName(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	var r Saved
	err = s.db.Collection(Coll).FindOne(ctx, bson.D{{Key: "_id", Value: n}}).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, n)
	}
	if err != nil {
		return nil, fmt.Errorf("read reply %s: %w", n, err)
	}
	return &r, nil
}

// List returns every saved reply by name.
func (s *Store) List(ctx context.Context) ([]Saved, error) {
	cur, err := s.db.Collection(Coll).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list replies: %w", err)
	}
	var out []Saved
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list replies: %w", err)
	}
	slices.SortFunc(out, func(a, b Saved) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Remove deletes a saved reply.
func (s *Store) Remove(ctx context.Context, name string) error {
	n, err := NormName(name)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	res, err := s.db.Collection(Coll).DeleteOne(ctx, bson.D{{Key: "_id", Value: n}})
	if err != nil {
		return fmt.Errorf("remove reply %s: %w", n, err)
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, n)
	}
	return nil
}

// Text is r's text in lang (es when there is no English text), with the
// placeholders filled. Every known placeholder is replaced, by an empty
// string when its value is unknown (a zero ticket number included);
// anything else in braces is left as written. Values are not expanded
// again: a requester named "{agent_name}" stays so.
func (r Saved) Text(lang string, v Vars) string {
	text := r.ES
	if lang == "en" && r.EN != "" {
		text = r.EN
	}
	num := ""
	if v.TicketNumber > 0 {
		num = strconv.FormatInt(v.TicketNumber, 10)
	}
	return strings.NewReplacer(
		"{requester_name}", v.RequesterName,
		"{ticket_number}", num,
		"{agent_name}", v.AgentName,
	).Replace(text)
}
