package store_test

import (
	"context"
	"testing"

	"ting/internal/store"
	"ting/internal/store/storetest"
)

// Migration 19 gives an indicator's definition, unit, data source and baseline source a
// Chinese and an English text each; what was held goes to the language it is written in.
func TestIndicatorTextsMigration(t *testing.T) {
	storetest.EachBare(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateTo(ctx, 18); err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.ExecContext(ctx, `INSERT INTO indicators (code, framework_code, element_code, name_zh, name_en, definition, type, unit_label,
			aggregation, baseline_source, data_source, created_at, updated_at)
			VALUES ('I1', 'F', 'E', '指标', 'Indicator', '受训教师人数（2011年）', 'count', 'persons', 'sum', '', 'AP reports；省妇联', $1, $1)`, store.Now()); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var defZH, defEN, unitZH, unitEN, baseZH, baseEN, srcZH, srcEN string
		if err := db.R.QueryRowContext(ctx, `SELECT definition_zh, definition_en, unit_label_zh, unit_label_en, baseline_source_zh, baseline_source_en,
			data_source_zh, data_source_en FROM indicators WHERE code = 'I1'`).Scan(&defZH, &defEN, &unitZH, &unitEN, &baseZH, &baseEN, &srcZH, &srcEN); err != nil {
			t.Fatal(err)
		}
		want := [8]string{"受训教师人数（2011年）", "", "", "persons", "", "", "AP reports；省妇联", ""}
		if got := [8]string{defZH, defEN, unitZH, unitEN, baseZH, baseEN, srcZH, srcEN}; got != want {
			t.Errorf("after the migration (zh, en pairs): %q, want %q", got, want)
		}
	})
}
