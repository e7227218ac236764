package analytics

import (
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// The cache keeps what was used last within its bytes and lets the rest go, oldest use first.
func TestBitsCacheKeepsTheRecentWithinItsLimit(t *testing.T) {
	bm := func(n uint32) *roaring.Bitmap {
		b := roaring.New()
		for i := range n {
			b.Add(i * 7)
		}
		return b
	}
	one := int64(bm(1000).GetSizeInBytes()) + 64 + 1
	c := newBitsCache(3 * one)
	for _, k := range []string{"a", "b", "c"} {
		c.put(k, bm(1000))
	}
	if c.get("a") == nil || c.get("b") == nil || c.get("c") == nil || c.hits != 3 {
		t.Fatalf("three entries within the limit: %d held, %d hits", len(c.items), c.hits)
	}
	c.get("a") // b is now the least recently used
	c.put("d", bm(1000))
	if c.get("b") != nil || c.get("a") == nil || c.get("d") == nil || c.size > c.limit {
		t.Errorf("after a fourth: held %v, %d of %d bytes; want b let go", keys(c), c.size, c.limit)
	}
	// Replacing an entry does not count it twice.
	c.put("d", bm(1000))
	if len(c.items) != 3 || c.order.Len() != 3 || c.size > c.limit {
		t.Errorf("after replacing d: %d entries, %d in order, %d bytes", len(c.items), c.order.Len(), c.size)
	}
	// A bitmap larger than the whole cache is not held, and does not empty it.
	c.put("huge", bm(100000))
	if c.get("huge") != nil || len(c.items) != 3 {
		t.Errorf("a bitmap over the limit: held %v", keys(c))
	}
	// Turning the cache off lets everything go and holds nothing new.
	was := c.limit
	c.limit = 0
	c.trim()
	c.put("e", bm(10))
	if len(c.items) != 0 || c.size != 0 || c.order.Len() != 0 || was != 3*one {
		t.Errorf("cache off: %v held, %d bytes", keys(c), c.size)
	}
}

func keys(c *bitsCache) []string {
	var out []string
	for k := range c.items {
		out = append(out, k)
	}
	return out
}
