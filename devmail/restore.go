package devmail

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// restore creates state's folders and messages in user, and updates state
// to what the server now holds (UIDNEXT moved on after a crash, lost
// message files left out).
func (st *diskStore) restore(user *imapmemserver.User, state *diskState) error {
	slices.SortFunc(state.Folders, func(a, b diskFolder) int { return cmp.Compare(a.UIDValidity, b.UIDValidity) })
	var validity uint32 // the user's counter: each Create takes the next
	burnTo := func(v uint32) error {
		for validity < v {
			if err := user.Create(burnFolder, nil); err != nil {
				return err
			}
			if err := user.Delete(burnFolder); err != nil {
				return err
			}
			validity++
		}
		return nil
	}
	for i := range state.Folders {
		f := &state.Folders[i]
		if f.UIDValidity <= validity {
			return fmt.Errorf("folder %q: UIDVALIDITY %d already taken", f.Name, f.UIDValidity)
		}
		if err := burnTo(f.UIDValidity - 1); err != nil {
			return err
		}
		if err := user.Create(f.Name, nil); err != nil {
			return fmt.Errorf("folder %q: %w", f.Name, err)
		}
		validity++
		if !state.Clean {
			f.UIDNext += uncleanUIDGap
		}
		if err := st.restoreFolder(user, f); err != nil {
			return fmt.Errorf("folder %q: %w", f.Name, err)
		}
		if f.Subscribed {
			if err := user.Subscribe(f.Name); err != nil {
				return fmt.Errorf("folder %q: %w", f.Name, err)
			}
		}
	}
	if err := burnTo(state.LastUIDValidity); err != nil {
		return err
	}
	if !slices.ContainsFunc(state.Folders, func(f diskFolder) bool { return f.Name == "INBOX" }) {
		if err := user.Create("INBOX", nil); err != nil {
			return err
		}
		validity++
		state.Folders = append(state.Folders, diskFolder{Name: "INBOX", UIDValidity: validity, UIDNext: 1})
	}
	st.last, state.LastUIDValidity = validity, validity
	return nil
}

// restoreFolder appends f's messages with their UIDs, flags and dates, and
// moves UIDNEXT to f.UIDNext.
func (st *diskStore) restoreFolder(user *imapmemserver.User, f *diskFolder) error {
	sess := imapmemserver.NewUserSession(user)
	defer sess.Close()
	if _, err := sess.Select(f.Name, nil); err != nil {
		return err
	}
	slices.SortFunc(f.Messages, func(a, b diskMessage) int { return cmp.Compare(a.UID, b.UID) })
	st.onDisk[f.UIDValidity] = map[imap.UID]bool{}
	var holes imap.UIDSet
	uid := imap.UID(1)
	hole := func() error {
		if _, err := user.Append(f.Name, bytes.NewReader(nil), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagDeleted}}); err != nil {
			return err
		}
		holes.AddNum(uid)
		uid++
		return nil
	}
	kept := f.Messages[:0]
	for _, m := range f.Messages {
		if imap.UID(m.UID) < uid {
			return fmt.Errorf("UID %d twice", m.UID)
		}
		for uid < imap.UID(m.UID) {
			if err := hole(); err != nil {
				return err
			}
		}
		b, err := os.ReadFile(st.messagePath(f.UIDValidity, uid))
		if err != nil {
			st.log.Warn("dev mailbox: a message file is missing; its UID stays unused", "folder", f.Name, "uid", uid, "err", err)
			if err := hole(); err != nil {
				return err
			}
			continue
		}
		flags := make([]imap.Flag, len(m.Flags))
		for i, fl := range m.Flags {
			flags[i] = imap.Flag(fl)
		}
		if _, err := user.Append(f.Name, bytes.NewReader(b), &imap.AppendOptions{Flags: flags, Time: m.InternalDate}); err != nil {
			return err
		}
		st.onDisk[f.UIDValidity][uid] = true
		kept = append(kept, m)
		uid++
	}
	f.Messages = kept
	f.UIDNext = max(f.UIDNext, uint32(uid))
	for uid < imap.UID(f.UIDNext) {
		if err := hole(); err != nil {
			return err
		}
	}
	if len(holes) > 0 {
		if err := sess.Expunge(&imapserver.ExpungeWriter{}, &holes); err != nil {
			return err
		}
	}
	got, err := user.Status(f.Name, &imap.StatusOptions{UIDNext: true, UIDValidity: true, NumMessages: true})
	if err != nil {
		return err
	}
	if got.UIDValidity != f.UIDValidity || got.UIDNext != imap.UID(f.UIDNext) || int(*got.NumMessages) != len(f.Messages) {
		return fmt.Errorf("the server came back as UIDVALIDITY %d UIDNEXT %d with %d messages, want %d, %d, %d",
			got.UIDValidity, got.UIDNext, *got.NumMessages, f.UIDValidity, f.UIDNext, len(f.Messages))
	}
	return nil
}
