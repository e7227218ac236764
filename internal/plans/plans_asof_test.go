package plans_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"ting/internal/plans"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestMoneyAsOf reads Anhui's money on 30 June 2011 after things happened in July: the Action
// Programme's first tranche was paid on 5 July, and the Letter of Exchange's report, in review on
// 30 June, was sent back, corrected with its expenditure and approved on 10 July, its two
// tranches paid after. The biannual report for the first half, the spending of each intervention
// and the funds-withheld list for 30 June all show the records as they stood that day and agree;
// a final tranche is held at what its settlement would have paid then.
func TestMoneyAsOf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := cwSetup(t, db)
		s := w.svc
		at := func(day string) { s.SetToday(func() string { return day }) }
		const d = "2011-06-30"

		at("2011-07-08")
		must(s.Return(ctx, w.anhui, w.loeReport.ID, "The expenditure is missing."))(t)
		must(s.SaveDraft(ctx, w.ahAgent, w.loeReport.ID, plans.ReportDraft{Progress: "Exchange visit held.", Expenditure: map[int64]int64{w.loe.LineIDs[0]: 400_000}}))(t)
		must(s.Submit(ctx, w.ahAgent, w.loeReport.ID, "loe-2"))(t)
		must(s.Review(ctx, w.anhui, w.loeReport.ID, ""))(t)
		loeTs := must(s.Tranches(ctx, w.national, w.loe.ID))(t)
		if len(loeTs) != 2 || loeTs[0].Amount != 150_000 || loeTs[1].Amount != 350_000 || loeTs[1].Kind != plans.FinalReport {
			t.Fatalf("Letter of Exchange tranches %+v", loeTs)
		}
		at("2011-07-09")
		must(s.Release(ctx, w.national, loeTs[0].ID, "2011-07-09", "PAY-LOE-ADV"))(t)
		at("2011-07-10")
		must(s.Approve(ctx, w.national, w.loeReport.ID, ""))(t)

		// On 10 July, approved and not yet paid, the final tranche is held at its settlement:
		// 4,000.00 spent less the 1,500.00 advance, not the 3,500.00 planned; it then pays that.
		heldOn := func(day string, iv plans.Intervention) []plans.HeldFunds {
			t.Helper()
			var out []plans.HeldFunds
			for _, h := range must(s.WithheldAll(ctx, w.anhui, day))(t) {
				if h.Intervention.ID == iv.ID {
					out = append(out, h)
				}
			}
			return out
		}
		if h := heldOn("2011-07-10", w.loe); len(h) != 1 || h[0].Tranche.Seq != 2 || h[0].Reason != plans.WaitRelease || h[0].Amount != 250_000 || h[0].Tranche.Amount != 350_000 {
			t.Errorf("the approved final tranche on 10 July: %+v", h)
		}
		at("2011-07-12")
		if paid := must(s.Release(ctx, w.national, loeTs[1].ID, "2011-07-12", "PAY-LOE-FIN"))(t); paid.Paid != 250_000 {
			t.Errorf("the final tranche paid %d, held at 250,000", paid.Paid)
		}
		at("2011-09-01")

		c := must(s.Consolidated(ctx, w.anhui, w.ah.ID, "2011S1", ""))(t)
		lines := map[string]plans.FinanceLine{}
		for _, f := range c.Finance {
			lines[f.Intervention.Code] = f
		}

		// Spending as of 30 June: the Letter of Exchange's report, approved in July, spent
		// nothing yet, and the Action Programme's tranche paid in July was not released.
		for _, iv := range []plans.Intervention{w.ap, w.sa, w.loe} {
			f := lines[iv.Code]
			sp := must(s.SpendingOf(ctx, w.anhui, iv.ID, d))(t)
			if f.Spent != sp.Spent || f.Released != sp.Released || f.Burn != sp.Burn {
				t.Errorf("%s on %s: the biannual report says spent %d, released %d; its spending %d, %d", iv.Code, d, f.Spent, f.Released, sp.Spent, sp.Released)
			}
		}
		if f := lines["LOE-AH-03"]; f.Spent != 0 || f.SpentHalf != 0 || f.Released != 0 {
			t.Errorf("the Letter of Exchange on 30 June: %+v", f)
		}
		if f := lines["AP-AH-01"]; f.Released != w.apTranches[0].Amount || f.Spent != 2_500_000 {
			t.Errorf("the Action Programme on 30 June: %+v", f)
		}

		// Withheld on 30 June: the biannual report's list is the funds-withheld list of that day.
		var page []plans.HeldFunds
		for _, h := range must(s.WithheldAll(ctx, w.anhui, d))(t) {
			if _, ok := lines[h.Intervention.Code]; ok {
				page = append(page, h)
			}
		}
		if a, b := asofJSON(t, c.Withheld), asofJSON(t, page); a != b {
			t.Errorf("withheld on %s:\nbiannual %s\npage     %s", d, a, b)
		}
		held := map[string]plans.HeldFunds{}
		sums := map[string]int64{}
		for _, h := range c.Withheld {
			held[fmt.Sprintf("%s/%d", h.Intervention.Code, h.Tranche.Seq)] = h
			sums[h.Intervention.Code] += h.Amount
		}
		for code, f := range lines {
			if f.Withheld != sums[code] {
				t.Errorf("%s: withheld %d in the finance table, %d in the list", code, f.Withheld, sums[code])
			}
		}
		if h, ok := held["AP-AH-01/2"]; !ok || h.Reason != plans.WaitRelease || h.Amount != w.apTranches[1].Amount || h.Tranche.ReleasedOn != "" {
			t.Errorf("the Action Programme's tranche paid on 5 July, on 30 June: %+v", h)
		}
		if h, ok := held["LOE-AH-03/1"]; !ok || h.Reason != plans.WaitRelease || h.Amount != 150_000 {
			t.Errorf("the Letter of Exchange's advance paid on 9 July, on 30 June: %+v", h)
		}
		// Its report was in review and nothing approved: the final tranche would have paid nothing.
		if h, ok := held["LOE-AH-03/2"]; !ok || h.Reason != plans.WaitInReview || h.Amount != 0 || h.Tranche.Amount != 350_000 {
			t.Errorf("the Letter of Exchange's final tranche on 30 June: %+v", h)
		}

		// The second half: the to-date figures grew by the half's, and the July approval counts
		// in it; the Letter of Exchange withholds nothing any more.
		c2 := must(s.Consolidated(ctx, w.anhui, w.ah.ID, "2011S2", ""))(t)
		for _, f2 := range c2.Finance {
			f := lines[f2.Intervention.Code]
			sp := must(s.SpendingOf(ctx, w.anhui, f2.Intervention.ID, c2.To))(t)
			if f2.Spent != f.Spent+f2.SpentHalf || f2.Released != f.Released+f2.ReleasedHalf || f2.Spent != sp.Spent || f2.Released != sp.Released {
				t.Errorf("%s: to date %d/%d after %d/%d and %d/%d in the half; spending %d/%d", f2.Intervention.Code, f2.Spent, f2.Released,
					f.Spent, f.Released, f2.SpentHalf, f2.ReleasedHalf, sp.Spent, sp.Released)
			}
			if f2.Intervention.Code == "LOE-AH-03" && (f2.SpentHalf != 400_000 || f2.ReleasedHalf != 400_000 || f2.Withheld != 0) {
				t.Errorf("the Letter of Exchange in the second half: %+v", f2)
			}
		}
		// Today's list is the same rule on today's records.
		if h := heldOn("", w.loe); len(h) != 0 {
			t.Errorf("the Letter of Exchange is paid, yet withheld today: %+v", h)
		}
	})
}

func asofJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
