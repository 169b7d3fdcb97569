package store

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// embedded is an in-process FerretDB on a loopback port.
type embedded struct {
	dir    string
	uri    string
	lock   *os.File
	proxy  *writeSerializer
	ids    *idIndexer
	cancel context.CancelFunc
	done   chan struct{}
}

// startEmbedded starts FerretDB with its SQLite files in dataDir/db. A lock
// file keeps a second process from opening the same files.
func startEmbedded(dataDir string, logger *slog.Logger) (*embedded, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	dir := filepath.Join(abs, "db")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:  "sqlite",
		// FerretDB wants a directory URI ending in a slash.
		SQLiteURL: (&url.URL{Scheme: "file", Opaque: filepath.ToSlash(dir) + "/"}).String(),
		// FerretDB logs whole error responses (duplicate keys included) at
		// WARN; those are expected answers here, not events. DiscardHandler,
		// not a TextHandler on io.Discard: FerretDB calls Logger.With(args)
		// on every SQL statement before its disabled Debug call, and a
		// TextHandler formats those attributes eagerly in WithAttrs, which
		// for an insert is every document as quoted, escaped JSON (measured:
		// 317 MB of garbage for one 25 MB raw message).
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("start embedded store in %s: %w", dir, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &embedded{dir: dir, lock: lock, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		_ = f.Run(ctx)
	}()
	backend, err := url.Parse(f.MongoDBURI())
	if err != nil {
		e.stop()
		return nil, fmt.Errorf("start embedded store: %w", err)
	}
	// One write lock for the proxy and the indexer: an index is created
	// between write commands, never beside one.
	writes := &sync.Mutex{}
	e.ids = newIDIndexer(dir, writes, logger)
	proxy, err := startSerializer(backend.Host, writes, e.ids.touch)
	if err != nil {
		e.stop()
		return nil, err
	}
	e.proxy = proxy
	e.uri = "mongodb://" + proxy.addr() + "/"
	return e, nil
}

func (e *embedded) stop() {
	if e.proxy != nil {
		e.proxy.close()
	}
	if e.ids != nil {
		e.ids.close()
	}
	e.cancel()
	<-e.done
	_ = e.lock.Close()
}

// lockDir takes an exclusive, non-blocking flock on dir/turno.lock; the kernel
// releases it if the process dies.
func lockDir(dir string) (*os.File, error) {
	p := filepath.Join(dir, "turno.lock")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(p)
		_ = f.Close()
		return nil, fmt.Errorf("data directory %s is in use by another turno process (pid %s); stop it or set a different data_dir",
			filepath.Dir(dir), strings.TrimSpace(string(holder)))
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}
