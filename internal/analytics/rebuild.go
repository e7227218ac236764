package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"ting/internal/store"
)

// pass is the card ids one pass of a rebuild or verification derives: a range of whole shards,
// or everyone when all cards are in the first shard. A pass holds only its own shards' bitmaps
// in memory, so memory is bounded by a shard (2^ShardBits people), not by the whole network.
type pass struct {
	all    bool
	lo, hi int64 // card ids lo <= id < hi
}

func (p pass) cond(col string) string {
	if p.all {
		return "TRUE"
	}
	return fmt.Sprintf("%s >= %d AND %s < %d", col, p.lo, col, p.hi)
}

// passes are the shards that hold cards, one pass each.
func passes(ctx context.Context, q store.Queryer) ([]pass, error) {
	var top sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(id) FROM cards`).Scan(&top); err != nil {
		return nil, err
	}
	last := int64(shardOf(top.Int64))
	if last == 0 {
		return []pass{{all: true}}, nil
	}
	out := make([]pass, 0, last+1)
	for sh := range last + 1 {
		out = append(out, pass{lo: sh << ShardBits, hi: (sh + 1) << ShardBits})
	}
	return out, nil
}

// derive computes one pass's bitmaps from the source tables: the services (without those still
// pending when folded is set; deriveReach) and the cards not merged away.
func derive(ctx context.Context, q store.Queryer, t tree, p pass, folded bool) (map[key]*roaring.Bitmap, map[attrKey]*roaring.Bitmap, error) {
	reach, err := deriveReach(ctx, q, t, p, folded)
	if err != nil {
		return nil, nil, err
	}
	people := map[attrKey]*roaring.Bitmap{}
	rows, err := q.QueryContext(ctx, `SELECT id, sex, birth_year, groups, ethnicity FROM cards WHERE merged_into IS NULL AND `+p.cond("id"))
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var p Person
		var groups string
		if err := rows.Scan(&p.ID, &p.Sex, &p.BirthYear, &groups, &p.Ethnicity); err != nil {
			rows.Close()
			return nil, nil, err
		}
		p.Groups = SplitGroups(groups)
		for _, a := range p.attrs() {
			addBit(people, attrKey{a, shardOf(p.ID)}, p.ID)
		}
	}
	rows.Close()
	return reach, people, rows.Err()
}

// SplitGroups reads a card's stored groups (",a,b,").
func SplitGroups(s string) []string {
	var out []string
	for _, g := range strings.Split(s, ",") {
		if g != "" {
			out = append(out, g)
		}
	}
	return out
}

// JoinGroups is how a card stores its groups: sorted, each between commas, so one LIKE finds one.
func JoinGroups(gs []string) string {
	if len(gs) == 0 {
		return ","
	}
	s := slices.Clone(gs)
	slices.Sort(s)
	s = slices.Compact(s)
	return "," + strings.Join(s, ",") + ","
}

// Rebuild recomputes every reach bitmap from the services and cards, replacing what is stored,
// pending services included (the change sequence is emptied): one shard at a time, in one
// transaction.
func Rebuild(ctx context.Context, db *store.DB) (Stats, error) {
	var st Stats
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		for _, t := range []string{"reach_pending", "reach_bitmaps", "reach_generations", "reach_people"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
				return err
			}
		}
		ps, err := passes(ctx, tx)
		if err != nil {
			return err
		}
		t, err := loadTree(ctx, tx)
		if err != nil {
			return err
		}
		for _, p := range ps {
			reach, people, err := derive(ctx, tx, t, p, false)
			if err != nil {
				return err
			}
			n, err := writeAll(ctx, tx, db.Dialect, reachTable, reach)
			if err != nil {
				return err
			}
			m, err := writeAll(ctx, tx, db.Dialect, peopleTable, people)
			if err != nil {
				return err
			}
			st.Bitmaps, st.People, st.Bytes = st.Bitmaps+len(reach), st.People+len(people), st.Bytes+n+m
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("reach rebuild: %w", err)
	}
	if db.Dialect == store.SQLite {
		if _, err := db.W.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return st, err
		}
	}
	return st, nil
}

// Verify proves the stored bitmaps are what the records give: each one against a recomputation
// from the services already folded and the cards, shard by shard, and the reach of the national
// and provincial units (bitmaps and pending services together), for the whole span and each
// year, against SQL COUNT(DISTINCT) over the services. It reads the database, never the cache
// of decoded bitmaps.
func Verify(ctx context.Context, db *store.DB) (Stats, error) {
	var st Stats
	ps, err := passes(ctx, db.R)
	if err != nil {
		return st, err
	}
	t, err := loadTree(ctx, db.R)
	if err != nil {
		return st, err
	}
	for _, p := range ps {
		if err := verifyPass(ctx, db, t, p, &st); err != nil {
			return st, err
		}
	}
	return st, checkCounts(ctx, db, &st)
}

// verifyPass compares one pass's stored bitmaps with a recomputation. The last pass also owns
// any stored shard beyond the cards (which should not exist).
func verifyPass(ctx context.Context, db *store.DB, t tree, p pass, st *Stats) error {
	reach, people, err := derive(ctx, db.R, t, p, true)
	if err != nil {
		return err
	}
	shards := "TRUE"
	if !p.all {
		shards = fmt.Sprintf("shard >= %d AND shard < %d", shardOf(p.lo), shardOf(p.hi))
	}
	// A key's people are its base row's and its delta rows' (delta.go): every row is decoded
	// and checked for its own count, the deltas united by key, and each key's union compared.
	got := map[key]*roaring.Bitmap{}
	rows, err := db.R.QueryContext(ctx, `SELECT unit_id, period, service_type, shard, people, bits FROM reach_bitmaps WHERE `+shards)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k key
		var shard, n int64
		var bits []byte
		if err := rows.Scan(&k.unit, &k.period, &k.typ, &shard, &n, &bits); err != nil {
			rows.Close()
			return err
		}
		k.shard = uint32(shard)
		st.Bitmaps++
		st.Bytes += int64(len(bits))
		b := roaring.New()
		if err := b.UnmarshalBinary(bits); err != nil || n != int64(b.GetCardinality()) {
			st.Mismatches++
			continue
		}
		if have := got[k]; have != nil {
			have.Or(b)
		} else {
			got[k] = b
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for k, b := range got {
		if want := reach[k]; want == nil || !b.Equals(want) {
			st.Mismatches++
		}
	}
	for k := range reach {
		if got[k] == nil {
			st.Mismatches++
		}
	}
	seenP := map[attrKey]bool{}
	rows, err = db.R.QueryContext(ctx, `SELECT attr, shard, bits FROM reach_people WHERE `+shards)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k attrKey
		var shard int64
		var bits []byte
		if err := rows.Scan(&k.attr, &shard, &bits); err != nil {
			rows.Close()
			return err
		}
		k.shard = uint32(shard)
		st.People++
		st.Bytes += int64(len(bits))
		seenP[k] = true
		b := roaring.New()
		want := people[k]
		if err := b.UnmarshalBinary(bits); err != nil || want == nil || !b.Equals(want) {
			st.Mismatches++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for k := range people {
		if !seenP[k] {
			st.Mismatches++
		}
	}
	return nil
}

// checkCounts compares bitmap reach with SQL COUNT(DISTINCT) for the top two levels, over the
// whole span of services and each year of it.
func checkCounts(ctx context.Context, db *store.DB, st *Stats) error {
	var lo, hi sql.NullString
	if err := db.R.QueryRowContext(ctx, `SELECT MIN(served_on), MAX(served_on) FROM services`).Scan(&lo, &hi); err != nil {
		return err
	}
	if !lo.Valid {
		return nil
	}
	spans := []Span{{lo.String[:7], hi.String[:7]}}
	for y := lo.String[:4]; y <= hi.String[:4]; y = nextYear(y) {
		spans = append(spans, Span{y + "-01", y + "-12"})
	}
	rows, err := db.R.QueryContext(ctx, `SELECT id, path FROM org_units WHERE LENGTH(path) - LENGTH(REPLACE(path, '/', '')) <= 3`)
	if err != nil {
		return err
	}
	var units []Unit
	for rows.Next() {
		var u Unit
		if err := rows.Scan(&u.ID, &u.Path); err != nil {
			rows.Close()
			return err
		}
		units = append(units, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range units {
		for _, s := range spans {
			got, err := count(ctx, db.R, u, s, Filter{}, false)
			if err != nil {
				return err
			}
			want, err := SQLCount(ctx, db.R, u.Path, s, Filter{})
			if err != nil {
				return err
			}
			st.Checks++
			if got != want {
				st.Mismatches++
			}
		}
	}
	return nil
}
