package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"turno/agents"
)

// AgentBrief is an agent as their colleagues see them.
type AgentBrief struct {
	Email       string   `json:"email"`
	Name        string   `json:"name"`
	Role        string   `json:"role" enum:"agent,admin"`
	Departments []string `json:"departments"`
}

type meOutput struct {
	Body agents.Agent
}

type agentsOutput struct {
	Body struct {
		Agents []AgentBrief `json:"agents"`
	}
}

type noInput struct{}

func (s *Server) registerAgents() {
	op := s.op("getMe", http.MethodGet, "/agents/me", "agents", "The calling agent")
	huma.Register(s.api, op, func(ctx context.Context, _ *noInput) (*meOutput, error) {
		return &meOutput{Body: *agentOf(ctx)}, nil
	})
	op = s.op("listAgents", http.MethodGet, "/agents", "agents", "Active agents")
	op.Description = "Every active agent: who can be assigned and mentioned."
	huma.Register(s.api, op, func(ctx context.Context, _ *noInput) (*agentsOutput, error) {
		all, err := s.opts.Agents.List(ctx)
		if err != nil {
			return nil, s.fail("list agents", err)
		}
		out := &agentsOutput{}
		out.Body.Agents = []AgentBrief{}
		for _, a := range all {
			if !a.Active {
				continue
			}
			deps := a.Departments
			if deps == nil {
				deps = []string{}
			}
			out.Body.Agents = append(out.Body.Agents, AgentBrief{Email: a.Email, Name: a.Name, Role: a.Role, Departments: deps})
		}
		return out, nil
	})
}
