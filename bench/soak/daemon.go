package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a running `turno serve --dev`.
type child struct {
	cmd                  *exec.Cmd
	http, imap, smtpAddr string
	token                string
	logs                 *bytes.Buffer
	exited               chan error
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// env is the child's configuration: everything from the environment.
func childEnv(dir, httpAddr, imapAddr, smtpAddr string, numberStart int) []string {
	return append(os.Environ(), "TURNO_DATA_DIR="+dir, "TURNO_HTTP_LISTEN="+httpAddr,
		"TURNO_DEV_IMAP_LISTEN="+imapAddr, "TURNO_DEV_SMTP_LISTEN="+smtpAddr, "TURNO_LOG_LEVEL="+childLogLevel,
		"TURNO_TICKETS_NUMBER_START="+strconv.Itoa(numberStart),
		// The bench runs retention itself, between the two measurements.
		"TURNO_RETENTION_ENABLED=false")
}

// childLogLevel is the children's log level: warn, or info with -logs.
var childLogLevel = "warn"

// startChild starts the binary on dir and waits for /readyz and the dev
// token it prints. With logFile set, its log is also appended there.
func startChild(bin, dir string, numberStart int, logFile string) (*child, error) {
	var addrs [3]string
	for i := range addrs {
		a, err := freeAddr()
		if err != nil {
			return nil, err
		}
		addrs[i] = a
	}
	c := &child{http: addrs[0], imap: addrs[1], smtpAddr: addrs[2], logs: &bytes.Buffer{}, exited: make(chan error, 1)}
	c.cmd = exec.Command(bin, "serve", "--dev")
	c.cmd.Env = childEnv(dir, addrs[0], addrs[1], addrs[2], numberStart)
	var stderr io.Writer = c.logs
	if logFile != "" {
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		stderr = io.MultiWriter(c.logs, f) // the file is closed when the bench exits
	}
	c.cmd.Stderr = &lockedWriter{w: stderr}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	tokens := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "Token" {
				tokens <- f[1]
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { c.exited <- c.cmd.Wait() }()
	// A first start on a year of history builds the queue projection
	// before it prints the token (4.5 min at -scale 1).
	deadline := time.After(30 * time.Minute)
	for c.token == "" {
		select {
		case c.token = <-tokens:
		case err := <-c.exited:
			return nil, fmt.Errorf("turno serve exited: %v\n%s", err, c.logs.String())
		case <-deadline:
			c.stop()
			return nil, fmt.Errorf("turno serve not ready after 30 minutes\n%s", c.logs.String())
		}
	}
	for {
		r, err := http.Get("http://" + c.http + "/readyz")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return c, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(time.Minute):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// cpuTicks is the child's user+system time in clock ticks (/proc/PID/stat
// fields 14 and 15).
func (c *child) cpuTicks() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 on
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc stat: %q", s)
	}
	return ut + st, nil
}

const clkTck = 100 // sysconf(_SC_CLK_TCK) on Linux

// cpuOver is the child's CPU use over d, as a fraction of one core.
func (c *child) cpuOver(d time.Duration) (float64, error) {
	u, _, err := c.idleOver(d, false)
	return u, err
}

// idleOver is the child's CPU use over d, as a fraction of one core, and,
// when sample is set, the median of its RSS read every 2 s over the same
// window (one reading swings with the Go heap's collection cycle).
func (c *child) idleOver(d time.Duration, sample bool) (float64, int64, error) {
	a, err := c.cpuTicks()
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	var rss []int64
	for end := t0.Add(d); time.Now().Before(end); {
		step := min(2*time.Second, time.Until(end))
		if !sample {
			step = time.Until(end)
		}
		time.Sleep(step)
		if sample {
			if kb, err := c.rssKB(); err == nil {
				rss = append(rss, kb)
			}
		}
	}
	b, err := c.cpuTicks()
	if err != nil {
		return 0, 0, err
	}
	var med int64
	if len(rss) > 0 {
		slices.Sort(rss)
		med = rss[len(rss)/2]
	}
	return float64(b-a) / clkTck / time.Since(t0).Seconds(), med, nil
}

// rssKB is VmRSS from /proc/PID/status.
func (c *child) rssKB() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS")
}

// settle waits until the child's CPU over 5 s is under 10% of a core
// (start-up catch-up jobs done), at most max; it returns how long it took.
func (c *child) settle(max time.Duration) time.Duration {
	t0 := time.Now()
	for time.Since(t0) < max {
		if u, err := c.cpuOver(5 * time.Second); err != nil || u < 0.10 {
			break
		}
	}
	return time.Since(t0)
}

// metric sums a metric's samples whose labels include want, read from
// /metrics.
func (c *child) metric(name string, want map[string]string) (float64, error) {
	b, err := c.scrape()
	if err != nil {
		return 0, err
	}
	return sumOf(b, name, want)
}

func (c *child) scrape() (string, error) {
	r, err := http.Get("http://" + c.http + "/metrics")
	if err != nil {
		return "", err
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	return string(b), err
}

// sumOf sums the samples of name whose labels include want in a scrape
// (the text format: name{k="v",...} value).
func sumOf(scrape, name string, want map[string]string) (float64, error) {
	sum := 0.0
next:
	for l := range strings.SplitSeq(scrape, "\n") {
		rest, ok := strings.CutPrefix(l, name)
		if !ok || (rest != "" && rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		labels := ""
		if rest[0] == '{' {
			end := strings.LastIndexByte(rest, '}')
			labels, rest = rest[1:end], rest[end+1:]
		}
		for k, v := range want {
			if !strings.Contains(","+labels+",", ","+k+"=\""+v+"\",") {
				continue next
			}
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return 0, fmt.Errorf("metric line %q: %w", l, err)
		}
		sum += v
	}
	return sum, nil
}

// histogram is a histogram's sum (seconds) and count on the child, summed
// over its labels.
type histogram struct{ sum, count float64 }

func (c *child) histogram(name string) (histogram, error) {
	b, err := c.scrape()
	if err != nil {
		return histogram{}, err
	}
	var h histogram
	if h.sum, err = sumOf(b, name+"_sum", nil); err != nil {
		return h, err
	}
	h.count, err = sumOf(b, name+"_count", nil)
	return h, err
}

// per is the mean time of the observations since before, and how many
// there were.
func (h histogram) per(before histogram) (time.Duration, int) {
	n := h.count - before.count
	if n <= 0 {
		return 0, 0
	}
	return time.Duration((h.sum - before.sum) / n * float64(time.Second)), int(n)
}

// waitMetric polls name until it exceeds base; it returns the time taken.
func (c *child) waitMetric(ctx context.Context, name string, labels map[string]string, base float64) (time.Duration, error) {
	t0 := time.Now()
	for {
		v, err := c.metric(name, labels)
		if err != nil {
			return 0, err
		}
		if v > base {
			return time.Since(t0), nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%s stayed at %v: %w", name, base, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// build compiles cmd/turno into dir.
func build(dir string) (string, error) {
	bin := filepath.Join(dir, "turno")
	out, err := exec.Command("go", "build", "-o", bin, "./cmd/turno").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build turno: %v\n%s", err, out)
	}
	return bin, nil
}
