package agentmail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"turno/agents"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/msgid"
	"turno/tickets"
)

// held is a decision not to apply: the reason and what to tell.
type held struct {
	reason, detail string
	ticket         int64 // where to file it (0: nowhere)
	mergedInto     int64
	// conflict is the collision check's refusal, when it said stale.
	conflict *tickets.ConflictError
}

// apply carries out an agent's mail on ticket n, or holds it.
func (r *Router) apply(ctx context.Context, m Mail, dk, key string, n int64, rf refs, agent *agents.Agent) (Result, bool, error) {
	h, err := r.check(ctx, m, n, agent)
	if err != nil {
		return Result{}, false, err
	}
	if h != nil {
		return r.hold(ctx, m, dk, key, *h, agent)
	}
	res, h, err := r.carryOut(ctx, m, key, n, rf, agent)
	if err != nil {
		return Result{}, false, err
	}
	if h != nil {
		return r.hold(ctx, m, dk, key, *h, agent)
	}
	r.log.Info("agentmail: agent's mail applied", "ticket", n, "agent", agent.Email, "outcome", res.Outcome, "key", dk)
	return r.finish(ctx, key, res)
}

// carryOut does what a checked mail says on ticket n, as its agent: a
// reply, a note, commands. A non-nil held says why it was not applied
// (nothing was changed); an error is for the caller to retry. Every write
// is keyed by the mail (key), so carrying the same mail out again changes
// nothing more (Route's retries, Release twice).
func (r *Router) carryOut(ctx context.Context, m Mail, key string, n int64, rf refs, agent *agents.Agent) (Result, *held, error) {
	t, err := r.opts.Tickets.Peek(ctx, n)
	if err != nil {
		return Result{}, nil, err
	}
	actor := agent.Actor()
	cmds, body := parseCommands(m.Msg.Text)
	body = stripSignature(body, agent.Signature)
	if cmds.bad != "" {
		return Result{}, &held{reason: tickets.HeldBadCommand, detail: cmds.bad, ticket: n}, nil
	}
	if cmds.assign != "" {
		to, err := r.agent(ctx, cmds.assign)
		if err != nil {
			return Result{}, nil, err
		}
		if to == nil || !to.Active || !to.Actor().Sees(t.Department) {
			return Result{}, &held{reason: tickets.HeldBadCommand, ticket: n,
				detail: fmt.Sprintf("assign: %s is not an active agent of department %s", cmds.assign, t.Department)}, nil
		}
		cmds.assign = to.Email
	}
	idem := "mail:" + key[:40]
	res := Result{Outcome: OutcomeApplied, Ticket: n}
	switch {
	case strings.TrimSpace(body) == "" && cmds.empty():
		return Result{}, &held{reason: tickets.HeldEmpty, ticket: n, detail: "no text and no command"}, nil
	case cmds.note && strings.TrimSpace(body) != "":
		if names := attachmentNames(m.Msg); names != "" {
			body += "\n\n[" + names + "]"
		}
		if _, err := r.opts.Tickets.Note(ctx, actor, n, tickets.NoteInput{Key: idem, Text: body}); err != nil {
			return r.failed(n, err)
		}
		res.Outcome = OutcomeNote
		if err := r.commands(ctx, actor, n, cmds, true); err != nil {
			return r.failed(n, err)
		}
	case strings.TrimSpace(body) == "":
		if err := r.commands(ctx, actor, n, cmds, true); err != nil {
			return r.failed(n, err)
		}
	default:
		answers, fresh, err := r.answers(ctx, t, rf, actor, idem)
		if err != nil {
			return Result{}, nil, err
		}
		if !fresh {
			return Result{}, &held{reason: tickets.HeldStale, ticket: n,
				detail: "the customer wrote again after the mail the agent answered"}, nil
		}
		atts, err := r.attachments(ctx, m)
		if err != nil {
			return Result{}, nil, err
		}
		_, err = r.opts.Tickets.Reply(ctx, actor, n, tickets.ReplyInput{Key: idem, Answers: answers, Text: body,
			Status: cmds.status, Attachments: atts})
		var ce *tickets.ConflictError
		if errors.As(err, &ce) {
			return Result{}, &held{reason: tickets.HeldStale, ticket: n, detail: ce.Error(), conflict: ce}, nil
		}
		if err != nil {
			return r.failed(n, err)
		}
		if err := r.commands(ctx, actor, n, cmds, false); err != nil {
			return r.failed(n, err)
		}
	}
	if cmds.status != "" || cmds.assign != "" {
		r.log.Info("agentmail: commands carried out", "ticket", n, "agent", actor.Email, "status", cmds.status,
			"assign", cmds.assign)
	}
	return res, nil, nil
}

// check decides whether the mail may be applied at all (nil: yes).
func (r *Router) check(ctx context.Context, m Mail, n int64, agent *agents.Agent) (*held, error) {
	if agent == nil {
		return &held{reason: tickets.HeldUnknownSender, ticket: n, detail: "not an agent's address"}, nil
	}
	if requiresAuth(m) {
		a := parse.Authenticate(m.Msg, r.opts.TrustedAuthservID)
		if a == nil || a.Verdict != parse.AuthPass {
			why := "no trusted Authentication-Results"
			if a != nil {
				why = a.Verdict + ": " + a.Reason
			}
			return &held{reason: tickets.HeldAuth, ticket: n, detail: "DKIM or SPF required: " + why}, nil
		}
	}
	t, err := r.opts.Tickets.Peek(ctx, n)
	if errors.Is(err, tickets.ErrNotFound) {
		return &held{reason: tickets.HeldNoTicket, detail: fmt.Sprintf("ticket %d does not exist", n)}, nil
	}
	if err != nil {
		return nil, err
	}
	actor := agent.Actor()
	switch {
	case !agent.Active:
		return &held{reason: tickets.HeldInactive, ticket: n, detail: agent.Email + " is deactivated"}, nil
	case t.MergedInto != 0:
		return &held{reason: tickets.HeldMerged, ticket: n, mergedInto: t.MergedInto,
			detail: fmt.Sprintf("merged into #%d", t.MergedInto)}, nil
	case !actor.Sees(t.Department):
		return &held{reason: tickets.HeldNoAccess, ticket: n,
			detail: fmt.Sprintf("%s does not see department %s", agent.Email, t.Department)}, nil
	case t.Status == tickets.StatusClosed:
		return &held{reason: tickets.HeldClosed, ticket: n, detail: "the ticket is closed"}, nil
	}
	return nil, nil
}

// answers is the key the reply answers and whether the agent saw the
// ticket's newest public message (fresh).
func (r *Router) answers(ctx context.Context, t *tickets.Ticket, rf refs, actor tickets.Actor, idem string) (string, bool, error) {
	lp := t.LastPublic
	if lp == nil {
		return t.Origin, true, nil
	}
	if rf.notice != nil && msgid.Tag(lp.Key) == rf.notice.LastTag {
		return lp.Key, true, nil
	}
	if lp.Key == tickets.ReplyKey(actor.Email, idem) {
		return lp.Key, true, nil // this reply, applied before a crash
	}
	last, err := r.opts.Tickets.FindMessage(ctx, lp.Key)
	if err != nil {
		return "", false, err
	}
	if last != nil && last.MessageID != "" && rf.all[parse.NormalizeMessageID(last.MessageID)] {
		return lp.Key, true, nil
	}
	return lp.Key, false, nil
}

// commands sets the status (unless the reply did) and the assignee.
func (r *Router) commands(ctx context.Context, a tickets.Actor, n int64, c commands, status bool) error {
	if status && c.status != "" {
		if _, err := r.opts.Tickets.SetStatus(ctx, a, n, c.status); err != nil {
			return err
		}
	}
	if c.assign != "" {
		if _, err := r.opts.Tickets.Assign(ctx, a, n, c.assign); err != nil {
			return err
		}
	}
	return nil
}

// failed turns the tickets service's refusal of bad input into a hold;
// any other error is returned for the caller to retry.
func (r *Router) failed(n int64, err error) (Result, *held, error) {
	var ie *tickets.InputError
	if errors.As(err, &ie) || errors.Is(err, tickets.ErrKeyReused) || errors.Is(err, tickets.ErrNotFound) {
		return Result{}, &held{reason: reasonInvalid, ticket: n, detail: err.Error()}, nil
	}
	return Result{}, nil, err
}

// hold keeps the mail on its ticket and tells the sender once.
func (r *Router) hold(ctx context.Context, m Mail, dk, key string, h held, agent *agents.Agent) (Result, bool, error) {
	var who string
	if agent != nil {
		who = agent.Email
	}
	if _, err := r.opts.Tickets.Hold(ctx, tickets.HeldInput{Key: dk, Ticket: h.ticket, Reason: h.reason, Detail: h.detail,
		Msg: m.Msg, Agent: who, Mailbox: m.Mailbox, RawRef: m.RawHash, ArrivedAt: m.ArrivedAt}); err != nil {
		return Result{}, false, err
	}
	lang := "es"
	if agent != nil && agent.Lang != "" {
		lang = agent.Lang
	}
	told, err := r.explain(ctx, m, key, h, lang)
	if err != nil {
		return Result{}, false, err
	}
	from := ""
	if m.Msg.From != nil {
		from = m.Msg.From.Address
	}
	r.log.Warn("agentmail: mail held", "ticket", h.ticket, "reason", h.reason, "detail", h.detail, "from", from,
		"agent", who, "explained", told, "key", dk)
	return r.finish(ctx, key, Result{Outcome: OutcomeHeld, Ticket: h.ticket, Reason: h.reason})
}

// attachmentNames lists a mail's non-inline files ("" for none).
func attachmentNames(m *parse.Message) string {
	var names []string
	for _, a := range m.Attachments {
		if !a.Inline {
			names = append(names, a.Filename)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "attachments not kept on a note: " + strings.Join(names, ", ")
}

// Limits of the files a reply by mail carries (those of tickets.Reply).
const (
	maxFiles     = 10
	maxFileBytes = 10 << 20
)

// attachments reads the mail's non-inline files back from the raw store
// (parse kept only their metadata), within the limits of a reply: files
// past them are left out and logged (the raw message keeps them).
func (r *Router) attachments(ctx context.Context, m Mail) ([]mailout.Attachment, error) {
	want := false
	for _, a := range m.Msg.Attachments {
		want = want || !a.Inline
	}
	if !want {
		return nil, nil
	}
	if r.opts.Raw == nil || m.RawHash == "" {
		r.log.Warn("agentmail: no raw store: a reply goes without its attachments", "mailbox", m.Mailbox)
		return nil, nil
	}
	rc, _, err := r.opts.Raw.Open(ctx, m.RawHash)
	if err != nil {
		return nil, &tickets.TransientError{Err: fmt.Errorf("agentmail: open raw message: %w", err)}
	}
	defer rc.Close()
	var out []mailout.Attachment
	total := 0
	_, err = parse.Parse(rc, &parse.Options{Attachment: func(a *parse.Attachment, content io.Reader) error {
		if a.Inline || len(out) >= maxFiles {
			return nil
		}
		b, err := io.ReadAll(io.LimitReader(content, int64(maxFileBytes-total)+1))
		if err != nil {
			return nil // parse reports the read error
		}
		if total+len(b) > maxFileBytes {
			r.log.Warn("agentmail: attachment left out of a reply by mail (over 10 MB in all)", "file", a.Filename)
			return nil
		}
		total += len(b)
		name := a.Filename
		if name == "" {
			name = "adjunto"
		}
		out = append(out, mailout.Attachment{Filename: name, ContentType: a.ContentType, Data: b})
		return nil
	}})
	if err != nil {
		return nil, &tickets.TransientError{Err: fmt.Errorf("agentmail: read attachments: %w", err)}
	}
	return out, nil
}
