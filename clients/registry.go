package clients

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/clock"
	"turno/store"
)

// Collection names the registry owns.
const (
	CollClients   = "clients"
	CollLogins    = "client_logins"
	CollAddresses = "client_addresses"
	CollAudit     = "client_audit"
	CollAccess    = "client_access"
)

// Options configure a Registry. Zero values mean defaults.
type Options struct {
	DB *mongo.Database // required
	// Clock; default the wall clock.
	Clock clock.Clock
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Mailer sends password, welcome and billing-data mail; nil: those
	// methods fail with an error saying so.
	Mailer Mailer
	// Access configures password and welcome mail.
	Access AccessOptions
	// ClaimGrace is how long an unfinished login claim (a registration or
	// email change that crashed half-way) keeps its address from others;
	// default 10 minutes.
	ClaimGrace time.Duration
}

// Registry stores and edits clients and their contacts. Safe for concurrent
// use, and several processes may share one database.
type Registry struct {
	db     *mongo.Database
	clock  clock.Clock
	log    *slog.Logger
	mailer Mailer
	access AccessOptions
	grace  time.Duration

	clients, logins, addresses, audit, accessColl *mongo.Collection

	onChange atomic.Pointer[changeHook] // see OnChange
}

// New returns a registry over opts.DB. It does not touch the database;
// create the indexes with store.EnsureIndexes(Indexes()).
func New(opts Options) *Registry {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ClaimGrace <= 0 {
		opts.ClaimGrace = 10 * time.Minute
	}
	opts.Access = opts.Access.withDefaults()
	db := opts.DB
	return &Registry{
		db: db, clock: opts.Clock, log: opts.Logger, mailer: opts.Mailer, access: opts.Access, grace: opts.ClaimGrace,
		clients: db.Collection(CollClients), logins: db.Collection(CollLogins), addresses: db.Collection(CollAddresses),
		audit: db.Collection(CollAudit), accessColl: db.Collection(CollAccess),
	}
}

// Indexes are the secondary indexes the registry relies on. The hot paths
// (Get, Lookup, login claims) use _id only; these serve operator listings.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: CollAudit, Model: mongo.IndexModel{Keys: bson.D{{Key: "client_id", Value: 1}, {Key: "version", Value: 1}}}},
		{Collection: CollClients, Model: mongo.IndexModel{Keys: bson.D{{Key: "active", Value: 1}, {Key: "billing_complete", Value: 1}}}},
	}
}

// clientDoc is a client as stored: the contract fields plus the registry's
// bookkeeping. Version increments with every write (optimistic concurrency);
// LastChange repeats the audit entries of that write so they can be
// re-written after a crash (see audit.go).
type clientDoc struct {
	Client          `bson:",inline"`
	Contacts        []Contact `bson:"contacts"`
	BillingComplete bool      `bson:"billing_complete"`
	BillingMissing  []string  `bson:"billing_missing"`
	Version         int64     `bson:"version"`
	LastChange      *change   `bson:"last_change,omitempty"`
}

// refresh recomputes the derived fields after an edit.
func (d *clientDoc) refresh() {
	ps := d.Billing.Check()
	d.BillingComplete = len(ps) == 0
	d.BillingMissing = nil
	for _, p := range ps {
		d.BillingMissing = append(d.BillingMissing, p.Field)
	}
	for i := range d.Contacts {
		d.Contacts[i].ClientID = d.ID
	}
}

// load reads one client document.
func (r *Registry) load(ctx context.Context, id string) (*clientDoc, error) {
	var d clientDoc
	err := r.clients.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, &NotFoundError{ClientID: id}
	}
	if err != nil {
		return nil, dbErr("read client "+id, err)
	}
	return &d, nil
}

// Get returns one client, or a *NotFoundError.
func (r *Registry) Get(ctx context.Context, id string) (*Client, error) {
	d, err := r.load(ctx, id)
	if err != nil {
		return nil, err
	}
	return &d.Client, nil
}

// Contacts returns the client's contacts: the principal first (its address
// is the client's Email), then the others in the order they were added.
func (r *Registry) Contacts(ctx context.Context, id string) ([]Contact, error) {
	d, err := r.load(ctx, id)
	if err != nil {
		return nil, err
	}
	out := []Contact{{ClientID: d.ID, Address: d.Email, Name: d.Name, Role: RolePrincipal, AddedAt: d.CreatedAt}}
	return append(out, d.Contacts...), nil
}

// BillingAddress is where collection notes go: the billing contact if the
// client has one, else the principal address.
func (r *Registry) BillingAddress(ctx context.Context, id string) (string, error) {
	d, err := r.load(ctx, id)
	if err != nil {
		return "", err
	}
	for _, c := range d.Contacts {
		if c.Role == RoleBilling {
			return c.Address, nil
		}
	}
	return d.Email, nil
}

// MailAllowed is the outbox's opt-out hook: whether the client accepts this
// kind of mail ("invoice", "collection_note", "payment_confirmation",
// "ticket", "account"). An unknown kind is an error; whether the client is
// active is not considered here.
func (r *Registry) MailAllowed(ctx context.Context, clientID, kind string) (bool, error) {
	d, err := r.load(ctx, clientID)
	if err != nil {
		return false, err
	}
	return d.Mail.allows(kind)
}

func (m MailSwitches) allows(kind string) (bool, error) {
	switch kind {
	case "invoice":
		return m.Invoice, nil
	case "collection_note":
		return m.CollectionNote, nil
	case "payment_confirmation":
		return m.PaymentConfirmation, nil
	case "ticket":
		return m.Ticket, nil
	case "account":
		return m.Account, nil
	}
	return false, errors.New("unknown mail kind " + kind)
}

var replaceOpts = options.Replace()
