package analytics

import (
	"context"
	"database/sql"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"ting/internal/store"
	"ting/internal/store/storetest"
)

// Migration 17 keeps every stored bitmap (as the base row of its key, with its stamp); folds
// then add delta rows that reads unite with the base; its Down step compacts them first, so
// nothing a fold added is lost, and the stamp trigger survives both ways.
func TestReachDeltasMigration(t *testing.T) {
	storetest.EachBare(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateTo(ctx, 16); err != nil {
			t.Fatal(err)
		}
		a, b, c := key{1, "2011", "", 0, 0}, key{2, "2011-03", "health", 1, 0}, key{3, "2012", "", 0, 0}
		bits := func(ids ...uint32) *roaring.Bitmap { return roaring.BitmapOf(ids...) }
		for _, r := range []struct {
			k     key
			b     *roaring.Bitmap
			stamp int64
		}{{a, bits(1, 2, 3), 11}, {b, bits(5), 22}} {
			data, err := r.b.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.W.ExecContext(ctx, `INSERT INTO reach_bitmaps (unit_id, period, service_type, shard, people, stamp, bits) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				r.k.unit, r.k.period, r.k.typ, int64(r.k.shard), int64(r.b.GetCardinality()), r.stamp, data); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.MigrateTo(ctx, 17); err != nil {
			t.Fatal(err)
		}
		var kept int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM reach_bitmaps WHERE part = 0 AND ((unit_id = 1 AND stamp = 11) OR (unit_id = 2 AND stamp = 22))`).Scan(&kept); err != nil || kept != 2 {
			t.Fatalf("after migration 17: %d rows kept as base rows with their stamps, want 2 (%v)", kept, err)
		}
		tx := func(fn func(tx *sql.Tx) error) {
			t.Helper()
			if err := db.Tx(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		tx(func(tx *sql.Tx) error {
			return addDeltas(ctx, tx, db.Dialect, map[key]*roaring.Bitmap{a: bits(3, 4), c: bits(9)}, 2)
		})
		tx(func(tx *sql.Tx) error { return addDeltas(ctx, tx, db.Dialect, map[key]*roaring.Bitmap{a: bits(5)}, 1) })
		held := func(phase string, deltas int) {
			t.Helper()
			got := map[key]*roaring.Bitmap{}
			if err := scanDeltas(db.R.QueryContext(ctx, `SELECT unit_id, period, service_type, shard, bits FROM reach_bitmaps`))(got); err != nil {
				t.Fatal(err)
			}
			want := map[key]*roaring.Bitmap{a: bits(1, 2, 3, 4, 5), b: bits(5), c: bits(9)}
			if len(got) != len(want) {
				t.Errorf("%s: %d keys, want %d", phase, len(got), len(want))
			}
			for k, w := range want {
				if !w.Equals(got[k]) {
					t.Errorf("%s: %v holds %v, want %v", phase, k, got[k], w)
				}
			}
			var n int
			if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM reach_bitmaps WHERE part > 0`).Scan(&n); err != nil || n != deltas {
				t.Errorf("%s: %d delta rows, want %d (%v)", phase, n, deltas, err)
			}
		}
		held("after two folds", 3)
		var gens int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM reach_generations`).Scan(&gens); err != nil || gens != 2 {
			t.Errorf("%d generations listed, want 2 (%v)", gens, err)
		}
		tx(func(tx *sql.Tx) error { return dropDeltaParts(ctx, tx, db.Dialect) })
		if _, err := db.R.ExecContext(ctx, `SELECT part FROM reach_bitmaps`); err == nil {
			t.Error("after the Down step, reach_bitmaps still has its part column")
		}
		tx(func(tx *sql.Tx) error { return addDeltaParts(ctx, tx, db.Dialect) })
		held("after the Down step compacted them, and Up again", 0)
		// B, which no delta touched, kept its stamp through both steps; the stamp trigger still
		// gives a row rewritten without a new stamp a new one.
		stampOf := func() (stamp int64) {
			t.Helper()
			if err := db.R.QueryRowContext(ctx, `SELECT stamp FROM reach_bitmaps WHERE unit_id = 2`).Scan(&stamp); err != nil {
				t.Fatal(err)
			}
			return stamp
		}
		if s := stampOf(); s != 22 {
			t.Errorf("the row no fold touched has stamp %d after the Down and Up steps, want 22", s)
		}
		if _, err := db.W.ExecContext(ctx, `UPDATE reach_bitmaps SET people = people WHERE unit_id = 2`); err != nil {
			t.Fatal(err)
		}
		if s := stampOf(); s == 22 {
			t.Error("a row updated without a new stamp kept its stamp: the trigger is gone")
		}
	})
}
