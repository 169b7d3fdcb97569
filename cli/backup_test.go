package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"turno/daemon"
)

// runBackupCmd runs `turno backup|restore ARGS` against dataDir. (Through
// the command itself: root.go lists the commands.)
func runBackupCmd(dataDir string, mk func(*env) *cobra.Command, args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, environ: []string{"TURNO_DATA_DIR=" + dataDir, "USER=tester", "TURNO_LOG_LEVEL=warn"}}
	cmd := mk(e)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), errb.String(), err
}

// A backup taken while turno serve runs holds the ticket of a mail it had
// taken in; restored into a fresh data directory, the ticket is there.
// Restoring again into that now full store is refused.
func TestBackupWhileServeRunsRestoresIntoFreshStore(t *testing.T) {
	d, dir, stop := startDevServe(t)
	msg := []byte("Message-ID: <backup@gmail.com>\r\nFrom: Pedro <pedro@gmail.com>\r\nTo: soporte@turno.test\r\n" +
		"Subject: Respaldo\r\n\r\nHola.\r\n")
	appendAndWaitTicket(t, d, msg, 100000)
	file := filepath.Join(t.TempDir(), "turno.backup")
	out, errs, err := runBackupCmd(dir, newBackupCmd, file)
	if err != nil || !strings.Contains(out, "backup "+file) || !strings.Contains(errs, "tickets: 1 documents") {
		t.Fatalf("backup while serve runs: %v\n%s\n%s", err, out, errs)
	}
	stop()

	fresh := t.TempDir()
	if out, errs, err := runBackupCmd(fresh, newRestoreCmd, file); err != nil || !strings.Contains(out, "restored") {
		t.Fatalf("restore: %v\n%s\n%s", err, out, errs)
	}
	// The dev agent comes back with the rest (agents are a collection too).
	var lo, le bytes.Buffer
	code := Main([]string{"tickets", "list", "--json"}, &lo, &le,
		[]string{"TURNO_DATA_DIR=" + fresh, "USER=tester", "TURNO_LOG_LEVEL=warn", "TURNO_AGENT=" + daemon.DevAgent})
	out, errs = lo.String(), le.String()
	if code != 0 || !strings.Contains(out, "100000") || !strings.Contains(out, "pedro@gmail.com") {
		t.Fatalf("tickets list on the restored store: code %d\n%s\n%s", code, out, errs)
	}
	if _, _, err := runBackupCmd(fresh, newRestoreCmd, file); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore into a full store: %v; want a refusal", err)
	}
}
