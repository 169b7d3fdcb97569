package devmail

import (
	"fmt"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Mailbox is the support account of the dev IMAP server.
type Mailbox struct {
	// Address is the mailbox's email address (soporte@turno.test).
	Address string

	user  *imapmemserver.User
	saver *saver // nil when the mailbox is kept in memory only
}

// Append adds a message to a folder, as an IMAP APPEND would, and returns
// once it is on disk.
func (m *Mailbox) Append(folder string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	if options == nil {
		options = &imap.AppendOptions{}
	}
	data, err := m.user.Append(folder, r, options)
	if err != nil {
		return nil, err
	}
	if err := m.saved(); err != nil {
		return nil, err
	}
	return data, nil
}

// saved waits until every change made so far is on disk.
func (m *Mailbox) saved() error {
	if m.saver == nil {
		return nil
	}
	if err := m.saver.flush(); err != nil {
		return fmt.Errorf("save the dev mailbox: %w", err)
	}
	return nil
}

// changed asks for the mailbox to be saved soon.
func (m *Mailbox) changed() {
	if m.saver != nil {
		m.saver.kick()
	}
}

// savingSession is an imapmemserver session that tells the saver about
// every command that changes the mailbox. APPEND answers only once the
// message is on disk.
type savingSession struct {
	imapserver.SessionIMAP4rev2
	box *Mailbox
}

func (s *savingSession) Append(mailbox string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	data, err := s.SessionIMAP4rev2.Append(mailbox, r, options)
	if err != nil {
		return nil, err
	}
	if err := s.box.saved(); err != nil {
		return nil, err
	}
	return data, nil
}

func (s *savingSession) Create(mailbox string, options *imap.CreateOptions) error {
	defer s.box.changed()
	return s.SessionIMAP4rev2.Create(mailbox, options)
}

func (s *savingSession) Delete(mailbox string) error {
	defer s.box.changed()
	return s.SessionIMAP4rev2.Delete(mailbox)
}

func (s *savingSession) Rename(mailbox, newName string, options *imap.RenameOptions) error {
	defer s.box.changed()
	return s.SessionIMAP4rev2.Rename(mailbox, newName, options)
}

func (s *savingSession) Subscribe(mailbox string) error {
	defer s.box.changed()
	return s.SessionIMAP4rev2.Subscribe(mailbox)
}

func (s *savingSession) Unsubscribe(mailbox string) error {
	defer s.box.changed()
	return s.SessionIMAP4rev2.Unsubscribe(mailbox)
}

func (s *savingSession) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	defer s.box.changed()
	return s.SessionIMAP4rev2.Expunge(w, uids)
}

// Fetch changes the mailbox when it reads a body without PEEK: the server
// sets \Seen.
func (s *savingSession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	for _, bs := range options.BodySection {
		if !bs.Peek {
			defer s.box.changed()
			break
		}
	}
	return s.SessionIMAP4rev2.Fetch(w, numSet, options)
}

func (s *savingSession) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, options *imap.StoreOptions) error {
	defer s.box.changed()
	return s.SessionIMAP4rev2.Store(w, numSet, flags, options)
}

func (s *savingSession) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	defer s.box.changed()
	return s.SessionIMAP4rev2.Copy(numSet, dest)
}

func (s *savingSession) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	defer s.box.changed()
	return s.SessionIMAP4rev2.Move(w, numSet, dest)
}
