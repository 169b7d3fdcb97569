package tickets_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// The queue metrics' numbers: open tickets by department and the creation
// of the oldest one still open; a closed ticket leaves both.
func TestQueueStatsByDepartment(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	var nums []int64
	for i, dept := range []string{"soporte", "pagos", "soporte", "soporte"} {
		inc := e.incoming(mail{from: "maria@cliente.cl", subject: fmt.Sprint("s", i), id: fmt.Sprintf("s%d@x", i)}.raw(), "mb")
		inc.Department = dept
		nums = append(nums, e.ingestIn(inc).Ticket)
		e.clk.Advance(time.Hour)
	}
	if err := e.svc.Close(ctx, nums[0]); err != nil {
		t.Fatal(err)
	}
	stats, err := e.svc.QueueStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(len(stats))
	for _, s := range stats {
		got += fmt.Sprintf(" %s:%d:%s", s.Department, s.Open, s.Oldest.UTC().Format(time.RFC3339))
	}
	want := fmt.Sprintf("2 pagos:1:%s soporte:2:%s", t0.Add(time.Hour).UTC().Format(time.RFC3339), t0.Add(2*time.Hour).UTC().Format(time.RFC3339))
	if got != want {
		t.Fatalf("QueueStats = %s; want %s", got, want)
	}
}
