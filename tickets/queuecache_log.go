package tickets

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The queue's change log: how every process's in-memory queue index
// (queuecache.go) learns of projection writes made by any process (the
// daemon, a second daemon, the CLI) without rescanning ticket_queue.
//
// Every projection write (writeProjection's replace or delete,
// syncProjection's delete, createTicket's insert) is followed by
// recordChange: an $inc of the counter document ticket_counters
// {_id: "queue_seq"} (its new value is the change's number) and an insert
// of {_id: "<seq>", ticket: n} into ticket_queue_changes. Both happen
// while the writer holds the ticket's marker (ticket_queue_dirty), before
// deleting it, so a writer that crashes after the projection write but
// before the change is recorded leaves its marker, and RepairQueue (which
// every reader runs first) syncs the ticket again and records a new
// change. A change recorded twice is harmless: a reader only re-reads the
// ticket's projection copy.
//
// Pruning rule: the log keeps the last queueChangesKept entries. The
// writer that draws a seq divisible by 99 deletes the 99 entries ending
// at seq-queueChangesKept, by exact _id in one unordered bulk; the blocks
// tile the log, so every old entry is deleted once. A writer that crashes
// there leaves one block behind (harmless: a reader never reads that far
// back, see queueMaxCatchUp; the entries are ~40 bytes). A reader more
// than queueMaxCatchUp changes behind reloads instead of reading the log,
// so pruning never opens a gap it would wait on.

// CollQueueChanges is the queue's change log: {_id: seq in decimal,
// ticket, at}, one entry per projection write (see recordChange).
const CollQueueChanges = "ticket_queue_changes"

// queueSeqID is the ticket_counters document numbering queue changes.
const queueSeqID = "queue_seq"

// queueChangesKept is how many of the newest change entries are kept.
const queueChangesKept = 5000

// queueChange is one ticket_queue_changes entry.
type queueChange struct {
	ID     string `bson:"_id"`
	Ticket int64  `bson:"ticket"`
}

func changeID(seq int64) string { return strconv.FormatInt(seq, 10) }

// recordChange tells every process's queue index that ticket n's
// projection copy changed. The caller must still hold n's marker (or
// keep it on error), so a crash here is repaired by RepairQueue.
func (s *Service) recordChange(ctx context.Context, n int64) error {
	seq, err := s.nextQueueSeq(ctx)
	if err != nil {
		return err
	}
	changes := s.opts.DB.Collection(CollQueueChanges)
	_, err = changes.InsertOne(ctx, queueChange{ID: changeID(seq), Ticket: n})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return failed(fmt.Sprintf("record queue change of ticket %d", n), err)
	}
	if seq%99 == 0 && seq > queueChangesKept {
		s.pruneChanges(ctx, seq-queueChangesKept)
	}
	return nil
}

// nextQueueSeq draws the next change number.
func (s *Service) nextQueueSeq(ctx context.Context) (int64, error) {
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var doc struct {
		Seq int64 `bson:"seq"`
	}
	var err error
	for range 3 { // two first upserts may race: one gets a duplicate key
		err = s.c.counters.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: queueSeqID}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(1)}}}}, opts).Decode(&doc)
		if err == nil {
			return doc.Seq, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			break
		}
	}
	return 0, failed("number a queue change", err)
}

// readQueueSeq reads the number of the last change drawn (0: none yet).
func (s *Service) readQueueSeq(ctx context.Context) (int64, error) {
	var doc struct {
		Seq int64 `bson:"seq"`
	}
	err := s.c.counters.FindOne(ctx, bson.D{{Key: "_id", Value: queueSeqID}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, failed("read the queue's change number", err)
	}
	return doc.Seq, nil
}

// readChange reads change seq; ok=false when the entry is not there (not
// yet inserted by its writer, or lost with it, or pruned).
func (s *Service) readChange(ctx context.Context, seq int64) (ticket int64, ok bool, err error) {
	var c queueChange
	err = s.opts.DB.Collection(CollQueueChanges).FindOne(ctx, bson.D{{Key: "_id", Value: changeID(seq)}}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, failed(fmt.Sprintf("read queue change %d", seq), err)
	}
	return c.Ticket, true, nil
}

// pruneChanges deletes the 99 change entries ending at upto. A failure
// is logged, not returned: the ticket write succeeded, and stray entries
// are only bytes.
func (s *Service) pruneChanges(ctx context.Context, upto int64) {
	models := make([]mongo.WriteModel, 0, 99)
	for seq := max(upto-98, 1); seq <= upto; seq++ {
		models = append(models, mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: changeID(seq)}}))
	}
	_, err := s.opts.DB.Collection(CollQueueChanges).BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
	if err != nil {
		s.log.Warn("could not prune the queue's change log", "upto", upto, "err", err)
	}
}
