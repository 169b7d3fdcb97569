package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/agents"
	"turno/clock"
	"turno/mailout"
	"turno/tickets"
)

// CollCursor is this package's collection: how far each ticket's events
// were notified.
const CollCursor = "notify_cursor"

// Tickets is what the worker reads of package tickets (*tickets.Service).
type Tickets interface {
	NotifyPending(ctx context.Context) ([]tickets.PendingNotice, error)
	NotifyDone(ctx context.Context, n int64, token string) error
	Ticket(ctx context.Context, n int64) (*tickets.Ticket, error)
	Message(ctx context.Context, key string) (*tickets.Message, error)
}

// Agents lists the agents (*agents.Service).
type Agents interface {
	List(ctx context.Context) ([]agents.Agent, error)
}

// Mailer enqueues mail (the outbox), idempotent by Message.Key.
type Mailer interface {
	Enqueue(ctx context.Context, m mailout.Message) (id string, err error)
}

// ClientInfo is a ticket's client as a notification shows it.
type ClientInfo struct {
	Name          string
	Tier          string
	UnpaidCount   int
	UnpaidBalance int64
}

// Clients tells about a client (the clients registry and billing.Glance,
// adapted by the daemon); nil info for an unknown client.
type Clients interface {
	ClientInfo(ctx context.Context, id string) (*ClientInfo, error)
}

// Options configure a Worker.
type Options struct {
	DB      *mongo.Database // required
	Tickets Tickets         // required
	Agents  Agents          // required
	Mailer  Mailer          // required
	Clients Clients         // nil: notifications show no client details
	// Sender is a department's From (name, address); the address is also
	// the Reply-To, where the agent's answer must arrive. Required.
	Sender func(dept string) (name, address string)
	// MailDomain and MessageIDKey make the Message-IDs (msgid.NewNotice).
	MailDomain   string
	MessageIDKey []byte
	// Interval between polls; default 2 s.
	Interval time.Duration
	// MaxText caps the message text shown, in bytes; default 4000.
	MaxText int
	// MaxAge: older events are not notified; default 24 h.
	MaxAge time.Duration
	Clock  clock.Clock
	Logger *slog.Logger
}

// Worker turns ticket events into agent notifications. Several may run
// (in several processes) on one database.
type Worker struct {
	opts   Options
	log    *slog.Logger
	cursor *mongo.Collection
	poke   chan struct{}
}

// New checks the options. Nothing runs until Run.
func New(opts Options) (*Worker, error) {
	if opts.DB == nil || opts.Tickets == nil || opts.Agents == nil || opts.Mailer == nil || opts.Sender == nil {
		return nil, errors.New("notify: DB, Tickets, Agents, Mailer and Sender are required")
	}
	if opts.MailDomain == "" || len(opts.MessageIDKey) == 0 {
		return nil, errors.New("notify: MailDomain and MessageIDKey are required (notification Message-IDs)")
	}
	if opts.Interval <= 0 {
		opts.Interval = 2 * time.Second
	}
	if opts.MaxText <= 0 {
		opts.MaxText = 4000
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 24 * time.Hour
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Worker{opts: opts, log: opts.Logger, cursor: opts.DB.Collection(CollCursor), poke: make(chan struct{}, 1)}, nil
}

// Poke makes a running worker look for events now.
func (w *Worker) Poke() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// Run polls until ctx ends. Errors are logged; the next poll retries.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.opts.Interval)
	defer t.Stop()
	for {
		if err := w.Step(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("notifications", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.poke:
		}
	}
}

// Step handles every ticket with events not yet notified, once.
func (w *Worker) Step(ctx context.Context) error {
	pending, err := w.opts.Tickets.NotifyPending(ctx)
	if err != nil || len(pending) == 0 {
		return err
	}
	all, err := w.opts.Agents.List(ctx)
	if err != nil {
		return fmt.Errorf("notify: list agents: %w", err)
	}
	var errs []error
	for _, p := range pending {
		if p.Ticket <= 0 {
			continue
		}
		if err := w.ticket(ctx, p, all); err != nil {
			errs = append(errs, fmt.Errorf("ticket %d: %w", p.Ticket, err))
		}
	}
	return errors.Join(errs...)
}

// cursorDoc is a notify_cursor document.
type cursorDoc struct {
	ID   string `bson:"_id"`
	Done int    `bson:"done"`
	Auto int    `bson:"auto,omitempty"`
}

// ticket notifies ticket p's new events, saves the cursor and drops the
// marker (by the token read with it).
func (w *Worker) ticket(ctx context.Context, p tickets.PendingNotice, all []agents.Agent) error {
	t, err := w.opts.Tickets.Ticket(ctx, p.Ticket)
	if err != nil {
		return err
	}
	if t == nil {
		return w.opts.Tickets.NotifyDone(ctx, p.Ticket, p.Token)
	}
	id := strconv.FormatInt(p.Ticket, 10)
	cur := cursorDoc{ID: id}
	err = w.cursor.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&cur)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("read cursor: %w", err)
	}
	if cur.Done > len(t.Events) {
		cur.Done = len(t.Events)
	}
	if cur.Done < len(t.Events) {
		st := &state{w: w, t: t, agents: all, auto: cur.Auto}
		for i := cur.Done; i < len(t.Events); i++ {
			if err := st.event(ctx, i); err != nil {
				return err
			}
		}
		cur.Done, cur.Auto = len(t.Events), st.auto
		_, err = w.cursor.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, cur, options.Replace().SetUpsert(true))
		if err != nil {
			return fmt.Errorf("save cursor: %w", err)
		}
	}
	return w.opts.Tickets.NotifyDone(ctx, p.Ticket, p.Token)
}
