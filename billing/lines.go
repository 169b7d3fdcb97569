package billing

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
