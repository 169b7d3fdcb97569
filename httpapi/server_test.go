package httpapi_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"turno/httpapi"
	"turno/internal/testcert"
)

func startServer(t *testing.T, opts httpapi.Options) *httpapi.Server {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	s := httpapi.New(opts)
	s.HandleFunc("GET /api/v1/tickets/{number}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s
}

func body(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Requests are labelled by route pattern, never by the raw path.
func TestMetricsByRoutePattern(t *testing.T) {
	s := startServer(t, httpapi.Options{Gatherer: prometheus.NewRegistry()})
	base := "http://" + s.Addr()
	for _, p := range []string{"/api/v1/tickets/100001", "/api/v1/tickets/100002", "/nowhere/123"} {
		body(t, http.DefaultClient, base+p)
	}
	_, m := body(t, http.DefaultClient, base+"/metrics")
	for _, want := range []string{
		`turno_http_requests_total{method="GET",route="/api/v1/tickets/{number}",status="418"} 2`,
		`turno_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`turno_http_request_duration_seconds_count{method="GET",route="/api/v1/tickets/{number}",status="418"} 2`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(m, "100001") {
		t.Error("a ticket number is in a metric label")
	}
}

// With a certificate the listener speaks TLS only.
func TestTLSListener(t *testing.T) {
	cert, key, pool := testcert.Pair(t)
	s := startServer(t, httpapi.Options{TLSCertFile: cert, TLSKeyFile: key})
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "turno.test"}}}
	if code, b := body(t, c, "https://"+s.Addr()+"/healthz"); code != 200 || b != "ok\n" {
		t.Fatalf("https /healthz: %d %q", code, b)
	}
	resp, err := http.Get("http://" + s.Addr() + "/healthz")
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP answered on a TLS listener")
		}
	}
}

func TestTLSBadPairFailsStart(t *testing.T) {
	cert, _, _ := testcert.Pair(t)
	s := httpapi.New(httpapi.Options{Addr: "127.0.0.1:0", TLSCertFile: cert, TLSKeyFile: cert})
	if err := s.Start(); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("want a TLS error, got %v", err)
	}
}

// closedWithin reports whether the server closes conn within bound: a
// read returns EOF (or a reset) instead of timing out on our side. Any
// bytes the server sends first (an error response) are read past.
func closedWithin(t *testing.T, conn net.Conn, bound time.Duration) bool {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(bound)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		_, err := conn.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}
}

func dial(t *testing.T, s *httpapi.Server) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// An idle keep-alive connection is closed once IdleTimeout passes with no
// next request (it stayed open past 40 s when only ReadHeaderTimeout was
// set).
func TestIdleKeepAliveConnectionClosed(t *testing.T) {
	s := startServer(t, httpapi.Options{IdleTimeout: 200 * time.Millisecond})
	conn := dial(t, s)
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: turno\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("status %d, close %v: want a kept-alive 200", resp.StatusCode, resp.Close)
	}
	if !closedWithin(t, conn, 15*time.Second) {
		t.Fatal("the idle keep-alive connection is still open long past IdleTimeout")
	}
}

// A request whose body trickles in is cut off by ReadTimeout.
func TestSlowBodyConnectionClosed(t *testing.T) {
	s := startServer(t, httpapi.Options{ReadTimeout: 300 * time.Millisecond})
	s.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	})
	conn := dial(t, s)
	if _, err := io.WriteString(conn, "POST /echo HTTP/1.1\r\nHost: turno\r\nContent-Length: 1000\r\n\r\nabc"); err != nil {
		t.Fatal(err)
	}
	if !closedWithin(t, conn, 15*time.Second) {
		t.Fatal("a request with an unfinished body is still open long past ReadTimeout")
	}
}

// A header over MaxHeaderBytes is refused with 431; the defaults are set
// when Options leave them zero.
func TestHeaderSizeLimit(t *testing.T) {
	if httpapi.DefaultLimits.MaxHeaderBytes != 64<<10 || httpapi.DefaultLimits.IdleTimeout <= 0 ||
		httpapi.DefaultLimits.ReadTimeout <= 0 || httpapi.DefaultLimits.WriteTimeout <= 0 {
		t.Fatalf("default limits %+v", httpapi.DefaultLimits)
	}
	s := startServer(t, httpapi.Options{})
	req, _ := http.NewRequest(http.MethodGet, "http://"+s.Addr()+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 128<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a 128 KiB header: status %d, want 431", resp.StatusCode)
	}
	req.Header.Set("X-Big", strings.Repeat("a", 32<<10))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a 32 KiB header: status %d, want 200", resp.StatusCode)
	}
}
