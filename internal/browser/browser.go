// Package browser drives Debian's headless Chromium (/usr/bin/chromium)
// with chromedp for the web pages' tests: every page a test checks is
// screenshotted as an artifact and audited with axe-core.
//
// Chromium runs with a fresh profile and every background service off
// (no QUIC, sync, component updates, background networking): on a closed
// network it would otherwise hang waiting for them. It is required when CI
// is set and the test skips without it elsewhere; so is axe-core, installed
// by `npm ci` in internal/browser/axe (scripts/test.sh does it).
//
// Screenshots go to $TURNO_TEST_ARTIFACTS/<test name>/NN-<page>.png, or
// under the test's temp directory when that is unset; the test logs where.
package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's Chromium.
const ChromiumPath = "/usr/bin/chromium"

// Browser is one headless Chromium with one tab.
type Browser struct {
	t         testing.TB
	ctx       context.Context
	dir       string
	n         int
	axeSource string
}

func need(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is required in CI", what)
	}
	t.Skipf("%s is missing; skipping the browser test", what)
}

// AxePath is axe.min.js as `npm ci` in internal/browser/axe installs it.
func AxePath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "axe", "node_modules", "axe-core", "axe.min.js")
}

// New starts Chromium for t; it stops at cleanup.
func New(t testing.TB) *Browser {
	t.Helper()
	if _, err := exec.LookPath(ChromiumPath); err != nil {
		need(t, ChromiumPath)
	}
	axe, err := os.ReadFile(AxePath())
	if err != nil {
		need(t, "axe-core (npm ci in internal/browser/axe)")
	}
	dir := os.Getenv("TURNO_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "artifacts")
	}
	dir = filepath.Join(dir, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("browser screenshots: %s", dir)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "es-CL"),
		chromedp.Flag("accept-lang", "es-CL,es"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelC(); cancelA() })
	b := &Browser{t: t, ctx: ctx, dir: dir, axeSource: string(axe)}
	// Starts the browser; CDP evaluation is not bound by the pages' CSP,
	// and bypassing it lets axe run on pages that allow no script.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
		return err
	})); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

// Do runs chromedp actions, failing the test on error (30s at most).
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// Get runs one chromedp action and returns its value.
func Get[T any](b *Browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// Visit opens url and checks the page (Check).
func (b *Browser) Visit(url, name string) {
	b.t.Helper()
	b.Do(chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
	b.Check(name)
}

// Check screenshots the current page as NN-name.png and fails on any
// serious or critical axe-core violation.
func (b *Browser) Check(name string) {
	b.t.Helper()
	b.Screenshot(name)
	b.Axe(name)
}

// Screenshot writes the full page as an artifact and returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png := Get(b, chromedp.FullScreenshot(100))
	b.n++
	p := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}

type violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// Axe injects axe-core into the page, runs it, and fails the test on
// serious or critical violations (minor and moderate ones are logged).
func (b *Browser) Axe(name string) {
	b.t.Helper()
	b.Do(chromedp.Evaluate[chromedp.Void](b.axeSource))
	out := Get(b, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	var vs []violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatalf("axe on %s: %v", name, err)
	}
	var bad []string
	for _, v := range vs {
		line := fmt.Sprintf("%s (%s): %s at %v", v.ID, v.Impact, v.Help, v.Nodes)
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, line)
		} else {
			b.t.Logf("axe on %s, %s", name, line)
		}
	}
	if len(bad) > 0 {
		b.t.Errorf("axe on %s: %d serious or critical violations:\n%s", name, len(bad), strings.Join(bad, "\n"))
	}
}

// Text is the visible text of the first element matching the CSS selector.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return Get(b, chromedp.Text(chromedp.CSS(sel)))
}

// Location is the current URL.
func (b *Browser) Location() string {
	b.t.Helper()
	return Get(b, chromedp.Location())
}

// Fill types v into the field matching the CSS selector.
func (b *Browser) Fill(sel, v string) {
	b.t.Helper()
	b.Do(chromedp.SendKeys(chromedp.CSS(sel), v))
}

// Submit clicks the element matching sel and waits until an element
// matching next (something only the next page has) is there.
func (b *Browser) Submit(sel, next string) {
	b.t.Helper()
	b.Do(chromedp.Click(chromedp.CSS(sel)), chromedp.WaitReady(chromedp.CSS(next)))
}

// Context is the tab's context, for chromedp actions beyond these.
func (b *Browser) Context() context.Context { return b.ctx }
