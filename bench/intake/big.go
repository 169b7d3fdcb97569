package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/mailin"
	"turno/store"
	"turno/tickets"
)

// bigMessage measures what one large message costs a real `turno serve`: it
// builds the binary (or uses bin, to compare with another build), runs it on a fresh embedded store watching a fresh
// Dovecot folder, waits until it is ready and idle, resets the process's
// peak RSS (clear_refs), delivers one message of about mb MB (a short text
// and a base64 attachment; with text, one long text/plain body instead)
// and waits until the server shows it \Seen. It
// prints the idle RSS, the peak RSS while the message was taken in, and the
// difference, which is what the message cost.
func bigMessage(addr, user, pass, bin string, mb int, text bool) error {
	dir := tempDir("turno-bench-big-")
	if bin == "" {
		bin = filepath.Join(dir, "turno")
		if out, err := exec.Command("go", "build", "-o", bin, "turno/cmd/turno").CombinedOutput(); err != nil {
			return fmt.Errorf("build turno: %v\n%s", err, out)
		}
	}
	c := login(addr, user, pass)
	defer c.Close()
	folder := fmt.Sprintf("bench-big-%d", time.Now().UnixNano())
	if err := c.Create(folder, nil).Wait(); err != nil {
		return err
	}
	defer deleteFolder(c, folder)
	httpAddr, err := freeAddr()
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(addr)
	cfg := fmt.Sprintf(`data_dir = %q
[http]
listen = %q
[log]
level = "warn"
[[mailboxes]]
name = "big"
host = %q
port = %s
tls = "none"
username = %q
password = %q
folder = %q
poll_interval = "1s"
`, filepath.Join(dir, "data"), httpAddr, host, port, user, pass, folder)
	cfgPath := filepath.Join(dir, "turno.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // it ends with the bench
	if err := cmd.Start(); err != nil {
		return err
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		return cmd.Wait()
	}
	defer func() { _ = stop() }()
	pid := cmd.Process.Pid
	if err := waitReady("http://"+httpAddr+"/readyz", time.Minute); err != nil {
		return err
	}
	time.Sleep(3 * time.Second) // past the first poll: idle
	idleRSS, startHWM := procKB(pid, "VmRSS"), procKB(pid, "VmHWM")
	// Reset VmHWM to the current RSS, so the peak read later is this message's.
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		return fmt.Errorf("reset peak RSS: %w", err)
	}
	msg := bigMail(mb)
	if text {
		msg = bigText(mb)
	}
	t0 := time.Now()
	appendMsg(c, folder, msg)
	if err := waitSeen(c, folder, 5*time.Minute); err != nil {
		return err
	}
	took := time.Since(t0)
	peak := procKB(pid, "VmHWM")
	after := procKB(pid, "VmRSS")
	if err := stop(); err != nil {
		return fmt.Errorf("turno serve: %w", err)
	}
	tm, quarantined, err := outcome(filepath.Join(dir, "data"))
	if err != nil {
		return err
	}
	fmt.Printf("big: one %.1f MB message to `turno serve` (embedded store): stored in %s; %d ticket message(s), %d quarantined\n",
		float64(len(msg))/1e6, took.Round(time.Millisecond), tm, len(quarantined))
	fmt.Printf("big: idle RSS %.1f MiB (startup peak %.1f MiB); peak RSS during the message %.1f MiB; peak above idle %.1f MiB; RSS after %.1f MiB\n",
		mib(idleRSS), mib(startHWM), mib(peak), mib(peak-idleRSS), mib(after))
	for _, q := range quarantined {
		fmt.Printf("big: quarantined %s: %s: %s\n", q.ID, q.Reason, q.Error)
	}
	if tm != 1 || len(quarantined) > 0 {
		return fmt.Errorf("want one ticket message and no quarantine")
	}
	return nil
}

// bigMail is a support mail of about mb MB: a short text and one base64
// attachment of random bytes, lines of 76 characters.
func bigMail(mb int) []byte {
	raw := make([]byte, mb*1_000_000*57/78) // base64 with CRLF: 78 bytes per 57
	_, _ = rand.Read(raw)
	enc := base64.StdEncoding.EncodeToString(raw)
	var b strings.Builder
	b.Grow(mb*1_000_000 + 4096)
	fmt.Fprintf(&b, "Message-ID: <big-%d@cliente.cl>\r\nFrom: Cliente <grande@cliente.cl>\r\nTo: soporte@example.cl\r\n"+
		"Subject: Respaldo de la base de datos\r\nDate: Mon, 02 Jun 2025 10:00:00 -0400\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n--=_b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Adjunto el respaldo que pidieron.\r\n--=_b\r\nContent-Type: application/octet-stream\r\n"+
		"Content-Disposition: attachment; filename=\"respaldo.tar.gz\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		time.Now().UnixNano())
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--=_b--\r\n")
	return []byte(b.String())
}

// bigText is a support mail whose text/plain body is about mb MB of
// Spanish prose (a pasted log, a forwarded thread).
func bigText(mb int) []byte {
	var b strings.Builder
	b.Grow(mb*1_000_000 + 4096)
	fmt.Fprintf(&b, "Message-ID: <big-%d@cliente.cl>\r\nFrom: Cliente <grande@cliente.cl>\r\nTo: soporte@example.cl\r\n"+
		"Subject: Registro completo del servidor\r\nDate: Mon, 02 Jun 2025 10:00:00 -0400\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", time.Now().UnixNano())
	for i := 0; b.Len() < mb*1_000_000; i++ {
		fmt.Fprintf(&b, "%08d el servicio de correo rechazó la conexión desde 192.0.2.%d, reintento en %d s\r\n", i, i%256, i%60)
	}
	return []byte(b.String())
}

// outcome opens the stopped daemon's store and counts its ticket messages
// and quarantined mail.
func outcome(dataDir string) (int64, []mailin.Quarantined, error) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dataDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return 0, nil, err
	}
	defer st.Close(ctx)
	tm, err := st.DB.Collection(tickets.CollMessages).CountDocuments(ctx, bson.D{})
	if err != nil {
		return 0, nil, err
	}
	q, err := mailin.ListQuarantine(ctx, st.DB, "")
	return tm, q, err
}

// waitSeen waits until every message in folder is \Seen (stored and
// acknowledged) or the folder is empty (moved to quarantine).
func waitSeen(c *imapclient.Client, folder string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if unseen(c, folder) == 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("message not taken in after %s", limit)
}

func waitReady(url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s", url, limit)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// procKB reads a "Vm…: N kB" line of /proc/pid/status.
func procKB(pid int, key string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func mib(kb int64) float64 { return float64(kb) / 1024 }
