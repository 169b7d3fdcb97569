// Command billing measures the billing cycle on the embedded store: a cycle
// over N contracts as `turno serve` runs it (real clients registry, real
// outbox enqueue with the PDF attached, no delivery): insert, number
// without gaps, render the PDF, enqueue, mark mailed. The ceiling is N
// invoice documents written with one unordered insertMany in the same run.
//
//	go run ./bench/billing [-sizes 5000,50000] [-cpuprofile FILE]
//
// Clients (one per two contracts) are seeded with the registry's CSV import
// and contracts with insertMany; seeding is not timed.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/billing"
	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/daemon"
	"turno/scheduler"
	"turno/store"
)

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
		cycle, ceiling, mails, rss := run(ctx, st, n, quiet)
		fmt.Printf("n=%d  cycle %s (%.0f invoices/s, %d mails)  insertMany ceiling %s  ratio %.1fx  peak RSS during the cycle %s\n",
			n, cycle.Round(time.Millisecond), float64(n)/cycle.Seconds(), mails, ceiling.Round(time.Millisecond),
			cycle.Seconds()/ceiling.Seconds(), rss)
		if first == 0 {
			first, firstN = cycle, n
		} else {
			fmt.Printf("growth %d→%d: %.1fx time for %.0fx contracts\n", firstN, n, cycle.Seconds()/first.Seconds(), float64(n)/float64(firstN))
		}
	}
}

func run(ctx context.Context, st *store.Store, n int, log *slog.Logger) (time.Duration, time.Duration, int64, string) {
	db := st.Client.Database(fmt.Sprintf("bench_%d", n))
	if err := store.EnsureIndexes(ctx, db, daemon.Indexes()); err != nil {
		fail(err)
	}
	cfg := config.Default()
	ob, err := daemon.NewOutbox(ctx, cfg, db, log)
	if err != nil {
		fail(err)
	}
	reg := clients.New(clients.Options{DB: db, Logger: log, Mailer: ob, Access: daemon.AccessOptions(cfg)})
	var csvBuf bytes.Buffer
	w := csv.NewWriter(&csvBuf)
	_ = w.Write([]string{"client_id", "name", "email", "tax_id", "razon_social", "giro", "domicilio", "billing_comuna", "billing_ciudad", "billing_enabled"})
	for i := range (n + 1) / 2 {
		id := fmt.Sprintf("c%06d", i)
		_ = w.Write([]string{id, "Cliente " + id, id + "@cliente.cl", "76.086.428-5", "Cliente " + id + " SpA", "Servicios",
			"Av. Providencia 1234", "Providencia", "Santiago", "true"})
	}
	w.Flush()
	if rep, err := reg.Import(ctx, &csvBuf, clients.ImportOptions{By: "bench"}); err != nil {
		fail(err)
	} else if len(rep.Bad) > 0 {
		fail(fmt.Errorf("import: %d bad rows, first %+v", len(rep.Bad), rep.Bad[0]))
	}
	contracts := make([]any, 0, n)
	for i := range n {
		contracts = append(contracts, billing.Contract{ID: fmt.Sprintf("k%06d", i), ClientID: fmt.Sprintf("c%06d", i/2), Description: "Plan Hosting",
			Currency: billing.CLP, Amount: int64(10000 + i), AnchorDay: 5, Start: "2026-01-01", Active: true})
	}
	if _, err := db.Collection(billing.ContractsCollection).InsertMany(ctx, contracts); err != nil {
		fail(err)
	}
	svc, _, err := daemon.BillingParts(daemon.Options{Config: cfg, Logger: log, Clock: clock.Real{}}, &store.Store{Client: st.Client, DB: db}, reg, ob)
	if err != nil {
		fail(err)
	}
	resetPeakRSS()
	start := time.Now()
	counts, err := svc.Cycle(ctx, scheduler.Run{Date: scheduler.Date{Year: 2026, Month: 6, Day: 5}})
	if err != nil {
		fail(err)
	}
	cycle := time.Since(start)
	rss := peakRSS()
	if counts["invoiced"] != n || counts["numbered"] != n {
		fail(fmt.Errorf("cycle counts %v, want %d invoiced and numbered", counts, n))
	}

	var first billing.Invoice
	if err := db.Collection(billing.InvoicesCollection).FindOne(ctx, bson.D{{Key: "_id", Value: "k000000|2026-06"}}).Decode(&first); err != nil {
		fail(err)
	}
	docs := make([]any, 0, n)
	for i := range n {
		inv := first
		inv.ID, inv.Number = fmt.Sprintf("k%06d|2026-06", i), int64(i+1)
		docs = append(docs, inv)
	}
	start = time.Now()
	if _, err := db.Collection("ceiling_invoices").InsertMany(ctx, docs); err != nil {
		fail(err)
	}
	return cycle, time.Since(start), int64(counts["mails"]), rss
}

// resetPeakRSS starts a new high-water mark (Linux: clear_refs 5), so the
// cycle's peak is not the seeding's or an earlier size's.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

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
