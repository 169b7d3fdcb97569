package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/bench/internal/seed"
	"turno/tickets"
)

const page = 50

// directPage reads the queue's first page as Queue does for the agent:
// the projection, the agent's departments, sorted by sort_key, one more
// than the page, without events.
func directPage(ctx context.Context, e *env) func(int) error {
	queue := e.St.DB.Collection(tickets.CollQueue)
	q := bson.D{{Key: "department", Value: bson.D{{Key: "$in", Value: e.Actor.Departments}}}}
	opts := options.Find().SetSort(bson.D{{Key: "sort_key", Value: 1}}).SetLimit(page + 1).
		SetProjection(bson.D{{Key: "events", Value: 0}})
	return func(int) error {
		cur, err := queue.Find(ctx, q, opts)
		if err != nil {
			return err
		}
		var ts []tickets.Ticket
		if err := cur.All(ctx, &ts); err != nil {
			return err
		}
		if len(ts) == 0 {
			return fmt.Errorf("the queue is empty")
		}
		return nil
	}
}

func apiPage(e *env) func(int) error {
	return func(int) error { return e.call("GET", fmt.Sprintf("/tickets?limit=%d", page), nil, "", 200) }
}

func measureWork(total, notClosed, n, nShow, nReplies int) error {
	ctx := context.Background()
	e, err := newEnv(ctx)
	if err != nil {
		return err
	}
	defer e.close()
	start := time.Now()
	nums, err := seed.OpenTickets(ctx, e.Tickets, notClosed, true)
	if err != nil {
		return err
	}
	if err := seed.MixStatuses(ctx, e.Tickets, e.Actor, nums); err != nil {
		return err
	}
	tOpen := time.Since(start)
	start = time.Now()
	if err := seed.InsertClosed(ctx, e.St.DB, 1, total-notClosed, true); err != nil {
		return err
	}
	fmt.Printf("store: %d tickets in %d departments: %d not closed (ingested, a third with a follow-up; new/open/pending/solved) in %.0fs, %d closed (inserted, a message each) in %.0fs\n",
		total, len(seed.Departments), notClosed, tOpen.Seconds(), total-notClosed, time.Since(start).Seconds())

	// 1. The queue's first page and one ticket's show.
	a, d, err := seed.Pair(n, apiPage(e), directPage(ctx, e))
	if err != nil {
		return err
	}
	seed.Report("list first page", "api", "direct", a, d)

	rng := rand.New(rand.NewPCG(11, 1))
	pick := make([]int64, nShow+3)
	for i := range pick {
		pick[i] = nums[rng.IntN(len(nums))]
	}
	tc, mc := e.St.DB.Collection(tickets.CollTickets), e.St.DB.Collection(tickets.CollMessages)
	threadOpts := options.Find().SetSort(bson.D{{Key: "arrived_at", Value: 1}, {Key: "_id", Value: 1}})
	a, d, err = seed.Pair(nShow, func(i int) error {
		return e.call("GET", fmt.Sprintf("/tickets/%d", pick[i+3]), nil, "", 200)
	}, func(i int) error {
		num := pick[i+3]
		var t tickets.Ticket
		if err := tc.FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprint(num)}}).Decode(&t); err != nil {
			return err
		}
		// The reads Show makes: the thread's messages by _id when the
		// ticket keeps their keys, else the filtered read.
		var msgs []tickets.Message
		if t.Keyed {
			for _, k := range t.MessageKeys {
				var m tickets.Message
				if err := mc.FindOne(ctx, bson.D{{Key: "_id", Value: k}}).Decode(&m); err != nil {
					return err
				}
				msgs = append(msgs, m)
			}
		} else {
			cur, err := mc.Find(ctx, bson.D{{Key: "ticket", Value: num}}, threadOpts)
			if err != nil {
				return err
			}
			if err := cur.All(ctx, &msgs); err != nil {
				return err
			}
		}
		if len(msgs) == 0 {
			return fmt.Errorf("ticket %d has no messages", num)
		}
		return nil
	})
	if err != nil {
		return err
	}
	seed.Report("show ticket", "api", "direct", a, d)

	// 2. Replies on distinct new or open tickets, against raw inserts.
	var targets []int64
	for _, i := range rng.Perm(len(nums)) {
		if i%4 <= 1 { // new or open (see mixStatuses)
			targets = append(targets, nums[i])
		}
	}
	if len(targets) < nReplies+3 {
		return fmt.Errorf("only %d new or open tickets for %d replies", len(targets), nReplies)
	}
	text := strings.Repeat("Gracias por escribirnos: revisamos el servidor y ya responde. ", 10) // ~620 B
	scratch := e.St.DB.Collection("bench_scratch")
	var replyReq [][]byte
	for _, num := range targets[:nReplies+3] {
		var t tickets.Ticket
		if err := tc.FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprint(num)}}).Decode(&t); err != nil {
			return err
		}
		if t.LastPublic == nil {
			return fmt.Errorf("ticket %d has no last public message", num)
		}
		b, _ := json.Marshal(map[string]any{"text": text, "answers": t.LastPublic.Key, "status": tickets.StatusPending})
		replyReq = append(replyReq, b)
	}
	now := time.Now().UTC()
	a, d, err = seed.Pair(nReplies, func(i int) error {
		return e.call("POST", fmt.Sprintf("/tickets/%d/replies", targets[i+3]), replyReq[i+3], fmt.Sprintf("bench-reply-%d", i+3), 0)
	}, func(i int) error {
		key := fmt.Sprintf("raw%d@bench", i+3)
		_, err := scratch.InsertOne(ctx, tickets.Message{Key: key, Ticket: targets[i+3], Disposition: tickets.DispTicket,
			MessageID: key, From: tickets.Address{Name: "Ana Rojas — Soporte", Address: "soporte@turno.example"},
			To: []tickets.Address{{Address: "cliente@cliente.cl"}}, Subject: "Re: [Ticket #1] Consulta", Kind: "normal",
			Text: text, Mailbox: "soporte", ArrivedAt: now, StoredAt: now, Thread: "reply", Direction: tickets.DirReply,
			Agent: seed.AgentEmail, AgentName: "Ana Rojas", Answers: "o1@bench", OutboxID: key, RequestHash: key, State: "sent"})
		return err
	})
	if err != nil {
		return err
	}
	seed.Report("reply", "api", "raw insert", a, d)
	return nil
}

// measureHistory is measurement 3: the queue's first page beside no
// closed ticket and beside closed ones, in two stores seeded with the same
// open tickets (one of them also holding the closed history) and read
// alternately, so that load on a shared machine hits both alike.
func measureHistory(open, closed, n int) error {
	ctx := context.Background()
	var envs [2]*env
	for i := range envs {
		e, err := newEnv(ctx)
		if err != nil {
			return err
		}
		defer e.close()
		nums, err := seed.OpenTickets(ctx, e.Tickets, open, false)
		if err != nil {
			return err
		}
		if err := seed.MixStatuses(ctx, e.Tickets, e.Actor, nums); err != nil {
			return err
		}
		envs[i] = e
	}
	start := time.Now()
	if err := seed.InsertClosed(ctx, envs[1].St.DB, 1, closed, false); err != nil {
		return err
	}
	fmt.Printf("history: two stores with the same %d open tickets (ingested); %d closed inserted into one in %.0fs (InsertMany of 99)\n",
		open, closed, time.Since(start).Seconds())
	ds, err := seed.Alternate(n, apiPage(envs[0]), apiPage(envs[1]), directPage(ctx, envs[0]), directPage(ctx, envs[1]))
	if err != nil {
		return err
	}
	seed.Report("queue, 0 closed", "api", "direct", ds[0], ds[2])
	seed.Report(fmt.Sprintf("queue, %d closed", closed), "api", "direct", ds[1], ds[3])
	fmt.Printf("queue, %d closed / 0 closed  api p50 %.2f p99 %.2f  direct p50 %.2f p99 %.2f\n", closed,
		float64(ds[1].Pct(.5))/float64(ds[0].Pct(.5)), float64(ds[1].Pct(.99))/float64(ds[0].Pct(.99)),
		float64(ds[3].Pct(.5))/float64(ds[2].Pct(.5)), float64(ds[3].Pct(.99))/float64(ds[2].Pct(.99)))
	return nil
}
