package mailin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"turno/config"
	"turno/mailin/parse"
	"turno/store"
)

// stepError names the pipeline step that failed; it becomes the quarantine
// reason.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// step names the failed step; an error a retry cannot change (a document
// the store refuses) is marked permanent, so the message is quarantined at
// once instead of holding its mailbox for the retries.
func step(name string, err error) error {
	if err == nil {
		return nil
	}
	if store.IsPermanent(err) && !IsPermanent(err) {
		err = Permanent(err)
	}
	return &stepError{step: name, err: err}
}

// outcome is what processing one message did.
type outcome struct {
	key       string
	created   bool // raw bytes newly stored
	duplicate bool // the key had been delivered by another server copy
	ticket    int64
	msg       *parse.Message // nil until parsed
}

// process stores, records and ingests one spooled message. It is safe to
// repeat: every write is keyed by content or by dedup key.
func (s *Service) process(ctx context.Context, mb config.MailboxConfig, source string, sp *spool) (outcome, error) {
	var out outcome
	if sp.size == 0 {
		// Some servers serve nothing for a message they cannot parse
		// (go-imap's in-memory server for a mail without a valid header).
		// An empty body is no mail: taking it in would give every such
		// message the same raw-hash key and drop all but the first. It is
		// retried, then quarantined, so an operator sees it.
		return out, step("fetch", errors.New("the server returned an empty message"))
	}
	now := s.clock.Now()
	created, err := s.raw.Put(ctx, sp.hash, sp.size, sp.reader(), now)
	if err != nil {
		return out, step("store", err)
	}
	out.created = created
	var over *Oversize
	if sp.size > s.cfg.MaxMessageSize {
		over = &Oversize{Size: sp.size, Limit: s.cfg.MaxMessageSize}
	}
	msg, err := s.parse(sp)
	if err != nil {
		return out, step("parse", err)
	}
	out.msg = msg
	out.key = dedupKey(msg, sp.hash)
	var fp string
	if msg.MessageID != "" {
		fp = parse.Fingerprint(msg)
	}
	before, err := s.ledger.claim(ctx, out.key, fp, sp.hash, sp.size, mb.Name, source, s.owner, now)
	if errors.Is(err, errReused) {
		// Another mail took this Message-ID first (web forms, broken
		// mailers): this one is new, under a key of its own that every
		// copy of it computes alike. The ticket service decides the same.
		s.log.Warn("message ID reused by a different mail", "mailbox", mb.Name, "source", source, "key", out.key)
		out.key += "#" + fp[:16]
		before, err = s.ledger.claim(ctx, out.key, fp, sp.hash, sp.size, mb.Name, source, s.owner, now)
	}
	if err != nil {
		return out, step("record", err)
	}
	out.duplicate = before != nil && !before.hasSource(source)
	if before != nil && before.Ingested {
		out.ticket = before.Ticket
		return out, nil
	}
	at := now
	if before != nil {
		at = before.At
	}
	res, err := s.sink.Ingest(ctx, Incoming{
		Key: out.key, Mailbox: mb.Name, Department: mb.Department, UnknownSender: mb.UnknownSender,
		RawID: sp.hash, RawSize: sp.size, ReceivedAt: at, Message: msg, Oversize: over,
	})
	if err != nil {
		return out, step("ingest", err)
	}
	out.ticket = res.Ticket
	if err := s.ledger.ingested(ctx, out.key, res.Ticket); err != nil {
		return out, step("record", err)
	}
	return out, nil
}

// parse parses a spooled message. The parser never fails on content; a
// panic in it is a bug that the same bytes will hit again, so it is
// recovered as a permanent error and the message quarantined.
func (s *Service) parse(sp *spool) (msg *parse.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("parser panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			msg, err = nil, Permanent(fmt.Errorf("parser panic: %v", r))
		}
	}()
	return s.parseFunc(sp.reader(), &parse.Options{
		OwnAddresses: s.own,
		// Attachments are hashed and counted by parse; their bytes stay in
		// the raw message, so nothing needs keeping here.
		Attachment: func(*parse.Attachment, io.Reader) error { return nil },
	})
}

// dedupKey is the normalised Message-ID, or the raw hash without one.
func dedupKey(m *parse.Message, rawHash string) string {
	if m.MessageID != "" {
		return "mid:" + m.MessageID
	}
	return "raw:" + rawHash
}

// retryQuarantined re-processes messages an operator asked to retry.
func (s *Service) retryQuarantined(ctx context.Context, mb config.MailboxConfig) error {
	list, err := ListQuarantine(ctx, s.db, QuarantineRetry)
	if err != nil {
		return err
	}
	for _, q := range list {
		if q.Mailbox != mb.Name {
			continue
		}
		err := s.retryOne(ctx, mb, q)
		state, msg := QuarantineDone, ""
		if err != nil {
			state, msg = QuarantineHeld, err.Error()
			s.log.Warn("quarantine retry failed", "mailbox", mb.Name, "id", q.ID, "err", err)
		} else {
			s.log.Info("quarantine retry succeeded", "mailbox", mb.Name, "id", q.ID)
		}
		if err := setQuarantineState(ctx, s.db, q.ID, state, msg); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) retryOne(ctx context.Context, mb config.MailboxConfig, q Quarantined) error {
	var r io.Reader
	size := q.Size
	if q.RawID != "" {
		rc, n, err := s.raw.Open(ctx, q.RawID)
		if err != nil {
			return err
		}
		defer rc.Close()
		r, size = rc, n
	} else if q.Raw != nil {
		r = bytes.NewReader(q.Raw)
	} else {
		return fmt.Errorf("no raw bytes kept for %s", q.ID)
	}
	sp, err := newSpool(r, size, s.cfg.MaxMessageSize, "")
	if err != nil {
		return err
	}
	defer sp.close()
	_, err = s.process(ctx, mb, q.ID, sp)
	return err
}
