package analytics

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"ting/internal/store"
	"ting/internal/store/storetest"
)

func manyBits(n uint32) *roaring.Bitmap {
	b := roaring.New()
	for i := range n {
		b.Add(i * 7)
	}
	return b
}

// The cache keeps one entry per row, under the latest stamp seen, within its bytes, and lets
// the least recently used go first.
func TestBitsCacheKeepsTheRecentWithinItsLimit(t *testing.T) {
	one := int64(manyBits(1000).GetSizeInBytes()) + 80 + 1
	c := newBitsCache(3 * one)
	for _, k := range []string{"a", "b", "c"} {
		c.put(k, 1, manyBits(1000))
	}
	if c.get("a", 1) == nil || c.get("b", 1) == nil || c.get("c", 1) == nil || c.hits != 3 {
		t.Fatalf("three entries within the limit: %d held, %d hits", len(c.items), c.hits)
	}
	if c.get("a", 2) != nil || c.misses != 1 {
		t.Errorf("a row asked for under another stamp was served")
	}
	c.get("a", 1) // b is now the least recently used
	c.put("d", 1, manyBits(1000))
	if c.get("b", 1) != nil || c.get("a", 1) == nil || c.get("d", 1) == nil || c.size > c.limit {
		t.Errorf("after a fourth: held %v, %d of %d bytes; want b let go", rowsHeld(c), c.size, c.limit)
	}
	// A row's new stamp replaces its entry: the old content is not kept beside it.
	c.put("d", 2, manyBits(1000))
	if len(c.items) != 3 || c.order.Len() != 3 || c.size > c.limit || c.get("d", 1) != nil || c.get("d", 2) == nil {
		t.Errorf("after d's new stamp: %d entries, %d in order, %d bytes", len(c.items), c.order.Len(), c.size)
	}
	// A bitmap larger than the whole cache is not held, nor is the row's old entry.
	c.put("a", 2, manyBits(100000))
	if c.get("a", 2) != nil || c.get("a", 1) != nil || len(c.items) != 2 {
		t.Errorf("a bitmap over the limit: held %v", rowsHeld(c))
	}
	// Shrinking lets the least recently used go; turning off holds nothing.
	if was := c.setLimit(one); was != 3*one || len(c.items) != 1 || c.get("d", 2) == nil {
		t.Errorf("shrunk from %d to one entry: held %v", was, rowsHeld(c))
	}
	c.setLimit(-5)
	c.put("e", 1, manyBits(10))
	if len(c.items) != 0 || c.size != 0 || c.order.Len() != 0 || c.limit != 0 {
		t.Errorf("cache off: %v held, %d bytes, limit %d", rowsHeld(c), c.size, c.limit)
	}
}

func rowsHeld(c *bitsCache) []string {
	var out []string
	for k := range c.items {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// writeBorn stores the people born in 1996 and in 1997 (shard 0).
func writeBorn(t *testing.T, db *store.DB, born1996, born1997 *roaring.Bitmap) {
	t.Helper()
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := writeRows(ctx, tx, db.Dialect, peopleTable, []row[attrKey]{{attrKey{"born:1996", 0}, born1996}, {attrKey{"born:1997", 0}, born1997}}, true)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A person moved from a row the cache holds to a row it must read, between the read of the
// stamps and the read of the bits, is still counted: the bitmaps of one read are always the
// rows as one statement saw them. Fetched by key alone, the held row would be the one before
// the move and the other the one after, and the person in neither.
func TestCachedReadsSeeOneMoment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		write := func(ra, rb *roaring.Bitmap) { writeBorn(t, db, ra, rb) }
		read := func(where string) []uint32 {
			out := roaring.New()
			err := storedBits(ctx, db.R, true, "reach_people", []string{"attr", "shard"}, where, nil, func(_ uint32, s stored) { out.Or(s.bits) })
			if err != nil {
				t.Fatal(err)
			}
			return out.ToArray()
		}
		both := "attr IN ('born:1996', 'born:1997')"
		write(roaring.BitmapOf(1), roaring.BitmapOf(2, 3))
		if got := read("attr = 'born:1996'"); !slices.Equal(got, []uint32{1}) {
			t.Fatalf("born 1996: %v", got)
		}
		// Once: the second try sees the rows after the move.
		defer func() { afterStamps = nil }()
		tries := 0
		afterStamps = func() {
			if tries++; tries == 1 {
				write(roaring.BitmapOf(1, 2), roaring.BitmapOf(3))
			}
		}
		if got := read(both); !slices.Equal(got, []uint32{1, 2, 3}) || tries != 2 {
			t.Errorf("a person moved during the read: %v after %d tries; want [1 2 3] after 2", got, tries)
		}
		// Always, with neither row held: after two tries, one statement reads every row's bits.
		write(roaring.BitmapOf(1), roaring.BitmapOf(2, 3))
		tries = 0
		afterStamps = func() {
			tries++
			if tries%2 == 1 {
				write(roaring.BitmapOf(1, 2), roaring.BitmapOf(3))
			} else {
				write(roaring.BitmapOf(1), roaring.BitmapOf(2, 3))
			}
		}
		if got := read(both); !slices.Equal(got, []uint32{1, 2, 3}) || tries != 2 {
			t.Errorf("a person moved at every try: %v after %d tries; want [1 2 3] after 2", got, tries)
		}
		afterStamps = nil
		before := ReadCacheStats()
		if got := read(both); !slices.Equal(got, []uint32{1, 2, 3}) {
			t.Errorf("after the moves: %v", got)
		}
		if after := ReadCacheStats(); after.Hits-before.Hits != 2 || after.Misses != before.Misses {
			t.Errorf("the rows the last read gave were not held: %+v then %+v", before, after)
		}
	})
}

// The union of a shard's rows is kept under their stamps: asked again with none of them
// written, it is the same bitmap; after one of them is written, it is made again from what the
// rows hold now.
func TestUnionsKeptUnderTheirRowsStamps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		write := func(ra, rb *roaring.Bitmap) { writeBorn(t, db, ra, rb) }
		union := func(cached bool) *roaring.Bitmap {
			var parts []stored
			err := storedBits(ctx, db.R, cached, "reach_people", []string{"attr", "shard"}, "attr IN ('born:1996', 'born:1997')", nil,
				func(_ uint32, s stored) { parts = append(parts, s) })
			if err != nil {
				t.Fatal(err)
			}
			if len(parts) != 2 {
				t.Fatalf("%d rows read, want 2", len(parts))
			}
			return unionOf(parts, cached)
		}
		write(roaring.BitmapOf(1), roaring.BitmapOf(2, 3))
		first := union(true)
		if got := first.ToArray(); !slices.Equal(got, []uint32{1, 2, 3}) {
			t.Fatalf("union: %v", got)
		}
		if again := union(true); again != first {
			t.Errorf("the same rows, unwritten, gave a new union")
		}
		if fresh := union(false); fresh == first || !fresh.Equals(first) {
			t.Errorf("uncached: the held union came back, or a different one: %v", fresh.ToArray())
		}
		write(roaring.BitmapOf(1), roaring.BitmapOf(3, 4))
		after := union(true)
		if got := after.ToArray(); !slices.Equal(got, []uint32{1, 3, 4}) {
			t.Errorf("after a write: %v, want [1 3 4]", got)
		}
		if got := first.ToArray(); !slices.Equal(got, []uint32{1, 2, 3}) {
			t.Errorf("the union held before the write was modified: %v", got)
		}
	})
}

// A write that adds only people a row already holds, or removes only people it does not, leaves
// the row as it is, stamp and all, so what the cache holds of it stays good; a real change
// renews the stamp.
func TestUnchangedRowsAreNotRewritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		writeBorn(t, db, roaring.BitmapOf(1, 2), roaring.BitmapOf(3))
		stamp := func() int64 {
			var n int64
			if err := db.R.QueryRowContext(ctx, `SELECT stamp FROM reach_people WHERE attr = 'born:1996' AND shard = 0`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		change := func(add, remove []uint32) {
			c := newChange[attrKey]()
			k := attrKey{"born:1996", 0}
			if add != nil {
				c.add[k] = roaring.BitmapOf(add...)
			}
			if remove != nil {
				c.remove[k] = roaring.BitmapOf(remove...)
			}
			if err := db.Tx(ctx, func(tx *sql.Tx) error { return applyPeople(ctx, tx, db.Dialect, c) }); err != nil {
				t.Fatal(err)
			}
		}
		was := stamp()
		change([]uint32{2}, []uint32{5})
		if now := stamp(); now != was {
			t.Errorf("adding a person held and removing one absent rewrote the row: stamp %d → %d", was, now)
		}
		change([]uint32{4}, nil)
		if now := stamp(); now == was {
			t.Errorf("adding a new person kept the stamp")
		}
		var got []uint32
		err := storedBits(ctx, db.R, false, "reach_people", []string{"attr", "shard"}, "attr = 'born:1996'", nil, func(_ uint32, s stored) { got = s.bits.ToArray() })
		if err != nil || !slices.Equal(got, []uint32{1, 2, 4}) {
			t.Errorf("born 1996 holds %v (%v), want [1 2 4]", got, err)
		}
	})
}
