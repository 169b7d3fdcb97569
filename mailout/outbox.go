package mailout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/clock"
	"turno/config"
	"turno/msgid"
	"turno/templates"
)

// OptOuts answers whether a client accepts a kind of mail. The clients
// registry satisfies it; nil means every client accepts everything.
type OptOuts interface {
	MailAllowed(ctx context.Context, clientID, kind string) (bool, error)
}

// Options configure an Outbox. Zero values mean defaults where noted.
type Options struct {
	DB        *mongo.Database
	Templates *templates.Set
	Mail      config.MailConfig
	Outbox    config.OutboxConfig // its Relays are tried in order
	// MessageIDKey signs ticket Message-IDs (see MessageIDKey).
	MessageIDKey []byte
	OptOuts      OptOuts
	// Owner names this process in leases; default host-pid-random.
	Owner    string
	Clock    clock.Clock
	Logger   *slog.Logger
	Registry prometheus.Registerer // nil: metrics are not registered
}

// Outbox is the durable outbox and its delivery workers.
type Outbox struct {
	opts    Options
	log     *slog.Logger
	clock   clock.Clock
	entries *mongo.Collection
	ready   *mongo.Collection
	claims  *mongo.Collection
	supp    *mongo.Collection
	relays  []*relay
	metrics *metrics
	queue   *readyQueue

	win window

	// hook, when set (tests only, before Start), is called with the name
	// of each step of a claim and a send before the step runs: a test
	// blocks in it to run a cancel or another claim at an exact point.
	hook func(step string)

	mu      sync.Mutex
	wg      sync.WaitGroup
	stop    chan struct{}
	kick    chan struct{}
	started bool
	stopped bool
}

// New checks the options and prepares the relays. Nothing runs until Start.
func New(opts Options) (*Outbox, error) {
	if opts.DB == nil || opts.Templates == nil {
		return nil, errors.New("mailout: DB and Templates are required")
	}
	if len(opts.MessageIDKey) == 0 {
		return nil, errors.New("mailout: MessageIDKey is required")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Owner == "" {
		host, _ := os.Hostname()
		opts.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomHex(4))
	}
	o := &Outbox{
		opts:    opts,
		log:     opts.Logger,
		clock:   opts.Clock,
		entries: opts.DB.Collection(OutboxCollection),
		ready:   opts.DB.Collection(ReadyCollection),
		claims:  opts.DB.Collection(ClaimsCollection),
		supp:    opts.DB.Collection(SuppressionsCollection),
		metrics: newMetrics(opts.Registry),
		queue:   newReadyQueue(),
		stop:    make(chan struct{}),
		kick:    make(chan struct{}, 1),
	}
	for i, rc := range opts.Outbox.Relays {
		r, err := newRelay(rc, opts.Outbox.SMTPTimeout.D(), opts.Mail.Domain)
		if err != nil {
			return nil, fmt.Errorf("relay %d (%s): %w", i, rc.Host, err)
		}
		o.relays = append(o.relays, r)
	}
	return o, nil
}

// at calls the test hook, if any, before step.
func (o *Outbox) at(step string) {
	if o.hook != nil {
		o.hook(step)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Enqueue stores m under its idempotency key and returns the entry's id. A
// second call with the same key changes nothing and returns the same id.
// A message with a line break in any header value is refused with
// ErrHeaderInjection; bad template data is refused here too, by rendering
// it once, so that nothing unsendable is stored.
func (o *Outbox) Enqueue(ctx context.Context, m Message) (string, error) {
	if err := m.validate(); err != nil {
		return "", fmt.Errorf("enqueue: %w", err)
	}
	id := EntryID(m.Key)
	// Fast path for the common repeat (a cron run twice): one _id read.
	var existing struct {
		ID string `bson:"_id"`
	}
	err := o.entries.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Decode(&existing)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return "", fmt.Errorf("enqueue %s: look up: %w", id, err)
	}
	data, err := json.Marshal(m.Data)
	if err != nil {
		return "", fmt.Errorf("enqueue %s: encode data: %w", id, err)
	}
	if _, err := o.render(m.Template, m.Lang, string(data), m.Ticket); err != nil {
		return "", fmt.Errorf("enqueue %s: %w", id, err)
	}
	now := o.clock.Now().UTC()
	e := Entry{
		ID: id, Key: m.Key, State: StateQueued, Priority: m.Priority,
		Template: m.Template, Lang: m.Lang, Data: string(data),
		To: m.To, Cc: m.Cc, ReplyTo: m.ReplyTo, Ticket: m.Ticket,
		InReplyTo: m.InReplyTo, References: m.References,
		Sensitive: m.Sensitive, AutoSubmitted: m.AutoSubmitted,
		ClientID: m.ClientID, Kind: m.Kind,
		MessageID: m.MessageID, FromName: m.FromName, FromAddress: m.FromAddress,
		CreatedAt: now, UpdatedAt: now, NextAttemptAt: now,
	}
	if e.MessageID == "" {
		e.MessageID = msgid.New(o.opts.Mail.Domain, m.Ticket, o.opts.MessageIDKey)
	}
	for _, a := range m.Attachments {
		e.Attachments = append(e.Attachments, StoredAttachment{Filename: a.Filename, ContentType: a.ContentType, Data: a.Data, Size: len(a.Data)})
	}
	seen := map[string]bool{}
	for _, a := range append(append([]string(nil), m.To...), m.Cc...) {
		if n := normalizeAddress(a); !seen[n] {
			seen[n] = true
			e.Recipients = append(e.Recipients, Recipient{Address: a, State: RcptPending})
		}
	}
	// The ready marker goes first: a crash between the two writes leaves a
	// marker without an entry, which the worker deletes, never an entry
	// that nothing will pick up.
	rd := readyDoc{ID: id, Priority: m.Priority, Due: now, CreatedAt: now, State: StateQueued}
	if _, err := o.ready.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$setOnInsert", Value: rd}}, options.UpdateOne().SetUpsert(true)); err != nil && !mongo.IsDuplicateKeyError(err) {
		return "", fmt.Errorf("enqueue %s: mark ready: %w", id, err)
	}
	if _, err := o.entries.InsertOne(ctx, e); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return id, nil // a concurrent Enqueue with the same key won
		}
		return "", fmt.Errorf("enqueue %s: insert: %w", id, err)
	}
	o.queue.push(rd)
	o.log.Debug("enqueued", "outbox_id", id, "template", m.Template, "priority", m.Priority)
	return id, nil
}
