package mailin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/internal/testenv"
	"turno/tickets"
)

// TestRawPrunerDropsOnlyClosedTicketsBytes: raw messages on a ticket
// closed before the cut-off lose their bytes (a multi-chunk one too: its
// files document and every chunk go) and keep their hash; one also named
// by a message of an open ticket, one on a ticket closed after the cut-off
// and one on an open ticket keep their bytes; the upload of a message a
// crashed run marked but did not delete goes too; a second run drops
// nothing.
func TestRawPrunerDropsOnlyClosedTicketsBytes(t *testing.T) {
	ctx := context.Background()
	st := testenv.Store(t)
	db := st.DB
	rs := NewRawStore(db)
	now := time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)
	raw := map[string][]byte{
		"old":    []byte("Subject: viejo\r\n\r\n" + strings.Repeat("x", 600<<10)), // three chunks
		"shared": []byte("Subject: compartido\r\n\r\nhola\r\n"),
		"recent": []byte("Subject: reciente\r\n\r\nhola\r\n"),
		"open":   []byte("Subject: abierto\r\n\r\nhola\r\n"),
		"crash":  []byte("Subject: a medias\r\n\r\nhola\r\n"),
	}
	hash := map[string]string{}
	for k, b := range raw {
		sum := sha256.Sum256(b)
		hash[k] = hex.EncodeToString(sum[:])
		if _, err := rs.Put(ctx, hash[k], int64(len(b)), bytes.NewReader(b), now.Add(-200*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	long, lately := now.Add(-100*24*time.Hour), now.Add(-2*24*time.Hour)
	for _, tk := range []tickets.Ticket{
		{ID: "1", Number: 1, Status: tickets.StatusClosed, ClosedAt: long},
		{ID: "2", Number: 2, Status: tickets.StatusOpen},
		{ID: "3", Number: 3, Status: tickets.StatusClosed, ClosedAt: lately},
	} {
		if _, err := db.Collection(tickets.CollTickets).InsertOne(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []tickets.Message{
		{Key: "m1", Ticket: 1, RawRef: hash["old"]},
		{Key: "m2", Ticket: 1, RawRef: hash["shared"]},
		{Key: "m3", Ticket: 2, RawRef: hash["shared"]},
		{Key: "m4", Ticket: 3, RawRef: hash["recent"]},
		{Key: "m5", Ticket: 2, RawRef: hash["open"]},
		{Key: "m6", Ticket: 1, RawRef: "portal"},
		{Key: "m7", Ticket: 1, RawRef: hash["crash"]},
	} {
		if _, err := db.Collection(tickets.CollMessages).InsertOne(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	var oldDoc rawDoc
	if err := db.Collection(RawCollection).FindOne(ctx, bson.D{{Key: "_id", Value: hash["old"]}}).Decode(&oldDoc); err != nil {
		t.Fatal(err)
	}
	// A run that crashed after marking "crash" dropped, before deleting
	// its upload.
	var crashDoc rawDoc
	if err := db.Collection(RawCollection).FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: hash["crash"]}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "dropped", Value: true}, {Key: "stale", Value: bson.A{}}}}}).Decode(&crashDoc); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection(RawCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: hash["crash"]}},
		bson.D{{Key: "$push", Value: bson.D{{Key: "stale", Value: crashDoc.FileID}}}}); err != nil {
		t.Fatal(err)
	}
	p := RawPruner{DB: db, Candidates: tickets.RawCandidates{DB: db}.List, Logger: testenv.Logger(t), Now: func() time.Time { return now }}
	n, err := p.Prune(ctx, now.Add(-30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("dropped %d, want 1 (the old ticket's own message; the crashed one was already marked)", n)
	}
	if ok, err := rs.Has(ctx, hash["old"]); err != nil || !ok {
		t.Errorf("the dropped message's hash is no longer known (%v, %v)", ok, err)
	}
	if _, _, err := rs.Open(ctx, hash["old"]); err == nil {
		t.Error("the dropped message still opens")
	}
	for coll, f := range map[string]bson.D{
		RawBucket + ".files":  {{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{oldDoc.FileID, crashDoc.FileID}}}}},
		RawBucket + ".chunks": {{Key: "files_id", Value: bson.D{{Key: "$in", Value: bson.A{oldDoc.FileID, crashDoc.FileID}}}}},
	} {
		if k, err := db.Collection(coll).CountDocuments(ctx, f); err != nil || k != 0 {
			t.Errorf("%s: %d documents of the dropped upload left (%v)", coll, k, err)
		}
	}
	for _, k := range []string{"shared", "recent", "open"} {
		rc, _, err := rs.Open(ctx, hash[k])
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(b, raw[k]) {
			t.Errorf("%s: bytes changed (%v)", k, err)
		}
	}
	if n, err := p.Prune(ctx, now.Add(-30*24*time.Hour)); err != nil || n != 0 {
		t.Errorf("second run dropped %d (%v), want 0", n, err)
	}
}
