package mailout

import (
	"context"
	"fmt"
	"testing"
	"time"

	"turno/config"
	"turno/templates"
)

func TestDrainMeasuresWindow(t *testing.T) {
	// The rig's clock does not move, so a send that timed out under load
	// would wait in retry forever: this test is about the window, not
	// timeouts, so give the relay all the time it needs.
	r := newRig(t, nil, func(o *Options) {
		o.Outbox.Connections = 4
		o.Outbox.SMTPTimeout = config.Duration(time.Minute)
	})
	ctx := context.Background()
	t1 := time.Now()
	for i := range 100 {
		_, err := r.ob.Enqueue(ctx, Message{Key: fmt.Sprint("k", i), Template: "payment_received", Data: templates.SampleData("payment_received"), To: []string{"a@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("enqueue: %s", time.Since(t1))
	r.smtp.WaitFor(100, time.Minute)
	if got := len(r.smtp.Received()); got != 100 {
		t.Fatalf("delivered %d of 100", got)
	}
	r.waitState(t, "k99", StateSent)
	n, mean, longest := r.ob.DuplicateWindow()
	t.Logf("drain %s; duplicate window over %d sends: mean %s, max %s", time.Since(t1), n, mean, longest)
	if n == 0 || longest <= 0 {
		t.Fatal("window not measured")
	}
}
