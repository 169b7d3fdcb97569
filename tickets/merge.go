package tickets

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// maxMergeHops bounds following MergedInto from ticket to ticket.
const maxMergeHops = 10

// Merge merges ticket from into ticket into: from's messages and history
// appear on into, from is closed as merged, and later mail that would have
// joined from joins into.
//
// The steps, each idempotent, run in the order that keeps mail safe: (1)
// from is closed with MergedInto set, so threading already sends new mail
// to into; (2) from's messages and their completion records (the
// Message-ID → ticket lookup) move to into; (3) into gets from's history
// and a merged_from event. A crash leaves from marked, and calling Merge
// again completes the rest.
func (s *Service) Merge(ctx context.Context, a Actor, from, into int64) (*Ticket, error) {
	if from == into {
		return nil, badInput("into", "a ticket cannot be merged into itself")
	}
	src, err := s.seen(ctx, a, from)
	if err != nil {
		return nil, err
	}
	dst, err := s.seen(ctx, a, into)
	if err != nil {
		return nil, err
	}
	if dst.MergedInto != 0 {
		return nil, badInput("into", "ticket %d was itself merged into %d", into, dst.MergedInto)
	}
	if src.MergedInto != 0 && src.MergedInto != into {
		return nil, badInput("", "ticket %d was already merged into %d", from, src.MergedInto)
	}
	// (1) Mark from.
	src, err = s.act(ctx, a, from, func(t *Ticket) ([]Event, error) {
		if t.MergedInto == into {
			return nil, nil // a retry
		}
		if t.MergedInto != 0 {
			return nil, badInput("", "ticket %d was already merged into %d", from, t.MergedInto)
		}
		t.MergedInto = into
		evs := []Event{{By: a.Email, Type: EventMerged, From: t.Status, To: ticketID(into)}}
		if t.Status != StatusClosed {
			evs = append(evs, s.setStatus(t, StatusClosed, a.Email))
		}
		return evs, nil
	})
	if err != nil {
		return nil, err
	}
	// (2) Move its messages and their Message-ID lookups.
	move := bson.D{{Key: "$set", Value: bson.D{{Key: "ticket", Value: into}}}}
	if _, err := s.c.messages.UpdateMany(ctx, bson.D{{Key: "ticket", Value: from}}, move); err != nil {
		return nil, failed(fmt.Sprintf("move messages of ticket %d", from), err)
	}
	if _, err := s.c.done.UpdateMany(ctx, bson.D{{Key: "ticket", Value: from}}, move); err != nil {
		return nil, failed(fmt.Sprintf("move message lookups of ticket %d", from), err)
	}
	// (3) Its history on into.
	fromID := ticketID(from)
	return s.act(ctx, a, into, func(t *Ticket) ([]Event, error) {
		for _, e := range t.Events {
			if e.Type == EventMergedFrom && e.From == fromID {
				return nil, nil // done before
			}
		}
		for _, e := range src.Events {
			if e.Type == EventMerged {
				continue
			}
			e.Note = joinNote(fmt.Sprintf("on #%d", from), e.Note)
			t.Events = append(t.Events, e)
		}
		slices.SortStableFunc(t.Events, func(x, y Event) int { return x.At.Compare(y.At) })
		if lp := src.LastPublic; lp != nil && (t.LastPublic == nil || newerThan(lp.At, lp.Key, t.LastPublic.At, t.LastPublic.Key)) {
			t.LastPublic = lp
		}
		return []Event{{By: a.Email, Type: EventMergedFrom, From: fromID, To: ticketID(into),
			Note: fmt.Sprintf("#%d %q from %s", from, src.Subject, src.Requester.Address)}}, nil
	})
}

func joinNote(a, b string) string {
	if b == "" {
		return a
	}
	return a + ": " + b
}

// mergedSources lists the tickets merged into t (from its merged_from
// events), whose stragglers Get shows with t's thread.
func mergedSources(t *Ticket) []int64 {
	var out []int64
	for _, e := range t.Events {
		if e.Type != EventMergedFrom {
			continue
		}
		if n, err := strconv.ParseInt(e.From, 10, 64); err == nil && n > 0 && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// survivor follows MergedInto from t to the ticket that took its mail
// (bounded, so a cycle made by two crossed merges cannot loop).
func (s *Service) survivor(ctx context.Context, t *Ticket) (*Ticket, error) {
	for range maxMergeHops {
		if t == nil || t.MergedInto == 0 {
			return t, nil
		}
		next, err := s.getTicket(ctx, t.MergedInto)
		if err != nil {
			return nil, err
		}
		if next == nil {
			return t, nil
		}
		t = next
	}
	return t, nil
}
