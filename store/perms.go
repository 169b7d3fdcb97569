package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// Permissions of the embedded store's files. The store keeps mail, hashes
// of tokens and invoices: only Turno's user may read them, whatever the
// umask. Every directory the store creates is 0700 and every file in
// DataDir/db 0600, set by chmod right after creation (files SQLite creates
// for a new database are fixed when the store first sees that database;
// until then they sit in a directory no other user can enter). A db
// directory other users can enter, or a data directory they can write
// (and so swap db for their own), is refused: see checkPrivate.

// ErrNotPrivate is returned by Open when the embedded store's directory is
// open to other users.
var ErrNotPrivate = errors.New("open to other users")

// makePrivateDir creates dir and any missing parent with mode 0700, chmod
// after each create so the umask does not matter. Directories that already
// exist are left as they are (checkPrivate judges them).
func makePrivateDir(dir string) error {
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		p := missing[i]
		if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := os.Chmod(p, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// checkPrivate refuses a db directory that group or others may read, write
// or enter (mode & 0o077), and a data directory they may write (they could
// replace db). A data directory they may only read or enter is logged: what
// it holds is in db, which they cannot enter.
func checkPrivate(dataDir, dbDir string, log *slog.Logger) error {
	fi, err := os.Stat(dbDir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("the embedded store's directory %s is %w (mode %04o): it holds the mail, "+
			"clients and invoices; run `chmod 700 %s` and start again", dbDir, ErrNotPrivate, m, dbDir)
	}
	fi, err = os.Stat(dataDir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	m := fi.Mode().Perm()
	if m&0o022 != 0 {
		return fmt.Errorf("data directory %s is %w: others may write in it (mode %04o) and replace the store; "+
			"run `chmod 700 %s` and start again", dataDir, ErrNotPrivate, m, dataDir)
	}
	if m&0o077 != 0 && log != nil {
		log.Warn("the data directory is readable by other users; its store is not, but `chmod 700` it",
			"dir", dataDir, "mode", fmt.Sprintf("%04o", m))
	}
	return nil
}

// privatize makes every file in dir (and in its subdirectories) 0600 and
// every subdirectory 0700, where they allow more: files of an older
// version, and those SQLite created for a new database with its default
// 0644. Symbolic links are left alone.
func privatize(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walked (a closed WAL)
			}
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm()&^want == 0 {
			return nil
		}
		if err := os.Chmod(p, want); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
}
