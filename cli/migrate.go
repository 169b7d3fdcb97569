package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"turno/daemon"
	"turno/migrate"
	"turno/store"
)

// newMigrateCmd is `turno migrate --to URI`: package migrate copies the
// configured database (the embedded store, normally) into the MongoDB at
// URI, and with --verify compares the two.
func newMigrateCmd(e *env) *cobra.Command {
	var to, database string
	var batch int
	var force, verify, verifyOnly bool
	cmd := &cobra.Command{
		Use:   "migrate --to mongodb://HOST/",
		Short: "Copy the database into a MongoDB (turno serve stopped), resumably, and verify it",
		Long: `Copy every collection of the configured database (the embedded store under
data_dir, or the MongoDB of mongodb.uri) with its indexes into the MongoDB at
--to: tickets, clients, billing, the outbox, raw mail, and the settings
(the Message-ID key among them). Run it with turno serve stopped: with the
embedded store the data directory's lock refuses to open while serve runs.

Documents are written as upserts by _id and the progress of each collection
is recorded in the target (collection _turno_migrate), so a run that was
interrupted, even killed, continues where it stopped when run again. A
target holding documents but no migration of this source is refused;
--force starts over, dropping the source's collections (and the record of
the migration) from the target first.

--verify then compares every collection in both: its document count and a
SHA-256 over its _ids, printing a table; any difference exits non-zero.
--verify-only compares without copying. Afterwards set mongodb.uri (and
mongodb.database, if --database differs) to the target and start turno serve.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if to == "" {
				return errors.New("--to mongodb://... is required: the MongoDB to copy into")
			}
			cfg, err := e.load()
			if err != nil {
				return err
			}
			ctx := context.Background()
			opts := daemon.StoreOptions(cfg, e.logger(cfg))
			opts.Shared = false // never through a running serve: the source must stand still
			src, err := store.Open(ctx, opts)
			if err != nil {
				if cfg.MongoDB.URI == "" {
					return fmt.Errorf("open the source (turno migrate needs turno serve stopped): %w", err)
				}
				return fmt.Errorf("open the source: %w", err)
			}
			defer func() { _ = src.Close(context.Background()) }()
			if database == "" {
				database = src.DB.Name()
			}
			if to == src.URI && database == src.DB.Name() {
				return errors.New("--to names the source database itself")
			}
			dst, err := store.Open(ctx, store.Options{URI: to, Database: database, ConnectTimeout: opts.ConnectTimeout, Logger: opts.Logger})
			if err != nil {
				return fmt.Errorf("open the target: %w", err)
			}
			defer func() { _ = dst.Close(context.Background()) }()

			if !verifyOnly {
				if err := e.migrateCopy(ctx, src, dst, migrate.Options{Batch: batch, Force: force, Source: src.Location}); err != nil {
					return err
				}
			}
			if verify || verifyOnly {
				return e.migrateVerify(ctx, src, dst)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&to, "to", "", "the target MongoDB's URI (mongodb://USER:PASSWORD@HOST/?replicaSet=...)")
	f.StringVar(&database, "database", "", "the target database (default: the source's, mongodb.database or turno)")
	f.IntVar(&batch, "batch", migrate.DefaultBatch, "documents per bulk write")
	f.BoolVar(&force, "force", false, "start over: drop the source's collections and the migration record from the target first")
	f.BoolVar(&verify, "verify", false, "after copying, compare counts and _ids of every collection; non-zero exit on any difference")
	f.BoolVar(&verifyOnly, "verify-only", false, "compare without copying")
	return cmd
}

func (e *env) migrateCopy(ctx context.Context, src, dst *store.Store, opts migrate.Options) error {
	opts.Progress = func(name string, n, resumed int64) {
		switch {
		case resumed == n && n > 0:
			fmt.Fprintf(e.stderr, "%s: %d documents (copied before)\n", name, n)
		case resumed > 0:
			fmt.Fprintf(e.stderr, "%s: %d documents (%d copied before)\n", name, n, resumed)
		default:
			fmt.Fprintf(e.stderr, "%s: %d documents\n", name, n)
		}
	}
	res, err := migrate.Copy(ctx, src.DB, dst.DB, opts)
	if err != nil {
		return fmt.Errorf("%w (run the same command again to continue)", err)
	}
	var docs int64
	for _, c := range res.Collections {
		docs += c.Documents
	}
	_, err = fmt.Fprintf(e.stdout, "migrated %d collections, %d documents, from %s to %s (database %s)\n",
		len(res.Collections), docs, src.Location, dst.Location, dst.DB.Name())
	return err
}

func (e *env) migrateVerify(ctx context.Context, src, dst *store.Store) error {
	checks, err := migrate.Verify(ctx, src.DB, dst.DB)
	if err != nil {
		return err
	}
	tw := newTable(e.stdout, "COLLECTION\tSOURCE\tTARGET\tIDS\tRESULT")
	var bad []string
	for _, c := range checks {
		ids, result := "same", "ok"
		if c.SourceHash != c.TargetHash {
			ids = "differ"
		}
		if !c.OK() {
			result = "DIFFERENT"
			bad = append(bad, c.Name)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", c.Name, c.Source, c.Target, ids, result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("verify: %d of %d collections differ: %s", len(bad), len(checks), strings.Join(bad, ", "))
	}
	_, err = fmt.Fprintf(e.stdout, "verify: all %d collections match\n", len(checks))
	return err
}
