// Command intake measures mail intake against a real Dovecot (the one
// scripts/test-services.sh starts; source .test-services/env first):
//
//	go run ./bench/intake -n 1000,10000 -latency 200
//
// For each size it appends that many messages of realistic shapes (mostly
// 2–20 KB of text, 5% multipart/mixed with a 100 KB–2 MB base64 PDF as a
// Content-Disposition: attachment part) to a fresh folder and times, in the
// same run, (a) a plain go-imap client fetching every body by UID batches,
// (b) the same plus storing each raw message once in the embedded store,
// (c) Turno as `turno serve` runs it: package daemon in-process on the same
// embedded store (its own database), so mailin hands every message to
// tickets.Service, which opens tickets, records ticket messages and queues
// the unknown-sender replies in the outbox; the server flags a message only
// after its ticket message is stored. It prints c/b, messages per second,
// and what (c) produced: ticket messages, tickets, messages with
// attachments, quarantined messages. A quarantined message is a failure,
// not throughput: the bench prints each one with its reason and exits
// non-zero. Last, the delivery→ticket-message latency with IDLE over single
// deliveries.
//
// With -big it measures instead what one large message costs a real
// `turno serve` process: idle RSS, peak RSS while it takes the message in,
// and the difference (big.go):
//
//	go run ./bench/intake -big 25            # a short text and a 25 MB base64 attachment
//	go run ./bench/intake -big 20 -bigtext   # one 20 MB text/plain body
//	go run ./bench/intake -big 25 -turno /tmp/turno-old   # another build, to compare
package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/config"
	"turno/daemon"
	"turno/mailin"
	"turno/store"
	"turno/tickets"
)

func main() {
	sizes := flag.String("n", "1000,10000", "message counts, comma-separated")
	latency := flag.Int("latency", 200, "single deliveries for the IDLE latency")
	big := flag.Int("big", 0, "instead: peak RSS of a real turno serve taking in one message of this many MB")
	bigText := flag.Bool("bigtext", false, "with -big: a long text body instead of an attachment")
	bin := flag.String("turno", "", "with -big: this turno binary instead of one built from this tree")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the (c) runs to this file")
	flag.Parse()
	addr, user, pass := os.Getenv("TURNO_TEST_DOVECOT_ADDR"), os.Getenv("TURNO_TEST_DOVECOT_USER"), os.Getenv("TURNO_TEST_DOVECOT_PASSWORD")
	if addr == "" {
		fail(fmt.Errorf("TURNO_TEST_DOVECOT_ADDR unset: run scripts/test-services.sh start && . .test-services/env"))
	}
	defer removeTempDirs()
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		fail(fmt.Errorf("%s", <-sig))
	}()
	if *big > 0 {
		check(bigMessage(addr, user, pass, *bin, *big, *bigText))
		return
	}
	ctx := context.Background()
	dir := tempDir("turno-bench-")
	st, err := store.Open(ctx, store.Options{DataDir: dir, Database: "bench", Logger: slog.New(slog.DiscardHandler)})
	check(err)
	defer st.Close(ctx)
	c := login(addr, user, pass)
	defer c.Close()
	for _, f := range strings.Split(*sizes, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(f))
		check(err)
		folder := fmt.Sprintf("bench-%d-%d", n, time.Now().Unix())
		check(c.Create(folder, nil).Wait())
		t0 := time.Now()
		var bytes int64
		for i := range n {
			m := message(i)
			bytes += int64(len(m))
			appendMsg(c, folder, m)
		}
		fmt.Printf("n=%d: delivered %d messages (%.1f MB) in %s\n", n, n, float64(bytes)/1e6, time.Since(t0).Round(time.Millisecond))
		a := timeFetch(addr, user, pass, folder, nil)
		raw := mailin.NewRawStore(st.Client.Database(fmt.Sprintf("bench_b_%d", n)))
		b := timeFetch(addr, user, pass, folder, raw)
		dbc := fmt.Sprintf("bench_c_%d_%d", n, time.Now().Unix())
		cdur, start := timeTurno(ctx, st, dbc, mailbox(addr, user, pass, folder), c)
		got := produced(ctx, st.Client.Database(dbc))
		fmt.Printf("n=%d: (c) produced %d ticket messages (%d with attachments) on %d tickets; %d quarantined\n",
			n, got.messages, got.withAttachments, got.tickets, len(got.quarantined))
		deleteFolder(c, folder)
		if len(got.quarantined) > 0 || got.messages != int64(n) {
			for _, q := range got.quarantined {
				fmt.Printf("n=%d: quarantined %s: %s: %s\n", n, q.ID, q.Reason, q.Error)
			}
			fail(fmt.Errorf("n=%d: %d of %d messages became ticket messages, %d quarantined", n, got.messages, n, len(got.quarantined)))
		}
		fmt.Printf("n=%d: (a) fetch %s  (b) fetch+store %s  (c) turno %s (start %s)  c/b %.2f  turno %.0f msgs/s  peak RSS %s\n",
			n, a.Round(time.Millisecond), b.Round(time.Millisecond), cdur.Round(time.Millisecond), start.Round(time.Millisecond),
			cdur.Seconds()/b.Seconds(), float64(n)/cdur.Seconds(), peakRSS())
	}
	if *latency > 0 {
		c2 := login(addr, user, pass)
		defer c2.Close()
		idleLatency(ctx, st, fmt.Sprintf("bench_idle_%d", time.Now().Unix()), addr, user, pass, c2, *latency)
	}
}

// message is one realistic support mail; every 20th carries an attachment.
func message(i int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Message-ID: <bench-%d-%d@cliente.cl>\r\nFrom: Cliente %d <c%d@cliente.cl>\r\nTo: soporte@example.cl\r\n"+
		"Subject: Consulta %d sobre el servicio\r\nDate: Mon, 02 Jun 2025 10:00:00 -0400\r\nMIME-Version: 1.0\r\n",
		time.Now().UnixNano(), i, i, i, i)
	text := strings.Repeat("Hola, el correo no llega desde ayer y necesitamos ayuda urgente. ", 30+rand.IntN(270))
	if i%20 != 0 {
		fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", text)
		return []byte(b.String())
	}
	att := make([]byte, 75_000+rand.IntN(1_425_000)) // ~100 KB–2 MB once base64-encoded
	for j := range att {
		att[j] = byte(rand.IntN(256))
	}
	enc := base64.StdEncoding.EncodeToString(att)
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"+
		"--XX\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"factura.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", text)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--XX--\r\n")
	return []byte(b.String())
}

// timeFetch fetches every body by UID batches of 50; with raw set it also
// stores each message once by its SHA-256.
func timeFetch(addr, user, pass, folder string, raw *mailin.RawStore) time.Duration {
	t0 := time.Now()
	c := login(addr, user, pass)
	defer c.Close()
	_, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	check(err)
	d, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{{imap.UIDRange{Start: 1, Stop: 0}}}}, nil).Wait()
	check(err)
	uids := d.AllUIDs()
	for len(uids) > 0 {
		k := min(50, len(uids))
		f := c.Fetch(imap.UIDSetNum(uids[:k]...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
		for m := f.Next(); m != nil; m = f.Next() {
			for it := m.Next(); it != nil; it = m.Next() {
				if bs, ok := it.(imapclient.FetchItemDataBodySection); ok {
					body, err := io.ReadAll(bs.Literal)
					check(err)
					if raw != nil {
						s := sha256.Sum256(body)
						_, err := raw.Put(context.Background(), hex.EncodeToString(s[:]), int64(len(body)), strings.NewReader(string(body)), time.Now())
						check(err)
					}
				}
			}
		}
		check(f.Close())
		uids = uids[k:]
	}
	return time.Since(t0)
}

// timeTurno runs the daemon on database dbName of st until every message
// in mb's folder is handled (flagged \Seen, or moved away to quarantine).
// It returns the time from start to the last one, and how much of it the
// daemon took to start.
func timeTurno(ctx context.Context, st *store.Store, dbName string, mb config.MailboxConfig, c *imapclient.Client) (took, start time.Duration) {
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		check(err)
		defer f.Close()
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	t0 := time.Now()
	d, stop := startTurno(st, dbName, mb)
	defer stop()
	<-d.Ready()
	start = time.Since(t0)
	deadline := t0.Add(2 * time.Hour)
	for unseen(c, mb.Folder) > 0 {
		if time.Now().After(deadline) {
			fail(fmt.Errorf("%s: messages still unhandled after %s", mb.Folder, time.Since(t0).Round(time.Second)))
		}
		time.Sleep(250 * time.Millisecond) // the IMAP server, not the store: polling the store slows what it measures
	}
	return time.Since(t0), start
}

// startTurno runs package daemon in-process as `turno serve` would, on st's
// server (the embedded store, through its URI) in database dbName,
// watching mb only. stop stops it and waits.
func startTurno(st *store.Store, dbName string, mb config.MailboxConfig) (*daemon.Daemon, func()) {
	cfg := config.Default()
	cfg.DataDir = tempDir("turno-bench-daemon-")
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.MongoDB.URI = st.URI
	cfg.MongoDB.Database = dbName
	cfg.Mailboxes = []config.MailboxConfig{mb}
	d, err := daemon.New(daemon.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	check(err)
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	return d, func() {
		d.Stop()
		check(<-done)
	}
}

// result is what one daemon run left in its database.
type result struct {
	messages, withAttachments, tickets int64
	quarantined                        []mailin.Quarantined
}

func produced(ctx context.Context, db *mongo.Database) result {
	var r result
	var err error
	r.tickets, err = db.Collection(tickets.CollTickets).CountDocuments(ctx, bson.D{})
	check(err)
	cur, err := db.Collection(tickets.CollMessages).Find(ctx, bson.D{},
		options.Find().SetProjection(bson.D{{Key: "attachments", Value: 1}}))
	check(err)
	for cur.Next(ctx) {
		var m struct {
			Attachments []bson.Raw `bson:"attachments"`
		}
		check(cur.Decode(&m))
		r.messages++
		if len(m.Attachments) > 0 {
			r.withAttachments++
		}
	}
	check(cur.Err())
	r.quarantined, err = mailin.ListQuarantine(ctx, db, "")
	check(err)
	return r
}

func idleLatency(ctx context.Context, st *store.Store, dbName, addr, user, pass string, c *imapclient.Client, n int) {
	folder := fmt.Sprintf("bench-idle-%d", time.Now().Unix())
	check(c.Create(folder, nil).Wait())
	defer deleteFolder(c, folder)
	mb := mailbox(addr, user, pass, folder)
	mb.PollInterval = config.Duration(time.Hour)
	d, stop := startTurno(st, dbName, mb)
	defer stop()
	<-d.Ready()
	time.Sleep(time.Second) // let it connect and enter IDLE
	msgs := st.Client.Database(dbName).Collection(tickets.CollMessages)
	var lat []time.Duration
	for i := range n {
		t0 := time.Now()
		appendMsg(c, folder, message(i*20+1))
		for {
			k, err := msgs.CountDocuments(ctx, bson.D{})
			check(err)
			if int(k) == i+1 {
				break
			}
			if time.Since(t0) > time.Minute {
				q, _ := mailin.ListQuarantine(ctx, st.Client.Database(dbName), "")
				fail(fmt.Errorf("delivery %d: no ticket message after a minute (%d quarantined)", i, len(q)))
			}
			time.Sleep(2 * time.Millisecond)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	fmt.Printf("IDLE delivery→ticket message stored over %d single deliveries: p50 %s  p99 %s\n", n,
		lat[n/2].Round(time.Millisecond), lat[(n*99)/100].Round(time.Millisecond))
}

func mailbox(addr, user, pass, folder string) config.MailboxConfig {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return config.MailboxConfig{Name: folder, Host: host, Port: p, TLS: "none", Username: user,
		Password: pass, Folder: folder, PollInterval: config.Duration(time.Second)}.Normalized()
}

// deleteFolder leaves folder if it is selected, then deletes it: Dovecot
// drops a connection whose selected mailbox is deleted.
func deleteFolder(c *imapclient.Client, folder string) {
	_ = c.Unselect().Wait()
	_ = c.Delete(folder).Wait()
}

func login(addr, user, pass string) *imapclient.Client {
	c, err := imapclient.DialInsecure(addr, nil)
	check(err)
	check(c.Login(user, pass).Wait())
	return c
}

func appendMsg(c *imapclient.Client, folder string, m []byte) {
	cmd := c.Append(folder, int64(len(m)), nil)
	_, err := cmd.Write(m)
	check(err)
	check(cmd.Close())
	_, err = cmd.Wait()
	check(err)
}

func unseen(c *imapclient.Client, folder string) int {
	_, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	check(err)
	d, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	check(err)
	return len(d.AllUIDs())
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")) + " (whole bench process so far)"
		}
	}
	return "unknown"
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

// cpuProfile, when set, receives a CPU profile of the (c) runs (the last
// size's, with several).
var cpuProfile string

// fail reports err, removes the temporary directories and exits: deferred
// calls do not run.
func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/intake:", err)
	removeTempDirs()
	os.Exit(1)
}

// tempDirs are removed however the bench ends: returning, failing, or
// interrupted (a 10,000-message store is over a gigabyte).
var tempDirs struct {
	sync.Mutex
	list []string
}

func tempDir(prefix string) string {
	dir, err := os.MkdirTemp("", prefix)
	check(err)
	tempDirs.Lock()
	defer tempDirs.Unlock()
	tempDirs.list = append(tempDirs.list, dir)
	return dir
}

func removeTempDirs() {
	tempDirs.Lock()
	defer tempDirs.Unlock()
	for _, d := range tempDirs.list {
		_ = os.RemoveAll(d)
	}
	tempDirs.list = nil
}
