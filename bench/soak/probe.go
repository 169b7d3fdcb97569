package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/smtp"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/billing"
	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/daemon"
	"turno/scheduler"
	"turno/store"
)

// prober measures one intake, one send and one invoice through the
// running child. Intake: a mail through its dev SMTP server into the
// support INBOX; its cost is the daemon's own processing time of that
// message (turno_mail_process_seconds: store, parse, ledger, ticket), and
// the latency from the SMTP transaction's start to turno_mail_stored_total
// moving is printed beside it. Send: an agent's reply through the API;
// its cost is the API call's time plus the outbox's delivery attempt
// (turno_outbox_attempt_seconds: claim, render, SMTP, record), the latency
// to the attempt's end beside it. Invoice: a billing cycle that issues
// one invoice, run here on the child's store (as `turno jobs run
// billing-cycle` does) against the child's outbox, which mails it.
//
// The costs come from the child's histograms because a latency found by
// polling /metrics is only as fine as the polling: every 20 ms, the
// latencies of both stores fell on two steps about 25 ms apart, and a few
// milliseconds decided which; polling faster loads the child it measures.
type prober struct {
	c     *child
	cfg   config.Config
	st    *store.Store
	bill  *billing.Service
	reg   *clients.Registry
	loc   *time.Location
	round int
	state string
}

func newProber(ctx context.Context, c *child, cfg config.Config, state string) (*prober, error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, daemon.StoreOptions(cfg, log))
	if err != nil {
		return nil, err
	}
	ob, err := daemon.NewOutbox(ctx, cfg, st.DB, log)
	if err != nil {
		return nil, err
	}
	reg := clients.New(clients.Options{DB: st.DB, Logger: log, Mailer: ob, Access: daemon.AccessOptions(cfg)})
	svc, _, err := daemon.BillingParts(daemon.Options{Config: cfg, Logger: log, Clock: clock.Real{}}, st, reg, ob)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, err
	}
	p := &prober{c: c, cfg: cfg, st: st, bill: svc, reg: reg, loc: loc, state: state}
	if _, err := reg.Get(ctx, "soak"); err != nil {
		c := clients.Client{ID: "soak", Name: "Cliente Soak", Email: "soak@cliente.cl", Active: true, BillingEnabled: true,
			Billing: clients.BillingData{RazonSocial: "Soak Ltda.", TaxID: rutGood, Giro: "Servicios informáticos",
				Domicilio: "Av. Irarrázaval 1234", Comuna: "Ñuñoa", Ciudad: "Santiago"},
			Mail: clients.MailSwitches{Invoice: true, CollectionNote: true, PaymentConfirmation: true, Ticket: true, Account: true}}
		if _, err := reg.Add(ctx, c, "bench"); err != nil {
			return nil, fmt.Errorf("add the bench client: %w", err)
		}
	}
	return p, nil
}

func (p *prober) close(ctx context.Context) { _ = p.st.Close(ctx) }

// sent is the child's count of sent deliveries.
func (p *prober) sent() (float64, error) {
	return p.c.metric("turno_outbox_sends_total", map[string]string{"result": "sent"})
}

// quiet waits until no delivery happened for 2 s (at most 30 s).
func (p *prober) quiet() error {
	last, err := p.sent()
	if err != nil {
		return err
	}
	stable := time.Now()
	for t0 := time.Now(); time.Since(t0) < 30*time.Second && time.Since(stable) < 2*time.Second; {
		time.Sleep(200 * time.Millisecond)
		v, err := p.sent()
		if err != nil {
			return err
		}
		if v != last {
			last, stable = v, time.Now()
		}
	}
	return nil
}

// intake mails the support address a new customer mail; it returns the
// daemon's processing time of it, the latency to stored, and the subject.
func (p *prober) intake(ctx context.Context) (cost, latency time.Duration, subject string, err error) {
	p.round++
	subject = fmt.Sprintf("Soak %s %d: el sitio no carga", p.state, p.round)
	msg := fmt.Sprintf("From: soak@cliente.cl\r\nTo: soporte@turno.test\r\nSubject: %s\r\n"+
		"Message-ID: <soak-%d-%d@cliente.cl>\r\nDate: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		subject, time.Now().UnixNano(), p.round, time.Now().Format(time.RFC1123Z), body)
	before, err := p.c.histogram(processSeconds)
	if err != nil {
		return 0, 0, "", err
	}
	stored, err := p.c.metric("turno_mail_stored_total", nil)
	if err != nil {
		return 0, 0, "", err
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	t0 := time.Now()
	if err := smtp.SendMail(p.c.smtpAddr, nil, "soak@cliente.cl", []string{"soporte@turno.test"}, []byte(msg)); err != nil {
		return 0, 0, "", fmt.Errorf("dev SMTP: %w", err)
	}
	// The histogram is observed before turno_mail_stored_total moves.
	if _, err := p.c.waitMetric(wctx, "turno_mail_stored_total", nil, stored); err != nil {
		return 0, 0, "", err
	}
	latency = time.Since(t0)
	after, err := p.c.histogram(processSeconds)
	if err != nil {
		return 0, 0, "", err
	}
	cost, n := after.per(before)
	if n != 1 {
		return 0, 0, "", fmt.Errorf("%d messages processed during the round's intake, want 1", n)
	}
	return cost, latency, subject, nil
}

const (
	processSeconds = "turno_mail_process_seconds"
	attemptSeconds = "turno_outbox_attempt_seconds"
)

// send answers the ticket with subject through the API; it returns the
// API call's time plus the delivery attempt's, and the latency from the
// call to the attempt's end.
func (p *prober) send(ctx context.Context, subject string) (cost, latency time.Duration, err error) {
	n, err := p.ticketNumber(subject)
	if err != nil {
		return 0, 0, err
	}
	if err := p.quiet(); err != nil { // the intake's acknowledgement, if any
		return 0, 0, err
	}
	before, err := p.c.histogram(attemptSeconds)
	if err != nil {
		return 0, 0, err
	}
	sentBefore, err := p.sent()
	if err != nil {
		return 0, 0, err
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	t0 := time.Now()
	b, _ := json.Marshal(map[string]any{"text": "Hola, ya está resuelto. " + body[:200], "status": "pending", "force": true})
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s/api/v1/tickets/%d/replies", p.c.http, n), bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+p.c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("soak-%s-%d", p.state, p.round))
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	rb, _ := io.ReadAll(r.Body)
	r.Body.Close()
	api := time.Since(t0)
	if r.StatusCode/100 != 2 {
		return 0, 0, fmt.Errorf("reply to #%d: %d %s", n, r.StatusCode, rb)
	}
	if _, err := p.c.waitMetric(wctx, attemptSeconds+"_count", nil, before.count); err != nil {
		return 0, 0, err
	}
	latency = time.Since(t0)
	after, err := p.c.histogram(attemptSeconds)
	if err != nil {
		return 0, 0, err
	}
	attempt, k := after.per(before)
	if k != 1 {
		return 0, 0, fmt.Errorf("%d delivery attempts during the round's send, want 1", k)
	}
	sent, err := p.sent()
	if err != nil {
		return 0, 0, err
	}
	if sent != sentBefore+1 {
		return 0, 0, fmt.Errorf("the reply's attempt did not send: sent %v, before %v", sent, sentBefore)
	}
	return api + attempt, latency, nil
}

// ticketNumber finds the open ticket with subject on the API's first page
// of 500 (the replies leave tickets pending, so the queue grows by a
// round's ticket each round: 50 fell short in the third store).
func (p *prober) ticketNumber(subject string) (int64, error) {
	for range 50 {
		req, _ := http.NewRequest(http.MethodGet, "http://"+p.c.http+"/api/v1/tickets?limit=500", nil)
		req.Header.Set("Authorization", "Bearer "+p.c.token)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		var page struct {
			Tickets []struct {
				Number  int64  `json:"number"`
				Subject string `json:"subject"`
			} `json:"tickets"`
		}
		err = json.NewDecoder(r.Body).Decode(&page)
		r.Body.Close()
		if err != nil {
			return 0, fmt.Errorf("ticket list: %w", err)
		}
		for _, t := range page.Tickets {
			if t.Subject == subject {
				return t.Number, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return 0, fmt.Errorf("no ticket %q in the queue", subject)
}

// invoice adds a contract due today and times the billing cycle that
// issues its invoice (numbered, PDF rendered, mail enqueued).
func (p *prober) invoice(ctx context.Context) (time.Duration, error) {
	today := scheduler.DateOf(time.Now(), p.loc)
	id := fmt.Sprintf("k-soak-%s-%d", p.state, p.round)
	first := time.Date(today.Year, today.Month, 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	if err := p.bill.AddContract(ctx, billing.Contract{ID: id, ClientID: "soak", Description: "Hosting Soak",
		Currency: billing.CLP, Amount: 38647, AnchorDay: today.Day, Start: first}); err != nil {
		return 0, err
	}
	t0 := time.Now()
	if _, err := p.bill.Cycle(ctx, scheduler.Run{Date: today}); err != nil {
		return 0, err
	}
	d := time.Since(t0)
	var inv billing.Invoice
	if err := p.st.DB.Collection(billing.InvoicesCollection).FindOne(ctx,
		bson.D{{Key: "_id", Value: id + "|" + fmt.Sprintf("%04d-%02d", today.Year, int(today.Month))}}).Decode(&inv); err != nil {
		return 0, fmt.Errorf("invoice of %s: %w", id, err)
	}
	if inv.Number == 0 || !inv.Mailed {
		return 0, fmt.Errorf("invoice of %s: number %d, mailed %v", id, inv.Number, inv.Mailed)
	}
	return d, nil
}

// queryCosts times, once, the per-run reads billing's cycle makes: the
// marker reads, and beside them the two invoice scans they replaced (each
// a scan on the embedded store), for comparison; and the due index's
// documents of today beside the contracts scan it replaced.
func (p *prober) queryCosts(ctx context.Context) string {
	inv := p.st.DB.Collection(billing.InvoicesCollection)
	today := scheduler.DateOf(time.Now(), p.loc)
	qs := []struct {
		name string
		run  func() (int, error)
	}{
		{"invoice_unnumbered markers (repairNumbering)", func() (int, error) {
			return count(ctx, p.st.DB.Collection(billing.UnnumberedCollection), bson.D{}, nil)
		}},
		{"invoice_unmailed markers (mailPending)", func() (int, error) {
			return count(ctx, p.st.DB.Collection(billing.UnmailedCollection), bson.D{}, nil)
		}},
		{"invoices{number:0} sorted (repairNumbering before markers)", func() (int, error) {
			return count(ctx, inv, bson.D{{Key: "number", Value: int64(0)}},
				options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}))
		}},
		{"invoices{mailed:false,number>0} (mailPending before markers)", func() (int, error) {
			return count(ctx, inv, bson.D{{Key: "mailed", Value: false}, {Key: "number", Value: bson.D{{Key: "$gt", Value: 0}}}}, nil)
		}},
		{"billing_due_index of today (dueContracts)", func() (int, error) {
			n := 0
			for _, a := range billing.AnchorsFor(today) {
				var d struct {
					Contracts []string `bson:"contracts"`
				}
				err := p.st.DB.Collection(billing.DueIndexCollection).FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("d%02d", a)}}).Decode(&d)
				if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
					return n, err
				}
				n += len(d.Contracts)
			}
			return n, nil
		}},
		{"contracts due today sorted (dueContracts before the due index)", func() (int, error) {
			return count(ctx, p.st.DB.Collection(billing.ContractsCollection), bson.D{
				{Key: "anchor_day", Value: bson.D{{Key: "$in", Value: billing.AnchorsFor(today)}}}, {Key: "active", Value: true}},
				options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		}},
	}
	var b strings.Builder
	for _, q := range qs {
		t0 := time.Now()
		n, err := q.run()
		if err != nil {
			fmt.Fprintf(&b, "    %s: %v\n", q.name, err)
			continue
		}
		fmt.Fprintf(&b, "    %s: %s (%d found)\n", q.name, ms(time.Since(t0)), n)
	}
	return b.String()
}

func count(ctx context.Context, coll *mongo.Collection, f bson.D, o *options.FindOptionsBuilder) (int, error) {
	if o == nil {
		o = options.Find()
	}
	cur, err := coll.Find(ctx, f, o)
	if err != nil {
		return 0, err
	}
	var all []bson.Raw
	err = cur.All(ctx, &all)
	return len(all), err
}
