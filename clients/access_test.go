package clients

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/mailout"
	"turno/templates"
)

// recorder is the outbox as the registry sees it: idempotent by Key.
type recorder struct {
	mu   sync.Mutex
	msgs []mailout.Message
	keys map[string]string
}

func (r *recorder) Enqueue(_ context.Context, m mailout.Message) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil {
		r.keys = map[string]string{}
	}
	if id, ok := r.keys[m.Key]; ok {
		return id, nil
	}
	r.msgs = append(r.msgs, m)
	id := "ob-" + m.Key
	r.keys[m.Key] = id
	return id, nil
}

func (r *recorder) last(t *testing.T) mailout.Message {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.msgs) == 0 {
		t.Fatal("nothing enqueued")
	}
	return r.msgs[len(r.msgs)-1]
}

// dbContains reports whether any document in the registry's collections
// holds s (as extended JSON).
func dbContains(t *testing.T, r *Registry, s string) bool {
	t.Helper()
	ctx := context.Background()
	names, err := r.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		cur, err := r.db.Collection(n).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		for cur.Next(ctx) {
			if strings.Contains(cur.Current.String(), s) {
				return true
			}
		}
	}
	return false
}

// minFragment is the shortest piece of a secret the leak check looks for:
// 16 base64url characters are 96 random bits, which no other stored value
// matches by chance, while a one- or two-letter piece matches anything.
const minFragment = 16

// secretFragments are the needles a leak check looks for: the whole secret
// and every run of minFragment characters of it, so that a secret stored
// cut in two (a wrapped line, a quoted-printable soft break) is still found.
func secretFragments(t *testing.T, secret string) []string {
	t.Helper()
	if len(secret) < minFragment {
		t.Fatalf("secret %q is shorter than %d characters: a leak check on it means nothing", secret, minFragment)
	}
	out := []string{secret}
	for i := 0; i+minFragment <= len(secret); i++ {
		out = append(out, secret[i:i+minFragment])
	}
	return out
}

// leakedFragment returns the first fragment of secret found in any document
// of the registry's database, or "".
func leakedFragment(t *testing.T, r *Registry, secret string) string {
	t.Helper()
	needles := secretFragments(t, secret)
	for _, n := range needles {
		if len(n) < minFragment {
			t.Fatalf("needle %q of %q is too short to mean anything", n, secret)
		}
	}
	ctx := context.Background()
	names, err := r.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		cur, err := r.db.Collection(name).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		for cur.Next(ctx) {
			doc := cur.Current.String()
			for _, n := range needles {
				if strings.Contains(doc, n) {
					_ = cur.Close(ctx)
					return n
				}
			}
		}
		if err := cur.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return ""
}

// TestLeakCheckFindsFragmentsOnly checks the check the end-to-end password
// test relies on: a base64url token may start with "a-", and "a" is in every
// database; a piece of the token stored cut in two must still be found.
func TestLeakCheckFindsFragmentsOnly(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	ctx := context.Background()
	mustAdd(t, r, completeClient("A", "ana@example.cl")) // plenty of short strings
	for _, token := range []string{
		"-" + strings.Repeat("Q", 42),            // empty text before the first '-'
		"a-Zk3xWq9pLr2TfVb7YhNc4MdJs8GeUo1Ai6Kq", // one letter
		"Ci-k3xWq9pLr2TfVb7YhNc4MdJs8GeUo1Ai6Kq", // two letters
	} {
		if n := leakedFragment(t, r, token); n != "" {
			t.Errorf("token %q reported stored (needle %q) though it is not", token, n)
		}
	}
	token := "Zk3xWq9pLr2TfVb7-YhNc4MdJs8GeUo1Ai6KqPl0Rw"
	if _, err := r.db.Collection("leak_probe").InsertOne(ctx, bson.D{{Key: "body", Value: "…" + token[:21] + "=\r\n" + token[21:] + "…"}}); err != nil {
		t.Fatal(err)
	}
	if n := leakedFragment(t, r, token); n == "" {
		t.Error("a token stored cut in two is not found")
	}
}

func tokenFromLink(t *testing.T, link string) (client, token string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, "https://clientes.example.cl/set-password?") {
		t.Fatalf("link %q", link)
	}
	return u.Query().Get("client"), u.Query().Get("token")
}

func TestPasswordLinkFlow(t *testing.T) {
	rec := &recorder{}
	r, clk := newTestRegistry(t, rec)
	ctx := context.Background()
	mustAdd(t, r, completeClient("A", "a@example.cl"))
	if err := r.AddContact(ctx, "A", Contact{Address: "tec@example.cl", Role: RoleTechnical}, "op"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Password(ctx, "A", "op"); err != nil {
		t.Fatal(err)
	}
	m := rec.last(t)
	data, ok := m.Data.(templates.PasswordReset)
	if !ok || m.Template != "password_reset" || !m.Sensitive || m.Priority != mailout.PriorityAccount ||
		m.AutoSubmitted != "auto-generated" || m.Key != "password:A:1" || len(m.To) != 1 || m.To[0] != "a@example.cl" {
		t.Fatalf("message %+v", m)
	}
	set, err := templates.Load(templates.Options{Company: templates.Company{Name: "P", SupportAddress: "s@p.cl"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := set.Render(m.Template, m.Lang, m.Data)
	if err != nil || !strings.Contains(out.Text, data.Link) {
		t.Fatalf("render: %v", err)
	}
	client, token := tokenFromLink(t, data.Link)
	if client != "A" || len(token) < 40 || !data.ExpiresAt.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("client %q token %q expires %v", client, token, data.ExpiresAt)
	}
	if dbContains(t, r, token) {
		t.Fatal("the token is stored in the database")
	}
	if err := r.RedeemToken(ctx, "A", token+"x"); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("wrong token: %v", err)
	}
	if err := r.RedeemToken(ctx, "A", token); err != nil {
		t.Fatalf("redeem: %v", err)
	}
	if err := r.RedeemToken(ctx, "A", token); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("second redeem: %v", err)
	}
	// A regeneration gets a new key; its link expires.
	if _, err := r.Password(ctx, "A", "op"); err != nil {
		t.Fatal(err)
	}
	m2 := rec.last(t)
	if m2.Key != "password:A:2" {
		t.Fatalf("second key %q", m2.Key)
	}
	_, token2 := tokenFromLink(t, m2.Data.(templates.PasswordReset).Link)
	clk.Advance(24*time.Hour + time.Second)
	if err := r.RedeemToken(ctx, "A", token2); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("expired token: %v", err)
	}
}

func TestGeneratedPasswordAndWelcomeOnce(t *testing.T) {
	rec := &recorder{}
	r, _ := newTestRegistry(t, rec)
	r.access.Mode = "password"
	ctx := context.Background()
	c := completeClient("A", "a@example.cl")
	c.Lang = "en"
	mustAdd(t, r, c)
	if _, err := r.Welcome(ctx, "A", "op"); err != nil {
		t.Fatal(err)
	}
	m := rec.last(t)
	w, ok := m.Data.(templates.Welcome)
	if !ok || m.Key != "welcome:A" || m.Lang != "en" || w.Password == "" || w.Link != "" || !m.Sensitive {
		t.Fatalf("welcome %+v", m)
	}
	if dbContains(t, r, w.Password) {
		t.Fatal("the password is stored in the database")
	}
	if err := r.CheckPassword(ctx, "A", w.Password); err != nil {
		t.Fatalf("password does not work: %v", err)
	}
	if err := r.CheckPassword(ctx, "A", w.Password[1:]); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("wrong password: %v", err)
	}
	if id, err := r.Welcome(ctx, "A", "op"); err != nil || id != "" || len(rec.msgs) != 1 {
		t.Fatalf("second welcome: %q %v, %d mails", id, err, len(rec.msgs))
	}
	if err := r.CheckPassword(ctx, "A", w.Password); err != nil {
		t.Fatalf("a repeated welcome broke the first password: %v", err)
	}
}

func TestAccessMailRespectsSwitch(t *testing.T) {
	rec := &recorder{}
	r, _ := newTestRegistry(t, rec)
	c := completeClient("A", "a@example.cl")
	c.Mail.Account = false
	mustAdd(t, r, c)
	if _, err := r.Password(context.Background(), "A", "op"); err == nil || len(rec.msgs) != 0 {
		t.Fatalf("password mail sent with account mail off: %v", err)
	}
}

func TestRequestDataOncePerCycle(t *testing.T) {
	rec := &recorder{}
	r, clk := newTestRegistry(t, rec)
	ctx := context.Background()
	c := NewClient("B", "Beta", "b@example.cl")
	c.Billing = BillingData{RazonSocial: "Beta Ltda", TaxID: "12531909-2", Comuna: "Ñuñoa"}
	mustAdd(t, r, c)
	mustAdd(t, r, completeClient("A", "a@example.cl"))
	if _, err := r.RequestData(ctx, "A", "", "op"); !errors.Is(err, ErrBillingComplete) {
		t.Fatalf("complete client: %v", err)
	}
	for range 2 {
		if _, err := r.RequestData(ctx, "B", "", "op"); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.msgs) != 1 {
		t.Fatalf("%d mails in one cycle", len(rec.msgs))
	}
	m := rec.last(t)
	d := m.Data.(templates.BillingDataRequired)
	want := "[Falta el giro (la actividad de la empresa). Falta el domicilio (calle y número). Falta la ciudad.]"
	if m.Key != "billing_data_required:B:2026-11" || strings.Join(d.Missing, " ") != strings.Trim(want, "[]") {
		t.Fatalf("key %q missing %q", m.Key, d.Missing)
	}
	clk.Advance(31 * 24 * time.Hour)
	if _, err := r.RequestData(ctx, "B", "", "op"); err != nil || len(rec.msgs) != 2 {
		t.Fatalf("next cycle: %v, %d mails", err, len(rec.msgs))
	}
}
