package mailin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// maxStrippedHeader is the most of a message's header StripBody keeps.
const maxStrippedHeader = 64 << 10

// strippedDoc is the raw index document as StripBody sees it: the upload
// it points at, whether that is the stripped copy, and the uploads it
// replaced that may still need deleting (a crash between the swap and the
// delete leaves them listed, and the next StripBody finishes the job).
type strippedDoc struct {
	FileID   bson.ObjectID   `bson:"file_id"`
	Stripped bool            `bson:"stripped"`
	Stale    []bson.ObjectID `bson:"stale"`
}

// StripBody replaces the stored message with this hash by its top-level
// header alone (at most 64 KiB of it, and nothing when the header does not
// end within that), for a message that quotes a secret: a full-content
// bounce of a password mail quotes its set-password link. The index
// document keeps its _id, so Has still reports the message as stored and a
// second copy fetched later is not stored again. It reports whether it
// stripped anything; an unknown hash or an already stripped message is
// (false, nil).
//
// Writes: a new upload, one update of the index document by _id that
// points it at that upload and lists the old one as stale, then the
// deletion of every stale upload and the clearing of the list. Two
// concurrent calls each delete the upload their swap replaced, so only
// the last swap's upload survives.
func (s *RawStore) StripBody(ctx context.Context, hash string) (bool, error) {
	var d strippedDoc
	err := s.index.FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("strip raw message %s: %w", hash, err)
	}
	if d.Stripped {
		return false, s.dropStale(ctx, hash, d)
	}
	head, err := s.header(ctx, d.FileID)
	if err != nil {
		return false, fmt.Errorf("strip raw message %s: %w", hash, err)
	}
	id := bson.NewObjectID()
	if err := s.upload(ctx, id, hash+".headers.eml", int64(len(head)), bytes.NewReader(head)); err != nil {
		return false, fmt.Errorf("strip raw message %s: upload: %w", hash, err)
	}
	var before strippedDoc
	err = s.index.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: hash}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "file_id", Value: id}, {Key: "stripped", Value: true},
			{Key: "size", Value: int64(len(head))}, {Key: "stripped_at", Value: time.Now().UTC()}}},
			{Key: "$addToSet", Value: bson.D{{Key: "stale", Value: d.FileID}}}},
		options.FindOneAndUpdate().SetReturnDocument(options.Before)).Decode(&before)
	if err != nil {
		_ = s.bucket.Delete(context.WithoutCancel(ctx), id)
		return false, fmt.Errorf("strip raw message %s: swap: %w", hash, err)
	}
	stale := append(before.Stale, d.FileID)
	if before.FileID != d.FileID {
		stale = append(stale, before.FileID) // a concurrent strip's upload, replaced by ours
	}
	return true, s.dropStale(ctx, hash, strippedDoc{FileID: id, Stripped: true, Stale: stale})
}

// dropStale deletes the uploads d lists as replaced (never the current
// one), then clears the list.
func (s *RawStore) dropStale(ctx context.Context, hash string, d strippedDoc) error {
	if len(d.Stale) == 0 {
		return nil
	}
	for _, id := range d.Stale {
		if id == d.FileID {
			continue
		}
		if err := s.bucket.Delete(ctx, id); err != nil && !errors.Is(err, mongo.ErrFileNotFound) {
			return fmt.Errorf("strip raw message %s: delete the full copy: %w", hash, err)
		}
	}
	_, err := s.index.UpdateOne(ctx, bson.D{{Key: "_id", Value: hash}},
		bson.D{{Key: "$pullAll", Value: bson.D{{Key: "stale", Value: d.Stale}}}})
	if err != nil {
		return fmt.Errorf("strip raw message %s: %w", hash, err)
	}
	return nil
}

// header reads the top-level header of upload id, through its blank line,
// reading at most maxStrippedHeader bytes; nil when it does not end there.
func (s *RawStore) header(ctx context.Context, id bson.ObjectID) ([]byte, error) {
	ds, err := s.bucket.OpenDownloadStream(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer ds.Close()
	br := bufio.NewReader(io.LimitReader(ds, maxStrippedHeader))
	var head []byte
	for {
		line, err := br.ReadBytes('\n')
		head = append(head, line...)
		if len(bytes.TrimRight(line, "\r\n")) == 0 && len(line) > 0 {
			return head, nil
		}
		if err == io.EOF {
			if len(head) < maxStrippedHeader {
				return append(head, "\r\n"...), nil // a message that is all header
			}
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
	}
}
