package mailin

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/internal/testenv"
	"turno/tickets"
)

// TestDovecotKill9DuringIntake runs the real `turno serve` binary on a shared
// embedded store, kills it with SIGKILL at random points while it takes in
// 2,000 messages, restarts it each time, and checks that every message ends
// up exactly once in the ledger, ingested, and flagged \Seen on the server.
func TestDovecotKill9DuringIntake(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the turno binary")
	}
	c, mb := dovecotFolder(t, "kill")
	const n = 2000
	for i := range n {
		appendMsg(t, c, mb.Folder, mail(fmt.Sprintf("k%d@x", i), fmt.Sprintf("caída %d", i)))
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
	deadline := time.Now().Add(4 * time.Minute)
	kills := 0
	for kills < 8 && ledgerCount() < n && time.Now().Before(deadline) {
		cmd := start()
		// Lease takeover after a kill needs up to lease_ttl; then work.
		time.Sleep(time.Duration(3500+rand.IntN(2500)) * time.Millisecond)
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
}
