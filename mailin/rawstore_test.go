package mailin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/internal/testenv"
)

// RawStore writes GridFS files itself; the driver's bucket must read them
// back byte for byte, whatever their size against the chunk and batch sizes.
func TestRawStoreRoundTripsThroughGridFS(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	rs := NewRawStore(db)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, rawChunkSize, rawChunkSize + 1, rawBatch, 2*rawBatch + 3*rawChunkSize + 17} {
		msg := make([]byte, size)
		for i := range msg {
			msg[i] = byte(rng.IntN(256))
		}
		sum := sha256.Sum256(msg)
		hash := hex.EncodeToString(sum[:])
		created, err := rs.Put(ctx, hash, int64(size), bytes.NewReader(msg), time.Now())
		if err != nil || !created {
			t.Fatalf("size %d: put: created %v, %v", size, created, err)
		}
		rc, n, err := rs.Open(ctx, hash)
		if err != nil {
			t.Fatalf("size %d: open: %v", size, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || n != int64(size) || !bytes.Equal(got, msg) {
			t.Fatalf("size %d: read back %d bytes (size %d, %v), want the %d stored", size, len(got), n, err, size)
		}
		var file struct {
			Length    int64 `bson:"length"`
			ChunkSize int32 `bson:"chunkSize"`
		}
		if err := db.Collection(RawBucket+".files").FindOne(ctx, bson.D{{Key: "filename", Value: hash + ".eml"}}).Decode(&file); err != nil {
			t.Fatalf("size %d: files document: %v", size, err)
		}
		if file.Length != int64(size) || file.ChunkSize != rawChunkSize {
			t.Fatalf("size %d: files document says length %d, chunk size %d", size, file.Length, file.ChunkSize)
		}
		again, err := rs.Put(ctx, hash, int64(size), bytes.NewReader(msg), time.Now())
		if err != nil || again {
			t.Fatalf("size %d: second put: created %v, %v", size, again, err)
		}
	}
	// A size that understates the bytes changes only the buffer, never the
	// chunk layout.
	long := bytes.Repeat([]byte("0123456789"), rawChunkSize/3)
	if _, err := rs.Put(ctx, "understated", 10, bytes.NewReader(long), time.Now()); err != nil {
		t.Fatal(err)
	}
	rc, _, err := rs.Open(ctx, "understated")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, long) {
		t.Fatalf("understated size: read back %d bytes (%v), want %d", len(got), err, len(long))
	}
	// The chunks carry the unique (files_id, n) index downloads rely on.
	_, err = db.Collection(RawBucket+".chunks").InsertOne(ctx, bson.D{
		{Key: "files_id", Value: bson.NewObjectID()}, {Key: "n", Value: int32(0)}, {Key: "data", Value: bson.Binary{}}})
	if err != nil {
		t.Fatal(err)
	}
	var first struct {
		FilesID bson.ObjectID `bson:"files_id"`
	}
	if err := db.Collection(RawBucket+".chunks").FindOne(ctx, bson.D{{Key: "n", Value: int32(1)}}).Decode(&first); err != nil {
		t.Fatal(err)
	}
	_, err = db.Collection(RawBucket+".chunks").InsertOne(ctx, bson.D{
		{Key: "files_id", Value: first.FilesID}, {Key: "n", Value: int32(1)}, {Key: "data", Value: bson.Binary{}}})
	if !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("second chunk 1 of one file: want a duplicate key error, got %v", err)
	}
}

// A second RawStore (another process) finds the bucket's indexes, whatever
// the numeric type of their directions, and creates nothing.
func TestRawStoreKeepsExistingIndexes(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	_, err := db.Collection(RawBucket+".chunks").Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "files_id", Value: 1.0}, {Key: "n", Value: int64(1)}},
		Options: options.Index().SetName("made_elsewhere").SetUnique(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := NewRawStore(db).Put(ctx, "h", 1, bytes.NewReader([]byte("x")), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	cur, err := db.Collection(RawBucket + ".chunks").Indexes().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ixs []bson.M
	if err := cur.All(ctx, &ixs); err != nil {
		t.Fatal(err)
	}
	if len(ixs) != 2 { // _id and made_elsewhere
		t.Fatalf("chunks indexes: %v", ixs)
	}
}

// A reader that fails midway leaves no chunks and no file behind.
func TestRawStoreFailedUploadLeavesNothing(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	rs := NewRawStore(db)
	broken := io.MultiReader(bytes.NewReader(make([]byte, rawBatch+5)), errReader{})
	if _, err := rs.Put(ctx, "broken", rawBatch*2, broken, time.Now()); err == nil {
		t.Fatal("put from a failing reader: want an error")
	}
	for _, coll := range []string{RawBucket + ".chunks", RawBucket + ".files", RawCollection} {
		n, err := db.Collection(coll).CountDocuments(ctx, bson.D{})
		if err != nil || n != 0 {
			t.Fatalf("%s: %d documents left (%v)", coll, n, err)
		}
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }
