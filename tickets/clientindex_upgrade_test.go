package tickets_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/internal/testenv"
	"turno/tickets"
)

// Tickets written before ticket_client_index existed: the one-time
// upgrade indexes every client's in one pass, and from then on a client's
// tickets are read by _id only (no client_id filter is sent, even for a
// client with no tickets); a second service sees the flag and does not
// scan again.
func TestUpgradeClientIndexOnceThenReadsByID(t *testing.T) {
	ctx := context.Background()
	st := testenv.Store(t)
	db := st.DB
	var docs []any
	for n, c := range map[int64]string{100001: "C1", 100002: "C2", 100003: "C1", 100004: "", 100005: "C1"} {
		docs = append(docs, bson.D{{Key: "_id", Value: strconv.FormatInt(n, 10)}, {Key: "number", Value: n}, {Key: "client_id", Value: c},
			{Key: "subject", Value: "antiguo"}, {Key: "status", Value: "closed"}, {Key: "department", Value: "soporte"}})
	}
	if _, err := db.Collection(tickets.CollTickets).InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	svc, err := tickets.New(tickets.Options{DB: db, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	n, err := svc.UpgradeClientIndex(ctx)
	if err != nil || n != 2 {
		t.Fatalf("upgrade: %d clients, %v", n, err)
	}

	// A second service on the same store, its commands watched.
	var (
		mu      sync.Mutex
		filters []bson.Raw
	)
	mon := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName == "find" && e.DatabaseName == db.Name() {
			if f, err := e.Command.LookupErr("filter"); err == nil {
				mu.Lock()
				filters = append(filters, append(bson.Raw(nil), f.Document()...))
				mu.Unlock()
			}
		}
	}}
	cl, err := mongo.Connect(options.Client().ApplyURI(st.URI).SetMonitor(mon))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Disconnect(context.Background()) })
	svc2, err := tickets.New(tickets.Options{DB: cl.Database(db.Name()), Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc2.UpgradeClientIndex(ctx); err != nil || n != 0 {
		t.Fatalf("second upgrade: %d clients, %v", n, err)
	}
	for client, want := range map[string][]int64{"C1": {100005, 100003, 100001}, "C2": {100002}, "C9": nil} {
		ts, err := svc2.ClientTickets(ctx, client, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, tk := range ts {
			got = append(got, tk.Number)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: tickets %v, want %v", client, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: tickets %v, want %v", client, got, want)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, f := range filters {
		elems, _ := f.Elements()
		if len(elems) != 1 || elems[0].Key() != "_id" {
			t.Fatalf("a find filtered on %s after the upgrade", f)
		}
	}
	if len(filters) == 0 {
		t.Fatal("no find observed: the monitor is not watching")
	}
}
