package tickets

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The hook agents' notifications (package notify) hang on: a ticket with
// events nobody has notified about yet has a marker in
// ticket_notify_pending, {_id: ticket number, token, at}.
//
// Every writer of events (createTicket, update) upserts the marker with a
// fresh token twice: before writing the ticket, so a crash between the two
// leaves the marker (the notifier then finds nothing new, or the event),
// and after, so a notifier that read the marker and then the ticket just
// before our write cannot delete a marker that still stands for our event:
// it deletes by {_id, token} (NotifyDone), and the token it read is not
// the one we wrote last. The collection holds only tickets with
// unprocessed events, so the notifier lists it whole.

// EventMessage: a customer message joined the ticket (Key names it; Note
// is its kind when it is automatic mail: auto_reply, bulk).
const EventMessage = "message"

// CollNotifyPending is the notification hook: one marker per ticket with
// events not yet notified (_id: ticket number).
const CollNotifyPending = "ticket_notify_pending"

// PendingNotice is a ticket with events not yet notified: the token read
// with it is what NotifyDone takes.
type PendingNotice struct {
	Ticket int64     `bson:"-"`
	ID     string    `bson:"_id"`
	Token  string    `bson:"token"`
	At     time.Time `bson:"at"`
}

// notifyPending upserts ticket n's notification marker with a fresh token.
func (s *Service) notifyPending(ctx context.Context, n int64) error {
	tok, err := newToken()
	if err != nil {
		return err
	}
	_, err = s.notifyColl().UpdateOne(ctx, bson.D{{Key: "_id", Value: ticketID(n)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "token", Value: tok}, {Key: "at", Value: s.clk.Now().UTC()}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return failed(fmt.Sprintf("mark ticket %d for notification", n), err)
	}
	return nil
}

// NotifyPending lists the tickets with events not yet notified.
func (s *Service) NotifyPending(ctx context.Context) ([]PendingNotice, error) {
	cur, err := s.notifyColl().Find(ctx, bson.D{})
	if err != nil {
		return nil, failed("list pending notifications", err)
	}
	var out []PendingNotice
	if err := cur.All(ctx, &out); err != nil {
		return nil, failed("list pending notifications", err)
	}
	for i := range out {
		out[i].Ticket, _ = strconv.ParseInt(out[i].ID, 10, 64)
	}
	return out, nil
}

// NotifyDone drops ticket n's marker if its token is still token: an event
// written since (which changed the token) keeps it.
func (s *Service) NotifyDone(ctx context.Context, n int64, token string) error {
	_, err := s.notifyColl().DeleteOne(ctx, bson.D{{Key: "_id", Value: ticketID(n)}, {Key: "token", Value: token}})
	if err != nil {
		return failed(fmt.Sprintf("clear notification marker of ticket %d", n), err)
	}
	return nil
}

// Ticket reads ticket n by _id for background work (no actor scope; nil
// when there is none).
func (s *Service) Ticket(ctx context.Context, n int64) (*Ticket, error) {
	return s.getTicket(ctx, n)
}

// Message reads a ticket message by key (nil when there is none).
func (s *Service) Message(ctx context.Context, key string) (*Message, error) {
	return s.findMessage(ctx, key)
}

func (s *Service) notifyColl() *mongo.Collection { return s.opts.DB.Collection(CollNotifyPending) }
