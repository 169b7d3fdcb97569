package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"turno/agents"
	"turno/config"
	"turno/daemon"
	"turno/tickets"
)

// The acting agent of the tickets commands: who the CLI works as. Every
// ticket command is scoped to it, as the API scopes a request to its token.

// agentHow names the three ways to choose the acting agent; every error
// about a missing or unknown agent ends with it.
const agentHow = `choose the agent with --as EMAIL, or set TURNO_AGENT=EMAIL, or run on the data directory of a "turno serve --dev" daemon (its dev agent is the default)`

// agentSource is where the acting agent's address came from, for messages.
type agentSource struct {
	email, from string
}

// agentChoice picks the acting agent's address: --as, else TURNO_AGENT,
// else the dev agent a --dev daemon recorded in the data directory.
func (e *env) agentChoice(cfg config.Config, as string) (agentSource, error) {
	if as = strings.TrimSpace(as); as != "" {
		return agentSource{as, "--as"}, nil
	}
	for _, kv := range e.environ {
		if v, ok := strings.CutPrefix(kv, "TURNO_AGENT="); ok && strings.TrimSpace(v) != "" {
			return agentSource{strings.TrimSpace(v), "TURNO_AGENT"}, nil
		}
	}
	if a, ok := daemon.IsDevDataDir(cfg); ok {
		return agentSource{a, "the dev agent of " + cfg.DataDir}, nil
	}
	return agentSource{}, errors.New("no acting agent: " + agentHow)
}

// actingAgent resolves the acting agent: it must exist and be active.
func (e *env) actingAgent(ctx context.Context, cfg config.Config, ag *agents.Service, as string) (tickets.Actor, error) {
	src, err := e.agentChoice(cfg, as)
	if err != nil {
		return tickets.Actor{}, err
	}
	a, err := ag.Get(ctx, src.email)
	switch {
	case errors.Is(err, agents.ErrNotFound):
		return tickets.Actor{}, fmt.Errorf("no agent %q (from %s): add it with \"turno agents add\", or %s", src.email, src.from, agentHow)
	case err != nil:
		return tickets.Actor{}, fmt.Errorf("acting agent %q (from %s): %w", src.email, src.from, err)
	case !a.Active:
		return tickets.Actor{}, fmt.Errorf("agent %q (from %s) is deactivated: %s", a.Email, src.from, agentHow)
	}
	return a.Actor(), nil
}
