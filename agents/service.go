package agents

import (
	"context"
	"errors"

	"turno/tickets"
)

var errTodo = errors.New("not built yet")

// New checks the options. It writes nothing.
func New(opts Options) (*Service, error) { return &Service{opts: opts}, errTodo }

// Add creates an agent (Email, Name required; Role default agent; Active).
func (s *Service) Add(ctx context.Context, a Agent) (*Agent, error) { return nil, errTodo }

// Get finds an agent by primary or alternate address (any case).
func (s *Service) Get(ctx context.Context, email string) (*Agent, error) { return nil, errTodo }

// List returns every agent, by address.
func (s *Service) List(ctx context.Context) ([]Agent, error) { return nil, errTodo }

// Update applies e to the agent with that address.
func (s *Service) Update(ctx context.Context, email string, e Edit) (*Agent, error) {
	return nil, errTodo
}

// Deactivate stops an agent: their tokens stop working at once.
func (s *Service) Deactivate(ctx context.Context, email string) error { return errTodo }

// Actor satisfies tickets.Agents: the active agent with that address.
func (s *Service) Actor(ctx context.Context, email string) (tickets.Actor, error) {
	return tickets.Actor{}, errTodo
}

// CreateToken makes a new token acting as the agent; the token is
// returned once and stored only as its hash.
func (s *Service) CreateToken(ctx context.Context, email, label string) (string, Token, error) {
	return "", Token{}, errTodo
}

// CreateGatewayToken makes a token that may only record payments.
func (s *Service) CreateGatewayToken(ctx context.Context, label string) (string, Token, error) {
	return "", Token{}, errTodo
}

// Tokens lists an agent's tokens ("" lists gateway tokens).
func (s *Service) Tokens(ctx context.Context, email string) ([]Token, error) { return nil, errTodo }

// RevokeToken revokes the token whose id (or a unique prefix of it, at
// least 8 characters) is given.
func (s *Service) RevokeToken(ctx context.Context, id string) error { return errTodo }

// Authenticate returns the active agent a token acts as, recording its
// use; ErrBadToken otherwise (including gateway tokens).
func (s *Service) Authenticate(ctx context.Context, token string) (*Agent, error) {
	return nil, errTodo
}

// AuthenticateGateway accepts a gateway token; ErrBadToken otherwise.
func (s *Service) AuthenticateGateway(ctx context.Context, token string) error { return errTodo }

// EnsureDev makes sure the development agent exists (an admin) and returns
// a fresh token for it, revoking the previous development tokens.
func (s *Service) EnsureDev(ctx context.Context, email, name string) (string, error) {
	return "", errTodo
}
