package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"turno/backup"
)

// newBackupCmd is `turno backup FILE`; newRestoreCmd is `turno restore
// FILE`. The format is package backup's (a gzip'd tar: manifest.json, then
// one BSON stream per collection).
func newBackupCmd(e *env) *cobra.Command {
	var batch int
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a snapshot of every collection to FILE while turno serve runs",
		Long: `Write every collection of the configured database, with its indexes, to
FILE: a gzip-compressed tar holding manifest.json and one BSON file per
collection (collections/NAME.bson, documents in _id order, as mongodump
writes them). turno serve may go on running: everything stored before the
backup started is in it. FILE is written beside itself and renamed when
complete, so a failed backup never leaves a partial FILE. Load it with
"turno restore FILE".`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			ctx := context.Background()
			st, _, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer func() { _ = st.Close(context.Background()) }()
			path := args[0]
			tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
			if err != nil {
				return err
			}
			defer os.Remove(tmp.Name())
			m, err := backup.Write(ctx, st.DB, tmp, backup.Options{Batch: batch, Progress: func(name string, n int64) {
				fmt.Fprintf(e.stderr, "%s: %d documents\n", name, n)
			}})
			if err != nil {
				tmp.Close()
				return err
			}
			if err := tmp.Sync(); err != nil {
				tmp.Close()
				return err
			}
			if err := tmp.Close(); err != nil {
				return err
			}
			if err := os.Rename(tmp.Name(), path); err != nil {
				return err
			}
			var docs int64
			for _, c := range m.Collections {
				docs += c.Documents
			}
			_, err = fmt.Fprintf(e.stdout, "backup %s: %d collections, %d documents of database %s\n", path, len(m.Collections), docs, m.Database)
			return err
		},
	}
	cmd.Flags().IntVar(&batch, "batch", backup.DefaultBatch, "documents per read")
	return cmd
}

func newRestoreCmd(e *env) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Load a backup into the configured database, which must be empty",
		Long: `Load FILE, written by "turno backup", into the configured database: the
embedded store under data_dir or the MongoDB of mongodb.uri. A database that
holds any document is refused unless --force, which drops the collections
the backup holds before loading them. Restore with turno serve stopped.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			ctx := context.Background()
			st, _, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer func() { _ = st.Close(context.Background()) }()
			m, err := backup.Restore(ctx, st.DB, f, backup.Options{Force: force, Progress: func(name string, n int64) {
				fmt.Fprintf(e.stderr, "%s: %d documents\n", name, n)
			}})
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "restored %d collections from %s (database %s, taken %s)\n",
				len(m.Collections), args[0], m.Database, e.when(m.Started))
			return err
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace the backup's collections in a database that is not empty")
	return cmd
}
