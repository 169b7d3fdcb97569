package mailin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Raw storage: the bytes go to the GridFS bucket RawBucket under a fresh
// ObjectID per upload; a small document in RawCollection, _id = the hex
// SHA-256 of the bytes, points at the upload that won. Two processes storing
// the same message at once both upload, one insert wins by the unique _id and
// the loser deletes its own upload, so no upload is ever deleted while
// another writer is still using it. A crash between upload and insert leaves
// an unreferenced GridFS file, which is garbage, never a wrong answer.
//
// Uploads are written here, in the GridFS layout (mail_raw.files,
// mail_raw.chunks, the driver's indexes), rather than with the driver's
// upload stream: that one allocates a 16 MiB buffer per upload, even for a
// 3 KB message, and sends up to 16 MiB of chunks as one insert, which the
// driver, the embedded store's proxy and FerretDB each copy several times
// over (measured: one 25 MB message took `turno serve` 259 MiB above idle
// that way, 85 MiB this way). Here one buffer of at most rawBatch bytes is
// read into and sent as one insert at a time, so memory per upload is
// bounded whatever the message size. Reading and deleting still go through
// the driver's bucket.
const (
	RawBucket     = "mail_raw"
	RawCollection = "mail_raw_index"

	// rawChunkSize is the GridFS chunk size: the driver's default.
	rawChunkSize = 255 << 10
	// rawBatch is how many bytes of chunks one insert carries.
	rawBatch = 4 * rawChunkSize
)

type rawDoc struct {
	Hash   string        `bson:"_id"`
	FileID bson.ObjectID `bson:"file_id"`
	Size   int64         `bson:"size"`
	At     time.Time     `bson:"at"`
}

// RawStore keeps raw messages once per content hash.
type RawStore struct {
	bucket *mongo.GridFSBucket
	files  *mongo.Collection
	chunks *mongo.Collection
	index  *mongo.Collection

	indexMu sync.Mutex
	indexed bool // the bucket's indexes were checked by this RawStore
}

// NewRawStore uses db's mail_raw bucket.
func NewRawStore(db *mongo.Database) *RawStore {
	return &RawStore{
		bucket: db.GridFSBucket(options.GridFSBucket().SetName(RawBucket)),
		files:  db.Collection(RawBucket + ".files"),
		chunks: db.Collection(RawBucket + ".chunks"),
		index:  db.Collection(RawCollection),
	}
}

// Has reports whether the message with this hash is stored.
func (s *RawStore) Has(ctx context.Context, hash string) (bool, error) {
	err := s.index.FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up raw message: %w", err)
	}
	return true, nil
}

// Put stores r (size bytes, SHA-256 hash) unless it is already stored.
// created reports whether this call stored it.
func (s *RawStore) Put(ctx context.Context, hash string, size int64, r io.Reader, now time.Time) (created bool, err error) {
	if ok, err := s.Has(ctx, hash); err != nil || ok {
		return false, err
	}
	id := bson.NewObjectID()
	if err := s.upload(ctx, id, hash+".eml", size, r); err != nil {
		return false, fmt.Errorf("upload raw message: %w", err)
	}
	_, err = s.index.InsertOne(ctx, rawDoc{Hash: hash, FileID: id, Size: size, At: now})
	if mongo.IsDuplicateKeyError(err) {
		if derr := s.bucket.Delete(ctx, id); derr != nil {
			return false, fmt.Errorf("drop duplicate raw upload: %w", derr)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("index raw message: %w", err)
	}
	return true, nil
}

// Open streams the stored message with this hash.
func (s *RawStore) Open(ctx context.Context, hash string) (io.ReadCloser, int64, error) {
	var d rawDoc
	if err := s.index.FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&d); err != nil {
		return nil, 0, fmt.Errorf("look up raw message %s: %w", hash, err)
	}
	ds, err := s.bucket.OpenDownloadStream(ctx, d.FileID)
	if err != nil {
		return nil, 0, fmt.Errorf("open raw message %s: %w", hash, err)
	}
	return ds, d.Size, nil
}

// upload writes r (about size bytes) as the GridFS file id: its chunks at
// most rawBatch bytes per insert, then the files document, which is what
// makes the file exist for readers. On error it deletes the chunks it wrote.
func (s *RawStore) upload(ctx context.Context, id bson.ObjectID, name string, size int64, r io.Reader) error {
	if err := s.ensureIndexes(ctx); err != nil {
		return err
	}
	// A whole number of chunks: every chunk but the last is full, as GridFS
	// readers require, however many times the buffer is filled.
	buf := make([]byte, min(rawBatch, rawChunkSize*(max(size, 0)/rawChunkSize+1)))
	var length int64
	var n int32
	for {
		k, rerr := io.ReadFull(r, buf)
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return s.abort(ctx, id, fmt.Errorf("read: %w", rerr))
		}
		if k > 0 {
			docs := make([]any, 0, rawBatch/rawChunkSize)
			for p := 0; p < k; p += rawChunkSize {
				docs = append(docs, bson.D{
					{Key: "_id", Value: bson.NewObjectID()},
					{Key: "files_id", Value: id},
					{Key: "n", Value: n},
					{Key: "data", Value: bson.Binary{Data: buf[p:min(p+rawChunkSize, k)]}},
				})
				n++
			}
			// The driver encodes docs before InsertMany returns, so buf
			// is free to be read into again.
			if _, err := s.chunks.InsertMany(ctx, docs); err != nil {
				return s.abort(ctx, id, err)
			}
			length += int64(k)
		}
		if rerr != nil {
			break
		}
	}
	_, err := s.files.InsertOne(ctx, bson.D{
		{Key: "_id", Value: id},
		{Key: "length", Value: length},
		{Key: "chunkSize", Value: int32(rawChunkSize)},
		{Key: "uploadDate", Value: bson.NewDateTimeFromTime(time.Now())},
		{Key: "filename", Value: name},
	})
	if err != nil {
		return s.abort(ctx, id, err)
	}
	return nil
}

// abort deletes the chunks of a failed upload, best effort: what it leaves
// is garbage nothing refers to.
func (s *RawStore) abort(ctx context.Context, id bson.ObjectID, err error) error {
	_, _ = s.chunks.DeleteMany(context.WithoutCancel(ctx), bson.D{{Key: "files_id", Value: id}})
	return err
}

// ensureIndexes creates the indexes the driver's GridFS upload would create
// (files by filename and uploadDate; chunks unique by files_id and n, which
// downloads read by), once per RawStore. An index with the same keys under
// another name counts as present, as it does for the driver.
func (s *RawStore) ensureIndexes(ctx context.Context) error {
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	if s.indexed {
		return nil
	}
	want := []struct {
		coll  *mongo.Collection
		model mongo.IndexModel
	}{
		{s.files, mongo.IndexModel{Keys: bson.D{{Key: "filename", Value: int32(1)}, {Key: "uploadDate", Value: int32(1)}}}},
		{s.chunks, mongo.IndexModel{Keys: bson.D{{Key: "files_id", Value: int32(1)}, {Key: "n", Value: int32(1)}},
			Options: options.Index().SetUnique(true)}},
	}
	for _, w := range want {
		ok, err := hasIndex(ctx, w.coll, w.model.Keys.(bson.D))
		if err != nil {
			return fmt.Errorf("list %s indexes: %w", w.coll.Name(), err)
		}
		if ok {
			continue
		}
		if _, err := w.coll.Indexes().CreateOne(ctx, w.model); err != nil {
			return fmt.Errorf("create %s index: %w", w.coll.Name(), err)
		}
	}
	s.indexed = true
	return nil
}

// hasIndex reports whether coll has an index on exactly keys, in order, with
// the same directions whatever their numeric type.
func hasIndex(ctx context.Context, coll *mongo.Collection, keys bson.D) (bool, error) {
	cur, err := coll.Indexes().List(ctx)
	if err != nil {
		return false, err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var ix struct {
			Key bson.D `bson:"key"`
		}
		if err := cur.Decode(&ix); err != nil {
			return false, err
		}
		if sameKeys(ix.Key, keys) {
			return true, nil
		}
	}
	return false, cur.Err()
}

func sameKeys(a, b bson.D) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || direction(a[i].Value) != direction(b[i].Value) {
			return false
		}
	}
	return true
}

func direction(v any) float64 {
	switch x := v.(type) {
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}
