package store_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"sort"
	"testing"

	"ting/internal/store"
	"ting/internal/store/storetest"
)

// Both migration folders must hold the same versions with the same names, so the two databases
// never drift apart.
func TestMigrationFoldersMatch(t *testing.T) {
	list := func(d store.Dialect) []string {
		var names []string
		fs.WalkDir(store.MigrationFS(d), ".", func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				names = append(names, p)
			}
			return nil
		})
		sort.Strings(names)
		return names
	}
	a, b := list(store.SQLite), list(store.Postgres)
	if len(a) == 0 {
		t.Fatal("no migrations found")
	}
	if len(a) != len(b) {
		t.Fatalf("sqlite has %v, postgres has %v", a, b)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("migration %d: sqlite %q, postgres %q", i, a[i], b[i])
		}
	}
}

func TestStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st, err := db.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st {
			if !s.Applied {
				t.Errorf("migration %d not applied", s.Version)
			}
		}
		now := store.Now()
		insert := func(tx *sql.Tx, code string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO org_units (code, level, path, name_zh, name_en, opened_on, created_at, updated_at)
				VALUES ($1, 1, '/', '全国', 'National', '2010-01-01', $2, $2)`, code, now)
			return err
		}
		if err := db.Tx(ctx, func(tx *sql.Tx) error { return insert(tx, "CN") }); err != nil {
			t.Fatal(err)
		}
		err = db.Tx(ctx, func(tx *sql.Tx) error { return insert(tx, "CN") })
		if !store.IsUnique(err) {
			t.Fatalf("duplicate code: want unique violation, got %v", err)
		}
		// A failing transaction leaves nothing behind.
		boom := errors.New("boom")
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if err := insert(tx, "XX"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("want boom, got %v", err)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM org_units").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("rolled-back insert left %d rows, want 1", n)
		}
		_, err = db.W.ExecContext(ctx, `INSERT INTO partners (code, unit_id, type, name_zh, name_en, created_at, updated_at)
			VALUES ('P', 999, 'cso', 'x', 'x', $1, $1)`, now)
		if !store.IsForeignKey(err) {
			t.Fatalf("want foreign key violation, got %v", err)
		}
	})
}

func TestBind(t *testing.T) {
	q := "SELECT a FROM t WHERE a = $1 AND b IN ($2, $10)"
	if got := store.SQLite.Bind(q); got != "SELECT a FROM t WHERE a = ?1 AND b IN (?2, ?10)" {
		t.Errorf("sqlite: %s", got)
	}
	if got := store.Postgres.Bind(q); got != q {
		t.Errorf("postgres: %s", got)
	}
}

func TestRows(t *testing.T) {
	if n := store.SQLite.Rows(10); n != 40 {
		t.Errorf("sqlite: %d rows of 10", n)
	}
	if n := store.Postgres.Rows(10); n != 400 {
		t.Errorf("postgres: %d rows of 10", n)
	}
	if n := store.SQLite.Rows(1000); n != 1 {
		t.Errorf("sqlite: %d rows of 1000", n)
	}
}
