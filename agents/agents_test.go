package agents_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/agents"
	"turno/clock"
	"turno/config"
	"turno/internal/testenv"
	"turno/tickets"
)

var t0 = time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)

func newService(t *testing.T, depts ...string) (*agents.Service, *mongo.Database, *clock.Fake) {
	t.Helper()
	db := testenv.DB(t)
	clk := clock.NewFake(t0)
	s, err := agents.New(agents.Options{DB: db, Departments: depts, Clock: clk, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return s, db, clk
}

// dump is every document of the package's collections, to compare before
// and after a refused change.
func dump(t *testing.T, db *mongo.Database) map[string][]bson.Raw {
	t.Helper()
	out := map[string][]bson.Raw{}
	for _, c := range []string{agents.CollAgents, agents.CollAddresses, agents.CollTokens} {
		cur, err := db.Collection(c).Find(context.Background(), bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		var docs []bson.Raw
		if err := cur.All(context.Background(), &docs); err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(docs, func(a, b bson.Raw) int { return strings.Compare(a.Lookup("_id").String(), b.Lookup("_id").String()) })
		out[c] = docs
	}
	return out
}

func claims(t *testing.T, db *mongo.Database) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range dump(t, db)[agents.CollAddresses] {
		out[d.Lookup("_id").StringValue()] = d.Lookup("agent").StringValue()
	}
	return out
}

// TestAddAndGetByAnyAddress: an agent is found by its primary or an
// alternate address in any case; every address is claimed for it; Actor
// carries what tickets needs.
func TestAddAndGetByAnyAddress(t *testing.T) {
	ctx := context.Background()
	s, db, _ := newService(t, "soporte", "pagos")
	a, err := s.Add(ctx, agents.Agent{Email: "Ana.Rojas@Example.COM", Name: " Ana Rojas ", Departments: []string{"Pagos", "soporte", "pagos"},
		Addresses: []string{"ana@personal.cl", "ANA@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Email != "ana.rojas@example.com" || a.Name != "Ana Rojas" || a.Role != agents.RoleAgent || a.Lang != "es" || !a.Active ||
		!reflect.DeepEqual(a.Departments, []string{"pagos", "soporte"}) || !reflect.DeepEqual(a.Addresses, []string{"ana@example.com", "ana@personal.cl"}) {
		t.Fatalf("added %+v", a)
	}
	for _, addr := range []string{"ANA.ROJAS@example.com", "ana@personal.cl", " Ana@Example.com "} {
		g, err := s.Get(ctx, addr)
		if err != nil || g.Email != a.Email {
			t.Fatalf("Get(%q) = %+v, %v", addr, g, err)
		}
	}
	if _, err := s.Get(ctx, "nadie@example.com"); !errors.Is(err, agents.ErrNotFound) {
		t.Fatalf("Get of an unknown address: %v", err)
	}
	want := map[string]string{"ana.rojas@example.com": a.Email, "ana@example.com": a.Email, "ana@personal.cl": a.Email}
	if got := claims(t, db); !reflect.DeepEqual(got, want) {
		t.Fatalf("claims %v", got)
	}
	act, err := s.Actor(ctx, "ana@personal.cl")
	if err != nil || act.Email != a.Email || act.Admin || !act.Sees("pagos") || act.Sees("ventas") {
		t.Fatalf("Actor = %+v, %v", act, err)
	}
	var _ tickets.Agents = s
	ls, err := s.List(ctx)
	if err != nil || len(ls) != 1 || ls[0].Email != a.Email {
		t.Fatalf("List = %v, %v", ls, err)
	}
}

// TestDuplicateAddressesAcrossAgents: no address belongs to two agents,
// whether primary or alternate; a refused Add leaves no claim behind.
func TestDuplicateAddressesAcrossAgents(t *testing.T) {
	ctx := context.Background()
	s, db, _ := newService(t)
	if _, err := s.Add(ctx, agents.Agent{Email: "ana@x.cl", Name: "Ana", Addresses: []string{"soporte1@x.cl"}}); err != nil {
		t.Fatal(err)
	}
	before := dump(t, db)
	for _, b := range []agents.Agent{
		{Email: "ANA@x.cl", Name: "Otra Ana"},                                          // same primary
		{Email: "soporte1@x.cl", Name: "Beto"},                                         // primary = another's alternate
		{Email: "beto@x.cl", Name: "Beto", Addresses: []string{"zz@x.cl", "ana@x.cl"}}, // alternate = another's primary, after a free one
		{Email: "beto@x.cl", Name: "Beto", Addresses: []string{"Soporte1@x.cl"}},       // alternate = another's alternate
	} {
		if _, err := s.Add(ctx, b); !errors.Is(err, agents.ErrExists) {
			t.Fatalf("Add(%v) = %v, want ErrExists", b, err)
		}
		if after := dump(t, db); !reflect.DeepEqual(after, before) {
			t.Fatalf("refused Add(%v) changed the store:\n%v\n%v", b, before, after)
		}
	}
	// The claims a refused Add made were released: the addresses are free.
	if _, err := s.Add(ctx, agents.Agent{Email: "beto@x.cl", Name: "Beto", Addresses: []string{"zz@x.cl"}}); err != nil {
		t.Fatal(err)
	}
}

// TestUpdateAddresses: --address replaces the alternates: new ones are
// claimed, removed ones released for others; one owned by another agent is
// refused with nothing changed.
func TestUpdateAddresses(t *testing.T) {
	ctx := context.Background()
	s, db, _ := newService(t)
	if _, err := s.Add(ctx, agents.Agent{Email: "ana@x.cl", Name: "Ana", Addresses: []string{"old@x.cl"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, agents.Agent{Email: "beto@x.cl", Name: "Beto"}); err != nil {
		t.Fatal(err)
	}
	addrs := []string{"new@x.cl", "New2@x.cl"}
	a, err := s.Update(ctx, "ana@x.cl", agents.Edit{Addresses: &addrs})
	if err != nil || !reflect.DeepEqual(a.Addresses, []string{"new2@x.cl", "new@x.cl"}) {
		t.Fatalf("Update = %+v, %v", a, err)
	}
	want := map[string]string{"ana@x.cl": "ana@x.cl", "new@x.cl": "ana@x.cl", "new2@x.cl": "ana@x.cl", "beto@x.cl": "beto@x.cl"}
	if got := claims(t, db); !reflect.DeepEqual(got, want) {
		t.Fatalf("claims %v", got)
	}
	if _, err := s.Get(ctx, "old@x.cl"); !errors.Is(err, agents.ErrNotFound) {
		t.Fatalf("removed alternate still finds: %v", err)
	}
	old := []string{"old@x.cl"}
	if _, err := s.Update(ctx, "beto@x.cl", agents.Edit{Addresses: &old}); err != nil {
		t.Fatalf("a released address could not be taken: %v", err)
	}
	before := dump(t, db)
	taken := []string{"fresh@x.cl", "old@x.cl"}
	name := "Ana María"
	if _, err := s.Update(ctx, "ana@x.cl", agents.Edit{Name: &name, Addresses: &taken}); !errors.Is(err, agents.ErrExists) {
		t.Fatalf("taking another's address: %v", err)
	}
	if after := dump(t, db); !reflect.DeepEqual(after, before) {
		t.Fatalf("refused Update changed the store")
	}
}

// TestBadInputChangesNothing: each bad agent is an InputError naming the
// field, on Add and on Update, and the store is as it was.
func TestBadInputChangesNothing(t *testing.T) {
	ctx := context.Background()
	s, db, _ := newService(t, "soporte", "pagos")
	if _, err := s.Add(ctx, agents.Agent{Email: "ana@x.cl", Name: "Ana", Departments: []string{"soporte"}}); err != nil {
		t.Fatal(err)
	}
	ok := agents.Agent{Email: "beto@x.cl", Name: "Beto", Departments: []string{"pagos"}}
	with := func(f func(*agents.Agent)) agents.Agent { a := ok; f(&a); return a }
	cases := []struct {
		field string
		a     agents.Agent
	}{
		{"email", with(func(a *agents.Agent) { a.Email = "" })},
		{"email", with(func(a *agents.Agent) { a.Email = "beto" })},
		{"email", with(func(a *agents.Agent) { a.Email = "Beto <beto@x.cl>" })},
		{"email", with(func(a *agents.Agent) { a.Email = "<beto@x.cl>" })},
		{"name", with(func(a *agents.Agent) { a.Name = "  " })},
		{"name", with(func(a *agents.Agent) { a.Name = "Beto\r\nBcc: x@y" })},
		{"role", with(func(a *agents.Agent) { a.Role = "boss" })},
		{"lang", with(func(a *agents.Agent) { a.Lang = "fr" })},
		{"lang", with(func(a *agents.Agent) { a.Lang = "ES" })},
		{"departments", with(func(a *agents.Agent) { a.Departments = []string{"ventas"} })},
		{"departments", with(func(a *agents.Agent) { a.Departments = []string{"pa gos"} })},
		{"addresses", with(func(a *agents.Agent) { a.Addresses = []string{"not an address"} })},
		{"addresses", with(func(a *agents.Agent) { a.Addresses = []string{"beto@x.cl"} })},
		{"signature", with(func(a *agents.Agent) { a.Signature = "x\x00y" })},
	}
	before := dump(t, db)
	for _, c := range cases {
		_, err := s.Add(ctx, c.a)
		var ie *agents.InputError
		if !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("Add(%+v) = %v, want an InputError on %s", c.a, err, c.field)
		}
		// The same value as an edit of the other agent (the primary
		// address is not edited).
		var e agents.Edit
		switch c.field {
		case "email":
			continue
		case "name":
			e.Name = &c.a.Name
		case "role":
			e.Role = &c.a.Role
		case "lang":
			e.Lang = &c.a.Lang
		case "departments":
			e.Departments = &c.a.Departments
		case "addresses":
			alts := slices.Clone(c.a.Addresses)
			if alts[0] == "beto@x.cl" {
				alts[0] = "ANA@x.cl"
			}
			e.Addresses = &alts
		case "signature":
			e.Signature = &c.a.Signature
		}
		if _, err := s.Update(ctx, "ana@x.cl", e); !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("Update(%+v) = %v, want an InputError on %s", c.a, err, c.field)
		}
	}
	if after := dump(t, db); !reflect.DeepEqual(after, before) {
		t.Fatalf("bad input changed the store:\n%v\n%v", before, after)
	}
	empty := ""
	for _, e := range []agents.Edit{{Role: &empty}, {Lang: &empty}, {Name: &empty}} {
		if _, err := s.Update(ctx, "ana@x.cl", e); !errors.As(err, new(*agents.InputError)) {
			t.Errorf("Update to an empty value: %v", err)
		}
	}
	if after := dump(t, db); !reflect.DeepEqual(after, before) {
		t.Fatalf("bad edits changed the store")
	}
	if _, err := s.Update(ctx, "nadie@x.cl", agents.Edit{}); !errors.Is(err, agents.ErrNotFound) {
		t.Fatalf("Update of an unknown agent: %v", err)
	}
}

// TestStaleClaimIsTakenOver: a claim left by an Add that stopped before
// writing its agent holds the address for a minute, then yields.
func TestStaleClaimIsTakenOver(t *testing.T) {
	ctx := context.Background()
	s, db, clk := newService(t)
	if _, err := db.Collection(agents.CollAddresses).InsertOne(ctx, bson.D{{Key: "_id", Value: "ana@x.cl"},
		{Key: "agent", Value: "ghost@x.cl"}, {Key: "nonce", Value: "n1"}, {Key: "created_at", Value: t0}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "ana@x.cl"); !errors.Is(err, agents.ErrNotFound) {
		t.Fatalf("Get through a claim no agent lists: %v", err)
	}
	clk.Advance(30 * time.Second)
	if _, err := s.Add(ctx, agents.Agent{Email: "ana@x.cl", Name: "Ana"}); !errors.Is(err, agents.ErrExists) {
		t.Fatalf("Add over a fresh claim: %v", err)
	}
	clk.Advance(time.Minute)
	if _, err := s.Add(ctx, agents.Agent{Email: "ana@x.cl", Name: "Ana"}); err != nil {
		t.Fatalf("Add over a stale claim: %v", err)
	}
	if got := claims(t, db); got["ana@x.cl"] != "ana@x.cl" {
		t.Fatalf("claims %v", got)
	}
}

// TestDeactivationRefusesTokens: once deactivated, an agent's tokens are
// refused at once, Actor reports ErrNoAgent, and no token can be made.
func TestDeactivationRefusesTokens(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	if _, err := s.Add(ctx, agents.Agent{Email: "ana@x.cl", Name: "Ana", Addresses: []string{"a2@x.cl"}}); err != nil {
		t.Fatal(err)
	}
	tok, tk, err := s.CreateToken(ctx, "A2@x.cl", "laptop")
	if err != nil || tk.Agent != "ana@x.cl" || tk.Scope != agents.ScopeAgent || tk.Label != "laptop" || tk.ID != agents.TokenID(tok) {
		t.Fatalf("CreateToken = %q %+v %v", tok, tk, err)
	}
	if a, err := s.Authenticate(ctx, tok); err != nil || a.Email != "ana@x.cl" {
		t.Fatalf("Authenticate = %+v, %v", a, err)
	}
	if err := s.Deactivate(ctx, "a2@x.cl"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok); !errors.Is(err, agents.ErrBadToken) {
		t.Fatalf("token of a deactivated agent: %v", err)
	}
	if _, err := s.Actor(ctx, "ana@x.cl"); !errors.Is(err, tickets.ErrNoAgent) {
		t.Fatalf("Actor of a deactivated agent: %v", err)
	}
	if _, err := s.Actor(ctx, "nadie@x.cl"); !errors.Is(err, tickets.ErrNoAgent) {
		t.Fatalf("Actor of an unknown address: %v", err)
	}
	if _, _, err := s.CreateToken(ctx, "ana@x.cl", ""); err == nil {
		t.Fatal("a token was made for a deactivated agent")
	}
	if err := s.Deactivate(ctx, "nadie@x.cl"); !errors.Is(err, agents.ErrNotFound) {
		t.Fatalf("Deactivate of an unknown agent: %v", err)
	}
}

// TestRevokeByIDAndPrefix: a revoked token is refused, others keep
// working; a prefix must be at least 8 hex characters and unique.
func TestRevokeByIDAndPrefix(t *testing.T) {
	ctx := context.Background()
	s, db, _ := newService(t)
	if _, err := s.Add(ctx, agents.Agent{Email: "ana@x.cl", Name: "Ana"}); err != nil {
		t.Fatal(err)
	}
	tok1, t1, _ := s.CreateToken(ctx, "ana@x.cl", "one")
	tok2, t2, _ := s.CreateToken(ctx, "ana@x.cl", "two")
	if err := s.RevokeToken(ctx, strings.ToUpper(t1.ID[:8])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok1); !errors.Is(err, agents.ErrBadToken) {
		t.Fatalf("revoked token: %v", err)
	}
	if _, err := s.Authenticate(ctx, tok2); err != nil {
		t.Fatalf("the other token: %v", err)
	}
	if err := s.RevokeToken(ctx, t1.ID); err != nil {
		t.Fatalf("revoking again: %v", err)
	}
	if err := s.RevokeToken(ctx, t2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok2); !errors.Is(err, agents.ErrBadToken) {
		t.Fatalf("token revoked by full id: %v", err)
	}
	ts, err := s.Tokens(ctx, "ana@x.cl")
	if err != nil || len(ts) != 2 || ts[0].Revoked.IsZero() || ts[1].Revoked.IsZero() {
		t.Fatalf("Tokens = %+v, %v", ts, err)
	}

	// Two ids sharing a prefix, written as CreateToken would.
	for _, id := range []string{"abcdef0123" + strings.Repeat("0", 54), "abcdef0199" + strings.Repeat("0", 54)} {
		if _, err := db.Collection(agents.CollTokens).InsertOne(ctx, agents.Token{ID: id, Scope: agents.ScopeGateway, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	before := dump(t, db)
	var ie *agents.InputError
	for _, bad := range []string{"abcdef0", "abcdef01", "xyz12345678", ""} {
		if err := s.RevokeToken(ctx, bad); !errors.As(err, &ie) {
			t.Errorf("RevokeToken(%q) = %v, want an InputError", bad, err)
		}
	}
	if err := s.RevokeToken(ctx, "12345678"); !errors.Is(err, agents.ErrNoToken) {
		t.Errorf("unknown prefix: %v", err)
	}
	if after := dump(t, db); !reflect.DeepEqual(after, before) {
		t.Fatal("refused revocations changed the store")
	}
	if err := s.RevokeToken(ctx, "abcdef0199"); err != nil {
		t.Fatal(err)
	}
}

// TestGatewayScope: a gateway token is only a gateway token, an agent
// token only an agent's; malformed and unknown tokens are refused.
func TestGatewayScope(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	if _, err := s.Add(ctx, agents.Agent{Email: "ana@x.cl", Name: "Ana"}); err != nil {
		t.Fatal(err)
	}
	gw, g, err := s.CreateGatewayToken(ctx, "flow")
	if err != nil || g.Scope != agents.ScopeGateway || g.Agent != "" {
		t.Fatalf("CreateGatewayToken = %+v, %v", g, err)
	}
	ag, _, _ := s.CreateToken(ctx, "ana@x.cl", "")
	if err := s.AuthenticateGateway(ctx, gw); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, gw); !errors.Is(err, agents.ErrBadToken) {
		t.Fatalf("gateway token as an agent's: %v", err)
	}
	if err := s.AuthenticateGateway(ctx, ag); !errors.Is(err, agents.ErrBadToken) {
		t.Fatalf("agent token as a gateway's: %v", err)
	}
	for _, bad := range []string{"", "turno_", ag[:len(ag)-1], ag + "x", "turno_" + strings.Repeat("A", 43)} {
		if _, err := s.Authenticate(ctx, bad); !errors.Is(err, agents.ErrBadToken) {
			t.Errorf("Authenticate(%q) = %v", bad, err)
		}
	}
	gs, err := s.Tokens(ctx, "")
	if err != nil || len(gs) != 1 || gs[0].ID != g.ID {
		t.Fatalf("gateway tokens: %+v, %v", gs, err)
	}
	if _, err := s.Tokens(ctx, "nadie@x.cl"); !errors.Is(err, agents.ErrNotFound) {
		t.Fatalf("tokens of an unknown agent: %v", err)
	}
}

// TestLastUsedAtMostOncePerMinute: a token's use is recorded, then not
// again until a minute has passed.
func TestLastUsedAtMostOncePerMinute(t *testing.T) {
	ctx := context.Background()
	s, _, clk := newService(t)
	if _, err := s.Add(ctx, agents.Agent{Email: "ana@x.cl", Name: "Ana"}); err != nil {
		t.Fatal(err)
	}
	tok, _, _ := s.CreateToken(ctx, "ana@x.cl", "")
	lastUsed := func() time.Time {
		t.Helper()
		ts, err := s.Tokens(ctx, "ana@x.cl")
		if err != nil || len(ts) != 1 {
			t.Fatal(ts, err)
		}
		return ts[0].LastUsed
	}
	if !lastUsed().IsZero() {
		t.Fatal("a new token has been used")
	}
	use := func() {
		t.Helper()
		if _, err := s.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	use()
	if got := lastUsed(); !got.Equal(t0) {
		t.Fatalf("last used %v, want %v", got, t0)
	}
	clk.Advance(59 * time.Second)
	use()
	if got := lastUsed(); !got.Equal(t0) {
		t.Fatalf("last used rewritten within the minute: %v", got)
	}
	clk.Advance(2 * time.Second)
	use()
	if got := lastUsed(); !got.Equal(t0.Add(61 * time.Second)) {
		t.Fatalf("last used %v after a minute", got)
	}
}

// TestTokensNeverStoredInClear: no field of any document of the package's
// collections holds a token, or its random part, after tokens of every
// kind were made and used.
func TestTokensNeverStoredInClear(t *testing.T) {
	ctx := context.Background()
	s, db, clk := newService(t)
	if _, err := s.Add(ctx, agents.Agent{Email: "ana@x.cl", Name: "Ana"}); err != nil {
		t.Fatal(err)
	}
	var toks []string
	for _, label := range []string{"", "laptop"} {
		tok, _, err := s.CreateToken(ctx, "ana@x.cl", label)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	gw, _, _ := s.CreateGatewayToken(ctx, "gw")
	dev1, _ := s.EnsureDev(ctx, "agente@turno.test", "Agente")
	clk.Advance(time.Hour)
	dev2, _ := s.EnsureDev(ctx, "agente@turno.test", "Agente")
	toks = append(toks, gw, dev1, dev2)
	for _, tok := range toks {
		if !strings.HasPrefix(tok, agents.TokenPrefix) || len(tok) != len(agents.TokenPrefix)+43 {
			t.Fatalf("token %q is not turno_ and 43 base64url characters", tok)
		}
		_, _ = s.Authenticate(ctx, tok)
		_ = s.AuthenticateGateway(ctx, tok)
	}
	n := 0
	for coll, docs := range dump(t, db) {
		for _, d := range docs {
			n++
			walk(d, func(v string) {
				for _, tok := range toks {
					if strings.Contains(v, tok) || strings.Contains(v, strings.TrimPrefix(tok, agents.TokenPrefix)) {
						t.Errorf("%s document %s holds a token in clear", coll, d)
					}
				}
			})
		}
	}
	if n < len(toks) {
		t.Fatalf("only %d documents", n)
	}
}

// walk calls f with every string and binary value in d, at any depth.
func walk(d bson.Raw, f func(string)) {
	els, _ := d.Elements()
	for _, e := range els {
		walkValue(e.Value(), f)
	}
}

func walkValue(v bson.RawValue, f func(string)) {
	switch v.Type {
	case bson.TypeString:
		f(v.StringValue())
	case bson.TypeBinary:
		_, b := v.Binary()
		f(string(b))
	case bson.TypeEmbeddedDocument:
		walk(v.Document(), f)
	case bson.TypeArray:
		vals, _ := v.Array().Values()
		for _, x := range vals {
			walkValue(x, f)
		}
	}
}

// TestEnsureDev: the development agent is made once, an admin; each call
// hands out a new dev token and revokes the previous one, leaving other
// tokens alone.
func TestEnsureDev(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t, "soporte")
	tok1, err := s.EnsureDev(ctx, "agente@turno.test", "Agente de desarrollo")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Authenticate(ctx, tok1)
	if err != nil || a.Role != agents.RoleAdmin || a.Lang != "es" || !a.Actor().Admin {
		t.Fatalf("dev agent %+v, %v", a, err)
	}
	other, _, _ := s.CreateToken(ctx, "agente@turno.test", "mine")
	if err := s.Deactivate(ctx, "agente@turno.test"); err != nil {
		t.Fatal(err)
	}
	tok2, err := s.EnsureDev(ctx, "agente@turno.test", "Agente de desarrollo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok2); err != nil {
		t.Fatalf("new dev token: %v", err)
	}
	if _, err := s.Authenticate(ctx, tok1); !errors.Is(err, agents.ErrBadToken) {
		t.Fatalf("previous dev token: %v", err)
	}
	if _, err := s.Authenticate(ctx, other); err != nil {
		t.Fatalf("a token not labelled dev: %v", err)
	}
	if ls, _ := s.List(ctx); len(ls) != 1 {
		t.Fatalf("agents %v", ls)
	}
}

// TestDepartmentsFromConfig: the mailboxes', the priority offsets' and
// soporte, once each, sorted.
func TestDepartmentsFromConfig(t *testing.T) {
	var cfg config.Config
	cfg.Mailboxes = []config.MailboxConfig{{Department: "pagos"}, {Department: ""}, {Department: "ventas"}}
	cfg.Tickets.Priority.Departments = map[string]int{"pagos": 5, "noc": 10}
	if got := agents.DepartmentsFromConfig(cfg); !reflect.DeepEqual(got, []string{"noc", "pagos", "soporte", "ventas"}) {
		t.Fatalf("got %v", got)
	}
}
