package mailin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clock"
	"turno/config"
	"turno/mailin/parse"
)

// Options configure a Service. Nil or zero fields mean the documented default.
type Options struct {
	DB        *mongo.Database
	Mailboxes []config.MailboxConfig
	Intake    config.IntakeConfig
	// Sink receives every stored message. nil: messages are stored and
	// recorded in the ledger only (useful before tickets are wired).
	Sink Sink
	// OwnAddresses are Turno's own addresses, passed to the parser.
	OwnAddresses []string
	// Owner names this process in leases and the ledger; default
	// host:pid:random.
	Owner    string
	Logger   *slog.Logger
	Clock    clock.Clock
	Registry prometheus.Registerer
	// MinBackoff and MaxBackoff bound reconnect delays; default 1s and 5m.
	MinBackoff, MaxBackoff time.Duration
	// IdleRestart re-issues IDLE before servers drop it (RFC 2177 asks
	// clients to within 29 minutes); default 25m.
	IdleRestart time.Duration
	// RetryDelay is the wait before retrying a failed message; default 5s.
	RetryDelay time.Duration
	// TempDir spools messages larger than intake.max_message_size; default
	// the system's.
	TempDir string
	// Notifier is told of every message quarantined, so its sender can be
	// told once that a person is reviewing it. nil: nobody is told.
	Notifier Notifier
	// Parse replaces parse.Parse (tests inject failures); nil: parse.Parse.
	Parse func(io.Reader, *parse.Options) (*parse.Message, error)
}

// Service watches every configured mailbox, one goroutine each.
type Service struct {
	opts   Options
	cfg    config.IntakeConfig
	db     *mongo.Database
	log    *slog.Logger
	clock  clock.Clock
	sink   Sink
	own    []string
	owner  string
	raw    *RawStore
	ledger ledger
	cur    cursors
	notify Notifier

	parseFunc func(io.Reader, *parse.Options) (*parse.Message, error)
	m         *metrics

	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	state map[string]*watchState
}

// watchState is what this process knows of one mailbox, for /readyz.
type watchState struct {
	holding   bool
	connected bool
	lastErr   error
}

// New builds the service; nothing runs until Start.
func New(opts Options) (*Service, error) {
	if opts.DB == nil {
		return nil, errors.New("mailin: no database")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Owner == "" {
		opts.Owner = defaultOwner()
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Minute
	}
	if opts.IdleRestart <= 0 {
		opts.IdleRestart = 25 * time.Minute
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 5 * time.Second
	}
	sink := opts.Sink
	if sink == nil {
		sink = SinkFunc(func(context.Context, Incoming) (Result, error) { return Result{}, nil })
	}
	s := &Service{
		opts: opts, cfg: opts.Intake, db: opts.DB, log: opts.Logger, clock: opts.Clock,
		sink: sink, own: opts.OwnAddresses, owner: opts.Owner,
		raw:    NewRawStore(opts.DB),
		ledger: ledger{opts.DB.Collection(MessageCollection)},
		cur:    cursors{opts.DB.Collection(CursorCollection)},
		m:      newMetrics(opts.Registry),
		state:  map[string]*watchState{},
		notify: opts.Notifier,

		parseFunc: opts.Parse,
	}
	if s.parseFunc == nil {
		s.parseFunc = parse.Parse
	}
	for _, mb := range opts.Mailboxes {
		s.state[mb.Normalized().Name] = &watchState{}
	}
	return s, nil
}

func defaultOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Start launches one watcher per mailbox.
func (s *Service) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for _, mb := range s.opts.Mailboxes {
		mb := mb.Normalized()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.watch(ctx, mb)
		}()
	}
}

// Stop ends every watcher: a message being processed is finished or left
// unacknowledged (it is fetched again later), leases are released.
func (s *Service) Stop(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop mail watchers: %w", ctx.Err())
	}
}

// Check is the /readyz check of one mailbox: ready when this process is
// connected to it, or another process holds it.
func (s *Service) Check(name string) func(context.Context) error {
	return func(ctx context.Context) error {
		s.mu.Lock()
		st := *s.state[name]
		s.mu.Unlock()
		if st.connected {
			return nil
		}
		if !st.holding {
			cur, err := s.cur.get(ctx, name)
			if err != nil {
				return err
			}
			if cur.Owner != "" && cur.Owner != s.owner && cur.Connected {
				return nil
			}
			return errors.New("not connected (no process holds this mailbox)")
		}
		if st.lastErr != nil {
			return fmt.Errorf("not connected: %w", st.lastErr)
		}
		return errors.New("connecting")
	}
}

func (s *Service) setState(name string, f func(*watchState)) {
	s.mu.Lock()
	f(s.state[name])
	s.mu.Unlock()
}
