package seed

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"turno/agents"
	"turno/billing"
	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/daemon"
	"turno/replies"
	"turno/store"
	"turno/tickets"
)

// Departments the tickets are spread over; the bench agent works all four.
var Departments = []string{"soporte", "ventas", "pagos", "tecnico"}

// AgentEmail is the bench agent's address.
const AgentEmail = "ana@proveedor.cl"

// Quiet discards logs.
var Quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Env is one embedded store in a temporary directory with the daemon's
// parts: 50 clients (C00..C49, every fifth premium), the tickets, agents,
// saved replies and billing services, and the bench agent.
type Env struct {
	Tmp     string
	St      *store.Store
	Cfg     config.Config
	Tickets *tickets.Service
	Agents  *agents.Service
	Replies *replies.Store
	Clients *clients.Registry
	Billing *billing.Service
	Actor   tickets.Actor
}

// Open builds an Env; Close removes it. The queue projection is not
// repaired (Tickets.RepairQueue, which the daemon runs at start): a caller
// inserting tickets as documents does it after, so it builds the
// projection from them.
func Open(ctx context.Context) (*Env, error) {
	tmp, err := os.MkdirTemp("", "turno-bench")
	if err != nil {
		return nil, err
	}
	e := &Env{Tmp: tmp}
	if err := e.start(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Env) start(ctx context.Context) error {
	st, err := store.Open(ctx, store.Options{DataDir: e.Tmp, Database: "bench", Logger: Quiet})
	if err != nil {
		return err
	}
	e.St = st
	if err := store.EnsureIndexes(ctx, st.DB, daemon.Indexes()); err != nil {
		return err
	}
	cfg := config.Default()
	cfg.DataDir = e.Tmp
	// Closed history gets numbers below NumberStart (never claimed by
	// Ingest); departments weigh differently so priorities vary.
	cfg.Tickets.NumberStart = 1_000_000
	cfg.Tickets.Priority.Departments = map[string]int{"pagos": 10, "tecnico": 5, "ventas": 0}
	e.Cfg = cfg

	ob, err := daemon.NewOutbox(ctx, cfg, st.DB, Quiet)
	if err != nil {
		return err
	}
	reg := clients.New(clients.Options{DB: st.DB, Logger: Quiet})
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
	e.Clients = reg
	parts, err := daemon.NewWorkParts(ctx, cfg, st.DB, reg, ob, clock.Real{}, Quiet)
	if err != nil {
		return err
	}
	if e.Billing, _, err = daemon.BillingParts(daemon.Options{Config: cfg, Logger: Quiet, Clock: clock.Real{}}, st, reg, ob); err != nil {
		return err
	}
	e.Tickets, e.Agents, e.Replies = parts.Tickets, parts.Agents, parts.Replies
	ag, err := parts.Agents.Add(ctx, agents.Agent{Email: AgentEmail, Name: "Ana Rojas", Role: agents.RoleAgent, Departments: Departments})
	if err != nil {
		return err
	}
	e.Actor = ag.Actor()
	return nil
}

// Close closes the store and removes its directory.
func (e *Env) Close() {
	if e.St != nil {
		_ = e.St.Close(context.Background())
	}
	_ = os.RemoveAll(e.Tmp)
}
