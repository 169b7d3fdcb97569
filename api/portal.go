package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"turno/agents"
	"turno/billing"
	"turno/clients"
)

// The portal routes, /api/v1/portal/…: what the built-in customer portal
// does, for an operator who runs their own portal. A portal token
// (turno agents token create --portal CLIENT_ID) acts for one client;
// every read and write is that client's, through the same domain calls
// the portal pages make, and another client's ticket or invoice is 404.
// Portal tokens are accepted nowhere else, and agent tokens not here.

const keyPortalClient ctxKey = 100

// portalClientOf is the client the request's portal token acts for.
func portalClientOf(ctx context.Context) string {
	c, _ := ctx.Value(keyPortalClient).(string)
	return c
}

// portalAuth accepts a portal token whose client still exists.
func (s *Server) portalAuth(ctx huma.Context, next func(huma.Context)) {
	var client string
	s.authenticate(ctx, "a portal token", "invalid or revoked token: the portal routes take a portal token, not an agent's",
		func(c context.Context, tok string) (*agents.Agent, error) {
			id, err := s.opts.Agents.AuthenticatePortal(c, tok)
			client = id
			return nil, err
		},
		func(*agents.Agent) { next(huma.WithValue(ctx, keyPortalClient, client)) })
}

// portalOp is op for the portal routes: the portal bearer scheme and its
// middleware.
func (s *Server) portalOp(id, method, path, summary string, errs ...int) huma.Operation {
	o := s.op(id, method, "/portal"+path, "portal", summary, errs...)
	o.Security = []map[string][]string{{"portalToken": {}}}
	o.Middlewares = huma.Middlewares{s.portalAuth}
	return o
}

// portalClient reads the token's client; a client deleted since the token
// was made is 404.
func (s *Server) portalClient(ctx context.Context) (*clients.Client, error) {
	if s.opts.Clients == nil {
		return nil, newErr(http.StatusServiceUnavailable, CodeUnavailable, "", "no client registry")
	}
	c, err := s.opts.Clients.Get(ctx, portalClientOf(ctx))
	var nf *clients.NotFoundError
	if errors.As(err, &nf) {
		return nil, newErr(http.StatusNotFound, CodeNotFound, "", "the token's client no longer exists")
	}
	if err != nil {
		return nil, s.fail("read client", err)
	}
	return c, nil
}

// FieldProblem is what is missing or wrong in one field.
type FieldProblem struct {
	Field     string `json:"field" doc:"billing.razon_social, billing.tax_id, name, …"`
	Code      string `json:"code" enum:"missing,invalid"`
	Message   string `json:"message"`
	MessageES string `json:"message_es"`
}

// CustomerRecord is what the customer sees and edits of their record.
type CustomerRecord struct {
	Name    string              `json:"name" maxLength:"300"`
	Phone   string              `json:"phone" maxLength:"100"`
	Mobile  string              `json:"mobile" maxLength:"100"`
	Address string              `json:"address" maxLength:"300"`
	Comuna  string              `json:"comuna" maxLength:"200"`
	Ciudad  string              `json:"ciudad" maxLength:"200"`
	Region  string              `json:"region" maxLength:"200"`
	Billing clients.BillingData `json:"billing" doc:"tax_country is not the customer's to change: it is ignored"`
}

// PortalMe is the token's client as the portal's data page shows it.
type PortalMe struct {
	ID     string         `json:"id"`
	Email  string         `json:"email" doc:"The principal address (the login)"`
	Record CustomerRecord `json:"record"`
	// Missing is what keeps the billing data from being invoiced.
	Missing []FieldProblem `json:"missing" doc:"Missing or invalid billing fields; empty when invoices can be issued"`
}

func portalMe(c *clients.Client) PortalMe {
	d := clients.CustomerDataOf(c)
	v := PortalMe{ID: c.ID, Email: c.Email, Missing: []FieldProblem{}, Record: CustomerRecord{Name: d.Name, Phone: d.Phone,
		Mobile: d.Mobile, Address: d.Address, Comuna: d.Comuna, Ciudad: d.Ciudad, Region: d.Region, Billing: d.Billing}}
	for _, p := range c.Billing.Check() {
		f := "billing." + p.Field
		if f == "billing.tax_country" {
			f = "billing.tax_id"
		}
		v.Missing = append(v.Missing, FieldProblem{Field: f, Code: p.Code, Message: p.Message, MessageES: p.MessageES})
	}
	return v
}

type portalMeOutput struct{ Body PortalMe }

type portalMeUpdateInput struct{ Body CustomerRecord }

// PortalMeUpdate is the record after a save.
type PortalMeUpdate struct {
	PortalMe
	Released       int  `json:"released" doc:"Documents held for missing billing data and issued now"`
	ReleasePending bool `json:"release_pending,omitempty" doc:"true: the held documents could not be issued now; billing retries"`
}

type portalMeUpdateOutput struct{ Body PortalMeUpdate }

// InvoiceSummary is one of the client's issued documents.
type InvoiceSummary struct {
	Number      int64  `json:"number"`
	Document    string `json:"document,omitempty" doc:"nota_de_cobro or factura"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Period      string `json:"period"`
	IssueDate   string `json:"issue_date"`
	DueDate     string `json:"due_date"`
	Total       int64  `json:"total" doc:"Whole pesos"`
	Paid        int64  `json:"paid"`
	Balance     int64  `json:"balance" doc:"What is still owed on it"`
	Overdue     bool   `json:"overdue"`
	DTE         bool   `json:"dte" doc:"true: the tax document was issued"`
}

// PortalInvoices are the client's unpaid and paid documents, newest first.
type PortalInvoices struct {
	Owed   int64            `json:"owed" doc:"Total owed, whole pesos"`
	Unpaid []InvoiceSummary `json:"unpaid"`
	Paid   []InvoiceSummary `json:"paid"`
}

type portalInvoicesOutput struct{ Body PortalInvoices }

type invoiceNumberInput struct {
	Number int64 `path:"number" minimum:"1" doc:"The document number"`
}

// fileOutput is a download: a document's PDF, a customer's file.
// It is never to be rendered by a browser that reaches it (nosniff, and a
// sandbox CSP should it be opened anyway).
type fileOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	NoSniff            string `header:"X-Content-Type-Options"`
	CSP                string `header:"Content-Security-Policy"`
	Body               []byte
}

func download(ct, name string, data []byte) *fileOutput {
	return &fileOutput{ContentType: ct, ContentDisposition: mime.FormatMediaType("attachment", map[string]string{"filename": name}),
		NoSniff: "nosniff", CSP: "default-src 'none'; sandbox", Body: data}
}

func (s *Server) registerPortal() {
	op := s.portalOp("portalMe", http.MethodGet, "/me", "The client's record and billing data", http.StatusNotFound)
	op.Description = "The token's client: the record the customer edits and what is missing from the billing data."
	huma.Register(s.api, op, s.portalGetMe)

	op = s.portalOp("portalUpdateMe", http.MethodPut, "/me", "Update the client's record and billing data", http.StatusNotFound)
	op.Description = "Saves the record as the portal's data page does: a problem is 400 naming the field, and nothing is saved. " +
		"When the billing data become complete, the documents held for them are issued at once (released says how many)."
	huma.Register(s.api, op, s.portalUpdateMe)

	op = s.portalOp("portalInvoices", http.MethodGet, "/invoices", "The client's documents and what is owed")
	huma.Register(s.api, op, s.portalInvoices)

	op = s.portalOp("portalInvoicePDF", http.MethodGet, "/invoices/{number}/pdf", "A document's PDF", http.StatusNotFound)
	op.Description = "Another client's number, or one that does not exist, is 404."
	op.Responses = map[string]*huma.Response{"200": {Description: "The PDF", Content: map[string]*huma.MediaType{
		"application/pdf": {Schema: &huma.Schema{Type: "string", ContentEncoding: "binary"}}}}}
	huma.Register(s.api, op, s.portalInvoicePDF)

	s.registerPortalTickets()    // portal_tickets.go
	s.registerPortalPayReports() // portal_payreport.go
}

func (s *Server) portalGetMe(ctx context.Context, _ *struct{}) (*portalMeOutput, error) {
	c, err := s.portalClient(ctx)
	if err != nil {
		return nil, err
	}
	return &portalMeOutput{Body: portalMe(c)}, nil
}

func (s *Server) portalUpdateMe(ctx context.Context, in *portalMeUpdateInput) (*portalMeUpdateOutput, error) {
	if s.opts.Clients == nil {
		return nil, newErr(http.StatusServiceUnavailable, CodeUnavailable, "", "no client registry")
	}
	id := portalClientOf(ctx)
	b := in.Body
	d := clients.CustomerData{Name: b.Name, Phone: b.Phone, Mobile: b.Mobile, Address: b.Address, Comuna: b.Comuna,
		Ciudad: b.Ciudad, Region: b.Region, Billing: b.Billing}
	res, err := s.opts.Clients.UpdateCustomerData(ctx, id, d, "portal:"+id)
	var nf *clients.NotFoundError
	if errors.As(err, &nf) {
		return nil, newErr(http.StatusNotFound, CodeNotFound, "", "the token's client no longer exists")
	}
	if err != nil {
		return nil, s.fail("update client", err)
	}
	if len(res.Problems) > 0 {
		p := res.Problems[0]
		return nil, newErr(http.StatusBadRequest, CodeBadRequest, p.Field, "%s", p.Message)
	}
	out := PortalMeUpdate{PortalMe: portalMe(&res.Client)}
	if res.BecameComplete && s.opts.Billing != nil {
		n, err := s.opts.Billing.ReleaseClient(ctx, id)
		if err != nil {
			s.log.Error("api: portal: release held billing", "client", id, "err", err)
			out.ReleasePending = true
		}
		out.Released = n
	}
	return &portalMeUpdateOutput{Body: out}, nil
}

func (s *Server) portalInvoices(ctx context.Context, _ *struct{}) (*portalInvoicesOutput, error) {
	if s.opts.Billing == nil {
		return nil, newErr(http.StatusServiceUnavailable, CodeUnavailable, "", "billing is not configured")
	}
	invs, owed, err := s.opts.Billing.ClientInvoices(ctx, portalClientOf(ctx))
	if err != nil {
		return nil, s.fail("client invoices", err)
	}
	today := time.Now().In(santiago).Format("2006-01-02")
	v := PortalInvoices{Owed: owed, Unpaid: []InvoiceSummary{}, Paid: []InvoiceSummary{}}
	for i := len(invs) - 1; i >= 0; i-- { // newest first
		inv := invs[i]
		row := InvoiceSummary{Number: inv.Number, Document: inv.Document, Title: billing.DocumentTitle(inv.Document, "es"),
			Description: inv.Contract.Description, Period: inv.Period, IssueDate: inv.IssueDate, DueDate: inv.DueDate,
			Total: inv.Total, Paid: inv.Paid, Balance: inv.Balance(),
			DTE: inv.DTE != nil && inv.DTE.Status == billing.DTEOK}
		if row.Balance > 0 {
			row.Overdue = inv.DueDate != "" && inv.DueDate < today
			v.Unpaid = append(v.Unpaid, row)
		} else {
			v.Paid = append(v.Paid, row)
		}
	}
	return &portalInvoicesOutput{Body: v}, nil
}

func (s *Server) portalInvoicePDF(ctx context.Context, in *invoiceNumberInput) (*fileOutput, error) {
	if s.opts.Billing == nil {
		return nil, newErr(http.StatusServiceUnavailable, CodeUnavailable, "", "billing is not configured")
	}
	pdf, name, err := s.opts.Billing.ClientInvoicePDF(ctx, portalClientOf(ctx), in.Number)
	if errors.Is(err, billing.ErrNotFound) {
		return nil, newErr(http.StatusNotFound, CodeNotFound, "", "no such document")
	}
	if err != nil {
		return nil, s.fail("document pdf", err)
	}
	return download("application/pdf", name, pdf), nil
}

// nonceOr is the request's idempotency key, or a fresh one (no key: every
// call is a new request).
func nonceOr(key string) string {
	if key != "" {
		return "api:" + key
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var santiago = func() *time.Location {
	if l, err := time.LoadLocation("America/Santiago"); err == nil {
		return l
	}
	return time.UTC
}()
