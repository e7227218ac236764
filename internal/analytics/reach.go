// Package analytics keeps the derived aggregates that make unique reach fast and exact: for every
// unit down to the county, per month and per year, per service type and for any type, a roaring
// bitmap of the people (card ids) served anywhere in its subtree; and per person attribute (sex,
// birth year, target group) a bitmap of the people who have it. A reach question is then a union
// of a few bitmaps intersected with a few others, never a scan of services.
//
// The bitmaps are kept in the transaction of every write that changes them (Add, Refresh,
// SetPerson, unit moves) and can be rebuilt from the source tables (Rebuild) and proved equal to
// them and to SQL COUNT(DISTINCT) (Verify). The source is the services and cards tables.
package analytics

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"ting/internal/org"
	"ting/internal/store"
)

// MaxDepth is the deepest level that keeps bitmaps: national (1) to county (4). A community's
// subtree is small; its reach is counted from its services directly.
const MaxDepth = 4

// ShardBits splits the people into shards of 2^20 card ids, so no stored bitmap grows beyond a
// million people and a write rewrites at most one shard's bitmap per key.
const ShardBits = 20

// Served is one service given: who, where, when ('YYYY-MM-DD') and what.
type Served struct {
	Card int64
	Unit int64
	Date string
	Type string
}

// Person is what the attribute bitmaps know of a card.
type Person struct {
	ID        int64
	Sex       string
	BirthYear int
	Groups    []string
}

func (p Person) attrs() []string {
	out := []string{"sex:" + p.Sex, fmt.Sprintf("born:%04d", p.BirthYear)}
	for _, g := range p.Groups {
		out = append(out, "group:"+g)
	}
	return out
}

// key names one stored bitmap of reach_bitmaps.
type key struct {
	unit   int64
	period string
	typ    string
	shard  uint32
}

// attrKey names one stored bitmap of reach_people.
type attrKey struct {
	attr  string
	shard uint32
}

func shardOf(card int64) uint32 { return uint32(card >> ShardBits) }

// depthOf is the level of a unit from its materialised path ("/1/" is 1).
func depthOf(path string) int { return strings.Count(path, "/") - 1 }

// indexed lists the ids in path (a unit and its ancestors) that keep bitmaps.
func indexed(path string) []int64 {
	var out []int64
	for i, part := range strings.Split(strings.Trim(path, "/"), "/") {
		if i >= MaxDepth {
			break
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err == nil {
			out = append(out, id)
		}
	}
	return out
}

// keysOf are the bitmaps a service at a unit with this path belongs to.
func keysOf(path string, card int64, date, typ string, add func(key)) {
	if len(date) < 7 {
		return
	}
	sh := shardOf(card)
	for _, u := range indexed(path) {
		for _, p := range []string{date[:7], date[:4]} {
			add(key{u, p, typ, sh})
			add(key{u, p, "", sh})
		}
	}
}

// paths reads the paths of units.
func paths(ctx context.Context, q store.Queryer, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	uniq := slices.Compact(slices.Sorted(slices.Values(ids)))
	for len(uniq) > 0 {
		n := min(len(uniq), 200)
		args := make([]any, n)
		ph := make([]string, n)
		for i := range n {
			args[i], ph[i] = uniq[i], "$"+strconv.Itoa(i+1)
		}
		rows, err := q.QueryContext(ctx, `SELECT id, path FROM org_units WHERE id IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var p string
			if err := rows.Scan(&id, &p); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		uniq = uniq[n:]
	}
	return out, nil
}

// change is a set of bits to add to and remove from stored bitmaps.
type change[K comparable] struct {
	add, remove map[K]*roaring.Bitmap
}

func newChange[K comparable]() change[K] {
	return change[K]{add: map[K]*roaring.Bitmap{}, remove: map[K]*roaring.Bitmap{}}
}

func (c change[K]) set(m map[K]*roaring.Bitmap, k K, id int64) {
	b := m[k]
	if b == nil {
		b = roaring.New()
		m[k] = b
	}
	b.Add(uint32(id))
}

// Add records services given, in the caller's transaction: each person joins the bitmaps of the
// service's unit and its ancestors for its month and year, its type and any type.
func Add(ctx context.Context, tx *sql.Tx, d store.Dialect, served []Served) error {
	if len(served) == 0 {
		return nil
	}
	units := make([]int64, len(served))
	for i, s := range served {
		units[i] = s.Unit
	}
	ps, err := paths(ctx, tx, units)
	if err != nil {
		return err
	}
	c := newChange[key]()
	for _, s := range served {
		path, ok := ps[s.Unit]
		if !ok {
			return fmt.Errorf("reach: unit %d not found", s.Unit)
		}
		keysOf(path, s.Card, s.Date, s.Type, func(k key) { c.set(c.add, k, s.Card) })
	}
	return applyReach(ctx, tx, d, c)
}

// Refresh re-derives, after services were deleted or moved to another card, whether their people
// still belong to the bitmaps those services were in, from the services they have left.
func Refresh(ctx context.Context, tx *sql.Tx, d store.Dialect, gone []Served) error {
	if len(gone) == 0 {
		return nil
	}
	units := make([]int64, 0, len(gone))
	cards := map[int64]bool{}
	for _, s := range gone {
		units = append(units, s.Unit)
		cards[s.Card] = true
	}
	ps, err := paths(ctx, tx, units)
	if err != nil {
		return err
	}
	// The keys each card is still in, from its remaining services.
	still := map[int64]map[key]bool{}
	ids := slices.Sorted(func(yield func(int64) bool) {
		for id := range cards {
			if !yield(id) {
				return
			}
		}
	})
	for len(ids) > 0 {
		n := min(len(ids), 200)
		args := make([]any, n)
		ph := make([]string, n)
		for i := range n {
			args[i], ph[i] = ids[i], "$"+strconv.Itoa(i+1)
		}
		rows, err := tx.QueryContext(ctx, `SELECT s.card_id, s.served_on, s.type, u.path FROM services s JOIN org_units u ON u.id = s.site_id
			WHERE s.card_id IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var card int64
			var date, typ, path string
			if err := rows.Scan(&card, &date, &typ, &path); err != nil {
				rows.Close()
				return err
			}
			m := still[card]
			if m == nil {
				m = map[key]bool{}
				still[card] = m
			}
			keysOf(path, card, date, typ, func(k key) { m[k] = true })
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		ids = ids[n:]
	}
	c := newChange[key]()
	for _, s := range gone {
		path, ok := ps[s.Unit]
		if !ok {
			continue
		}
		keysOf(path, s.Card, s.Date, s.Type, func(k key) {
			if !still[s.Card][k] {
				c.set(c.remove, k, s.Card)
			}
		})
	}
	return applyReach(ctx, tx, d, c)
}

// SetPerson moves a person between attribute bitmaps: old nil for a new card, now nil for a card
// that no longer counts (merged away).
func SetPerson(ctx context.Context, tx *sql.Tx, d store.Dialect, old, now *Person) error {
	c := newChange[attrKey]()
	was, is := map[string]bool{}, map[string]bool{}
	if old != nil {
		for _, a := range old.attrs() {
			was[a] = true
		}
	}
	if now != nil {
		for _, a := range now.attrs() {
			is[a] = true
		}
	}
	for a := range was {
		if !is[a] {
			c.set(c.remove, attrKey{a, shardOf(old.ID)}, old.ID)
		}
	}
	for a := range is {
		if !was[a] || old.ID != now.ID {
			c.set(c.add, attrKey{a, shardOf(now.ID)}, now.ID)
		}
	}
	return applyPeople(ctx, tx, d, c)
}

// AddPeople puts many new people in the attribute bitmaps at once (bulk registration).
func AddPeople(ctx context.Context, tx *sql.Tx, d store.Dialect, people []Person) error {
	c := newChange[attrKey]()
	for _, p := range people {
		for _, a := range p.attrs() {
			c.set(c.add, attrKey{a, shardOf(p.ID)}, p.ID)
		}
	}
	return applyPeople(ctx, tx, d, c)
}

// table describes one stored family of bitmaps: its table, key columns and how a key binds.
type table[K comparable] struct {
	name   string
	cols   []string
	args   func(K) []any
	counts bool // keeps a "people" column
	less   func(a, b K) int
}

var reachTable = table[key]{
	name: "reach_bitmaps", cols: []string{"unit_id", "period", "service_type", "shard"}, counts: true,
	args: func(k key) []any { return []any{k.unit, k.period, k.typ, int64(k.shard)} },
	less: func(a, b key) int {
		if a.unit != b.unit {
			return cmp.Compare(a.unit, b.unit)
		}
		if a.period != b.period {
			return strings.Compare(a.period, b.period)
		}
		if a.typ != b.typ {
			return strings.Compare(a.typ, b.typ)
		}
		return cmp.Compare(int64(a.shard), int64(b.shard))
	},
}

var peopleTable = table[attrKey]{
	name: "reach_people", cols: []string{"attr", "shard"},
	args: func(k attrKey) []any { return []any{k.attr, int64(k.shard)} },
	less: func(a, b attrKey) int {
		if a.attr != b.attr {
			return strings.Compare(a.attr, b.attr)
		}
		return cmp.Compare(int64(a.shard), int64(b.shard))
	},
}

func applyReach(ctx context.Context, tx *sql.Tx, d store.Dialect, c change[key]) error {
	return apply(ctx, tx, d, reachTable, c)
}

func applyPeople(ctx context.Context, tx *sql.Tx, d store.Dialect, c change[attrKey]) error {
	return apply(ctx, tx, d, peopleTable, c)
}

// apply reads the bitmaps a change touches (locking them on PostgreSQL, where writers run
// concurrently; SQLite has one writer), applies it, and writes them back: deleted when empty.
// Keys are taken in order so two writers never wait on each other in opposite orders.
func apply[K comparable](ctx context.Context, tx *sql.Tx, d store.Dialect, t table[K], c change[K]) error {
	touched := map[K]bool{}
	for k := range c.add {
		touched[k] = true
	}
	for k := range c.remove {
		touched[k] = true
	}
	if len(touched) == 0 {
		return nil
	}
	keys := make([]K, 0, len(touched))
	for k := range touched {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, t.less)
	nc := len(t.cols)
	const batch = 100
	for start := 0; start < len(keys); start += batch {
		chunk := keys[start:min(len(keys), start+batch)]
		tuples := make([]string, len(chunk))
		conds := make([]string, len(chunk))
		var args []any
		for i, k := range chunk {
			ph := make([]string, nc)
			eq := make([]string, nc)
			for j := range nc {
				ph[j] = "$" + strconv.Itoa(i*nc+j+1)
				eq[j] = t.cols[j] + " = " + ph[j]
			}
			tuples[i] = "(" + strings.Join(ph, ",") + ")"
			conds[i] = "(" + strings.Join(eq, " AND ") + ")"
			args = append(args, t.args(k)...)
		}
		cols := strings.Join(t.cols, ", ")
		lock := ""
		if d == store.Postgres {
			// A row that does not exist cannot be locked: create the missing ones empty first
			// (a concurrent creator makes this wait for its commit), then lock them all.
			empty := ", people, bits) VALUES "
			if !t.counts {
				empty = ", bits) VALUES "
			}
			vals := make([]string, len(chunk))
			for i, tu := range tuples {
				if t.counts {
					vals[i] = strings.TrimSuffix(tu, ")") + ", 0, ''::bytea)"
				} else {
					vals[i] = strings.TrimSuffix(tu, ")") + ", ''::bytea)"
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+t.name+` (`+cols+empty+strings.Join(vals, ",")+` ON CONFLICT DO NOTHING`, args...); err != nil {
				return fmt.Errorf("reach: reserve %s: %w", t.name, err)
			}
			lock = " ORDER BY " + cols + " FOR UPDATE"
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+cols+`, bits FROM `+t.name+` WHERE `+strings.Join(conds, " OR ")+lock, args...)
		if err != nil {
			return fmt.Errorf("reach: read %s: %w", t.name, err)
		}
		stored := map[K]*roaring.Bitmap{}
		for rows.Next() {
			dest := make([]any, nc+1)
			vals := make([]any, nc)
			for j := range nc {
				dest[j] = &vals[j]
			}
			var bits []byte
			dest[nc] = &bits
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return err
			}
			k, ok := matchKey(chunk, t, vals)
			if !ok {
				continue
			}
			b := roaring.New()
			if len(bits) > 0 {
				if err := b.UnmarshalBinary(bits); err != nil {
					rows.Close()
					return fmt.Errorf("reach: %s: stored bitmap does not decode: %w", t.name, err)
				}
			}
			stored[k] = b
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, k := range chunk {
			b := stored[k]
			existed := b != nil
			if b == nil {
				b = roaring.New()
			}
			if a := c.add[k]; a != nil {
				b.Or(a)
			}
			if r := c.remove[k]; r != nil {
				b.AndNot(r)
			}
			where := make([]string, nc)
			for j, col := range t.cols {
				where[j] = col + " = $" + strconv.Itoa(j+1)
			}
			kargs := t.args(k)
			if b.IsEmpty() {
				if existed || d == store.Postgres {
					if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.name+` WHERE `+strings.Join(where, " AND "), kargs...); err != nil {
						return err
					}
				}
				continue
			}
			b.RunOptimize()
			data, err := b.MarshalBinary()
			if err != nil {
				return err
			}
			if existed || d == store.Postgres {
				set := "bits = $" + strconv.Itoa(nc+1)
				xargs := append(kargs, data)
				if t.counts {
					set += ", people = $" + strconv.Itoa(nc+2)
					xargs = append(xargs, int64(b.GetCardinality()))
				}
				if _, err := tx.ExecContext(ctx, `UPDATE `+t.name+` SET `+set+` WHERE `+strings.Join(where, " AND "), xargs...); err != nil {
					return err
				}
				continue
			}
			if err := insertBitmap(ctx, tx, t, kargs, b, data); err != nil {
				return err
			}
		}
	}
	return nil
}

func insertBitmap[K comparable](ctx context.Context, tx *sql.Tx, t table[K], kargs []any, b *roaring.Bitmap, data []byte) error {
	nc := len(t.cols)
	ph := make([]string, 0, nc+2)
	for j := range nc + 1 {
		ph = append(ph, "$"+strconv.Itoa(j+1))
	}
	cols := strings.Join(t.cols, ", ") + ", bits"
	args := append(kargs, data)
	if t.counts {
		cols += ", people"
		ph = append(ph, "$"+strconv.Itoa(nc+2))
		args = append(args, int64(b.GetCardinality()))
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO `+t.name+` (`+cols+`) VALUES (`+strings.Join(ph, ",")+`)`, args...)
	return err
}

// matchKey finds the key of a scanned row among the chunk's keys by comparing bound values.
func matchKey[K comparable](chunk []K, t table[K], vals []any) (K, bool) {
	for _, k := range chunk {
		a := t.args(k)
		same := true
		for j := range a {
			if !sameValue(a[j], vals[j]) {
				same = false
				break
			}
		}
		if same {
			return k, true
		}
	}
	var zero K
	return zero, false
}

func sameValue(want, got any) bool {
	switch w := want.(type) {
	case int64:
		switch g := got.(type) {
		case int64:
			return w == g
		case int32:
			return w == int64(g)
		}
	case string:
		switch g := got.(type) {
		case string:
			return w == g
		case []byte:
			return w == string(g)
		}
	}
	return false
}

func init() { org.OnMove(moveReach) }

// moveReach keeps the bitmaps exact when a unit moves: the ancestors it leaves and those it joins
// (not the common ones, whose subtree keeps the same people) are recomputed from the services.
// org calls it in the move's transaction, with the descendants' paths already re-rooted and the
// unit's own row not yet.
func moveReach(ctx context.Context, tx *sql.Tx, u org.Unit, oldPath string) error {
	oldUp, newUp := indexed(oldPath), indexed(u.Path)
	common := 0
	for common < len(oldUp) && common < len(newUp) && oldUp[common] == newUp[common] {
		common++
	}
	for _, a := range oldUp[common:] {
		if a != u.ID {
			if err := recompute(ctx, tx, a, u.ID, 0); err != nil {
				return err
			}
		}
	}
	for _, a := range newUp[common:] {
		if a != u.ID {
			if err := recompute(ctx, tx, a, 0, u.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// recompute rebuilds one unit's bitmaps from the services in its subtree, leaving out the unit
// exclude and putting in the unit include (a moving unit whose own path is not yet updated).
func recompute(ctx context.Context, tx *sql.Tx, unitID, exclude, include int64) error {
	var path string
	if err := tx.QueryRowContext(ctx, `SELECT path FROM org_units WHERE id = $1`, unitID).Scan(&path); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT s.card_id, s.served_on, s.type FROM services s JOIN org_units u ON u.id = s.site_id
		WHERE (u.path LIKE $1 AND u.id <> $2) OR u.id = $3`, path+"%", exclude, include)
	if err != nil {
		return err
	}
	want := map[key]*roaring.Bitmap{}
	for rows.Next() {
		var card int64
		var date, typ string
		if err := rows.Scan(&card, &date, &typ); err != nil {
			rows.Close()
			return err
		}
		keysOf("/"+strconv.FormatInt(unitID, 10)+"/", card, date, typ, func(k key) {
			k.unit = unitID
			b := want[k]
			if b == nil {
				b = roaring.New()
				want[k] = b
			}
			b.Add(uint32(card))
		})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM reach_bitmaps WHERE unit_id = $1`, unitID); err != nil {
		return err
	}
	_, err = writeAll(ctx, tx, want)
	return err
}

// writeAll inserts bitmaps into an emptied reach_bitmaps range.
func writeAll(ctx context.Context, tx *sql.Tx, bms map[key]*roaring.Bitmap) (int64, error) {
	var size int64
	keys := make([]key, 0, len(bms))
	for k := range bms {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, reachTable.less)
	for _, k := range keys {
		b := bms[k]
		b.RunOptimize()
		data, err := b.MarshalBinary()
		if err != nil {
			return 0, err
		}
		if err := insertBitmap(ctx, tx, reachTable, reachTable.args(k), b, data); err != nil {
			return 0, err
		}
		size += int64(len(data))
	}
	return size, nil
}
