package mailout

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/internal/testenv"
)

// commandLog records the filters of the commands a client sends.
type commandLog struct {
	mu   sync.Mutex
	cmds []string // "<command> <collection> <filter as relaxed JSON>" for filters not by _id alone
	n    int      // filtered commands seen
}

// byIDOnly reports whether filter is exactly {_id: <string>}: the only shape
// the embedded store (FerretDB 1.24, SQLite) turns into an indexed lookup.
// Any other filter reads and decodes every document of the collection.
func byIDOnly(filter bson.Raw) bool {
	elems, err := filter.Elements()
	if err != nil || len(elems) != 1 || elems[0].Key() != "_id" {
		return false
	}
	_, ok := elems[0].Value().StringValueOK()
	return ok
}

func (l *commandLog) started(_ context.Context, ev *event.CommandStartedEvent) {
	cmd := ev.Command
	coll, _ := cmd.Lookup(ev.CommandName).StringValueOK()
	var filters []bson.Raw
	switch ev.CommandName {
	case "find":
		if f, ok := cmd.Lookup("filter").DocumentOK(); ok {
			filters = append(filters, f)
		}
	case "findAndModify":
		if f, ok := cmd.Lookup("query").DocumentOK(); ok {
			filters = append(filters, f)
		}
	case "update", "delete":
		arr, _ := cmd.Lookup(ev.CommandName + "s").ArrayOK()
		vals, _ := arr.Values()
		for _, v := range vals {
			if d, ok := v.DocumentOK(); ok {
				filters = append(filters, d.Lookup("q").Document())
			}
		}
	default:
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range filters {
		l.n++
		if !byIDOnly(f) {
			l.cmds = append(l.cmds, fmt.Sprintf("%s %s %s", ev.CommandName, coll, f.String()))
		}
	}
}

// Every per-message database operation of a send — enqueue, claim, the
// suppression check, the fenced write of the outcome, moving or dropping
// the ready marker, for a sent and for a retried entry — must filter by _id
// alone. On the embedded store a filter with any other field is not pushed
// down: each such write decoded every entry (measured: 500 entries drained
// at 17/s, falling as the outbox grows), so a drain of n entries cost n².
// Only the scan of the ready set, once per poll interval, may filter on
// due.
func TestPerMessageOperationsFilterByIDOnly(t *testing.T) {
	st := testenv.Store(t)
	log := &commandLog{}
	client, err := mongo.Connect(options.Client().ApplyURI(st.URI).SetMonitor(&event.CommandMonitor{Started: log.started}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	db := client.Database(st.DB.Name())
	r := newRig(t, func(c testenv.Cmd) testenv.Reply {
		if c.Step == testenv.StepRcpt && strings.HasPrefix(c.Arg, "later@") {
			return testenv.Reply{Code: 451, Enhanced: "4.3.0", Message: "try later"}
		}
		return testenv.Reply{}
	}, func(o *Options) { o.DB = db })
	r.db = db
	sent := r.enqueue(t, ackMessage("k-sent", "cliente@example.com"))
	retry := r.enqueue(t, ackMessage("k-retry", "later@example.com"))
	r.waitState(t, sent, StateSent)
	r.waitState(t, retry, StateRetry)
	log.mu.Lock()
	defer log.mu.Unlock()
	var bad []string
	for _, c := range log.cmds {
		if strings.HasPrefix(c, "find "+ReadyCollection+" ") {
			continue // the periodic scan
		}
		bad = append(bad, c)
	}
	if log.n == 0 {
		t.Fatal("no filtered command seen: the monitor is not wired")
	}
	if len(bad) > 0 {
		t.Fatalf("%d of %d filtered commands do not filter by _id alone (a full scan on the embedded store):\n%s",
			len(bad), log.n, strings.Join(bad, "\n"))
	}
}
