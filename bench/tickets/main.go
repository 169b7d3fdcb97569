// Command tickets measures Service.Ingest on the embedded store against
// baselines measured in the same run on the same store:
//
//	go run ./bench/tickets [-n 2000]
//
// (a) baseline: one InsertOne per message of the ticket message documents
// Ingest writes (the floor of any durable intake: one write per message);
// (b) Ingest of n distinct messages (70% new tickets from registered
// contacts, 20% replies threaded by subject tag, 10% unknown senders), with
// acknowledgements to a counting mailer; (c) a rescan: Ingest of the same n
// again (all duplicates), against (d) baseline: one FindOne by _id each.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/clients"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/store"
	"turno/tickets"
)

type dir struct{}

func (dir) Lookup(_ context.Context, addr string) ([]clients.Membership, error) {
	if strings.HasSuffix(addr, "@cliente.cl") {
		return []clients.Membership{{ClientID: "C" + addr[:2], ClientActive: true, SupportTier: "standard"}}, nil
	}
	return nil, nil
}

type counter struct{ n atomic.Int64 }

func (c *counter) Enqueue(_ context.Context, m mailout.Message) (string, error) {
	c.n.Add(1)
	return m.Key, nil
}

func main() {
	n := flag.Int("n", 2000, "messages")
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
	if err := run(*n); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n int) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "turno-bench-tickets")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, store.Options{DataDir: tmp, Database: "bench", Logger: quiet})
	if err != nil {
		return err
	}
	defer st.Close(ctx)
	if err := store.EnsureIndexes(ctx, st.DB, tickets.Indexes()); err != nil {
		return err
	}
	msgs := make([]*parse.Message, n)
	body := strings.Repeat("Hola, el sitio no carga desde la mañana. ", 100) // ~4 KB
	for i := range n {
		from, subject, irt := fmt.Sprintf("%02d@cliente.cl", i%50), fmt.Sprintf("Consulta %d", i), ""
		switch {
		case i%10 == 9:
			from = fmt.Sprintf("anon%d@gmail.com", i)
		case i%10 >= 7 && i >= 50:
			// A reply to an earlier message of the same sender.
			subject, irt = "Re: Consulta", fmt.Sprintf("In-Reply-To: <m%d@bench>\r\n", i-50)
		}
		raw := fmt.Sprintf("From: %s\r\nTo: soporte@turno.example\r\nSubject: %s\r\nMessage-ID: <m%d@bench>\r\n%sDate: Mon, 16 Nov 2026 09:00:00 -0300\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", from, subject, i, irt, body)
		m, err := parse.Parse(bytes.NewReader([]byte(raw)), nil)
		if err != nil {
			return err
		}
		msgs[i] = m
	}

	base := st.DB.Collection("bench_baseline")
	start := time.Now()
	for i, m := range msgs {
		if _, err := base.InsertOne(ctx, bson.D{{Key: "_id", Value: m.MessageID}, {Key: "n", Value: i},
			{Key: "subject", Value: m.Subject}, {Key: "from", Value: m.From.Address}, {Key: "text", Value: m.Text}}); err != nil {
			return err
		}
	}
	tInsert := time.Since(start)

	out := &counter{}
	svc, err := tickets.New(tickets.Options{DB: st.DB, Directory: dir{}, Mailer: out, MessageIDKey: []byte("k"), Logger: quiet})
	if err != nil {
		return err
	}
	outcomes := map[tickets.Outcome]int{}
	ingest := func() (time.Duration, error) {
		start := time.Now()
		for _, m := range msgs {
			r, err := svc.Ingest(ctx, tickets.Incoming{Msg: m, Mailbox: "soporte", Department: "soporte"})
			if err != nil {
				return 0, err
			}
			outcomes[r.Outcome]++
		}
		return time.Since(start), nil
	}
	tIngest, err := ingest()
	if err != nil {
		return err
	}
	first := fmt.Sprint(outcomes)
	clear(outcomes)
	tRescan, err := ingest()
	if err != nil {
		return err
	}
	start = time.Now()
	for _, m := range msgs {
		if err := base.FindOne(ctx, bson.D{{Key: "_id", Value: m.MessageID}}).Err(); err != nil {
			return err
		}
	}
	tFind := time.Since(start)

	rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	fmt.Printf("messages: %d (~%d KB text each); outcomes: %s; acks enqueued: %d\n", n, len(body)/1024, first, out.n.Load())
	fmt.Printf("(a) baseline InsertOne per message:   %8.3fs  %7.0f msg/s\n", tInsert.Seconds(), rate(tInsert))
	fmt.Printf("(b) Ingest, distinct messages:        %8.3fs  %7.0f msg/s  ratio b/a %.2f\n", tIngest.Seconds(), rate(tIngest), tIngest.Seconds()/tInsert.Seconds())
	fmt.Printf("(d) baseline FindOne by _id:          %8.3fs  %7.0f msg/s\n", tFind.Seconds(), rate(tFind))
	fmt.Printf("(c) Ingest again (rescan, %s): %8.3fs  %7.0f msg/s  ratio c/d %.2f\n", fmt.Sprint(outcomes), tRescan.Seconds(), rate(tRescan), tRescan.Seconds()/tFind.Seconds())
	return nil
}
