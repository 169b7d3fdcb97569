// Command console measures the agents' console (/console/) on the
// embedded store against the same domain calls made directly, in the same
// run:
//
//	go run ./bench/console [-tickets 10000] [-ingested 200] [-closed 0] [-n 100] [-nshow 100]
//
// The store holds -tickets open tickets in four departments: -ingested of
// them through tickets.Service.Ingest from generated mail (a third with a
// follow-up; a quarter each left new, set open, pending and solved), the
// rest inserted as documents (seed.InsertOpen: new, open or pending, one
// in ten high priority) and put in the queue projection by RepairQueue,
// as the daemon does at start; -closed closed tickets may sit beside them.
// The console is built as the daemon builds it (console.New with the
// daemon's parts, billing included), served on 127.0.0.1:0 in this
// process and called over real HTTP (keep-alive) with a session cookie
// from a real login. Each request is timed next to its direct counterpart
// (alternating, so load on a shared machine hits both alike):
//
//  1. GET /console/queue (the first page, 50 rows, with the counts per
//     view and the agents' names) against tickets.Service.Queue of the
//     same page for the same agent.
//  2. GET /console/tickets/{n} (n a random ingested ticket: the thread,
//     the forms, the requester's client with billing and recent tickets,
//     the payment report) against tickets.Service.Get of the ticket.
//
// Before the calls, what the daemon runs at start: RepairQueue builds the
// queue projection of the inserted tickets, and the one-time client
// indexes of tickets and billing are built (UpgradeClientIndex,
// UpgradeIndexes). A run of a few minutes on this 2-core machine:
// -tickets 10000 -ingested 50 -n 20 -nshow 20.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"runtime/pprof"
	"strings"
	"time"

	"turno/bench/internal/seed"
	"turno/console"
	"turno/tickets"
)

const password = "caballo correcto batería grapa"

func main() {
	total := flag.Int("tickets", 10000, "open tickets")
	ingested := flag.Int("ingested", 200, "of -tickets, how many are ingested from mail (the ticket page opens these)")
	closed := flag.Int("closed", 0, "closed tickets beside the open ones")
	n := flag.Int("n", 100, "requests for the queue measurement")
	nShow := flag.Int("nshow", 100, "requests for the ticket page measurement")
	prof := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *ingested < 1 || *ingested > *total || *n < 1 || *nShow < 1 || *closed < 0 {
		fmt.Fprintln(os.Stderr, "bench: need 1 <= ingested <= tickets, n >= 1, nshow >= 1")
		os.Exit(2)
	}
	if err := run(*total, *ingested, *closed, *n, *nShow); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(total, ingested, closed, n, nShow int) error {
	ctx := context.Background()
	e, err := seed.Open(ctx)
	if err != nil {
		return err
	}
	defer e.Close()
	start := time.Now()
	db := e.St.DB
	if err := seed.InsertOpen(ctx, db, 1, total-ingested); err != nil {
		return err
	}
	if err := seed.InsertClosed(ctx, db, int64(total-ingested+1), closed, true); err != nil {
		return err
	}
	if err := e.Tickets.RepairQueue(ctx); err != nil {
		return err
	}
	// What the daemon runs at start: the one-time client indexes of
	// tickets and billing over the seeded history.
	if _, err := e.Tickets.UpgradeClientIndex(ctx); err != nil {
		return err
	}
	if e.Billing != nil {
		if err := e.Billing.UpgradeIndexes(ctx); err != nil {
			return err
		}
	}
	tInsert := time.Since(start)
	fmt.Fprintf(os.Stderr, "inserted in %.1fs\n", tInsert.Seconds())
	start = time.Now()
	nums, err := seed.OpenTickets(ctx, e.Tickets, ingested, true)
	if err != nil {
		return err
	}
	if err := seed.MixStatuses(ctx, e.Tickets, e.Actor, nums); err != nil {
		return err
	}
	fmt.Printf("store: %d open tickets in %d departments: %d inserted (queue projection built) in %.0fs, %d ingested (a third with a follow-up) in %.0fs; %d closed beside them\n",
		total, len(seed.Departments), total-ingested, tInsert.Seconds(), ingested, time.Since(start).Seconds(), closed)

	c, err := console.New(console.Options{DB: db, Agents: e.Agents, Tickets: e.Tickets, Replies: e.Replies,
		Clients: e.Clients, Billing: e.Billing, Departments: seed.Departments, Logger: seed.Quiet})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	hc, err := login(ctx, e, base)
	if err != nil {
		return err
	}

	// 1. The queue's first page.
	a, d, err := seed.Pair(n, func(int) error { return get(hc, base+"/console/queue", "id=\"queue") },
		func(int) error {
			p, err := e.Tickets.Queue(ctx, e.Actor, tickets.QueueFilter{Limit: 50})
			if err == nil && len(p.Tickets) == 0 {
				err = fmt.Errorf("the queue is empty")
			}
			return err
		})
	if err != nil {
		return err
	}
	seed.Report("queue first page", "console", "Queue", a, d)

	// 2. One ticket's page, a random ingested ticket each time.
	rng := rand.New(rand.NewPCG(11, 1))
	pick := make([]int64, nShow+3)
	for i := range pick {
		pick[i] = nums[rng.IntN(len(nums))]
	}
	a, d, err = seed.Pair(nShow, func(i int) error {
		return get(hc, fmt.Sprintf("%s/console/tickets/%d", base, pick[i+3]), "ticket-subject")
	}, func(i int) error {
		_, err := e.Tickets.Get(ctx, e.Actor, pick[i+3])
		return err
	})
	if err != nil {
		return err
	}
	seed.Report("ticket page", "console", "Get", a, d)
	return nil
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// login sets the bench agent's password and logs in through the login
// form: the client keeps the session cookie.
func login(ctx context.Context, e *seed.Env, base string) (*http.Client, error) {
	if _, err := e.Agents.SetPassword(ctx, seed.AgentEmail, password); err != nil {
		return nil, err
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(base + "/console/login")
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(b)
	if m == nil {
		return nil, fmt.Errorf("no csrf field on the login page")
	}
	tok := strings.ReplaceAll(string(m[1]), "&#43;", "+")
	resp, err = hc.PostForm(base+"/console/login", url.Values{"csrf": {tok}, "email": {seed.AgentEmail}, "password": {password}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/queue" {
		return nil, fmt.Errorf("login: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return hc, nil
}

// get reads a page whole; anything but 200 with want in it is an error.
func get(hc *http.Client, u, want string) error {
	resp, err := hc.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
		return fmt.Errorf("GET %s: %d (%d bytes)", u, resp.StatusCode, len(b))
	}
	return nil
}
