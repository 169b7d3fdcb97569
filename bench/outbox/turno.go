package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"time"

	"turno/config"
	"turno/mailout"
	"turno/store"
	"turno/templates"
)

// result is one size's measurement; the child prints the JSON fields.
type result struct {
	N          int     `json:"n"`
	Seconds    float64 `json:"seconds"`
	Sent       int     `json:"sent"`
	WindowN    int     `json:"window_n"`
	WindowMean string  `json:"window_mean"`
	WindowMax  string  `json:"window_max"`

	n        int
	enqueue  time.Duration
	rssKB    int64
	ceilRate float64
}

func (r result) rate() float64 { return float64(r.N) / r.Seconds }

func (r result) print() {
	fmt.Printf("n=%d: ceiling (go-mail, no database) %.0f msgs/s; Turno (outbox on embedded store) %.1f msgs/s (%d sent in %.2fs); ratio Turno/ceiling %.3f (ceiling %.1fx faster)\n",
		r.n, r.ceilRate, r.rate(), r.Sent, r.Seconds, r.rate()/r.ceilRate, r.ceilRate/r.rate())
	fmt.Printf("n=%d: Turno enqueue %.1f msgs/s (%s, not in the rate above); delivery child peak RSS %.1f MiB (ru_maxrss); duplicate window over %d sends: mean %s, max %s\n",
		r.n, float64(r.n)/r.enqueue.Seconds(), r.enqueue.Round(time.Millisecond), mib(r.rssKB), r.WindowN, r.WindowMean, r.WindowMax)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func outboxOptions(st *store.Store, sink string, conns int) (mailout.Options, error) {
	set, err := loadTemplates()
	if err != nil {
		return mailout.Options{}, err
	}
	key, err := mailout.MessageIDKey(context.Background(), st.DB, "")
	if err != nil {
		return mailout.Options{}, err
	}
	cfg := config.Default()
	cfg.Outbox.Connections = conns
	host, port, err := splitAddr(sink)
	if err != nil {
		return mailout.Options{}, err
	}
	cfg.Outbox.Relays = []config.RelayConfig{{Host: host, Port: port, TLS: "none"}}
	return mailout.Options{DB: st.DB, Templates: set, Mail: cfg.Mail, Outbox: cfg.Outbox, MessageIDKey: key, Logger: quiet}, nil
}

// turno enqueues n messages into a fresh embedded store, then times their
// delivery in a child process.
func turno(sink string, n, conns int) (result, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "turno-bench-outbox")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, store.Options{DataDir: dir, Database: "bench", Logger: quiet})
	if err != nil {
		return result{}, err
	}
	if err := store.EnsureIndexes(ctx, st.DB, mailout.Indexes()); err != nil {
		return result{}, err
	}
	opts, err := outboxOptions(st, sink, conns)
	if err != nil {
		return result{}, err
	}
	ob, err := mailout.New(opts)
	if err != nil {
		return result{}, err
	}
	t0 := time.Now()
	for i := range n {
		if _, err := ob.Enqueue(ctx, mailout.Message{Key: fmt.Sprintf("payment:%d", i), Template: "payment_received",
			Data: templates.SampleData("payment_received"), To: []string{recipient(i)}}); err != nil {
			return result{}, err
		}
	}
	enq := time.Since(t0)
	if err := st.Close(ctx); err != nil {
		return result{}, err
	}
	self, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	var out bytes.Buffer
	cmd := exec.Command(self, "-child", dir, "-sink", sink, "-n", fmt.Sprint(n), "-conns", fmt.Sprint(conns), "-cpuprofile", cpuProfile)
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("child: %w", err)
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return result{}, fmt.Errorf("child output %q: %w", out.String(), err)
	}
	r.n, r.enqueue = n, enq
	r.rssKB = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	if r.Sent != n {
		return r, fmt.Errorf("child sent %d of %d", r.Sent, n)
	}
	return r, nil
}
