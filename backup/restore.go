package backup

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ErrNotEmpty is Restore's refusal of a target that holds documents.
var ErrNotEmpty = errors.New("the target database is not empty")

// maxDocument bounds one document read from an archive (MongoDB's 16 MiB
// plus room).
const maxDocument = 17 << 20

// Restore loads the archive r into db: refused (ErrNotEmpty, nothing
// written) when db holds documents, unless opts.Force, which drops the
// collections the archive holds first.
func Restore(ctx context.Context, db *mongo.Database, r io.Reader, opts Options) (*Manifest, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a turno backup (gzip): %w", err)
	}
	tr := tar.NewReader(zr)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != manifestName {
		return nil, errors.New("not a turno backup: it does not start with manifest.json")
	}
	var m Manifest
	if err := json.NewDecoder(tr).Decode(&m); err != nil {
		return nil, fmt.Errorf("read manifest.json: %w", err)
	}
	if m.Format != Format || m.Version < 1 || m.Version > Version {
		return nil, fmt.Errorf("not a backup this turno reads (format %q version %d; want %q up to %d)", m.Format, m.Version, Format, Version)
	}
	byFile := map[string]Collection{}
	for _, c := range m.Collections {
		byFile[c.File] = c
	}

	if err := checkTarget(ctx, db, m, opts.Force); err != nil {
		return nil, err
	}

	loaded := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read the archive: %w", err)
		}
		c, ok := byFile[hdr.Name]
		if !ok {
			return nil, fmt.Errorf("the archive holds %s, which its manifest does not name", hdr.Name)
		}
		n, err := load(ctx, db.Collection(c.Name), tr, opts.batch())
		if err != nil {
			return nil, fmt.Errorf("restore %s: %w", c.Name, err)
		}
		if n != c.Documents {
			return nil, fmt.Errorf("restore %s: %d documents in the archive, the manifest says %d", c.Name, n, c.Documents)
		}
		if err := CreateIndexes(ctx, db, c.Name, c.Indexes); err != nil {
			return nil, err
		}
		loaded[c.Name] = true
		if opts.Progress != nil {
			opts.Progress(c.Name, n)
		}
	}
	for _, c := range m.Collections {
		if !loaded[c.Name] {
			return nil, fmt.Errorf("the archive lacks %s (truncated?)", c.File)
		}
	}
	return &m, nil
}

// checkTarget refuses a target with documents, or with force drops the
// archive's collections from it.
func checkTarget(ctx context.Context, db *mongo.Database, m Manifest, force bool) error {
	names, err := Collections(ctx, db)
	if err != nil {
		return fmt.Errorf("the target: %w", err)
	}
	var full []string
	for _, name := range names {
		n, err := db.Collection(name).CountDocuments(ctx, bson.D{}, options.Count().SetLimit(1))
		if err != nil {
			return fmt.Errorf("count %s: %w", name, err)
		}
		if n > 0 {
			full = append(full, name)
		}
	}
	if len(full) > 0 && !force {
		return fmt.Errorf("%w (%s has documents): restore into an empty store, or pass --force to replace the backup's collections", ErrNotEmpty, strings.Join(full, ", "))
	}
	if force {
		for _, c := range m.Collections {
			if err := db.Collection(c.Name).Drop(ctx); err != nil {
				return fmt.Errorf("drop %s: %w", c.Name, err)
			}
		}
	}
	return nil
}

// load inserts a stream of BSON documents into coll in unordered batches.
func load(ctx context.Context, coll *mongo.Collection, r io.Reader, batch int) (int64, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var n int64
	docs := make([]any, 0, batch)
	flush := func() error {
		if len(docs) == 0 {
			return nil
		}
		_, err := coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		docs = docs[:0]
		return err
	}
	for {
		var size [4]byte
		if _, err := io.ReadFull(br, size[:]); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return n, fmt.Errorf("document %d: %w", n+1, err)
		}
		l := binary.LittleEndian.Uint32(size[:])
		if l < 5 || l > maxDocument {
			return n, fmt.Errorf("document %d: a length of %d bytes is not BSON", n+1, l)
		}
		doc := make(bson.Raw, l)
		copy(doc, size[:])
		if _, err := io.ReadFull(br, doc[4:]); err != nil {
			return n, fmt.Errorf("document %d: %w", n+1, err)
		}
		if err := doc.Validate(); err != nil {
			return n, fmt.Errorf("document %d: %w", n+1, err)
		}
		docs = append(docs, doc)
		n++
		if len(docs) == batch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := flush(); err != nil {
		return n, err
	}
	if n == 0 {
		// An empty collection is still restored, with its indexes.
		if err := coll.Database().CreateCollection(ctx, coll.Name()); err != nil && !alreadyExists(err) {
			return 0, err
		}
	}
	return n, nil
}

func alreadyExists(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && (ce.Code == 48 || ce.Name == "NamespaceExists")
}
