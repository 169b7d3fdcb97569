// Package backup writes a snapshot of every collection of a Turno database
// to one file and loads it back (`turno backup FILE`, `turno restore FILE`).
// It owns no collection: it copies all of them as they are.
//
// Format (version 1): a gzip-compressed tar archive holding
//
//   - manifest.json first: {"format": "turno-backup", "version": 1,
//     "database", "started", "finished", "collections": [{"name", "file",
//     "documents", "indexes": [index specifications as canonical
//     Extended JSON, as listIndexes gives them, without _id_]}]};
//   - then one collections/<name>.bson per collection: its documents as
//     concatenated BSON (the format mongodump's .bson files have, so
//     bsondump and mongorestore read them), in _id order.
//
// Consistency without transactions: each collection is read in _id order,
// in batches addressed by _id range ({_id: {$gt: last}}, sorted, limited),
// while the daemon goes on writing. Every document written before the
// backup started is in it, each document appears once in the state it had
// when its batch was read, and a document written meanwhile may or may not
// be. Turno's writes are single-document and idempotent, its keys natural
// (invariant 7), so a restored store is one a crash could have left: the
// daemon resumes from it as after a restart (an acknowledged mail is in
// it, an outbox entry claimed but not yet recorded sent is retried). A
// collection whose _ids mix BSON types (which a $gt range cannot walk) is
// read with one cursor in _id order instead.
//
// Restore loads into a store with no documents at all; with Force it
// first drops the collections the backup holds. It inserts each
// collection's documents (unordered batches), then creates its indexes,
// and checks the document counts against the manifest.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Format names the archive in its manifest; Version is the one written.
const (
	Format  = "turno-backup"
	Version = 1
)

const manifestName = "manifest.json"

// DefaultBatch is how many documents one _id-range read (and one insert)
// takes.
const DefaultBatch = 1000

// Manifest describes an archive.
type Manifest struct {
	Format      string       `json:"format"`
	Version     int          `json:"version"`
	Database    string       `json:"database"`
	Started     time.Time    `json:"started"`
	Finished    time.Time    `json:"finished"`
	Collections []Collection `json:"collections"`
}

// Collection is one collection in the archive.
type Collection struct {
	Name      string            `json:"name"`
	File      string            `json:"file"`
	Documents int64             `json:"documents"`
	Indexes   []json.RawMessage `json:"indexes"`
}

// Options tune Write and Restore.
type Options struct {
	// Batch is the documents per read and per insert; default DefaultBatch.
	Batch int
	// Force lets Restore replace the collections of a non-empty target.
	Force bool
	// Progress, if set, is told each collection as it is done.
	Progress func(name string, documents int64)
}

func (o Options) batch() int {
	if o.Batch <= 0 {
		return DefaultBatch
	}
	return o.Batch
}

// Write reads every collection of db (system collections excepted) and
// writes the archive to w.
func Write(ctx context.Context, db *mongo.Database, w io.Writer, opts Options) (*Manifest, error) {
	m := &Manifest{Format: Format, Version: Version, Database: db.Name(), Started: time.Now().UTC()}
	names, err := Collections(ctx, db)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "turno-backup-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	for _, name := range names {
		if strings.ContainsAny(name, "/\\") || name == ".." {
			return nil, fmt.Errorf("collection %q: a name this format cannot hold", name)
		}
		c := Collection{Name: name, File: "collections/" + name + ".bson", Indexes: []json.RawMessage{}}
		if c.Indexes, err = IndexSpecs(ctx, db.Collection(name)); err != nil {
			return nil, err
		}
		if c.Documents, err = dumpFile(ctx, db.Collection(name), filepath.Join(tmp, name+".bson"), opts.batch()); err != nil {
			return nil, err
		}
		if opts.Progress != nil {
			opts.Progress(name, c.Documents)
		}
		m.Collections = append(m.Collections, c)
	}
	m.Finished = time.Now().UTC()
	if err := writeArchive(w, m, tmp); err != nil {
		return nil, err
	}
	return m, nil
}

// dumpFile writes coll's documents in _id order to path.
func dumpFile(ctx context.Context, coll *mongo.Collection, path string, batch int) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := dump(ctx, coll, f, batch)
	if err != nil {
		return n, fmt.Errorf("read %s: %w", coll.Name(), err)
	}
	return n, f.Close()
}

func dump(ctx context.Context, coll *mongo.Collection, w io.Writer, batch int) (int64, error) {
	mixed, err := mixedIDTypes(ctx, coll)
	if err != nil {
		return 0, err
	}
	byID := bson.D{{Key: "_id", Value: 1}}
	if mixed {
		cur, err := coll.Find(ctx, bson.D{}, options.Find().SetSort(byID).SetBatchSize(int32(batch)))
		if err != nil {
			return 0, err
		}
		defer cur.Close(ctx)
		var n int64
		for cur.Next(ctx) {
			if _, err := w.Write(cur.Current); err != nil {
				return n, err
			}
			n++
		}
		return n, cur.Err()
	}
	var n int64
	var last bson.RawValue
	for {
		filter := bson.D{}
		if n > 0 {
			filter = bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: last}}}}
		}
		cur, err := coll.Find(ctx, filter, options.Find().SetSort(byID).SetLimit(int64(batch)))
		if err != nil {
			return n, err
		}
		got := 0
		for cur.Next(ctx) {
			if _, err := w.Write(cur.Current); err != nil {
				cur.Close(ctx)
				return n, err
			}
			last = cloneValue(cur.Current.Lookup("_id"))
			got++
			n++
		}
		err = cur.Err()
		cur.Close(ctx)
		if err != nil {
			return n, err
		}
		if got < batch {
			return n, nil
		}
	}
}

// mixedIDTypes reports whether coll's smallest and largest _id differ in
// BSON type (sort order puts types apart, so they do iff several types).
func mixedIDTypes(ctx context.Context, coll *mongo.Collection) (bool, error) {
	end := func(dir int) (bson.RawValue, bool, error) {
		raw, err := coll.FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "_id", Value: dir}}).
			SetProjection(bson.D{{Key: "_id", Value: 1}})).Raw()
		if errors.Is(err, mongo.ErrNoDocuments) {
			return bson.RawValue{}, false, nil
		}
		if err != nil {
			return bson.RawValue{}, false, err
		}
		return raw.Lookup("_id"), true, nil
	}
	lo, ok, err := end(1)
	if err != nil || !ok {
		return false, err
	}
	hi, _, err := end(-1)
	if err != nil {
		return false, err
	}
	return !sameBracket(lo, hi), nil
}

// sameBracket: numbers of any width compare with each other in a range.
func sameBracket(a, b bson.RawValue) bool {
	num := func(t bson.Type) bool {
		return t == bson.TypeInt32 || t == bson.TypeInt64 || t == bson.TypeDouble || t == bson.TypeDecimal128
	}
	return a.Type == b.Type || (num(a.Type) && num(b.Type))
}

func cloneValue(v bson.RawValue) bson.RawValue {
	v.Value = append([]byte(nil), v.Value...)
	return v
}

// writeArchive writes the manifest and then each collection's file.
func writeArchive(w io.Writer, m *Manifest, dir string) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(mj)), ModTime: m.Finished}); err != nil {
		return err
	}
	if _, err := tw.Write(mj); err != nil {
		return err
	}
	for _, c := range m.Collections {
		if err := addFile(tw, c.File, filepath.Join(dir, c.Name+".bson"), m.Finished); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func addFile(tw *tar.Writer, name, path string, mod time.Time) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: st.Size(), ModTime: mod}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}
