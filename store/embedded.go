package store

import (
	"context"
	"errors"
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
// file keeps a second process from opening the same files. The directories
// are created 0700 and every file in db made 0600 (perms.go); a db
// directory open to other users is refused.
func startEmbedded(dataDir string, logger *slog.Logger) (*embedded, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	dir := filepath.Join(abs, "db")
	if err := makePrivateDir(dir); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := checkPrivate(abs, dir, logger); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	run, err := socketDir(dir)
	if err == nil {
		// Before FerretDB opens them: SQLite gives a database's journal
		// and WAL the database file's mode.
		err = privatize(dir)
	}
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	f, err := ferretdb.New(&ferretdb.Config{
		// A Unix socket in a directory only this user can enter: no other
		// local user can reach the store, and nothing reaches FerretDB
		// but through the write serializer.
		Listener: ferretdb.ListenerConfig{Unix: filepath.Join(run, "ferretdb.sock")},
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
	// One write lock for the proxy and the indexer: an index is created
	// between write commands, never beside one.
	writes := &sync.Mutex{}
	e.ids = newIDIndexer(dir, writes, logger)
	proxy, err := startSerializer(filepath.Join(run, "turno.sock"), filepath.Join(run, "ferretdb.sock"), writes, e.ids.touch)
	if err != nil {
		e.stop()
		return nil, err
	}
	e.proxy = proxy
	e.uri = socketURI(proxy.addr())
	return e, nil
}

// maxSocketPath is the longest Unix socket path every platform accepts
// (sun_path is 104 bytes on the BSDs, 108 on Linux, with its NUL).
const maxSocketPath = 100

// socketDir is where the embedded store's sockets live: dir/run, mode
// 0700, or, when that path is too long for a socket, a private directory
// under the system's temporary directory; its path is written to
// dir/socket-dir so that admin commands find it (see connectRunning).
func socketDir(dir string) (string, error) {
	run := filepath.Join(dir, "run")
	pointer := filepath.Join(dir, "socket-dir")
	if len(filepath.Join(run, "ferretdb.sock")) > maxSocketPath {
		_ = os.RemoveAll(readPointer(pointer)) // a dead process's
		tmp, err := os.MkdirTemp("", "turno-")
		if err != nil {
			return "", fmt.Errorf("embedded store sockets: %w", err)
		}
		run = tmp
	} else if err := os.MkdirAll(run, 0o700); err != nil {
		return "", fmt.Errorf("embedded store sockets: %w", err)
	}
	if err := os.Chmod(run, 0o700); err != nil {
		return "", fmt.Errorf("embedded store sockets: %w", err)
	}
	for _, name := range []string{"ferretdb.sock", "turno.sock"} {
		_ = os.Remove(filepath.Join(run, name)) // left by a process that died; we hold the lock
	}
	if err := os.WriteFile(pointer, []byte(run+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("embedded store sockets: %w", err)
	}
	return run, nil
}

func readPointer(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// socketURI is the driver's URI for a Unix socket: its path, escaped, as
// the host.
func socketURI(path string) string {
	return "mongodb://" + url.PathEscape(path) + "/"
}

// runningURI returns the URI of the embedded store that the process holding
// dataDir serves, or "" when it has left no socket.
func runningURI(dataDir string) string {
	dir := filepath.Join(dataDir, "db")
	run := readPointer(filepath.Join(dir, "socket-dir"))
	if run == "" {
		return ""
	}
	sock := filepath.Join(run, "turno.sock")
	if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
		return ""
	}
	return socketURI(sock)
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

// errInUse: another process holds the data directory.
var errInUse = errors.New("in use by another turno process")

// lockDir takes an exclusive, non-blocking flock on dir/turno.lock; the kernel
// releases it if the process dies.
func lockDir(dir string) (*os.File, error) {
	p := filepath.Join(dir, "turno.lock")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(p)
		_ = f.Close()
		return nil, fmt.Errorf("data directory %s is %w (pid %s); stop it or set a different data_dir",
			filepath.Dir(dir), errInUse, strings.TrimSpace(string(holder)))
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}
