package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"turno/agents"
	"turno/api"
	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/daemon"
	"turno/httpapi"
	"turno/store"
	"turno/tickets"
)

// departments the tickets are spread over; the bench agent works all four.
var departments = []string{"soporte", "ventas", "pagos", "tecnico"}

const agentEmail = "ana@proveedor.cl"

// env is one embedded store with the daemon's parts and the API served
// over HTTP on loopback.
type env struct {
	tmp    string
	st     *store.Store
	cfg    config.Config
	tk     *tickets.Service
	actor  tickets.Actor
	token  string
	hs     *httpapi.Server
	base   string // http://127.0.0.1:port/api/v1
	client *http.Client
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newEnv(ctx context.Context) (*env, error) {
	tmp, err := os.MkdirTemp("", "turno-bench-api")
	if err != nil {
		return nil, err
	}
	e := &env{tmp: tmp}
	if err := e.start(ctx); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *env) start(ctx context.Context) error {
	st, err := store.Open(ctx, store.Options{DataDir: e.tmp, Database: "bench", Logger: quiet})
	if err != nil {
		return err
	}
	e.st = st
	if err := store.EnsureIndexes(ctx, st.DB, daemon.Indexes()); err != nil {
		return err
	}
	cfg := config.Default()
	cfg.DataDir = e.tmp
	// Closed history gets numbers below NumberStart (never claimed by
	// Ingest); departments weigh differently so priorities vary.
	cfg.Tickets.NumberStart = 1_000_000
	cfg.Tickets.Priority.Departments = map[string]int{"pagos": 10, "tecnico": 5, "ventas": 0}
	e.cfg = cfg

	ob, err := daemon.NewOutbox(ctx, cfg, st.DB, quiet)
	if err != nil {
		return err
	}
	reg := clients.New(clients.Options{DB: st.DB, Logger: quiet})
	for i := range 50 {
		tier := "standard"
		if i%5 == 0 {
			tier = "premium"
		}
		if _, err := reg.Add(ctx, clients.Client{ID: fmt.Sprintf("C%02d", i), Name: fmt.Sprintf("Cliente %02d SpA", i),
			PersonType: "other", Email: fmt.Sprintf("%02d@cliente.cl", i), Active: true, SupportTier: tier}, "bench"); err != nil {
			return fmt.Errorf("add client: %w", err)
		}
	}
	parts, err := daemon.NewWorkParts(ctx, cfg, st.DB, reg, ob, clock.Real{}, quiet)
	if err != nil {
		return err
	}
	if err := parts.Tickets.RepairQueue(ctx); err != nil {
		return err
	}
	bill, _, err := daemon.BillingParts(daemon.Options{Config: cfg, Logger: quiet, Clock: clock.Real{}}, st, reg, ob)
	if err != nil {
		return err
	}
	e.tk = parts.Tickets
	ag, err := parts.Agents.Add(ctx, agents.Agent{Email: agentEmail, Name: "Ana Rojas", Role: agents.RoleAgent, Departments: departments})
	if err != nil {
		return err
	}
	e.actor = ag.Actor()
	if e.token, _, err = parts.Agents.CreateToken(ctx, agentEmail, "bench"); err != nil {
		return err
	}

	e.hs = httpapi.New(httpapi.Options{Addr: "127.0.0.1:0", Gatherer: prometheus.NewRegistry(), Logger: quiet})
	if _, err := api.Mount(e.hs, api.Options{Tickets: parts.Tickets, Agents: parts.Agents, Replies: parts.Replies,
		Clients: reg, Billing: bill, Logger: quiet}); err != nil {
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
	if e.st != nil {
		_ = e.st.Close(ctx)
	}
	_ = os.RemoveAll(e.tmp)
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
