package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"golang.org/x/time/rate"

	"turno/agents"
	"turno/tickets"
)

// Failed authentication attempts per client address: a burst of 10, then
// one more every 6 s; at most maxTracked addresses are remembered.
const (
	failureBurst = 10
	failureEvery = 6 * time.Second
	maxTracked   = 10000
)

type ctxKey int

const (
	keyAgent ctxKey = iota
)

// agentOf is the authenticated agent of a request.
func agentOf(ctx context.Context) *agents.Agent {
	a, _ := ctx.Value(keyAgent).(*agents.Agent)
	return a
}

// actorOf is the acting agent as package tickets scopes its work.
func actorOf(ctx context.Context) tickets.Actor {
	if a := agentOf(ctx); a != nil {
		return a.Actor()
	}
	return tickets.Actor{} // unreachable: every route has agentAuth
}

// bearer returns the token of "Authorization: Bearer <token>".
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// clientIP is the peer's address (no proxy header is trusted).
func clientIP(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

// agentAuth authenticates an agent's token, or answers 401 or 429.
func (s *Server) agentAuth(ctx huma.Context, next func(huma.Context)) {
	s.authenticate(ctx, "an agent's token", "invalid or revoked token",
		func(c context.Context, tok string) (*agents.Agent, error) { return s.opts.Agents.Authenticate(c, tok) },
		func(a *agents.Agent) { next(huma.WithValue(ctx, keyAgent, a)) })
}

// paymentsAuth accepts billing.api_token or a gateway token.
func (s *Server) paymentsAuth(ctx huma.Context, next func(huma.Context)) {
	s.authenticate(ctx, "a payments token",
		"invalid or revoked token: payments take billing.api_token or a gateway token, not an agent's",
		func(c context.Context, tok string) (*agents.Agent, error) {
			if p := s.opts.PaymentsToken; p != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(p)) == 1 {
				return nil, nil
			}
			return nil, s.opts.Agents.AuthenticateGateway(c, tok)
		},
		func(*agents.Agent) { next(ctx) })
}

// authenticate is what every protected route does first: refuse an address
// over its failure allowance (429) before looking at the token, require a
// bearer token, check it with check (agents.ErrBadToken counts a failure
// and answers 401), then call next.
func (s *Server) authenticate(ctx huma.Context, what, bad string,
	check func(context.Context, string) (*agents.Agent, error), next func(*agents.Agent)) {
	ip := clientIP(ctx.RemoteAddr())
	if wait, limited := s.fails.limited(ip); limited {
		s.tooMany(ctx, wait)
		return
	}
	tok, ok := bearer(ctx.Header("Authorization"))
	if !ok {
		s.unauthorized(ctx, what+" is required: Authorization: Bearer <token>")
		return
	}
	a, err := check(ctx.Context(), tok)
	if errors.Is(err, agents.ErrBadToken) {
		s.fails.failed(ip)
		s.unauthorized(ctx, bad)
		return
	}
	if err != nil {
		s.log.Error("api: authenticate", "err", err)
		_ = huma.WriteErr(s.api, ctx, http.StatusInternalServerError, "authenticate", err)
		return
	}
	next(a)
}

func (s *Server) unauthorized(ctx huma.Context, msg string) {
	ctx.SetHeader("WWW-Authenticate", `Bearer realm="turno"`)
	_ = huma.WriteErr(s.api, ctx, http.StatusUnauthorized, msg)
}

func (s *Server) tooMany(ctx huma.Context, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	ctx.SetHeader("Retry-After", strconv.Itoa(secs))
	_ = huma.WriteErr(s.api, ctx, http.StatusTooManyRequests,
		"too many failed authentication attempts from this address; retry after "+strconv.Itoa(secs)+"s")
}

// failures limits failed authentication attempts per address. The map is
// bounded: when full, addresses whose allowance has refilled are dropped,
// and if none has, an arbitrary one.
type failures struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	max   int
	by    map[string]*rate.Limiter
}

func newFailures(burst int, every time.Duration, max int) *failures {
	return &failures{every: rate.Every(every), burst: burst, max: max, by: map[string]*rate.Limiter{}}
}

// limited reports whether ip has no allowance left, and how long until it
// has one.
func (f *failures) limited(ip string) (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.by[ip]
	if l == nil {
		return 0, false
	}
	t := l.TokensAt(time.Now())
	if t >= 1 {
		return 0, false
	}
	return time.Duration((1 - t) / float64(f.every) * float64(time.Second)), true
}

// failed spends one of ip's allowance.
func (f *failures) failed(ip string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.by[ip]
	if l == nil {
		if len(f.by) >= f.max {
			f.evict()
		}
		l = rate.NewLimiter(f.every, f.burst)
		f.by[ip] = l
	}
	l.Allow()
}

func (f *failures) evict() {
	now := time.Now()
	for ip, l := range f.by {
		if l.TokensAt(now) >= float64(f.burst) {
			delete(f.by, ip)
		}
	}
	for ip := range f.by {
		if len(f.by) < f.max {
			return
		}
		delete(f.by, ip)
	}
}
