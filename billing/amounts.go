package billing

import "fmt"

// Amounts of one invoice in whole Chilean pesos.
type Amounts struct {
	// Net is everything before IVA, exempt part included (Exempt); the
	// taxed net is Net − Exempt.
	Net    int64 `bson:"net" json:"net"`
	Exempt int64 `bson:"exempt,omitempty" json:"exempt,omitempty"`
	Tax    int64 `bson:"tax" json:"tax"`
	Total  int64 `bson:"total" json:"total"`
}

// ComputeAmounts prices a contract: a CLP amount as is, a UF amount (in
// thousandths of a UF) at ufCents centavos per UF, rounded half up to the
// peso, in integers so no float ever decides a peso. IVA is
// round(net × percent / 100), half up, as Chilean documents round; exempt
// contracts carry no tax.
func ComputeAmounts(c Contract, ufCents int64, ivaPercent int) (Amounts, error) {
	var net int64
	switch c.Currency {
	case CLP:
		net = c.Amount
	case UF:
		if ufCents <= 0 {
			return Amounts{}, fmt.Errorf("contract %s is priced in UF and no UF value is known", c.ID)
		}
		net = roundHalfUp(c.Amount*ufCents, 1000*100)
	default:
		return Amounts{}, fmt.Errorf("contract %s: unknown currency %q", c.ID, c.Currency)
	}
	a := Amounts{Net: net}
	if !c.Exempt {
		a.Tax = roundHalfUp(net*int64(ivaPercent), 100)
	}
	a.Total = a.Net + a.Tax
	return a, nil
}

// roundHalfUp divides n by d (both positive) rounding halves up.
func roundHalfUp(n, d int64) int64 { return (2*n + d) / (2 * d) }
