// Command api measures the agents' API (/api/v1) on the embedded store
// against the same store reads and writes done directly, in the same run:
//
//	go run ./bench/api [-tickets 10000] [-notclosed 2000] [-closed 200000] [-open 500] [-n 200] [-nshow 200] [-replies 100]
//
// The API is mounted as the daemon mounts it (api.Mount on an
// httpapi.Server, services built by daemon.NewWorkParts), served on
// 127.0.0.1:0 in this process and called over real HTTP (keep-alive) with
// an agent's bearer token. Each API request is timed next to its direct
// counterpart (alternating, so load on a shared machine hits both alike):
//
//  1. With -tickets tickets, -notclosed of them not closed (ingested from
//     generated mail through tickets.Service.Ingest, a third with a
//     follow-up message; then a quarter each left new, set open, pending
//     and solved; one in ten marked high priority) and the rest closed
//     (inserted as documents with one message each), in four departments:
//     GET /api/v1/tickets (first page, limit 50) against a Find of the
//     same page on the ticket_queue projection (sorted by sort_key, the
//     agent's departments, limit 51); GET /api/v1/tickets/{n} (n a random
//     ticket not closed) against a FindOne by _id plus the Find of its
//     messages sorted by arrival. The API's show also reads the client
//     at a glance (registry and billing), which the direct read does not.
//  2. POST /api/v1/tickets/{n}/replies (fresh Idempotency-Key, answers
//     the ticket's LastPublic.Key, status pending; the reply is enqueued
//     in the outbox) on -replies distinct tickets, against one raw
//     InsertOne of a document of the reply's size into a scratch
//     collection.
//  3. In a fresh store: the first page of the queue with -open tickets
//     (ingested) beside no closed ticket, then beside -closed closed
//     tickets (inserted in InsertMany batches of 99: history, never in
//     the projection); the ratio of the two should be about 1.
//
// At full size most of the run is seeding: on a shared 2-core machine
// (load 4 to 13) ingesting the 2,000 tickets and setting their statuses
// took 13 minutes of a 33-minute run with -nshow 50 (a show reads its
// thread with a filtered scan of every message: 2.8 s each at 10,000
// tickets). For a quick run: -tickets 2000 -closed 20000.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
)

func main() {
	nTickets := flag.Int("tickets", 10000, "tickets in measurements 1 and 2")
	notClosed := flag.Int("notclosed", 0, "of -tickets, how many are not closed (default a fifth)")
	closed := flag.Int("closed", 200000, "closed tickets beside the open ones in measurement 3")
	open := flag.Int("open", 500, "open tickets in measurement 3")
	n := flag.Int("n", 200, "requests per read measurement")
	nShow := flag.Int("nshow", 0, "requests for the show measurement (default -n): its thread read scans every message")
	replies := flag.Int("replies", 100, "replies (each on its own ticket)")
	prof := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	if *nShow == 0 {
		*nShow = *n
	}
	if *notClosed == 0 {
		*notClosed = *nTickets / 5
	}
	if *notClosed > *nTickets || *replies > *notClosed/2 || *n < 1 || *nShow < 1 || *open < 1 {
		fmt.Fprintln(os.Stderr, "bench: need notclosed <= tickets, replies <= notclosed/2, n >= 1, open >= 1")
		os.Exit(2)
	}
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	err := measureWork(*nTickets, *notClosed, *n, *nShow, *replies)
	if err == nil {
		err = measureHistory(*open, *closed, *n)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
