package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"ting/internal/store"
)

// Delta rows. A fold of a large import touches the bitmaps of every month and type of the
// national, provincial and municipal units: the largest rows there are (a national row holds up
// to a million people a shard), and rewriting them all was most of a fold's work (about 1 GB for
// 50,000 services at 10 million cards). Instead each fold adds, under those units, a delta row
// per key holding only the people it folded (part = the fold's generation); the key's people
// are the union of its base row (part 0) and its delta rows, which is what every count reads
// anyway (a count unions the rows its keys match). Every CompactAt folds, the fold that reaches
// it merges all delta rows into their base rows (compact), so a key has at most CompactAt-1
// deltas and the large rows are rewritten once per CompactAt folds. Writes that remove people
// (Refresh) first take the deltas of the keys they touch back into the base rows (takeDeltas).
// reach_generations lists the folds whose deltas are outstanding.

// DeltaDepth is the depth down to which a fold writes delta rows (national 1, provincial 2,
// municipal 3); county rows, small and each touched by few folds, take the people in place.
const DeltaDepth = 3

// CompactAt is the number of folds with outstanding deltas at which they are compacted.
const CompactAt = 8

func init() {
	store.RegisterGoMigration(store.GoMigration{Version: 17, Name: "reach_deltas", Up: addDeltaParts, Down: dropDeltaParts})
}

// addDeltas writes a fold's deltas (keyed as base rows) under a new generation, and compacts
// when CompactAt generations are then outstanding. The caller holds the bitmaps (fold).
func addDeltas(ctx context.Context, tx *sql.Tx, d store.Dialect, deltas map[key]*roaring.Bitmap, services int) error {
	if len(deltas) == 0 {
		return nil
	}
	var gen, gens int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(gen), 0) + 1, COUNT(*) FROM reach_generations`).Scan(&gen, &gens); err != nil {
		return fmt.Errorf("reach: generations: %w", err)
	}
	parted := make(map[key]*roaring.Bitmap, len(deltas))
	for k, b := range deltas {
		k.part = gen
		parted[k] = b
	}
	if _, err := writeAll(ctx, tx, d, reachTable, parted); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, d.Bind(`INSERT INTO reach_generations (gen, services, folded_at) VALUES ($1, $2, $3)`), gen, services, store.Now()); err != nil {
		return fmt.Errorf("reach: generations: %w", err)
	}
	if gens+1 >= CompactAt {
		return compact(ctx, tx, d)
	}
	return nil
}

// compact merges every delta row into its base row, a few units at a time (so memory holds a
// few units' deltas), and empties the generations. The caller holds the bitmaps.
func compact(ctx context.Context, tx *sql.Tx, d store.Dialect) error {
	units, err := store.IDs(ctx, tx, `SELECT DISTINCT unit_id FROM reach_bitmaps WHERE part > 0 ORDER BY unit_id`)
	if err != nil {
		return fmt.Errorf("reach: compact: %w", err)
	}
	for len(units) > 0 {
		chunk := units[:min(len(units), 8)]
		units = units[len(chunk):]
		in := ints(chunk, ",")
		c := newChange[key]()
		err := scanDeltas(tx.QueryContext(ctx, `SELECT unit_id, period, service_type, shard, bits FROM reach_bitmaps WHERE part > 0 AND unit_id IN (`+in+`)`))(c.add)
		if err != nil {
			return err
		}
		if err := apply(ctx, tx, d, reachTable, c, false); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM reach_bitmaps WHERE part > 0 AND unit_id IN (`+in+`)`); err != nil {
			return fmt.Errorf("reach: compact: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM reach_generations`); err != nil {
		return fmt.Errorf("reach: compact: %w", err)
	}
	return nil
}

// Compact merges every outstanding delta row into its base row now (ting analytics fold does
// it after folding).
func Compact(ctx context.Context, db *store.DB) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if db.Dialect == store.Postgres {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE reach_bitmaps IN EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		return compact(ctx, tx, db.Dialect)
	})
}

// scanDeltas returns a function that ORs the rows (key columns without the part, then bits)
// into the bitmaps of their base keys in into.
func scanDeltas(rows *sql.Rows, err error) func(into map[key]*roaring.Bitmap) error {
	return func(into map[key]*roaring.Bitmap) error {
		if err != nil {
			return fmt.Errorf("reach: deltas: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k key
			var shard int64
			var bits []byte
			if err := rows.Scan(&k.unit, &k.period, &k.typ, &shard, &bits); err != nil {
				return err
			}
			k.shard = uint32(shard)
			b := roaring.New()
			if err := b.UnmarshalBinary(bits); err != nil {
				return fmt.Errorf("reach: a delta bitmap does not decode: %w", err)
			}
			if have := into[k]; have != nil {
				have.Or(b)
			} else {
				into[k] = b
			}
		}
		return rows.Err()
	}
}

// takeDeltas moves the delta rows of the keys a change removes people from into the change's
// additions (which apply makes before the removals) and deletes them. The caller has locked
// the keys' base rows (PostgreSQL), so no fold writes deltas meanwhile.
func takeDeltas(ctx context.Context, tx *sql.Tx, d store.Dialect, c change[key]) error {
	keys := make([]key, 0, len(c.remove))
	for k := range c.remove {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, reachTable.less)
	const nc = 4
	batch := d.Rows(nc)
	for start := 0; start < len(keys); start += batch {
		chunk := keys[start:min(len(keys), start+batch)]
		conds := make([]string, len(chunk))
		args := make([]any, 0, nc*len(chunk))
		for i, k := range chunk {
			n := len(args)
			conds[i] = "(unit_id = $" + strconv.Itoa(n+1) + " AND period = $" + strconv.Itoa(n+2) + " AND service_type = $" + strconv.Itoa(n+3) + " AND shard = $" + strconv.Itoa(n+4) + ")"
			args = append(args, k.unit, k.period, k.typ, int64(k.shard))
		}
		err := scanDeltas(tx.QueryContext(ctx, d.Bind(`DELETE FROM reach_bitmaps WHERE part > 0 AND (`+strings.Join(conds, " OR ")+`)
			RETURNING unit_id, period, service_type, shard, bits`), args...))(c.add)
		if err != nil {
			return err
		}
	}
	return nil
}

// Migration 17 gives reach_bitmaps its part column (in the key) and lists the generations.
// On SQLite the table is made again, with the part before the stamp and the bits.
func addDeltaParts(ctx context.Context, tx *sql.Tx, d store.Dialect) error {
	if d == store.Postgres {
		return execAll(ctx, tx,
			`ALTER TABLE reach_bitmaps ADD COLUMN part BIGINT NOT NULL DEFAULT 0`,
			`ALTER TABLE reach_bitmaps DROP CONSTRAINT reach_bitmaps_pkey, ADD PRIMARY KEY (unit_id, period, service_type, shard, part)`,
			`CREATE INDEX reach_bitmaps_deltas ON reach_bitmaps (unit_id) WHERE part > 0`,
			`CREATE TABLE reach_generations (gen BIGINT PRIMARY KEY, services BIGINT NOT NULL, folded_at TIMESTAMPTZ NOT NULL)`)
	}
	return execAll(ctx, tx, append(sqliteReachTable(true),
		`CREATE INDEX reach_bitmaps_deltas ON reach_bitmaps (unit_id) WHERE part > 0`,
		`CREATE TABLE reach_generations (gen BIGINT PRIMARY KEY, services BIGINT NOT NULL, folded_at TIMESTAMP NOT NULL)`)...)
}

// dropDeltaParts compacts the deltas, then takes the part column and the generations away.
func dropDeltaParts(ctx context.Context, tx *sql.Tx, d store.Dialect) error {
	if err := compact(ctx, tx, d); err != nil {
		return err
	}
	if d == store.Postgres {
		return execAll(ctx, tx,
			`DROP TABLE reach_generations`,
			`DROP INDEX reach_bitmaps_deltas`,
			`ALTER TABLE reach_bitmaps DROP CONSTRAINT reach_bitmaps_pkey, ADD PRIMARY KEY (unit_id, period, service_type, shard)`,
			`ALTER TABLE reach_bitmaps DROP COLUMN part`)
	}
	return execAll(ctx, tx, append([]string{`DROP TABLE reach_generations`}, sqliteReachTable(false)...)...)
}

// sqliteReachTable makes SQLite's reach_bitmaps again with or without the part column,
// keeping its rows (the base rows only, when dropping it), and its stamp trigger.
func sqliteReachTable(withPart bool) []string {
	part, key, from := "", "", "SELECT unit_id, period, service_type, shard, people, stamp, bits FROM reach_bitmaps"
	if withPart {
		part, key = "part BIGINT NOT NULL DEFAULT 0,", ", part"
	} else {
		from += " WHERE part = 0"
	}
	return []string{
		`CREATE TABLE reach_bitmaps_new (
			unit_id BIGINT NOT NULL, period TEXT NOT NULL, service_type TEXT NOT NULL, shard INTEGER NOT NULL, ` + part + `
			people BIGINT NOT NULL, stamp BIGINT NOT NULL DEFAULT (random()), bits BLOB NOT NULL,
			PRIMARY KEY (unit_id, period, service_type, shard` + key + `))`,
		`INSERT INTO reach_bitmaps_new (unit_id, period, service_type, shard, people, stamp, bits) ` + from,
		`DROP TABLE reach_bitmaps`,
		`ALTER TABLE reach_bitmaps_new RENAME TO reach_bitmaps`,
		`CREATE TRIGGER reach_bitmaps_stamp AFTER UPDATE ON reach_bitmaps FOR EACH ROW WHEN NEW.stamp = OLD.stamp
		BEGIN
			UPDATE reach_bitmaps SET stamp = random() WHERE rowid = NEW.rowid;
		END`,
	}
}

func execAll(ctx context.Context, tx *sql.Tx, stmts ...string) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(strings.Fields(s)[:3], " "), err)
		}
	}
	return nil
}
