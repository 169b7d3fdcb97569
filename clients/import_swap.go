package clients

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// swapClient writes one changed client of an import without losing a change
// someone else made since the plan read it (an operator's edit while the
// import ran).
//
// An edit is a compare-and-set on the version, but the import cannot filter
// on the version: on the embedded store only a filter on _id alone is an
// index lookup, and a thousand filtered replaces scan the collection a
// thousand times (minutes, not seconds). So the import replaces by _id and
// gets back, in the same atomic step, the document it replaced. When that is
// the version the plan read, which is the usual case, the row is written.
// When it is not, the import puts the other writer's document back at once
// with a compare-and-set on the import's own version (so a third writer is
// never overwritten; this rare path may scan), under a new version whose
// audit entries (action "import_undone") show what the import had written,
// and reports the row. For those few milliseconds a reader could see the
// import's values; a crash in them leaves the import's version, and the
// other writer's change stays in the audit trail.
//
// When the row is not written it returns why, in words for the import
// report.
func (r *Registry) swapClient(ctx context.Context, p planned) (string, error) {
	id := p.doc.ID
	var before clientDoc
	err := r.clients.FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: id}}, p.doc,
		options.FindOneAndReplace().SetReturnDocument(options.Before)).Decode(&before)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "write client: it no longer exists", nil
	}
	if err != nil {
		return "", dbErr("write client "+id, err)
	}
	if before.Version == p.old.Version {
		return "", nil
	}
	// The other writer's change may not be in the audit yet (it copies
	// it right after its write): copy it before its last_change is replaced.
	if err := r.flushAudit(ctx, id, before.LastChange); err != nil {
		r.log.Warn("audit copy of a concurrent change failed", "client", id, "err", err)
	}
	back := before
	back.Version = max(before.Version, p.doc.Version) + 1
	back.UpdatedAt = r.clock.Now().UTC()
	back.LastChange = &change{Version: back.Version, At: back.UpdatedAt, By: p.doc.LastChange.By,
		Action: "import_undone", Fields: diff(p.doc, &back)}
	res, err := r.clients.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: p.doc.Version}}, &back)
	if err != nil {
		return "", dbErr("put back client "+id+" after a concurrent change", err)
	}
	if res.MatchedCount == 0 {
		r.log.Warn("import row overwrote a concurrent change and was changed again before it could be put back",
			"client", id, "version", before.Version)
		return "write client: it was changed by someone else during the import, and again right after; " +
			"check its audit trail (turno clients show " + id + " --audit)", nil
	}
	if err := r.flushAudit(ctx, id, back.LastChange); err != nil {
		r.log.Warn("audit copy failed; the next write retries it", "client", id, "err", err)
	}
	r.log.Info("import row not applied: the client changed during the import", "client", id,
		"read_version", p.old.Version, "found_version", before.Version)
	return "write client: it was changed by someone else during the import; that change was kept " +
		"and this row not applied (run the import again to apply it on top)", nil
}
