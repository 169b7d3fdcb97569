package devmail

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// The mailbox on disk, under Options.MailboxDir:
//
//	state.json                every folder and message but the bytes (diskState)
//	<uidvalidity>/<uid>.eml   each message as the server holds it
//
// A message's file is written before state.json names it, and state.json is
// replaced by a rename, so a crash leaves the last complete snapshot. A
// snapshot reads the running server over IMAP like any client (with PEEK, so
// it changes nothing): go-imap's in-memory server has no other way to list
// its messages. A load appends the messages back in UID order, filling each
// gap with a placeholder it then expunges, so every message gets its old UID
// and every folder its old UIDNEXT; folders are created in UIDVALIDITY order,
// burning numbers with a throwaway folder, so each gets its old UIDVALIDITY.
// After a crash (state.json not marked clean) UIDNEXT is moved uncleanUIDGap
// forward: UIDs the server handed out after the last snapshot are never
// handed out again for a different message.
const (
	stateFile        = "state.json"
	stateVersion     = 1
	uncleanUIDGap    = 1000
	burnFolder       = ".turno-uidvalidity"
	snapshotDeadline = time.Minute
)

type diskState struct {
	Version int `json:"version"`
	// Clean: written by a graceful stop, nothing can have changed after it.
	Clean bool `json:"clean"`
	// LastUIDValidity is the highest UIDVALIDITY handed out, so that a
	// folder deleted and created again gets a new one.
	LastUIDValidity uint32       `json:"last_uid_validity"`
	Folders         []diskFolder `json:"folders"`
}

type diskFolder struct {
	Name        string        `json:"name"`
	UIDValidity uint32        `json:"uid_validity"`
	UIDNext     uint32        `json:"uid_next"`
	Subscribed  bool          `json:"subscribed,omitempty"`
	Messages    []diskMessage `json:"messages"`
}

type diskMessage struct {
	UID          uint32    `json:"uid"`
	Flags        []string  `json:"flags,omitempty"`
	InternalDate time.Time `json:"internal_date"`
}

// diskStore keeps one user's mailbox in dir. Only the saver calls
// snapshot, one at a time.
type diskStore struct {
	dir              string
	log              *slog.Logger
	addr, user, pass string // the IMAP server a snapshot reads
	last             uint32
	// onDisk: the message files written, by folder UIDVALIDITY.
	onDisk map[uint32]map[imap.UID]bool
	loaded *diskState // what loadMailbox restored, until begin
}

// loadMailbox fills user from dir (an empty or missing dir: one empty
// INBOX). It changes nothing on disk until begin.
func loadMailbox(dir string, user *imapmemserver.User, log *slog.Logger) (*diskStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dev mailbox directory: %w", err)
	}
	st := &diskStore{dir: dir, log: log, onDisk: map[uint32]map[imap.UID]bool{}}
	state, err := readState(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	if state == nil {
		state = &diskState{Version: stateVersion, Clean: true}
	}
	if err := st.restore(user, state); err != nil {
		return nil, fmt.Errorf("load the dev mailbox from %s: %w (move the directory away to start with an empty mailbox)", dir, err)
	}
	st.loaded = state
	return st, nil
}

// begin marks the state on disk as not clean, until the next graceful stop,
// and removes what a crash may have left: call it once the servers are about
// to serve.
func (st *diskStore) begin() error {
	state := st.loaded
	state.Clean = false
	if err := writeState(st.dir, state); err != nil {
		return err
	}
	if err := st.removeStray(); err != nil {
		return err
	}
	n := 0
	for _, f := range state.Folders {
		n += len(f.Messages)
	}
	st.log.Info("dev mailbox loaded", "dir", st.dir, "folders", len(state.Folders), "messages", n)
	st.loaded = nil
	return nil
}

func readState(path string) (*diskState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the dev mailbox: %w", err)
	}
	var s diskState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read the dev mailbox %s: %w (move it away to start with an empty mailbox)", path, err)
	}
	if s.Version != stateVersion {
		return nil, fmt.Errorf("read the dev mailbox %s: version %d, want %d", path, s.Version, stateVersion)
	}
	return &s, nil
}

func writeState(dir string, s *diskState) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("save the dev mailbox: %w", err)
	}
	return writeFile(filepath.Join(dir, stateFile), append(b, '\n'))
}

// writeFile replaces path by a rename, so a reader never sees half a file.
func writeFile(path string, b []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("save the dev mailbox: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save the dev mailbox: %w", err)
	}
	return nil
}

func (st *diskStore) messagePath(validity uint32, uid imap.UID) string {
	return filepath.Join(st.dir, strconv.FormatUint(uint64(validity), 10), strconv.FormatUint(uint64(uid), 10)+".eml")
}

// removeStray removes what a crash can leave in dir and state does not
// name: message files written for a snapshot that never finished, and
// temporary files.
func (st *diskStore) removeStray() error {
	entries, err := os.ReadDir(st.dir)
	if err != nil {
		return fmt.Errorf("dev mailbox directory: %w", err)
	}
	var errs []error
	for _, e := range entries {
		name := filepath.Join(st.dir, e.Name())
		if !e.IsDir() {
			if strings.HasSuffix(e.Name(), ".tmp") {
				errs = append(errs, os.Remove(name))
			}
			continue
		}
		v, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil {
			continue // not ours
		}
		have, ok := st.onDisk[uint32(v)]
		if !ok {
			errs = append(errs, os.RemoveAll(name))
			continue
		}
		files, err := os.ReadDir(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range files {
			uid, err := strconv.ParseUint(strings.TrimSuffix(f.Name(), ".eml"), 10, 32)
			if err != nil || !strings.HasSuffix(f.Name(), ".eml") || !have[imap.UID(uid)] {
				errs = append(errs, os.Remove(filepath.Join(name, f.Name())))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tidy the dev mailbox: %w", err)
	}
	return nil
}
