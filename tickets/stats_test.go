package tickets_test

import (
	"context"
	"testing"
	"time"

	"turno/tickets"
)

// The daily counters follow the business day: a ticket opened at 22:30
// in Santiago (01:30 UTC the next day) counts on the Santiago day; its
// first answer two hours later counts once with its seconds, a second
// answer and a solve count nothing and one.
func TestDailyCountersByBusinessDay(t *testing.T) {
	santiago, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *tickets.Options) { o.Location = santiago })
	ctx := context.Background()
	e.clk.Set(time.Date(2026, 11, 16, 22, 30, 0, 0, santiago))
	n := e.ingest(mail{from: "maria@cliente.cl", subject: "Sin correo", id: "d1@cliente.cl"}.raw()).Ticket
	e.clk.Advance(2 * time.Hour)
	ana := tickets.Actor{Email: "ana@turno.test", Name: "Ana", Departments: []string{"soporte"}}
	for i, st := range []string{tickets.StatusOpen, tickets.StatusSolved} {
		if _, err := e.svc.Reply(ctx, ana, n, tickets.ReplyInput{Key: "k" + string(rune('a'+i)), Force: true, Text: "Listo.", Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	days, err := e.svc.DailyStats(ctx, e.clk.Now(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if days[0].Day != "2026-11-15" || days[1].Day != "2026-11-16" || days[2].Day != "2026-11-17" {
		t.Fatalf("days %+v", days)
	}
	if d := days[1]; d.Opened != 1 || d.Solved != 0 || d.FirstResponses != 0 {
		t.Fatalf("the opening day %+v", d)
	}
	if d := days[2]; d.Opened != 0 || d.Solved != 1 || d.FirstResponses != 1 || d.MeanFirstResponse() != 2*time.Hour {
		t.Fatalf("the answering day %+v (mean %s)", d, d.MeanFirstResponse())
	}
}
