package store_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"sort"
	"strings"
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

// Migration 12 gives every stored reach bitmap its own random stamp and keeps the bitmaps as
// they were; a row written without one gets its own too.
func TestReachStampsMigration(t *testing.T) {
	storetest.EachBare(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateTo(ctx, 11); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := db.W.ExecContext(ctx, `INSERT INTO reach_bitmaps (unit_id, period, service_type, shard, people, bits) VALUES ($1, '2011', '', 0, $2, $3)`,
				i+1, i+10, []byte{byte(i), 1, 2}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.W.ExecContext(ctx, `INSERT INTO reach_people (attr, shard, bits) VALUES ('sex:F', $1, $2)`, i, []byte{byte(i), 3}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.ExecContext(ctx, `INSERT INTO reach_people (attr, shard, bits) VALUES ('sex:M', 0, $1)`, []byte{9}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`SELECT unit_id - 1, people - 9 - unit_id, bits, stamp FROM reach_bitmaps ORDER BY unit_id`,
			`SELECT shard, 0, bits, stamp FROM reach_people WHERE attr = 'sex:F' ORDER BY shard`,
		} {
			rows, err := db.R.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			stamps := map[int64]bool{}
			var n int
			for rows.Next() {
				var i, zero, stamp int64
				var bits []byte
				if err := rows.Scan(&i, &zero, &bits, &stamp); err != nil {
					t.Fatal(err)
				}
				if zero != 0 || len(bits) < 2 || bits[0] != byte(i) || int64(n) != i {
					t.Errorf("%s: row %d came through the migration as %d, %d, %v", q, n, i, zero, bits)
				}
				stamps[stamp] = true
				n++
			}
			rows.Close()
			if n != 3 || len(stamps) != 3 {
				t.Errorf("%s: %d rows with %d different stamps; want 3 and 3", q, n, len(stamps))
			}
		}
		var distinct int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(DISTINCT stamp) FROM reach_people`).Scan(&distinct); err != nil || distinct != 4 {
			t.Errorf("a row written without a stamp: %d different stamps among 4 rows (%v)", distinct, err)
		}
		// An update of the bits that leaves the stamp gets a new one; one that sets it keeps it.
		stamp := func() (n int64) {
			if err := db.R.QueryRowContext(ctx, `SELECT stamp FROM reach_people WHERE attr = 'sex:M'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		was := stamp()
		if _, err := db.W.ExecContext(ctx, `UPDATE reach_people SET bits = $1 WHERE attr = 'sex:M'`, []byte{8}); err != nil {
			t.Fatal(err)
		}
		if now := stamp(); now == was {
			t.Errorf("the bits changed under the same stamp %d", now)
		}
		if _, err := db.W.ExecContext(ctx, `INSERT INTO reach_people (attr, shard, bits, stamp) VALUES ('sex:M', 0, $1, 42)
			ON CONFLICT (attr, shard) DO UPDATE SET bits = excluded.bits, stamp = excluded.stamp`, []byte{7}); err != nil {
			t.Fatal(err)
		}
		if now := stamp(); now != 42 {
			t.Errorf("a write that sets the stamp: %d, want 42", now)
		}
	})
}

// Migration 13 copies each pending service's card, site, date and type onto its row of the
// change sequence.
func TestReachPendingFactsMigration(t *testing.T) {
	storetest.EachBare(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateTo(ctx, 12); err != nil {
			t.Fatal(err)
		}
		now := store.Now()
		for _, q := range []string{
			`INSERT INTO org_units (code, level, path, name_zh, name_en, opened_on, created_at, updated_at) VALUES ('CN', 1, '/', 'x', 'x', '2010-01-01', $1, $1)`,
			`INSERT INTO cards (id, number, site_id, province_id, sex, birth_date, birth_year, ethnicity, groups, status, dup_key, anonymised_on, last_active, created_by, created_at, updated_at)
				VALUES (3, 'N-3', (SELECT id FROM org_units), (SELECT id FROM org_units), 'F', '1996', 1996, 'han', ',', 'other', '', '', '2011-01-01', 'sys', $1, $1)`,
			`INSERT INTO services (id, card_id, site_id, type, served_on, provider, note, created_by, created_at) VALUES (11, 3, (SELECT id FROM org_units), 'health', '2011-05-02', '', '', 'sys', $1)`,
			`INSERT INTO services (id, card_id, site_id, type, served_on, provider, note, created_by, created_at) VALUES (12, 3, (SELECT id FROM org_units), 'legal_aid', '2011-06-03', '', '', 'sys', $1)`,
			`INSERT INTO reach_pending (service_id) VALUES (12)`,
		} {
			args := []any{now}
			if !strings.Contains(q, "$1") {
				args = nil
			}
			if _, err := db.W.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var id, card, site, unit int64
		var date, typ string
		if err := db.R.QueryRowContext(ctx, `SELECT service_id, card_id, site_id, served_on, type, (SELECT id FROM org_units) FROM reach_pending`).Scan(&id, &card, &site, &date, &typ, &unit); err != nil {
			t.Fatal(err)
		}
		if id != 12 || card != 3 || site != unit || date != "2011-06-03" || typ != "legal_aid" {
			t.Errorf("the pending service came through as %d, %d, %d, %s, %s", id, card, site, date, typ)
		}
		// Deleting the service still takes it off the list.
		if _, err := db.W.ExecContext(ctx, `DELETE FROM services WHERE id = 12`); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM reach_pending`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d pending after the service was deleted (%v)", n, err)
		}
	})
}
