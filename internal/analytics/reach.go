// Package analytics keeps the derived aggregates that make unique reach fast and exact: for every
// unit down to the county, per month and per year, per service type and for any type, a roaring
// bitmap of the people (card ids) served anywhere in its subtree; and per person attribute (sex,
// birth year, target group) a bitmap of the people who have it. A reach question is then a union
// of a few bitmaps intersected with a few others, never a scan of services.
//
// The bitmaps are kept in the transaction of every write that changes them (Add, Refresh,
// SetPerson, unit moves), except large imports, which list their services in a change sequence
// (Defer) that Fold merges later and every count adds meanwhile (pending.go); a fold adds to
// the rows above the counties as small delta rows, compacted every few folds (delta.go). They can be
// rebuilt from the source tables (Rebuild, shard by shard) and proved equal to them and to SQL
// COUNT(DISTINCT) (Verify). The source is the services and cards tables.
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
	Ethnicity string // as written on the card; none is kept for an empty one
}

func (p Person) attrs() []string {
	out := append([]string{"sex:" + p.Sex}, bornAttrs(p.BirthYear)...)
	for _, g := range p.Groups {
		out = append(out, "group:"+g)
	}
	if e := strings.TrimSpace(p.Ethnicity); e != "" {
		out = append(out, ethAttr(e))
	}
	return out
}

// ethAttr names the row of the people of an ethnicity.
func ethAttr(e string) string { return "eth:" + strings.TrimSpace(e) }

// key names one stored bitmap of reach_bitmaps: part 0 is a key's base row, and a higher part
// one of the people a fold added to it since (delta.go); the key's people are their union.
type key struct {
	unit   int64
	period string
	typ    string
	shard  uint32
	part   int64
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
	for _, u := range indexed(path) {
		keysAt(u, card, date, typ, add)
	}
}

// keysAt are the bitmaps of one unit a service in its subtree belongs to: its month and year,
// of its type and of any type.
func keysAt(unit, card int64, date, typ string, add func(key)) {
	if len(date) < 7 {
		return
	}
	sh := shardOf(card)
	for _, p := range []string{date[:7], date[:4]} {
		add(key{unit, p, typ, sh, 0})
		add(key{unit, p, "", sh, 0})
	}
}

// paths reads the paths of units.
func paths(ctx context.Context, q store.Queryer, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	uniq := slices.Compact(slices.Sorted(slices.Values(ids)))
	for len(uniq) > 0 {
		n := min(len(uniq), 5000)
		rows, err := q.QueryContext(ctx, `SELECT id, path FROM org_units WHERE id IN (`+ints(uniq[:n], ",")+`)`)
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

// addBit puts a person in the bitmap of a key, creating it.
func addBit[K comparable](m map[K]*roaring.Bitmap, k K, id int64) {
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
		keysOf(path, s.Card, s.Date, s.Type, func(k key) { addBit(c.add, k, s.Card) })
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
	// Every bitmap the services were in is rewritten (unchanged where the person stays). On
	// PostgreSQL they are locked before the remaining services are read, so a concurrent Add or
	// fold of another service of the same person has either committed (and is read below) or
	// waits and adds its bit after this.
	c := newChange[key]()
	for _, s := range gone {
		if path, ok := ps[s.Unit]; ok {
			keysOf(path, s.Card, s.Date, s.Type, func(k key) {
				if c.remove[k] == nil {
					c.remove[k] = roaring.New()
				}
			})
		}
	}
	if d == store.Postgres {
		keys := slices.SortedFunc(func(yield func(key) bool) {
			for k := range c.remove {
				if !yield(k) {
					return
				}
			}
		}, reachTable.less)
		batch := d.Rows(len(reachTable.cols))
		for start := 0; start < len(keys); start += batch {
			if _, err := readLocked(ctx, tx, d, reachTable, keys[start:min(len(keys), start+batch)], true); err != nil {
				return err
			}
		}
	}
	// The people folds added to these keys in delta rows go back into the base rows, which the
	// removals below then apply to; the delta rows go.
	if err := takeDeltas(ctx, tx, d, c); err != nil {
		return err
	}
	// The keys each card is still in, from its remaining services already folded (a pending
	// one adds its bits when folded).
	still := map[int64]map[key]bool{}
	ids := slices.Sorted(func(yield func(int64) bool) {
		for id := range cards {
			if !yield(id) {
				return
			}
		}
	})
	for len(ids) > 0 {
		n := min(len(ids), 5000)
		rows, err := tx.QueryContext(ctx, `SELECT s.card_id, s.served_on, s.type, u.path FROM services s JOIN org_units u ON u.id = s.site_id
			WHERE s.card_id IN (`+ints(ids[:n], ",")+`) AND NOT EXISTS (SELECT 1 FROM reach_pending rp WHERE rp.service_id = s.id)`)
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
	for _, s := range gone {
		path, ok := ps[s.Unit]
		if !ok {
			continue
		}
		keysOf(path, s.Card, s.Date, s.Type, func(k key) {
			if !still[s.Card][k] {
				addBit(c.remove, k, s.Card)
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
			addBit(c.remove, attrKey{a, shardOf(old.ID)}, old.ID)
		}
	}
	for a := range is {
		if !was[a] || old.ID != now.ID {
			addBit(c.add, attrKey{a, shardOf(now.ID)}, now.ID)
		}
	}
	return applyPeople(ctx, tx, d, c)
}

// AddPeople puts many new people in the attribute bitmaps at once (bulk registration).
func AddPeople(ctx context.Context, tx *sql.Tx, d store.Dialect, people []Person) error {
	c := newChange[attrKey]()
	for _, p := range people {
		for _, a := range p.attrs() {
			addBit(c.add, attrKey{a, shardOf(p.ID)}, p.ID)
		}
	}
	return applyPeople(ctx, tx, d, c)
}

// table describes one stored family of bitmaps: its table, key columns and how a key binds.
type table[K comparable] struct {
	name   string
	cols   []string
	types  []string // the columns' PostgreSQL types
	args   func(K) []any
	counts bool // keeps a "people" column
	less   func(a, b K) int
}

var reachTable = table[key]{
	name: "reach_bitmaps", cols: []string{"unit_id", "period", "service_type", "shard", "part"}, counts: true,
	types: []string{"bigint", "text", "text", "integer", "bigint"},
	args:  func(k key) []any { return []any{k.unit, k.period, k.typ, int64(k.shard), k.part} },
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
		if a.shard != b.shard {
			return cmp.Compare(a.shard, b.shard)
		}
		return cmp.Compare(a.part, b.part)
	},
}

var peopleTable = table[attrKey]{
	name: "reach_people", cols: []string{"attr", "shard"}, types: []string{"text", "integer"},
	args: func(k attrKey) []any { return []any{k.attr, int64(k.shard)} },
	less: func(a, b attrKey) int {
		if a.attr != b.attr {
			return strings.Compare(a.attr, b.attr)
		}
		return cmp.Compare(int64(a.shard), int64(b.shard))
	},
}

func applyReach(ctx context.Context, tx *sql.Tx, d store.Dialect, c change[key]) error {
	return apply(ctx, tx, d, reachTable, c, true)
}

func applyPeople(ctx context.Context, tx *sql.Tx, d store.Dialect, c change[attrKey]) error {
	return apply(ctx, tx, d, peopleTable, c, true)
}

// apply reads the bitmaps a change touches (locking them on PostgreSQL, where writers run
// concurrently; SQLite has one writer), applies it, and writes back those it changed: deleted
// when empty.
// Keys are taken in order so two writers never wait on each other in opposite orders.
// rowLocks is false when the caller holds the whole table (a fold on PostgreSQL).
func apply[K comparable](ctx context.Context, tx *sql.Tx, d store.Dialect, t table[K], c change[K], rowLocks bool) error {
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
	batch := d.Rows(len(t.cols))
	for start := 0; start < len(keys); start += batch {
		chunk := keys[start:min(len(keys), start+batch)]
		stored, err := readLocked(ctx, tx, d, t, chunk, rowLocks)
		if err != nil {
			return err
		}
		var put []row[K]
		var drop []K
		for _, k := range chunk {
			b := stored[k]
			existed := b != nil
			if b == nil {
				b = roaring.New()
			}
			// Adding only adds and removing only removes, so a change of size is a change of
			// content.
			changed := false
			if a := c.add[k]; a != nil {
				n := b.GetCardinality()
				b.Or(a)
				changed = b.GetCardinality() != n
			}
			if r := c.remove[k]; r != nil {
				n := b.GetCardinality()
				b.AndNot(r)
				changed = changed || b.GetCardinality() != n
			}
			if b.IsEmpty() {
				if existed || d == store.Postgres {
					drop = append(drop, k)
				}
				continue
			}
			// A row already holding every person added, and none removed, is left as it is:
			// not rewritten, and its stamp (so what the cache holds of it) kept.
			if existed && !changed {
				continue
			}
			put = append(put, row[K]{k, b})
		}
		if err := deleteRows(ctx, tx, d, t, drop); err != nil {
			return err
		}
		if _, err := writeRows(ctx, tx, d, t, put, true); err != nil {
			return err
		}
	}
	return nil
}

// readLocked reads the stored bitmaps of keys; on PostgreSQL it locks their rows, in key order
// (keys must be sorted), first creating empty the rows that do not exist yet (a row that does
// not exist cannot be locked; a concurrent creator makes this wait for its commit).
func readLocked[K comparable](ctx context.Context, tx *sql.Tx, d store.Dialect, t table[K], keys []K, rowLocks bool) (map[K]*roaring.Bitmap, error) {
	nc := len(t.cols)
	byKey := make(map[string]K, len(keys))
	cols := strings.Join(t.cols, ", ")
	var query string
	var args []any
	if d == store.Postgres {
		// The keys as one array per column, joined to the table: one statement, a few
		// parameters and an index lookup per key, whatever the number of keys.
		arrays := make([]any, nc)
		for _, k := range keys {
			ka := t.args(k)
			byKey[signature(ka)] = k
			for j, v := range ka {
				switch x := v.(type) {
				case int64:
					a, _ := arrays[j].([]int64)
					arrays[j] = append(a, x)
				case string:
					a, _ := arrays[j].([]string)
					arrays[j] = append(a, x)
				}
			}
		}
		params := make([]string, nc)
		alias := make([]string, nc)
		on := make([]string, nc)
		bcols := make([]string, nc)
		for j, col := range t.cols {
			params[j] = "$" + strconv.Itoa(j+1) + "::" + t.types[j] + "[]"
			alias[j] = "k" + strconv.Itoa(j)
			on[j] = "b." + col + " = k.k" + strconv.Itoa(j)
			bcols[j] = "b." + col
		}
		args = arrays
		keysFrom := `unnest(` + strings.Join(params, ", ") + `) AS k(` + strings.Join(alias, ", ") + `)`
		query = `SELECT ` + strings.Join(bcols, ", ") + `, b.bits FROM ` + t.name + ` b JOIN ` + keysFrom + ` ON ` + strings.Join(on, " AND ")
		if rowLocks {
			// A row that does not exist cannot be locked: create the missing ones empty first
			// (a concurrent creator makes this wait for its commit), then lock them all.
			empty := "''::bytea"
			into := cols + ", bits"
			if t.counts {
				empty, into = "0, ''::bytea", cols+", people, bits"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+t.name+` (`+into+`) SELECT k.*, `+empty+` FROM `+keysFrom+` ON CONFLICT DO NOTHING`, args...); err != nil {
				return nil, fmt.Errorf("reach: reserve %s: %w", t.name, err)
			}
			query += ` ORDER BY ` + strings.Join(bcols, ", ") + ` FOR UPDATE OF b`
		}
	} else {
		conds := make([]string, len(keys))
		for i, k := range keys {
			eq := make([]string, nc)
			for j := range nc {
				eq[j] = t.cols[j] + " = $" + strconv.Itoa(i*nc+j+1)
			}
			conds[i] = "(" + strings.Join(eq, " AND ") + ")"
			ka := t.args(k)
			byKey[signature(ka)] = k
			args = append(args, ka...)
		}
		query = d.Bind(`SELECT ` + cols + `, bits FROM ` + t.name + ` WHERE ` + strings.Join(conds, " OR "))
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reach: read %s: %w", t.name, err)
	}
	defer rows.Close()
	stored := map[K]*roaring.Bitmap{}
	dest := make([]any, nc+1)
	vals := make([]any, nc)
	for j := range nc {
		dest[j] = &vals[j]
	}
	for rows.Next() {
		var bits []byte
		dest[nc] = &bits
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		k, ok := byKey[signature(vals)]
		if !ok {
			continue
		}
		b := roaring.New()
		if len(bits) > 0 {
			if err := b.UnmarshalBinary(bits); err != nil {
				return nil, fmt.Errorf("reach: %s: stored bitmap does not decode: %w", t.name, err)
			}
		}
		stored[k] = b
	}
	return stored, rows.Err()
}

// signature writes a key's column values as one string, the same whether they are the values
// bound or the values scanned (which drivers return as int64, int32, string or []byte).
func signature(vals []any) string {
	var sb strings.Builder
	for _, v := range vals {
		switch x := v.(type) {
		case int64:
			sb.WriteString(strconv.FormatInt(x, 10))
		case int32:
			sb.WriteString(strconv.FormatInt(int64(x), 10))
		case string:
			sb.WriteString(x)
		case []byte:
			sb.Write(x)
		default:
			fmt.Fprint(&sb, x)
		}
		sb.WriteByte(0)
	}
	return sb.String()
}

// row is one bitmap to store under its key.
type row[K comparable] struct {
	key  K
	bits *roaring.Bitmap
}

// writeRows stores bitmaps, many rows per statement: inserted, or with upsert replacing the
// stored ones of the same keys. It returns the bytes written.
func writeRows[K comparable](ctx context.Context, tx *sql.Tx, d store.Dialect, t table[K], rows []row[K], upsert bool) (int64, error) {
	nc := len(t.cols)
	// Each row's new content gets a new stamp (cache.go).
	cols := strings.Join(t.cols, ", ") + ", bits, stamp"
	set := " ON CONFLICT (" + strings.Join(t.cols, ", ") + ") DO UPDATE SET bits = excluded.bits, stamp = excluded.stamp"
	if t.counts {
		cols += ", people"
		set += ", people = excluded.people"
	}
	if !upsert {
		set = ""
	}
	width := nc + 2
	if t.counts {
		width++
	}
	var size int64
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), d.Rows(width))]
		rows = rows[len(chunk):]
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + t.name + " (" + cols + ") VALUES ")
		args := make([]any, 0, len(chunk)*width)
		for i, r := range chunk {
			r.bits.RunOptimize()
			data, err := r.bits.MarshalBinary()
			if err != nil {
				return 0, err
			}
			size += int64(len(data))
			args = append(args, t.args(r.key)...)
			args = append(args, data, newStamp())
			if t.counts {
				args = append(args, int64(r.bits.GetCardinality()))
			}
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(")
			for j := range width {
				if j > 0 {
					sb.WriteString(",")
				}
				sb.WriteString("$" + strconv.Itoa(i*width+j+1))
			}
			sb.WriteString(")")
		}
		sb.WriteString(set)
		if _, err := tx.ExecContext(ctx, d.Bind(sb.String()), args...); err != nil {
			return 0, fmt.Errorf("reach: write %s: %w", t.name, err)
		}
	}
	return size, nil
}

// deleteRows removes stored bitmaps by key.
func deleteRows[K comparable](ctx context.Context, tx *sql.Tx, d store.Dialect, t table[K], keys []K) error {
	nc := len(t.cols)
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), d.Rows(nc))]
		keys = keys[len(chunk):]
		conds := make([]string, len(chunk))
		args := make([]any, 0, len(chunk)*nc)
		for i, k := range chunk {
			eq := make([]string, nc)
			for j, col := range t.cols {
				eq[j] = col + " = $" + strconv.Itoa(i*nc+j+1)
			}
			conds[i] = "(" + strings.Join(eq, " AND ") + ")"
			args = append(args, t.args(k)...)
		}
		if _, err := tx.ExecContext(ctx, d.Bind(`DELETE FROM `+t.name+` WHERE `+strings.Join(conds, " OR ")), args...); err != nil {
			return fmt.Errorf("reach: delete %s: %w", t.name, err)
		}
	}
	return nil
}

func init() { org.OnMove(moveReach) }

// moveReach keeps the bitmaps exact when a unit moves: the ancestors it leaves and those it joins
// (not the common ones, whose subtree keeps the same people) are recomputed from the services.
// org calls it in the move's transaction, with the descendants' paths already re-rooted and the
// unit's own row not yet.
func moveReach(ctx context.Context, tx *sql.Tx, d store.Dialect, u org.Unit, oldPath string) error {
	// Pending services are folded first, under the paths as they stand (the moving unit's own
	// services under its old ancestors): the ancestors recomputed below are then rewritten from
	// the services, and the others are the same under the old and the new paths.
	if _, err := fold(ctx, tx, d, 0); err != nil {
		return err
	}
	oldUp, newUp := indexed(oldPath), indexed(u.Path)
	common := 0
	for common < len(oldUp) && common < len(newUp) && oldUp[common] == newUp[common] {
		common++
	}
	for _, a := range oldUp[common:] {
		if a != u.ID {
			if err := recompute(ctx, tx, d, a, u.ID, 0); err != nil {
				return err
			}
		}
	}
	for _, a := range newUp[common:] {
		if a != u.ID {
			if err := recompute(ctx, tx, d, a, 0, u.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// recompute rebuilds one unit's bitmaps from the services in its subtree, leaving out the unit
// exclude and putting in the unit include (a moving unit whose own path is not yet updated).
func recompute(ctx context.Context, tx *sql.Tx, d store.Dialect, unitID, exclude, include int64) error {
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
			addBit(want, k, card)
		})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM reach_bitmaps WHERE unit_id = $1`, unitID); err != nil {
		return err
	}
	_, err = writeAll(ctx, tx, d, reachTable, want)
	return err
}

// writeAll inserts bitmaps into an emptied range of their table, in key order.
func writeAll[K comparable](ctx context.Context, tx *sql.Tx, d store.Dialect, t table[K], bms map[K]*roaring.Bitmap) (int64, error) {
	keys := make([]K, 0, len(bms))
	for k := range bms {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, t.less)
	rows := make([]row[K], len(keys))
	for i, k := range keys {
		rows[i] = row[K]{k, bms[k]}
	}
	return writeRows(ctx, tx, d, t, rows, false)
}
