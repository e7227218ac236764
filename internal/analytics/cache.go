package analytics

import (
	"container/list"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"ting/internal/store"
)

// The stored bitmaps are read far more often than they change: the attribute bitmaps change
// only when cards do, and a unit's bitmaps for a past year seldom. Reading and decoding them is
// most of a count's time at scale (ten shards of a birth year, each up to a million people). So
// counts keep the bitmaps they read in memory, one entry per row, under the row's stamp.
//
// Every write of a row gives it a new random stamp (writeRows; the column's default for a row
// created otherwise; a trigger for an update that leaves the stamp as it was, so a process that
// predates the stamps cannot leave a stale entry). A count first reads the keys and stamps of
// the rows it needs, which are small, then the bits of the rows it does not hold under the same
// stamp, by key and stamp. If one of those rows has been written in between, the count starts
// again; after two such tries it reads every row's bits in one statement, as without the cache.
// So all the bitmaps of a read are the rows as one statement saw them, never a mix of two
// moments (which could lose a person moved from a row held to a row read later). Stamps are
// random rather than counted so that two databases in one process (tests, templates, restored
// copies) can only share a stamp for a row they share the content of.
//
// Verify does not read through the cache: it proves what the database holds.

// DefaultCacheBytes is the memory the cache may hold until SetCacheBytes says otherwise (the
// command line's --reach-cache-mb).
const DefaultCacheBytes = 256 << 20

var cache = newBitsCache(DefaultCacheBytes)

// SetCacheBytes sets the memory the cache of stored bitmaps may hold, and returns the limit it
// had; 0 (or less) turns the cache off. What is held beyond the new limit is let go at once.
func SetCacheBytes(n int64) (was int64) { return cache.setLimit(n) }

// CacheStats is what the cache holds and how it has served.
type CacheStats struct {
	Entries      int
	Bytes, Limit int64
	Hits, Misses int64
}

// ReadCacheStats reports the cache's contents and its hits and misses since the process began.
func ReadCacheStats() CacheStats {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	return CacheStats{Entries: len(cache.items), Bytes: cache.size, Limit: cache.limit, Hits: cache.hits, Misses: cache.misses}
}

// bitsCache holds decoded bitmaps, one per stored row under its latest stamp seen, up to a
// number of bytes, letting the least recently used go.
type bitsCache struct {
	mu           sync.Mutex
	limit, size  int64
	hits, misses int64
	items        map[string]*list.Element // by row
	order        *list.List               // of *entry, most recently used first
}

type entry struct {
	row   string
	stamp int64
	bits  *roaring.Bitmap
	size  int64
}

func newBitsCache(limit int64) *bitsCache {
	return &bitsCache{limit: limit, items: map[string]*list.Element{}, order: list.New()}
}

func (c *bitsCache) setLimit(n int64) (was int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	was, c.limit = c.limit, max(0, n)
	c.trim()
	return was
}

func (c *bitsCache) on() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limit > 0
}

// get is the row's bitmap if it is held under this stamp.
func (c *bitsCache) get(row string, stamp int64) *roaring.Bitmap {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[row]
	if !ok || el.Value.(*entry).stamp != stamp {
		c.misses++
		return nil
	}
	c.hits++
	c.order.MoveToFront(el)
	return el.Value.(*entry).bits
}

// put holds the row's bitmap under its stamp, in place of what was held for the row.
func (c *bitsCache) put(row string, stamp int64, b *roaring.Bitmap) {
	size := int64(b.GetSizeInBytes()) + int64(len(row)) + 80
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[row]; ok {
		c.size -= el.Value.(*entry).size
		c.order.Remove(el)
		delete(c.items, row)
	}
	if size > c.limit {
		return
	}
	c.items[row] = c.order.PushFront(&entry{row, stamp, b, size})
	c.size += size
	c.trim()
}

// trim lets the least recently used go until the cache is within its limit. c.mu is held.
func (c *bitsCache) trim() {
	for c.size > c.limit {
		el := c.order.Back()
		if el == nil {
			return
		}
		e := el.Value.(*entry)
		c.order.Remove(el)
		delete(c.items, e.row)
		c.size -= e.size
	}
}

// newStamp is the stamp of a row's new content.
func newStamp() int64 { return rand.Int64() }

// afterStamps, when set (by tests), runs between a cached read's two statements.
var afterStamps func()

// stored is one stored row's bitmap as a read found it: the row's name in the cache, its stamp.
type stored struct {
	row   string
	stamp int64
	bits  *roaring.Bitmap
}

// unionOf is the union of stored rows of one shard. With cached set it is kept in the cache too,
// under the names of the rows it was made of and a hash of their stamps: the same question asked
// again, with none of those rows written since, takes it from there instead of merging a
// decade of birth years (or three years of a unit) again. The result may be shared: read it,
// never modify it.
func unionOf(parts []stored, cached bool) *roaring.Bitmap {
	if len(parts) == 1 {
		return parts[0].bits
	}
	bits := make([]*roaring.Bitmap, len(parts))
	if !cached || !cache.on() {
		for i, p := range parts {
			bits[i] = p.bits
		}
		return roaring.FastOr(bits...)
	}
	slices.SortFunc(parts, func(a, b stored) int { return strings.Compare(a.row, b.row) })
	var key strings.Builder
	key.WriteString("union")
	h := fnv.New64a()
	var buf [8]byte
	for i, p := range parts {
		key.WriteString("\x01")
		key.WriteString(p.row)
		binary.LittleEndian.PutUint64(buf[:], uint64(p.stamp))
		h.Write(buf[:])
		bits[i] = p.bits
	}
	stamp := int64(h.Sum64())
	if b := cache.get(key.String(), stamp); b != nil {
		return b
	}
	b := roaring.FastOr(bits...)
	cache.put(key.String(), stamp, b)
	return b
}

// storedBits reads the bitmaps of the rows of table that where selects (its parameters from
// $1), through the cache when cached is set, and calls fn with each row's shard (cols' last)
// and what was read. The bitmaps may be shared with other counts: fn must not modify them.
func storedBits(ctx context.Context, q store.Queryer, cached bool, table string, cols []string, where string, args []any, fn func(shard uint32, s stored)) error {
	cached = cached && cache.on()
	if cached {
		for range 2 {
			done, err := throughCache(ctx, q, table, cols, where, args, fn)
			if err != nil || done {
				return err
			}
		}
	}
	// Every row's bits in one statement.
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+`, stamp, bits FROM `+table+` WHERE `+where, args...)
	if err != nil {
		return fmt.Errorf("reach: %s: %w", table, err)
	}
	return scanStored(rows, table, len(cols), func(row string, stamp int64, shard uint32, b *roaring.Bitmap) {
		if cached {
			cache.put(row, stamp, b)
		}
		fn(shard, stored{row, stamp, b})
	})
}

// throughCache is one try of a cached read; done is false when a row it needed was written
// between its two statements, and then it has called fn for nothing.
func throughCache(ctx context.Context, q store.Queryer, table string, cols []string, where string, args []any, fn func(uint32, stored)) (done bool, err error) {
	nc := len(cols)
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+`, stamp FROM `+table+` WHERE `+where, args...)
	if err != nil {
		return false, fmt.Errorf("reach: %s: %w", table, err)
	}
	type held struct {
		shard uint32
		stored
	}
	var have []held
	var missing [][]any // key values and stamp
	vals := make([]any, nc+1)
	dest := make([]any, nc+1)
	for rows.Next() {
		for j := range dest {
			dest[j] = &vals[j]
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return false, err
		}
		stamp, ok := vals[nc].(int64)
		shard, err := asShard(vals[nc-1])
		if !ok || err != nil {
			rows.Close()
			return false, fmt.Errorf("reach: %s: a row's shard %T or stamp %T is not an integer", table, vals[nc-1], vals[nc])
		}
		row := rowOf(table, vals[:nc])
		if b := cache.get(row, stamp); b != nil {
			have = append(have, held{shard, stored{row, stamp, b}})
		} else {
			missing = append(missing, slices.Clone(vals))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	if afterStamps != nil {
		afterStamps()
	}
	// The rows not held, by key and by the stamp the first statement saw: a row written since
	// does not come back, and the try is given up.
	var got []held
	per := max(1, 400/(nc+1))
	for start := 0; start < len(missing); start += per {
		chunk := missing[start:min(len(missing), start+per)]
		conds := make([]string, len(chunk))
		var kargs []any
		for i, vals := range chunk {
			eq := make([]string, nc+1)
			for j, col := range append(cols[:nc:nc], "stamp") {
				kargs = append(kargs, vals[j])
				eq[j] = col + " = $" + strconv.Itoa(len(kargs))
			}
			conds[i] = "(" + strings.Join(eq, " AND ") + ")"
		}
		rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+`, stamp, bits FROM `+table+` WHERE `+strings.Join(conds, " OR "), kargs...)
		if err != nil {
			return false, fmt.Errorf("reach: %s: %w", table, err)
		}
		err = scanStored(rows, table, nc, func(row string, stamp int64, shard uint32, b *roaring.Bitmap) {
			got = append(got, held{shard, stored{row, stamp, b}})
		})
		if err != nil {
			return false, err
		}
	}
	if len(got) != len(missing) {
		return false, nil
	}
	for _, r := range got {
		cache.put(r.row, r.stamp, r.bits)
		have = append(have, r)
	}
	for _, h := range have {
		fn(h.shard, h.stored)
	}
	return true, nil
}

// scanStored decodes rows of key columns (the shard last), stamp and bits, and closes them.
func scanStored(rows *sql.Rows, table string, nc int, fn func(row string, stamp int64, shard uint32, b *roaring.Bitmap)) error {
	defer rows.Close()
	vals := make([]any, nc)
	var stamp int64
	var bits []byte
	dest := make([]any, nc+2)
	for j := range vals {
		dest[j] = &vals[j]
	}
	dest[nc], dest[nc+1] = &stamp, &bits
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		shard, err := asShard(vals[nc-1])
		if err != nil {
			return fmt.Errorf("reach: %s: %w", table, err)
		}
		b := roaring.New()
		if len(bits) > 0 {
			if err := b.UnmarshalBinary(bits); err != nil {
				return fmt.Errorf("reach: %s: stored bitmap does not decode: %w", table, err)
			}
		}
		fn(rowOf(table, vals), stamp, shard, b)
	}
	return rows.Err()
}

// rowOf names a stored row in the cache: its table and key values.
func rowOf(table string, vals []any) string {
	return table + "\x00" + signature(vals)
}

// asShard reads a scanned shard column.
func asShard(v any) (uint32, error) {
	switch x := v.(type) {
	case int64:
		return uint32(x), nil
	case int32:
		return uint32(x), nil
	}
	return 0, fmt.Errorf("a shard scanned as %T, not an integer", v)
}
