package mailin

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/config"
	"turno/internal/testenv"
)

// dovecotFolder creates a fresh folder for one test and returns a client
// logged in to Dovecot and the mailbox configuration watching that folder.
func dovecotFolder(t *testing.T, name string) (*imapclient.Client, config.MailboxConfig) {
	t.Helper()
	d := testenv.RequireDovecot(t)
	c, err := imapclient.DialInsecure(d.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(d.User, d.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	folder := fmt.Sprintf("t-%s-%d", name, time.Now().UnixNano())
	if err := c.Create(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(folder).Wait() })
	host, port, _ := net.SplitHostPort(d.Addr)
	p, _ := strconv.Atoi(port)
	return c, config.MailboxConfig{Name: name, Host: host, Port: p, TLS: "none", Username: d.User,
		Password: d.Password, Folder: folder, PollInterval: config.Duration(time.Hour)}.Normalized()
}

func appendMsg(t *testing.T, c *imapclient.Client, folder string, msg []byte) {
	t.Helper()
	cmd := c.Append(folder, int64(len(msg)), nil)
	if _, err := cmd.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// unseenIn counts messages without \Seen in folder.
func unseenIn(c *imapclient.Client, folder string) (int, error) {
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return 0, err
	}
	d, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return 0, err
	}
	return len(d.AllUIDs()), nil
}

func TestDovecotDeliveredMailBecomesTicketsAndIdleIsImmediate(t *testing.T) {
	c, mb := dovecotFolder(t, "idle")
	for i := range 20 {
		appendMsg(t, c, mb.Folder, mail(fmt.Sprintf("dv%d@x", i), fmt.Sprintf("consulta %d", i)))
	}
	db := testenv.DB(t)
	rec := &recorder{}
	startService(t, db, rec, mb)
	waitFor(t, "20 ingested", func() (bool, error) { return rec.count() == 20, nil })
	waitFor(t, "all seen", func() (bool, error) { n, err := unseenIn(c, mb.Folder); return n == 0, err })

	// poll_interval is 1h: only IDLE can bring this one in within the wait.
	start := time.Now()
	appendMsg(t, c, mb.Folder, mail("dv-idle@x", "por IDLE"))
	waitFor(t, "IDLE delivery", func() (bool, error) { return rec.count() == 21, nil })
	t.Logf("IDLE delivery→ingest took %s", time.Since(start))
}

func TestDovecotUIDValidityChangeCreatesNothingTwice(t *testing.T) {
	c, mb := dovecotFolder(t, "uidv")
	for i := range 5 {
		appendMsg(t, c, mb.Folder, mail(fmt.Sprintf("uv%d@x", i), "antes"))
	}
	db := testenv.DB(t)
	rec := &recorder{}
	s := startService(t, db, rec, mb)
	waitFor(t, "5 ingested", func() (bool, error) { return rec.count() == 5, nil })
	waitFor(t, "all seen", func() (bool, error) { n, err := unseenIn(c, mb.Folder); return n == 0, err })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := s.cur.get(ctx, mb.Name)

	if err := c.Unselect().Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(mb.Folder).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(mb.Folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		appendMsg(t, c, mb.Folder, mail(fmt.Sprintf("uv%d@x", i), "antes"))
	}
	appendMsg(t, c, mb.Folder, mail("uv-new@x", "nuevo"))
	s2 := startService(t, db, rec, mb)
	waitFor(t, "all seen after rescan", func() (bool, error) { n, err := unseenIn(c, mb.Folder); return n == 0, err })
	// The cursor moves after the flags are set (save, acknowledge, then
	// advance): wait for it rather than read it the moment mail is seen.
	var after Cursor
	waitFor(t, "cursor advanced", func() (bool, error) {
		var err error
		after, err = s2.cur.get(ctx, mb.Name)
		return after.LastUID == 6, err
	})
	if after.UIDValidity == before.UIDValidity || after.LastUID != 6 {
		t.Fatalf("cursor before %+v after %+v", before, after)
	}
	if rec.count() != 6 || count(t, db, MessageCollection) != 6 {
		t.Fatalf("sink keys %d, ledger %d, want 6", rec.count(), count(t, db, MessageCollection))
	}
	var e Entry
	if err := db.Collection(MessageCollection).FindOne(ctx, bson.D{{Key: "_id", Value: "mid:uv0@x"}}).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if len(e.Sources) != 2 || !e.Ingested {
		t.Fatalf("entry %+v: want two server copies, ingested", e)
	}
}

func TestDovecotTwoProcessesNeverBothProcessOneMessage(t *testing.T) {
	c, mb := dovecotFolder(t, "two")
	db := testenv.DB(t)
	rec := &recorder{}
	startService(t, db, rec, mb)
	startService(t, db, rec, mb) // a second process: its own owner id
	const n = 150
	for i := range n {
		appendMsg(t, c, mb.Folder, mail(fmt.Sprintf("two%d@x", i), "dos procesos"))
	}
	waitFor(t, "all ingested", func() (bool, error) { return rec.count() == n, nil })
	waitFor(t, "all seen", func() (bool, error) { n, err := unseenIn(c, mb.Folder); return n == 0, err })
	rec.mu.Lock()
	calls := rec.calls
	rec.mu.Unlock()
	if calls != n {
		t.Fatalf("sink called %d times for %d messages", calls, n)
	}
	cur, err := db.Collection(MessageCollection).Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	if err := cur.All(context.Background(), &entries); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if len(e.Handlers) != 1 || len(e.Sources) != 1 {
			t.Fatalf("entry %s handled by %v from %v", e.Key, e.Handlers, e.Sources)
		}
	}
}
