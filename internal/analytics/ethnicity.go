package analytics

import (
	"context"
	"database/sql"

	"github.com/RoaringBitmap/roaring/v2"

	"ting/internal/store"
)

// The people of each ethnicity ("eth:Dai"), as written on their cards, are attribute rows like
// the others, so that reach can be disaggregated by ethnicity. Migration 16 writes them for the
// cards of a database registered before they were kept.

func init() {
	store.RegisterGoMigration(store.GoMigration{Version: 16, Name: "ethnicity_bitmaps", Up: buildEthnicities, Down: dropEthnicities})
}

// buildEthnicities writes the ethnicity rows of every card not merged away.
func buildEthnicities(ctx context.Context, tx *sql.Tx, d store.Dialect) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, ethnicity FROM cards WHERE merged_into IS NULL AND ethnicity <> ''`)
	if err != nil {
		return err
	}
	people := map[attrKey]*roaring.Bitmap{}
	for rows.Next() {
		var id int64
		var e string
		if err := rows.Scan(&id, &e); err != nil {
			rows.Close()
			return err
		}
		if a := ethAttr(e); a != ethAttr("") {
			addBit(people, attrKey{a, shardOf(id)}, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	put := make([]row[attrKey], 0, len(people))
	for k, b := range people {
		put = append(put, row[attrKey]{k, b})
	}
	_, err = writeRows(ctx, tx, d, peopleTable, put, true)
	return err
}

func dropEthnicities(ctx context.Context, tx *sql.Tx, _ store.Dialect) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM reach_people WHERE attr LIKE 'eth:%'`)
	return err
}
