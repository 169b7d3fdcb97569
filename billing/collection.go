package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/clients"
	"turno/mailout"
	"turno/scheduler"
	"turno/templates"
)

// CollectionJob is the collection notes' name in the scheduler.
const CollectionJob = "collection-notes"

// dunningState is a client's progress through the stages while it owes
// money: one document per client (_id client ID), deleted when it owes
// nothing. Episode names the debt (its first unpaid invoice) so note keys
// stay the same across reruns. Note is the last note sent, watched in case
// it bounces (bounced.go); nil when none was sent (mail switched off).
type dunningState struct {
	ID        string    `bson:"_id"`
	Episode   string    `bson:"episode"`
	Stage     int       `bson:"stage"`
	Note      *sentNote `bson:"note,omitempty"`
	UpdatedAt time.Time `bson:"updated_at"`
}

// Collect is the daily collection-notes job for r.Date. For each client
// with unpaid invoices it takes the oldest due date, the number of days
// past it, and the highest configured stage reached; it sends that stage's
// note only if the client has not had it or a later one in this episode
// (stages move forward; after missed days only the highest is sent). One
// note per client lists every unpaid invoice and the total; it goes to the
// billing contact (else the principal), copied to the addresses to notify
// when configured. Clients who paid owe nothing and get nothing; the
// outbox drops suppressed addresses. A suppressed billing contact sends the
// note to the principal address instead, and with no deliverable address
// the note is held and retried on later runs without advancing the stage
// (undeliverable.go); both count as contact_suppressed. A client with no
// new stage due whose last note bounced at the address it went to gets
// that note again at its principal address, once (bounced.go).
func (s *Service) Collect(ctx context.Context, r scheduler.Run) (map[string]int, error) {
	if err := s.wired(); err != nil {
		return nil, err
	}
	n := counts{}
	stages := slices.Clone(s.opts.Billing.CollectionStages)
	sort.Ints(stages)
	owed, err := s.unpaidByClientInvoices(ctx)
	if err != nil {
		return n, err
	}
	states, err := s.dunningStates(ctx)
	if err != nil {
		return n, err
	}
	held, err := s.heldNotes(ctx)
	if err != nil {
		return n, err
	}
	for id := range held {
		if _, still := owed[id]; !still && !r.DryRun {
			if err := s.dropHeld(ctx, id); err != nil {
				return n, err
			}
		}
	}
	for id := range states {
		if _, still := owed[id]; !still && !r.DryRun {
			if _, err := s.dunning.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
				return n, fmt.Errorf("end dunning of %s: %w", id, err)
			}
			n["settled"]++
		}
	}
	ids := make([]string, 0, len(owed))
	for id := range owed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var firstErr error
	for _, id := range ids {
		invs := owed[id]
		due, _ := scheduler.ParseDate(invs[0].DueDate)
		days := due.DaysUntil(r.Date)
		reached, ok := highestStage(stages, days)
		st, had := states[id]
		if !ok || (had && st.Stage >= reached) {
			// No new note: the last one may have bounced since.
			if had {
				if err := s.resendBounced(ctx, r, st, invs, held, n); err != nil {
					n["errors"]++
					if firstErr == nil {
						firstErr = err
					}
				}
			}
			continue
		}
		episode := invs[0].ID
		if had {
			episode = st.Episode
		}
		if r.DryRun {
			fmt.Fprintf(r.Out, "client %s: collection note stage %+d for %d invoices%s\n", id, reached, len(invs), s.dryRecipient(ctx, id))
			n["notes"]++
			continue
		}
		note, err := s.sendNote(ctx, id, episode, reached, invs, n)
		if errors.Is(err, errNoteHeld) {
			continue
		} else if err != nil {
			n["errors"]++
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		set := bson.D{{Key: "episode", Value: episode}, {Key: "stage", Value: reached}, {Key: "updated_at", Value: s.opts.Clock.Now().UTC()}}
		update := bson.D{{Key: "$set", Value: append(set, bson.E{Key: "note", Value: note})}}
		if note == nil {
			update = bson.D{{Key: "$set", Value: set}, {Key: "$unset", Value: bson.D{{Key: "note", Value: ""}}}}
		}
		_, err = s.dunning.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, update, options.UpdateOne().SetUpsert(true))
		if err != nil {
			return n, fmt.Errorf("record collection stage of %s: %w", id, err)
		}
		if _, ok := held[id]; ok {
			if err := s.dropHeld(ctx, id); err != nil {
				return n, err
			}
		}
	}
	if !r.DryRun {
		s.refreshUndeliverable(ctx)
	}
	return n, firstErr
}

func highestStage(stages []int, days int) (int, bool) {
	best, ok := 0, false
	for _, s := range stages {
		if s <= days {
			best, ok = s, true
		}
	}
	return best, ok
}

// dryRecipient says where a note would go, for a dry run: ", to ADDR",
// with the suppressed billing contact it steps over, or ", held".
func (s *Service) dryRecipient(ctx context.Context, clientID string) string {
	cl, err := s.opts.Clients.Get(ctx, clientID)
	if err != nil {
		return fmt.Sprintf(" (error: %v)", err)
	}
	if !cl.Mail.CollectionNote {
		return ", not sent: the client switched collection notes off"
	}
	billingAddr, err := s.opts.Clients.BillingAddress(ctx, clientID)
	if err != nil {
		return fmt.Sprintf(" (error: %v)", err)
	}
	to, bad, err := s.noteRecipient(ctx, billingAddr, cl.Email)
	switch {
	case err != nil:
		return fmt.Sprintf(" (error: %v)", err)
	case to == "":
		return ", held: no deliverable address (see turno billing undeliverable)"
	case len(bad) > 0:
		return fmt.Sprintf(", to %s (billing contact %s is suppressed)", to, bad[0].Address)
	default:
		return ", to " + to
	}
}

// sendNote enqueues the stage's note and returns what it sent, or nil
// when the client switched collection notes off.
func (s *Service) sendNote(ctx context.Context, clientID, episode string, stage int, invs []Invoice, n counts) (*sentNote, error) {
	cl, err := s.opts.Clients.Get(ctx, clientID)
	if err != nil {
		return nil, fmt.Errorf("read client %s: %w", clientID, err)
	}
	if !cl.Mail.CollectionNote {
		n["mail_off"]++
		return nil, nil
	}
	to, err := s.opts.Clients.BillingAddress(ctx, clientID)
	if err != nil {
		return nil, fmt.Errorf("billing address of %s: %w", clientID, err)
	}
	to, bad, err := s.noteRecipient(ctx, to, cl.Email)
	if err != nil {
		return nil, fmt.Errorf("collection note for %s: %w", clientID, err)
	}
	if len(bad) > 0 {
		if err := s.contactSuppressed(ctx, clientID, stage, to, bad, n); err != nil {
			return nil, err
		}
	}
	var cc []string
	if s.opts.Billing.CollectionCcNotify {
		for _, a := range recipients(cl.Email, cl.NotifyEmails) {
			if a != to {
				cc = append(cc, a)
			}
		}
	}
	key := fmt.Sprintf("collection:%s:%s:%d", clientID, episode, stage)
	if err := s.enqueueNote(ctx, key, cl, stage, invs, to, cc); err != nil {
		return nil, err
	}
	n["notes"]++
	return newSentNote(key, stage, to, cc, invs, cl.Email, s.opts.Clock.Now()), nil
}

// enqueueNote enqueues the collection note of stage listing invs, under key.
func (s *Service) enqueueNote(ctx context.Context, key string, cl *clients.Client, stage int, invs []Invoice, to string, cc []string) error {
	note := templates.CollectionNote{ClientName: clientName(cl), Stage: stage, PayURL: s.opts.Billing.PayURL}
	for _, inv := range invs {
		due, _ := time.ParseInLocation(time.DateOnly, inv.DueDate, s.opts.Location)
		note.Invoices = append(note.Invoices, templates.InvoiceLine{Number: inv.Number, DueDate: due, Balance: inv.Balance()})
		note.Total += inv.Balance()
	}
	_, err := s.opts.Mailer.Enqueue(ctx, mailout.Message{
		Key: key, Template: "collection_note", Lang: cl.Lang, Data: note, To: []string{to}, Cc: cc,
		Priority: mailout.PriorityBulk, AutoSubmitted: "auto-generated", ClientID: cl.ID, Kind: "collection_note",
	})
	if err != nil {
		return fmt.Errorf("enqueue collection note for %s: %w", cl.ID, err)
	}
	return nil
}

// unpaidByClientInvoices groups unpaid issued invoices by client, oldest
// due date first.
func (s *Service) unpaidByClientInvoices(ctx context.Context) (map[string][]Invoice, error) {
	cur, err := s.invoices.Find(ctx, bson.D{{Key: "status", Value: StatusUnpaid}, {Key: "number", Value: bson.D{{Key: "$gt", Value: 0}}}},
		options.Find().SetProjection(bson.D{{Key: "billing", Value: 0}, {Key: "contract", Value: 0}}))
	if err != nil {
		return nil, fmt.Errorf("find unpaid invoices: %w", err)
	}
	var invs []Invoice
	if err := cur.All(ctx, &invs); err != nil {
		return nil, fmt.Errorf("read unpaid invoices: %w", err)
	}
	out := map[string][]Invoice{}
	for _, inv := range invs {
		if inv.Balance() > 0 {
			out[inv.ClientID] = append(out[inv.ClientID], inv)
		}
	}
	for _, l := range out {
		sort.Slice(l, func(i, j int) bool {
			if l[i].DueDate != l[j].DueDate {
				return l[i].DueDate < l[j].DueDate
			}
			return l[i].Number < l[j].Number
		})
	}
	return out, nil
}

func (s *Service) dunningStates(ctx context.Context) (map[string]dunningState, error) {
	return readByID(ctx, s.dunning, "dunning states", func(st dunningState) string { return st.ID })
}

// readByID reads a whole small collection into a map by id(doc); what
// names it in errors.
func readByID[T any](ctx context.Context, coll *mongo.Collection, what string, id func(T) string) (map[string]T, error) {
	cur, err := coll.Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	var all []T
	if err := cur.All(ctx, &all); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	out := make(map[string]T, len(all))
	for _, d := range all {
		out[id(d)] = d
	}
	return out, nil
}

// Unpaid is what a client owes, for the clients export.
type Unpaid struct {
	Count   int   `json:"unpaid_count"`
	Balance int64 `json:"unpaid_balance"`
}

// UnpaidByClient returns every client's unpaid invoice count and balance
// (clients owing nothing are absent). The clients export calls it through
// its own one-method interface.
func (s *Service) UnpaidByClient(ctx context.Context) (map[string]Unpaid, error) {
	owed, err := s.unpaidByClientInvoices(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Unpaid, len(owed))
	for id, invs := range owed {
		u := Unpaid{Count: len(invs)}
		for _, inv := range invs {
			u.Balance += inv.Balance()
		}
		out[id] = u
	}
	return out, nil
}
