package clients

import (
	"context"
	"fmt"
	"io"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// ImportOptions configure Import.
type ImportOptions struct {
	DryRun bool   // validate and count, write nothing
	By     string // who imports, for the audit trail
	// BatchSize is how many rows go in one unordered bulk write; default 1000.
	BatchSize int
	// Progress, if set, is called with rows written so far and the total to
	// write, after validation (0, total) and after each batch.
	Progress func(done, total int)
}

// ImportReport is what an import did (or, in a dry run, would do).
type ImportReport struct {
	Rows      int        `json:"rows"`
	Inserted  int        `json:"inserted"`
	Updated   int        `json:"updated"`
	Unchanged int        `json:"unchanged"`
	Bad       []RowError `json:"bad"`
}

// planned is one good row: the document to write and what it replaces.
type planned struct {
	line int
	old  *clientDoc // nil: a new client
	doc  *clientDoc
}

// Import upserts clients from a CSV in the export's format, keyed by
// client_id: columns present in the file overwrite those fields, others
// keep their values (defaults for new clients). Every row is validated
// before anything is written; bad rows are reported with their line and
// skipped, good rows are written. Rows equal to what is stored are not
// written, so importing the same file twice, or an export, changes nothing.
//
// Time is linear in the rows: one scan of clients and logins, then unordered
// bulk writes of BatchSize rows, changed clients one by one (swapClient).
// A client someone else changes after the scan (an operator's edit while
// the import runs) keeps that change: its row is reported, not written, and
// running the import again applies it on top. Moving a login from one
// client to another in the same file is refused (edit those clients one by
// one).
func (r *Registry) Import(ctx context.Context, in io.Reader, opts ImportOptions) (*ImportReport, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	_, rows, err := readCSV(in)
	if err != nil {
		return nil, err
	}
	existing, err := r.scanClients(ctx)
	if err != nil {
		return nil, err
	}
	logins, err := r.scanLogins(ctx)
	if err != nil {
		return nil, err
	}
	rep := &ImportReport{Rows: len(rows)}
	plan := r.plan(rows, existing, logins, opts.By, rep)
	if opts.Progress != nil {
		opts.Progress(0, len(plan))
	}
	if opts.DryRun {
		return rep, nil
	}
	for start := 0; start < len(plan); start += opts.BatchSize {
		batch := plan[start:min(start+opts.BatchSize, len(plan))]
		if err := r.writeBatch(ctx, batch, logins, rep); err != nil {
			return rep, err
		}
		if opts.Progress != nil {
			opts.Progress(start+len(batch), len(plan))
		}
	}
	r.log.Info("clients imported", "rows", rep.Rows, "inserted", rep.Inserted, "updated", rep.Updated,
		"unchanged", rep.Unchanged, "bad", len(rep.Bad), "by", opts.By)
	return rep, nil
}

func (r *Registry) scanClients(ctx context.Context) (map[string]*clientDoc, error) {
	cur, err := r.clients.Find(ctx, bson.D{})
	if err != nil {
		return nil, dbErr("scan clients", err)
	}
	defer cur.Close(ctx)
	out := map[string]*clientDoc{}
	for cur.Next(ctx) {
		d := new(clientDoc)
		if err := cur.Decode(d); err != nil {
			return nil, dbErr("decode client", err)
		}
		out[d.ID] = d
	}
	return out, dbErr("scan clients", cur.Err())
}

func (r *Registry) scanLogins(ctx context.Context) (map[string]loginDoc, error) {
	cur, err := r.logins.Find(ctx, bson.D{})
	if err != nil {
		return nil, dbErr("scan logins", err)
	}
	var all []loginDoc
	if err := cur.All(ctx, &all); err != nil {
		return nil, dbErr("scan logins", err)
	}
	out := make(map[string]loginDoc, len(all))
	for _, l := range all {
		out[l.Address] = l
	}
	return out, nil
}

// plan validates every row and returns the writes the good ones need.
func (r *Registry) plan(rows []csvRow, existing map[string]*clientDoc, logins map[string]loginDoc, by string, rep *ImportReport) []planned {
	idCol, _ := ColumnByName("client_id")
	idLine := map[string]int{}
	emailLine := map[string]int{}
	now := r.clock.Now().UTC()
	var out []planned
	for _, row := range rows {
		bad := func(id, reason string) {
			rep.Bad = append(rep.Bad, RowError{Line: row.line, ClientID: id, Reason: reason})
		}
		if row.values == nil {
			bad("", "wrong number of fields")
			continue
		}
		var id string
		for c, v := range row.values {
			if c.Name == idCol.Name {
				id = strings.TrimSpace(v)
			}
		}
		if l, dup := idLine[id]; dup && id != "" {
			bad(id, fmt.Sprintf("client_id appears again (first on line %d)", l))
			continue
		}
		idLine[id] = row.line
		old := existing[id]
		c := NewClient(id, "", "")
		if old != nil {
			c = old.Client
			c.NotifyEmails = append([]string(nil), old.NotifyEmails...)
		}
		var ps []FieldError
		for col, v := range row.values {
			if col.Set == nil || col.Name == "client_id" {
				continue
			}
			if err := col.Set(&c, v); err != nil {
				ps = append(ps, FieldError{Field: col.Name, Msg: err.Error()})
			}
		}
		var was *Client
		if old != nil {
			was = &old.Client
		}
		c, more := normalize(c, was)
		if ps = append(ps, more...); len(ps) > 0 {
			bad(id, (&ValidationError{Problems: ps}).Error())
			continue
		}
		if l, dup := emailLine[c.Email]; dup {
			bad(id, fmt.Sprintf("email: %s is also on line %d; a login belongs to one client", c.Email, l))
			continue
		}
		if h, ok := logins[c.Email]; ok && h.ClientID != id {
			owner := existing[h.ClientID]
			if owner != nil && owner.Email == c.Email || now.Sub(h.ClaimedAt) < r.grace {
				bad(id, (&PrincipalTakenError{Address: c.Email, ClientID: h.ClientID}).Error())
				continue
			}
		}
		emailLine[c.Email] = row.line
		d := &clientDoc{Client: c, Contacts: []Contact{}, Version: 1}
		if old != nil {
			d.Contacts, d.Version = old.Contacts, old.Version
		}
		d.refresh()
		if old == nil {
			d.CreatedAt, d.UpdatedAt = now, now
			d.LastChange = &change{Version: 1, At: now, By: by, Action: "create"}
			rep.Inserted++
		} else {
			fields := diff(old, d)
			if len(fields) == 0 {
				rep.Unchanged++
				continue
			}
			d.UpdatedAt, d.Version = now, old.Version+1
			d.LastChange = &change{Version: d.Version, At: now, By: by, Action: "import", Fields: fields}
			rep.Updated++
		}
		out = append(out, planned{line: row.line, old: old, doc: d})
	}
	return out
}
