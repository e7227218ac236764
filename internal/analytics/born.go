package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"ting/internal/store"
)

// Birth-year blocks. An age band asked of a period is a range of birth years. Kept only by single
// years, it would be the union of a bitmap per year of the band in every shard: nine rows for
// 16–24. The people are also kept by aligned blocks of birthBlocks years, and a band reads the
// fewest rows that tile it: born 1988–1996 is born4:1988, born4:1992 and born:1996. A block is
// denser than its years apart, so its bitmap is also smaller than theirs together (roaring keeps
// a dense run of ids as a plain bitmap): at national scale an age-band count reads about a third
// of the bytes it read by single years, and unions three rows instead of nine.
//
// A person is in the row of their birth year and in one row per block size. The rows are
// attribute rows like any other: written by SetPerson and AddPeople, derived and verified by
// Rebuild and Verify. Migration 15 builds the blocks of a database whose single years were
// written before they existed.

// birthBlocks are the sizes of the blocks, largest first; each divides the one before.
var birthBlocks = []int{16, 4}

// bornAttr names the row of the size years from year (aligned to size).
func bornAttr(size, year int) string {
	if size == 1 {
		return fmt.Sprintf("born:%04d", year)
	}
	return fmt.Sprintf("born%d:%04d", size, year)
}

// bornAttrs are the rows a person born in year is in.
func bornAttrs(year int) []string {
	out := []string{bornAttr(1, year)}
	for _, size := range birthBlocks {
		out = append(out, bornAttr(size, year-year%size))
	}
	return out
}

// bornCover lists the rows that tile the birth years lo..hi (inclusive) exactly, each year in
// one of them: from lo upwards, the largest aligned block that fits, else the single year.
func bornCover(lo, hi int) []string {
	lo = max(lo, 0)
	var out []string
	for y := lo; y <= hi; {
		step := 1
		for _, size := range birthBlocks {
			if y%size == 0 && y+size-1 <= hi {
				step = size
				break
			}
		}
		out = append(out, bornAttr(step, y))
		y += step
	}
	return out
}

func init() {
	store.RegisterGoMigration(store.GoMigration{Version: 15, Name: "birth_year_blocks", Up: buildBirthBlocks, Down: dropBirthBlocks})
}

// buildBirthBlocks writes the block rows of every shard from its single-year rows, one shard at
// a time (a shard's years are a few tens of bitmaps of at most a million people each).
func buildBirthBlocks(ctx context.Context, tx *sql.Tx, d store.Dialect) error {
	var shards []uint32
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT shard FROM reach_people WHERE attr LIKE 'born:%' ORDER BY shard`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var sh int64
		if err := rows.Scan(&sh); err != nil {
			rows.Close()
			return err
		}
		shards = append(shards, uint32(sh))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, sh := range shards {
		blocks := map[string]*roaring.Bitmap{}
		rows, err := tx.QueryContext(ctx, d.Bind(`SELECT attr, bits FROM reach_people WHERE attr LIKE 'born:%' AND shard = $1`), int64(sh))
		if err != nil {
			return err
		}
		for rows.Next() {
			var attr string
			var bits []byte
			if err := rows.Scan(&attr, &bits); err != nil {
				rows.Close()
				return err
			}
			var year int
			if _, err := fmt.Sscanf(strings.TrimPrefix(attr, "born:"), "%d", &year); err != nil {
				rows.Close()
				return fmt.Errorf("reach_people: birth-year row %q: %w", attr, err)
			}
			b := roaring.New()
			if err := b.UnmarshalBinary(bits); err != nil {
				rows.Close()
				return fmt.Errorf("reach_people: %s shard %d does not decode: %w", attr, sh, err)
			}
			for _, a := range bornAttrs(year)[1:] {
				if have := blocks[a]; have != nil {
					have.Or(b)
				} else {
					blocks[a] = b.Clone()
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		put := make([]row[attrKey], 0, len(blocks))
		for a, b := range blocks {
			put = append(put, row[attrKey]{attrKey{a, sh}, b})
		}
		if _, err := writeRows(ctx, tx, d, peopleTable, put, true); err != nil {
			return err
		}
	}
	return nil
}

// dropBirthBlocks removes the block rows: the single years alone count as before.
func dropBirthBlocks(ctx context.Context, tx *sql.Tx, d store.Dialect) error {
	conds := make([]string, len(birthBlocks))
	for i, size := range birthBlocks {
		conds[i] = fmt.Sprintf("attr LIKE 'born%d:%%'", size)
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM reach_people WHERE `+strings.Join(conds, " OR "))
	return err
}
