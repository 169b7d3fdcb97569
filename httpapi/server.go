// Package httpapi owns Turno's HTTP listener: the operator endpoints
// (/healthz, /readyz, /metrics) and the mux the API (package api) and the
// payments endpoint mount on. It serves HTTPS when given a certificate.
//
// Connections are bounded (Options, DefaultLimits): a request's header
// must arrive within 10s and be at most 64 KiB, the whole request within
// 60s, the response within 60s, and an idle keep-alive connection is
// closed after 120s.
//
// Every request is counted in turno_http_requests_total and timed in
// turno_http_request_duration_seconds, labelled by the mux's route pattern
// (never the raw path: /api/v1/tickets/{number}, not a ticket number),
// method and status; requests no route matched are "unmatched".
//
// /healthz answers 200 while the process serves HTTP at all. /readyz runs
// every registered readiness check (database, mailboxes, relays) with a short
// timeout and answers 200 only if all pass, with a JSON body naming each
// check's state, so an operator sees which part is down.
package httpapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
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
	// Registerer takes the request metrics; nil uses Gatherer when it is
	// also a Registerer (a *prometheus.Registry), else none are kept.
	Registerer prometheus.Registerer
	// TLSCertFile and TLSKeyFile (PEM): serve HTTPS. Both or neither.
	TLSCertFile, TLSKeyFile string
	// CheckTimeout bounds each readiness check; default 2s.
	CheckTimeout time.Duration
	// The connection limits (DefaultLimits when zero). ReadHeaderTimeout
	// bounds reading a request's header, ReadTimeout the whole request
	// with its body (bodies go up to 16 MB), WriteTimeout the response
	// from the end of the header, IdleTimeout how long a keep-alive
	// connection may wait for its next request, and MaxHeaderBytes the
	// size of a request's header (larger ones get 431).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int
	Logger                                                    *slog.Logger
}

// DefaultLimits are the connection limits of a zero Options: nothing a
// slow or idle client does holds a connection open for long, and no
// header is larger than 64 KiB.
var DefaultLimits = Options{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
	WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}

// Server is the HTTP listener.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	srv    *http.Server
	ln     net.Listener
	mu     sync.RWMutex
	checks map[string]Check
	m      *routeMetrics // nil: not instrumented
}

// New builds a server; nothing listens until Start.
func New(opts Options) *Server {
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = 2 * time.Second
	}
	for _, d := range []struct{ v, def *time.Duration }{{&opts.ReadHeaderTimeout, &DefaultLimits.ReadHeaderTimeout},
		{&opts.ReadTimeout, &DefaultLimits.ReadTimeout}, {&opts.WriteTimeout, &DefaultLimits.WriteTimeout},
		{&opts.IdleTimeout, &DefaultLimits.IdleTimeout}} {
		if *d.v <= 0 {
			*d.v = *d.def
		}
	}
	if opts.MaxHeaderBytes <= 0 {
		opts.MaxHeaderBytes = DefaultLimits.MaxHeaderBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.NewRegistry()
	}
	if opts.Registerer == nil {
		opts.Registerer, _ = opts.Gatherer.(prometheus.Registerer)
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), checks: map[string]Check{}}
	if opts.Registerer != nil {
		s.m = newRouteMetrics(opts.Registerer)
	}
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

// Handle mounts an extra handler (the API endpoints) on the mux; its
// pattern is the route label of its metrics.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// HandleFunc is Handle for a function (the mux huma's humago adapter needs).
func (s *Server) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	s.mux.HandleFunc(pattern, h)
}

// ServeHTTP serves a request as the listener does, metrics included.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.m == nil {
		s.mux.ServeHTTP(w, r)
		return
	}
	s.m.serve(s.mux, w, r)
}

// TLS reports whether the server serves HTTPS.
func (s *Server) TLS() bool { return s.opts.TLSCertFile != "" }

// Start listens and serves in the background.
func (s *Server) Start() error {
	var tcfg *tls.Config
	if s.opts.TLSCertFile != "" || s.opts.TLSKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(s.opts.TLSCertFile, s.opts.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("http TLS certificate: %w", err)
		}
		tcfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("http listen on %s: %w", s.opts.Addr, err)
	}
	s.ln = ln
	if tcfg != nil {
		ln = tls.NewListener(ln, tcfg)
	}
	o := s.opts
	s.srv = &http.Server{Handler: s, TLSConfig: tcfg, ReadHeaderTimeout: o.ReadHeaderTimeout, ReadTimeout: o.ReadTimeout,
		WriteTimeout: o.WriteTimeout, IdleTimeout: o.IdleTimeout, MaxHeaderBytes: o.MaxHeaderBytes}
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

// routeMetrics counts and times requests by route pattern, method and
// status.
type routeMetrics struct {
	count *prometheus.CounterVec
	dur   *prometheus.HistogramVec
}

func newRouteMetrics(reg prometheus.Registerer) *routeMetrics {
	m := &routeMetrics{
		count: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "turno_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		dur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "turno_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern, method and status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method", "status"}),
	}
	reg.MustRegister(m.count, m.dur)
	return m
}

func (m *routeMetrics) serve(h http.Handler, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		// The mux set r.Pattern on this very request when it routed it.
		route := r.Pattern
		if _, p, ok := strings.Cut(route, " "); ok {
			route = p
		}
		if route == "" {
			route = "unmatched"
		}
		method := r.Method
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
			http.MethodDelete, http.MethodOptions:
		default:
			method = "other" // a client-chosen string must not grow the label set
		}
		status := strconv.Itoa(sw.code())
		m.count.WithLabelValues(route, method, status).Inc()
		m.dur.WithLabelValues(route, method, status).Observe(time.Since(start).Seconds())
	}()
	h.ServeHTTP(sw, r)
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 { // 1xx are interim
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the connection (flush,
// deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
