package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/time/rate"
)

// Lockout is how many failed logins for one address within an hour lock
// it until the hour ends.
const Lockout = 20

// ForgotLimit is how many forgot-password mails one address may ask for
// within an hour; later requests get the same answer and send nothing.
const ForgotLimit = 3

// LockoutNotifier tells an account's owner that their address was locked
// after too many failed logins. The caller resolves the address (an
// unknown one is its business: typically nothing is sent) and must be
// idempotent by (address, until).
type LockoutNotifier interface {
	NotifyLockout(ctx context.Context, address string, until time.Time) error
}

type throttleDoc struct {
	ID       string    `bson:"_id"`
	Failures int       `bson:"failures"`
	Until    time.Time `bson:"until"`
}

// ErrThrottled says the client IP sent too many access requests.
var ErrThrottled = errors.New("too many requests from this address")

func (s *Site) throttleID(purpose, address string, now time.Time) (string, time.Time) {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(address))))
	hour := now.UTC().Truncate(time.Hour)
	return fmt.Sprintf("%s/%s/%s/%s", s.opts.Surface, purpose, hex.EncodeToString(h[:16]), hour.Format("2006010215")),
		hour.Add(time.Hour)
}

// AllowIP takes one token of the client IP's bucket for the access forms;
// false: answer 429.
func (s *Site) AllowIP(r *http.Request) bool { return s.ips.allow(s.ClientIP(r)) }

// Locked reports whether address is locked out of login now.
func (s *Site) Locked(ctx context.Context, address string) (bool, error) {
	id, _ := s.throttleID("login", address, s.opts.Clock.Now())
	var d throttleDoc
	err := s.throttle.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read throttle: %w", err)
	}
	return d.Failures >= Lockout, nil
}

// LoginFailed counts a failed login for address; the failure that reaches
// Lockout calls the notifier, once.
func (s *Site) LoginFailed(ctx context.Context, address string) error {
	n, until, err := s.count(ctx, "login", address)
	if err != nil {
		return err
	}
	if n == Lockout {
		s.opts.Logger.Warn("web: address locked after failed logins", "surface", s.opts.Surface, "until", until)
		if n := s.notifier(); n != nil {
			if err := n.NotifyLockout(ctx, address, until); err != nil {
				return fmt.Errorf("notify lockout: %w", err)
			}
		}
	}
	return nil
}

// LoginSucceeded clears address's failures.
func (s *Site) LoginSucceeded(ctx context.Context, address string) error {
	id, _ := s.throttleID("login", address, s.opts.Clock.Now())
	if _, err := s.throttle.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("clear throttle: %w", err)
	}
	return nil
}

// ForgotAllowed counts a forgot-password request for address and reports
// whether a mail may be sent for it (at most ForgotLimit an hour).
func (s *Site) ForgotAllowed(ctx context.Context, address string) (bool, error) {
	n, _, err := s.count(ctx, "forgot", address)
	return n <= ForgotLimit, err
}

func (s *Site) count(ctx context.Context, purpose, address string) (int, time.Time, error) {
	id, until := s.throttleID(purpose, address, s.opts.Clock.Now())
	var d throttleDoc
	err := s.throttle.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "failures", Value: 1}}}, {Key: "$set", Value: bson.D{{Key: "until", Value: until}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&d)
	if err != nil {
		return 0, until, fmt.Errorf("count %s attempt: %w", purpose, err)
	}
	return d.Failures, until, nil
}

// ipLimiter is a token bucket per client IP: a burst of 60 access
// requests, then one every 5 seconds. It lives in memory (each instance
// limits on its own); the per-address counts are in the database.
type ipLimiter struct {
	mu    sync.Mutex
	seen  map[string]*rate.Limiter
	reset time.Time
}

func newIPLimiter() *ipLimiter {
	return &ipLimiter{seen: map[string]*rate.Limiter{}, reset: time.Now()}
}

func (l *ipLimiter) allow(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.reset) > time.Hour || len(l.seen) > 100_000 {
		l.seen, l.reset = map[string]*rate.Limiter{}, time.Now()
	}
	lim, ok := l.seen[ip]
	if !ok {
		lim = rate.NewLimiter(rate.Every(5*time.Second), 60)
		l.seen[ip] = lim
	}
	return lim.Allow()
}
