package devmail

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// snapshot reads every folder from the running server and writes what is
// new: the files of messages not yet on disk, then state.json; then it
// removes the files of messages no longer there.
func (st *diskStore) snapshot(clean bool) error {
	conn, err := net.DialTimeout("tcp", st.addr, 10*time.Second)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	_ = conn.SetDeadline(time.Now().Add(snapshotDeadline))
	c := imapclient.New(conn, nil)
	defer c.Close()
	if err := c.Login(st.user, st.pass).Wait(); err != nil {
		return fmt.Errorf("snapshot: login: %w", err)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		return fmt.Errorf("snapshot: list: %w", err)
	}
	state := &diskState{Version: stateVersion, Clean: clean, LastUIDValidity: st.last}
	for _, l := range list {
		if slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) {
			continue
		}
		f, err := st.readFolder(c, l)
		if err != nil {
			return fmt.Errorf("snapshot %q: %w", l.Mailbox, err)
		}
		state.LastUIDValidity = max(state.LastUIDValidity, f.UIDValidity)
		state.Folders = append(state.Folders, f)
	}
	if err := writeState(st.dir, state); err != nil {
		return err
	}
	st.last = state.LastUIDValidity
	_ = c.Logout().Wait()
	return st.prune(state)
}

// readFolder lists a folder's messages and writes the files of those not
// on disk yet.
func (st *diskStore) readFolder(c *imapclient.Client, l *imap.ListData) (diskFolder, error) {
	sel, err := c.Select(l.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return diskFolder{}, err
	}
	f := diskFolder{Name: l.Mailbox, UIDValidity: sel.UIDValidity, UIDNext: uint32(sel.UIDNext),
		Subscribed: slices.Contains(l.Attrs, imap.MailboxAttrSubscribed), Messages: []diskMessage{}}
	if sel.NumMessages == 0 {
		return f, nil
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true, InternalDate: true}).Collect()
	if err != nil {
		return f, err
	}
	have := st.onDisk[f.UIDValidity]
	if have == nil {
		have = map[imap.UID]bool{}
		st.onDisk[f.UIDValidity] = have
	}
	var missing imap.UIDSet
	for _, m := range msgs {
		if !have[m.UID] {
			missing.AddNum(m.UID)
		}
	}
	if len(missing) > 0 {
		if err := os.MkdirAll(filepath.Dir(st.messagePath(f.UIDValidity, 1)), 0o700); err != nil {
			return f, fmt.Errorf("dev mailbox directory: %w", err)
		}
		body := &imap.FetchItemBodySection{Peek: true}
		got, err := c.Fetch(missing, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
		if err != nil {
			return f, err
		}
		for _, m := range got {
			if err := writeFile(st.messagePath(f.UIDValidity, m.UID), m.FindBodySection(body)); err != nil {
				return f, err
			}
			have[m.UID] = true
		}
	}
	for _, m := range msgs {
		if !have[m.UID] {
			continue // expunged between the two fetches
		}
		dm := diskMessage{UID: uint32(m.UID), InternalDate: m.InternalDate}
		for _, fl := range m.Flags {
			dm.Flags = append(dm.Flags, string(fl))
		}
		f.Messages = append(f.Messages, dm)
	}
	return f, nil
}

// prune removes the files of messages and folders state no longer names.
func (st *diskStore) prune(state *diskState) error {
	now := map[uint32]map[imap.UID]bool{}
	for _, f := range state.Folders {
		now[f.UIDValidity] = map[imap.UID]bool{}
		for _, m := range f.Messages {
			now[f.UIDValidity][imap.UID(m.UID)] = true
		}
	}
	var errs []error
	for v, have := range st.onDisk {
		keep, ok := now[v]
		if !ok {
			errs = append(errs, os.RemoveAll(filepath.Dir(st.messagePath(v, 1))))
			delete(st.onDisk, v)
			continue
		}
		for uid := range have {
			if !keep[uid] {
				if err := os.Remove(st.messagePath(v, uid)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, err)
				}
				delete(have, uid)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("prune the dev mailbox: %w", err)
	}
	return nil
}
