package mailin

import (
	"context"
	"errors"
	"fmt"
	"io"
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
const (
	RawBucket     = "mail_raw"
	RawCollection = "mail_raw_index"
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
	index  *mongo.Collection
}

// NewRawStore uses db's mail_raw bucket.
func NewRawStore(db *mongo.Database) *RawStore {
	return &RawStore{
		bucket: db.GridFSBucket(options.GridFSBucket().SetName(RawBucket)),
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
	if err := s.bucket.UploadFromStreamWithID(ctx, id, hash+".eml", r); err != nil {
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
