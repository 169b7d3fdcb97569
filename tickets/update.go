package tickets

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Every change to an existing ticket goes through update (agents' actions,
// replies and notes, a customer message joining it, merges, the automatic
// close), so concurrent changes never overwrite each other.
//
// Why a marker-lock and not a filter on {_id, version}: the embedded store
// (FerretDB 1.24) pushes a filter down to SQLite only when it is _id alone
// (see store/idindex.go and the mailin ledger); {_id, version} makes every
// update read the whole tickets collection, whose size grows with closed
// history. So the decision who may change a ticket is an insert on a unique
// _id, the marker in ticket_queue_dirty, and every ticket read and write is
// by _id alone. The marker is also the queue projection's intent record:
// while it exists, the ticket_queue document of that ticket may be stale.
//
// The write itself is a findOneAndReplace returning the document it
// replaced: its Version tells whether someone changed the ticket since we
// read it (possible only after our marker was taken over as stale, i.e.
// this process stalled for staleMarker); then fn is applied again on that
// newer state, so no change is lost.

// staleMarker is how old a marker must be before another writer takes it
// over: its holder crashed (a live update holds it for milliseconds).
const staleMarker = 30 * time.Second

// lockWait bounds how long update waits for another writer's marker.
const lockWait = 15 * time.Second

// maxUpdateTries bounds fn re-applications after concurrent changes.
const maxUpdateTries = 20

// dirtyDoc is a ticket_queue_dirty marker.
type dirtyDoc struct {
	ID    string    `bson:"_id"`
	Token string    `bson:"token"`
	At    time.Time `bson:"at"`
}

// update applies fn to ticket n under optimistic concurrency (the ticket's
// Version) and keeps the queue projection in step. fn may refuse with an
// error (returned as is, nothing written) and returns the events to append
// (an event's zero At becomes now). fn receives a deep copy; when it
// returns no events and left the ticket as it was, nothing is written
// (a no-op) and the current ticket is returned. ErrNotFound (wrapped)
// when there is no such ticket.
func (s *Service) update(ctx context.Context, n int64, fn func(t *Ticket) ([]Event, error)) (*Ticket, error) {
	tok, err := s.mark(ctx, n)
	if err != nil {
		return nil, err
	}
	t, err := s.updateLocked(ctx, n, fn)
	if err != nil && !errors.Is(err, ErrNotFound) {
		// The write may or may not have happened: bring the projection in
		// line with whatever the ticket is now before letting go.
		if serr := s.syncProjection(ctx, n); serr != nil {
			return nil, err // keep the marker: RepairQueue or the next writer finishes
		}
	}
	s.unmark(ctx, n, tok)
	return t, err
}

func (s *Service) updateLocked(ctx context.Context, n int64, fn func(t *Ticket) ([]Event, error)) (*Ticket, error) {
	base, err := s.getTicket(ctx, n)
	if err != nil {
		return nil, err
	}
	if base == nil {
		return nil, fmt.Errorf("ticket %d: %w", n, ErrNotFound)
	}
	cur := base.Version // the version the stored document has
	for range maxUpdateTries {
		t, err := cloneTicket(base)
		if err != nil {
			return nil, err
		}
		evs, err := fn(t)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 && sameTicket(base, t) {
			return base, nil
		}
		now := s.clk.Now().UTC()
		for i := range evs {
			if evs[i].At.IsZero() {
				evs[i].At = now
			}
		}
		// sla.go: waiting stretches, first response, due times.
		s.trackSLA(t, evs, now)
		t.Events = append(t.Events, evs...) // fn may have changed them (Merge copies history)
		t.ID, t.Number = base.ID, base.Number
		t.Version = max(base.Version, cur) + 1
		t.UpdatedAt = now
		if len(evs) > 0 { // notifyhook.go: before the write, for a crash
			if err := s.notifyPending(ctx, n); err != nil {
				return nil, err
			}
		}
		var before Ticket
		err = s.c.tickets.FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: t.ID}}, t,
			options.FindOneAndReplace().SetReturnDocument(options.Before)).Decode(&before)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, fmt.Errorf("ticket %d: %w", n, ErrNotFound)
		}
		if err != nil {
			return nil, failed(fmt.Sprintf("write ticket %d", n), err)
		}
		if before.Version != cur {
			// Someone wrote in between (our marker was taken over): we
			// replaced their state. Apply fn again on theirs and write
			// that over ours.
			s.log.Warn("ticket changed under a held marker; reapplying", "ticket", n,
				"read_version", base.Version, "found_version", before.Version)
			cur = t.Version
			base = &before
			continue
		}
		if len(evs) > 0 { // and after, for a notifier that read the ticket before it
			if err := s.notifyPending(ctx, n); err != nil {
				return nil, err
			}
		}
		s.countChange(ctx, &before, t, now) // stats.go: the dashboard's counters
		if err := s.project(ctx, t); err != nil {
			return nil, err
		}
		return t, nil
	}
	return nil, &TransientError{Err: fmt.Errorf("ticket %d: too many concurrent changes", n)}
}

// mark takes ticket n's marker (the write lock and projection intent),
// waiting for a live holder and taking over a stale one.
func (s *Service) mark(ctx context.Context, n int64) (string, error) {
	tok, err := newToken()
	if err != nil {
		return "", err
	}
	id := ticketID(n)
	deadline := time.Now().Add(lockWait)
	wait := 2 * time.Millisecond
	for {
		_, err := s.c.dirty.InsertOne(ctx, dirtyDoc{ID: id, Token: tok, At: s.clk.Now().UTC()})
		if err == nil {
			return tok, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return "", failed(fmt.Sprintf("mark ticket %d", n), err)
		}
		var d dirtyDoc
		err = s.c.dirty.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue // released meanwhile
		}
		if err != nil {
			return "", failed(fmt.Sprintf("read marker of ticket %d", n), err)
		}
		if s.clk.Now().Sub(d.At) > staleMarker {
			s.log.Warn("taking over a stale ticket marker", "ticket", n, "since", d.At)
			if err := s.syncProjection(ctx, n); err != nil {
				return "", err
			}
			if _, err := s.c.dirty.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "token", Value: d.Token}}); err != nil {
				return "", failed(fmt.Sprintf("clear marker of ticket %d", n), err)
			}
			continue
		}
		if time.Now().After(deadline) {
			return "", &TransientError{Err: fmt.Errorf("ticket %d is busy: another change holds it", n)}
		}
		select {
		case <-ctx.Done():
			return "", &TransientError{Err: ctx.Err()}
		case <-time.After(wait):
		}
		wait = min(wait*2, 100*time.Millisecond)
	}
}

// unmark releases our marker (only ours: the token must match).
func (s *Service) unmark(ctx context.Context, n int64, tok string) {
	_, err := s.c.dirty.DeleteOne(ctx, bson.D{{Key: "_id", Value: ticketID(n)}, {Key: "token", Value: tok}})
	if err != nil {
		// Harmless: RepairQueue re-syncs it, and it goes stale.
		s.log.Warn("could not clear ticket marker", "ticket", n, "err", err)
	}
}

func newToken() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("marker token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// cloneTicket deep-copies t (fn must not alias the stored state).
func cloneTicket(t *Ticket) (*Ticket, error) {
	b, err := bson.Marshal(t)
	if err != nil {
		return nil, &PermanentError{Err: fmt.Errorf("copy ticket %d: %w", t.Number, err)}
	}
	var c Ticket
	if err := bson.Unmarshal(b, &c); err != nil {
		return nil, &PermanentError{Err: fmt.Errorf("copy ticket %d: %w", t.Number, err)}
	}
	return &c, nil
}

func sameTicket(a, b *Ticket) bool {
	x, err1 := bson.Marshal(a)
	y, err2 := bson.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
