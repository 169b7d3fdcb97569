package agents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clock"
	"turno/tickets"
)

// New checks the options. It writes nothing.
func New(opts Options) (*Service, error) {
	if opts.DB == nil {
		return nil, errors.New("agents: Options.DB is required")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var known []string
	for _, d := range opts.Departments {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		if !deptToken.MatchString(d) {
			// Tickets carry the name as configured; an agent's departments
			// are lower-case tokens, so no agent can be given this one.
			opts.Logger.Warn("agents: a configured department is not a lower-case name (letters, digits, - and _): no agent can be given it",
				"department", d)
		}
		known = append(known, d)
	}
	slices.Sort(known)
	opts.Departments = slices.Compact(known)
	return &Service{opts: opts}, nil
}

func (s *Service) log() *slog.Logger { return s.opts.Logger }

// now is the clock's time to the millisecond, as the store keeps it.
func (s *Service) now() time.Time { return s.opts.Clock.Now().UTC().Truncate(time.Millisecond) }

// Add creates an agent (Email, Name required; Role default agent; Active).
func (s *Service) Add(ctx context.Context, a Agent) (*Agent, error) {
	a, err := normalize(a, s.opts.Departments)
	if err != nil {
		return nil, err
	}
	a.Active = true
	a.CreatedAt = s.now()
	a.UpdatedAt = a.CreatedAt
	nonce := newNonce()
	if err := s.claim(ctx, a.Email, nonce, a.all()); err != nil {
		return nil, err
	}
	if _, err := s.opts.DB.Collection(CollAgents).InsertOne(ctx, a); err != nil {
		s.release(ctx, nonce, a.all())
		if mongo.IsDuplicateKeyError(err) {
			return nil, fmt.Errorf("%w: %s", ErrExists, a.Email)
		}
		return nil, fmt.Errorf("add agent %s: %w", a.Email, err)
	}
	s.log().Info("agents: added", "agent", a.Email, "role", a.Role)
	return &a, nil
}

// byPrimary reads the agent document whose _id is primary.
func (s *Service) byPrimary(ctx context.Context, primary string) (*Agent, error) {
	var a Agent
	err := s.opts.DB.Collection(CollAgents).FindOne(ctx, bson.D{{Key: "_id", Value: primary}}).Decode(&a)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read agent %s: %w", primary, err)
	}
	return &a, nil
}

// Get finds an agent by primary or alternate address (any case).
func (s *Service) Get(ctx context.Context, email string) (*Agent, error) {
	addr := strings.ToLower(strings.TrimSpace(email))
	if addr == "" {
		return nil, ErrNotFound
	}
	var c addressClaim
	err := s.opts.DB.Collection(CollAddresses).FindOne(ctx, bson.D{{Key: "_id", Value: addr}}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, addr)
	}
	if err != nil {
		return nil, fmt.Errorf("read agent address %s: %w", addr, err)
	}
	a, err := s.byPrimary(ctx, c.Agent)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, addr)
		}
		return nil, err
	}
	if !a.has(addr) { // a claim being made or left behind, not an address of theirs
		return nil, fmt.Errorf("%w: %s", ErrNotFound, addr)
	}
	return a, nil
}

// List returns every agent, by address.
func (s *Service) List(ctx context.Context) ([]Agent, error) {
	cur, err := s.opts.DB.Collection(CollAgents).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	var out []Agent
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	slices.SortFunc(out, func(a, b Agent) int { return strings.Compare(a.Email, b.Email) })
	return out, nil
}

// Update applies e to the agent with that address.
//
// New alternate addresses are claimed before the agent document changes
// and removed ones released after, so an address is never without its
// claim while an agent lists it.
func (s *Service) Update(ctx context.Context, email string, e Edit) (*Agent, error) {
	old, err := s.Get(ctx, email)
	if err != nil {
		return nil, err
	}
	a := *old
	if e.Name != nil {
		a.Name = *e.Name
	}
	if e.Role != nil {
		a.Role = *e.Role
		if a.Role == "" {
			return nil, badInput("role", "must not be empty (agent or admin)")
		}
	}
	if e.Departments != nil {
		a.Departments = slices.Clone(*e.Departments)
	}
	if e.Addresses != nil {
		a.Addresses = slices.Clone(*e.Addresses)
	}
	if e.Lang != nil {
		a.Lang = *e.Lang
		if a.Lang == "" {
			return nil, badInput("lang", "must not be empty (es or en)")
		}
	}
	if e.Signature != nil {
		a.Signature = *e.Signature
	}
	if e.Notify != nil {
		a.Notify = slices.Clone(*e.Notify)
	}
	// Departments the configuration no longer names stay valid on an agent
	// that already had them; new ones must be known.
	known := s.opts.Departments
	if len(known) > 0 {
		known = append(slices.Clone(known), old.Departments...)
	}
	if a, err = normalize(a, known); err != nil {
		return nil, err
	}
	var added, removed []string
	for _, x := range a.Addresses {
		if !slices.Contains(old.Addresses, x) {
			added = append(added, x)
		}
	}
	for _, x := range old.Addresses {
		if !slices.Contains(a.Addresses, x) {
			removed = append(removed, x)
		}
	}
	nonce := newNonce()
	if err := s.claim(ctx, a.Email, nonce, added); err != nil {
		return nil, err
	}
	a.UpdatedAt = s.now()
	set := bson.D{
		{Key: "name", Value: a.Name}, {Key: "role", Value: a.Role}, {Key: "departments", Value: a.Departments},
		{Key: "addresses", Value: a.Addresses}, {Key: "lang", Value: a.Lang}, {Key: "signature", Value: a.Signature},
		{Key: "notify", Value: a.Notify}, {Key: "updated_at", Value: a.UpdatedAt},
	}
	res, err := s.opts.DB.Collection(CollAgents).UpdateOne(ctx, bson.D{{Key: "_id", Value: a.Email}},
		bson.D{{Key: "$set", Value: set}})
	if err == nil && res.MatchedCount == 0 {
		err = ErrNotFound
	}
	if err != nil {
		s.release(ctx, nonce, added)
		return nil, fmt.Errorf("update agent %s: %w", a.Email, err)
	}
	s.releaseFrom(ctx, a.Email, removed)
	s.log().Info("agents: updated", "agent", a.Email)
	return &a, nil
}

// Deactivate stops an agent: their tokens stop working at once.
func (s *Service) Deactivate(ctx context.Context, email string) error {
	a, err := s.Get(ctx, email)
	if err != nil {
		return err
	}
	return s.setActive(ctx, a.Email, false)
}

func (s *Service) setActive(ctx context.Context, primary string, active bool) error {
	res, err := s.opts.DB.Collection(CollAgents).UpdateOne(ctx, bson.D{{Key: "_id", Value: primary}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "active", Value: active}, {Key: "updated_at", Value: s.now()}}}})
	if err != nil {
		return fmt.Errorf("update agent %s: %w", primary, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, primary)
	}
	s.log().Info("agents: active set", "agent", primary, "active", active)
	return nil
}

// Actor satisfies tickets.Agents: the active agent with that address.
func (s *Service) Actor(ctx context.Context, email string) (tickets.Actor, error) {
	a, err := s.Get(ctx, email)
	if errors.Is(err, ErrNotFound) || (err == nil && !a.Active) {
		return tickets.Actor{}, fmt.Errorf("%w: %s", tickets.ErrNoAgent, strings.ToLower(strings.TrimSpace(email)))
	}
	if err != nil {
		return tickets.Actor{}, err
	}
	return a.Actor(), nil
}
