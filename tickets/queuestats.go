package tickets

import (
	"context"
	"sort"
	"time"
)

// QueueStat is one department's open work: how many tickets are not
// closed and when the oldest of them was created.
type QueueStat struct {
	Department string
	Open       int
	Oldest     time.Time
	// Unassigned of Open have no assignee; Assigned counts the rest by
	// assignee (the console's "mine" and "unassigned" counts).
	Unassigned int
	Assigned   map[string]int
}

// QueueStats counts the open queue by department, for the queue metrics
// (turno_tickets_open, turno_tickets_oldest_open_age_seconds) and the
// console's counts per view (by assignee and unassigned, same pass). It
// counts the queue index (queuecache.go: ticket_queue, the tickets not
// closed, in memory and kept current), so its cost follows the open work,
// not the closed history, and it reads only the change log by _id.
// Departments with no open ticket are absent. Sorted by department.
func (s *Service) QueueStats(ctx context.Context) ([]QueueStat, error) {
	if err := s.RepairQueue(ctx); err != nil {
		return nil, err
	}
	by := map[string]*QueueStat{}
	err := s.withQueue(ctx, func(rows []*Ticket) {
		for _, row := range rows {
			if row.Status == StatusClosed {
				continue
			}
			st := by[row.Department]
			if st == nil {
				st = &QueueStat{Department: row.Department, Oldest: row.CreatedAt, Assigned: map[string]int{}}
				by[row.Department] = st
			}
			st.Open++
			if row.Assignee == "" {
				st.Unassigned++
			} else {
				st.Assigned[row.Assignee]++
			}
			if row.CreatedAt.Before(st.Oldest) {
				st.Oldest = row.CreatedAt
			}
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([]QueueStat, 0, len(by))
	for _, st := range by {
		out = append(out, *st)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Department < out[b].Department })
	return out, nil
}
