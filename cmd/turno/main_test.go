package main_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// turnoBin builds the binary once per test run.
func turnoBin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "turno")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitReady polls /readyz until it answers 200; the process is the thing
// under test, so polling its public endpoint is the honest signal.
func waitReady(t *testing.T, addr string, cmd *exec.Cmd, stderr *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("turno serve not ready on %s; stderr:\n%s", addr, stderr)
}

func TestServeStopsOnSIGINTWithExitZeroAndKeepsData(t *testing.T) {
	bin := turnoBin(t)
	work := t.TempDir()
	for run := 1; run <= 2; run++ {
		addr := freePort(t)
		cmd := exec.Command(bin, "serve")
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "TURNO_HTTP_LISTEN="+addr, "TURNO_SHUTDOWN_GRACE_PERIOD=5s")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitReady(t, addr, cmd, &stderr)
		if _, err := os.Stat(filepath.Join(work, "turno-data", "db")); err != nil {
			t.Fatalf("run %d: no data under ./turno-data: %v", run, err)
		}
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err := cmd.Wait()
		if err != nil {
			t.Fatalf("run %d: exit %v after SIGINT; stderr:\n%s", run, err, &stderr)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("run %d: took %s to stop, grace is 5s", run, d)
		}
		if run == 2 && !strings.Contains(stderr.String(), filepath.Join(work, "turno-data", "db")) {
			t.Fatalf("second start does not log where the data are:\n%s", &stderr)
		}
	}
}

func TestServeUnreachableMongoDBFailsFast(t *testing.T) {
	bin := turnoBin(t)
	cmd := exec.Command(bin, "serve")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(),
		"TURNO_MONGODB_URI=mongodb://turno:s3cret@127.0.0.1:1/",
		"TURNO_MONGODB_CONNECT_TIMEOUT=1s",
		"TURNO_HTTP_LISTEN="+freePort(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	if err == nil {
		t.Fatal("want a non-zero exit")
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Fatalf("took %s with a 1s timeout", d)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "127.0.0.1:1") || strings.Contains(lines[0], "s3cret") {
		t.Fatalf("want one clear line without the password, got:\n%s", &stderr)
	}
	if _, err := os.Stat(filepath.Join(cmd.Dir, "turno-data")); err == nil {
		t.Fatal("created a data directory although a URI was set")
	}
}

func TestConfigCheckRejectsUnknownKey(t *testing.T) {
	bin := turnoBin(t)
	p := filepath.Join(t.TempDir(), "turno.toml")
	if err := os.WriteFile(p, []byte("[http]\nlisten = \"127.0.0.1:8025\"\nlisen = \"x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "config", "check", p).CombinedOutput()
	if err == nil {
		t.Fatalf("want a non-zero exit, got:\n%s", out)
	}
	want := fmt.Sprintf("%s:3: unknown key \"http.lisen\"", p)
	if !strings.Contains(string(out), want) {
		t.Fatalf("want %q in:\n%s", want, out)
	}
}
