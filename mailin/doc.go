// Package mailin owns mail intake: watching IMAP mailboxes (IDLE, polling), fetching
// by UID, storing raw messages, parsing MIME and classifying mail before it is
// handed to tickets. Its collections: mailbox cursors, raw messages, quarantine.
//
// The intake itself is built by the mail-intake issue; this package currently
// holds only its place in the layout.
package mailin
