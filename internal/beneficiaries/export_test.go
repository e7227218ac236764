package beneficiaries

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"

	"ting/internal/access"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestExportReadInChunks: an export read a few cards at a time holds every card it should, once,
// in the order of site, sex and birth year, numbered from 1 across the chunks, with each card's
// services; an identified export opens and logs each of the caseworker's own cards.
func TestExportReadInChunks(t *testing.T) {
	defer func(n int) { exportChunk = n }(exportChunk)
	exportChunk = 2
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		sys := access.System
		reporting := []ConsentInput{{Purpose: "reporting", GivenBy: "self", GivenOn: "2012-01-05"}}
		type made struct {
			card     Card
			site     string
			services int
		}
		var want []made
		mk := func(site int64, code, name, sex, birth string, consent bool, services int) Card {
			in := person(site, name, birth)
			in.Sex, in.Guardian, in.NotDuplicate = sex, "", true
			var cs []ConsentInput
			if consent {
				cs = reporting
			}
			c, err := w.svc.Register(ctx, sys, in, cs)
			if err != nil {
				t.Fatal(err)
			}
			for i := range services {
				if _, err := w.svc.AddService(ctx, sys, ServiceInput{CardID: c.ID, SiteID: site, Type: "health", Date: fmt.Sprintf("2011-0%d-01", i+1)}); err != nil {
					t.Fatal(err)
				}
			}
			if consent && code != "" {
				want = append(want, made{c, code, services})
			}
			return c
		}
		mk(w.fd2.ID, w.fd2.Code, "甲", "M", "1980-01-01", true, 2)
		mk(w.fd1.ID, w.fd1.Code, "乙", "F", "1983-01-01", true, 0)
		mk(w.fd1.ID, w.fd1.Code, "丙", "F", "1981-01-01", true, 3)
		mk(w.fd1.ID, w.fd1.Code, "丁", "M", "1980-06-01", true, 1)
		mk(w.fd1.ID, "", "戊", "F", "1982-01-01", false, 1) // no consent to reporting
		mk(w.fd2.ID, w.fd2.Code, "己", "F", "1984-01-01", true, 0)
		mk(w.fd2.ID, w.fd2.Code, "庚", "F", "1984-01-01", true, 1)
		mk(w.bh1.ID, "", "辛", "F", "1980-01-01", true, 1) // Jiangsu's
		keep := mk(w.fd1.ID, w.fd1.Code, "壬", "F", "1985-01-01", true, 1)
		drop := mk(w.fd2.ID, "", "癸", "F", "1985-01-01", true, 2)
		if _, err := w.svc.Merge(ctx, w.officerAH, keep.ID, drop.ID); err != nil {
			t.Fatal(err)
		}
		want[len(want)-1].services += 2 // the merged card's services go with it
		slices.SortFunc(want, func(x, y made) int {
			return cmp.Or(cmp.Compare(x.site, y.site), cmp.Compare(x.card.Sex, y.card.Sex), cmp.Compare(x.card.BirthYear, y.card.BirthYear), cmp.Compare(x.card.ID, y.card.ID))
		})
		var wantRows []string
		for i, m := range want {
			wantRows = append(wantRows, fmt.Sprintf("%d %s %s %d %d", i+1, m.site, m.card.Sex, m.card.BirthYear, m.services))
		}
		export := func(a access.Actor, q CardQuery, identified bool) ([]ExportRow, []string) {
			t.Helper()
			seq, err := w.svc.ExportCards(ctx, a, q, identified, "export")
			if err != nil {
				t.Fatal(err)
			}
			var rows []ExportRow
			var got []string
			for r, err := range seq {
				if err != nil {
					t.Fatal(err)
				}
				rows = append(rows, r)
				got = append(got, fmt.Sprintf("%d %s %s %d %d", r.Row, r.Site, r.Sex, r.BirthYear, r.Services))
			}
			return rows, got
		}
		rows, got := export(w.officerAH, CardQuery{}, false)
		if fmt.Sprint(got) != fmt.Sprint(wantRows) {
			t.Errorf("de-identified export\n%q\nwant\n%q", got, wantRows)
		}
		for _, r := range rows {
			if r.Number != "" || r.Identity != nil {
				t.Errorf("de-identified row carries the card: %+v", r)
			}
		}
		// Stopped early, the export reads no further (and does not fail).
		seq, err := w.svc.ExportCards(ctx, w.officerAH, CardQuery{}, false, "")
		if err != nil {
			t.Fatal(err)
		}
		for r := range seq {
			if r.Row != 1 {
				t.Fatalf("first row numbered %d", r.Row)
			}
			break
		}
		rows, got = export(w.caseAH, CardQuery{UnitID: w.fd.ID}, true)
		if fmt.Sprint(got) != fmt.Sprint(wantRows) {
			t.Errorf("identified export\n%q\nwant\n%q", got, wantRows)
		}
		for i, r := range rows {
			if r.Identity == nil || r.Number != want[i].card.Number {
				t.Errorf("identified row %d: %+v, want card %s opened", i+1, r, want[i].card.Number)
			}
		}
		var logged int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM card_access_log WHERE reason = 'export'`).Scan(&logged); err != nil || logged != len(want) {
			t.Errorf("%d reads logged (%v), want %d", logged, err, len(want))
		}
	})
}
