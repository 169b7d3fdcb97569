package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/billing"
	"turno/clients"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/tickets"
)

// sizes is the history to seed.
type sizes struct {
	Outbox, Tickets, Messages, Clients, Invoices int
}

func (s sizes) scaled(f float64) sizes {
	r := func(n int) int { return max(1, int(float64(n)*f+0.5)) }
	return sizes{r(s.Outbox), r(s.Tickets), r(s.Messages), r(s.Clients), r(s.Invoices)}
}

var (
	body    = strings.Repeat("Hola, el sitio no carga desde la mañana y el correo rebota. ", 12) // ~700 B
	depts   = []string{"soporte", "ventas", "pagos", "tecnico"}
	agent   = "ana@proveedor.cl"
	year    = 365 * 24 * time.Hour
	rutGood = "76.123.456-0"
)

// batchInserter inserts documents in InsertMany batches of 99 (a bulk of
// 100 or more statements deadlocks the embedded store).
type batchInserter struct {
	coll *mongo.Collection
	docs []any
	n    int
}

func (b *batchInserter) add(ctx context.Context, d any) error {
	b.docs = append(b.docs, d)
	if len(b.docs) == 99 {
		return b.flush(ctx)
	}
	return nil
}

func (b *batchInserter) flush(ctx context.Context) error {
	if len(b.docs) == 0 {
		return nil
	}
	if _, err := b.coll.InsertMany(ctx, b.docs); err != nil {
		return fmt.Errorf("insert into %s: %w", b.coll.Name(), err)
	}
	b.n += len(b.docs)
	b.docs = b.docs[:0]
	return nil
}

// seed writes a year of history ending at now: clients through the
// registry (their documents and address index are the registry's own),
// everything else as documents of each package's types in bulk.
func seed(ctx context.Context, db *mongo.Database, reg *clients.Registry, sz sizes, now time.Time) error {
	t0 := time.Now()
	if err := seedClients(ctx, reg, sz.Clients); err != nil {
		return err
	}
	fmt.Printf("  seeded %d clients in %s\n", sz.Clients, since(t0))
	steps := []struct {
		name string
		fn   func() (int, error)
	}{
		{"contracts and invoices", func() (int, error) { return seedBilling(ctx, db, sz, now) }},
		{"tickets and messages", func() (int, error) { return seedTickets(ctx, db, sz, now) }},
		{"outbox entries and claim tokens", func() (int, error) { return seedOutbox(ctx, db, sz, now) }},
	}
	for _, s := range steps {
		t := time.Now()
		n, err := s.fn()
		if err != nil {
			return err
		}
		fmt.Printf("  seeded %d documents of %s in %s\n", n, s.name, since(t))
	}
	return nil
}

func clientID(i int) string { return fmt.Sprintf("h%06d", i) }

func seedClients(ctx context.Context, reg *clients.Registry, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				c := clients.Client{ID: clientID(i), Name: "Cliente " + clientID(i), Email: clientID(i) + "@historia.cl",
					Active: true, BillingEnabled: true,
					Billing: clients.BillingData{RazonSocial: "Comercial " + clientID(i) + " Ltda.", TaxID: rutGood,
						Giro: "Servicios informáticos", Domicilio: "Av. Irarrázaval 1234", Comuna: "Ñuñoa", Ciudad: "Santiago"},
					Mail: clients.MailSwitches{Invoice: true, CollectionNote: true, PaymentConfirmation: true, Ticket: true, Account: true}}
				if _, err := reg.Add(ctx, c, "bench"); err != nil {
					errs <- fmt.Errorf("add client %s: %w", c.ID, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// seedBilling: one contract per client, ended two months ago (so nothing
// in it is due now), and invoices spread over the past year, all paid.
func seedBilling(ctx context.Context, db *mongo.Database, sz sizes, now time.Time) (int, error) {
	cb := &batchInserter{coll: db.Collection(billing.ContractsCollection)}
	ib := &batchInserter{coll: db.Collection(billing.InvoicesCollection)}
	end := now.AddDate(0, -2, 0).Format(time.DateOnly)
	start := now.Add(-year - 30*24*time.Hour).Format(time.DateOnly)
	contracts := make([]billing.Contract, sz.Clients)
	for i := range sz.Clients {
		contracts[i] = billing.Contract{ID: "k-" + clientID(i), ClientID: clientID(i), Description: "Hosting Pyme", Currency: billing.CLP,
			Amount: 38647, AnchorDay: 1 + i%28, Start: start, End: end, Active: true, CreatedAt: now.Add(-year)}
		if err := cb.add(ctx, contracts[i]); err != nil {
			return 0, err
		}
	}
	if err := cb.flush(ctx); err != nil {
		return 0, err
	}
	// Invoice j: contract j mod clients, period counting back by month.
	for j := range sz.Invoices {
		k := contracts[j%sz.Clients]
		back := 1 + j/sz.Clients
		day := now.AddDate(0, -back, 0)
		period := day.Format("2006-01")
		issue := time.Date(day.Year(), day.Month(), k.AnchorDay, 0, 0, 0, 0, time.UTC)
		inv := billing.Invoice{ID: k.ID + "|" + period, Number: int64(1_000_000 + j), Status: billing.StatusPaid,
			ClientID: k.ClientID, ContractID: k.ID, Period: period, IssueDate: issue.Format(time.DateOnly),
			DueDate: issue.AddDate(0, 0, 10).Format(time.DateOnly), Document: "nota_de_cobro",
			Billing: clients.BillingData{RazonSocial: "Comercial " + k.ClientID + " Ltda.", TaxID: rutGood,
				Giro: "Servicios informáticos", Domicilio: "Av. Irarrázaval 1234", Comuna: "Ñuñoa", Ciudad: "Santiago"},
			Contract: k, Lang: "es", Amounts: billing.Amounts{Net: 38647, Tax: 7343, Total: 45990}, Paid: 45990,
			Payments: []string{"ref:" + strconv.Itoa(j)}, Mailed: true, CreatedAt: issue}
		if err := ib.add(ctx, inv); err != nil {
			return 0, err
		}
	}
	if err := ib.flush(ctx); err != nil {
		return 0, err
	}
	return cb.n + ib.n, nil
}

// seedTickets: closed tickets numbered 1..Tickets over the past year,
// Messages messages spread over them (the opening one first).
func seedTickets(ctx context.Context, db *mongo.Database, sz sizes, now time.Time) (int, error) {
	tb := &batchInserter{coll: db.Collection(tickets.CollTickets)}
	mb := &batchInserter{coll: db.Collection(tickets.CollMessages)}
	per := max(1, sz.Messages/sz.Tickets)
	made := 0
	for i := range sz.Tickets {
		n := int64(i + 1)
		at := now.Add(-year + time.Duration(i)*(year/time.Duration(sz.Tickets)))
		from := tickets.Address{Address: clientID(i%sz.Clients) + "@historia.cl"}
		origin := fmt.Sprintf("t%d@history.bench", n)
		t := tickets.Ticket{ID: strconv.FormatInt(n, 10), Number: n, Subject: fmt.Sprintf("Consulta antigua %d", n),
			Requester: from, Department: depts[i%len(depts)], Channel: "email", Mailbox: depts[i%len(depts)],
			Status: tickets.StatusClosed, Priority: 30, Label: tickets.LabelLow,
			SortKey: fmt.Sprintf("%05d|%019d|%019d", 9999-30, at.UnixNano(), n), Origin: origin,
			FirstArrival: at, CreatedAt: at, SolvedAt: at.Add(2 * time.Hour), ClosedAt: at.Add(98 * time.Hour),
			Assignee: agent, Score: 30, ClientID: clientID(i % sz.Clients),
			LastPublic: &tickets.LastPublic{Key: "r" + origin, At: at.Add(time.Hour), Agent: agent},
			Events: []tickets.Event{
				{At: at, By: "customer", Type: "created"},
				{At: at.Add(time.Hour), By: agent, Type: "reply"},
				{At: at.Add(2 * time.Hour), By: agent, Type: "status", From: "open", To: tickets.StatusSolved},
				{At: at.Add(98 * time.Hour), By: "system", Type: "status", From: tickets.StatusSolved, To: tickets.StatusClosed},
			},
			Version: 3, UpdatedAt: at.Add(98 * time.Hour)}
		if err := tb.add(ctx, t); err != nil {
			return 0, err
		}
		k := per
		if i == sz.Tickets-1 {
			k = max(1, sz.Messages-made)
		}
		for m := range k {
			key, thread := origin, "new"
			if m > 0 {
				key, thread = fmt.Sprintf("%s.%d", origin, m), "in-reply-to"
			}
			msg := tickets.Message{Key: key, Ticket: n, Disposition: tickets.DispTicket, MessageID: key, From: from,
				Subject: t.Subject, Kind: string(parse.KindNormal), Text: body, Mailbox: t.Mailbox, RawRef: "bench",
				ArrivedAt: at.Add(time.Duration(m) * time.Hour), StoredAt: at.Add(time.Duration(m) * time.Hour),
				Thread: thread, Opened: m == 0, Registered: true, ClientID: t.ClientID, Lang: "es"}
			if err := mb.add(ctx, msg); err != nil {
				return 0, err
			}
			made++
		}
	}
	if err := tb.flush(ctx); err != nil {
		return 0, err
	}
	if err := mb.flush(ctx); err != nil {
		return 0, err
	}
	return tb.n + mb.n, nil
}

// seedOutbox: sent entries over the past year (invoice, collection-note
// and ticket mail), each with its claim and end tokens.
func seedOutbox(ctx context.Context, db *mongo.Database, sz sizes, now time.Time) (int, error) {
	eb := &batchInserter{coll: db.Collection(mailout.OutboxCollection)}
	cb := &batchInserter{coll: db.Collection(mailout.ClaimsCollection)}
	templates := []string{"invoice_issued", "collection_note", "ticket_reply", "ticket_ack"}
	for i := range sz.Outbox {
		at := now.Add(-year + time.Duration(i)*(year/time.Duration(sz.Outbox)))
		to := clientID(i%sz.Clients) + "@historia.cl"
		id := fmt.Sprintf("h%08d", i)
		e := mailout.Entry{ID: id, Key: fmt.Sprintf("history:%d:%s", i, to), State: mailout.StateSent, Priority: 5,
			Template: templates[i%len(templates)], Lang: "es",
			Data: `{"client":"` + clientID(i%sz.Clients) + `","total":"$45.990","due":"` + at.Format(time.DateOnly) + `"}`,
			To:   []string{to}, ClientID: clientID(i % sz.Clients), Kind: "invoice",
			MessageID:  fmt.Sprintf("<%s.%d@turno.example>", id, at.Unix()),
			Recipients: []mailout.Recipient{{Address: to, State: mailout.RcptSent, Reply: "250"}},
			CreatedAt:  at, UpdatedAt: at.Add(2 * time.Second), Attempts: 1, NextAttemptAt: at, Relay: "relay:587",
			SentAt: at.Add(2 * time.Second)}
		if err := eb.add(ctx, e); err != nil {
			return 0, err
		}
		for _, tok := range []bson.D{
			{{Key: "_id", Value: id + "#1"}, {Key: "owner", Value: "turno-1"}, {Key: "at", Value: at}},
			{{Key: "_id", Value: id + "#1.end"}, {Key: "owner", Value: "turno-1"}, {Key: "at", Value: at}, {Key: "why", Value: "record"}},
		} {
			if err := cb.add(ctx, tok); err != nil {
				return 0, err
			}
		}
	}
	if err := eb.flush(ctx); err != nil {
		return 0, err
	}
	if err := cb.flush(ctx); err != nil {
		return 0, err
	}
	return eb.n + cb.n, nil
}

func since(t time.Time) string { return time.Since(t).Round(100 * time.Millisecond).String() }
