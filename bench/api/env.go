package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"turno/api"
	"turno/bench/internal/seed"
	"turno/httpapi"
)

// env is one embedded store with the daemon's parts (seed.Env) and the
// API served over HTTP on loopback.
type env struct {
	*seed.Env
	token  string
	hs     *httpapi.Server
	base   string // http://127.0.0.1:port/api/v1
	client *http.Client
}

func newEnv(ctx context.Context) (*env, error) {
	se, err := seed.Open(ctx)
	if err != nil {
		return nil, err
	}
	e := &env{Env: se}
	if err := e.start(); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *env) start() error {
	if err := e.Tickets.RepairQueue(context.Background()); err != nil {
		return err
	}
	var err error
	if e.token, _, err = e.Agents.CreateToken(context.Background(), seed.AgentEmail, "bench"); err != nil {
		return err
	}
	e.hs = httpapi.New(httpapi.Options{Addr: "127.0.0.1:0", Gatherer: prometheus.NewRegistry(), Logger: seed.Quiet})
	if _, err := api.Mount(e.hs, api.Options{Tickets: e.Tickets, Agents: e.Agents, Replies: e.Replies,
		Clients: e.Clients, Billing: e.Billing, Logger: seed.Quiet}); err != nil {
		return err
	}
	if err := e.hs.Start(); err != nil {
		return err
	}
	e.base = "http://" + e.hs.Addr() + api.Prefix
	e.client = &http.Client{Timeout: time.Minute}
	return nil
}

func (e *env) close() {
	ctx := context.Background()
	if e.hs != nil {
		_ = e.hs.Shutdown(ctx)
	}
	e.Env.Close()
}

// call makes one API request and reads the whole answer; any status but
// want (0: any 2xx) is an error.
func (e *env) call(method, path string, body []byte, key string, want int) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if (want == 0 && resp.StatusCode/100 != 2) || (want != 0 && resp.StatusCode != want) {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	return nil
}
