package plans_test

import (
	"context"
	"encoding/json"
	"testing"

	"ting/internal/plans"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

func TestSettle(t *testing.T) {
	for _, c := range []struct {
		name                   string
		planned, spent, before int64
		pay, refund            int64
	}{
		{"spent the whole budget", 2_800_000, 12_000_000, 9_200_000, 2_800_000, 0},
		{"spent less: pays what was spent", 2_800_000, 10_200_000, 9_200_000, 1_000_000, 0},
		{"spent exactly what was released", 2_800_000, 9_200_000, 9_200_000, 0, 0},
		{"spent less than released: nothing, and a refund", 700_000, 200_000, 300_000, 0, 100_000},
		{"never more than planned", 100, 1_000, 0, 100, 0},
		{"nothing planned", 0, 500, 0, 0, 0},
	} {
		pay, refund := plans.Settle(c.planned, c.spent, c.before)
		if pay != c.pay || refund != c.refund {
			t.Errorf("%s: Settle(%d, %d, %d) = %d, %d; want %d, %d", c.name, c.planned, c.spent, c.before, pay, refund, c.pay, c.refund)
		}
	}
}

// TestFinalTrancheSettles runs an Action Programme to its close: the final tranche waits until
// every earlier report is approved and every earlier tranche paid, then pays what the approved
// reports spent less what was released, not the whole balance; a short format that spent less
// than its advance is paid nothing more and owes the difference back.
func TestFinalTrancheSettles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setupWorld(t, db)
		s := w.svc
		iv := must(s.CreateIntervention(ctx, w.anhui, apInput(w, "2011-01-01", "2011-12-31")))(t)
		reps := must(s.Reports(ctx, w.ag, iv.ID))(t)
		ts := must(s.Tranches(ctx, w.national, iv.ID))(t)
		if len(ts) != 4 || ts[0].Amount != 3_600_000 || ts[1].Amount != 2_800_000 || ts[3].Amount != 2_800_000 || ts[3].Kind != plans.FinalReport {
			t.Fatalf("tranches %+v", ts)
		}
		approve := func(r plans.Report, training, materials int64, on string) {
			t.Helper()
			s.SetToday(func() string { return on })
			must(s.SaveDraft(ctx, w.ag, r.ID, plans.ReportDraft{Progress: "Sessions held.",
				Expenditure: map[int64]int64{iv.LineIDs[0]: training, iv.LineIDs[1]: materials}}))(t)
			must(s.Submit(ctx, w.ag, r.ID, "k-"+on))(t)
			must(s.Review(ctx, w.anhui, r.ID, ""))(t)
			must(s.Approve(ctx, w.national, r.ID, ""))(t)
		}
		final := func() plans.StoredTranche {
			t.Helper()
			return must(s.Tranches(ctx, w.national, iv.ID))(t)[3]
		}
		must(s.Release(ctx, w.national, ts[0].ID, "2011-01-10", "ADV"))(t)
		approve(reps[0], 2_500_000, 0, "2011-05-05")
		on := func(day string) { s.SetToday(func() string { return day }) } // a release is dated no later than today
		on("2011-05-20")
		must(s.Release(ctx, w.national, ts[1].ID, "2011-05-20", "T1"))(t)
		// The final report approved before the second: the accounts cannot be settled yet.
		approve(reps[2], 3_500_000, 1_200_000, "2012-01-05")
		on("2012-01-10")
		if f := final(); f.Releasable || f.HeldFor != 2 {
			t.Fatalf("final tranche with report 2 unapproved: %+v", f)
		}
		if _, err := s.Release(ctx, w.national, ts[3].ID, "2012-01-10", ""); rule(err) != "report_not_approved" {
			t.Fatalf("settling before report 2 is approved: %v", err)
		}
		approve(reps[1], 3_000_000, 0, "2012-01-06")
		on("2012-01-10")
		if f := final(); f.Releasable || f.HeldFor != 0 || f.AfterTranche != 3 {
			t.Fatalf("final tranche with tranche 3 unpaid: %+v", f)
		}
		if _, err := s.Release(ctx, w.national, ts[3].ID, "2012-01-10", ""); rule(err) != "earlier_unreleased" {
			t.Fatalf("settling before tranche 3 is paid: %v", err)
		}
		must(s.Release(ctx, w.national, ts[2].ID, "2012-01-08", "T2"))(t)
		// Spent 10,200,000 of 12,000,000; released 9,200,000 before: the final tranche pays
		// 1,000,000 of its 2,800,000.
		f := final()
		if !f.Releasable || f.Spent != 10_200_000 || f.ReleasedBefore != 9_200_000 || f.Payable != 1_000_000 || f.Refund != 0 {
			t.Fatalf("settlement %+v", f)
		}
		rel := must(s.Release(ctx, w.national, ts[3].ID, "2012-01-10", "FINAL"))(t)
		if rel.Paid != 1_000_000 || rel.Amount != 2_800_000 {
			t.Fatalf("released %+v", rel)
		}
		if f := final(); f.Paid != 1_000_000 || f.Releasable {
			t.Fatalf("after the release %+v", f)
		}
		var ledger int64
		for _, d := range must(s.Ledger(ctx, w.national, "", ""))(t) {
			ledger += d.Amount
		}
		sp := must(s.SpendingOf(ctx, w.national, iv.ID, "2012-01-31"))(t)
		if ledger != 10_200_000 || sp.Released != 10_200_000 || sp.Spent != 10_200_000 || sp.Unpaid != 1_800_000 || sp.RefundDue != 0 {
			t.Fatalf("ledger %d, spending %+v", ledger, sp)
		}
		if sp := must(s.SpendingOf(ctx, w.national, iv.ID, "2012-01-09"))(t); sp.Unpaid != 0 {
			t.Fatalf("unpaid before the close: %+v", sp)
		}
		var after string
		if err := db.R.QueryRowContext(ctx, `SELECT after FROM audit_log WHERE action = 'release' AND entity = 'tranche' AND entity_id = $1`, ts[3].ID).Scan(&after); err != nil {
			t.Fatal(err)
		}
		var logged struct{ Amount, Planned, Spent, ReleasedBefore int64 }
		if err := json.Unmarshal([]byte(after), &logged); err != nil || logged.Amount != 1_000_000 || logged.Planned != 2_800_000 || logged.Spent != 10_200_000 {
			t.Fatalf("audit of the final release %s: %v", after, err)
		}

		// A Mini Programme that spent 200,000 of its 300,000 advance: nothing more, 100,000 back.
		in := apInput(w, "2011-01-01", "2011-06-30")
		in.Code, in.Rules.Format = "MP-AH-01", plans.MiniProgramme
		in.Rules.Budget = []plans.BudgetLine{{Item: "Training", Currency: "CNY", Amount: 800_000}, {Item: "Materials", Currency: "CNY", Amount: 200_000}}
		mp := must(s.CreateIntervention(ctx, w.anhui, in))(t)
		mts := must(s.Tranches(ctx, w.national, mp.ID))(t)
		mreps := must(s.Reports(ctx, w.ag, mp.ID))(t)
		if len(mts) != 2 || mts[0].Amount != 300_000 || mts[1].Amount != 700_000 || len(mreps) != 1 {
			t.Fatalf("mini programme: tranches %+v, %d reports", mts, len(mreps))
		}
		must(s.Release(ctx, w.national, mts[0].ID, "2011-01-10", "MP-ADV"))(t)
		iv = mp // approve reads the budget lines of iv
		approve(mreps[0], 150_000, 50_000, "2011-07-05")
		on("2011-07-10")
		rel = must(s.Release(ctx, w.national, mts[1].ID, "2011-07-10", "MP-FINAL"))(t)
		if rel.Paid != 0 || rel.Refund != 100_000 {
			t.Fatalf("mini programme settlement %+v", rel)
		}
		sp = must(s.SpendingOf(ctx, w.national, mp.ID, "2011-07-31"))(t)
		if sp.Released != 300_000 || sp.Unpaid != 700_000 || sp.RefundDue != 100_000 {
			t.Fatalf("mini programme spending %+v", sp)
		}
	})
}
