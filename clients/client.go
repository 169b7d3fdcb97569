package clients

import "time"

// This file is the contract other packages build against (tickets asks who
// a sender is, billing reads clients and their billing data, mailout honours
// opt-outs). The registry that stores and edits these lives beside it.

// Role is a contact's role at a client.
type Role string

// Contact roles, highest rank first: ticket ownership goes to the client
// whose contact role ranks highest, then the oldest client.
const (
	RolePrincipal Role = "principal" // the client's login; unique across clients
	RoleBilling   Role = "billing"   // accounting contact: receives collection notes
	RoleTechnical Role = "technical" // may open tickets
)

// Client is one client record (ficha de cliente): one per legal entity.
type Client struct {
	ID         string `bson:"_id" json:"id"` // custom client ID, unique, used by imports
	Name       string `bson:"name" json:"name"`
	PersonType string `bson:"person_type" json:"person_type"` // "other", "natural", "legal"
	FirstName  string `bson:"first_name,omitempty" json:"first_name,omitempty"`
	SecondName string `bson:"second_name,omitempty" json:"second_name,omitempty"`
	Surname    string `bson:"surname,omitempty" json:"surname,omitempty"`
	Surname2   string `bson:"second_surname,omitempty" json:"second_surname,omitempty"`
	Email      string `bson:"email" json:"email"` // principal address (the login), normalised
	Phone      string `bson:"phone,omitempty" json:"phone,omitempty"`
	Mobile     string `bson:"mobile,omitempty" json:"mobile,omitempty"`
	Address    string `bson:"address,omitempty" json:"address,omitempty"`
	Comuna     string `bson:"comuna,omitempty" json:"comuna,omitempty"` // neighbourhood
	Ciudad     string `bson:"ciudad,omitempty" json:"ciudad,omitempty"`
	Region     string `bson:"region,omitempty" json:"region,omitempty"`
	IDDocument string `bson:"id_document,omitempty" json:"id_document,omitempty"`
	Notes      string `bson:"notes,omitempty" json:"notes,omitempty"`
	Seller     string `bson:"seller,omitempty" json:"seller,omitempty"`
	Collector  string `bson:"collector,omitempty" json:"collector,omitempty"`
	Zone       string `bson:"zone,omitempty" json:"zone,omitempty"`
	Active     bool   `bson:"active" json:"active"`

	BillingEnabled bool        `bson:"billing_enabled" json:"billing_enabled"`
	InvoiceType    string      `bson:"invoice_type,omitempty" json:"invoice_type,omitempty"`
	TaxCondition   string      `bson:"tax_condition,omitempty" json:"tax_condition,omitempty"`
	Billing        BillingData `bson:"billing" json:"billing"`
	// SupportTier feeds ticket priority ("", "standard", "premium", …).
	SupportTier string `bson:"support_tier,omitempty" json:"support_tier,omitempty"`
	// Lang of the mail the client receives: "es" (default) or "en".
	Lang string `bson:"lang,omitempty" json:"lang,omitempty"`
	// NotifyEmails receive invoices besides the principal address.
	NotifyEmails []string     `bson:"notify_emails,omitempty" json:"notify_emails,omitempty"`
	Mail         MailSwitches `bson:"mail" json:"mail"`

	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
}

// MailSwitches turn each kind of email on (true) or off for a client. New
// clients have all on.
type MailSwitches struct {
	Invoice             bool `bson:"invoice" json:"invoice"`
	CollectionNote      bool `bson:"collection_note" json:"collection_note"`
	PaymentConfirmation bool `bson:"payment_confirmation" json:"payment_confirmation"`
	Ticket              bool `bson:"ticket" json:"ticket"`
	Account             bool `bson:"account" json:"account"`
}

// Contact is an address with a role at a client.
type Contact struct {
	ClientID string    `bson:"client_id" json:"client_id"`
	Address  string    `bson:"address" json:"address"` // normalised: trimmed, lower case
	Name     string    `bson:"name,omitempty" json:"name,omitempty"`
	Role     Role      `bson:"role" json:"role"`
	AddedAt  time.Time `bson:"added_at" json:"added_at"`
}

// Membership is what an address lookup returns: one per client the address
// is a contact of, ordered by role rank, then client age (oldest first), so
// the first is the ticket owner.
type Membership struct {
	ClientID        string    `json:"client_id"`
	Role            Role      `json:"role"`
	ClientActive    bool      `json:"client_active"`
	SupportTier     string    `json:"support_tier"`
	ClientCreatedAt time.Time `json:"client_created_at"`
	// Lang is the language of the client's mail ("es" or "en").
	Lang string `json:"lang"`
}
