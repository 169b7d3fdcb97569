package agentmail

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/mailin/parse"
	"turno/tickets"
)

// Release applies a held mail after all, exactly as Route would have on
// arrival (the same checks but the authentication one, the same keyed
// writes, as the agent who sent it), once someone vouches for it: today a
// mail held for authentication (mailboxes.agent_auth), confirmed by the
// agent who sent it or by an admin. key is the held item's key
// ("held:<hex>", as `turno tickets show` lists it, or just the hex).
//
// Releasing twice applies once: the second call answers the first result
// with Replayed set. A ticket the actor does not see, or a key that is not
// a held item of ticket n, is tickets.ErrNotFound; a held item of another
// reason, another agent's item or a mail that no longer applies (the
// agent lost access, the ticket closed…) is a *tickets.InputError; a reply
// the customer has written past since is the usual *tickets.ConflictError.
// Nothing changes on any of them.
func (r *Router) Release(ctx context.Context, by tickets.Actor, n int64, key string) (Result, error) {
	sum, err := heldHex(key)
	if err != nil {
		return Result{}, err
	}
	item, err := r.opts.Tickets.FindMessage(ctx, "held:"+sum)
	if err != nil {
		return Result{}, err
	}
	if item == nil || item.Direction != tickets.DirHeld || item.Ticket != n {
		return Result{}, fmt.Errorf("ticket %d has no held mail %s: %w", n, key, tickets.ErrNotFound)
	}
	t, err := r.opts.Tickets.Peek(ctx, n)
	if err != nil {
		return Result{}, err
	}
	if !by.Sees(t.Department) {
		return Result{}, fmt.Errorf("ticket %d: %w", n, tickets.ErrNotFound)
	}
	if !by.Admin && (item.Agent == "" || by.Email != item.Agent) {
		return Result{}, &tickets.InputError{Field: "key", Msg: fmt.Sprintf(
			"only the agent who sent this mail (%s) or an admin may release it", orNobody(item.Agent))}
	}
	if item.State == tickets.StateReleased {
		res, ok, err := r.doneBefore(ctx, sum)
		if err != nil {
			return Result{}, err
		}
		if !ok || res.Outcome == OutcomeHeld { // marked, record not yet replaced: a crash between
			res = Result{Outcome: OutcomeApplied, Ticket: n}
		}
		res.Replayed = true
		return res, nil
	}
	if reason := tickets.HeldReason(item); reason != tickets.HeldAuth {
		return Result{}, &tickets.InputError{Field: "key", Msg: fmt.Sprintf(
			"this mail was held as %s: only a mail held for authentication (%s) can be released; answer again instead",
			reason, tickets.HeldAuth)}
	}
	m, err := r.reread(ctx, item)
	if err != nil {
		return Result{}, err
	}
	dk, mk, err := mailKey(m)
	if err != nil {
		return Result{}, err
	}
	if mk != sum {
		return Result{}, fmt.Errorf("agentmail: held mail %s: the stored raw message is another mail", key)
	}
	rf := r.readRefs(m.Msg)
	from := ""
	if m.Msg.From != nil {
		from = strings.ToLower(strings.TrimSpace(m.Msg.From.Address))
	}
	agent, err := r.agent(ctx, from)
	if err != nil {
		return Result{}, err
	}
	h, err := r.check(ctx, m, n, agent) // AgentAuth is "": the release vouches for it
	if err != nil {
		return Result{}, err
	}
	if h == nil {
		var res Result
		res, h, err = r.carryOut(ctx, m, sum, n, rf, agent)
		if err != nil {
			return Result{}, err
		}
		if h == nil {
			return r.released(ctx, by, item, sum, dk, res)
		}
	}
	if h.reason == tickets.HeldStale {
		return Result{}, r.conflict(ctx, t, h)
	}
	return Result{}, &tickets.InputError{Field: "key", Msg: fmt.Sprintf("cannot be applied now (%s): %s", h.reason, h.detail)}
}

// released marks the item and replaces the mail's record with what was
// done (counted once, by whoever marked it first).
func (r *Router) released(ctx context.Context, by tickets.Actor, item *tickets.Message, sum, dk string, res Result) (Result, error) {
	first, err := r.opts.Tickets.MarkReleased(ctx, item.Ticket, item.Key, by.Email)
	if err != nil {
		return Result{}, err
	}
	if !first {
		res.Replayed = true
		return res, nil
	}
	if _, err := r.done.ReplaceOne(ctx, bson.D{{Key: "_id", Value: sum}},
		doneDoc{ID: sum, Result: res, At: r.clk.Now().UTC()}); err != nil {
		return Result{}, &tickets.TransientError{Err: fmt.Errorf("agentmail: record release: %w", err)}
	}
	r.counter.WithLabelValues(res.Outcome).Inc()
	r.log.Info("agentmail: held mail released and applied", "ticket", item.Ticket, "by", by.Email,
		"agent", item.Agent, "outcome", res.Outcome, "key", dk)
	return res, nil
}

// conflict is the collision error of a stale release: the newest message
// the customer can see is what the agent has not read.
func (r *Router) conflict(ctx context.Context, t *tickets.Ticket, h *held) error {
	if h.conflict != nil {
		return h.conflict
	}
	ce := &tickets.ConflictError{Ticket: t.Number}
	if t.LastPublic != nil {
		last, err := r.opts.Tickets.FindMessage(ctx, t.LastPublic.Key)
		if err != nil {
			return err
		}
		if last != nil {
			ce.Newer = []tickets.Message{*last}
		}
	}
	return ce
}

// reread parses a held item's raw message again, as the intake did.
func (r *Router) reread(ctx context.Context, item *tickets.Message) (Mail, error) {
	if r.opts.Raw == nil || item.RawRef == "" {
		return Mail{}, errors.New("agentmail: the held mail's raw message is not available")
	}
	rc, _, err := r.opts.Raw.Open(ctx, item.RawRef)
	if err != nil {
		return Mail{}, &tickets.TransientError{Err: fmt.Errorf("agentmail: open held mail: %w", err)}
	}
	defer rc.Close()
	msg, err := parse.Parse(rc, &parse.Options{OwnAddresses: r.opts.OwnAddresses})
	if err != nil {
		return Mail{}, fmt.Errorf("agentmail: parse held mail: %w", err)
	}
	return Mail{Msg: msg, RawHash: item.RawRef, Mailbox: item.Mailbox, ArrivedAt: item.ArrivedAt}, nil
}

// heldHex is the sha256 hex of a held item's key ("held:<hex>" or "<hex>").
func heldHex(key string) (string, error) {
	k := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(key), "held:")))
	if b, err := hex.DecodeString(k); err != nil || len(b) != 32 {
		return "", &tickets.InputError{Field: "key", Msg: fmt.Sprintf("%q is not a held mail's key (held:<64 hex digits>, as tickets show lists it)", key)}
	}
	return k, nil
}

func orNobody(s string) string {
	if s == "" {
		return "no agent"
	}
	return s
}

// Releaser is what the API and the CLI need of a Router.
type Releaser interface {
	Release(ctx context.Context, by tickets.Actor, n int64, key string) (Result, error)
}
