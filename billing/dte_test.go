package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/clients"
	"turno/config"
	"turno/internal/testenv"
	"turno/mailout"
	"turno/store"
	"turno/templates"
)

// The DTE tests drive the real sample issuer (contrib/dte/sample-issuer),
// built for the test, through the whole path: the request, the issuer's
// state file (its folios and the calls per idempotency key), the outcome on
// the invoice, the stored PDF and the mail that reaches a go-smtp server
// through the real outbox.

func buildSampleIssuer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sample-issuer")
	if out, err := exec.Command("go", "build", "-o", bin, "../contrib/dte/sample-issuer").CombinedOutput(); err != nil {
		t.Fatalf("build the sample issuer: %v\n%s", err, out)
	}
	return bin
}

// useDTE configures the rig's billing with a DTE issuer command.
func (r *liveRig) useDTE(when, document, command string, args ...string) {
	r.svc.opts.Billing.DTE = config.DTEConfig{Command: command, Args: args, When: when, Timeout: config.Duration(30 * time.Second)}
	r.svc.opts.Billing.Document = document
}

type issuerState struct {
	NextFolio int64 `json:"next_folio"`
	Keys      map[string]struct {
		Calls   int    `json:"calls"`
		Folio   int64  `json:"folio"`
		DTEType int    `json:"dte_type"`
		Refused string `json:"refused"`
	} `json:"keys"`
}

func readIssuerState(t *testing.T, path string) issuerState {
	t.Helper()
	var st issuerState
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// attachments are a received message's attached files by name.
func attachments(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := p.Header.(*mail.AttachmentHeader); ok {
			name, _ := h.Filename()
			b, _ := io.ReadAll(p.Body)
			out[name] = b
		}
	}
}

func (r *liveRig) invoiceByID(t *testing.T, id string) *Invoice {
	t.Helper()
	inv, err := r.svc.invoice(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func (r *liveRig) dteCount(t *testing.T, result string) float64 {
	t.Helper()
	fams, err := r.prom.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "turno_dte_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if m.GetLabel()[0].GetValue() == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("turno_dte_requests_total{result=%q} not registered", result)
	return 0
}

func (r *liveRig) outboxCount(t *testing.T, template string) int64 {
	t.Helper()
	n, err := r.db.Collection(mailout.OutboxCollection).CountDocuments(context.Background(), bson.D{{Key: "template", Value: template}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDTEOnPaymentKill9BetweenCallAndRecord: with the tax document issued
// on payment, paying the invoice in full records a request and holds the
// confirmation. A child process (this test binary) takes the request and
// calls the issuer through a wrapper that lets the issuer answer, then
// hangs before handing the answer back; it is killed with SIGKILL there,
// between the call and the record. The next pass asks the issuer again
// with the same key and gets the same folio: the issuer saw the key twice
// and handed out one folio. The confirmation then reaches the principal
// address with the tax document attached, once.
func TestDTEOnPaymentKill9BetweenCallAndRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sample issuer and runs a child process")
	}
	ctx := context.Background()
	r := newLiveRig(t)
	issuer := buildSampleIssuer(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	r.useDTE(config.DTEOnPayment, config.DocumentNotaDeCobro, issuer, "-state", state, "-first-folio", "4711")
	r.client(t)
	r.run(t, r.svc.Cycle, "2026-06-05")
	if _, subj := r.received(t, 1); !strings.Contains(subj[0], "Nota de cobro") {
		t.Fatalf("cycle mailed %q", subj[0])
	}
	id := InvoiceID("k1", "2026-06")
	if _, err := r.svc.Pay(ctx, PaymentRequest{Numbers: []int64{1}, Amount: 45990, Method: "transferencia",
		Reference: "op-1", Date: date(t, "2026-06-07")}); err != nil {
		t.Fatal(err)
	}
	req, err := r.svc.DTERequestOf(ctx, id)
	if err != nil || req == nil || len(req.Payments) != 1 {
		t.Fatalf("no request recorded for the paid invoice: %+v %v", req, err)
	}
	if n := r.outboxCount(t, "payment_received"); n != 0 {
		t.Fatalf("payment confirmed before its tax document: %d", n)
	}

	// The child: the issuer answers, the wrapper signals and hangs.
	wrapper := filepath.Join(dir, "hang.sh")
	script := "#!/bin/sh\n\"" + issuer + "\" \"$@\" > \"" + dir + "/answer.json\" || exit 1\n: > \"" + dir + "/answered\"\nsleep 300\ncat \"" + dir + "/answer.json\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestDTEChildProcess$", "-test.count=1")
	child.Env = append(os.Environ(), "TURNO_DTE_CHILD_URI="+r.uri, "TURNO_DTE_CHILD_DB="+r.db.Name(),
		"TURNO_DTE_CHILD_CMD="+wrapper, "TURNO_DTE_CHILD_STATE="+state)
	child.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var childOut bytes.Buffer
	child.Stdout, child.Stderr = &childOut, &childOut
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "answered")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(-child.Process.Pid, syscall.SIGKILL)
			_ = child.Wait()
			t.Fatalf("the child never called the issuer:\n%s", childOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := syscall.Kill(-child.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	st := readIssuerState(t, state)
	if len(st.Keys) != 1 || st.Keys[req.Key].Calls != 1 || st.Keys[req.Key].Folio != 4711 {
		t.Fatalf("issuer state after the kill: %+v", st)
	}
	if inv := r.invoiceByID(t, id); inv.DTE != nil {
		t.Fatalf("the killed process recorded an outcome: %+v", inv.DTE)
	}

	// The claim the dead process left expires; the next pass asks again.
	if later := time.Now().Add(10 * time.Minute); later.After(r.clock.Now()) {
		r.clock.Set(later)
	}
	if n, err := r.svc.ProcessDTE(ctx); err != nil || n["ok"] != 1 {
		t.Fatalf("pass after the kill: %v %v", n, err)
	}
	if n, err := r.svc.ProcessDTE(ctx); err != nil || len(n) != 0 {
		t.Fatalf("a pass with nothing to do did %v %v", n, err)
	}
	st = readIssuerState(t, state)
	if k := st.Keys[req.Key]; len(st.Keys) != 1 || k.Calls != 2 || k.Folio != 4711 || k.DTEType != DTETypeFactura || st.NextFolio != 4712 {
		t.Fatalf("issuer state: %+v (want the same key twice, one folio)", st)
	}
	inv := r.invoiceByID(t, id)
	if inv.DTE == nil || inv.DTE.Status != DTEOK || inv.DTE.Folio != 4711 || inv.DTE.Key != req.Key || inv.DTE.Type != 33 {
		t.Fatalf("outcome on the invoice: %+v", inv.DTE)
	}
	r.ob.Kick()
	got, subj := r.received(t, 2)
	if got[1].To[0] != "c1@cliente.cl" || !strings.Contains(subj[1], "pago") {
		t.Fatalf("second mail: %v %q", got[1].To, subj[1])
	}
	files := attachments(t, got[1].Data)
	pdf, ok := files["factura-electronica-4711.pdf"]
	if !ok || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("payment_received attachments: %v", keys(files))
	}
	if !bytes.Contains(got[1].Data, []byte("folio 4711")) {
		t.Fatal("the confirmation does not name the folio")
	}
	if n := r.outboxCount(t, "payment_received"); n != 1 {
		t.Fatalf("%d payment confirmations", n)
	}
	if r.dteCount(t, "ok") != 1 {
		t.Fatal("turno_dte_requests_total{result=ok} is not 1")
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestDTEChildProcess is the child of TestDTEOnPaymentKill9BetweenCallAndRecord:
// one DTE pass on the parent's store, with the issuer the parent names.
func TestDTEChildProcess(t *testing.T) {
	uri := os.Getenv("TURNO_DTE_CHILD_URI")
	if uri == "" {
		t.Skip("run by TestDTEOnPaymentKill9BetweenCallAndRecord")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{URI: uri, Database: os.Getenv("TURNO_DTE_CHILD_DB"), Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	set, err := templates.Load(templates.Options{Company: templates.Company{Name: "Mi Proveedor SpA", SupportAddress: "soporte@example.cl"}})
	if err != nil {
		t.Fatal(err)
	}
	ob, err := mailout.New(mailout.Options{DB: st.DB, Templates: set, Mail: cfg.Mail, Outbox: cfg.Outbox,
		MessageIDKey: []byte("k"), Logger: testenv.Logger(t), Owner: "child"})
	if err != nil {
		t.Fatal(err)
	}
	reg := clients.New(clients.Options{DB: st.DB, Logger: testenv.Logger(t), Mailer: ob})
	cfg.Billing.DTE = config.DTEConfig{Command: os.Getenv("TURNO_DTE_CHILD_CMD"), Args: []string{"-state", os.Getenv("TURNO_DTE_CHILD_STATE"), "-first-folio", "4711"},
		When: config.DTEOnPayment, Timeout: config.Duration(5 * time.Minute)}
	svc, err := New(Options{DB: st.DB, Clients: reg, Mailer: ob, Billing: cfg.Billing, Company: cfg.Company, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	n, err := svc.ProcessDTE(ctx)
	t.Fatalf("the pass was meant to be killed, and returned %v %v", n, err)
}

// TestDTEOnIssueCycleMailsTaxDocument: with facturas issued on the cycle,
// each invoice is mailed with its tax document (and not Turno's own
// rendering of a factura), the exempt contract's as type 34.
func TestDTEOnIssueCycleMailsTaxDocument(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sample issuer")
	}
	ctx := context.Background()
	r := newLiveRig(t)
	state := filepath.Join(t.TempDir(), "state.json")
	r.useDTE(config.DTEOnIssue, config.DocumentFactura, buildSampleIssuer(t), "-state", state)
	r.client(t)
	if err := r.svc.AddContract(ctx, Contract{ID: "k2", ClientID: "c1", Description: "Curso de capacitación", Currency: CLP,
		Amount: 20000, Exempt: true, AnchorDay: 5, Start: "2026-01-01"}); err != nil {
		t.Fatal(err)
	}
	n := r.run(t, r.svc.Cycle, "2026-06-05")
	if n["invoiced"] != 2 || n["dte_ok"] != 2 || n["dte_mails"] != 2 {
		t.Fatalf("cycle: %v", n)
	}
	got, subj := r.received(t, 2)
	byFile := map[string]string{}
	for i, m := range got {
		if m.To[0] != "c1@cliente.cl" || !strings.Contains(subj[i], "Factura") {
			t.Fatalf("mail %d: %v %q", i, m.To, subj[i])
		}
		files := attachments(t, m.Data)
		if len(files) != 1 {
			t.Fatalf("mail %d attaches %v, want the tax document alone", i, keys(files))
		}
		for name := range files {
			byFile[name] = subj[i]
		}
	}
	for _, want := range []string{"factura-electronica-1.pdf", "factura-exenta-electronica-2.pdf"} {
		if _, ok := byFile[want]; !ok {
			t.Fatalf("attachments %v, want %s", byFile, want)
		}
	}
	if inv := r.invoiceByID(t, InvoiceID("k2", "2026-06")); inv.DTE.Type != DTETypeFacturaExenta || !inv.Mailed || inv.Document != DocFactura {
		t.Fatalf("exempt invoice: %+v mailed %v", inv.DTE, inv.Mailed)
	}
	// A rerun issues nothing again.
	r.run(t, r.svc.Cycle, "2026-06-05")
	if st := readIssuerState(t, state); st.NextFolio != 3 || len(st.Keys) != 2 {
		t.Fatalf("issuer state after a rerun: %+v", st)
	}
}

// TestDTETransientFailureRetried: an issuer that answers "retry" twice is
// asked again after each backoff, and the invoice goes out with its
// document on the third call; nothing is mailed before.
func TestDTETransientFailureRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sample issuer")
	}
	ctx := context.Background()
	r := newLiveRig(t)
	state := filepath.Join(t.TempDir(), "state.json")
	r.useDTE(config.DTEOnIssue, config.DocumentNotaDeCobro, buildSampleIssuer(t), "-state", state, "-retry-first", "2")
	r.client(t)
	n := r.run(t, r.svc.Cycle, "2026-06-05")
	if n["dte_retry"] != 1 || n["mails"] != 0 {
		t.Fatalf("cycle: %v", n)
	}
	id := InvoiceID("k1", "2026-06")
	req, _ := r.svc.DTERequestOf(ctx, id)
	if req == nil || req.Attempts != 1 || !strings.Contains(req.LastError, "SII no disponible") {
		t.Fatalf("request after a transient failure: %+v", req)
	}
	if n, _ := r.svc.ProcessDTE(ctx); n["skipped"] != 1 {
		t.Fatalf("retried before its backoff: %v", n)
	}
	r.clock.Advance(31 * time.Second)
	if n, _ := r.svc.ProcessDTE(ctx); n["retry"] != 1 {
		t.Fatalf("second try: %v", n)
	}
	r.clock.Advance(61 * time.Second)
	if n, err := r.svc.ProcessDTE(ctx); n["ok"] != 1 || n["mails"] != 1 || err != nil {
		t.Fatalf("third try: %v %v", n, err)
	}
	got, _ := r.received(t, 1)
	files := attachments(t, got[0].Data)
	if _, ok := files["nota-de-cobro-1.pdf"]; !ok {
		t.Fatalf("attachments %v: want the nota de cobro and the tax document", keys(files))
	}
	if _, ok := files["factura-electronica-1.pdf"]; !ok || len(files) != 2 {
		t.Fatalf("attachments %v: want the nota de cobro and the tax document", keys(files))
	}
	if st := readIssuerState(t, state); st.Keys[req.Key].Calls != 3 || st.NextFolio != 2 {
		t.Fatalf("issuer state: %+v", st)
	}
	if r.dteCount(t, "retry") != 2 || r.dteCount(t, "ok") != 1 {
		t.Fatal("turno_dte_requests_total does not count two retries and one ok")
	}
}

// TestDTERefusedIsReportedAndNothingMailed: a refusal is recorded on the
// invoice, counted, logged, and the invoice is not mailed, then or later.
func TestDTERefusedIsReportedAndNothingMailed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sample issuer")
	}
	r := newLiveRig(t)
	state := filepath.Join(t.TempDir(), "state.json")
	r.useDTE(config.DTEOnIssue, config.DocumentFactura, buildSampleIssuer(t), "-state", state, "-refuse-rut", "76123456-0")
	r.client(t)
	n := r.run(t, r.svc.Cycle, "2026-06-05")
	if n["dte_refused"] != 1 || n["mails"] != 0 {
		t.Fatalf("cycle: %v", n)
	}
	inv := r.invoiceByID(t, InvoiceID("k1", "2026-06"))
	if inv.DTE == nil || inv.DTE.Status != DTERefused || !strings.Contains(inv.DTE.Message, "no autorizado") || inv.Mailed {
		t.Fatalf("invoice after a refusal: %+v mailed %v", inv.DTE, inv.Mailed)
	}
	if r.dteCount(t, "refused") != 1 {
		t.Fatal("the refusal is not counted")
	}
	if !strings.Contains(r.logs.String(), "DTE not issued") {
		t.Fatalf("no log line: %s", r.logs.String())
	}
	r.run(t, r.svc.Cycle, "2026-06-06")
	if k := r.outboxCount(t, "invoice_issued"); k != 0 {
		t.Fatalf("%d invoice mails for a refused document", k)
	}
	if st := readIssuerState(t, state); st.NextFolio != 1 {
		t.Fatalf("issuer state: %+v", st)
	}
}
