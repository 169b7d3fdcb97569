package mailin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// QuarantineFlag marks a quarantined message left in place when no
// quarantine folder is configured.
const QuarantineFlag imap.Flag = "$TurnoQuarantine"

// pass fetches every message above the cursor in batches, processes each,
// acknowledges the handled ones on the server, then advances the cursor.
// retry is true when a message failed and will be tried again soon.
func (s *Service) pass(ctx context.Context, cn *conn) (retry bool, err error) {
	data, err := cn.c.UIDSearch(&imap.SearchCriteria{
		UID: []imap.UIDSet{{imap.UIDRange{Start: imap.UID(cn.last + 1), Stop: 0}}},
	}, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("search new mail: %w", err)
	}
	var uids []imap.UID
	for _, u := range data.AllUIDs() { // "n:*" also matches the last message when all are below n
		if uint32(u) > cn.last {
			uids = append(uids, u)
		}
	}
	slices.Sort(uids)
	for len(uids) > 0 {
		n := min(len(uids), s.cfg.BatchSize)
		retry, err := s.batch(ctx, cn, uids[:n])
		if err != nil || retry {
			return retry, err
		}
		uids = uids[n:]
	}
	return false, nil
}

// batch handles one UID FETCH. Messages are processed in UID order as they
// stream in; after the first failure that is not yet quarantined the rest
// are drained unprocessed, so the cursor never passes an unhandled message.
func (s *Service) batch(ctx context.Context, cn *conn, uids []imap.UID) (retry bool, err error) {
	name := cn.mb.Name
	fetch := cn.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{
		UID: true, RFC822Size: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	})
	var acked, quarantined []imap.UID
	var failed error
	for msg := fetch.Next(); msg != nil; msg = fetch.Next() {
		var uid imap.UID
		var sp *spool
		var readErr error
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = it.UID
			case imapclient.FetchItemDataBodySection:
				if failed == nil && it.Literal != nil {
					sp, readErr = newSpool(it.Literal, it.Literal.Size(), s.cfg.MaxMessageSize, s.opts.TempDir)
				}
			}
		}
		if failed != nil || uid == 0 {
			closeSpool(sp)
			continue
		}
		if readErr != nil {
			failed = readErr // a broken connection: the session reconnects
			continue
		}
		if sp == nil {
			continue // no body: vanished meanwhile
		}
		s.m.fetched.WithLabelValues(name).Inc()
		t0 := time.Now()
		source := sourceID(name, cn.uidv, uint32(uid))
		out, perr := s.process(ctx, cn.mb, source, sp)
		s.m.process.WithLabelValues(name).Observe(time.Since(t0).Seconds())
		if out.created {
			s.m.stored.WithLabelValues(name).Inc()
		}
		if perr == nil {
			if out.duplicate {
				s.m.dedup.WithLabelValues(name).Inc()
			}
			s.log.Debug("message stored", "mailbox", name, "uid", uid, "key", out.key, "ticket", out.ticket, "duplicate", out.duplicate)
			if err := clearAttempts(ctx, s.db, source); err != nil {
				failed = err
			} else {
				acked = append(acked, uid)
			}
		} else if q, err := s.fail(ctx, cn, source, uint32(uid), sp, out, perr); err != nil {
			failed = err
		} else if q {
			quarantined = append(quarantined, uid)
		} else {
			failed, retry = perr, true
		}
		sp.close()
	}
	if err := fetch.Close(); err != nil && failed == nil {
		return false, fmt.Errorf("fetch: %w", err)
	}
	if err := s.ack(cn, acked, quarantined); err != nil {
		return false, err
	}
	done := append(acked, quarantined...)
	if len(done) > 0 {
		top := slices.Max(done)
		if err := s.cur.set(ctx, name, cn.lease.Epoch(), cn.uidv, uint32(top)); err != nil {
			return false, err
		}
		cn.last = uint32(top)
	}
	if retry {
		return true, nil
	}
	return false, failed
}

func closeSpool(sp *spool) {
	if sp != nil {
		sp.close()
	}
}

// fail counts a failed attempt; at the limit (or at once for a permanent
// error) it quarantines the message and reports q = true.
func (s *Service) fail(ctx context.Context, cn *conn, source string, uid uint32, sp *spool, out outcome, perr error) (q bool, err error) {
	n, err := failure(ctx, s.db, source, perr)
	if err != nil {
		return false, err
	}
	reason := "process"
	var se *stepError
	if errors.As(perr, &se) {
		reason = se.step
	}
	s.log.Warn("message failed", "mailbox", cn.mb.Name, "uid", uid, "attempt", n, "reason", reason, "err", perr)
	if n < s.cfg.RetryLimit && !IsPermanent(perr) {
		return false, nil
	}
	qd := Quarantined{ID: source, Mailbox: cn.mb.Name, UIDValidity: cn.uidv, UID: uid, Size: sp.size,
		Reason: reason, Error: perr.Error(), Attempts: n, At: s.clock.Now()}
	if ok, _ := s.raw.Has(ctx, sp.hash); ok {
		qd.RawID = sp.hash
	} else if sp.buf != nil {
		qd.Raw = sp.buf
	}
	if err := quarantine(ctx, s.db, qd); err != nil {
		return false, err
	}
	if s.notify != nil && out.msg != nil {
		// Before the message leaves the folder: an error retries the
		// whole step, and the notifier is idempotent by the id.
		if err := s.notify.NotifyQuarantined(ctx, Notice{ID: source, Mailbox: cn.mb.Name, Message: out.msg,
			ReceivedAt: s.clock.Now()}); err != nil {
			return false, fmt.Errorf("tell the sender of quarantined %s: %w", source, err)
		}
	}
	class := "retries"
	if IsPermanent(perr) {
		class = "permanent"
	}
	s.m.quarantined.WithLabelValues(cn.mb.Name, reason, class).Inc()
	s.log.Error("message quarantined", "mailbox", cn.mb.Name, "uid", uid, "reason", reason, "class", class,
		"attempts", n, "id", source, "err", perr)
	return true, clearAttempts(ctx, s.db, source)
}

// ack applies the mailbox's after-action to handled messages and moves (or
// flags) quarantined ones.
func (s *Service) ack(cn *conn, acked, quarantined []imap.UID) error {
	if len(quarantined) > 0 {
		set := imap.UIDSetNum(quarantined...)
		if f := s.cfg.QuarantineFolder; f != "" {
			if err := s.move(cn, set, f); err != nil {
				return err
			}
		} else if err := s.flag(cn, set, QuarantineFlag); err != nil {
			return err
		}
	}
	if len(acked) == 0 {
		return nil
	}
	set := imap.UIDSetNum(acked...)
	switch after := cn.mb.After; {
	case after == "seen":
		return s.flag(cn, set, imap.FlagSeen)
	case after == "delete":
		if err := s.flag(cn, set, imap.FlagDeleted); err != nil {
			return err
		}
		if cn.c.Caps().Has(imap.CapUIDPlus) || cn.c.Caps().Has(imap.CapIMAP4rev2) {
			return waitErr("expunge", cn.c.UIDExpunge(set).Close())
		}
		return waitErr("expunge", cn.c.Expunge().Close())
	default:
		return s.move(cn, set, strings.TrimPrefix(after, "move:"))
	}
}

func (s *Service) flag(cn *conn, set imap.UIDSet, f imap.Flag) error {
	return waitErr("flag "+string(f), cn.c.Store(set, &imap.StoreFlags{
		Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{f}}, nil).Close())
}

func (s *Service) move(cn *conn, set imap.UIDSet, folder string) error {
	if !cn.created[folder] {
		if err := cn.c.Create(folder, nil).Wait(); err != nil && !alreadyExists(err) {
			return fmt.Errorf("create folder %s: %w", folder, err)
		}
		cn.created[folder] = true
	}
	if _, err := cn.c.Move(set, folder).Wait(); err != nil {
		return fmt.Errorf("move to %s: %w", folder, err)
	}
	return nil
}

func alreadyExists(err error) bool {
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Code == imap.ResponseCodeAlreadyExists {
		return true
	}
	return strings.Contains(strings.ToLower(err.Error()), "exists")
}

func waitErr(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
