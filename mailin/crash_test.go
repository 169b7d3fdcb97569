package mailin

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/internal/testenv"
	"turno/tickets"
)

// TestDovecotKill9DuringIntake runs the real `turno serve` binary on a shared
// embedded store, kills it with SIGKILL at random points while it takes in
// 1,000 messages (5% with 100 KB–2 MB attachments), restarts it each time,
// and checks that every message ends up exactly once in the ledger,
// ingested, flagged \Seen on the server, as one ticket message (receipts
// with their attachment), and that nothing was quarantined.
func TestDovecotKill9DuringIntake(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the turno binary")
	}
	c, mb := dovecotFolder(t, "kill")
	const n = 1000
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("TURNO_TEST_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d (TURNO_TEST_SEED replays it)", seed)
	rnd := rand.New(rand.NewPCG(seed, 0))
	// 5% carry a 100 KB–2 MB attachment, as customers' receipts do.
	withAttachment := map[string]bool{}
	for i := range n {
		id := fmt.Sprintf("k%d@x", i)
		if rnd.IntN(20) == 0 {
			withAttachment[id] = true
			appendMsg(t, c, mb.Folder, mailWithAttachment(id, fmt.Sprintf("comprobante %d", i), 100<<10+rnd.IntN(1900<<10), rnd))
			continue
		}
		appendMsg(t, c, mb.Folder, mail(id, fmt.Sprintf("caída %d", i)))
	}
	st := testenv.Store(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "turno")
	if out, err := exec.Command("go", "build", "-o", bin, "turno/cmd/turno").CombinedOutput(); err != nil {
		t.Fatalf("build turno: %v\n%s", err, out)
	}
	cfgPath := filepath.Join(dir, "turno.toml")
	cfg := fmt.Sprintf(`data_dir = %q
[http]
listen = "127.0.0.1:0"
[mongodb]
database = %q
[intake]
lease_ttl = "3s"
[[mailboxes]]
name = "kill"
host = %q
port = %d
tls = "none"
username = %q
password = %q
folder = %q
poll_interval = "1s"
`, dir, testenv.DBName(t), mb.Host, mb.Port, mb.Username, mb.Password, mb.Folder)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ledgerCount := func() int64 {
		k, err := st.DB.Collection(MessageCollection).CountDocuments(context.Background(), bson.D{{Key: "ingested", Value: true}})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--config", cfgPath)
		cmd.Env = append(os.Environ(), "TURNO_MONGODB_URI="+st.URI)
		if testing.Verbose() {
			cmd.Stderr = os.Stderr
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	deadline := time.Now().Add(12 * time.Minute)
	kills := 0
	for kills < 8 && ledgerCount() < n && time.Now().Before(deadline) {
		before := ledgerCount()
		cmd := start()
		// Lease takeover after a kill needs up to lease_ttl, and a restart
		// first re-reads the batch the kill interrupted: kill only once
		// this process has taken new mail in, at a random point after.
		for wait := time.Now().Add(time.Minute); ledgerCount() == before && time.Now().Before(wait); {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Duration(rnd.IntN(3000)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		kills++
		t.Logf("kill %d: %d of %d ingested", kills, ledgerCount(), n)
	}
	cmd := start()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	for {
		u, err := unseenIn(c, mb.Folder)
		if err != nil {
			t.Fatal(err)
		}
		if u == 0 && ledgerCount() == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d kills: %d unseen, %d ingested of %d", kills, u, ledgerCount(), n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	total, err := st.DB.Collection(MessageCollection).CountDocuments(context.Background(), bson.D{})
	if err != nil || total != n {
		t.Fatalf("ledger has %d entries (%v), want exactly %d", total, err, n)
	}
	// turno serve hands every message to tickets: one ticket message each.
	tm, err := st.DB.Collection(tickets.CollMessages).CountDocuments(context.Background(), bson.D{})
	if err != nil || tm != n {
		t.Fatalf("%d ticket messages (%v), want exactly %d", tm, err, n)
	}
	if kills == 0 {
		t.Fatal("the binary was never killed")
	}
	if q, err := ListQuarantine(context.Background(), st.DB, ""); err != nil || len(q) != 0 {
		t.Fatalf("quarantined: %+v %v", q, err)
	}
	// Every receipt is on its ticket message with its attachment listed.
	for id := range withAttachment {
		var m tickets.Message
		if err := st.DB.Collection(tickets.CollMessages).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&m); err != nil {
			t.Fatalf("ticket message %s: %v", id, err)
		}
		if m.Ticket == 0 || len(m.Attachments) != 1 || m.Attachments[0].Filename != "comprobante.pdf" {
			t.Fatalf("ticket message %s: ticket %d, attachments %+v", id, m.Ticket, m.Attachments)
		}
	}
	t.Logf("%d messages, %d with attachments, after %d kills: one ticket message each, none quarantined", n, len(withAttachment), kills)
}

// mailWithAttachment is a customer's mail with a PDF of size bytes attached
// (base64, 76-character lines, as mailers write it).
func mailWithAttachment(id, subject string, size int, rnd *rand.Rand) []byte {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(rnd.Uint32())
	}
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	b.WriteString("Message-ID: <" + id + ">\r\nFrom: Ana <ana@cliente.cl>\r\nTo: soporte@example.test\r\nSubject: " + subject +
		"\r\nDate: Mon, 02 Jun 2025 10:00:00 -0400\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"sep\"\r\n\r\n--sep\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Adjunto el comprobante de pago.\r\n--sep\r\nContent-Type: application/pdf; name=\"comprobante.pdf\"\r\n" +
		"Content-Disposition: attachment; filename=\"comprobante.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--sep--\r\n")
	return []byte(b.String())
}
