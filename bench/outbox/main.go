// Command outbox measures the outbox's delivery rate to Postfix's smtp-sink
// against a ceiling measured in the same run:
//
//	go run ./bench/outbox [-sizes 1000,10000] [-conns 4]
//
// For each size n:
//
//   - ceiling: go-mail alone sends n pre-rendered messages (the
//     payment_received template, rendered once per message before the clock
//     starts) over conns connections, with no database: N go-mail clients,
//     NOOP and RSET off, each sending its share on one connection.
//   - turno: this program enqueues n messages into a fresh embedded store
//     (timed separately), closes it, and starts itself again as a child
//     process that opens the same store and runs mailout.Outbox with conns
//     connections until every entry is sent. Only the child's delivery is
//     timed. Peak RSS is the child's getrusage ru_maxrss (the kernel's
//     high-water mark of the whole child process, embedded store included,
//     read by the parent after the child exits).
//
// smtp-sink: $TURNO_TEST_SMTPSINK_ADDR if set, else one started here with
// /usr/sbin/smtp-sink -u nobody 127.0.0.1:PORT 1024 and stopped at the end.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	sizes := flag.String("sizes", "1000,10000", "comma-separated numbers of messages")
	conns := flag.Int("conns", 4, "SMTP connections (Turno workers and go-mail clients)")
	child := flag.String("child", "", "internal: deliver from the embedded store in this data directory")
	sink := flag.String("sink", "", "internal: smtp-sink address for -child")
	n := flag.Int("n", 0, "internal: entries the child must see sent")
	prof := flag.String("cpuprofile", "", "write the delivery child's CPU profile here (with -sizes of one size)")
	flag.Parse()
	cpuProfile = *prof
	var err error
	if *child != "" {
		err = runChild(*child, *sink, *n, *conns)
	} else {
		err = runParent(*sizes, *conns)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func runParent(sizeList string, conns int) error {
	var sizes []int
	for f := range strings.SplitSeq(sizeList, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return fmt.Errorf("bad size %q", f)
		}
		sizes = append(sizes, v)
	}
	addr, stop, err := smtpSink()
	if err != nil {
		return err
	}
	defer stop()
	fmt.Printf("bench/outbox: smtp-sink %s, %d connections, message: payment_received (es)\n", addr, conns)
	var results []result
	for _, n := range sizes {
		ceil, err := ceiling(addr, n, conns)
		if err != nil {
			return fmt.Errorf("ceiling n=%d: %w", n, err)
		}
		tr, err := turno(addr, n, conns)
		if err != nil {
			return fmt.Errorf("turno n=%d: %w", n, err)
		}
		tr.ceilRate = float64(n) / ceil.Seconds()
		results = append(results, tr)
		tr.print()
	}
	if len(results) >= 2 {
		a, b := results[0], results[len(results)-1]
		fmt.Printf("growth %d→%d: Turno rate x%.2f, ceiling rate x%.2f, Turno peak RSS %.1f MiB → %.1f MiB (x%.2f)\n",
			a.n, b.n, b.rate()/a.rate(), b.ceilRate/a.ceilRate, mib(a.rssKB), mib(b.rssKB), float64(b.rssKB)/float64(a.rssKB))
	}
	return nil
}

var cpuProfile string

func mib(kb int64) float64 { return float64(kb) / 1024 }
