// Command soak measures what a year of history costs a running daemon,
// against an empty store measured in the same run:
//
//	go run ./bench/soak [-scale 1] [-minutes 10] [-idle 60s] [-every 30s] [-logs DIR] [-retention=false]
//
// It builds cmd/turno and, for each of three stores, starts `turno serve
// --dev` on it as a child process (its dev IMAP and SMTP servers and the
// HTTP listener on free loopback ports; retention.enabled off, so only
// the bench prunes), waits for /readyz and for its start-up catch-up jobs
// to finish (CPU under 10% of a core over 5 s, at most -settle), then:
//
//   - idle CPU: the child's user+system time from /proc/PID/stat over
//     -idle with no traffic, as a fraction of one core; RSS: the median of
//     VmRSS from /proc/PID/status read every 2 s over the idle window, and
//     its value at the end of the traffic (peak column);
//   - light traffic for -minutes, one round every -every: one intake (a
//     customer mail through the dev SMTP server into the support INBOX:
//     the daemon's processing time of it, from its
//     turno_mail_process_seconds), one send (an agent's reply through
//     POST /api/v1/tickets/{n}/replies: the call's time plus the delivery
//     attempt's, from turno_outbox_attempt_seconds) and one invoice (a
//     contract due today, then billing's Cycle for today run in this
//     process on the child's store, as `turno jobs run billing-cycle`
//     does, through the child's outbox: timed from the cycle's start to
//     its end, the invoice numbered, rendered and its mail enqueued). The
//     medians are printed, and beside them the latencies seen from
//     outside (mail to stored, reply to sent), found by polling /metrics
//     every 20 ms and so only that fine (probe.go says why the costs are
//     not measured that way).
//
// The stores: empty; a year of history (seeded with the daemon stopped);
// the same after `turno jobs run retention` (unless -retention=false; the real CLI, the daemon
// stopped, its time printed). The history at -scale 1 is the issue's: 1,000,000 sent
// outbox entries with their claim and end tokens, 200,000 closed tickets
// with 600,000 messages, 50,000 clients, 600,000 paid invoices of ended
// contracts, spread over the year before now (so about three quarters of
// the outbox is past retention.outbox's 90 days). Clients go through the
// registry's Add (its documents and address index are its own, four at a
// time); everything else is inserted as documents of each package's
// types in InsertMany batches of 99. Each size has its own flag;
// -scale multiplies them all.
//
// Every ratio is history over empty: above 1 is what history costs. The
// machine is shared (other processes' load shows as noise in both), so
// compare ratios, and rerun before trusting a small difference.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"turno/clients"
	"turno/config"
	"turno/daemon"
	"turno/store"
)

func main() {
	full := sizes{}
	flag.IntVar(&full.Outbox, "outbox", 1_000_000, "final outbox entries of history")
	flag.IntVar(&full.Tickets, "tickets", 200_000, "closed tickets of history")
	flag.IntVar(&full.Messages, "messages", 600_000, "messages of those tickets")
	flag.IntVar(&full.Clients, "clients", 50_000, "clients")
	flag.IntVar(&full.Invoices, "invoices", 600_000, "paid invoices")
	scale := flag.Float64("scale", 1, "multiplies every size")
	minutes := flag.Float64("minutes", 10, "minutes of light traffic per store")
	idle := flag.Duration("idle", time.Minute, "idle window for the CPU measurement")
	every := flag.Duration("every", 30*time.Second, "one intake, one send and one invoice this often")
	settle := flag.Duration("settle", 3*time.Minute, "longest wait for the start-up jobs to finish")
	dir := flag.String("dir", "", "work directory (default a temporary one, removed at the end)")
	logs := flag.String("logs", "", "directory for the children's logs (at info level, one file per store)")
	retention := flag.Bool("retention", true, "also run retention and measure the store after it (false: empty and history only)")
	flag.Parse()
	o := run{sz: full.scaled(*scale), traffic: time.Duration(*minutes * float64(time.Minute)), idle: *idle, every: *every, settle: *settle,
		logs: *logs, retention: *retention}
	if o.logs != "" {
		childLogLevel = "info"
	}
	if err := o.main(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type run struct {
	sz                           sizes
	traffic, idle, every, settle time.Duration
	bin, logs                    string
	numberStart                  int
	retention                    bool
}

// result is one store's measurements.
type result struct {
	name                  string
	settled               time.Duration
	idleCPU               float64
	rssKB, peakKB         int64
	intake, send, invoice []time.Duration
	// latencies seen from outside, polled
	intakeLat, sendLat []time.Duration
}

func (o *run) main(dir string) error {
	ctx := context.Background()
	if dir == "" {
		d, err := os.MkdirTemp("", "turno-soak-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	var err error
	if o.bin, err = build(dir); err != nil {
		return err
	}
	o.numberStart = max(100000, o.sz.Tickets+1000)
	fmt.Printf("bench/soak: history %+v; %s idle window, %s of traffic (a round every %s) per store; %d CPUs, load %s\n",
		o.sz, o.idle, o.traffic, o.every, numCPU(), loadavg())
	empty, err := o.measure(ctx, "empty", filepath.Join(dir, "empty"))
	if err != nil {
		return err
	}
	hist := filepath.Join(dir, "history")
	t0 := time.Now()
	fmt.Println("seeding a year of history:")
	if err := o.seed(ctx, hist); err != nil {
		return err
	}
	fmt.Printf("  seeded in %s\n", since(t0))
	before, err := o.measure(ctx, "history", hist)
	if err != nil {
		return err
	}
	stores := []result{empty, before}
	if o.retention {
		after, err := o.retain(ctx, hist)
		if err != nil {
			return err
		}
		stores = append(stores, after)
	}
	fmt.Printf("\nload average at the end: %s\n", loadavg())
	fmt.Printf("%-26s %10s %10s %10s %10s %10s %10s %16s %14s\n", "store", "idle CPU", "RSS MiB", "peak MiB", "intake", "send", "invoice",
		"mail to stored", "reply to sent")
	for _, r := range stores {
		fmt.Printf("%-26s %9.2f%% %10.1f %10.1f %10s %10s %10s %16s %14s\n", r.name, 100*r.idleCPU, mib(r.rssKB), mib(r.peakKB),
			ms1(median(r.intake)), ms1(median(r.send)), ms1(median(r.invoice)), ms(median(r.intakeLat)), ms(median(r.sendLat)))
	}
	for _, r := range stores[1:] {
		fmt.Printf("%-26s idle CPU x%.2f  RSS x%.2f  intake x%.2f  send x%.2f  invoice x%.2f  (vs empty)\n", r.name,
			ratio(r.idleCPU, empty.idleCPU), float64(r.rssKB)/float64(empty.rssKB),
			ratio(median(r.intake).Seconds(), median(empty.intake).Seconds()),
			ratio(median(r.send).Seconds(), median(empty.send).Seconds()),
			ratio(median(r.invoice).Seconds(), median(empty.invoice).Seconds()))
	}
	return nil
}

// retain runs `turno jobs run retention` on hist (the daemon stopped),
// prints its time and record, and measures the store after it.
func (o *run) retain(ctx context.Context, hist string) (result, error) {
	t0 := time.Now()
	cmd := exec.Command(o.bin, "jobs", "run", "retention")
	cmd.Env = append(childEnv(hist, "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", o.numberStart), "TURNO_RETENTION_ENABLED=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("turno jobs run retention: %v\n%s", err, out)
	}
	took := since(t0)
	hcmd := exec.Command(o.bin, "jobs", "history", "retention", "--limit", "1")
	hcmd.Env = cmd.Env
	hist1, _ := hcmd.CombinedOutput()
	fmt.Printf("turno jobs run retention: %s\n  %s\n", took,
		strings.ReplaceAll(strings.TrimSpace(string(out)+"\n"+lastLines(string(hist1), 3)), "\n", "\n  "))
	return o.measure(ctx, "history after retention", hist)
}

func (o *run) config(dir string) config.Config {
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Tickets.NumberStart = int64(o.numberStart)
	cfg.Retention.Enabled = false
	return cfg
}

func (o *run) seed(ctx context.Context, dir string) error {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := daemon.StoreOptions(o.config(dir), log)
	opts.Shared = false
	st, err := store.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close(context.WithoutCancel(ctx)) }()
	if err := store.EnsureIndexes(ctx, st.DB, daemon.Indexes()); err != nil {
		return err
	}
	reg := clients.New(clients.Options{DB: st.DB, Logger: log})
	return seed(ctx, st.DB, reg, o.sz, time.Now())
}

// measure starts the daemon on dir, measures it idle and under light
// traffic, and stops it.
func (o *run) measure(ctx context.Context, name, dir string) (result, error) {
	r := result{name: name}
	fmt.Printf("%s: starting turno serve --dev\n", name)
	t0 := time.Now()
	logFile := ""
	if o.logs != "" {
		logFile = filepath.Join(o.logs, strings.ReplaceAll(name, " ", "-")+".log")
	}
	c, err := startChild(o.bin, dir, o.numberStart, logFile)
	if err != nil {
		return r, err
	}
	defer c.stop()
	ready := since(t0)
	r.settled = c.settle(o.settle)
	fmt.Printf("  ready in %s, settled after %s more\n", ready, r.settled.Round(time.Second))
	if r.idleCPU, r.rssKB, err = c.idleOver(o.idle, true); err != nil {
		return r, err
	}
	fmt.Printf("  idle: CPU %.2f%% of a core over %s, RSS %.1f MiB (median of a reading every 2 s)\n", 100*r.idleCPU, o.idle, mib(r.rssKB))
	p, err := newProber(ctx, c, o.config(dir), strings.ReplaceAll(name, " ", "-"))
	if err != nil {
		return r, err
	}
	defer p.close(context.WithoutCancel(ctx))
	// The one-time scan that builds billing's markers and client index from
	// the seeded history (a no-op when the daemon already did it at start):
	// timed apart, so the invoice rounds measure the steady state.
	t1 := time.Now()
	if err := p.bill.UpgradeIndexes(ctx); err != nil {
		return r, fmt.Errorf("%s billing upgrade: %w", name, err)
	}
	fmt.Printf("  billing markers and client index ready in %s (one-time scan of history, or the flag)\n", since(t1))
	end := time.Now().Add(o.traffic)
	for first := true; first || time.Now().Before(end); first = false {
		round := time.Now()
		in, inLat, subject, err := p.intake(ctx)
		if err != nil {
			return r, fmt.Errorf("%s intake: %w\n%s", name, err, c.logs.String())
		}
		snd, sndLat, err := p.send(ctx, subject)
		if err != nil {
			return r, fmt.Errorf("%s send: %w\n%s", name, err, c.logs.String())
		}
		inv, err := p.invoice(ctx)
		if err != nil {
			return r, fmt.Errorf("%s invoice: %w\n%s", name, err, c.logs.String())
		}
		r.intake, r.send, r.invoice = append(r.intake, in), append(r.send, snd), append(r.invoice, inv)
		r.intakeLat, r.sendLat = append(r.intakeLat, inLat), append(r.sendLat, sndLat)
		fmt.Printf("  round %d: intake %s (mail to stored %s), send %s (reply to sent %s), invoice %s\n",
			len(r.intake), ms1(in), ms(inLat), ms1(snd), ms(sndLat), ms(inv))
		if rest := o.every - time.Since(round); rest > 0 && time.Now().Add(rest).Before(end) {
			time.Sleep(rest)
		}
	}
	fmt.Printf("  the billing cycle's per-run reads, timed from here:\n%s", p.queryCosts(ctx))
	if peak, err := c.rssKB(); err == nil {
		r.peakKB = max(peak, r.rssKB)
	}
	return r, nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond)) }

func ms1(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

func mib(kb int64) float64 { return float64(kb) / 1024 }

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return max(1, strings.Count(string(b), "processor\t:"))
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}
