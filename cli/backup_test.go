package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/spf13/cobra"
	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/config"
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

// A backup taken while mail keeps arriving holds every mail the intake
// had acknowledged on the IMAP server (\Seen, the dev mailbox's
// after-action, set only once the ticket message is stored) before the
// backup started: restored into a fresh store, each one is there with its
// ticket message and its ticket.
func TestBackupDuringIntakeHoldsEveryAcknowledgedMail(t *testing.T) {
	d, dir, stop := startDevServe(t)
	cfg := config.Default()
	addr := d.Dev.IMAPAddr
	mail := func(i int) []byte {
		return fmt.Appendf(nil, "Message-ID: <intake-%d@gmail.com>\r\nFrom: Cliente %d <cliente%d@gmail.com>\r\n"+
			"To: soporte@turno.test\r\nSubject: Consulta %d\r\n\r\nHola.\r\n", i, i, i, i)
	}
	const first = 30
	c := devIMAP(t, addr, cfg.Dev.User, cfg.Dev.Password)
	for i := range first {
		if err := imapAppendMail(c, mail(i)); err != nil {
			t.Fatal(err)
		}
	}

	// What the server shows acknowledged before the backup starts (some
	// of the first mails, not all).
	var acked []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		acked = seenMessageIDs(t, c)
		if len(acked) >= first/3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d mails acknowledged after 60 s", len(acked))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Mail keeps arriving, over its own connection, until the backup
	// ends; the intake is still taking in the first ones.
	var appended atomic.Int64
	quit, done := make(chan struct{}), make(chan error, 1)
	bg := devIMAP(t, addr, cfg.Dev.User, cfg.Dev.Password)
	go func() {
		for i := first; i < first+500; i++ {
			select {
			case <-quit:
				done <- nil
				return
			default:
			}
			if err := imapAppendMail(bg, mail(i)); err != nil {
				done <- err
				return
			}
			appended.Add(1)
		}
		done <- nil
	}()

	before := appended.Load()
	file := filepath.Join(t.TempDir(), "turno.backup")
	out, errs, err := runBackupCmd(dir, newBackupCmd, file)
	during := appended.Load() - before
	close(quit)
	if err := <-done; err != nil {
		t.Fatalf("appending during the backup: %v", err)
	}
	if err != nil {
		t.Fatalf("backup during intake: %v\n%s\n%s", err, out, errs)
	}
	if during == 0 {
		t.Fatal("no mail arrived while the backup ran; the test proves nothing")
	}
	stop()

	fresh := t.TempDir()
	if out, errs, err := runBackupCmd(fresh, newRestoreCmd, file); err != nil {
		t.Fatalf("restore: %v\n%s\n%s", err, out, errs)
	}
	st := connectDir(t, fresh)
	defer func() { _ = st.Close(context.Background()) }()
	ctx := context.Background()
	for _, id := range acked {
		var done struct {
			Ticket int64 `bson:"ticket"`
		}
		if err := st.DB.Collection("ticket_message_ids").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&done); err != nil || done.Ticket == 0 {
			t.Errorf("acknowledged %s: not done in the restored store (%v, ticket %d)", id, err, done.Ticket)
			continue
		}
		if err := st.DB.Collection("ticket_messages").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Err(); err != nil {
			t.Errorf("acknowledged %s: its ticket message is not in the restored store: %v", id, err)
		}
		if err := st.DB.Collection("tickets").FindOne(ctx, bson.D{{Key: "_id", Value: strconv.FormatInt(done.Ticket, 10)}}).Err(); err != nil {
			t.Errorf("acknowledged %s: its ticket %d is not in the restored store: %v", id, done.Ticket, err)
		}
	}
	t.Logf("%d mails acknowledged before the backup, %d appended while it ran", len(acked), during)
}

func devIMAP(t *testing.T, addr, user, pass string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func imapAppendMail(c *imapclient.Client, msg []byte) error {
	cmd := c.Append("INBOX", int64(len(msg)), nil)
	if _, err := cmd.Write(msg); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err := cmd.Wait()
	return err
}

// seenMessageIDs lists the Message-IDs (without brackets) of INBOX's
// messages flagged \Seen.
func seenMessageIDs(t *testing.T, c *imapclient.Client) []string {
	t.Helper()
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	var all imap.SeqSet
	all.AddRange(1, 0) // 1:*
	msgs, err := c.Fetch(all, &imap.FetchOptions{Flags: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range msgs {
		if m.Envelope != nil && slices.Contains(m.Flags, imap.FlagSeen) {
			ids = append(ids, strings.Trim(m.Envelope.MessageID, "<>"))
		}
	}
	return ids
}
