package store_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/internal/testenv"
	"turno/store"
)

// loose lists what under dir allows more than owner-only access: files
// beyond 0600, directories beyond 0700. Sockets are left out: they live in
// run/ (0700), and FerretDB creates its own after the start's pass.
func loose(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a WAL closed while we walked
		}
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSocket != 0 {
			return nil
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm()&^want != 0 {
			out = append(out, p+" "+fi.Mode().String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// With a umask that takes nothing away, the data directory the store
// creates is 0700, so is every directory in it, and every file in it is
// 0600: the lock, the SQLite database files of the first database and of
// one created later (with their WAL), across a restart.
func TestEmbeddedFilesArePrivateWhateverTheUmask(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
	ctx := context.Background()
	parent := t.TempDir()
	if err := os.Chmod(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "new", "turno-data")
	open := func() *store.Store {
		s, err := store.Open(ctx, store.Options{DataDir: dir, Database: "turno", Logger: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	for _, name := range []string{"turno", "later"} {
		if _, err := s.Client.Database(name).Collection("things").InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"turno.sqlite", "later.sqlite", "turno.lock"} {
		if _, err := os.Stat(filepath.Join(dir, "db", name)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// The store fixes a new database's files when it first sees it (its
	// index pass, kicked by the write); wait for that, within a bound.
	deadline := time.Now().Add(20 * time.Second)
	for l := loose(t, filepath.Join(parent, "new")); len(l) > 0; l = loose(t, filepath.Join(parent, "new")) {
		if time.Now().After(deadline) {
			t.Fatalf("open to other users with umask 0: %s", strings.Join(l, ", "))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = open()
	defer s.Close(ctx)
	if l := loose(t, filepath.Join(parent, "new")); len(l) > 0 {
		t.Fatalf("after a restart: %s", strings.Join(l, ", "))
	}
}

// A db directory others can enter (0750, as older versions created it),
// or a data directory others can write, is refused with the command that
// fixes it; after the chmod the store starts. Files an older version left
// 0644 are made 0600 at start.
func TestEmbeddedRefusesADataDirOthersCanRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	if err := os.Mkdir(db, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(db, "turno.lock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(db, "turno.lock"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		mode fs.FileMode
	}{{db, 0o750}, {db, 0o701}, {dir, 0o777}, {dir, 0o770}} {
		if err := os.Chmod(c.path, c.mode); err != nil {
			t.Fatal(err)
		}
		_, err := store.Open(ctx, store.Options{DataDir: dir, Logger: testenv.Logger(t)})
		if !errors.Is(err, store.ErrNotPrivate) || !strings.Contains(err.Error(), "chmod 700 "+c.path) {
			t.Fatalf("%s at %04o: %v; want a refusal naming `chmod 700 %s`", c.path, c.mode, err, c.path)
		}
		if err := os.Chmod(c.path, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil { // readable data dir: a warning only; db is what matters
		t.Fatal(err)
	}
	s, err := store.Open(ctx, store.Options{DataDir: dir, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatalf("after chmod 700: %v", err)
	}
	defer s.Close(ctx)
	if l := loose(t, db); len(l) > 0 {
		t.Fatalf("left open at start: %s", strings.Join(l, ", "))
	}
}
