package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the driver FerretDB itself uses
)

// idIndexer makes `_id` lookups on the embedded store use an index.
//
// Why: FerretDB 1.24 (SQLite handler) indexes _id on the expression
// _ferretdb_sjson->"_id" but queries, updates and deletes by _id with
// _ferretdb_sjson->'$._id'. SQLite uses an expression index only for the
// same expression, so every lookup by _id scanned the table (measured: 27 ms
// per FindOne among 5,000 documents of 4 KB; 0.29 ms with the index below).
// Turno's hot paths are _id lookups by design, so the embedded store adds,
// for every collection table, an index on exactly the expression FerretDB
// queries with. FerretDB does not know about these indexes and needs not:
// dropping a collection drops its table and them with it.
//
// Collections appear whenever something first writes to them, so the write
// serializer kicks the indexer after commands that can create one; it also
// covers every database file at start.
type idIndexer struct {
	dir string
	// writes is the write serializer's lock: indexes are created while
	// no write command runs, so a write never waits on SQLite's lock
	// for an index build (nor an index build on a long write).
	writes *sync.Mutex
	log    *slog.Logger
	kick   chan string
	stop   chan struct{}
	done   chan struct{}

	mu  sync.Mutex
	dbs map[string]*sql.DB
}

func newIDIndexer(dir string, writes *sync.Mutex, log *slog.Logger) *idIndexer {
	x := &idIndexer{dir: dir, writes: writes, log: log, kick: make(chan string, 64), stop: make(chan struct{}),
		done: make(chan struct{}), dbs: map[string]*sql.DB{}}
	go x.run()
	return x
}

// touch asks for database name's tables to be checked soon. Never blocks.
func (x *idIndexer) touch(name string) {
	select {
	case x.kick <- name:
	default:
	}
}

func (x *idIndexer) run() {
	defer close(x.done)
	files, _ := filepath.Glob(filepath.Join(x.dir, "*.sqlite"))
	for _, f := range files {
		x.sync(strings.TrimSuffix(filepath.Base(f), ".sqlite"))
	}
	pending := map[string]bool{}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-x.stop:
			return
		case name := <-x.kick:
			pending[name] = true
		case <-tick.C:
			for name := range pending {
				x.sync(name)
				delete(pending, name)
			}
		}
	}
}

// sync indexes every collection table of one database that lacks it.
func (x *idIndexer) sync(name string) {
	if err := x.syncErr(name); err != nil {
		x.log.Debug("embedded store: _id lookup index", "database", name, "err", err)
	}
}

func (x *idIndexer) syncErr(name string) error {
	db, err := x.open(name)
	if err != nil || db == nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return err // no collection yet
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	x.writes.Lock()
	defer x.writes.Unlock()
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+"_turno_id", t)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index %s: %w", t, err)
		}
	}
	return nil
}

func (x *idIndexer) open(name string) (*sql.DB, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if db, ok := x.dbs[name]; ok {
		return db, nil
	}
	path := filepath.Join(x.dir, name+".sqlite")
	if _, err := os.Stat(path); err != nil {
		return nil, nil // not created yet
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	x.dbs[name] = db
	// A database FerretDB created since the start has SQLite's default
	// modes (0644): make it and its WAL private (perms.go).
	if err := privatize(x.dir); err != nil {
		x.log.Warn("embedded store: make new database files private", "database", name, "err", err)
	}
	return db, nil
}

func (x *idIndexer) close() {
	close(x.stop)
	<-x.done
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, db := range x.dbs {
		_ = db.Close()
	}
}
