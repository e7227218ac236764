package beneficiaries

import (
	"context"
	"testing"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// Migration 16 gives a database whose cards were registered before ethnicities were kept as
// bitmaps the rows of its ethnicities: afterwards the bitmaps again equal the cards.
func TestEthnicityBitmapsMigration(t *testing.T) {
	storetest.EachBare(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateTo(ctx, 15); err != nil {
			t.Fatal(err)
		}
		w := newWorld(t, db)
		for i, e := range []string{"han", "Yi", "", "han"} {
			in := person(w.fd1.ID, string(rune('A'+i)), "1996-03-04")
			in.Ethnicity = e
			if _, err := w.svc.Register(ctx, access.System, in, nil); err != nil {
				t.Fatal(err)
			}
		}
		// What a database written before the rows existed holds.
		if _, err := db.W.ExecContext(ctx, `DELETE FROM reach_people WHERE attr LIKE 'eth:%'`); err != nil {
			t.Fatal(err)
		}
		if st, err := analytics.Verify(ctx, db); err != nil || st.Mismatches == 0 {
			t.Fatalf("without the ethnicity rows, verify finds no difference: %+v %v", st, err)
		}
		if err := db.MigrateTo(ctx, 16); err != nil {
			t.Fatal(err)
		}
		if st, err := analytics.Verify(ctx, db); err != nil || st.Mismatches != 0 {
			t.Errorf("after migration 16: %+v %v", st, err)
		}
		var rows int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM reach_people WHERE attr IN ('eth:han', 'eth:Yi')`).Scan(&rows); err != nil || rows != 2 {
			t.Errorf("%d ethnicity rows, want 2 (%v)", rows, err)
		}
	})
}
