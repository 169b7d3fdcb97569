package billing

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/scheduler"
)

// Line kinds on an invoice.
const (
	LinePlan   = "plan"   // the contract's own amount
	LineAddon  = "addon"  // a recurring line of the contract
	LineCharge = "charge" // a one-off charge, billed once
)

// InvoiceLine is one line of an invoice in whole pesos: quantity 1 and the
// amount (prorated when From/To are set, the days of the period it
// covers). An exempt line carries no IVA.
type InvoiceLine struct {
	Kind        string `bson:"kind" json:"kind"`
	Ref         string `bson:"ref,omitempty" json:"ref,omitempty"` // the add-on's or charge's ID
	Description string `bson:"description" json:"description"`
	Quantity    int64  `bson:"quantity" json:"quantity"`
	UnitPrice   int64  `bson:"unit_price" json:"unit_price"`
	Amount      int64  `bson:"amount" json:"amount"`
	Exempt      bool   `bson:"exempt,omitempty" json:"exempt,omitempty"`
	// From and To (YYYY-MM-DD, inclusive) are the days a prorated line
	// bills, of Days in its period.
	From string `bson:"from,omitempty" json:"from,omitempty"`
	To   string `bson:"to,omitempty" json:"to,omitempty"`
	Days int    `bson:"days,omitempty" json:"days,omitempty"`
	Of   int    `bson:"of,omitempty" json:"of,omitempty"`
}

// ContractLine is a recurring add-on of a contract, billed every period
// with the plan, in the contract's currency.
type ContractLine struct {
	ID          string `bson:"id" json:"id"`
	Description string `bson:"description" json:"description"`
	Amount      int64  `bson:"amount" json:"amount"` // pesos, or thousandths of a UF
	Exempt      bool   `bson:"exempt,omitempty" json:"exempt,omitempty"`
}

// Charge is a one-off charge queued on a contract for its next invoice, in
// whole pesos. It leaves the queue when an invoice lists it (settleCharges).
type Charge struct {
	ID          string    `bson:"id" json:"id"`
	Description string    `bson:"description" json:"description"`
	Amount      int64     `bson:"amount" json:"amount"`
	Exempt      bool      `bson:"exempt,omitempty" json:"exempt,omitempty"`
	AddedAt     time.Time `bson:"added_at" json:"added_at"`
}

// servicePeriod is the days an invoice for period bills, by a contract
// anchored on anchor: from its billing day to the day before the next
// month's (the anchor-31 rule: 30 April to 30 May, 31 May to 29 June…),
// and the previous period's first day.
func servicePeriod(anchor int, period string) (prev, from, next scheduler.Date, err error) {
	var y, m int
	if _, err = fmt.Sscanf(period, "%d-%d", &y, &m); err != nil || m < 1 || m > 12 {
		return prev, from, next, fmt.Errorf("bad period %q", period)
	}
	day := func(y, m int) scheduler.Date {
		for m < 1 {
			y, m = y-1, m+12
		}
		for m > 12 {
			y, m = y+1, m-12
		}
		return scheduler.Date{Year: y, Month: time.Month(m), Day: BillingDay(anchor, y, m)}
	}
	return day(y, m-1), day(y, m), day(y, m+1), nil
}

// recurring is one recurring line before proration: the plan or an add-on.
type recurring struct {
	kind, ref, desc string
	amount          int64 // contract currency
	exempt          bool
}

// buildLines prices contract c for period (issued on issue): the plan and
// each add-on for the period's days, and the pending one-off charges. With
// prorate, a contract ending within the period bills its days up to the
// end, and one that started after the previous period began bills the
// days before this period on a line of their own (its first invoice).
// Prorated amounts are amount × days / days of that period, rounded half
// up on the peso in one integer step (UF amounts included).
func buildLines(c Contract, period string, ufCents int64, prorate bool) ([]InvoiceLine, error) {
	if c.Currency == UF && ufCents <= 0 {
		return nil, fmt.Errorf("contract %s is priced in UF and no UF value is known", c.ID)
	}
	if c.Currency != UF && c.Currency != CLP {
		return nil, fmt.Errorf("contract %s: unknown currency %q", c.ID, c.Currency)
	}
	prev, from, next, err := servicePeriod(c.AnchorDay, period)
	if err != nil {
		return nil, err
	}
	last := next.AddDays(-1)
	// pesos is amount (contract currency) × num / den in pesos, rounded
	// half up once.
	pesos := func(amount int64, num, den int64) int64 {
		if c.Currency == UF {
			return roundHalfUp(amount*ufCents*num, 1000*100*den)
		}
		return roundHalfUp(amount*num, den)
	}
	items := []recurring{{kind: LinePlan, desc: c.Description, amount: c.Amount, exempt: c.Exempt}}
	for _, a := range c.Addons {
		items = append(items, recurring{kind: LineAddon, ref: a.ID, desc: a.Description, amount: a.Amount, exempt: a.Exempt})
	}
	label := periodLabel(period, "es")
	var out []InvoiceLine
	for _, it := range items {
		desc := it.desc
		if c.Currency == UF {
			desc += fmt.Sprintf(" (%s UF a $%s)", thousandthsUF(it.amount), strconv.FormatFloat(float64(ufCents)/100, 'f', -1, 64))
		}
		if prorate && c.Start > prev.String() && c.Start < from.String() {
			start, _ := scheduler.ParseDate(c.Start)
			days, of := start.DaysUntil(from), prev.DaysUntil(from)
			amt := pesos(it.amount, int64(days), int64(of))
			out = append(out, InvoiceLine{Kind: it.kind, Ref: it.ref, Description: desc, Quantity: 1,
				UnitPrice: amt, Amount: amt, Exempt: it.exempt, From: c.Start, To: from.AddDays(-1).String(), Days: days, Of: of})
		}
		l := InvoiceLine{Kind: it.kind, Ref: it.ref, Description: desc + ", " + label, Quantity: 1, Exempt: it.exempt}
		if prorate && c.End != "" && c.End < last.String() {
			l.Description = desc
			end, _ := scheduler.ParseDate(c.End)
			days, of := from.DaysUntil(end)+1, from.DaysUntil(next)
			l.Amount = pesos(it.amount, int64(days), int64(of))
			l.From, l.To, l.Days, l.Of = from.String(), c.End, days, of
		} else {
			l.Amount = pesos(it.amount, 1, 1)
		}
		l.UnitPrice = l.Amount
		out = append(out, l)
	}
	for _, ch := range c.Charges {
		out = append(out, InvoiceLine{Kind: LineCharge, Ref: ch.ID, Description: ch.Description, Quantity: 1,
			UnitPrice: ch.Amount, Amount: ch.Amount, Exempt: ch.Exempt})
	}
	return out, nil
}

// linesAmounts are a document's totals: the taxed net and the exempt part
// summed over its lines, IVA = round(taxed net × percent / 100) half up,
// once per document (not per line), as Chilean documents compute it.
func linesAmounts(lines []InvoiceLine, ivaPercent int) Amounts {
	var taxed, exempt int64
	for _, l := range lines {
		if l.Exempt {
			exempt += l.Amount
		} else {
			taxed += l.Amount
		}
	}
	a := Amounts{Net: taxed + exempt, Exempt: exempt, Tax: roundHalfUp(taxed*int64(ivaPercent), 100)}
	a.Total = a.Net + a.Tax
	return a
}

// AddCharge queues a one-off charge on a contract for its next invoice.
// ch.ID, when given, makes a repeat harmless (the same ID is queued once);
// else one is made. Bad input changes nothing.
func (s *Service) AddCharge(ctx context.Context, contractID string, ch Charge) (Charge, error) {
	ch.Description = strings.TrimSpace(ch.Description)
	if ch.Amount <= 0 {
		return ch, inputErr("a charge needs an amount above zero, in pesos")
	}
	if ch.Description == "" {
		return ch, inputErr("a charge needs a description: it is printed on the invoice")
	}
	c, err := s.Contract(ctx, contractID)
	if err != nil {
		return ch, err
	}
	if !c.Active {
		return ch, inputErr("contract %s is not active", contractID)
	}
	if ch.ID == "" {
		ch.ID = fmt.Sprintf("ch-%d", s.opts.Clock.Now().UnixNano())
	}
	for _, q := range c.Charges {
		if q.ID == ch.ID {
			return q, nil
		}
	}
	ch.AddedAt = s.opts.Clock.Now().UTC()
	_, err = s.contracts.UpdateOne(ctx, bson.D{{Key: "_id", Value: contractID}, {Key: "charges.id", Value: bson.D{{Key: "$ne", Value: ch.ID}}}},
		bson.D{{Key: "$push", Value: bson.D{{Key: "charges", Value: ch}}}})
	if err != nil {
		return ch, fmt.Errorf("queue charge on contract %s: %w", contractID, err)
	}
	return ch, nil
}

// AddAddon adds a recurring line to a contract, billed from its next
// invoice on. Bad input changes nothing.
func (s *Service) AddAddon(ctx context.Context, contractID string, a ContractLine) error {
	a.Description = strings.TrimSpace(a.Description)
	if a.Amount <= 0 || a.Description == "" {
		return inputErr("an add-on needs a description and an amount above zero")
	}
	c, err := s.Contract(ctx, contractID)
	if err != nil {
		return err
	}
	if a.ID == "" {
		a.ID = fmt.Sprintf("a%d", len(c.Addons)+1)
	}
	for _, x := range c.Addons {
		if x.ID == a.ID {
			return inputErr("contract %s already has an add-on %s", contractID, a.ID)
		}
	}
	_, err = s.contracts.UpdateOne(ctx, bson.D{{Key: "_id", Value: contractID}},
		bson.D{{Key: "$push", Value: bson.D{{Key: "addons", Value: a}}}})
	if err != nil {
		return fmt.Errorf("add add-on to contract %s: %w", contractID, err)
	}
	return nil
}

// settleCharges takes off contract c's queue the charges its stored
// invoice ID lists. It runs after every insert attempt, so a crash between
// the insert and this leaves them queued only until the rerun finds the
// invoice: a charge is billed on exactly one invoice. Charges queued after
// the invoice was built are not on it and stay for the next one.
func (s *Service) settleCharges(ctx context.Context, c Contract, invoiceID string) error {
	if len(c.Charges) == 0 {
		return nil
	}
	inv, err := s.invoice(ctx, invoiceID)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil // not invoiced (held, skipped, failed): the charges wait
	}
	if err != nil {
		return err
	}
	billed := map[string]bool{}
	for _, l := range inv.Lines {
		if l.Kind == LineCharge {
			billed[l.Ref] = true
		}
	}
	// $pullAll of the queued elements as read (the embedded store pulls
	// exact values only, not by a condition on a field): an element
	// queued since is another value and stays.
	var done bson.A
	for _, ch := range c.Charges {
		if billed[ch.ID] {
			done = append(done, ch)
		}
	}
	if len(done) == 0 {
		return nil
	}
	_, err = s.contracts.UpdateOne(ctx, bson.D{{Key: "_id", Value: c.ID}},
		bson.D{{Key: "$pullAll", Value: bson.D{{Key: "charges", Value: done}}}})
	if err != nil {
		return fmt.Errorf("settle charges of contract %s: %w", c.ID, err)
	}
	return nil
}
