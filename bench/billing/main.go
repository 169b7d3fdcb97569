// Command billing measures the billing cycle on the embedded store: a cycle
// over N contracts (insert, number without gaps, render the PDF, enqueue,
// mark mailed) against the ceiling of writing N invoice documents with one
// unordered insertMany, in the same run, for N = 5,000 and 50,000.
//
//	go run ./bench/billing [-sizes 5000,50000]
//
// The mailer is an in-memory recorder (the outbox's own cost is the outbox
// benchmark's business); clients come from an in-memory directory.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"turno/billing"
	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/mailout"
	"turno/scheduler"
	"turno/store"
)

type directory map[string]*clients.Client

func (d directory) Get(_ context.Context, id string) (*clients.Client, error) {
	c, ok := d[id]
	if !ok {
		return nil, fmt.Errorf("client %s not found", id)
	}
	return c, nil
}

func (d directory) BillingAddress(_ context.Context, id string) (string, error) {
	return d[id].Email, nil
}

type recorder struct{ n atomic.Int64 }

func (r *recorder) Enqueue(_ context.Context, m mailout.Message) (string, error) {
	r.n.Add(1)
	return m.Key, nil
}

func main() {
	sizes := flag.String("sizes", "5000,50000", "contract counts")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	dir, err := os.MkdirTemp("", "turno-bench-billing-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, store.Options{DataDir: dir, Logger: quiet})
	if err != nil {
		fail(err)
	}
	defer st.Close(ctx)
	var first time.Duration
	var firstN int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			fail(err)
		}
		cycle, ceiling, mails := run(ctx, st, n, quiet)
		fmt.Printf("n=%d  cycle %s (%.0f invoices/s, %d mails)  insertMany ceiling %s  ratio %.1fx  peak RSS %s\n",
			n, cycle.Round(time.Millisecond), float64(n)/cycle.Seconds(), mails, ceiling.Round(time.Millisecond),
			cycle.Seconds()/ceiling.Seconds(), peakRSS())
		if first == 0 {
			first, firstN = cycle, n
		} else {
			fmt.Printf("growth %d→%d: %.1fx time for %.0fx contracts\n", firstN, n, cycle.Seconds()/first.Seconds(), float64(n)/float64(firstN))
		}
	}
}

func run(ctx context.Context, st *store.Store, n int, log *slog.Logger) (time.Duration, time.Duration, int64) {
	db := st.Client.Database(fmt.Sprintf("bench_%d", n))
	if err := store.EnsureIndexes(ctx, db, billing.Indexes()); err != nil {
		fail(err)
	}
	dirc := directory{}
	contracts := make([]any, 0, n)
	for i := range n {
		id := fmt.Sprintf("c%06d", i/2)
		if dirc[id] == nil {
			dirc[id] = &clients.Client{ID: id, Email: id + "@cliente.cl", Active: true, BillingEnabled: true,
				Billing: clients.BillingData{RazonSocial: "Cliente " + id + " SpA", TaxID: "76.123.456-0", Giro: "Servicios",
					Domicilio: "Av. Providencia 1234", Comuna: "Providencia", Ciudad: "Santiago"},
				Mail: clients.MailSwitches{Invoice: true}}
		}
		contracts = append(contracts, billing.Contract{ID: fmt.Sprintf("k%06d", i), ClientID: id, Description: "Plan Hosting",
			Currency: billing.CLP, Amount: int64(10000 + i), AnchorDay: 5, Start: "2026-01-01", Active: true})
	}
	if _, err := db.Collection(billing.ContractsCollection).InsertMany(ctx, contracts); err != nil {
		fail(err)
	}
	rec := &recorder{}
	cfg := config.Default()
	svc, err := billing.New(billing.Options{DB: db, Clients: dirc, Mailer: rec, Billing: cfg.Billing, Company: cfg.Company,
		Clock: clock.NewFake(time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC)), Logger: log})
	if err != nil {
		fail(err)
	}
	start := time.Now()
	if _, err := svc.Cycle(ctx, scheduler.Run{Date: scheduler.Date{Year: 2026, Month: 6, Day: 5}}); err != nil {
		fail(err)
	}
	cycle := time.Since(start)

	docs := make([]any, 0, n)
	for i := range n {
		docs = append(docs, billing.Invoice{ID: fmt.Sprintf("k%06d|2026-06", i), Number: int64(i + 1), Status: billing.StatusUnpaid,
			ClientID: fmt.Sprintf("c%06d", i/2), ContractID: fmt.Sprintf("k%06d", i), Period: "2026-06", IssueDate: "2026-06-05",
			DueDate: "2026-06-15", Billing: dirc[fmt.Sprintf("c%06d", i/2)].Billing, Contract: contracts[i].(billing.Contract),
			Amounts: billing.Amounts{Net: 10000, Tax: 1900, Total: 11900}, Mailed: true})
	}
	start = time.Now()
	if _, err := db.Collection("ceiling_invoices").InsertMany(ctx, docs); err != nil {
		fail(err)
	}
	return cycle, time.Since(start), rec.n.Load()
}

// peakRSS is the process's high-water resident set (VmHWM) on Linux.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.Join(strings.Fields(strings.TrimPrefix(l, "VmHWM:")), " ")
		}
	}
	return "unknown"
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
