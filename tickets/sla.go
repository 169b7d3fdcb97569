package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/sla"
)

// Service levels: each ticket carries the due times of its first response
// and its resolution (package sla computes them from Options.SLA), kept in
// step by every write (trackSLA, called by update and when a ticket is
// opened). CheckSLA records breaches; Queue and Get mark overdue tickets.

// EventSLABreach is the event CheckSLA records once per ticket and target;
// its To is the target (TargetFirstResponse or TargetResolution), its Note
// the due time that passed.
const EventSLABreach = "sla_breach"

// Service-level targets.
const (
	TargetFirstResponse = "first_response"
	TargetResolution    = "resolution"
)

// WaitInterval is a stretch the ticket waited on the customer (pending) or
// stood solved or closed: it does not count toward resolution. A zero End
// means it is waiting now.
type WaitInterval struct {
	Start time.Time `bson:"start" json:"start"`
	End   time.Time `bson:"end,omitempty" json:"end,omitzero"`
}

// waits reports whether status stops the resolution clock.
func waits(status string) bool {
	return status == StatusPending || status == StatusSolved || status == StatusClosed
}

// trackSLA brings t's service-level fields in line with its state at now:
// a waiting stretch opens when the ticket enters pending (or solved, or
// closed) and closes when it leaves; the first "reply" event among evs is
// the first response (once); the due times are recomputed from the first
// arrival, the label and the waiting stretches. Without a policy only the
// stretches and the first response are kept (the due times are left as
// they are, so a process without the policy does not erase them).
func (s *Service) trackSLA(t *Ticket, evs []Event, now time.Time) {
	open := len(t.Waiting) > 0 && t.Waiting[len(t.Waiting)-1].End.IsZero()
	switch w := waits(t.Status); {
	case w && !open:
		t.Waiting = append(t.Waiting, WaitInterval{Start: now})
	case !w && open:
		t.Waiting[len(t.Waiting)-1].End = now
	}
	if t.FirstResponseAt.IsZero() {
		for _, ev := range evs {
			if ev.Type == EventReply {
				t.FirstResponseAt = ev.At
				if t.FirstResponseAt.IsZero() {
					t.FirstResponseAt = now
				}
				break
			}
		}
	}
	p := s.opts.SLA
	if p == nil {
		return
	}
	ivs := make([]sla.Interval, len(t.Waiting))
	for i, w := range t.Waiting {
		ivs[i] = sla.Interval{Start: w.Start, End: w.End}
	}
	fr, res := p.Due(slaStart(t), t.Label, ivs)
	t.FirstResponseDue, t.ResolutionDue = fr.UTC(), res.UTC()
}

// slaStart is when a ticket's clocks start: the arrival of the mail that
// opened it (when the customer wrote to us), else its creation.
func slaStart(t *Ticket) time.Time {
	if !t.FirstArrival.IsZero() {
		return t.FirstArrival
	}
	return t.CreatedAt
}

// overdueTargets lists the targets t is past due on at now. A target is
// met by the first agent reply (first response) or by solving the ticket
// (resolution); a solved or closed ticket owes nothing.
func overdueTargets(t *Ticket, now time.Time) []string {
	if t.Status == StatusSolved || t.Status == StatusClosed {
		return nil
	}
	var out []string
	if t.FirstResponseAt.IsZero() && !t.FirstResponseDue.IsZero() && now.After(t.FirstResponseDue) {
		out = append(out, TargetFirstResponse)
	}
	if !t.ResolutionDue.IsZero() && now.After(t.ResolutionDue) {
		out = append(out, TargetResolution)
	}
	return out
}

// markOverdue sets t.Overdue at now (only with a policy: without one the
// due times are not kept).
func (s *Service) markOverdue(t *Ticket, now time.Time) {
	t.Overdue = s.opts.SLA != nil && len(overdueTargets(t, now)) > 0
}

// overdueQuery is the query condition of overdueTargets: some target past
// due at now and not met.
func overdueQuery(now time.Time) bson.E {
	owes := bson.E{Key: "status", Value: bson.D{{Key: "$nin", Value: bson.A{StatusSolved, StatusClosed}}}}
	return bson.E{Key: "$or", Value: bson.A{
		bson.D{owes, {Key: "first_response_at", Value: bson.D{{Key: "$exists", Value: false}}},
			{Key: "first_response_due", Value: bson.D{{Key: "$lt", Value: now}}}},
		bson.D{owes, {Key: "resolution_due", Value: bson.D{{Key: "$lt", Value: now}}}},
	}}
}

// Breach is one breach CheckSLA recorded.
type Breach struct {
	Ticket     int64
	Department string
	Target     string // TargetFirstResponse or TargetResolution
}

// SLAReport is what one CheckSLA run found.
type SLAReport struct {
	// Breaches are those this call recorded (not those recorded before,
	// by an earlier run or another process).
	Breaches []Breach
	// Overdue counts the open tickets past a due time, by department;
	// every known department (Options.Departments) is present, 0 when
	// none is overdue.
	Overdue map[string]int
}

// CheckSLA records the breaches due at now and returns how many this call
// recorded; see CheckSLAReport.
func (s *Service) CheckSLA(ctx context.Context) (breaches int, err error) {
	r, err := s.CheckSLAReport(ctx)
	return len(r.Breaches), err
}

// CheckSLAReport reads the queue index (queuecache.go: the projection of
// the open work, in memory) for tickets past a due time and records each breach once per ticket and target: an
// EventSLABreach event, with the target added to the ticket's SLABreached in
// the same write (through update, so concurrent changes and the projection
// are handled). A ticket whose SLABreached has the target gets nothing more,
// so repeated runs and several processes record it once. Tickets in the
// projection without due times (opened before service levels, or by a
// process without the policy) get them here. Without a policy it does
// nothing. On error the report holds what was recorded until then.
func (s *Service) CheckSLAReport(ctx context.Context) (SLAReport, error) {
	r := SLAReport{Overdue: map[string]int{}}
	for _, d := range s.opts.Departments {
		r.Overdue[d] = 0
	}
	if s.opts.SLA == nil {
		return r, nil
	}
	if err := s.RepairQueue(ctx); err != nil {
		return r, err
	}
	now := s.clk.Now().UTC()
	// Candidates from the queue index (queuecache.go): past a due time, or
	// without due times.
	var ts []Ticket
	err := s.withQueue(ctx, func(rows []*Ticket) {
		for _, row := range rows {
			if row.FirstResponseDue.IsZero() || len(overdueTargets(row, now)) > 0 {
				ts = append(ts, copyRow(row))
			}
		}
	})
	if err != nil {
		return r, err
	}
	for _, t := range ts {
		if t.FirstResponseDue.IsZero() {
			if _, ok := s.opts.SLA.Targets[t.Label]; !ok {
				continue // no target for its label: nothing to backfill
			}
			t2, err := s.update(ctx, t.Number, func(t *Ticket) ([]Event, error) {
				s.trackSLA(t, nil, now)
				return nil, nil
			})
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return r, err
			}
			t = *t2
		}
		targets := overdueTargets(&t, now)
		if len(targets) == 0 {
			continue
		}
		r.Overdue[t.Department]++
		for _, target := range targets {
			if slices.Contains(t.SLABreached, target) {
				continue
			}
			b, err := s.recordBreach(ctx, t.Number, target, now)
			if err != nil {
				return r, err
			}
			if b != nil {
				r.Breaches = append(r.Breaches, *b)
			}
		}
	}
	if len(r.Breaches) > 0 {
		s.log.Info("service-level breaches recorded", "count", len(r.Breaches))
	}
	return r, nil
}

// recordBreach records ticket n's breach of target, unless the ticket
// (read fresh under its lock) has it already or no longer is past due on
// it. It returns the breach it recorded, nil when none.
func (s *Service) recordBreach(ctx context.Context, n int64, target string, now time.Time) (*Breach, error) {
	var b *Breach
	_, err := s.update(ctx, n, func(t *Ticket) ([]Event, error) {
		b = nil // fn may run again on a newer state
		if slices.Contains(t.SLABreached, target) || !slices.Contains(overdueTargets(t, now), target) {
			return nil, nil
		}
		due := t.FirstResponseDue
		if target == TargetResolution {
			due = t.ResolutionDue
		}
		t.SLABreached = append(t.SLABreached, target)
		b = &Breach{Ticket: t.Number, Department: t.Department, Target: target}
		return []Event{{By: BySystem, Type: EventSLABreach, To: target,
			Note: "due " + due.UTC().Format(time.RFC3339)}}, nil
	})
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("record %s breach of ticket %d: %w", target, n, err)
	}
	return b, nil
}
