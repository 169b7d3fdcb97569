package tickets_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/mailin/parse"
	"turno/tickets"
)

// judge is a BounceJudge that answers a fixed verdict and records calls.
type judge struct {
	verdict tickets.BounceVerdict
	reports []tickets.BounceReport
	purged  []string
}

func (j *judge) RecordBounce(context.Context, string, []parse.BounceRecipient) (bool, error) {
	panic("RecordBounce called on a BounceJudge")
}

func (j *judge) JudgeBounce(_ context.Context, r tickets.BounceReport) (tickets.BounceVerdict, error) {
	j.reports = append(j.reports, r)
	return j.verdict, nil
}

func (j *judge) PurgeRaw(_ context.Context, ref string) error {
	j.purged = append(j.purged, ref)
	return nil
}

// TestBounceJudgedAndSensitiveRawPurged: with a judging outbox, the report
// goes to JudgeBounce with what the bounce was addressed to; a refusal is
// kept unmatched with its reason; a report naming a sensitive entry has
// its raw copy purged, and so has a later copy of it from another mailbox.
func TestBounceJudgedAndSensitiveRawPurged(t *testing.T) {
	j := &judge{verdict: tickets.BounceVerdict{Reason: "not_recipient", Entry: "password:u-7", Sensitive: true}}
	e := newEnv(t, func(o *tickets.Options) { o.Bounces = j })
	raw := e.file("bounce_dsn.eml")
	r := e.ingest(raw)
	want(t, "outcome", r.Outcome, tickets.OutcomeBounce)
	want(t, "matched", r.BounceMatched, false)
	want(t, "reports", len(j.reports), 1)
	want(t, "addressed", fmt.Sprint(j.reports[0].Addressed), "[cobranza@turno.example]")
	want(t, "raw ref", j.reports[0].RawRef, "raw-soporte")
	want(t, "purged", fmt.Sprint(j.purged), "[raw-soporte]")
	var rec tickets.BounceRecord
	if err := e.db.Collection(tickets.CollBounces).FindOne(context.Background(), bson.D{{Key: "_id", Value: r.Key}}).Decode(&rec); err != nil {
		t.Fatal(err)
	}
	want(t, "record", fmt.Sprint(rec.Matched, " ", rec.Reason, " ", rec.Entry, " ", rec.Sensitive), "false not_recipient password:u-7 true")
	un, err := e.svc.UnmatchedBounces(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	want(t, "unmatched", len(un), 1)

	// The same report fetched from another mailbox: a duplicate, judged
	// once, but its raw copy purged too.
	r = e.ingestIn(e.incoming(raw, "pagos"))
	want(t, "duplicate", r.Outcome, tickets.OutcomeDuplicate)
	want(t, "reports", len(j.reports), 1)
	want(t, "purged", fmt.Sprint(j.purged), "[raw-soporte raw-pagos]")

	// A matched, ordinary report purges nothing.
	j.verdict = tickets.BounceVerdict{Matched: true, Entry: "ack:1"}
	r = e.ingest([]byte(replaceID(string(raw))))
	want(t, "matched", r.BounceMatched, true)
	want(t, "purged", len(j.purged), 2)
}
