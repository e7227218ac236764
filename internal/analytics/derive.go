package analytics

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"

	"ting/internal/store"
)

// Deriving a pass's bitmaps from the services. Each service puts its person in one bitmap
// only: that of its site's deepest indexed unit, its month and its type. The rest follow by
// union, container by container rather than bit by bit: each unit's month-and-type bitmaps into
// its parent's, level by level from the counties up, then each unit's months into its years
// and its types into "any type". A service thus costs one map lookup and one bit, where setting
// its 16 bitmaps directly (keysOf) cost sixteen of each.

// cell is a bitmap before the roll-ups: a unit, a month and a type, by index.
type cell struct {
	unit  int64
	month uint16
	typ   uint16
}

// tree is what a derivation needs of the network: for every unit its deepest indexed unit
// (itself down to the county, else its county), and each indexed unit's parent and depth.
type tree struct {
	leaf   map[int64]int64
	parent map[int64]int64
	depth  map[int64]int
}

func loadTree(ctx context.Context, q store.Queryer) (tree, error) {
	t := tree{leaf: map[int64]int64{}, parent: map[int64]int64{}, depth: map[int64]int{}}
	rows, err := q.QueryContext(ctx, `SELECT id, path FROM org_units`)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var path string
		if err := rows.Scan(&id, &path); err != nil {
			return t, err
		}
		up := indexed(path)
		if len(up) == 0 {
			continue
		}
		t.leaf[id] = up[len(up)-1]
		for i, u := range up {
			t.depth[u] = i + 1
			if i > 0 {
				t.parent[u] = up[i-1]
			}
		}
	}
	return t, rows.Err()
}

// interner numbers strings in the order first seen.
type interner struct {
	index map[string]uint16
	names []string
}

func (in *interner) of(b []byte) (uint16, error) {
	if i, ok := in.index[string(b)]; ok {
		return i, nil
	}
	if len(in.names) == 1<<16-1 {
		return 0, fmt.Errorf("reach: more than %d distinct months or service types", len(in.names))
	}
	i := uint16(len(in.names))
	in.index[string(b)] = i
	in.names = append(in.names, string(b))
	return i, nil
}

// deriveReach computes one pass's reach bitmaps from the services (without those still pending
// when folded is set).
func deriveReach(ctx context.Context, q store.Queryer, t tree, p pass, folded bool) (map[key]*roaring.Bitmap, error) {
	query := `SELECT s.card_id, s.site_id, s.served_on, s.type FROM services s WHERE ` + p.cond("s.card_id")
	if folded {
		query += ` AND NOT EXISTS (SELECT 1 FROM reach_pending rp WHERE rp.service_id = s.id)`
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	months := interner{index: map[string]uint16{}}
	types := interner{index: map[string]uint16{}}
	cells := map[cell]*roaring.Bitmap{}
	var shard uint32
	var date, typ sql.RawBytes
	for rows.Next() {
		var card, site int64
		if err := rows.Scan(&card, &site, &date, &typ); err != nil {
			return nil, err
		}
		leaf, ok := t.leaf[site]
		if !ok || len(date) < 7 {
			continue
		}
		m, err := months.of(date[:7])
		if err != nil {
			return nil, err
		}
		ty, err := types.of(typ)
		if err != nil {
			return nil, err
		}
		shard = shardOf(card) // one shard a pass
		addBit(cells, cell{leaf, m, ty}, card)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	// Up the tree, deepest level first: each unit's cells and its children's, united.
	byDepth := make([][]cell, MaxDepth+1)
	for c := range cells {
		byDepth[t.depth[c.unit]] = append(byDepth[t.depth[c.unit]], c)
	}
	for d := MaxDepth; d > 1; d-- {
		kids := map[cell][]*roaring.Bitmap{}
		for _, c := range byDepth[d] {
			up := cell{t.parent[c.unit], c.month, c.typ}
			kids[up] = append(kids[up], cells[c])
		}
		for up, bs := range kids {
			if own := cells[up]; own != nil {
				bs = append(bs, own)
			} else {
				byDepth[d-1] = append(byDepth[d-1], up)
			}
			cells[up] = union(bs)
		}
	}
	// Months into years, types into any type.
	out := make(map[key]*roaring.Bitmap, 4*len(cells))
	parts := map[key][]*roaring.Bitmap{}
	for c, b := range cells {
		month, ty := months.names[c.month], types.names[c.typ]
		out[key{c.unit, month, ty, shard, 0}] = b
		for _, k := range []key{{c.unit, month[:4], ty, shard, 0}, {c.unit, month, "", shard, 0}, {c.unit, month[:4], "", shard, 0}} {
			parts[k] = append(parts[k], b)
		}
	}
	for k, bs := range parts {
		out[k] = union(bs)
	}
	return out, nil
}

// union is the union of bitmaps; one alone is returned itself, not copied (where data is
// sparse, most units, years and "any type" hold the people of one bitmap below them). Derived
// bitmaps may thus be shared between keys: nothing changes them once derived but RunOptimize,
// which keeps the set.
func union(bs []*roaring.Bitmap) *roaring.Bitmap {
	if len(bs) == 1 {
		return bs[0]
	}
	return roaring.FastOr(bs...)
}
