package clients

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Assignment is one field=value of a bulk edit (field as in Columns).
type Assignment struct{ Field, Value string }

// ParseAssignment splits "field=value".
func ParseAssignment(s string) (Assignment, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return Assignment{}, fmt.Errorf("%q: want field=value", s)
	}
	return Assignment{Field: strings.TrimSpace(k), Value: v}, nil
}

// Apply sets every assignment on c.
func Apply(c *Client, sets []Assignment) error {
	for _, a := range sets {
		if err := SetField(c, a.Field, a.Value); err != nil {
			return err
		}
	}
	return nil
}

// BulkResult says which clients a bulk edit matched and changed (or would
// change, in a dry run), and which it could not change and why.
type BulkResult struct {
	Matched int               `json:"matched"`
	Changed []string          `json:"changed"`
	Failed  map[string]string `json:"failed,omitempty"`
}

// BulkEdit applies the same assignments to every client f selects, each
// through the audited edit path (action "bulk_edit"). The assignments are
// checked on a blank client first, so a misspelt field changes nothing.
func (r *Registry) BulkEdit(ctx context.Context, f Filter, sets []Assignment, by string, dryRun bool) (*BulkResult, error) {
	if len(sets) == 0 {
		return nil, errors.New("bulk edit: nothing to set")
	}
	probe := NewClient("x", "x", "x@example.invalid")
	if err := Apply(&probe, sets); err != nil {
		return nil, err
	}
	cs, err := r.List(ctx, f)
	if err != nil {
		return nil, err
	}
	res := &BulkResult{Matched: len(cs), Changed: []string{}}
	for _, c := range cs {
		old := &clientDoc{Client: c}
		next := c
		if err := Apply(&next, sets); err != nil {
			return nil, err
		}
		n, ps := normalize(next, &c)
		if len(ps) > 0 {
			if res.Failed == nil {
				res.Failed = map[string]string{}
			}
			res.Failed[c.ID] = (&ValidationError{Problems: ps}).Error()
			continue
		}
		if len(diff(old, &clientDoc{Client: n})) == 0 {
			continue
		}
		if !dryRun {
			if _, err := r.mutate(ctx, c.ID, by, "bulk_edit", func(d *clientDoc) error { return Apply(&d.Client, sets) }); err != nil {
				if res.Failed == nil {
					res.Failed = map[string]string{}
				}
				res.Failed[c.ID] = err.Error()
				continue
			}
		}
		res.Changed = append(res.Changed, c.ID)
	}
	return res, nil
}

// ParseFilter reads "key=value" terms into a Filter. Keys: active,
// billing_complete (true/false), zone, seller, collector, tier,
// tax_condition, search.
func ParseFilter(terms []string) (Filter, error) {
	var f Filter
	for _, t := range terms {
		a, err := ParseAssignment(t)
		if err != nil {
			return f, fmt.Errorf("filter %w", err)
		}
		v := strings.TrimSpace(a.Value)
		switch strings.ToLower(a.Field) {
		case "active", "billing_complete":
			b, err := ParseBool(v)
			if err != nil {
				return f, fmt.Errorf("filter %s: %w", a.Field, err)
			}
			if a.Field == "active" {
				f.Active = &b
			} else {
				f.BillingComplete = &b
			}
		case "zone":
			f.Zone = v
		case "seller":
			f.Seller = v
		case "collector":
			f.Collector = v
		case "tier":
			f.Tier = v
		case "tax_condition":
			f.TaxCondition = v
		case "search", "text":
			f.Text = v
		default:
			return f, fmt.Errorf("filter: unknown key %q (active, billing_complete, zone, seller, collector, tier, tax_condition, search)", a.Field)
		}
	}
	return f, nil
}
