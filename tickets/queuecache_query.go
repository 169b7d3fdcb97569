package tickets

import (
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// queueSpec is a checked QueueFilter for one actor: the store query
// (query) and the queue index's predicate (matcher) are both built from
// it, so they cannot disagree on what a filter means.
type queueSpec struct {
	limit   int
	none    bool // nothing can match: departments the actor does not see
	history bool // "closed" or "all": the tickets collection, not the queue
	status  string
	label   string
	after   string // the sort key the page starts after ("": the start)
	// dept is the one department asked for; else depts (the actor's)
	// unless allDepts (an admin).
	dept       string
	depts      []string
	allDepts   bool
	assignee   string // "" any
	unassigned bool
	requester  string
	overdue    bool
	now        time.Time // overdue at, to the millisecond (as stored)
	text       string
}

// queueSpec checks f for actor a.
func (s *Service) queueSpec(a Actor, f QueueFilter) (queueSpec, error) {
	q := queueSpec{limit: f.Limit}
	switch {
	case q.limit == 0:
		q.limit = defaultPage
	case q.limit < 0 || q.limit > maxPage:
		return q, badInput("limit", "must be between 1 and %d", maxPage)
	}
	switch {
	case f.Status == "":
	case f.Status == "all":
		q.history = true
	case f.Status == StatusClosed:
		q.history, q.status = true, StatusClosed
	case slices.Contains(Statuses, f.Status):
		q.status = f.Status
	default:
		return q, badInput("status", "unknown status %q (one of %s, or all)", f.Status, strings.Join(Statuses, ", "))
	}
	switch f.Label {
	case "":
	case LabelHigh, LabelMedium, LabelLow:
		q.label = f.Label
	default:
		return q, badInput("label", "unknown priority %q (high, medium or low)", f.Label)
	}
	if f.Cursor != "" {
		k, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || len(k) == 0 {
			return q, badInput("cursor", "not a cursor this queue returned")
		}
		q.after = string(k)
	}
	switch dept := strings.TrimSpace(f.Department); {
	case dept != "":
		if !a.Sees(dept) {
			q.none = true
			return q, nil
		}
		q.dept = dept
	case a.Admin:
		q.allDepts = true
	default:
		if len(a.Departments) == 0 {
			q.none = true
			return q, nil
		}
		q.depts = a.Departments
	}
	switch as := strings.ToLower(strings.TrimSpace(f.Assignee)); as {
	case "":
	case "none":
		q.unassigned = true
	default:
		q.assignee = as
	}
	q.requester = strings.ToLower(strings.TrimSpace(f.Requester))
	if f.Overdue {
		if s.opts.SLA == nil {
			return q, badInput("overdue", "no service-level targets are configured ([sla] enabled = false)")
		}
		q.overdue, q.now = true, s.clk.Now().UTC().Truncate(time.Millisecond)
	}
	q.text = strings.TrimSpace(f.Text)
	return q, nil
}

// query is q as a store filter.
func (q queueSpec) query() bson.D {
	d := bson.D{}
	if q.status != "" {
		d = append(d, bson.E{Key: "status", Value: q.status})
	}
	if q.label != "" {
		d = append(d, bson.E{Key: "priority_label", Value: q.label})
	}
	if q.after != "" {
		d = append(d, bson.E{Key: "sort_key", Value: bson.D{{Key: "$gt", Value: q.after}}})
	}
	switch {
	case q.dept != "":
		d = append(d, bson.E{Key: "department", Value: q.dept})
	case !q.allDepts:
		d = append(d, bson.E{Key: "department", Value: bson.D{{Key: "$in", Value: q.depts}}})
	}
	switch {
	case q.unassigned:
		d = append(d, bson.E{Key: "assignee", Value: bson.D{{Key: "$exists", Value: false}}})
	case q.assignee != "":
		d = append(d, bson.E{Key: "assignee", Value: q.assignee})
	}
	if q.requester != "" {
		d = append(d, bson.E{Key: "requester.address", Value: q.requester})
	}
	if q.overdue {
		d = append(d, overdueQuery(q.now)) // sla.go
	}
	if q.text != "" {
		d = append(d, bson.E{Key: "subject", Value: bson.D{
			{Key: "$regex", Value: regexp.QuoteMeta(q.text)}, {Key: "$options", Value: "i"}}})
	}
	return d
}

// matcher is q as a predicate on the queue index's rows (the cursor is
// applied by the caller, on the sorted rows). Empty fields are absent in
// the store (omitempty), so "$exists: false" is the zero value here.
func (q queueSpec) matcher() func(t *Ticket) bool {
	var text *regexp.Regexp
	if q.text != "" {
		text = regexp.MustCompile("(?i)" + regexp.QuoteMeta(q.text))
	}
	return func(t *Ticket) bool {
		switch {
		case q.status != "" && t.Status != q.status,
			q.label != "" && t.Label != q.label,
			q.dept != "" && t.Department != q.dept,
			q.dept == "" && !q.allDepts && !slices.Contains(q.depts, t.Department),
			q.unassigned && t.Assignee != "",
			q.assignee != "" && t.Assignee != q.assignee,
			q.requester != "" && t.Requester.Address != q.requester,
			q.overdue && len(overdueTargets(t, q.now)) == 0,
			text != nil && !text.MatchString(t.Subject):
			return false
		}
		return true
	}
}
