package tickets

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The queue projection: ticket_queue holds a copy (without events) of every
// ticket that is not closed, so the agents' queue reads only the open work
// and its cost does not grow with closed history.
//
// Crash safety without transactions: a writer inserts the ticket's marker
// in ticket_queue_dirty before writing the ticket, then writes the
// projection, then deletes the marker. A crash leaves the marker, and
// RepairQueue (called by Queue and at start) re-syncs every marked ticket.
// Projection writes are guarded by Version, so an older state never
// stays over a newer one (see project). Every projection write is then
// recorded in the queue's change log (recordChange, before the marker
// goes), which keeps every process's in-memory queue index current
// (queuecache.go); a crash before the record leaves the marker, and
// RepairQueue's re-sync records it.

// queueBackfill is the ticket_counters document recording that the queue
// projection was built from the tickets of an older installation.
const queueBackfill = "queue_backfill"

// project writes t's state into the queue projection: upserted while the
// ticket is not closed, deleted once it is. Never leaves an older state
// over a newer one.
//
// Every read and write here is by _id alone: on the embedded store a
// filter on {_id, version} reads the whole ticket_queue collection, which
// made every ticket write cost a scan of the open queue. So the version
// guard is a read of the stored copy's version, then a write by _id; a
// writer that raced us (possible only after its marker was taken over as
// stale) is caught by reading the ticket's version after the write, and
// the projection is then synced to the ticket as stored.
func (s *Service) project(ctx context.Context, t *Ticket) error {
	if err := s.writeProjection(ctx, t); err != nil {
		return err
	}
	var now struct {
		Version int64 `bson:"version"`
	}
	err := s.c.tickets.FindOne(ctx, bson.D{{Key: "_id", Value: t.ID}},
		options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}})).Decode(&now)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return failed(fmt.Sprintf("read ticket %d", t.Number), err)
	}
	if err == nil && now.Version > t.Version {
		return s.syncProjection(ctx, t.Number) // someone wrote a newer state meanwhile
	}
	return nil
}

// writeProjection writes t's state unless the stored copy is newer.
func (s *Service) writeProjection(ctx context.Context, t *Ticket) error {
	var stored struct {
		Version int64 `bson:"version"`
	}
	err := s.c.queue.FindOne(ctx, bson.D{{Key: "_id", Value: t.ID}},
		options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}})).Decode(&stored)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
	case err != nil:
		return failed(fmt.Sprintf("read ticket %d's queue copy", t.Number), err)
	case stored.Version > t.Version:
		return nil // a newer state is there already
	}
	if t.Status == StatusClosed {
		if _, err := s.c.queue.DeleteOne(ctx, bson.D{{Key: "_id", Value: t.ID}}); err != nil {
			return failed(fmt.Sprintf("drop ticket %d from the queue", t.Number), err)
		}
	} else {
		p := *t
		p.Events, p.MessageKeys = nil, nil
		if _, err := s.c.queue.ReplaceOne(ctx, bson.D{{Key: "_id", Value: t.ID}}, &p,
			options.Replace().SetUpsert(true)); err != nil && !mongo.IsDuplicateKeyError(err) {
			return failed(fmt.Sprintf("queue ticket %d", t.Number), err)
		}
	}
	return s.recordChange(ctx, t.Number) // queuecache_log.go: every process's queue index
}

// syncProjection makes ticket n's queue document follow the ticket as
// stored, whoever else writes meanwhile: it re-reads the ticket after
// writing and goes again if it changed (a writer that finished between
// our read and our write may have been overwritten by our older state).
func (s *Service) syncProjection(ctx context.Context, n int64) error {
	for range 10 {
		t, err := s.getTicket(ctx, n)
		if err != nil {
			return err
		}
		if t == nil {
			if _, err := s.c.queue.DeleteOne(ctx, bson.D{{Key: "_id", Value: ticketID(n)}}); err != nil {
				return failed(fmt.Sprintf("drop ticket %d from the queue", n), err)
			}
			return s.recordChange(ctx, n)
		}
		if err := s.writeProjection(ctx, t); err != nil {
			return err
		}
		again, err := s.getTicket(ctx, n)
		if err != nil {
			return err
		}
		if again != nil && again.Version == t.Version && again.Status == t.Status {
			return nil
		}
	}
	return &TransientError{Err: fmt.Errorf("ticket %d keeps changing; queue not synced", n)}
}

// RepairQueue finishes what crashed writers left: it re-syncs the queue
// document of every ticket with a marker, clears stale markers, and the
// first time on an installation whose tickets predate the queue
// projection, builds it from them. The daemon calls it at start; Queue
// calls it before every read of the queue index (the marker collection is small: empty
// unless a change is in flight or crashed).
func (s *Service) RepairQueue(ctx context.Context) error {
	if err := s.backfillQueue(ctx); err != nil {
		return err
	}
	cur, err := s.c.dirty.Find(ctx, bson.D{})
	if err != nil {
		return failed("read queue markers", err)
	}
	var marks []dirtyDoc
	if err := cur.All(ctx, &marks); err != nil {
		return failed("read queue markers", err)
	}
	for _, m := range marks {
		var n int64
		if _, err := fmt.Sscan(m.ID, &n); err != nil || n <= 0 {
			s.log.Warn("dropping a malformed queue marker", "id", m.ID)
			_, _ = s.c.dirty.DeleteOne(ctx, bson.D{{Key: "_id", Value: m.ID}, {Key: "token", Value: m.Token}})
			continue
		}
		if err := s.syncProjection(ctx, n); err != nil {
			return err
		}
		// A fresh marker may be a live writer's lock: leave it to them.
		if s.clk.Now().Sub(m.At) > staleMarker {
			if _, err := s.c.dirty.DeleteOne(ctx, bson.D{{Key: "_id", Value: m.ID}, {Key: "token", Value: m.Token}}); err != nil {
				return failed("clear queue marker", err)
			}
		}
	}
	return nil
}

// backfillQueue builds the projection once from every ticket not closed
// (tickets written before it existed). Repeating it is harmless.
func (s *Service) backfillQueue(ctx context.Context) error {
	err := s.c.counters.FindOne(ctx, bson.D{{Key: "_id", Value: queueBackfill}}).Err()
	if err == nil {
		return nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return failed("read queue backfill state", err)
	}
	cur, err := s.c.tickets.Find(ctx, bson.D{{Key: "status", Value: bson.D{{Key: "$ne", Value: StatusClosed}}}},
		options.Find().SetProjection(bson.D{{Key: "number", Value: 1}}))
	if err != nil {
		return failed("backfill queue", err)
	}
	var ts []struct {
		Number int64 `bson:"number"`
	}
	if err := cur.All(ctx, &ts); err != nil {
		return failed("backfill queue", err)
	}
	for _, t := range ts {
		if err := s.syncProjection(ctx, t.Number); err != nil {
			return err
		}
	}
	_, err = s.c.counters.InsertOne(ctx, bson.D{{Key: "_id", Value: queueBackfill}, {Key: "at", Value: s.clk.Now().UTC()}})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return failed("record queue backfill", err)
	}
	if len(ts) > 0 {
		s.log.Info("queue projection built from existing tickets", "tickets", len(ts))
	}
	return nil
}
