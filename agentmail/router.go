package agentmail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/agents"
	"turno/clock"
	"turno/config"
	"turno/mailin/parse"
	"turno/msgid"
	"turno/tickets"
)

// Collections owned by this package.
const (
	CollDone      = "agentmail_done"
	CollExplained = "agentmail_explained"
)

// Outcomes (Result.Outcome and the metric's result label).
const (
	OutcomeApplied     = "applied"
	OutcomeNote        = "note"
	OutcomeHeld        = "held"
	OutcomeIgnoredAuto = "ignored_auto"
	OutcomeRefused     = "refused"
)

// reasonInvalid: the tickets service refused the work as bad input (too
// long, too many files…).
const reasonInvalid = "invalid"

// Agents finds an agent by primary or alternate address (agents.Service);
// an error wrapping agents.ErrNotFound means no agent has it.
type Agents interface {
	Get(ctx context.Context, email string) (*agents.Agent, error)
}

// RawSource opens a stored raw message by its hash (mailin.RawStore).
type RawSource interface {
	Open(ctx context.Context, hash string) (io.ReadCloser, int64, error)
}

// Options configure a Router.
type Options struct {
	DB      *mongo.Database  // required
	Tickets *tickets.Service // required
	Agents  Agents           // required
	// Contacts tells whether a sender is a customer contact; nil: none is.
	Contacts tickets.Directory
	// Mailer sends explanations (the outbox); nil sends none.
	Mailer tickets.Mailer
	// Raw gives attachments' bytes; nil: replies go without attachments.
	Raw RawSource
	// MessageIDKey verifies Turno's Message-IDs; Domain is mail.domain
	// (a ticket-shaped ID on it with a bad HMAC is a forgery).
	MessageIDKey []byte
	Domain       string
	// TrustedAuthservID is intake.trusted_authserv_id.
	TrustedAuthservID string
	// OwnAddresses are Turno's sending addresses: never explained to.
	OwnAddresses []string
	Registerer   prometheus.Registerer
	Clock        clock.Clock
	Logger       *slog.Logger
}

// Mail is one stored, parsed message from the intake.
type Mail struct {
	Msg       *parse.Message
	RawHash   string // the raw store's id (and the dedup key without a Message-ID)
	Mailbox   string
	AgentAuth string // the mailbox's agent_auth ("" means none)
	ArrivedAt time.Time
}

// Result is what Route did with a handled mail.
type Result struct {
	Outcome  string `bson:"outcome" json:"outcome"`
	Ticket   int64  `bson:"ticket" json:"ticket"`
	Reason   string `bson:"reason,omitempty" json:"reason,omitempty"` // why it was held or refused
	Replayed bool   `bson:"-" json:"replayed"`                        // handled before: nothing done again
}

// Router decides which mail is an agent's and applies it.
type Router struct {
	opts    Options
	log     *slog.Logger
	clk     clock.Clock
	done    *mongo.Collection
	expl    *mongo.Collection
	counter *prometheus.CounterVec
	own     map[string]bool
}

// New checks the options and registers the metric.
func New(opts Options) (*Router, error) {
	if opts.DB == nil || opts.Tickets == nil || opts.Agents == nil {
		return nil, errors.New("agentmail: DB, Tickets and Agents are required")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Router{opts: opts, log: opts.Logger, clk: opts.Clock,
		done: opts.DB.Collection(CollDone), expl: opts.DB.Collection(CollExplained), own: map[string]bool{}}
	r.counter = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "turno_agentmail_total",
		Help: "Mail handled as an agent's answer by mail, by result: applied (a reply or commands), note, held (kept on the ticket, sender told), ignored_auto (automatic mail answering a notification), refused (a forged reference).",
	}, []string{"result"})
	for _, res := range []string{OutcomeApplied, OutcomeNote, OutcomeHeld, OutcomeIgnoredAuto, OutcomeRefused} {
		r.counter.WithLabelValues(res)
	}
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(r.counter); err != nil {
			return nil, fmt.Errorf("agentmail: register metric: %w", err)
		}
	}
	for _, a := range opts.OwnAddresses {
		r.own[strings.ToLower(strings.TrimSpace(a))] = true
	}
	return r, nil
}

// Counter is the turno_agentmail_total series (for tests).
func (r *Router) Counter() *prometheus.CounterVec { return r.counter }

// refs is what a mail's references say.
type refs struct {
	notice       *msgid.NoticeRef
	ticket       int64
	forgedNotice bool
	forgedTicket bool
	all          map[string]bool // normalised IDs referenced
}

var (
	noticeShape = regexp.MustCompile(`^t[0-9]+\.n\.[0-9a-f]{8}\.[0-9a-f]{8}\.[0-9a-f]{16}\.[0-9a-f]{16}@`)
	ticketShape = regexp.MustCompile(`^t[0-9]+\.[0-9a-f]{16}\.[0-9a-f]{16}@(.+)$`)
)

func (r *Router) readRefs(m *parse.Message) refs {
	out := refs{all: map[string]bool{}}
	ids := []string{m.InReplyTo}
	for i := len(m.References) - 1; i >= 0; i-- { // newest first
		ids = append(ids, m.References[i])
	}
	key := r.opts.MessageIDKey
	for _, id := range ids {
		id = parse.NormalizeMessageID(id)
		if id == "" || out.all[id] {
			continue
		}
		out.all[id] = true
		if len(key) == 0 {
			continue
		}
		if n, ok := msgid.Notice(id, key); ok {
			if out.notice == nil {
				out.notice = &n
			}
			continue
		}
		if n, ok := msgid.Ticket(id, key); ok {
			if out.ticket == 0 {
				out.ticket = n
			}
			continue
		}
		low := strings.ToLower(id)
		if noticeShape.MatchString(low) {
			out.forgedNotice = true
		} else if sm := ticketShape.FindStringSubmatch(low); sm != nil && r.opts.Domain != "" &&
			sm[1] == strings.ToLower(r.opts.Domain) {
			out.forgedTicket = true
		}
	}
	return out
}

// mailKey is the idempotency root of a mail: the sha256 of its dedup key.
func mailKey(m Mail) (string, string, error) {
	dk, err := tickets.DedupKey(m.Msg, m.RawHash)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256([]byte(dk))
	return dk, hex.EncodeToString(sum[:]), nil
}

func automatic(m *parse.Message) bool {
	return m.Kind == parse.KindAutoReply || m.Kind == parse.KindBulk
}

// Route decides whether m is an agent's answer and, if so, handles it
// (handled true). An error is transient unless it wraps a
// tickets.PermanentError; nothing is left half done that a retry with the
// same mail does not finish.
func (r *Router) Route(ctx context.Context, m Mail) (Result, bool, error) {
	msg := m.Msg
	if msg == nil || msg.Own || msg.Kind == parse.KindBounce {
		return Result{}, false, nil
	}
	rf := r.readRefs(msg)
	if rf.notice == nil && rf.ticket == 0 && !rf.forgedNotice && !rf.forgedTicket {
		return Result{}, false, nil // the common case: no reads at all
	}
	from := ""
	if msg.From != nil {
		from = strings.ToLower(strings.TrimSpace(msg.From.Address))
	}
	agent, err := r.agent(ctx, from)
	if err != nil {
		return Result{}, false, err
	}
	contact := false
	if agent != nil && rf.notice == nil {
		if contact, err = r.isContact(ctx, from); err != nil {
			return Result{}, false, err
		}
	}
	var n int64
	switch {
	case rf.notice != nil:
		n = rf.notice.Ticket
	case rf.ticket != 0 && agent != nil && !contact:
		n = rf.ticket
	case rf.forgedNotice, rf.forgedTicket && agent != nil && !contact:
		return r.refuse(ctx, m, agent)
	default:
		return Result{}, false, nil
	}
	dk, key, err := mailKey(m)
	if err != nil {
		return Result{}, false, err
	}
	if res, ok, err := r.doneBefore(ctx, key); err != nil || ok {
		return res, true, err
	}
	if automatic(msg) {
		r.log.Info("agentmail: automatic mail answering a ticket notification ignored", "ticket", n,
			"from", from, "kind", string(msg.Kind), "why", msg.KindReason, "key", dk)
		return r.finish(ctx, key, Result{Outcome: OutcomeIgnoredAuto, Ticket: n, Reason: string(msg.Kind)})
	}
	return r.apply(ctx, m, dk, key, n, rf, agent)
}

// agent is the agent owning addr (active or not), nil when none does.
func (r *Router) agent(ctx context.Context, addr string) (*agents.Agent, error) {
	if addr == "" {
		return nil, nil
	}
	a, err := r.opts.Agents.Get(ctx, addr)
	if errors.Is(err, agents.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, &tickets.TransientError{Err: fmt.Errorf("agentmail: look up %s: %w", addr, err)}
	}
	return a, nil
}

func (r *Router) isContact(ctx context.Context, addr string) (bool, error) {
	if r.opts.Contacts == nil {
		return false, nil
	}
	mem, err := r.opts.Contacts.Lookup(ctx, addr)
	if err != nil {
		return false, &tickets.TransientError{Err: fmt.Errorf("agentmail: look up contact %s: %w", addr, err)}
	}
	for _, x := range mem {
		if x.ClientActive {
			return true, nil
		}
	}
	return false, nil
}

type doneDoc struct {
	ID     string    `bson:"_id"`
	Result Result    `bson:",inline"`
	At     time.Time `bson:"at"`
}

func (r *Router) doneBefore(ctx context.Context, key string) (Result, bool, error) {
	var d doneDoc
	err := r.done.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, &tickets.TransientError{Err: fmt.Errorf("agentmail: read done record: %w", err)}
	}
	d.Result.Replayed = true
	return d.Result, true, nil
}

// finish records a handled mail and counts it (once: a lost insert race
// means another process counted it).
func (r *Router) finish(ctx context.Context, key string, res Result) (Result, bool, error) {
	_, err := r.done.InsertOne(ctx, doneDoc{ID: key, Result: res, At: r.clk.Now().UTC()})
	if mongo.IsDuplicateKeyError(err) {
		res.Replayed = true
		return res, true, nil
	}
	if err != nil {
		return Result{}, false, &tickets.TransientError{Err: fmt.Errorf("agentmail: record done: %w", err)}
	}
	r.counter.WithLabelValues(res.Outcome).Inc()
	return res, true, nil
}

// refuse holds a mail with a forged reference on no ticket; nobody is told.
func (r *Router) refuse(ctx context.Context, m Mail, agent *agents.Agent) (Result, bool, error) {
	dk, key, err := mailKey(m)
	if err != nil {
		return Result{}, false, err
	}
	if res, ok, err := r.doneBefore(ctx, key); err != nil || ok {
		return res, true, err
	}
	var who string
	if agent != nil {
		who = agent.Email
	}
	if _, err := r.opts.Tickets.Hold(ctx, tickets.HeldInput{Key: dk, Reason: tickets.HeldForged, Msg: m.Msg,
		Detail: "a Turno-shaped reference with a bad signature: refused, nobody told", Agent: who,
		Mailbox: m.Mailbox, RawRef: m.RawHash, ArrivedAt: m.ArrivedAt}); err != nil {
		return Result{}, false, err
	}
	from := ""
	if m.Msg.From != nil {
		from = m.Msg.From.Address
	}
	r.log.Warn("agentmail: forged Turno reference refused", "from", from, "key", dk, "mailbox", m.Mailbox)
	return r.finish(ctx, key, Result{Outcome: OutcomeRefused, Reason: tickets.HeldForged})
}

// requiresAuth reports whether the mailbox wants DKIM or SPF.
func requiresAuth(m Mail) bool { return m.AgentAuth == config.AgentAuthDKIMOrSPF }
