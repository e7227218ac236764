package audit_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

func TestRecordAndList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		officer := access.Actor{PublicID: "u_officer", Role: access.ProvincialOfficer, UnitPath: "/1/2/"}
		type unit struct {
			Name string `json:"name"`
		}
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			if err := audit.Record(ctx, tx, officer, "create", "unit", 7, 7, nil, unit{"合肥市"}); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, officer, "rename", "unit", 7, 7, unit{"合肥市"}, unit{"合肥"}); err != nil {
				return err
			}
			return audit.Record(ctx, tx, access.System, "create", "partner", 3, 7, nil, map[string]string{"code": "NNU"})
		})
		if err != nil {
			t.Fatal(err)
		}
		// A rolled-back change leaves no audit row.
		boom := errors.New("boom")
		db.Tx(ctx, func(tx *sql.Tx) error {
			audit.Record(ctx, tx, officer, "close", "unit", 7, 7, nil, nil)
			return boom
		})

		admin := access.Actor{PublicID: "u_admin", Role: access.NationalAdmin, UnitPath: "/1/"}
		if _, _, err := audit.List(ctx, db, officer, audit.Filter{}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("an officer read the audit log: %v", err)
		}
		all, total, err := audit.List(ctx, db, admin, audit.Filter{})
		if err != nil || total != 3 || len(all) != 3 {
			t.Fatalf("all: %d %v", total, err)
		}
		if all[0].Entity != "partner" || all[0].Actor != "system" {
			t.Fatalf("newest first: %+v", all[0])
		}
		units, total, _ := audit.List(ctx, db, admin, audit.Filter{Entity: "unit", Actor: "u_officer"})
		if total != 2 || units[0].Action != "rename" {
			t.Fatalf("filtered: %d %+v", total, units)
		}
		var before, after unit
		if err := json.Unmarshal([]byte(units[0].Before), &before); err != nil || before.Name != "合肥市" {
			t.Fatalf("before %q: %v", units[0].Before, err)
		}
		json.Unmarshal([]byte(units[0].After), &after)
		if after.Name != "合肥" || units[1].Before != "" {
			t.Fatalf("after %q, create's before %q", units[0].After, units[1].Before)
		}
		if _, n, _ := audit.List(ctx, db, admin, audit.Filter{From: time.Now().Add(time.Hour)}); n != 0 {
			t.Fatalf("future window: %d", n)
		}
		if _, n, _ := audit.List(ctx, db, admin, audit.Filter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), EntityID: 3}); n != 1 {
			t.Fatalf("window and entity id: %d", n)
		}
		if page, n, _ := audit.List(ctx, db, admin, audit.Filter{Limit: 2, Offset: 2}); n != 3 || len(page) != 1 {
			t.Fatalf("paging: %d rows of %d", len(page), n)
		}
	})
}
