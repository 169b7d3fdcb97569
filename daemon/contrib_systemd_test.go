package daemon_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireTool finds an operator tool the contrib/ tests run (Debian's
// systemd, prometheus): missing, the test fails in CI
// (scripts/test-services.sh installs them) and is skipped elsewhere.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found (Debian package %s; scripts/test-services.sh installs it)", name, pkg)
	}
	t.Skipf("%s not found (Debian package %s); CI requires it", name, pkg)
	return ""
}

// The service unit passes `systemd-analyze verify` without a warning, and
// `systemd-analyze security` rates its exposure at most 2.0 ("OK"): a
// hardening line dropped or misspelled (systemd only warns and ignores it)
// fails here. verify needs ExecStart's binary to exist, so the copy checked
// runs this test's own binary instead of /usr/local/bin/turno.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze := requireTool(t, "systemd-analyze", "systemd")
	src, err := os.ReadFile("../contrib/systemd/turno.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(src)
	for _, want := range []string{"Type=notify", "User=turno", "ProtectSystem=strict", "ReadWritePaths=/var/lib/turno",
		"NoNewPrivileges=yes", "Restart=on-failure", "CapabilityBoundingSet=\n", "ExecStart=/usr/local/bin/turno serve --config "} {
		if !strings.Contains(unit, want) {
			t.Errorf("turno.service lacks %q", want)
		}
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "turno.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/turno", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || strings.Contains(string(out), "turno.service") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	if len(out) > 0 {
		t.Logf("systemd-analyze verify said, about other units:\n%s", out)
	}
	out, err = exec.Command(analyze, "security", "--offline=yes", "--threshold=20", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: exposure above 2.0 (%v):\n%s", err, out)
	}
}
