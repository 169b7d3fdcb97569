package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/scheduler"
)

// Currencies a contract can be priced in.
const (
	CLP = "CLP" // whole pesos
	UF  = "UF"  // Unidad de Fomento, amount in thousandths (1 UF = 1000)
)

// ErrNotFound is returned when a contract, invoice or payment does not exist.
var ErrNotFound = errors.New("not found")

// Contract is a recurring service billed monthly on its anchor day.
type Contract struct {
	ID          string `bson:"_id" json:"id"`
	ClientID    string `bson:"client_id" json:"client_id"`
	Description string `bson:"description" json:"description"` // plan or description, printed on the invoice
	Currency    string `bson:"currency" json:"currency"`
	// Amount in pesos (CLP) or thousandths of a UF (UF): 2.5 UF is 2500.
	Amount      int64     `bson:"amount" json:"amount"`
	Exempt      bool      `bson:"exempt" json:"exempt"`               // no IVA
	AnchorDay   int       `bson:"anchor_day" json:"anchor_day"`       // 1–31, kept forever
	Start       string    `bson:"start" json:"start"`                 // YYYY-MM-DD, first day it may bill
	End         string    `bson:"end,omitempty" json:"end,omitempty"` // last day it may bill
	Active      bool      `bson:"active" json:"active"`
	SupportTier string    `bson:"support_tier,omitempty" json:"support_tier,omitempty"`
	CreatedAt   time.Time `bson:"created_at" json:"created_at"`
	// Addons are recurring lines billed with the plan (lines.go).
	Addons []ContractLine `bson:"addons,omitempty" json:"addons,omitempty"`
	// Charges are one-off charges queued for the next invoice.
	Charges []Charge `bson:"charges,omitempty" json:"charges,omitempty"`
}

// Validate reports what makes c unusable; nothing is stored when it fails.
func (c Contract) Validate() error {
	var errs []error
	if strings.TrimSpace(c.ID) == "" {
		errs = append(errs, errors.New("contract ID is required"))
	}
	if strings.TrimSpace(c.ClientID) == "" {
		errs = append(errs, errors.New("client ID is required"))
	}
	if strings.TrimSpace(c.Description) == "" {
		errs = append(errs, errors.New("description is required"))
	}
	if c.Currency != CLP && c.Currency != UF {
		errs = append(errs, fmt.Errorf("currency must be CLP or UF (got %q)", c.Currency))
	}
	if c.Amount <= 0 {
		errs = append(errs, errors.New("amount must be greater than zero"))
	}
	if c.AnchorDay < 1 || c.AnchorDay > 31 {
		errs = append(errs, fmt.Errorf("anchor day must be 1 to 31 (got %d)", c.AnchorDay))
	}
	start, err := scheduler.ParseDate(c.Start)
	if err != nil {
		errs = append(errs, fmt.Errorf("start: %w", err))
	}
	if c.End != "" {
		end, err := scheduler.ParseDate(c.End)
		if err != nil {
			errs = append(errs, fmt.Errorf("end: %w", err))
		} else if end.Before(start) {
			errs = append(errs, errors.New("end is before start"))
		}
	}
	return errors.Join(errs...)
}

// billsOn reports whether c issues an invoice on d.
func (c Contract) billsOn(d scheduler.Date) bool {
	ds := d.String()
	return c.Active && BillsOn(c.AnchorDay, d) && c.Start <= ds && (c.End == "" || ds <= c.End)
}

// AddContract stores a new contract (active). Adding an existing ID fails.
func (s *Service) AddContract(ctx context.Context, c Contract) error {
	c.Currency = strings.ToUpper(strings.TrimSpace(c.Currency))
	if err := c.Validate(); err != nil {
		return fmt.Errorf("add contract: %w", err)
	}
	c.Active = true
	c.CreatedAt = s.opts.Clock.Now().UTC()
	// Indexed under its client before it exists (clientindex.go): a
	// crash in between, or a duplicate ID, leaves an entry readers skip.
	if err := s.indexUnder(ctx, c.ClientID, "contracts", []string{c.ID}); err != nil {
		return fmt.Errorf("add contract %s: %w", c.ID, err)
	}
	if err := s.indexDue(ctx, c.AnchorDay, []string{c.ID}); err != nil { // dueindex.go
		return fmt.Errorf("add contract %s: %w", c.ID, err)
	}
	if _, err := s.contracts.InsertOne(ctx, c); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("add contract: contract %s already exists", c.ID)
		}
		return fmt.Errorf("add contract %s: %w", c.ID, err)
	}
	return nil
}

// Contract reads one contract.
func (s *Service) Contract(ctx context.Context, id string) (*Contract, error) {
	var c Contract
	err := s.contracts.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("contract %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read contract %s: %w", id, err)
	}
	return &c, nil
}

// Contracts lists contracts, of one client or ("") all, by ID. One
// client's are read through billing_client_index, each by _id.
func (s *Service) Contracts(ctx context.Context, clientID string) ([]Contract, error) {
	if clientID != "" {
		return s.clientContracts(ctx, clientID)
	}
	cur, err := s.contracts.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list contracts: %w", err)
	}
	var out []Contract
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read contracts: %w", err)
	}
	return out, nil
}

// EndContract sets the last day a contract may bill; from the day after it
// is inactive. Ending it again moves the end date.
func (s *Service) EndContract(ctx context.Context, id string, end scheduler.Date) error {
	c, err := s.Contract(ctx, id)
	if err != nil {
		return err
	}
	if end.String() < c.Start {
		return fmt.Errorf("end contract %s: end %s is before its start %s", id, end, c.Start)
	}
	// Listed under its anchor day, and not among the day's finished ones,
	// before and after the end moves (the cycle drops contracts long ended
	// from billing_due_index, dueindex.go, and skips the finished ones,
	// cycledone.go).
	relist := func() error {
		if err := s.indexDue(ctx, c.AnchorDay, []string{id}); err != nil {
			return fmt.Errorf("end contract %s: %w", id, err)
		}
		return s.undone(ctx, c.AnchorDay, id)
	}
	if err := relist(); err != nil {
		return err
	}
	_, err = s.contracts.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "end", Value: end.String()}}}})
	if err != nil {
		return fmt.Errorf("end contract %s: %w", id, err)
	}
	return relist()
}
