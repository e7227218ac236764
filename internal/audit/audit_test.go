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
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

func TestRecordAndList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := org.New(db)
		mk := func(code string, level org.Level, parent int64) org.Unit {
			u, err := o.CreateUnit(ctx, access.System, org.UnitInput{Code: code, Level: level, ParentID: parent, NameZH: code, NameEN: code, Effective: "2009-01-01"})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		cn := mk("CN", org.National, 0)
		ah := mk("AH", org.Provincial, cn.ID)
		js := mk("JS", org.Provincial, cn.ID)
		// The units' own creation is audited too; the test reads what it writes after them.
		if _, err := db.W.ExecContext(ctx, `DELETE FROM audit_log`); err != nil {
			t.Fatal(err)
		}
		officer := access.Actor{PublicID: "u_officer", Role: access.ProvincialOfficer, UnitPath: ah.Path}
		type unit struct {
			Name string `json:"name"`
		}
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			if err := audit.Record(ctx, tx, officer, "create", "unit", 7, ah.ID, nil, unit{"合肥市"}); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, officer, "rename", "unit", 7, ah.ID, unit{"合肥市"}, unit{"合肥"}); err != nil {
				return err
			}
			return audit.Record(ctx, tx, access.System, "create", "partner", 3, ah.ID, nil, map[string]string{"code": "NNU"})
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

		admin := access.Actor{PublicID: "u_admin", Role: access.NationalAdmin, UnitPath: cn.Path}
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

		// An administrator of one province reads its entries only: not another province's, nor
		// the programme's configuration (entries of no unit), which the national one reads.
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if err := audit.Record(ctx, tx, officer, "create", "card", 9, js.ID, nil, map[string]string{"reason": "Jiangsu's"}); err != nil {
				return err
			}
			return audit.Record(ctx, tx, admin, "create", "indicator", 4, 0, nil, map[string]string{"code": "P1"})
		})
		if err != nil {
			t.Fatal(err)
		}
		ahAdmin := access.Actor{PublicID: "u_ah_admin", Role: access.NationalAdmin, UnitPath: ah.Path}
		if _, n, err := audit.List(ctx, db, ahAdmin, audit.Filter{}); err != nil || n != 3 {
			t.Errorf("Anhui's administrator reads %d entries (%v), want Anhui's 3", n, err)
		}
		if _, n, _ := audit.List(ctx, db, ahAdmin, audit.Filter{Entity: "card"}); n != 0 {
			t.Errorf("Anhui's administrator reads Jiangsu's card entry")
		}
		if _, n, _ := audit.List(ctx, db, admin, audit.Filter{}); n != 5 {
			t.Errorf("the national administrator reads %d entries, want 5", n)
		}
	})
}
