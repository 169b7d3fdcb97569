package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"turno/mailout"
	"turno/store"
)

// runChild opens the store in dir, delivers until n entries are sent
// (counted by the outbox's own sends metric, no database polling) and
// prints a result as JSON. The clock runs from Start to the n-th send.
func runChild(dir, sink string, n, conns int) error {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir, Database: "bench", Logger: quiet})
	if err != nil {
		return err
	}
	defer func() { _ = st.Close(ctx) }()
	opts, err := outboxOptions(st, sink, conns)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	opts.Registry = reg
	ob, err := mailout.New(opts)
	if err != nil {
		return err
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	t0 := time.Now()
	if err := ob.Start(); err != nil {
		return err
	}
	deadline := t0.Add(30 * time.Minute)
	for {
		sent, other, err := sends(reg)
		if err != nil {
			return err
		}
		if other > 0 {
			return fmt.Errorf("%d attempts did not end sent", other)
		}
		if sent >= n {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d sent after 30 minutes", sent, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	d := time.Since(t0)
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := ob.Stop(sctx); err != nil {
		return err
	}
	counts, err := ob.CountByState(ctx)
	if err != nil {
		return err
	}
	wn, mean, longest := ob.DuplicateWindow()
	return json.NewEncoder(os.Stdout).Encode(result{N: n, Seconds: d.Seconds(), Sent: counts[mailout.StateSent],
		WindowN: wn, WindowMean: mean.Round(10 * time.Microsecond).String(), WindowMax: longest.Round(10 * time.Microsecond).String()})
}

// sends sums turno_outbox_sends_total: attempts that ended sent, and all others.
func sends(reg *prometheus.Registry) (sent, other int, err error) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, 0, err
	}
	for _, mf := range mfs {
		if mf.GetName() != "turno_outbox_sends_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			v := int(m.GetCounter().GetValue())
			isSent := false
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == string(mailout.StateSent) {
					isSent = true
				}
			}
			if isSent {
				sent += v
			} else {
				other += v
			}
		}
	}
	return sent, other, nil
}

func splitAddr(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	p, err := strconv.Atoi(port)
	return host, p, err
}
