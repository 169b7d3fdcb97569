package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/mailout"
	"turno/store"
)

// Collections owned by billing.
const (
	ContractsCollection = "contracts"
	InvoicesCollection  = "invoices"
	HoldsCollection     = "billing_holds"
	CountersCollection  = "billing_counters"
	PaymentsCollection  = "payments"
	DunningCollection   = "dunning"
)

// Clients is what billing needs from the clients registry.
type Clients interface {
	Get(ctx context.Context, id string) (*clients.Client, error)
	// BillingAddress is the billing contact's address, else the principal.
	BillingAddress(ctx context.Context, id string) (string, error)
}

// Mailer is the outbox: Enqueue is idempotent by Message.Key.
type Mailer interface {
	Enqueue(ctx context.Context, m mailout.Message) (string, error)
}

// ErrNotWired is returned by operations that need the clients registry or
// the outbox when the Service was built without them.
var ErrNotWired = errors.New("billing was built without the clients registry or the outbox")

// Options configure a Service. Zero values mean defaults.
type Options struct {
	DB      *mongo.Database
	Clients Clients
	Mailer  Mailer
	// Billing and Company come from the configuration; zero Billing means
	// config defaults.
	Billing config.BillingConfig
	Company config.CompanyConfig
	// PortalURL ([access] portal_url) is printed on billing documents as
	// where to see and pay them; "" prints none.
	PortalURL string
	// DataURL is the page where a held client completes its billing data
	// (the built-in portal's Mis datos); the billing-data request links to
	// it. "": the request asks for the data by reply.
	DataURL string
	// Location of business dates; default America/Santiago.
	Location *time.Location
	Clock    clock.Clock
	Logger   *slog.Logger
	// BatchSize of the cycle's loop; default 500.
	BatchSize int
	// Registry for metrics; nil: they are not registered.
	Registry prometheus.Registerer
	// HTTPClient calls billing.dte.url; nil: http.DefaultClient.
	HTTPClient *http.Client
	// Owner names this process in DTE request claims and the DTE lease;
	// default host:pid:start-time.
	Owner string
}

// Service issues invoices, sends collection notes and records payments.
type Service struct {
	opts      Options
	contracts *mongo.Collection
	invoices  *mongo.Collection
	holds     *mongo.Collection
	counters  *mongo.Collection
	payments  *mongo.Collection
	dunning   *mongo.Collection
	ufRates   *mongo.Collection
	metrics   *metrics

	dteRequests *mongo.Collection
	dteDocs     *mongo.Collection
	dteKick     chan struct{}
	owner       string

	// upgraded caches that the one-time upgrade to markers and the
	// client index is done (upgrade.go); upgradeMu runs it once at a time.
	upgraded  atomic.Bool
	upgradeMu sync.Mutex
}

// New builds a Service; it starts nothing.
func New(opts Options) (*Service, error) {
	if opts.Billing.TimeZone == "" {
		opts.Billing = config.Default().Billing
	}
	if opts.Company.Name == "" {
		opts.Company = config.Default().Company
	}
	if opts.Location == nil {
		loc, err := time.LoadLocation(opts.Billing.TimeZone)
		if err != nil {
			return nil, err
		}
		opts.Location = loc
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.Owner == "" {
		host, _ := os.Hostname()
		opts.Owner = fmt.Sprintf("%s:%d:%d", host, os.Getpid(), time.Now().UnixNano())
	}
	db := opts.DB
	return &Service{
		dteRequests: db.Collection(DTERequestsCollection),
		dteDocs:     db.Collection(DTEDocumentsCollection),
		dteKick:     make(chan struct{}, 1),
		owner:       opts.Owner,
		opts:        opts,
		contracts:   db.Collection(ContractsCollection),
		invoices:    db.Collection(InvoicesCollection),
		holds:       db.Collection(HoldsCollection),
		counters:    db.Collection(CountersCollection),
		payments:    db.Collection(PaymentsCollection),
		dunning:     db.Collection(DunningCollection),
		ufRates:     db.Collection(UFRatesCollection),
		metrics:     newMetrics(opts.Registry),
	}, nil
}

// Wired reports whether the clients registry and the outbox are set: the
// cycle, collection notes, releases and payments need both.
func (s *Service) Wired() bool { return s.wired() == nil }

func (s *Service) wired() error {
	if s.opts.Clients == nil || s.opts.Mailer == nil {
		return ErrNotWired
	}
	return nil
}

// Indexes are what billing's queries rely on.
func Indexes() []store.Index {
	ix := func(coll string, keys ...string) store.Index {
		d := bson.D{}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		return store.Index{Collection: coll, Model: mongo.IndexModel{Keys: d}}
	}
	return []store.Index{
		ix(ContractsCollection, "anchor_day"),
		ix(ContractsCollection, "client_id"),
		ix(InvoicesCollection, "number"),
		ix(InvoicesCollection, "status"),
		ix(InvoicesCollection, "client_id"),
		ix(HoldsCollection, "status"),
	}
}
