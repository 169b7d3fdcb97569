package mailin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/config"
	"turno/store"
)

// conn is one logged-in session on a selected folder.
type conn struct {
	c       *imapclient.Client
	mb      config.MailboxConfig
	lease   *store.Lease
	uidv    uint32
	last    uint32
	created map[string]bool // folders known to exist
}

// session connects, selects the folder, and alternates passes over new mail
// with waiting (IDLE or the poll timer) until ctx ends or the connection
// fails. connected reports whether it got as far as selecting the folder.
func (s *Service) session(ctx context.Context, mb config.MailboxConfig, lease *store.Lease) (connected bool, err error) {
	newMail := make(chan struct{}, 1)
	c, err := dial(ctx, mb, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case newMail <- struct{}{}:
				default:
				}
			}
		},
	}})
	if err != nil {
		return false, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	sel, err := c.Select(mb.Folder, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("select %s: %w", mb.Folder, err)
	}
	cur, err := s.cur.get(ctx, mb.Name)
	if err != nil {
		return false, err
	}
	cn := &conn{c: c, mb: mb, lease: lease, uidv: sel.UIDValidity, last: cur.LastUID, created: map[string]bool{}}
	if cur.UIDValidity != sel.UIDValidity {
		if cur.UIDValidity != 0 {
			s.log.Warn("UIDVALIDITY changed; rescanning the folder", "mailbox", mb.Name,
				"old", cur.UIDValidity, "new", sel.UIDValidity)
		}
		cn.last = 0
		if err := s.cur.set(ctx, mb.Name, lease.Epoch(), sel.UIDValidity, 0); err != nil {
			return false, err
		}
	}
	if cn.last > 0 {
		from, why, err := s.unhandledBelow(cn, sel)
		if err != nil {
			return false, err
		}
		if why != "" {
			// The server's UIDs went backwards (an index rebuild, a
			// migration that kept UIDVALIDITY, a restarted dev server):
			// rescan from there; the dedup keys keep it from doubling.
			s.log.Warn("mail at or below the cursor was never handled; rescanning", "mailbox", mb.Name,
				"last_uid", cn.last, "from_uid", from+1, "why", why)
			s.m.rescans.WithLabelValues(mb.Name, why).Inc()
			cn.last = from
		}
	}
	s.setState(mb.Name, func(w *watchState) { w.connected, w.lastErr = true, nil })
	s.m.connected.WithLabelValues(mb.Name).Set(1)
	s.log.Info("watching mailbox", "mailbox", mb.Name, "folder", mb.Folder, "uidvalidity", cn.uidv, "last_uid", cn.last)
	useIdle := mb.Idle == "auto" && (c.Caps().Has(imap.CapIdle) || c.Caps().Has(imap.CapIMAP4rev2))

	for {
		start := time.Now()
		if err := s.retryQuarantined(ctx, mb); err != nil {
			return true, err
		}
		retry, err := s.pass(ctx, cn)
		if err != nil {
			return true, err
		}
		s.m.poll.WithLabelValues(mb.Name).Observe(time.Since(start).Seconds())
		s.status(ctx, mb.Name, bson.D{{Key: "connected", Value: true}, {Key: "last_poll", Value: s.clock.Now()}}, nil)

		wait := mb.PollInterval.D()
		if retry {
			wait = min(wait, s.opts.RetryDelay)
		}
		if useIdle && !retry {
			if err := s.idle(ctx, c, newMail, min(wait, s.opts.IdleRestart)); err != nil {
				return true, err
			}
		} else {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
			case <-t.C:
			case <-c.Closed():
			}
			t.Stop()
		}
		if ctx.Err() != nil {
			return true, nil
		}
		select {
		case <-c.Closed():
			return true, errors.New("server closed the connection")
		default:
		}
	}
}

// idle waits in IDLE for new mail, at most d.
func (s *Service) idle(ctx context.Context, c *imapclient.Client, newMail <-chan struct{}, d time.Duration) error {
	// NOOP collects EXISTS the server queued since the pass's last command:
	// not every server flushes them when IDLE starts (go-imap's memserver
	// does not), and mail that arrived then would wait for the next poll.
	if err := c.Noop().Wait(); err != nil {
		return fmt.Errorf("noop before IDLE: %w", err)
	}
	select { // mail that arrived during the pass: go straight back
	case <-newMail:
		return nil
	default:
	}
	cmd, err := c.Idle()
	if err != nil {
		return fmt.Errorf("start IDLE: %w", err)
	}
	t := time.NewTimer(d)
	select {
	case <-ctx.Done():
	case <-newMail:
	case <-t.C:
	case <-c.Closed():
	}
	t.Stop()
	if err := cmd.Close(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("stop IDLE: %w", err)
	}
	if err := cmd.Wait(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("IDLE: %w", err)
	}
	return nil
}

// Why unhandledBelow asks for a rescan (the rescans metric's label).
const (
	rescanUIDNext   = "uidnext_not_above_cursor"
	rescanUnhandled = "unhandled_below_cursor"
)

// unhandledBelow checks, once per session, that the cursor can be trusted:
// the server's next UID must be above it, and no message at or below it may
// lack the mark a handled one carries (\Seen for after = "seen"; for
// "move" and "delete" handled mail has left the folder), quarantined ones
// aside. It returns the UID to rescan after and why, or why = "".
func (s *Service) unhandledBelow(cn *conn, sel *imap.SelectData) (from uint32, why string, err error) {
	if sel.UIDNext != 0 && uint32(sel.UIDNext) <= cn.last {
		return 0, rescanUIDNext, nil
	}
	crit := &imap.SearchCriteria{
		UID:     []imap.UIDSet{{imap.UIDRange{Start: 1, Stop: imap.UID(cn.last)}}},
		NotFlag: []imap.Flag{QuarantineFlag},
	}
	if cn.mb.After == "seen" {
		crit.NotFlag = append(crit.NotFlag, imap.FlagSeen)
	}
	data, err := cn.c.UIDSearch(crit, nil).Wait()
	if err != nil {
		return 0, "", fmt.Errorf("search unhandled mail below the cursor: %w", err)
	}
	uids := data.AllUIDs()
	if len(uids) == 0 {
		return 0, "", nil
	}
	return uint32(slices.Min(uids)) - 1, rescanUnhandled, nil
}
