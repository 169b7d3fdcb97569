package testenv

import (
	"context"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/store"
)

// Store starts an embedded store in a fresh temp dir and returns it; the
// database is named after the test, so several stores or a shared one never
// mix data. It is closed when the test ends.
func Store(t testing.TB) *store.Store {
	t.Helper()
	return StoreAt(t, t.TempDir())
}

// StoreAt is Store with a chosen data directory, for tests that restart the
// store on the same files.
func StoreAt(t testing.TB, dataDir string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, store.Options{
		DataDir:  dataDir,
		Database: DBName(t),
		Logger:   Logger(t),
	})
	if err != nil {
		t.Fatalf("start embedded store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}

// DB is Store(t).DB.
func DB(t testing.TB) *mongo.Database {
	t.Helper()
	return Store(t).DB
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// DBName is a database name derived from the test's name.
func DBName(t testing.TB) string {
	n := unsafeName.ReplaceAllString(t.Name(), "_")
	if len(n) > 48 {
		n = n[len(n)-48:]
	}
	return "t_" + strings.Trim(n, "_")
}

// Logger discards, or with -v writes debug lines to stderr. (Not t.Log:
// servers under test log from goroutines that may outlive the test.)
func Logger(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
}
