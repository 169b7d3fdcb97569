package clients

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// FieldChange is one field's old and new value, as text.
type FieldChange struct {
	Field string `bson:"field" json:"field"`
	Old   string `bson:"old" json:"old"`
	New   string `bson:"new" json:"new"`
}

// change is one write to a client: stored in the client document itself
// (last_change, in the same atomic update as the edit) and copied to the
// audit collection right after. If the process dies between the two, the
// next write to that client copies it first; the copy is idempotent because
// audit entries are keyed by client, version and field.
type change struct {
	Version int64         `bson:"version"`
	At      time.Time     `bson:"at"`
	By      string        `bson:"by"`
	Action  string        `bson:"action"`
	Fields  []FieldChange `bson:"fields"`
}

// AuditEntry is one changed field of one write (who, when, field, old, new).
// A creation is one entry with Action "create" and no Field.
type AuditEntry struct {
	ID       string    `bson:"_id" json:"-"`
	ClientID string    `bson:"client_id" json:"client_id"`
	Version  int64     `bson:"version" json:"version"`
	At       time.Time `bson:"at" json:"at"`
	By       string    `bson:"by" json:"by"`
	Action   string    `bson:"action" json:"action"`
	Field    string    `bson:"field,omitempty" json:"field,omitempty"`
	Old      string    `bson:"old,omitempty" json:"old,omitempty"`
	New      string    `bson:"new,omitempty" json:"new,omitempty"`
}

func (ch *change) entries(clientID string) []any {
	mk := func(f FieldChange) AuditEntry {
		return AuditEntry{
			ID:       fmt.Sprintf("%s/%d/%s", clientID, ch.Version, f.Field),
			ClientID: clientID, Version: ch.Version, At: ch.At, By: ch.By, Action: ch.Action,
			Field: f.Field, Old: f.Old, New: f.New,
		}
	}
	if len(ch.Fields) == 0 {
		return []any{mk(FieldChange{})}
	}
	out := make([]any, len(ch.Fields))
	for i, f := range ch.Fields {
		out[i] = mk(f)
	}
	return out
}

// flushAudit copies a change to the audit collection; copying it twice
// changes nothing.
func (r *Registry) flushAudit(ctx context.Context, clientID string, ch *change) error {
	if ch == nil {
		return nil
	}
	_, err := r.audit.InsertMany(ctx, ch.entries(clientID), options.InsertMany().SetOrdered(false))
	if err != nil && !onlyDuplicates(err) {
		return dbErr("write audit of "+clientID, err)
	}
	return nil
}

// onlyDuplicates reports whether every error in a bulk write is E11000.
func onlyDuplicates(err error) bool {
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) {
		if bwe.WriteConcernError != nil {
			return false
		}
		for _, we := range bwe.WriteErrors {
			if we.Code != 11000 {
				return false
			}
		}
		return true
	}
	return mongo.IsDuplicateKeyError(err)
}

// Audit returns a client's audit trail, oldest first.
func (r *Registry) Audit(ctx context.Context, clientID string) ([]AuditEntry, error) {
	cur, err := r.audit.Find(ctx, bson.D{{Key: "client_id", Value: clientID}})
	if err != nil {
		return nil, dbErr("read audit of "+clientID, err)
	}
	var out []AuditEntry
	if err := cur.All(ctx, &out); err != nil {
		return nil, dbErr("read audit of "+clientID, err)
	}
	slices.SortFunc(out, func(a, b AuditEntry) int {
		if a.Version != b.Version {
			return int(a.Version - b.Version)
		}
		return strings.Compare(a.Field, b.Field)
	})
	return out, nil
}

// diff lists the fields that differ between two client documents, by their
// JSON names (billing fields as "billing.razon_social"), in name order.
func diff(a, b *clientDoc) []FieldChange {
	fa, fb := flatten(a), flatten(b)
	var out []FieldChange
	for k, va := range fa {
		if vb := fb[k]; va != vb {
			out = append(out, FieldChange{Field: k, Old: va, New: vb})
		}
	}
	for k, vb := range fb {
		if _, ok := fa[k]; !ok && vb != "" {
			out = append(out, FieldChange{Field: k, New: vb})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func flatten(d *clientDoc) map[string]string {
	c := d.Client
	c.CreatedAt, c.UpdatedAt = time.Time{}, time.Time{}
	raw, _ := json.Marshal(c) // a struct of strings, bools and slices: cannot fail
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(prefix+k+".", x)
			}
		case []any:
			parts := make([]string, len(v))
			for i, x := range v {
				parts[i] = fmt.Sprint(x)
			}
			out[strings.TrimSuffix(prefix, ".")] = strings.Join(parts, ", ")
		case nil:
			out[strings.TrimSuffix(prefix, ".")] = ""
		default:
			out[strings.TrimSuffix(prefix, ".")] = fmt.Sprint(v)
		}
	}
	walk("", m)
	delete(out, "created_at")
	delete(out, "updated_at")
	var cs []string
	for _, ct := range d.Contacts {
		cs = append(cs, string(ct.Role)+":"+ct.Address)
	}
	out["contacts"] = strings.Join(cs, ", ")
	return out
}
