package mailout

import (
	"context"
	"errors"
)

// apply turns an SMTP transaction into recipient states and the entry's
// outcome. 5xx to a recipient fails that recipient (and with a 5.x.x code
// marks the address undeliverable); 5xx to MAIL or DATA fails every
// recipient tried; anything else leaves them pending for a retry.
func (o *Outbox) apply(ctx context.Context, e *Entry, out outcome, res txResult) (outcome, error) {
	byAddr := map[string]rcptResult{}
	for _, r := range res.Rcpts {
		byAddr[r.Address] = r
	}
	var lastErr error
	for i := range out.Recipients {
		r := &out.Recipients[i]
		if r.State != RcptPending {
			continue
		}
		rr, tried := byAddr[r.Address]
		rerr, dataErr := rr.Err, res.DataErr
		if rr.DataErr != nil {
			dataErr = rr.DataErr
		}
		switch {
		case tried && rerr != nil:
			lastErr = rerr
			if isPermanent(rerr) {
				r.State, r.Reply = RcptFailed, rerr.Error()
				if marksUndeliverable(rerr) {
					if err := MarkUndeliverable(ctx, o.opts.DB, r.Address, "smtp", rerr.Error(), o.clock.Now()); err != nil {
						return out, err
					}
				}
			} else {
				r.Reply = rerr.Error()
			}
		case dataErr != nil:
			lastErr = dataErr
			if isPermanent(dataErr) {
				r.State, r.Reply = RcptFailed, dataErr.Error()
			} else {
				r.Reply = dataErr.Error()
			}
		case tried:
			r.State, r.Reply = RcptSent, "250"
			if out.AcceptedAt.IsZero() {
				out.AcceptedAt = res.At
			}
		}
	}
	msg := ""
	if lastErr != nil {
		msg = lastErr.Error()
	}
	for _, r := range out.Recipients {
		if r.State == RcptPending {
			return o.retryOrFail(e, out, errors.New(msg)), nil
		}
	}
	return o.finish(out, msg), nil
}

// finish sets the final state once no recipient is pending: sent if any
// recipient got it, suppressed if all were suppressed, else failed.
func (o *Outbox) finish(out outcome, lastErr string) outcome {
	sent, suppressed := 0, 0
	for _, r := range out.Recipients {
		switch r.State {
		case RcptSent:
			sent++
		case RcptSuppressed:
			suppressed++
		}
	}
	out.LastError = lastErr
	switch {
	case sent > 0:
		out.State = StateSent
	case suppressed == len(out.Recipients):
		out.State = StateSuppressed
		if out.LastError == "" {
			out.LastError = "every recipient is marked undeliverable"
		}
	default:
		out.State = StateFailed
	}
	return out
}

// retryOrFail schedules the next attempt with backoff, or fails the entry
// (and its pending recipients) once give_up_after has passed since enqueue.
func (o *Outbox) retryOrFail(e *Entry, out outcome, err error) outcome {
	now := o.clock.Now().UTC()
	cfg := o.opts.Outbox
	next := now.Add(backoff(e.Attempts, cfg.RetryInitial.D(), cfg.RetryMax.D()))
	out.LastError = err.Error()
	if next.Sub(e.CreatedAt) > cfg.GiveUpAfter.D() {
		for i := range out.Recipients {
			if out.Recipients[i].State == RcptPending {
				out.Recipients[i].State = RcptFailed
				if out.Recipients[i].Reply == "" {
					out.Recipients[i].Reply = "gave up: " + err.Error()
				}
			}
		}
		last := "gave up after " + cfg.GiveUpAfter.D().String() + ": " + err.Error()
		return o.finish(out, last)
	}
	out.State, out.NextAt = StateRetry, next
	return out
}
