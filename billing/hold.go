package billing

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/clients"
	"turno/mailout"
	"turno/scheduler"
	"turno/templates"
)

// Hold states.
const (
	HoldOpen   = "held"
	HoldBilled = "billed"
)

// Hold is a contract's period not invoiced because the client's billing
// data were incomplete. _id "<contract>|<period>", like the invoice it
// becomes once released.
type Hold struct {
	ID         string    `bson:"_id" json:"id"`
	ClientID   string    `bson:"client_id" json:"client_id"`
	ContractID string    `bson:"contract_id" json:"contract_id"`
	Period     string    `bson:"period" json:"period"`
	Date       string    `bson:"date" json:"date"` // business date it was held on
	Reasons    []string  `bson:"reasons" json:"reasons"`
	Status     string    `bson:"status" json:"status"`
	CreatedAt  time.Time `bson:"created_at" json:"created_at"`
	BilledOn   string    `bson:"billed_on,omitempty" json:"billed_on,omitempty"`
}

// hold records c's period as held with the reasons and asks the client,
// once per period, to complete the data (key billing-data:<client>:<period>).
func (s *Service) hold(ctx context.Context, c Contract, period string, d scheduler.Date, cl *clients.Client, ps []clients.Problem) error {
	reasons := make([]string, len(ps))
	missing := make([]string, len(ps))
	for i, p := range ps {
		reasons[i] = p.Message
		missing[i] = p.MessageES
		if cl.Lang == "en" {
			missing[i] = p.Message
		}
	}
	id := InvoiceID(c.ID, period)
	var prev Hold
	if err := s.holds.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&prev); err == nil && prev.Status == HoldBilled {
		return nil // billed on release; data broke again since: the next period holds
	}
	_, err := s.holds.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "reasons", Value: reasons}}},
			{Key: "$setOnInsert", Value: bson.D{{Key: "client_id", Value: c.ClientID}, {Key: "contract_id", Value: c.ID},
				{Key: "period", Value: period}, {Key: "date", Value: d.String()}, {Key: "status", Value: HoldOpen},
				{Key: "created_at", Value: s.opts.Clock.Now().UTC()}}},
		}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("hold %s: %w", id, err)
	}
	s.opts.Logger.Info("contract held: incomplete billing data", "contract", c.ID, "client", c.ClientID, "period", period, "reasons", len(reasons))
	_, err = s.opts.Mailer.Enqueue(ctx, mailout.Message{
		Key:      "billing-data:" + cl.ID + ":" + period,
		Template: "billing_data_required", Lang: cl.Lang,
		Data:          templates.BillingDataRequired{ClientName: clientName(cl), Missing: missing, UpdateURL: s.opts.DataURL},
		To:            []string{cl.Email},
		Priority:      mailout.PriorityBulk,
		AutoSubmitted: "auto-generated", ClientID: cl.ID,
	})
	if err != nil {
		return fmt.Errorf("enqueue billing_data_required for %s: %w", cl.ID, err)
	}
	return nil
}

// Holds lists open holds, of one client or ("") all.
func (s *Service) Holds(ctx context.Context, clientID string) ([]Hold, error) {
	filter := bson.D{{Key: "status", Value: HoldOpen}}
	if clientID != "" {
		filter = append(filter, bson.E{Key: "client_id", Value: clientID})
	}
	cur, err := s.holds.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list holds: %w", err)
	}
	var out []Hold
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read holds: %w", err)
	}
	return out, nil
}

// Release bills clientID's held periods now, if its billing data are
// complete (`turno billing release CLIENT`). Each held period becomes its
// invoice once (same _id), whoever releases it and however often.
func (s *Service) Release(ctx context.Context, clientID string) (map[string]int, error) {
	if err := s.wired(); err != nil {
		return nil, err
	}
	n := counts{}
	cl, err := s.opts.Clients.Get(ctx, clientID)
	if err != nil {
		return n, fmt.Errorf("read client %s: %w", clientID, err)
	}
	if ps := cl.Billing.Check(); len(ps) > 0 {
		return n, fmt.Errorf("client %s still has incomplete billing data: %s", clientID, ps[0].Message)
	}
	if _, err := s.repairNumbering(ctx); err != nil {
		return n, err
	}
	today := scheduler.DateOf(s.opts.Clock.Now(), s.opts.Location)
	if err := s.retryHolds(ctx, today, clientID, n); err != nil {
		return n, err
	}
	return n, s.mailPending(ctx, n)
}

// retryHolds invoices, on business date d, every open hold (of clientID, or
// all) whose client is now complete; then marks the hold billed.
func (s *Service) retryHolds(ctx context.Context, d scheduler.Date, clientID string, n counts) error {
	holds, err := s.Holds(ctx, clientID)
	if err != nil {
		return err
	}
	cache := map[string]*clients.Client{}
	for _, h := range holds {
		cl, err := s.client(ctx, h.ClientID, cache)
		if err != nil {
			return err
		}
		if !cl.Active || !cl.BillingEnabled || len(cl.Billing.Check()) > 0 {
			continue
		}
		c, err := s.Contract(ctx, h.ContractID)
		if err != nil {
			return err
		}
		inv, err := s.newInvoice(ctx, *c, cl, h.Period, d)
		if err != nil {
			return err
		}
		k, err := s.insertInvoices(ctx, []*Invoice{inv})
		if err != nil {
			return err
		}
		if err := s.settleCharges(ctx, *c, inv.ID); err != nil {
			return err
		}
		n["released"] += k
		if _, err := s.assignNumbers(ctx, []string{inv.ID}); err != nil {
			return err
		}
		if err := s.clearMarkers(ctx, s.unnumbered(), []string{inv.ID}); err != nil {
			return err
		}
		if err := s.mailInvoices(ctx, []string{inv.ID}, n); err != nil {
			return err
		}
		if _, err := s.holds.UpdateOne(ctx, bson.D{{Key: "_id", Value: h.ID}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: HoldBilled}, {Key: "billed_on", Value: d.String()}}}}); err != nil {
			return fmt.Errorf("close hold %s: %w", h.ID, err)
		}
	}
	return nil
}

func clientName(cl *clients.Client) string {
	if cl.Billing.RazonSocial != "" {
		return cl.Billing.RazonSocial
	}
	return cl.Name
}
