package daemon_test

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
)

// gatedProxy forwards TCP connections to target once opened; until then it
// hangs up on every connection, as a mail server that is down would.
type gatedProxy struct {
	addr string
	open atomic.Bool
}

func newGatedProxy(t *testing.T, target string) *gatedProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &gatedProxy{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !p.open.Load() {
				c.Close()
				continue
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(up, c); up.Close() }()
				_, _ = io.Copy(c, up)
			}()
		}
	}()
	return p
}

// notifySocket listens where NOTIFY_SOCKET points and passes on every
// datagram the daemon sends.
func notifySocket(t *testing.T) <-chan string {
	dir, err := os.MkdirTemp("", "sdn") // a short path: unix socket names are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	return msgs
}

// `turno serve` under systemd (Type=notify): READY=1 reaches NOTIFY_SOCKET
// only once /readyz answers ready, the store open and the listener up. While
// its mailbox's server hangs up, the daemon has started but is not ready:
// it reports what it waits for in STATUS= and sends no READY=1; once the
// server answers, READY=1 arrives and /readyz says ok for the database and
// the mailbox. Stopping sends STOPPING=1.
func TestSystemdNotifyReadyOnlyWhenReadyz(t *testing.T) {
	msgs := notifySocket(t)
	srv := testenv.IMAP(t)
	proxy := newGatedProxy(t, srv.Addr)
	mb := watched(srv, "soporte")
	host, port, _ := net.SplitHostPort(proxy.addr)
	mb.Host = host
	mb.Port, _ = strconv.Atoi(port)
	cfg := testConfig(t)
	cfg.Mailboxes = []config.MailboxConfig{mb}

	d, done := start(t, daemon.Options{Config: cfg})
	stopped := false
	defer func() {
		if !stopped {
			d.Stop()
			<-done
		}
	}()
	base := "http://" + d.HTTP.Addr()

	var seen []string
	next := func(what string) string {
		t.Helper()
		select {
		case m := <-msgs:
			seen = append(seen, m)
			return m
		case <-time.After(60 * time.Second):
			t.Fatalf("no %s on NOTIFY_SOCKET after 60s; received %q", what, seen)
			return ""
		}
	}

	// Not ready: the mailbox is down. The notifier says what it waits for.
	for m := next("STATUS= naming the mailbox"); !strings.Contains(m, "mailbox:soporte"); m = next("STATUS= naming the mailbox") {
		if strings.Contains(m, "READY=1") {
			t.Fatalf("READY=1 while the mailbox was down: %q", seen)
		}
	}
	if strings.Contains(strings.Join(seen, "\n"), "READY=1") {
		t.Fatalf("READY=1 while the mailbox was down: %q", seen)
	}
	if code, body := get(t, base+"/readyz"); code != 503 {
		t.Fatalf("/readyz %d %s with the mailbox down; want 503", code, body)
	}

	proxy.open.Store(true)
	for m := next("READY=1"); !strings.Contains(m, "READY=1"); m = next("READY=1") {
	}
	code, body := get(t, base+"/readyz")
	var ready struct {
		Status string
		Checks map[string]string
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || code != 200 ||
		ready.Checks["database"] != "ok" || ready.Checks["mailbox:soporte"] != "ok" {
		t.Fatalf("READY=1 sent, but /readyz answers %d %s", code, body)
	}

	d.Stop()
	stopped = true
	if err := <-done; err != nil {
		t.Fatalf("stop: %v", err)
	}
	for m := next("STOPPING=1"); !strings.Contains(m, "STOPPING=1"); m = next("STOPPING=1") {
	}
}

// While it starts, the daemon pushes systemd's start timeout back
// (EXTEND_TIMEOUT_USEC, with a STATUS= saying how long), so a first start
// that builds projections over a year of history is not killed at
// TimeoutStartSec; once started it stops extending and READY=1 follows.
func TestSystemdStartTimeoutExtendedWhileStarting(t *testing.T) {
	msgs := notifySocket(t)
	defer daemon.SetStartExtendEvery(20 * time.Millisecond)()
	d, done := start(t, daemon.Options{Config: testConfig(t)})
	defer func() { d.Stop(); <-done }()
	var before []string
	for {
		select {
		case m := <-msgs:
			before = append(before, m)
		case <-time.After(60 * time.Second):
			t.Fatalf("no READY=1 after 60s; received %q", before)
		}
		if strings.Contains(before[len(before)-1], "READY=1") {
			break
		}
	}
	extended := 0
	for _, m := range before {
		if strings.HasPrefix(m, "EXTEND_TIMEOUT_USEC=60000\n") && strings.Contains(m, "STATUS=starting for ") {
			extended++
		}
	}
	if extended == 0 {
		t.Fatalf("no EXTEND_TIMEOUT_USEC while starting: %q", before)
	}
	// Started: no more extensions (one already in flight may land).
	time.Sleep(100 * time.Millisecond)
	for len(msgs) > 0 {
		<-msgs
	}
	select {
	case m := <-msgs:
		if strings.Contains(m, "EXTEND_TIMEOUT_USEC") {
			t.Fatalf("still extending after READY=1: %q", m)
		}
	case <-time.After(300 * time.Millisecond):
	}
}
