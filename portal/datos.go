package portal

import (
	"errors"
	"net/http"
	"strings"

	"turno/clients"
	"turno/web"
)

// formField is one input of a form as its template draws it: ID (also the
// input's name), the message key of its label, the value, the error beside
// it (already in the page's language) and a few input attributes.
type formField struct {
	ID, Label, Value, Error string
	Autocomplete, Type      string
	Required                bool
}

type datosView struct {
	Client   *clients.Client
	Record   []formField
	Billing  []formField
	Missing  bool // the stored billing data are incomplete
	Invalid  bool // the form was refused
	Saved    bool
	Released int  // held periods issued by this save
	Pending  bool // complete, but the release failed: the next cycle bills them
}

// Form field IDs of Mis datos, by the registry's field names.
var datosFields = []struct{ id, field, label, autocomplete string }{
	{"name", "name", "datos.name", "organization"},
	{"phone", "phone", "datos.phone", "tel"},
	{"mobile", "mobile", "datos.mobile", "tel"},
	{"address", "address", "datos.address", "street-address"},
	{"comuna", "comuna", "datos.comuna", "address-level3"},
	{"ciudad", "ciudad", "datos.ciudad", "address-level2"},
	{"region", "region", "datos.region", "address-level1"},
	{"razon_social", "billing.razon_social", "datos.razon_social", "organization"},
	{"tax_id", "billing.tax_id", "datos.tax_id", "off"},
	{"giro", "billing.giro", "datos.giro", "off"},
	{"domicilio", "billing.domicilio", "datos.domicilio", "street-address"},
	{"b_comuna", "billing.comuna", "datos.comuna", "address-level3"},
	{"b_ciudad", "billing.ciudad", "datos.ciudad", "address-level2"},
}

func dataValues(d clients.CustomerData) map[string]*string {
	return map[string]*string{
		"name": &d.Name, "phone": &d.Phone, "mobile": &d.Mobile, "address": &d.Address, "comuna": &d.Comuna,
		"ciudad": &d.Ciudad, "region": &d.Region, "razon_social": &d.Billing.RazonSocial, "tax_id": &d.Billing.TaxID,
		"giro": &d.Billing.Giro, "domicilio": &d.Billing.Domicilio, "b_comuna": &d.Billing.Comuna, "b_ciudad": &d.Billing.Ciudad,
	}
}

// problemText is a problem in the page's language.
func problemText(r *http.Request, p clients.Problem) string {
	if web.Lang(r) == "en" {
		return p.Message
	}
	return p.MessageES
}

func (p *Portal) datosView(r *http.Request, c *clients.Client, d clients.CustomerData, ps []clients.Problem) datosView {
	errs := map[string]string{}
	for _, pr := range ps {
		if _, ok := errs[pr.Field]; !ok {
			errs[pr.Field] = problemText(r, pr)
		}
	}
	vals := dataValues(d)
	v := datosView{Client: c, Missing: len(c.Billing.Check()) > 0, Invalid: len(ps) > 0}
	for i, f := range datosFields {
		ff := formField{ID: f.id, Label: f.label, Value: *vals[f.id], Error: errs[f.field], Autocomplete: f.autocomplete,
			Type: "text", Required: f.id == "name" || strings.HasPrefix(f.field, "billing.")}
		if f.id == "phone" || f.id == "mobile" {
			ff.Type = "tel"
		}
		if i < 7 {
			v.Record = append(v.Record, ff)
		} else {
			v.Billing = append(v.Billing, ff)
		}
	}
	return v
}

func (p *Portal) loadClient(w http.ResponseWriter, r *http.Request, id string) *clients.Client {
	c, err := p.clients.Get(r.Context(), id)
	var nf *clients.NotFoundError
	if errors.As(err, &nf) {
		p.Site.Error(w, r, http.StatusNotFound)
		return nil
	}
	if err != nil {
		p.internal(w, r, "read client", err)
		return nil
	}
	return c
}

// datos shows the session's client record and billing data as a form. The
// client ID comes from the session only.
func (p *Portal) datos(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	c := p.loadClient(w, r, s.SubjectID)
	if c == nil {
		return
	}
	var ps []clients.Problem
	for _, pr := range c.Billing.Check() { // say beside each field what is missing
		pr.Field = "billing." + pr.Field
		if pr.Field == "billing.tax_country" {
			pr.Field = "billing.tax_id"
		}
		ps = append(ps, pr)
	}
	v := p.datosView(r, c, clients.CustomerDataOf(c), ps)
	v.Invalid = false
	p.Site.Render(w, r, http.StatusOK, "datos", v)
}

// saveDatos saves the customer's edit through the registry (its
// validation, plus complete billing data); when the billing data become
// complete, billing issues the client's held periods at once.
func (p *Portal) saveDatos(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	ctx := r.Context()
	vals := map[string]string{}
	for _, f := range datosFields {
		vals[f.id] = r.PostForm.Get(f.id)
	}
	d := clients.CustomerData{Name: vals["name"], Phone: vals["phone"], Mobile: vals["mobile"], Address: vals["address"],
		Comuna: vals["comuna"], Ciudad: vals["ciudad"], Region: vals["region"],
		Billing: clients.BillingData{RazonSocial: vals["razon_social"], TaxID: vals["tax_id"], Giro: vals["giro"],
			Domicilio: vals["domicilio"], Comuna: vals["b_comuna"], Ciudad: vals["b_ciudad"]}}
	res, err := p.clients.UpdateCustomerData(ctx, s.SubjectID, d, "portal:"+s.SubjectID)
	var nf *clients.NotFoundError
	if errors.As(err, &nf) {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		p.internal(w, r, "save datos", err)
		return
	}
	if len(res.Problems) > 0 {
		p.Site.Render(w, r, http.StatusUnprocessableEntity, "datos", p.datosView(r, &res.Client, d, res.Problems))
		return
	}
	v := p.datosView(r, &res.Client, clients.CustomerDataOf(&res.Client), nil)
	v.Saved = true
	if res.BecameComplete && p.billing != nil {
		n, err := p.billing.ReleaseClient(ctx, s.SubjectID)
		if err != nil {
			p.log.Error("portal: release held billing", "client", s.SubjectID, "err", err)
			v.Pending = true
		}
		v.Released = n
		p.log.Info("portal: billing data completed", "client", s.SubjectID, "released", n)
	}
	p.Site.Render(w, r, http.StatusOK, "datos", v)
}
