package tickets

import (
	"context"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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
// console's counts per view (by assignee and unassigned, same pass). It reads
// only the queue projection (ticket_queue: the tickets not closed), so its
// cost follows the open work, not the closed history.
// Departments with no open ticket are absent. Sorted by department.
func (s *Service) QueueStats(ctx context.Context) ([]QueueStat, error) {
	// Read and counted here: the embedded store has no $min accumulator,
	// and a $group scans the collection all the same.
	cur, err := s.c.queue.Find(ctx, bson.D{{Key: "status", Value: bson.D{{Key: "$ne", Value: StatusClosed}}}},
		options.Find().SetProjection(bson.D{{Key: "department", Value: 1}, {Key: "created_at", Value: 1},
			{Key: "assignee", Value: 1}}))
	if err != nil {
		return nil, failed("read the open queue", err)
	}
	defer cur.Close(ctx)
	by := map[string]*QueueStat{}
	for cur.Next(ctx) {
		var row struct {
			Department string    `bson:"department"`
			CreatedAt  time.Time `bson:"created_at"`
			Assignee   string    `bson:"assignee"`
		}
		if err := cur.Decode(&row); err != nil {
			return nil, failed("read the open queue", err)
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
	if err := cur.Err(); err != nil {
		return nil, failed("read the open queue", err)
	}
	out := make([]QueueStat, 0, len(by))
	for _, st := range by {
		out = append(out, *st)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Department < out[b].Department })
	return out, nil
}
