package tickets_test

import (
	"context"
	"fmt"
	"testing"
)

// QueueStats counts, in the same pass, each department's unassigned
// tickets and the assigned ones by assignee (the console's view counts);
// a closed ticket counts nowhere.
func TestQueueStatsByAssignee(t *testing.T) {
	e := workEnv(t, nil)
	ctx := context.Background()
	var nums []int64
	for i := range 4 {
		nums = append(nums, e.ingest(mail{from: "maria@cliente.cl", subject: fmt.Sprint("a", i), id: fmt.Sprintf("a%d@x", i)}.raw()).Ticket)
	}
	for _, n := range nums[:3] {
		if _, err := e.svc.Assign(ctx, admin, n, agentAna.Email); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.Close(ctx, nums[0]); err != nil {
		t.Fatal(err)
	}
	stats, err := e.svc.QueueStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 1 {
		t.Fatalf("stats = %+v", stats)
	}
	s := stats[0]
	want(t, "open", s.Open, 3)
	want(t, "unassigned", s.Unassigned, 1)
	want(t, "Ana's", s.Assigned[agentAna.Email], 2)
	want(t, "assignees", len(s.Assigned), 1)
}
