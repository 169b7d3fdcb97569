package daemon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clients"
	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
	"turno/mailin"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/tickets"
)

// The parse corpus pushed through the whole intake: every .eml under
// mailin/parse/testdata is appended to the IMAP folder a real daemon watches
// (the built-in dev mailbox, and Dovecot when it runs), and what became of
// it (a ticket message, a bounce record, Turno's own mail ignored, a
// quarantine) is compared with its golden under
// mailin/parse/testdata/intake/NAME.json, as are the automatic replies that
// reach the dev SMTP server. The goldens live in a subfolder so that the
// parse package's own golden test (testdata/*.json) never sees them.
//
//	go test -count=1 -run IntakeCorpus -v ./daemon/
//
// TURNO_UPDATE_GOLDEN=1 rewrites the goldens from what the intake does now,
// keeping each golden's hand-written "note" and "why". It never writes a new
// "quarantined" golden (a quarantined corpus message is a bug to fix, not an
// outcome to record), nor one for a message the IMAP server did not serve
// whole.
const (
	corpusDir       = "../mailin/parse/testdata"
	corpusGoldenDir = "../mailin/parse/testdata/intake"
	corpusUpdateEnv = "TURNO_UPDATE_GOLDEN"
	// corpusOwnAddress is the support address the corpus is written for
	// (parse's golden test uses the same).
	corpusOwnAddress = "soporte@turno.example"
)

// corpusClients are registered before the corpus arrives, so that some
// senders are customers (acknowledged) and the rest strangers (the
// unknown-sender reply). Two of them send attachments.
var corpusClients = []struct{ id, name, email string }{
	{"C-CORPUS-1", "Víctor Ltda.", "victor@example.cl"},
	{"C-CORPUS-2", "Ernesto y Cía.", "ernesto@example.cl"},
	{"C-CORPUS-3", "Tom Example Inc.", "tom@example.net"},
}

// corpusGolden is what a person checks about one corpus message after the
// intake handled it.
type corpusGolden struct {
	// Outcome: opened (a new ticket), appended (joined the ticket an earlier
	// corpus message opened), bounce (a delivery report recorded), own
	// (Turno's own mail, ignored), rejected (unknown sender, policy
	// reject), quarantined.
	Outcome string `json:"outcome"`
	// Why a quarantine is right (hand-written; only with outcome
	// quarantined).
	Why string `json:"why,omitempty"`
	// OpenedBy names the corpus file whose mail opened the ticket an
	// appended message joined.
	OpenedBy string `json:"opened_by,omitempty"`
	// Requester is the ticket's requester address; From the sender as the
	// ticket message or bounce record stores it.
	Requester  string `json:"requester"`
	From       string `json:"from"`
	Registered bool   `json:"registered"`
	// Kind is the class parse gave it (normal, auto_reply, bulk, bounce),
	// as stored.
	Kind   string `json:"kind"`
	Thread string `json:"thread,omitempty"`
	// Attachments stored on the ticket message, and their filenames
	// (" (inline)" marks inline ones).
	Attachments int      `json:"attachments"`
	Filenames   []string `json:"filenames"`
	// Reply is what the outbox holds for this message: ack,
	// unknown_sender, attachment_too_large (joined by ", ") or none.
	// ReplyDecision is the ticket service's own record of it (why none was
	// sent). Automatic mail is never answered.
	Reply         string `json:"reply"`
	ReplyDecision string `json:"reply_decision,omitempty"`
	BounceStatus  string `json:"bounce_status,omitempty"`
	// Note explains anything surprising (hand-written, not compared).
	Note string `json:"note,omitempty"`
}

// corpusMessage is one corpus file and what the test learnt about it.
type corpusMessage struct {
	name   string
	raw    []byte
	source string // mailin's server copy id: mailbox/uidvalidity/uid
	uid    imap.UID
	parsed *parse.Message // as the daemon parses it (its own address)

	got    corpusGolden
	ticket int64
	detail string // where it was found, for failure messages
	// problems are failures whatever the golden says.
	problems []string
}

// corpusServer is the IMAP server a corpus run delivers to.
type corpusServer struct {
	// mailbox is the daemon's mailbox; nil: the built-in dev mailbox.
	mailbox *config.MailboxConfig
	// appendMsg puts one message into the watched folder.
	appendMsg func(d *daemon.Daemon, raw []byte) (*imap.AppendData, error)
	// login reaches the watched folder, to read the flags intake set.
	login func(d *daemon.Daemon) (addr, user, password, folder string)
	// unservable names corpus files this server cannot serve, and why;
	// they are left out of its run.
	unservable map[string]string
}

// TestIntakeCorpus runs the corpus through the daemon's built-in dev
// mailbox (go-imap's in-memory server).
func TestIntakeCorpus(t *testing.T) {
	runIntakeCorpus(t, corpusServer{
		appendMsg: func(d *daemon.Daemon, raw []byte) (*imap.AppendData, error) {
			return d.Dev.Mailbox.Append("INBOX", lit{bytes.NewReader(raw)}, &imap.AppendOptions{})
		},
		login: func(d *daemon.Daemon) (string, string, string, string) {
			c := config.Default().Dev
			return d.Dev.IMAPAddr, c.User, c.Password, "INBOX"
		},
		// go-imap v2's in-memory server serves an empty body for a mail
		// whose header it cannot read; intake quarantines an empty body
		// (mailin's TestEmptyBodyIsQuarantinedNotTakenIn). Dovecot serves
		// both, and TestIntakeCorpusDovecot checks them.
		unservable: map[string]string{
			"header_garbage": "the in-memory IMAP server serves it as 0 bytes",
			"no_headers":     "the in-memory IMAP server serves it as 0 bytes",
		},
	})
}

// TestIntakeCorpusDovecot runs the same corpus, against the same goldens,
// through the reference IMAP server, which serves every message byte for
// byte (skipped unless scripts/test-services.sh runs Dovecot; required
// under CI).
func TestIntakeCorpusDovecot(t *testing.T) {
	dv := testenv.RequireDovecot(t)
	c, err := imapclient.DialInsecure(dv.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(dv.User, dv.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	folder := fmt.Sprintf("t-corpus-%d", time.Now().UnixNano())
	if err := c.Create(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Delete(folder).Wait() }()
	host, port, _ := net.SplitHostPort(dv.Addr)
	p, _ := strconv.Atoi(port)
	runIntakeCorpus(t, corpusServer{
		mailbox: &config.MailboxConfig{Name: "dovecot", Host: host, Port: p, TLS: "none",
			Username: dv.User, Password: dv.Password, Folder: folder, Department: "soporte"},
		appendMsg: func(_ *daemon.Daemon, raw []byte) (*imap.AppendData, error) {
			cmd := c.Append(folder, int64(len(raw)), nil)
			if _, err := cmd.Write(raw); err != nil {
				return nil, err
			}
			if err := cmd.Close(); err != nil {
				return nil, err
			}
			return cmd.Wait()
		},
		login: func(*daemon.Daemon) (string, string, string, string) {
			return dv.Addr, dv.User, dv.Password, folder
		},
	})
}

func runIntakeCorpus(t *testing.T, srv corpusServer) {
	update := os.Getenv(corpusUpdateEnv) != ""
	paths, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 45 {
		t.Fatalf("corpus has %d .eml files under %s, want at least 45", len(paths), corpusDir)
	}
	sort.Strings(paths)
	msgs := make([]*corpusMessage, 0, len(paths))
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := parse.Parse(bytes.NewReader(raw), &parse.Options{OwnAddresses: []string{corpusOwnAddress}})
		if err != nil {
			t.Fatalf("%s: parse: %v", p, err)
		}
		msgs = append(msgs, &corpusMessage{name: strings.TrimSuffix(filepath.Base(p), ".eml"), raw: raw, parsed: m})
	}
	checkNoStaleGoldens(t, msgs)
	msgs = slices.DeleteFunc(msgs, func(m *corpusMessage) bool {
		why, ok := srv.unservable[m.name]
		if ok {
			t.Logf("%s left out: %s", m.name, why)
		}
		return ok
	})

	cfg := testConfig(t)
	cfg.Intake.LeaseTTL = config.Duration(3 * time.Second)
	cfg.Company.SupportAddress = corpusOwnAddress
	mailbox := "dev"
	if srv.mailbox != nil {
		cfg.Mailboxes = []config.MailboxConfig{*srv.mailbox}
		mailbox = srv.mailbox.Name
	}
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	defer func() { d.Stop(); <-done }()
	ctx := context.Background()
	for _, c := range corpusClients {
		if _, err := d.Clients.Add(ctx, clients.NewClient(c.id, c.name, c.email), "test"); err != nil {
			t.Fatal(err)
		}
	}

	t0 := time.Now()
	var last imap.UID
	var uidValidity uint32
	for _, m := range msgs {
		ad, err := srv.appendMsg(d, m.raw)
		if err != nil {
			t.Fatalf("append %s: %v", m.name, err)
		}
		if ad == nil || ad.UID == 0 {
			t.Fatalf("append %s: the server did not say the UID (UIDPLUS)", m.name)
		}
		m.uid, uidValidity, last = ad.UID, ad.UIDValidity, ad.UID
		m.source = fmt.Sprintf("%s/%d/%d", mailbox, ad.UIDValidity, ad.UID)
	}
	// The cursor passes a message only once it is stored and ingested, or
	// quarantined: at the last UID every corpus message has been handled.
	waitCorpus(t, 50*time.Second, fmt.Sprintf("the intake cursor to reach UID %d", last), func() (bool, string) {
		cs, err := mailin.Statuses(ctx, d.Store.DB)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Mailbox == mailbox {
				return c.UIDValidity == uidValidity && c.LastUID >= uint32(last),
					fmt.Sprintf("cursor %d/%d, last error %q", c.UIDValidity, c.LastUID, c.LastError)
			}
		}
		return false, "no cursor for mailbox " + mailbox
	})
	t.Logf("intake handled %d messages in %s", len(msgs), time.Since(t0).Round(time.Millisecond))

	observeCorpus(t, d, msgs)
	checkAcknowledged(t, d, srv, msgs)
	compareCorpus(t, msgs, update)
	checkRepliesDelivered(t, cfg, msgs)
	logCorpusTable(t, msgs)
}

// observeCorpus reads what the intake recorded for each message. Each is
// found from its server copy (mailbox/uidvalidity/uid, known from APPEND):
// the intake ledger lists the copies that delivered each entry, and the
// entry's raw_id (the SHA-256 of the bytes the server served) is the
// raw_ref of the ticket message or bounce record made from it. Nothing
// here depends on how the daemon forms dedup keys.
func observeCorpus(t *testing.T, d *daemon.Daemon, msgs []*corpusMessage) {
	t.Helper()
	ctx := context.Background()
	db := d.Store.DB
	var tmsgs []tickets.Message
	readAll(t, db.Collection(tickets.CollMessages), &tmsgs)
	var bounces []tickets.BounceRecord
	readAll(t, db.Collection(tickets.CollBounces), &bounces)
	var ledger []mailin.Entry
	readAll(t, db.Collection(mailin.MessageCollection), &ledger)
	quar, err := mailin.ListQuarantine(ctx, db, "")
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := mailout.List(ctx, db, mailout.ListOptions{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	// Automatic replies carry the dedup key of the message they answer in
	// their idempotency key: ticket-ack:KEY, ticket-unknown-sender:KEY,
	// ticket-oversize:KEY.
	replies := map[string][]string{}
	for _, e := range outbox {
		kind, key, ok := strings.Cut(e.Key, ":")
		if !ok || !strings.HasPrefix(kind, "ticket-") {
			continue
		}
		replies[key] = append(replies[key], strings.TrimPrefix(e.Template, "ticket_"))
	}
	bySource := map[string]*corpusMessage{}
	for _, m := range msgs {
		bySource[m.source] = m
	}
	nameOf := func(source string) string {
		if m := bySource[source]; m != nil {
			return m.name
		}
		return "(not a corpus message: " + source + ")"
	}

	for _, m := range msgs {
		g := &m.got
		g.Filenames, g.Reply = []string{}, "none"
		var le *mailin.Entry
		for i := range ledger {
			if slices.Contains(ledger[i].Sources, m.source) {
				le = &ledger[i]
			}
		}
		var q *mailin.Quarantined
		for i := range quar {
			if quar[i].ID == m.source {
				q = &quar[i]
			}
		}
		if le != nil {
			if le.Size == 0 && len(m.raw) > 0 {
				m.problems = append(m.problems, fmt.Sprintf("the IMAP server served 0 of the file's %d bytes", len(m.raw)))
			}
		}
		var tm []tickets.Message
		var bs []tickets.BounceRecord
		if le != nil {
			for _, x := range tmsgs {
				if x.RawRef == le.RawID {
					tm = append(tm, x)
				}
			}
			for _, b := range bounces {
				if b.RawRef == le.RawID {
					bs = append(bs, b)
				}
			}
		}
		switch {
		case q != nil && q.State != mailin.QuarantineDone:
			g.Outcome = "quarantined"
			m.detail = fmt.Sprintf("quarantine %s (%s): reason %q, error %q", q.ID, q.State, q.Reason, q.Error)
		case le == nil:
			g.Outcome = "missing"
			m.detail = "no ledger entry or quarantine for " + m.source
		case !le.Ingested:
			g.Outcome = "not ingested"
			m.detail = fmt.Sprintf("ledger %s not marked ingested", le.Key)
		case len(le.Sources) > 0 && le.Sources[0] != m.source:
			// Another server copy delivered this dedup key first.
			g.Outcome, g.OpenedBy = "duplicate", nameOf(le.Sources[0])
			m.detail = fmt.Sprintf("ledger %s, first delivered by %s", le.Key, le.Sources[0])
		case len(tm)+len(bs) > 1:
			g.Outcome = "several records"
			m.detail = fmt.Sprintf("%d ticket messages and %d bounces from one mail", len(tm), len(bs))
		case len(tm) == 1:
			observeTicketMessage(t, d, m, tm[0], tmsgs, ledger, nameOf, replies)
		case len(bs) == 1:
			b := bs[0]
			g.Outcome, g.From, g.Kind, g.BounceStatus = "bounce", b.From, string(parse.KindBounce), b.Status
			if r := replies[b.Key]; len(r) > 0 {
				g.Reply = strings.Join(r, ", ")
			}
			m.detail = fmt.Sprintf("bounce %s, original %q, matched %v", b.Key, b.OriginalMessageID, b.Matched)
		case le.Ticket == 0 && m.parsed.Own:
			// Nothing but the ledger entry: the ticket service ignored it.
			g.Outcome = "own"
			m.detail = "ledger " + le.Key
		default:
			g.Outcome = "unrecorded"
			m.detail = fmt.Sprintf("ledger %s ingested, ticket %d, but no ticket message or bounce", le.Key, le.Ticket)
		}
	}
}

// observeTicketMessage fills in a message that became a ticket message.
func observeTicketMessage(t *testing.T, d *daemon.Daemon, m *corpusMessage, x tickets.Message, all []tickets.Message,
	ledger []mailin.Entry, nameOf func(string) string, replies map[string][]string) {
	t.Helper()
	ctx := context.Background()
	g := &m.got
	m.ticket = x.Ticket
	switch {
	case x.Disposition == tickets.DispRejected:
		g.Outcome = "rejected"
	case x.Opened:
		g.Outcome = "opened"
	default:
		g.Outcome = "appended"
		g.OpenedBy = "(no opening message found)"
		for _, o := range all {
			if !o.Opened || o.Ticket != x.Ticket {
				continue
			}
			for _, e := range ledger {
				if e.RawID == o.RawRef && len(e.Sources) > 0 {
					g.OpenedBy = nameOf(e.Sources[0])
				}
			}
		}
	}
	g.From, g.Registered, g.Kind, g.Thread = x.From.Address, x.Registered, x.Kind, x.Thread
	for _, a := range x.Attachments {
		n := a.Filename
		if a.Inline {
			n += " (inline)"
		}
		g.Filenames = append(g.Filenames, n)
	}
	g.Attachments = len(x.Attachments)
	if x.Ticket > 0 {
		tk, _, err := d.Tickets.Show(ctx, x.Ticket)
		if err != nil {
			t.Fatalf("%s: ticket %d: %v", m.name, x.Ticket, err)
		}
		g.Requester = tk.Requester.Address
	}
	var rec struct {
		AutoReply string `bson:"auto_reply"`
	}
	err := d.Store.DB.Collection(tickets.CollDone).FindOne(ctx, bson.D{{Key: "_id", Value: x.Key}}).Decode(&rec)
	if err != nil {
		m.problems = append(m.problems, fmt.Sprintf("no completion record for %s: %v", x.Key, err))
	}
	g.ReplyDecision = rec.AutoReply
	if r := replies[x.Key]; len(r) > 0 {
		sort.Strings(r)
		g.Reply = strings.Join(r, ", ")
	}
	m.detail = fmt.Sprintf("ticket %d, key %s", x.Ticket, x.Key)
}

func readAll(t *testing.T, coll *mongo.Collection, out any) {
	t.Helper()
	cur, err := coll.Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatalf("read %s: %v", coll.Name(), err)
	}
	if err := cur.All(context.Background(), out); err != nil {
		t.Fatalf("read %s: %v", coll.Name(), err)
	}
}

// checkAcknowledged: on the IMAP server every message is \Seen (the dev
// mailbox's after-action), except quarantined ones, which carry the
// quarantine flag instead. Intake flags a message only after storing it.
func checkAcknowledged(t *testing.T, d *daemon.Daemon, srv corpusServer, msgs []*corpusMessage) {
	t.Helper()
	addr, user, password, folder := srv.login(d)
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	var set imap.UIDSet
	for _, m := range msgs {
		set.AddNum(m.uid)
	}
	got, err := c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	flags := map[imap.UID][]imap.Flag{}
	for _, f := range got {
		flags[f.UID] = f.Flags
	}
	for _, m := range msgs {
		want := imap.FlagSeen
		if m.got.Outcome == "quarantined" {
			want = mailin.QuarantineFlag
		}
		if !slices.Contains(flags[m.uid], want) {
			t.Errorf("%s: UID %d has flags %v on the server, want %s", m.name, m.uid, flags[m.uid], want)
		}
	}
}

// compareCorpus compares every message with its golden (or rewrites the
// goldens) and reports all mismatches at once.
func compareCorpus(t *testing.T, msgs []*corpusMessage, update bool) {
	t.Helper()
	var report []string
	for _, m := range msgs {
		path := filepath.Join(corpusGoldenDir, m.name+".json")
		var want corpusGolden
		b, err := os.ReadFile(path)
		switch {
		case errors.Is(err, os.ErrNotExist) && !update:
			report = append(report, fmt.Sprintf("%s: no golden %s: create it (%s=1 go test -count=1 -run IntakeCorpus ./daemon/ "+
				"writes what the intake does now; review it, and explain anything surprising in \"note\")", m.name, path, corpusUpdateEnv))
			continue
		case err == nil:
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		case !errors.Is(err, os.ErrNotExist):
			t.Fatal(err)
		}
		if m.parsed.Kind != parse.KindNormal && m.got.Reply != "none" {
			m.problems = append(m.problems, fmt.Sprintf("automatic mail (%s) was answered: %s", m.parsed.Kind, m.got.Reply))
		}
		if len(m.problems) > 0 {
			report = append(report, fmt.Sprintf("%s: %s", m.name, strings.Join(m.problems, "; ")))
		}
		if update {
			switch {
			case m.got.Outcome == "quarantined" && want.Outcome != "quarantined":
				report = append(report, fmt.Sprintf("%s: quarantined (%s); not written to the golden: a quarantined corpus message is a bug to fix",
					m.name, m.detail))
				continue
			case len(m.problems) > 0:
				report = append(report, fmt.Sprintf("%s: not written to the golden", m.name))
				continue
			}
			g := m.got
			g.Note, g.Why = want.Note, want.Why
			var out bytes.Buffer
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(g); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(corpusGoldenDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if want.Outcome == "quarantined" && want.Why == "" {
			report = append(report, fmt.Sprintf("%s: the golden expects a quarantine but does not say why", m.name))
		}
		if diff := goldenDiff(m.got, want); diff != "" {
			report = append(report, fmt.Sprintf("%s (%s):\n%s", m.name, m.detail, strings.TrimRight(diff, "\n")))
		}
	}
	if len(report) > 0 {
		failed := map[string]bool{}
		for _, r := range report {
			failed[r[:strings.IndexAny(r, ": ")]] = true
		}
		t.Errorf("%d of %d corpus messages differ from mailin/parse/testdata/intake:\n%s",
			len(failed), len(msgs), strings.Join(report, "\n"))
	}
}

// goldenDiff lists the fields that differ, the hand-written ones aside.
func goldenDiff(got, want corpusGolden) string {
	got.Note, got.Why, want.Note, want.Why = "", "", "", ""
	gm, wm := fieldMap(got), fieldMap(want)
	var keys []string
	for k := range gm {
		keys = append(keys, k)
	}
	for k := range wm {
		if _, ok := gm[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if gm[k] != wm[k] {
			fmt.Fprintf(&b, "    %s: got %s, want %s\n", k, orAbsent(gm[k]), orAbsent(wm[k]))
		}
	}
	return b.String()
}

func fieldMap(g corpusGolden) map[string]string {
	b, err := json.Marshal(g)
	if err != nil {
		panic(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func orAbsent(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

// checkNoStaleGoldens: every golden has its .eml.
func checkNoStaleGoldens(t *testing.T, msgs []*corpusMessage) {
	t.Helper()
	goldens, err := filepath.Glob(filepath.Join(corpusGoldenDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".json")
		if !slices.ContainsFunc(msgs, func(m *corpusMessage) bool { return m.name == name }) {
			t.Errorf("golden %s has no %s.eml in %s: delete it", g, name, corpusDir)
		}
	}
}

// checkRepliesDelivered: every acknowledgement and unknown-sender reply
// leaves through the real outbox to the dev SMTP server, addressed to the
// sender, tagged with the ticket and marked automatic; nothing else goes
// out, and nothing to automatic mail.
func checkRepliesDelivered(t *testing.T, cfg config.Config, msgs []*corpusMessage) {
	t.Helper()
	type want struct {
		m    *corpusMessage
		kind string
	}
	var wants []want
	withAttachments := 0
	for _, m := range msgs {
		for _, r := range strings.Split(m.got.Reply, ", ") {
			if r == "ack" || r == "unknown_sender" {
				wants = append(wants, want{m, r})
				if m.got.Attachments > 0 {
					withAttachments++
				}
			}
		}
	}
	if withAttachments < 2 {
		t.Errorf("only %d replies to mail with attachments: the corpus or its clients no longer cover that case", withAttachments)
	}
	var sent []*parse.Message
	waitCorpus(t, 30*time.Second, fmt.Sprintf("%d automatic replies in dev-mail", len(wants)), func() (bool, string) {
		files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "dev-mail", "*.eml"))
		sent = sent[:0]
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := parse.Parse(bytes.NewReader(b), nil)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			// --dev's own accounts get mail too: the dev agent its
			// notifications of new tickets, the dev customer its welcome.
			// Only what went to the corpus's senders is checked here.
			if len(m.To) == 1 && (m.To[0].Address == daemon.DevAgent || m.To[0].Address == daemon.DevClientAddress) {
				continue
			}
			sent = append(sent, m)
		}
		return len(sent) >= len(wants), fmt.Sprintf("%d files", len(sent))
	})
	if len(sent) != len(wants) {
		t.Errorf("%d messages in dev-mail, want %d (one per ack or unknown-sender reply)", len(sent), len(wants))
	}
	subjects := map[string]string{"ack": "Recibimos su solicitud"}
	for _, w := range wants {
		tag := fmt.Sprintf("[Ticket #%d]", w.m.ticket)
		i := slices.IndexFunc(sent, func(s *parse.Message) bool { return s.TicketRef == fmt.Sprint(w.m.ticket) })
		if i < 0 {
			t.Errorf("%s: no %s reply tagged %s in dev-mail", w.m.name, w.kind, tag)
			continue
		}
		s := sent[i]
		switch {
		case !strings.Contains(s.Subject, tag):
			t.Errorf("%s: reply subject %q lacks %s", w.m.name, s.Subject, tag)
		case s.Kind != parse.KindAutoReply:
			t.Errorf("%s: reply is %s (%s), not marked automatic", w.m.name, s.Kind, s.KindReason)
		case len(s.To) != 1 || s.To[0].Address != w.m.got.Requester:
			t.Errorf("%s: reply to %+v, want %s", w.m.name, s.To, w.m.got.Requester)
		case s.InReplyTo != w.m.parsed.MessageID:
			t.Errorf("%s: reply In-Reply-To %q, want %q", w.m.name, s.InReplyTo, w.m.parsed.MessageID)
		case subjects[w.kind] != "" && !strings.Contains(s.Subject, subjects[w.kind]):
			t.Errorf("%s: %s reply subject %q is not that template's", w.m.name, w.kind, s.Subject)
		}
	}
	// Whatever went out answers a corpus message of kind normal.
	for _, s := range sent {
		i := slices.IndexFunc(msgs, func(m *corpusMessage) bool { return m.ticket > 0 && fmt.Sprint(m.ticket) == s.TicketRef })
		switch {
		case i < 0:
			t.Errorf("dev-mail holds %q to %+v, which answers no corpus message", s.Subject, s.To)
		case msgs[i].parsed.Kind != parse.KindNormal:
			t.Errorf("dev-mail holds %q: an answer to %s, automatic mail (%s)", s.Subject, msgs[i].name, msgs[i].parsed.Kind)
		}
	}
}

// logCorpusTable prints one line per message and the counts by outcome.
func logCorpusTable(t *testing.T, msgs []*corpusMessage) {
	t.Helper()
	counts := map[string]int{}
	var b strings.Builder
	for _, m := range msgs {
		g := m.got
		counts[g.Outcome]++
		fmt.Fprintf(&b, "  %-34s %-11s %-10s att=%d reply=%-14s %-28s %s\n", m.name, g.Outcome, g.Kind, g.Attachments, g.Reply, g.Requester, m.detail)
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sum []string
	for _, k := range keys {
		sum = append(sum, fmt.Sprintf("%s %d", k, counts[k]))
	}
	t.Logf("corpus outcomes (%d messages): %s\n%s", len(msgs), strings.Join(sum, ", "), b.String())
}

// waitCorpus polls cond until it holds or the deadline passes; state says
// where things stand, for the failure message.
func waitCorpus(t *testing.T, limit time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %s", limit, what, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
