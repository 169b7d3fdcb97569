// Package devserve starts `turno serve --dev` in-process for tests that
// need the whole daemon (the CLI's, the portal's and the console's
// browser walk-throughs): a fresh data directory, dev IMAP and SMTP on
// free loopback ports, and the HTTP listener on a port fixed before start,
// so the links the daemon mails (the portal's set-password link follows
// http.listen in --dev) point at it.
package devserve

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
)

// Server is a running dev daemon.
type Server struct {
	D    *daemon.Daemon
	Base string // "http://127.0.0.1:PORT"
	Dir  string // the data directory
	// Stop stops it once (also run at the test's cleanup).
	Stop func()
}

// Start runs serve --dev until it is ready; tune adjusts the configuration
// first. It fails the test if the daemon stops or is not ready in 60 s.
func Start(t testing.TB, tune ...func(*config.Config)) *Server {
	t.Helper()
	dir := t.TempDir()
	addr := freePort(t)
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.HTTP.Listen = addr
	cfg.Dev.IMAPListen, cfg.Dev.SMTPListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Shutdown.GracePeriod = config.Duration(5 * time.Second)
	for _, f := range tune {
		f(&cfg)
	}
	d, err := daemon.New(daemon.Options{Config: cfg, Dev: true, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	var once sync.Once
	stop := func() { once.Do(func() { d.Stop(); <-done }) }
	t.Cleanup(stop)
	select {
	case <-d.Ready():
	case err := <-done:
		t.Fatalf("daemon stopped: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("daemon not ready")
	}
	return &Server{D: d, Base: "http://" + addr, Dir: dir, Stop: stop}
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
