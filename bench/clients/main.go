// Command clients benchmarks the clients registry on the embedded store:
// CSV import of 5,000 and 50,000 rows (1% bad) and 1,000 and 10,000 address
// lookups, each against a baseline measured in the same run (a raw
// insertMany of the same client documents; a raw FindOne by _id).
//
//	go run ./bench/clients
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/clients"
	"turno/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/clients:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "bench-clients-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, store.Options{DataDir: dir, Logger: quiet})
	if err != nil {
		return err
	}
	defer st.Close(ctx)

	imports := map[int]time.Duration{}
	raws := map[int]time.Duration{}
	regs := map[int]*clients.Registry{}
	for _, n := range []int{5000, 50000} {
		db := st.Client.Database(fmt.Sprintf("bench_%d", n))
		if err := store.EnsureIndexes(ctx, db, clients.Indexes()); err != nil {
			return err
		}
		data, good := generate(n)
		raw, err := rawInsert(ctx, db.Collection("raw_clients"), data)
		if err != nil {
			return err
		}
		reg := clients.New(clients.Options{DB: db, Logger: quiet})
		start := time.Now()
		rep, err := reg.Import(ctx, bytes.NewReader(data), clients.ImportOptions{By: "bench", Progress: progress(start)})
		if err != nil {
			return err
		}
		took := time.Since(start)
		if rep.Inserted != good || len(rep.Bad) != n-good {
			return fmt.Errorf("import of %d: %d inserted, %d bad; want %d and %d", n, rep.Inserted, len(rep.Bad), good, n-good)
		}
		start = time.Now()
		again, err := reg.Import(ctx, bytes.NewReader(data), clients.ImportOptions{By: "bench"})
		if err != nil {
			return err
		}
		second := time.Since(start)
		if again.Inserted+again.Updated != 0 {
			return fmt.Errorf("second import of %d changed %d clients", n, again.Inserted+again.Updated)
		}
		imports[n], raws[n] = took, raw
		fmt.Printf("import %6d rows (%d bad): %8s  %6.0f rows/s | raw insertMany %8s | ratio %.2f | second run (no change) %s\n",
			n, len(rep.Bad), took.Round(time.Millisecond), float64(n)/took.Seconds(), raw.Round(time.Millisecond),
			took.Seconds()/raw.Seconds(), second.Round(time.Millisecond))
		var exp bytes.Buffer
		start = time.Now()
		if _, err := reg.Export(ctx, &exp, clients.Filter{}, clients.ExportOptions{BOM: true, Semicolon: true}); err != nil {
			return err
		}
		round, err := reg.Import(ctx, bytes.NewReader(exp.Bytes()), clients.ImportOptions{By: "bench"})
		if err != nil {
			return err
		}
		if round.Unchanged != good || round.Inserted+round.Updated+len(round.Bad) != 0 {
			return fmt.Errorf("export of %d and re-import: %+v", n, round)
		}
		fmt.Printf("export %6d clients and re-import: %s, %d unchanged\n", good, time.Since(start).Round(time.Millisecond), round.Unchanged)
		regs[n] = reg
	}
	fmt.Printf("growth 5,000 -> 50,000 rows (linear = 10.0): import %.1f, raw insertMany %.1f\n",
		imports[50000].Seconds()/imports[5000].Seconds(), raws[50000].Seconds()/raws[5000].Seconds())

	// Lookups. On the embedded store a FindOne by _id is a full table scan
	// in SQLite (FerretDB v1.24 indexes _id as sjson->"_id" but queries
	// sjson->'$._id'), so its cost grows with the collection: the counts
	// below run on the 5,000-client database, and a short run on both sizes
	// shows the growth per lookup.
	lookups := map[int]time.Duration{}
	for _, n := range []int{1000, 10000} {
		took, raw, err := lookupRun(ctx, regs[5000], st.Client.Database("bench_5000").Collection("clients"), 5000, n)
		if err != nil {
			return err
		}
		lookups[n] = took
		fmt.Printf("lookup %6d addresses (5,000 clients):  %8s  %6.0f/s | raw FindOne by _id %8s | ratio %.2f\n",
			n, took.Round(time.Millisecond), float64(n)/took.Seconds(), raw.Round(time.Millisecond), took.Seconds()/raw.Seconds())
	}
	fmt.Printf("growth 1,000 -> 10,000 lookups (linear = 10.0): %.1f\n", lookups[10000].Seconds()/lookups[1000].Seconds())
	per := map[int]time.Duration{}
	for _, size := range []int{5000, 50000} {
		took, raw, err := lookupRun(ctx, regs[size], st.Client.Database(fmt.Sprintf("bench_%d", size)).Collection("clients"), size, 100)
		if err != nil {
			return err
		}
		per[size] = took / 100
		fmt.Printf("lookup    100 addresses (%6d clients): %8s per lookup | raw FindOne by _id %8s each | ratio %.2f\n",
			size, per[size].Round(time.Microsecond), (raw / 100).Round(time.Microsecond), took.Seconds()/raw.Seconds())
	}
	fmt.Printf("growth of one lookup, 5,000 -> 50,000 clients (constant = 1.0): %.1f\n", per[50000].Seconds()/per[5000].Seconds())
	return nil
}

// lookupRun looks up n random stored addresses in a registry of size
// clients, then reads n random client documents by _id directly.
func lookupRun(ctx context.Context, reg *clients.Registry, coll *mongo.Collection, size, n int) (time.Duration, time.Duration, error) {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	pick := func() int {
		i := rng.IntN(size)
		if i%100 == 37 {
			i++ // a bad row: not stored
		}
		return i
	}
	start := time.Now()
	for range n {
		i := pick()
		ms, err := reg.Lookup(ctx, fmt.Sprintf("Cliente%d@Example.cl", i))
		if err != nil {
			return 0, 0, err
		}
		if len(ms) != 1 || ms[0].ClientID != fmt.Sprintf("CL%06d", i) {
			return 0, 0, fmt.Errorf("lookup of client %d: %+v", i, ms)
		}
	}
	took := time.Since(start)
	start = time.Now()
	for range n {
		var d bson.Raw
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("CL%06d", pick())}}).Decode(&d); err != nil {
			return 0, 0, err
		}
	}
	return took, time.Since(start), nil
}

// progress prints to stderr every 10,000 rows, to see the rate hold.
func progress(start time.Time) func(done, total int) {
	return func(done, total int) {
		if done%10000 == 0 || done == total {
			fmt.Fprintf(os.Stderr, "  %d/%d rows written after %s\n", done, total, time.Since(start).Round(time.Millisecond))
		}
	}
}

// generate writes n rows; every 100th (i%100 == 37) has an invalid RUT.
func generate(n int) ([]byte, int) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"client_id", "name", "email", "phone", "zone", "tax_id", "razon_social", "giro", "domicilio", "billing_comuna", "billing_ciudad", "billing_enabled"})
	good := 0
	for i := range n {
		rut := []string{"76.086.428-5", "12531909-2"}[i%2]
		if i%100 == 37 {
			rut = "76086428-4"
		} else {
			good++
		}
		id := fmt.Sprintf("CL%06d", i)
		_ = w.Write([]string{id, fmt.Sprintf("Cliente %d", i), fmt.Sprintf("Cliente%d@Example.cl", i), "+56 2 2345 6789",
			"Centro", rut, fmt.Sprintf("Cliente %d SpA", i), "Hosting", "Calle " + id, "Santiago", "Santiago", "true"})
	}
	w.Flush()
	return buf.Bytes(), good
}

// rawInsert parses the same CSV into the same client documents and inserts
// them with insertMany in batches of 1,000: no validation, no login or
// address writes, no audit.
func rawInsert(ctx context.Context, coll *mongo.Collection, data []byte) (time.Duration, error) {
	start := time.Now()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return 0, err
	}
	var batch []any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := coll.InsertMany(ctx, batch, options.InsertMany().SetOrdered(false))
		batch = batch[:0]
		return err
	}
	now := time.Now().UTC()
	for _, r := range recs[1:] {
		c := clients.NewClient(r[0], r[1], r[2])
		c.Phone, c.Zone, c.BillingEnabled = r[3], r[4], true
		c.Billing = clients.BillingData{TaxCountry: "CL", TaxID: r[5], RazonSocial: r[6], Giro: r[7], Domicilio: r[8], Comuna: r[9], Ciudad: r[10]}
		c.CreatedAt, c.UpdatedAt = now, now
		batch = append(batch, c)
		if len(batch) == 1000 {
			if err := flush(); err != nil {
				return 0, err
			}
		}
	}
	if err := flush(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
