package mailin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"turno/config"
	"turno/internal/testenv"
)

// TestLoginErrorClassification: only the server's NO or BAD is permanent.
func TestLoginErrorClassification(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	for _, tc := range []struct {
		name      string
		err       error
		permanent bool
	}{
		{"NO", &imap.Error{Type: imap.StatusResponseTypeNo, Text: "invalid credentials"}, true},
		{"NO AUTHENTICATIONFAILED", &imap.Error{Type: imap.StatusResponseTypeNo,
			Code: imap.ResponseCodeAuthenticationFailed, Text: "Authentication failed."}, true},
		{"BAD", &imap.Error{Type: imap.StatusResponseTypeBad, Text: "unknown mechanism"}, true},
		{"NO UNAVAILABLE", &imap.Error{Type: imap.StatusResponseTypeNo,
			Code: imap.ResponseCodeUnavailable, Text: "Temporary authentication failure"}, false},
		{"connection reset", reset, false},
		{"timeout", timeout, false},
		{"EOF", io.EOF, false},
		{"unexpected EOF", io.ErrUnexpectedEOF, false},
		{"closed", net.ErrClosed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := loginError(fmt.Errorf("login as ana: %w", tc.err))
			if got := IsPermanent(err); got != tc.permanent {
				t.Fatalf("IsPermanent(%v) = %v, want %v", err, got, tc.permanent)
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("%v does not wrap %v", err, tc.err)
			}
		})
	}
}

// loginServer is a raw TCP IMAP server that greets, reads LOGIN (or
// AUTHENTICATE and its initial response) and then does what answer says:
// "reset" (RST), "close" (FIN), or sends answer as the tagged response.
// Connections after the first are proxied to upstream when it is set.
type loginServer struct {
	addr    string
	accepts atomic.Int32
}

func startLoginServer(t *testing.T, answer, upstream string) *loginServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &loginServer{addr: ln.Addr().String()}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	track := func(c net.Conn) { mu.Lock(); conns = append(conns, c); mu.Unlock() }
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			track(c)
			n := s.accepts.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if n > 1 && upstream != "" {
					proxy(c, upstream, track)
					return
				}
				scriptLogin(c, answer)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

func scriptLogin(c net.Conn, answer string) {
	defer c.Close()
	r := bufio.NewReader(c)
	if _, err := io.WriteString(c, "* OK [CAPABILITY IMAP4rev1] ready\r\n"); err != nil {
		return
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return
	}
	if strings.EqualFold(f[1], "AUTHENTICATE") {
		if _, err := io.WriteString(c, "+ \r\n"); err != nil {
			return
		}
		if _, err := r.ReadString('\n'); err != nil {
			return
		}
	}
	switch answer {
	case "reset":
		c.(*net.TCPConn).SetLinger(0)
		return
	case "close":
		return
	}
	if _, err := io.WriteString(c, f[0]+" "+answer+"\r\n"); err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, r) // until the client hangs up
}

func proxy(c net.Conn, upstream string, track func(net.Conn)) {
	defer c.Close()
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	track(u)
	defer u.Close()
	done := make(chan struct{})
	go func() { _, _ = io.Copy(u, c); u.Close(); close(done) }()
	_, _ = io.Copy(c, u)
	c.Close()
	<-done
}

func mailboxAt(t *testing.T, addr string) config.MailboxConfig {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return config.MailboxConfig{Name: "soporte", Host: host, Port: p, TLS: "none",
		Username: "soporte@example.test", Password: "secreto", PollInterval: config.Duration(time.Hour)}.Normalized()
}

func dialTest(t *testing.T, mb config.MailboxConfig) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := dial(ctx, mb, &imapclient.Options{})
	if err == nil {
		c.Close()
	}
	return err
}

// TestDialLoginFailuresOverTheWire: a connection lost during LOGIN or
// AUTHENTICATE is transient; the server refusing the credentials is
// permanent.
func TestDialLoginFailuresOverTheWire(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, oauth2, answer string
		permanent            bool
	}{
		{"login reset", "", "reset", false},
		{"login closed", "", "close", false},
		{"login NO", "", "NO [AUTHENTICATIONFAILED] Authentication failed.", true},
		{"login BAD", "", "BAD Error in IMAP command LOGIN", true},
		{"login NO UNAVAILABLE", "", "NO [UNAVAILABLE] Temporary authentication failure.", false},
		{"xoauth2 reset", "xoauth2", "reset", false},
		{"xoauth2 NO", "xoauth2", "NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)", true},
		{"oauthbearer reset", "oauthbearer", "reset", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startLoginServer(t, tc.answer, "")
			mb := mailboxAt(t, srv.addr)
			if tc.oauth2 != "" {
				mb.OAuth2, mb.Password, mb.TokenFile = tc.oauth2, "", tokenFile
			}
			err := dialTest(t, mb)
			if err == nil {
				t.Fatal("dial succeeded, want an error")
			}
			t.Log(err)
			if got := IsPermanent(err); got != tc.permanent {
				t.Fatalf("IsPermanent(%v) = %v, want %v", err, got, tc.permanent)
			}
		})
	}
}

// TestDialLoginWrongPasswordIsPermanent uses go-imap's in-memory server.
func TestDialLoginWrongPasswordIsPermanent(t *testing.T) {
	srv := testenv.IMAP(t)
	mb := mailboxFor(srv, "soporte")
	if err := dialTest(t, mb); err != nil {
		t.Fatalf("right password: %v", err)
	}
	mb.Password = "otro"
	err := dialTest(t, mb)
	if err == nil || !IsPermanent(err) {
		t.Fatalf("wrong password: err = %v, permanent %v; want a permanent error", err, IsPermanent(err))
	}
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Type != imap.StatusResponseTypeNo {
		t.Fatalf("wrong password: %v is not an IMAP NO", err)
	}
}

// TestLoginResetReconnects: the watcher retries after a reset during LOGIN
// and then reads the mailbox.
func TestLoginResetReconnects(t *testing.T) {
	up := testenv.IMAP(t, mail("reset@x", "tras el reset"))
	srv := startLoginServer(t, "reset", up.Addr)
	db := testenv.DB(t)
	rec := &recorder{}
	mb := mailboxAt(t, srv.addr)
	mb.Username, mb.Password = up.Username, up.Password
	startService(t, db, rec, mb)
	waitFor(t, "message ingested after the reset", func() (bool, error) { return rec.count() == 1, nil })
	if n := srv.accepts.Load(); n < 2 {
		t.Fatalf("%d connections, want a reconnect", n)
	}
}
