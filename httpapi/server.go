// Package httpapi owns Turno's HTTP listener: the operator endpoints
// (/healthz, /readyz, /metrics) and, as later issues add them, the API for
// payment gateways and the customer portal.
//
// /healthz answers 200 while the process serves HTTP at all. /readyz runs
// every registered readiness check (database, mailboxes, relays) with a short
// timeout and answers 200 only if all pass, with a JSON body naming each
// check's state, so an operator sees which part is down.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check reports whether one dependency is usable; nil means ready.
type Check func(ctx context.Context) error

// Options configure a Server. Zero values mean defaults.
type Options struct {
	// Addr to listen on, e.g. "127.0.0.1:8025" (":0" picks a port).
	Addr string
	// Gatherer serves /metrics; nil serves an empty registry.
	Gatherer prometheus.Gatherer
	// CheckTimeout bounds each readiness check; default 2s.
	CheckTimeout time.Duration
	Logger       *slog.Logger
}

// Server is the HTTP listener.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	srv    *http.Server
	ln     net.Listener
	mu     sync.RWMutex
	checks map[string]Check
}

// New builds a server; nothing listens until Start.
func New(opts Options) *Server {
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.NewRegistry()
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), checks: map[string]Check{}}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	return s
}

// AddCheck registers a readiness check under name (e.g. "database",
// "mailbox:soporte", "relay:primary").
func (s *Server) AddCheck(name string, c Check) {
	s.mu.Lock()
	s.checks[name] = c
	s.mu.Unlock()
}

// Handle mounts an extra handler (the later API endpoints).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Start listens and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("http listen on %s: %w", s.opts.Addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// Addr is the address actually listened on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Shutdown stops accepting requests and waits for running ones until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	names := make([]string, 0, len(s.checks))
	for n := range s.checks {
		names = append(names, n)
	}
	s.mu.RUnlock()
	sort.Strings(names)
	res := readiness{Status: "ok", Checks: map[string]string{}}
	for _, n := range names {
		s.mu.RLock()
		c := s.checks[n]
		s.mu.RUnlock()
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.CheckTimeout)
		err := c(ctx)
		cancel()
		if err != nil {
			res.Status = "unavailable"
			res.Checks[n] = err.Error()
			continue
		}
		res.Checks[n] = "ok"
	}
	w.Header().Set("Content-Type", "application/json")
	if res.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(res)
}
