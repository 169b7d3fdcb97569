package daemon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/agents"
	"turno/internal/testenv"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/tickets"
)

// A kill -9 of turno serve while agents send 500 replies through the API
// with idempotency keys; the client retries every reply after the restart,
// as a real one would (it cannot know which of its requests were done):
// exactly 500 replies reach the outbox, none twice, and every ticket has
// the status its reply asked for.
func TestKill9DuringAPIRepliesSendsEachOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts turno processes")
	}
	const n = 500
	st := testenv.Store(t)
	ctx := context.Background()
	svc, err := tickets.New(tickets.Options{DB: st.DB, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	answers := make([]string, n)
	numbers := make([]int64, n)
	for i := range n {
		raw := fmt.Appendf(nil, "Message-ID: <kill%d@cliente.cl>\r\nFrom: c%d@cliente.cl\r\nTo: soporte@example.cl\r\n"+
			"Subject: Caso %d\r\nDate: Tue, 01 Dec 2026 10:00:00 -0300\r\n\r\nHola.\r\n", i, i, i)
		m, err := parse.Parse(bytes.NewReader(raw), nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.Ingest(ctx, tickets.Incoming{Msg: m, RawHash: parse.RawHash(raw), RawRef: "r", Mailbox: "soporte", Department: "soporte"})
		if err != nil {
			t.Fatal(err)
		}
		answers[i], numbers[i] = res.Key, res.Ticket
	}
	ag, err := agents.New(agents.Options{DB: st.DB})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ag.Add(ctx, agents.Agent{Email: "ana@proveedor.cl", Name: "Ana Rojas", Role: agents.RoleAgent, Departments: []string{"soporte"}}); err != nil {
		t.Fatal(err)
	}
	token, _, err := ag.CreateToken(ctx, "ana@proveedor.cl", "kill test")
	if err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	bin := filepath.Join(t.TempDir(), "turno")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/turno").CombinedOutput(); err != nil {
		t.Fatalf("build turno: %v\n%s", err, out)
	}
	env := append(os.Environ(), "TURNO_MONGODB_URI="+st.URI, "TURNO_MONGODB_DATABASE="+st.DB.Name(),
		"TURNO_HTTP_LISTEN="+addr, "TURNO_DATA_DIR="+t.TempDir(), "TURNO_LOG_LEVEL=warn")
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve")
		cmd.Env = env
		logs := &testenv.Buffer{}
		cmd.Stderr = logs
		if testing.Verbose() {
			cmd.Stderr = io.MultiWriter(os.Stderr, logs)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
		// Generous: a loaded CI machine starts the embedded store slowly.
		deadline := time.Now().Add(3 * time.Minute)
		last := ""
		for {
			if r, err := http.Get("http://" + addr + "/readyz"); err == nil {
				b, _ := io.ReadAll(r.Body)
				r.Body.Close()
				if r.StatusCode == 200 {
					return cmd
				}
				last = fmt.Sprintf("%d %s", r.StatusCode, b)
			} else {
				last = err.Error()
			}
			if time.Now().After(deadline) {
				t.Fatalf("turno serve not ready: %s\n%s", last, logs.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	status := func(i int) string {
		if i%2 == 0 {
			return tickets.StatusPending
		}
		return tickets.StatusSolved
	}
	client := &http.Client{Timeout: 30 * time.Second}
	reply := func(i int) (int, error) {
		body, _ := json.Marshal(map[string]any{"text": fmt.Sprintf("Respuesta %d", i), "answers": answers[i], "status": status(i)})
		req, _ := http.NewRequest("POST", fmt.Sprintf("http://%s/api/v1/tickets/%d/replies", addr, numbers[i]), bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("kill-%d", i))
		r, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer r.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		if r.StatusCode >= 300 {
			return r.StatusCode, fmt.Errorf("reply %d: %d %s", i, r.StatusCode, b.String())
		}
		return r.StatusCode, nil
	}

	// First run: 8 agents' clients in parallel; kill -9 partway.
	cmd := start()
	var ok atomic.Int64
	var wg sync.WaitGroup
	work := make(chan int)
	killAt := int64(100 + rand.IntN(250))
	for range 8 {
		wg.Go(func() {
			for i := range work {
				if _, err := reply(i); err == nil {
					ok.Add(1)
				}
			}
		})
	}
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for i := range n {
			work <- i
		}
		close(work)
	}()
	for ok.Load() < killAt {
		select {
		case <-fed:
		default:
			time.Sleep(5 * time.Millisecond)
			continue
		}
		break
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	wg.Wait()
	_, _ = cmd.Process.Wait()
	t.Logf("killed after %d acknowledged replies (aimed at %d)", ok.Load(), killAt)
	if ok.Load() >= n {
		t.Fatal("every reply finished before the kill: the test proved nothing")
	}

	// Restart; the client retries every reply with its key, and again
	// after a 503 (a ticket the killed process held stays busy until its
	// hold expires), as the answer's Retry-After asks.
	cmd = start()
	busy := 0
	for i := range n {
		deadline := time.Now().Add(2 * time.Minute)
		for {
			code, err := reply(i)
			if err == nil {
				break
			}
			if code != http.StatusServiceUnavailable || time.Now().After(deadline) {
				t.Fatalf("retry of reply %d after the restart: %v", i, err)
			}
			busy++
			time.Sleep(time.Second)
		}
	}
	t.Logf("%d answers were 503 (busy) and retried", busy)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_, _ = cmd.Process.Wait()

	// Exactly one outbox entry per reply.
	cur, err := st.DB.Collection(mailout.OutboxCollection).Find(ctx, bson.D{{Key: "template", Value: "ticket_reply"}})
	if err != nil {
		t.Fatal(err)
	}
	var entries []struct {
		Ticket int64  `bson:"ticket"`
		Key    string `bson:"key"`
	}
	if err := cur.All(ctx, &entries); err != nil {
		t.Fatal(err)
	}
	per := map[int64]int{}
	for _, e := range entries {
		per[e.Ticket]++
	}
	if len(entries) != n || len(per) != n {
		t.Errorf("%d reply entries in the outbox for %d tickets, want %d for %d", len(entries), len(per), n, n)
	}
	admin := tickets.Actor{Email: "root@proveedor.cl", Admin: true}
	for i := range n {
		th, err := svc.Get(ctx, admin, numbers[i])
		if err != nil {
			t.Fatal(err)
		}
		if per[numbers[i]] != 1 {
			t.Errorf("ticket %d: %d outbox entries", numbers[i], per[numbers[i]])
		}
		if th.Ticket.Status != status(i) {
			t.Errorf("ticket %d: status %s, want %s", numbers[i], th.Ticket.Status, status(i))
		}
		replies, events := 0, 0
		for _, m := range th.Messages {
			if m.Direction == tickets.DirReply {
				replies++
			}
		}
		for _, e := range th.Ticket.Events {
			if e.Type == "reply" {
				events++
			}
		}
		if replies != 1 || events != 1 {
			t.Errorf("ticket %d: %d reply messages and %d reply events, want 1 and 1", numbers[i], replies, events)
		}
	}
}
