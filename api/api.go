package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"turno/agents"
	"turno/billing"
	"turno/clients"
	"turno/mailin"
	"turno/replies"
	"turno/tickets"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// Body limits: replies carry attachments (base64 in JSON).
const (
	MaxBody      = 64 << 10
	MaxReplyBody = 16 << 20
)

// Options are what the handlers call. Tickets and Agents are required.
type Options struct {
	Tickets *tickets.Service
	Agents  *agents.Service
	Replies *replies.Store // nil: no saved replies
	// Clients and Billing give a ticket's client at a glance; Billing
	// also records payments (nil: POST /api/v1/payments answers 503).
	Clients *clients.Registry
	Billing *billing.Service
	// PaymentsToken is billing.api_token: it may record payments, like
	// a gateway token.
	PaymentsToken string
	// Raw is the raw store (mailin.NewRawStore) where files customers
	// send through /api/v1/portal are kept (ticket files, payment
	// receipts); nil: those routes refuse files (503).
	Raw *mailin.RawStore
	// Held releases mail held for authentication (agentmail.Router);
	// nil: the release answers 503.
	Held Releaser
	// Version is the document's info.version.
	Version string
	Logger  *slog.Logger
}

// Server is the mounted API.
type Server struct {
	opts  Options
	log   *slog.Logger
	api   huma.API
	fails *failures

	docOnce sync.Once
	doc     []byte
	docErr  error
}

var setErrors sync.Once

// Mount registers every route of /api/v1 and the OpenAPI document on mux
// (an *http.ServeMux or httpapi.Server: the pattern of each route is the
// mux pattern, so metrics label requests by it).
func Mount(mux humago.Mux, opts Options) (*Server, error) {
	if opts.Tickets == nil || opts.Agents == nil {
		return nil, errors.New("api: Options.Tickets and Options.Agents are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	// huma builds its own errors (validation, body parsing) through this
	// package variable; it must be ours before the first route is
	// registered, since the error schema is taken from it.
	setErrors.Do(func() {
		huma.NewError = humaError
	})
	s := &Server{opts: opts, log: opts.Logger, fails: newFailures(failureBurst, failureEvery, maxTracked)}

	cfg := huma.DefaultConfig("Turno agents API", opts.Version)
	cfg.Info.Description = "Agents work the ticket queue: list, show, reply, note, assign, status, priority, department, merge, link; " +
		"agents and saved replies; payments for gateways. Every route but this document takes \"Authorization: Bearer <token>\"."
	cfg.OpenAPIPath, cfg.DocsPath, cfg.SchemasPath = "", "", ""
	cfg.CreateHooks = nil // no $schema links in bodies
	cfg.RejectUnknownQueryParameters = true
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"agentToken": {Type: "http", Scheme: "bearer",
			Description: "An agent's API token (turno agents token create EMAIL)."},
		"portalToken": {Type: "http", Scheme: "bearer",
			Description: "A portal token acting for one client on /api/v1/portal (turno agents token create --portal CLIENT_ID)."},
		"paymentsToken": {Type: "http", Scheme: "bearer",
			Description: "billing.api_token or a gateway token (turno agents token create --gateway); agent tokens are refused."},
	}
	s.api = humago.New(mux, cfg)

	s.registerTickets()
	s.registerActions()
	s.registerAgents()
	s.registerReplies()
	s.registerPayments()
	s.registerHeld() // held.go
	s.registerPaymentReports()
	s.registerPortal() // portal.go
	// huma documents a 422 on every route with a body or parameters (its
	// validation status); ours is 400, and 422 is only a reused key.
	for _, item := range s.api.OpenAPI().Paths {
		for _, o := range []*huma.Operation{item.Get, item.Post, item.Put} {
			if o == nil {
				continue
			}
			if o.OperationID != "replyTicket" && o.OperationID != "noteTicket" {
				delete(o.Responses, "422")
				continue
			}
			// A replayed key answers 200 with the first call's result.
			r := *o.Responses["201"]
			r.Description = "Replayed: the key was seen before and nothing was sent or stored again"
			o.Responses["200"] = &r
		}
	}

	mux.HandleFunc("GET "+Prefix+"/openapi.json", s.serveDoc)
	return s, nil
}

// API is the huma API (its OpenAPI() is the document).
func (s *Server) API() huma.API { return s.api }

func (s *Server) serveDoc(w http.ResponseWriter, _ *http.Request) {
	s.docOnce.Do(func() { s.doc, s.docErr = json.Marshal(s.api.OpenAPI()) })
	if s.docErr != nil {
		s.log.Error("api: OpenAPI document", "err", s.docErr)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(newErr(500, CodeInternal, "", "internal error"))
		return
	}
	w.Header().Set("Content-Type", "application/openapi+json")
	_, _ = w.Write(s.doc)
}

// op is the operation every route starts from: tagged, documented errors,
// the agents' bearer scheme and its middleware.
func (s *Server) op(id, method, path, tag, summary string, errs ...int) huma.Operation {
	return huma.Operation{
		OperationID:  id,
		Method:       method,
		Path:         Prefix + path,
		Summary:      summary,
		Tags:         []string{tag},
		Security:     []map[string][]string{{"agentToken": {}}},
		Errors:       append([]int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusTooManyRequests}, errs...),
		Middlewares:  huma.Middlewares{s.agentAuth},
		MaxBodyBytes: MaxBody,
	}
}
