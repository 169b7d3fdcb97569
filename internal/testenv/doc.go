// Package testenv starts the real servers Turno's tests talk to: the embedded
// MongoDB-compatible store, go-imap's in-memory IMAP server, a go-smtp server
// that records what it receives and answers as a script says, and it finds
// the external Dovecot and Postfix smtp-sink that scripts/test-services.sh
// starts. Everything listens on 127.0.0.1 and is torn down by t.Cleanup.
//
// There are no hand-written fakes of MongoDB, IMAP or SMTP here: each helper
// runs a real server implementation speaking the real protocol.
package testenv
