package daemon

import (
	"context"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clock"
	"turno/mailin"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/tickets"
)

// bouncesRefused counts delivery reports that proved nothing, by reason
// (mailout's Refused* reasons). Registered in newRegistry.
var bouncesRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "turno_bounces_refused_total",
	Help: "Delivery reports that did not prove they answer Turno's message to the bounced recipient (no or a bad VERP token, or another recipient), so suppressed nothing, by reason.",
}, []string{"reason"})

// outboxBounces judges bounces for the ticket service: a bounce marks an
// address undeliverable only when it proves, by the VERP envelope sender it
// was addressed to or quotes, that it answers an outbox entry's delivery to
// that very address (mailout.RecordBounce). Quoting a Turno Message-ID
// proves nothing. A refused bounce is counted; one naming a sensitive entry
// has its raw copy stripped to the header. Idempotent: marking is an
// upsert by address, stripping a no-op the second time.
type outboxBounces struct {
	db    *mongo.Database
	clock clock.Clock
	key   []byte // the Message-ID key, which signs the VERP tokens
	// suppressed, once set (OnSuppressed), hears of each address a proven
	// bounce marked undeliverable: billing keeps its undeliverable clients
	// current from it.
	suppressed atomic.Pointer[func(context.Context, string) error]
}

var _ tickets.BounceJudge = (*outboxBounces)(nil)

// OnSuppressed sets what hears of newly suppressed addresses.
func (b *outboxBounces) OnSuppressed(fn func(context.Context, string) error) { b.suppressed.Store(&fn) }

// RecordBounce has only the quoted Message-ID, which proves nothing: it
// never matches. The ticket service calls JudgeBounce instead.
func (b *outboxBounces) RecordBounce(context.Context, string, []parse.BounceRecipient) (bool, error) {
	return false, nil
}

func (b *outboxBounces) JudgeBounce(ctx context.Context, r tickets.BounceReport) (tickets.BounceVerdict, error) {
	bounced := make([]mailout.BouncedRecipient, 0, len(r.Recipients))
	for _, x := range r.Recipients {
		if x.Address != "" {
			bounced = append(bounced, mailout.BouncedRecipient{Address: x.Address, Status: x.Status, Diagnostic: x.Diagnostic})
		}
	}
	v, err := mailout.RecordBounce(ctx, b.db, b.key, r.Addressed, bounced, b.clock.Now())
	if err != nil {
		return tickets.BounceVerdict{}, err
	}
	if !v.Matched {
		bouncesRefused.WithLabelValues(v.Reason).Inc()
	}
	if fn := b.suppressed.Load(); fn != nil {
		for _, a := range v.Suppressed {
			// The suppression stands either way; a failure here leaves the
			// gauge to the next reconcile (start, collection run, report).
			_ = (*fn)(ctx, a)
		}
	}
	return tickets.BounceVerdict{Matched: v.Matched, Reason: v.Reason, Entry: v.Entry, Sensitive: v.Sensitive}, nil
}

// PurgeRaw strips the stored raw message to its header.
func (b *outboxBounces) PurgeRaw(ctx context.Context, rawRef string) error {
	_, err := mailin.NewRawStore(b.db).StripBody(ctx, rawRef)
	return err
}
