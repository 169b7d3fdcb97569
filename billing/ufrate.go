package billing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/scheduler"
)

// UFRatesCollection holds the peso value of the UF per date:
// {_id: "YYYY-MM-DD", cents, source, set_at}. The UF changes every day, so
// a UF contract is priced at the value of its invoice's issue date; the
// configured billing.uf_rate is only the fallback for dates with none.
const UFRatesCollection = "uf_rates"

// UFRate is the UF's value on one date, in centavos (39.876,54 → 3987654).
type UFRate struct {
	Date   string    `bson:"_id" json:"date"`
	Cents  int64     `bson:"cents" json:"cents"`
	Source string    `bson:"source" json:"source"`
	SetAt  time.Time `bson:"set_at" json:"set_at"`
}

// Value is the rate in pesos, for display.
func (r UFRate) Value() float64 { return float64(r.Cents) / 100 }

// ParseUFValue reads a UF value in pesos with at most two decimals, written
// either way Chileans do: "39876.54", "39876,54" or "39.876,54".
func ParseUFValue(s string) (int64, error) {
	raw := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "$"))
	v := raw
	if strings.Contains(v, ",") {
		// Chilean style: dots group thousands, the comma is decimal.
		v = strings.ReplaceAll(v, ".", "")
		v = strings.Replace(v, ",", ".", 1)
	}
	whole, frac, _ := strings.Cut(v, ".")
	if whole == "" || len(frac) > 2 || strings.Trim(whole+frac, "0123456789") != "" {
		return 0, fmt.Errorf("UF value %q: want pesos with at most two decimals, such as 39876.54 or 39.876,54", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	cents, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || cents <= 0 || cents > 1e12 {
		return 0, fmt.Errorf("UF value %q is out of range", s)
	}
	return cents, nil
}

// SetUFRate records the UF's value on d; setting it again replaces it.
// Invoices already issued keep the rate they were issued with.
func (s *Service) SetUFRate(ctx context.Context, d scheduler.Date, cents int64, source string) error {
	if cents <= 0 {
		return fmt.Errorf("UF value for %s must be positive", d)
	}
	_, err := s.ufRates.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.String()}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "cents", Value: cents}, {Key: "source", Value: source}, {Key: "set_at", Value: s.opts.Clock.Now().UTC()}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("record UF value for %s: %w", d, err)
	}
	return nil
}

// UFRates lists the recorded values from..to inclusive, oldest first.
func (s *Service) UFRates(ctx context.Context, from, to scheduler.Date) ([]UFRate, error) {
	cur, err := s.ufRates.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: from.String()}, {Key: "$lte", Value: to.String()}}}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list UF values: %w", err)
	}
	out := []UFRate{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read UF values: %w", err)
	}
	return out, nil
}

// ufCentsOn is the UF value used to price an invoice issued on d: the
// recorded value of that date, else the configured billing.uf_rate, else 0
// (UF contracts are then not invoiced and the run reports why).
func (s *Service) ufCentsOn(ctx context.Context, d scheduler.Date) (int64, error) {
	var r UFRate
	err := s.ufRates.FindOne(ctx, bson.D{{Key: "_id", Value: d.String()}}).Decode(&r)
	switch {
	case err == nil:
		return r.Cents, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return int64(math.Round(s.opts.Billing.UFRate * 100)), nil
	default:
		return 0, fmt.Errorf("read UF value for %s: %w", d, err)
	}
}

// amountsOn prices c for an invoice issued on d; the UF value (centavos) is
// returned for the invoice's record, 0 for peso contracts.
func (s *Service) amountsOn(ctx context.Context, c Contract, d scheduler.Date) (Amounts, int64, error) {
	var cents int64
	if c.Currency == UF {
		var err error
		if cents, err = s.ufCentsOn(ctx, d); err != nil {
			return Amounts{}, 0, err
		}
		if cents <= 0 {
			return Amounts{}, 0, fmt.Errorf("contract %s is priced in UF and there is no UF value for %s: set it with `turno billing uf set %s VALUE` (or configure billing.uf_rate)", c.ID, d, d)
		}
	}
	_, a, err := s.linesFor(c, PeriodOf(d), cents)
	return a, cents, err
}

// linesFor are the lines and amounts of c's invoice for period.
func (s *Service) linesFor(c Contract, period string, ufCents int64) ([]InvoiceLine, Amounts, error) {
	lines, err := buildLines(c, period, ufCents, s.opts.Billing.Prorate)
	if err != nil {
		return nil, Amounts{}, err
	}
	return lines, linesAmounts(lines, s.opts.Billing.IVAPercent), nil
}
