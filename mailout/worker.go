package mailout

import (
	"context"
	"errors"
	"time"

	"github.com/wneessen/go-mail/smtp"
)

// conn is one worker's SMTP session, reused across messages.
type conn struct {
	c     *smtp.Client
	relay *relay
	fresh bool // no message sent on it yet
}

func (cn *conn) close() {
	if cn.c != nil {
		_ = cn.c.Quit()
		_ = cn.c.Close()
	}
	cn.c, cn.relay = nil, nil
}

// ensure dials the relays in failover order unless a session is open.
func (o *Outbox) ensure(ctx context.Context, cn *conn) error {
	if cn.c != nil {
		return nil
	}
	var errs []error
	for _, r := range o.relays {
		c, err := r.dial(ctx)
		if err == nil {
			cn.c, cn.relay, cn.fresh = c, r, true
			return nil
		}
		o.log.Warn("relay unreachable", "relay", r.name, "err", err)
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return &TransientError{Err: errors.New("no SMTP relay configured")}
	}
	return &TransientError{Err: errors.Join(errs...)}
}

// work is one worker: it takes ready entries and sends them over its own
// connection until stop is closed, then quits the session.
func (o *Outbox) work(stop <-chan struct{}) {
	cn := &conn{}
	defer cn.close()
	for {
		select {
		case <-stop:
			return
		default:
		}
		rd, ok := o.queue.pop()
		if !ok {
			select {
			case <-stop:
				return
			case <-o.queue.notify:
			}
			continue
		}
		// In-flight work is not cut by stop; it is bounded by the SMTP
		// timeout, and the shutdown grace period covers it.
		ctx, cancel := context.WithTimeout(context.Background(), 4*o.opts.Outbox.SMTPTimeout.D())
		if err := o.process(ctx, cn, rd); err != nil {
			o.log.Error("outbox entry", "outbox_id", rd.ID, "err", err)
		}
		cancel()
		o.queue.done(rd.ID)
	}
}

// process claims one entry and runs one delivery attempt for it.
func (o *Outbox) process(ctx context.Context, cn *conn, rd readyDoc) error {
	start := time.Now()
	e, err := o.claim(ctx, rd.ID)
	if err != nil {
		return err
	}
	if e == nil {
		return o.missed(ctx, rd)
	}
	o.at("send")
	out, err := o.attempt(ctx, cn, e)
	if err != nil {
		return err
	}
	relayName := out.Relay
	if relayName == "" {
		relayName = "none"
	}
	o.metrics.sends.WithLabelValues(string(out.State), relayName).Inc()
	if out.Ambiguous {
		o.metrics.ambiguous.WithLabelValues(relayName).Inc()
		o.log.Warn("outbox delivery ambiguous: the connection ended after the message was sent and before the relay's reply; the retry may duplicate it",
			"outbox_id", e.ID, "attempt", e.Attempts, "relay", out.Relay, "state", out.State, "error", out.LastError)
	}
	o.at("record")
	if err := o.record(ctx, e, out); err != nil {
		return err
	}
	if !out.AcceptedAt.IsZero() {
		o.observeWindow(time.Since(out.AcceptedAt))
	}
	o.metrics.attempt.Observe(time.Since(start).Seconds())
	o.log.Info("outbox attempt", "outbox_id", e.ID, "state", out.State, "attempt", e.Attempts, "relay", out.Relay, "error", out.LastError)
	return nil
}

// attempt decides the outcome of one delivery attempt. It returns an error
// only when the database fails; delivery failures are outcomes.
func (o *Outbox) attempt(ctx context.Context, cn *conn, e *Entry) (outcome, error) {
	out := outcome{Recipients: append([]Recipient(nil), e.Recipients...)}
	if o.opts.OptOuts != nil && e.ClientID != "" && e.Kind != "" {
		ok, err := o.opts.OptOuts.MailAllowed(ctx, e.ClientID, e.Kind)
		if err != nil {
			return o.retryOrFail(e, out, err), nil
		}
		if !ok {
			for i := range out.Recipients {
				if out.Recipients[i].State == RcptPending {
					out.Recipients[i].State, out.Recipients[i].Reply = RcptSuppressed, "client opted out of "+e.Kind
				}
			}
			out.State, out.LastError = StateSuppressed, "client "+e.ClientID+" opted out of "+e.Kind+" mail"
			return out, nil
		}
	}
	var pending []string
	for i, r := range out.Recipients {
		if r.State != RcptPending {
			continue
		}
		sup, err := Suppressed(ctx, o.opts.DB, r.Address)
		if err != nil {
			return out, err
		}
		if sup {
			out.Recipients[i].State, out.Recipients[i].Reply = RcptSuppressed, "address marked undeliverable"
			continue
		}
		pending = append(pending, r.Address)
	}
	if len(pending) == 0 {
		return o.finish(out, ""), nil
	}
	if e.Purged {
		out.State, out.LastError = StateFailed, "body purged"
		return out, nil
	}
	rendered, err := o.render(e.Template, e.Lang, e.Data, e.Ticket)
	if err != nil {
		out.State, out.LastError = StateFailed, err.Error()
		return out, nil
	}
	fromName, fromAddr := o.opts.Mail.FromName, o.opts.Mail.FromAddress
	if e.FromAddress != "" {
		fromName, fromAddr = e.FromName, e.FromAddress
	} else if e.FromName != "" {
		fromName = e.FromName
	}
	msg, err := compose(composeInput{FromName: fromName, FromAddress: fromAddr,
		Entry: e, Rendered: rendered, Date: o.clock.Now(), LoopValue: o.opts.Mail.Domain})
	if err != nil {
		out.State, out.LastError = StateFailed, err.Error()
		return out, nil
	}
	if o.verpOn() {
		if err := rememberVERP(ctx, o.opts.DB, o.opts.MessageIDKey, e.ID, o.clock.Now()); err != nil {
			return o.retryOrFail(e, out, &TransientError{Err: err}), nil
		}
	}
	res, relayName, err := o.sendEach(ctx, cn, pending, msg, e.ID)
	out.Relay, out.Ambiguous = relayName, res.NoReply
	if err != nil {
		return o.retryOrFail(e, out, err), nil
	}
	return o.apply(ctx, e, out, res)
}

// sendEach sends msg to each recipient in a transaction of its own, whose
// envelope sender is the recipient's VERP address (verp.go), and merges
// the results: each recipient has its own RCPT reply or MAIL/DATA failure.
// A recipient whose transaction could not run (no relay reachable) keeps
// the transient error and stays pending; only when the first one fails so
// is the error returned, as for the whole message. Acceptance time is the
// first acceptance: the duplicate-send window runs from there to the
// record, across the later transactions.
func (o *Outbox) sendEach(ctx context.Context, cn *conn, rcpts []string, msg []byte, id string) (txResult, string, error) {
	merged := txResult{BeforeData: true}
	relayName := ""
	for i, to := range rcpts {
		from := o.opts.Mail.FromAddress
		if o.verpOn() {
			from, _ = VERPSender(from, o.opts.MessageIDKey, id, to)
		}
		res, name, err := o.send(ctx, cn, from, []string{to}, msg, id)
		if name != "" {
			relayName = name
		}
		if err != nil {
			if i == 0 {
				return txResult{}, relayName, err
			}
			merged.Rcpts = append(merged.Rcpts, rcptResult{Address: to, DataErr: classify(err)})
			continue
		}
		rr := rcptResult{Address: to}
		switch {
		case len(res.Rcpts) == 1 && res.Rcpts[0].Err != nil:
			rr.Err = res.Rcpts[0].Err
		case res.DataErr != nil:
			rr.DataErr = res.DataErr
		case len(res.Rcpts) == 1:
			if merged.At.IsZero() {
				merged.At = res.At
			}
		default:
			rr.DataErr = &TransientError{Err: errors.New("no reply to RCPT")}
		}
		merged.Rcpts = append(merged.Rcpts, rr)
		merged.NoReply = merged.NoReply || res.NoReply
		merged.BeforeData = merged.BeforeData && res.BeforeData
		merged.ConnBroken = res.ConnBroken
	}
	return merged, relayName, nil
}

// send transmits msg to rcpts from the envelope sender from, redialling once when a reused connection
// turns out dead before anything was transmitted.
func (o *Outbox) send(ctx context.Context, cn *conn, from string, rcpts []string, msg []byte, id string) (txResult, string, error) {
	for try := 0; ; try++ {
		if err := o.ensure(ctx, cn); err != nil {
			return txResult{}, "", err
		}
		r := cn.relay
		signed, err := r.sign(msg)
		if err != nil {
			return txResult{}, r.name, err
		}
		if err := r.wait(ctx); err != nil {
			return txResult{}, r.name, &TransientError{Err: err}
		}
		start := time.Now()
		res := transact(cn.c, r.timeout, from, rcpts, signed)
		o.metrics.latency.WithLabelValues(r.name).Observe(time.Since(start).Seconds())
		wasFresh := cn.fresh
		cn.fresh = false
		if res.ConnBroken {
			cn.close()
			if res.BeforeData && !wasFresh && try == 0 {
				o.log.Debug("stale SMTP connection, redialling", "outbox_id", id, "relay", r.name)
				continue
			}
		}
		return res, r.name, nil
	}
}
