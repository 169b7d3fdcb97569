package migrate_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/migrate"
)

// A migration killed with SIGKILL right after a bulk write, before its
// checkpoint (the target one batch ahead of what it recorded), resumes
// on the rerun from the checkpoint: finished collections are not read
// again, the interrupted one goes on after the recorded documents, and
// everything verifies with no document twice. The source's lock died with
// the child, so the rerun opens it.
func TestCopyKill9ThenRerunVerifies(t *testing.T) {
	ctx := context.Background()
	srcDir, signal := t.TempDir(), t.TempDir()
	src, closeSrc := openDir(t, srcDir)
	key := populate(t, src.DB, 1200)
	closeSrc()
	held, _ := openDir(t, t.TempDir())

	child := exec.Command(os.Args[0], "-test.run=^TestCopyChildProcess$", "-test.count=1")
	child.Env = append(os.Environ(), "TURNO_MIGRATE_CHILD_SRC="+srcDir, "TURNO_MIGRATE_CHILD_TO="+held.URI,
		"TURNO_MIGRATE_CHILD_SIGNAL="+signal)
	child.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var childOut bytes.Buffer
	child.Stdout, child.Stderr = &childOut, &childOut
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	kill := func() {
		_ = syscall.Kill(-child.Process.Pid, syscall.SIGKILL)
		_ = child.Wait()
	}
	paused := filepath.Join(signal, "paused")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(paused); err == nil {
			break
		}
		if time.Now().After(deadline) {
			kill()
			t.Fatalf("the child never reached its pause:\n%s", childOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	kill()
	b, err := os.ReadFile(paused)
	if err != nil {
		t.Fatal(err)
	}
	written, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)

	// The state the kill left: records written one batch past the
	// checkpoint, settings (after records) not started.
	dst, _ := openURI(t, held.URI)
	var cp struct {
		Copied int64 `bson:"copied"`
		Done   bool  `bson:"done"`
	}
	if err := dst.DB.Collection(migrate.CheckpointCollection).FindOne(ctx, bson.D{{Key: "_id", Value: "records"}}).Decode(&cp); err != nil {
		t.Fatal(err)
	}
	n, err := dst.DB.Collection("records").CountDocuments(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if written != 400 || cp.Done || cp.Copied != 300 || n != 400 {
		t.Fatalf("after the kill: child wrote %d, checkpoint %+v, target holds %d; want 400 written, 300 recorded", written, cp, n)
	}
	if n, _ := dst.DB.Collection("settings").CountDocuments(ctx, bson.D{}); n != 0 {
		t.Fatalf("settings copied before records finished: %d", n)
	}

	src, _ = openDir(t, srcDir)
	res, err := migrate.Copy(ctx, src.DB, dst.DB, migrate.Options{Batch: 100, Source: srcDir})
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	got := map[string]migrate.Copied{}
	for _, c := range res.Collections {
		got[c.Name] = c
	}
	if c := got["records"]; c.Resumed != 300 || c.Documents != 1200 {
		t.Errorf("records on the rerun: %+v; want resumed after 300 of 1200", c)
	}
	if c := got["numbered"]; c.Resumed != c.Documents || c.Documents != 150 {
		t.Errorf("numbered (finished before the kill) on the rerun: %+v; want not read again", c)
	}
	mustVerify(t, src.DB, dst.DB)
	if n, _ := dst.DB.Collection("records").CountDocuments(ctx, bson.D{}); n != 1200 {
		t.Fatalf("target records: %d, want 1200", n)
	}
	if got := settingValue(t, dst.DB, "mailout.message_id_key"); got != key {
		t.Fatalf("message-id key %q, want %q", got, key)
	}
}

// TestCopyChildProcess is the migration TestCopyKill9ThenRerunVerifies
// kills: batches of 100, pausing (until killed) once the fourth batch of
// records is written and not yet recorded.
func TestCopyChildProcess(t *testing.T) {
	srcDir := os.Getenv("TURNO_MIGRATE_CHILD_SRC")
	if srcDir == "" {
		t.Skip("run by TestCopyKill9ThenRerunVerifies")
	}
	src, _ := openDir(t, srcDir)
	dst, _ := openURI(t, os.Getenv("TURNO_MIGRATE_CHILD_TO"))
	signal := os.Getenv("TURNO_MIGRATE_CHILD_SIGNAL")
	_, err := migrate.Copy(context.Background(), src.DB, dst.DB, migrate.Options{Batch: 100, Source: srcDir,
		AfterBatch: func(name string, copied int64) {
			if name != "records" || copied < 400 {
				return
			}
			tmp := filepath.Join(signal, "paused.tmp")
			if err := os.WriteFile(tmp, []byte(fmt.Sprint(copied)), 0o600); err != nil {
				t.Error(err)
			}
			if err := os.Rename(tmp, filepath.Join(signal, "paused")); err != nil {
				t.Error(err)
			}
			time.Sleep(10 * time.Minute) // until the parent's SIGKILL
		}})
	t.Fatalf("the copy was not killed: %v", err)
}
