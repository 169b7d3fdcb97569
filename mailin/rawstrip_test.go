package mailin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/internal/testenv"
)

// TestStripBodyLeavesOnlyTheHeader: a stored message that quotes a secret
// keeps its header and loses its body, in every GridFS chunk; the hash
// still counts as stored; stripping again, or twice at once, is harmless.
func TestStripBodyLeavesOnlyTheHeader(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	rs := NewRawStore(db)
	secret := "https://portal.example/clave?token=s3cr3t-0123456789"
	head := "From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\n\r\n"
	// Larger than one batch of chunks, the secret in the last one.
	msg := []byte(head + strings.Repeat("x", 2*rawBatch) + "\r\n" + secret + "\r\n")
	sum := sha256.Sum256(msg)
	hash := hex.EncodeToString(sum[:])
	if _, err := rs.Put(ctx, hash, int64(len(msg)), bytes.NewReader(msg), time.Now()); err != nil {
		t.Fatal(err)
	}
	if !chunksContain(t, rs, secret) {
		t.Fatal("the test secret is not in the chunks to begin with")
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = rs.StripBody(ctx, hash) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if again, err := rs.StripBody(ctx, hash); err != nil || again {
		t.Fatalf("stripping again: %v %v", again, err)
	}
	if chunksContain(t, rs, secret) || chunksContain(t, rs, "xxxxxxxx") {
		t.Fatal("the body is still in GridFS")
	}
	rc, n, err := rs.Open(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != head || n != int64(len(head)) {
		t.Fatalf("stripped copy %q (%d)", got, n)
	}
	if files, _ := rs.files.CountDocuments(ctx, bson.D{}); files != 1 {
		t.Fatalf("%d GridFS files left, want the stripped copy only", files)
	}
	if ok, _ := rs.Has(ctx, hash); !ok {
		t.Fatal("the stripped message no longer counts as stored")
	}
	if created, _ := rs.Put(ctx, hash, int64(len(msg)), bytes.NewReader(msg), time.Now()); created || chunksContain(t, rs, secret) {
		t.Fatal("a second copy of the message was stored in full")
	}
	if ok, err := rs.StripBody(ctx, "unknown"); ok || err != nil {
		t.Fatalf("unknown hash: %v %v", ok, err)
	}
}

// chunksContain scans every GridFS chunk of the raw bucket for s (also
// across a chunk boundary).
func chunksContain(t *testing.T, rs *RawStore, s string) bool {
	t.Helper()
	cur, err := rs.chunks.Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var chunks []struct {
		FilesID bson.ObjectID `bson:"files_id"`
		N       int32         `bson:"n"`
		Data    []byte        `bson:"data"`
	}
	if err := cur.All(context.Background(), &chunks); err != nil {
		t.Fatal(err)
	}
	byFile := map[bson.ObjectID][][]byte{}
	for _, c := range chunks {
		for int(c.N) >= len(byFile[c.FilesID]) {
			byFile[c.FilesID] = append(byFile[c.FilesID], nil)
		}
		byFile[c.FilesID][c.N] = c.Data
	}
	for _, parts := range byFile {
		if bytes.Contains(bytes.Join(parts, nil), []byte(s)) {
			return true
		}
	}
	return false
}
