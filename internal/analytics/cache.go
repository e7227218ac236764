package analytics

import (
	"container/list"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"ting/internal/store"
)

// The stored bitmaps are read far more often than they change: the attribute bitmaps change
// only when cards do, and a unit's bitmaps for a closed year not at all. Reading and decoding
// them is most of a count's time at scale (ten shards of a birth year, each up to a million
// people). So counts keep the bitmaps they read in memory, under the row's key and stamp.
//
// Every write of a row gives it a new random stamp (writeRows; the column's default for a row
// created otherwise), in the same statement as its bits. A count first reads the keys and stamps
// of the rows it needs, which are small, and then the bits of only those rows whose stamp it does
// not hold. A row's stamp and bits are read together, so what is held under a stamp is exactly
// that row's content under it: a count reads from memory what it would have read from the
// database, in its own snapshot, whatever writers are doing. Nothing is ever invalidated: a
// changed row has a new stamp, and its old entry ages out. Stamps are random rather than counted
// so that two databases in one process (tests, templates, restored copies) can only share a
// stamp for a row they share the content of; a collision of two 63-bit random numbers is the
// only way to read a wrong bitmap.
//
// Verification (Verify) never reads through the cache: it reads the database.

// DefaultCacheBytes is the memory the cache may hold until SetCacheBytes says otherwise (the
// command line's --reach-cache-mb).
const DefaultCacheBytes = 256 << 20

var cache = newBitsCache(DefaultCacheBytes)

// SetCacheBytes sets the memory the cache of stored bitmaps may hold, and returns the limit it
// had; 0 turns the cache off. What is held beyond the new limit is let go at once.
func SetCacheBytes(n int64) (was int64) {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	was, cache.limit = cache.limit, max(0, n)
	cache.trim()
	return was
}

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

// bitsCache holds decoded bitmaps up to a number of bytes, letting the least recently used go.
type bitsCache struct {
	mu           sync.Mutex
	limit, size  int64
	hits, misses int64
	items        map[string]*list.Element
	order        *list.List // of *entry, most recently used first
}

type entry struct {
	key  string
	bits *roaring.Bitmap
	size int64
}

func newBitsCache(limit int64) *bitsCache {
	return &bitsCache{limit: limit, items: map[string]*list.Element{}, order: list.New()}
}

func (c *bitsCache) get(k string) *roaring.Bitmap {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		c.misses++
		return nil
	}
	c.hits++
	c.order.MoveToFront(el)
	return el.Value.(*entry).bits
}

func (c *bitsCache) put(k string, b *roaring.Bitmap) {
	size := int64(b.GetSizeInBytes()) + int64(len(k)) + 64
	c.mu.Lock()
	defer c.mu.Unlock()
	if size > c.limit {
		return
	}
	if el, ok := c.items[k]; ok {
		c.size -= el.Value.(*entry).size
		c.order.Remove(el)
	}
	c.items[k] = c.order.PushFront(&entry{k, b, size})
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
		delete(c.items, e.key)
		c.size -= e.size
	}
}

// newStamp is the stamp of a row's new content.
func newStamp() int64 { return rand.Int64() }

// storedBits reads the bitmaps of the rows of table that where selects (its parameters from
// $1), calling fn with each row's values of cols, as scanned, and its bitmap. The bitmaps may be
// shared with other counts: fn must not modify them.
func storedBits(ctx context.Context, q store.Queryer, table string, cols []string, where string, args []any, fn func(vals []any, b *roaring.Bitmap)) error {
	nc := len(cols)
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+`, stamp FROM `+table+` WHERE `+where, args...)
	if err != nil {
		return fmt.Errorf("reach: %s: %w", table, err)
	}
	var missing [][]any
	for rows.Next() {
		vals := make([]any, nc)
		var stamp int64
		dest := make([]any, nc+1)
		for j := range vals {
			dest[j] = &vals[j]
		}
		dest[nc] = &stamp
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return err
		}
		if b := cache.get(cacheKey(table, vals, stamp)); b != nil {
			fn(vals, b)
		} else {
			missing = append(missing, vals)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// The rows not held, by key: each with the stamp it has now, which is the one its bits go
	// under, whatever it was a moment ago.
	per := max(1, 400/nc)
	for len(missing) > 0 {
		chunk := missing[:min(len(missing), per)]
		missing = missing[len(chunk):]
		conds := make([]string, len(chunk))
		var kargs []any
		for i, vals := range chunk {
			eq := make([]string, nc)
			for j, col := range cols {
				kargs = append(kargs, vals[j])
				eq[j] = col + " = $" + strconv.Itoa(len(kargs))
			}
			conds[i] = "(" + strings.Join(eq, " AND ") + ")"
		}
		rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+`, stamp, bits FROM `+table+` WHERE `+strings.Join(conds, " OR "), kargs...)
		if err != nil {
			return fmt.Errorf("reach: %s: %w", table, err)
		}
		for rows.Next() {
			vals := make([]any, nc)
			var stamp int64
			var bits []byte
			dest := make([]any, nc+2)
			for j := range vals {
				dest[j] = &vals[j]
			}
			dest[nc], dest[nc+1] = &stamp, &bits
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return err
			}
			b := roaring.New()
			if len(bits) > 0 {
				if err := b.UnmarshalBinary(bits); err != nil {
					rows.Close()
					return fmt.Errorf("reach: stored bitmap does not decode: %w", err)
				}
			}
			cache.put(cacheKey(table, vals, stamp), b)
			fn(vals, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func cacheKey(table string, vals []any, stamp int64) string {
	return table + "\x00" + signature(vals) + strconv.FormatInt(stamp, 10)
}

// asShard reads a scanned shard column.
func asShard(v any) uint32 {
	switch x := v.(type) {
	case int64:
		return uint32(x)
	case int32:
		return uint32(x)
	case []byte:
		n, _ := strconv.ParseInt(string(x), 10, 64)
		return uint32(n)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return uint32(n)
	}
	return 0
}
