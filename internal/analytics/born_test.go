package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"ting/internal/store"
	"ting/internal/store/storetest"
)

// yearsOf expands a birth-year row's name to the years it holds.
func yearsOf(t *testing.T, attr string) []int {
	t.Helper()
	var size, year int
	if _, err := fmt.Sscanf(attr, "born:%d", &year); err == nil {
		size = 1
	} else if _, err := fmt.Sscanf(attr, "born%d:%d", &size, &year); err != nil {
		t.Fatalf("%q is not a birth-year row", attr)
	}
	if year%size != 0 {
		t.Fatalf("%q: a block of %d years starting at %d is not aligned", attr, size, year)
	}
	out := make([]int, size)
	for i := range out {
		out[i] = year + i
	}
	return out
}

// Every range of birth years is tiled exactly, each year once, by rows that exist (a person
// born in a year is in each row that holds it), and by few of them.
func TestBornCoverTilesTheRange(t *testing.T) {
	for lo := 1900; lo <= 2030; lo++ {
		for hi := lo - 1; hi <= lo+120; hi++ {
			cover := bornCover(lo, hi)
			var years []int
			for _, a := range cover {
				ys := yearsOf(t, a)
				if !slices.Contains(bornAttrs(ys[0]), a) {
					t.Fatalf("%d..%d: %q is not a row anyone born in %d is in", lo, hi, a, ys[0])
				}
				years = append(years, ys...)
			}
			want := []int{}
			for y := lo; y <= hi; y++ {
				want = append(want, y)
			}
			if !slices.Equal(years, want) {
				t.Fatalf("%d..%d: cover %v holds %v", lo, hi, cover, years)
			}
			// At most three rows of each smaller size on either side of the largest blocks.
			if limit := 2*3*len(birthBlocks) + (hi-lo+1)/birthBlocks[0] + 1; len(cover) > limit {
				t.Fatalf("%d..%d: %d rows, more than %d: %v", lo, hi, len(cover), limit, cover)
			}
		}
	}
	if got := bornCover(1988, 1996); !slices.Equal(got, []string{"born4:1988", "born4:1992", "born:1996"}) {
		t.Errorf("women aged 16-24 in 2012: %v", got)
	}
	if got := bornCover(-5, 2); !slices.Equal(got, []string{"born:0000", "born:0001", "born:0002"}) {
		t.Errorf("years before 0 hold no one: %v", got)
	}
}

// Migration 15 builds, from the single years a database already holds, the blocks Rebuild
// would derive; its Down step removes them.
func TestBirthBlocksMigration(t *testing.T) {
	storetest.EachBare(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateTo(ctx, 14); err != nil {
			t.Fatal(err)
		}
		// Random people of two shards, born 1983-2001, stored by single year as before 15.
		rng := rand.New(rand.NewPCG(15, 4))
		want := map[attrKey]*roaring.Bitmap{}
		var single []row[attrKey]
		years := map[attrKey]*roaring.Bitmap{}
		for range 3000 {
			id := int64(rng.IntN(1<<ShardBits)) + int64(rng.IntN(2))*(3<<ShardBits)
			for _, a := range bornAttrs(1983 + rng.IntN(19)) {
				addBit(want, attrKey{a, shardOf(id)}, id)
				if strings.HasPrefix(a, "born:") {
					addBit(years, attrKey{a, shardOf(id)}, id)
				}
			}
		}
		for k, b := range years {
			single = append(single, row[attrKey]{k, b})
		}
		single = append(single, row[attrKey]{attrKey{"sex:F", 0}, manyBits(10)})
		if err := db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := writeRows(ctx, tx, db.Dialect, peopleTable, single, true)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.MigrateTo(ctx, 15); err != nil {
			t.Fatal(err)
		}
		stored := func() map[attrKey]*roaring.Bitmap {
			t.Helper()
			out := map[attrKey]*roaring.Bitmap{}
			err := storedBits(ctx, db.R, false, "reach_people", []string{"attr", "shard"}, "attr LIKE 'born%'", nil,
				func(sh uint32, s stored) { out[attrKey{strings.Split(s.row, "\x00")[1], sh}] = s.bits })
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		same := func(phase string, got, want map[attrKey]*roaring.Bitmap) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: %d birth-year rows, want %d", phase, len(got), len(want))
			}
			for k, b := range want {
				if g := got[k]; g == nil || !g.Equals(b) {
					t.Errorf("%s: %v holds %v, want %d people", phase, k, g, b.GetCardinality())
				}
			}
		}
		same("after migration 15", stored(), want)
		if err := db.Tx(ctx, func(tx *sql.Tx) error { return dropBirthBlocks(ctx, tx, db.Dialect) }); err != nil {
			t.Fatal(err)
		}
		same("after its Down step", stored(), years)
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM reach_people WHERE attr = 'sex:F'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("the Down step touched other attributes: %d sex:F rows (%v)", n, err)
		}
	})
}
