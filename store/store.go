// Package store owns the connection to MongoDB and its embedded stand-in.
//
// With a URI it connects to that server; without one it starts FerretDB (SQLite
// handler) in-process with its files under the data directory, behind a
// write-serializing proxy; both listen on Unix sockets in a directory only
// Turno's user can enter (mode 0700), and the driver talks to the proxy over
// the wire like to any MongoDB. While a turno serve holds the data
// directory, admin commands (Options.Shared) reach its store through the
// proxy's socket, found through the data directory.
// Either way callers get a *mongo.Database and nothing else differs.
//
// It also owns two things every package needs: index declarations (each
// package lists the indexes it relies on; EnsureIndexes creates them
// idempotently at start) and leases (the "leases" collection), the
// leadership primitive for mailboxes and the scheduler.
//
// Turno uses no transactions (DESIGN.md, invariant 7): correctness comes from
// unique keys, idempotent upserts and single-document atomic updates, so a
// standalone server, a replica set and the embedded store behave the same.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Options configure Open. Zero values mean defaults.
type Options struct {
	// URI of a MongoDB server. Empty: start the embedded store in DataDir.
	URI string
	// Database name; default "turno".
	Database string
	// DataDir holds the embedded store's files (in DataDir/db); default
	// "./turno-data". Unused with a URI.
	DataDir string
	// ConnectTimeout bounds the first contact with the server; default 10s.
	ConnectTimeout time.Duration
	// Logger for the store's own events; default slog.Default().
	Logger *slog.Logger
	// Shared: when another process (a running turno serve) holds DataDir's
	// embedded store, connect to it through its socket instead of
	// failing. Admin commands set it; serve does not, so two daemons never
	// share one data directory.
	Shared bool
}

// Store is an open database.
type Store struct {
	Client *mongo.Client
	DB     *mongo.Database
	// URI is the connection string in use; for the embedded store it is the
	// loopback address other processes (tests, a second turno) can share.
	URI string
	// Location says where the data are, for logs: the embedded store's
	// directory or the server's address with credentials removed.
	Location string

	embedded *embedded
}

// Open connects to the configured database (or starts the embedded one) and
// checks that it answers within the connect timeout. On error nothing is left
// running.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Database == "" {
		opts.Database = "turno"
	}
	if opts.DataDir == "" {
		opts.DataDir = "./turno-data"
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Store{}
	uri := opts.URI
	if uri == "" {
		e, err := startEmbedded(opts.DataDir, opts.Logger)
		switch {
		case errors.Is(err, errInUse) && opts.Shared && runningURI(opts.DataDir) != "":
			uri = runningURI(opts.DataDir)
			s.Location = filepath.Join(opts.DataDir, "db") + " (through the running turno)"
		case err != nil:
			return nil, err
		default:
			s.embedded = e
			uri = e.uri
			s.Location = e.dir
		}
	} else {
		s.Location = RedactURI(uri)
	}
	s.URI = uri
	client, err := mongo.Connect(options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(opts.ConnectTimeout).
		SetConnectTimeout(opts.ConnectTimeout).
		SetAppName("turno"))
	if err != nil {
		s.closeEmbedded()
		return nil, fmt.Errorf("connect to MongoDB at %s: %w", s.Location, err)
	}
	s.Client = client
	s.DB = client.Database(opts.Database)
	pctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	if err := s.Ping(pctx); err != nil {
		_ = client.Disconnect(context.Background())
		s.closeEmbedded()
		if errors.Is(err, context.DeadlineExceeded) || mongo.IsTimeout(err) || errors.Is(pctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("MongoDB at %s did not answer within %s", s.Location, opts.ConnectTimeout)
		}
		return nil, fmt.Errorf("connect to MongoDB at %s: %w", s.Location, err)
	}
	return s, nil
}

// Embedded reports whether this is the in-process store.
func (s *Store) Embedded() bool { return s.embedded != nil }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.DB.RunCommand(ctx, map[string]int{"ping": 1}).Err()
}

// Close disconnects and, for the embedded store, stops it.
func (s *Store) Close(ctx context.Context) error {
	err := s.Client.Disconnect(ctx)
	s.closeEmbedded()
	return err
}

func (s *Store) closeEmbedded() {
	if s.embedded != nil {
		s.embedded.stop()
	}
}

// RedactURI removes the password from a MongoDB URI, for messages and logs.
func RedactURI(uri string) string {
	if rest, ok := strings.CutPrefix(uri, "mongodb://%2F"); ok {
		// A Unix socket path (the embedded store's): no credentials.
		host, _, _ := strings.Cut(rest, "/")
		if p, err := url.PathUnescape("%2F" + host); err == nil {
			return "mongodb://" + p
		}
	}
	u, err := url.Parse(uri)
	if err != nil {
		return "(unparsable URI)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.RawQuery = ""
	return u.Redacted()
}
