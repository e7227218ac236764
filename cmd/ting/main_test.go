package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ting/internal/auth"
	"ting/internal/store"
)

func TestCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := "--data=" + dir
	if err := run(ctx, []string{"migrate", "up", data}); err != nil {
		t.Fatal(err)
	}
	// The flags after the subcommand name the database migrated.
	if _, err := os.Stat(filepath.Join(dir, "ting.db")); err != nil {
		t.Fatalf("migrate up %s: %v", data, err)
	}
	if err := run(ctx, []string{"migrate", "status", data}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"migrate", "up", data, "extra"}); !errors.Is(err, errUsage) {
		t.Fatalf("an argument after the flags: %v", err)
	}
	if err := run(ctx, []string{"migrate", "sideways", data}); err == nil {
		t.Fatal("unknown migrate subcommand accepted")
	}
	if err := run(ctx, []string{"frobnicate"}); !errors.Is(err, errUsage) {
		t.Fatalf("unknown command: %v", err)
	}
	if err := run(ctx, []string{"serve", "--no-such-flag"}); !errors.Is(err, errUsage) {
		t.Fatalf("unknown flag: %v", err)
	}
	// A new database gets its national unit from the command line, then its first account.
	if err := run(ctx, []string{"unit", "create", data, "--code=CN", "--level=national", "--name-zh=全国", "--name-en=National", "--effective=2010-01-01"}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"unit", "create", data, "--code=AH", "--level=provincial", "--parent=CN", "--name-zh=安徽省", "--name-en=Anhui", "--tags=pilot,sending", "--effective=2010-01-01"}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"unit", "create", data, "--code=AH2", "--level=provincial", "--parent=NOPE", "--name-zh=x", "--name-en=x"}); err == nil {
		t.Fatal("unit under an unknown parent")
	}
	if err := run(ctx, []string{"unit", "create", data, "--code=X", "--level=galactic"}); !errors.Is(err, errUsage) {
		t.Fatalf("unknown level: %v", err)
	}
	// The demo then loads around what exists.
	if err := run(ctx, []string{"demo", data}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"user", "create", data, "--username=wang", "--name=王芳", "--role=evaluator", "--unit=CN", "--password=evaluate-2012"}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"user", "create", data, "--username=li", "--name=x", "--role=evaluator", "--unit=NOWHERE", "--password=evaluate-2012"}); err == nil {
		t.Fatal("user bound to an unknown unit")
	}
	if err := run(ctx, []string{"user", "reset", data, "--username=wang", "--password=new-password-1"}); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.New(db).Login(ctx, "wang", "new-password-1"); err != nil {
		t.Fatalf("login after reset: %v", err)
	}
	// The derived aggregates: kept exact by the demo's writes; tampering is caught and mended;
	// a database whose values predate them gets them when it is opened.
	if err := run(ctx, []string{"analytics", "verify", data}); err != nil {
		t.Fatal(err)
	}
	// A fold's delta row (a copy of a base row, as part 1): fold merges it into its base row.
	if _, err := db.W.ExecContext(ctx, `INSERT INTO reach_bitmaps (unit_id, period, service_type, shard, part, people, stamp, bits)
		SELECT unit_id, period, service_type, shard, 1, people, stamp, bits FROM reach_bitmaps WHERE part = 0 LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"analytics", "fold", data}); err != nil {
		t.Fatal(err)
	}
	var deltas int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM reach_bitmaps WHERE part > 0`).Scan(&deltas); err != nil || deltas != 0 {
		t.Errorf("after ting analytics fold, %d delta rows are left (%v)", deltas, err)
	}
	if res, err := db.W.ExecContext(ctx, "UPDATE value_rollups SET n = n + 1 WHERE unit_id IN (SELECT id FROM org_units WHERE parent_id IS NULL)"); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n == 0 {
		t.Fatal("no national rollups to tamper with: the demo stored no values?")
	}
	if err := run(ctx, []string{"analytics", "verify", data}); err == nil {
		t.Fatal("verify passed over tampered aggregates")
	}
	if err := run(ctx, []string{"analytics", "rebuild", "--verify", data}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.W.ExecContext(ctx, "DELETE FROM value_rollups"); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"analytics", "verify", data}); err != nil {
		t.Fatalf("rollups not rebuilt on open: %v", err)
	}
	// Reminders on the demo's evaluation date: its late reports notify their agencies, once a day.
	if err := run(ctx, []string{"remind", data, "--as-of=2012-06-30"}); err != nil {
		t.Fatal(err)
	}
	var notes int
	if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM notifications").Scan(&notes); err != nil || notes == 0 {
		t.Fatalf("remind created %d notifications: %v", notes, err)
	}
	if err := run(ctx, []string{"remind", data, "--as-of=2012-06-30"}); err != nil {
		t.Fatal(err)
	}
	var again int
	db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM notifications").Scan(&again)
	if again != notes {
		t.Fatalf("a second run the same day added notifications: %d then %d", notes, again)
	}
	if err := run(ctx, []string{"analytics", "sideways", data}); !errors.Is(err, errUsage) {
		t.Fatalf("unknown analytics subcommand: %v", err)
	}
	db.Close()

	// The roll-up benchmark generates into an empty database and checks itself against SQL.
	if err := run(ctx, []string{"bench", "progress", "--data=" + t.TempDir(), "--", "-units", "3000", "-indicators", "4", "-months", "6", "-reps", "3"}); err != nil {
		t.Fatalf("bench progress: %v", err)
	}
	// So does the reach benchmark, with cards, services and service-layer batches.
	if err := run(ctx, []string{"bench", "reach", "--data=" + t.TempDir(), "--", "-units", "3000", "-cards", "2000", "-services", "3",
		"-reps", "2", "-basereps", "1", "-batches", "1", "-batch", "100"}); err != nil {
		t.Fatalf("bench reach: %v", err)
	}
	if err := run(ctx, []string{"bench", "reach", "--data=" + t.TempDir(), "--", "-cards", "0"}); err == nil {
		t.Fatal("bench reach accepted -cards 0")
	}
	if err := run(ctx, []string{"bench", "sideways"}); !errors.Is(err, errUsage) {
		t.Fatalf("unknown benchmark: %v", err)
	}

	out := filepath.Join(t.TempDir(), "copy.db")
	if err := run(ctx, []string{"backup", data, "--out=" + out}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"backup", data, "--out=" + out}); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	cp, err := store.OpenSQLite(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	var users int
	if err := cp.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE username = 'wang'").Scan(&users); err != nil || users != 1 {
		t.Fatalf("backup lacks the user: %d %v", users, err)
	}
}

// TestServeShutsDownGracefully starts the server, waits for /healthz, cancels the context
// (as SIGTERM does) and expects a clean return.
func TestServeShutsDownGracefully(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--data=" + t.TempDir(), "--addr=" + addr}) }()
	deadline := time.Now().Add(90 * time.Second) // generous: CI runs every package at once on 2 cores
	for {
		resp, err := http.Get(fmt.Sprintf("http://%s/healthz", addr))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("healthz %d", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
}
