package clients

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// writeBatch writes planned rows in the registry's usual order, each step one
// unordered bulk write: claim new logins, index new addresses, write the
// client documents (the commit point), then drop old index entries and
// logins and copy the audit entries. A row whose claim or write fails is
// reported and skipped in the later steps.
func (r *Registry) writeBatch(ctx context.Context, batch []planned, logins map[string]loginDoc, rep *ImportReport) error {
	failed := make([]bool, len(batch))
	fail := func(i int, reason string) {
		if !failed[i] {
			failed[i] = true
			rep.Bad = append(rep.Bad, RowError{Line: batch[i].line, ClientID: batch[i].doc.ID, Reason: reason})
			if batch[i].old == nil {
				rep.Inserted--
			} else {
				rep.Updated--
			}
		}
	}
	now := r.clock.Now().UTC()

	// 1. Logins for new or changed principal addresses. Plain inserts (by
	// _id, fast on every store): a duplicate means another writer claimed
	// the address since the scan.
	var models []mongo.WriteModel
	var idx []int
	for i, p := range batch {
		if p.old != nil && p.old.Email == p.doc.Email {
			continue
		}
		h, held := logins[p.doc.Email]
		if held && h.ClientID == p.doc.ID {
			continue // ours already (a retried import)
		}
		if held { // stale: plan checked it
			if _, err := r.logins.DeleteOne(ctx, bson.D{{Key: "_id", Value: h.Address}, {Key: "client_id", Value: h.ClientID}, {Key: "claimed_at", Value: h.ClaimedAt}}); err != nil {
				return dbErr("drop stale login "+h.Address, err)
			}
		}
		models = append(models, mongo.NewInsertOneModel().SetDocument(loginDoc{Address: p.doc.Email, ClientID: p.doc.ID, ClaimedAt: now}))
		idx = append(idx, i)
	}
	if err := r.bulk(ctx, r.logins, models, idx, func(i int, err mongo.BulkWriteError) {
		fail(i, "email: "+batch[i].doc.Email+" was claimed by another client during the import")
	}); err != nil {
		return err
	}

	// 2. Address index entries: inserted whole (an upsert is a scan on the
	// embedded store); an address that has a document already gets its
	// entry by an update on _id.
	models, idx = nil, nil
	for i, p := range batch {
		if failed[i] || (p.old != nil && p.old.Email == p.doc.Email) {
			continue
		}
		models = append(models, mongo.NewInsertOneModel().SetDocument(addressDoc{Address: p.doc.Email, M: []addrMember{{ClientID: p.doc.ID, Role: RolePrincipal}}}))
		idx = append(idx, i)
	}
	var retry []int
	if err := r.bulk(ctx, r.addresses, models, idx, func(i int, we mongo.BulkWriteError) {
		if we.Code == 11000 {
			retry = append(retry, i)
		} else {
			fail(i, "index address: "+we.Message)
		}
	}); err != nil {
		return err
	}
	for _, i := range retry {
		if err := r.indexAdd(ctx, batch[i].doc.Email, batch[i].doc.ID, RolePrincipal); err != nil {
			return err
		}
	}

	// 3. Client documents: new ones in one unordered bulk insert, changed
	// ones one by one through swapClient, which never keeps a change made
	// by someone else since the plan read the client.
	models, idx = nil, nil
	for i, p := range batch {
		if !failed[i] && p.old == nil {
			models = append(models, mongo.NewInsertOneModel().SetDocument(p.doc))
			idx = append(idx, i)
		}
	}
	if err := r.bulk(ctx, r.clients, models, idx, func(i int, err mongo.BulkWriteError) {
		fail(i, "write client: the client was added concurrently; run the import again")
	}); err != nil {
		return err
	}
	for i, p := range batch {
		if failed[i] || p.old == nil {
			continue
		}
		reason, err := r.swapClient(ctx, p)
		if err != nil {
			return err
		}
		if reason != "" {
			fail(i, reason)
		}
	}

	// 4. Old addresses, old logins, audit.
	var audit []any
	for i, p := range batch {
		if failed[i] {
			continue
		}
		audit = append(audit, p.doc.LastChange.entries(p.doc.ID)...)
		if p.old != nil && p.old.Email != p.doc.Email {
			if err := r.indexRemove(ctx, p.old.Email, p.doc.ID, RolePrincipal); err != nil {
				r.log.Warn("stale address index entry left; lookups ignore it", "client", p.doc.ID, "err", err)
			}
			if err := r.releaseLogin(ctx, p.old.Email, p.doc.ID); err != nil {
				r.log.Warn("old login left reserved", "client", p.doc.ID, "err", err)
			}
		}
	}
	if len(audit) > 0 {
		if _, err := r.audit.InsertMany(ctx, audit, options.InsertMany().SetOrdered(false)); err != nil && !onlyDuplicates(err) {
			return dbErr("write import audit", err)
		}
	}
	return nil
}

// bulk runs an unordered bulk write and calls onErr with the batch index
// (idx maps model positions to it) of each model that failed. Errors other
// than per-document ones are returned.
func (r *Registry) bulk(ctx context.Context, coll *mongo.Collection, models []mongo.WriteModel, idx []int, onErr func(int, mongo.BulkWriteError)) error {
	if len(models) == 0 {
		return nil
	}
	_, err := coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && bwe.WriteConcernError == nil {
		for _, we := range bwe.WriteErrors {
			onErr(idx[we.Index], we)
		}
		return nil
	}
	if err != nil {
		return dbErr("bulk write "+coll.Name(), err)
	}
	return nil
}
