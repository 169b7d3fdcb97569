package clients

import (
	"context"
	"fmt"
	"testing"
)

func TestBulkEditDryRunThenApplyAudited(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	ctx := context.Background()
	for i := range 4 {
		c := completeClient(fmt.Sprintf("C%d", i), fmt.Sprintf("c%d@example.cl", i))
		c.Zone = []string{"Norte", "Sur"}[i%2]
		mustAdd(t, r, c)
	}
	f, err := ParseFilter([]string{"zone=Norte", "active=sí"})
	if err != nil {
		t.Fatal(err)
	}
	sets := []Assignment{{"seller", "Paula"}, {"support_tier", "Premium"}}
	dry, err := r.BulkEdit(ctx, f, sets, "op", true)
	if err != nil || dry.Matched != 2 || fmt.Sprint(dry.Changed) != "[C0 C2]" {
		t.Fatalf("dry run %+v %v", dry, err)
	}
	if c, _ := r.Get(ctx, "C0"); c.Seller != "" {
		t.Fatal("dry run wrote")
	}
	if _, err := r.BulkEdit(ctx, f, []Assignment{{"colour", "x"}}, "op", false); err == nil {
		t.Fatal("unknown field accepted")
	}
	res, err := r.BulkEdit(ctx, f, sets, "op", false)
	if err != nil || fmt.Sprint(res.Changed) != "[C0 C2]" {
		t.Fatalf("apply %+v %v", res, err)
	}
	c, _ := r.Get(ctx, "C2")
	if c.Seller != "Paula" || c.SupportTier != "premium" {
		t.Fatalf("C2 %+v", c)
	}
	trail, _ := r.Audit(ctx, "C2")
	if last := trail[len(trail)-1]; last.Action != "bulk_edit" || last.By != "op" {
		t.Fatalf("audit %+v", trail)
	}
	again, _ := r.BulkEdit(ctx, f, sets, "op", false)
	if len(again.Changed) != 0 {
		t.Fatalf("second apply changed %v", again.Changed)
	}
}
