package plans_test

import (
	"context"
	"testing"

	"ting/internal/plans"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// TestReleaseDates: a release is dated no later than today and not before its condition was met
// — the advance not before the intervention starts, a progress tranche not before its report's
// approval, the final tranche not before the last approval or release it settles after — each
// refusal naming released_on, the rule and the day. The releasable tranches say that first day.
func TestReleaseDates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setupWorld(t, db) // today 2011-03-01
		s := w.svc
		on := func(day string) { s.SetToday(func() string { return day }) }
		iv := must(s.CreateIntervention(ctx, w.anhui, apInput(w, "2011-01-01", "2011-12-31")))(t)
		reps := must(s.Reports(ctx, w.ag, iv.ID))(t)
		ts := must(s.Tranches(ctx, w.national, iv.ID))(t)
		if len(ts) != 4 || len(reps) != 3 {
			t.Fatalf("tranches %+v, %d reports", ts, len(reps))
		}
		refused := func(what string, tr plans.StoredTranche, day, rule, param string) {
			t.Helper()
			_, err := s.Release(ctx, w.national, tr.ID, day, "")
			es, ok := valid.As(err)
			if !ok || len(es) != 1 || es[0].Field != "released_on" || es[0].Rule != rule || es[0].Param != param {
				t.Fatalf("%s (released on %s): %v, want released_on: %s (%s)", what, day, err, rule, param)
			}
		}
		approve := func(r plans.Report, day string) {
			t.Helper()
			on(day)
			must(s.SaveDraft(ctx, w.ag, r.ID, plans.ReportDraft{Progress: "Sessions held.", Expenditure: map[int64]int64{iv.LineIDs[0]: 1_000_000}}))(t)
			must(s.Submit(ctx, w.ag, r.ID, "k-"+day))(t)
			must(s.Review(ctx, w.anhui, r.ID, ""))(t)
			must(s.Approve(ctx, w.national, r.ID, ""))(t)
		}
		firstDay := func(seq int) string {
			t.Helper()
			return must(s.Tranches(ctx, w.national, iv.ID))(t)[seq-1].ReleasableFrom
		}

		// The advance is paid at launch.
		if d := firstDay(1); d != "2011-01-01" {
			t.Errorf("the advance may be released from %q, want the start", d)
		}
		refused("the advance before the start", ts[0], "2010-12-31", "release_before_start", "2011-01-01")
		refused("the advance after today", ts[0], "2011-03-02", "not_future", "2011-03-01")
		refused("a year ahead", ts[0], "2012-03-01", "not_future", "2011-03-01")
		must(s.Release(ctx, w.national, ts[0].ID, "2011-01-05", "ADV"))(t)

		// A progress tranche once its report is approved (10 May), up to today.
		approve(reps[0], "2011-05-10")
		on("2011-06-01")
		if d := firstDay(2); d != "2011-05-10" {
			t.Errorf("tranche 2 may be released from %q, want its report's approval", d)
		}
		refused("before its report was approved", ts[1], "2011-05-09", "release_before_approval", "2011-05-10")
		refused("after today", ts[1], "2011-06-02", "not_future", "2011-06-01")
		must(s.Release(ctx, w.national, ts[1].ID, "2011-05-10", "T1"))(t)

		// The final tranche settles the accounts: after every approval (the last on 10 January)
		// and every other release (tranche 3 on 15 January, after that approval).
		approve(reps[1], "2011-09-20")
		approve(reps[2], "2012-01-10")
		on("2012-01-20")
		if _, err := s.Release(ctx, w.national, ts[3].ID, "2012-01-12", ""); rule(err) != "earlier_unreleased" {
			t.Fatalf("the final tranche before tranche 3: %v", err)
		}
		refused("tranche 3 before report 2's approval", ts[2], "2011-09-19", "release_before_approval", "2011-09-20")
		must(s.Release(ctx, w.national, ts[2].ID, "2012-01-15", "T2"))(t)
		if d := firstDay(4); d != "2012-01-15" {
			t.Errorf("the final tranche may be released from %q, want the last release before it", d)
		}
		refused("the final tranche before the last release", ts[3], "2012-01-12", "release_before_settlement", "2012-01-15")
		refused("the final tranche before the last approval", ts[3], "2012-01-09", "release_before_settlement", "2012-01-15")
		refused("the final tranche after today", ts[3], "2012-01-21", "not_future", "2012-01-20")
		if rel := must(s.Release(ctx, w.national, ts[3].ID, "2012-01-15", "FINAL"))(t); rel.ReleasedOn != "2012-01-15" {
			t.Fatalf("final release %+v", rel)
		}
	})
}

// TestReleaseAfterTodayAgrees: a release stored with a date after today (recorded before
// Release refused such dates) has not been paid yet, and every view says so alike — the
// intervention's tranches, its spending, the funds withheld and the ledger, whatever range it is
// asked for — and it cannot be released a second time. On its day, every view counts it.
func TestReleaseAfterTodayAgrees(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setupWorld(t, db) // today 2011-03-01
		s := w.svc
		on := func(day string) { s.SetToday(func() string { return day }) }
		iv := must(s.CreateIntervention(ctx, w.anhui, apInput(w, "2011-01-01", "2011-12-31")))(t)
		adv := must(s.Tranches(ctx, w.national, iv.ID))(t)[0]
		if _, err := db.W.ExecContext(ctx, `INSERT INTO disbursements (tranche_id, amount, released_on, reference, released_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			adv.ID, adv.Amount, "2011-04-01", "LATER", "u_nat", store.Now()); err != nil {
			t.Fatal(err)
		}
		views := func() (tranche plans.StoredTranche, held, ledger bool, released int64) {
			t.Helper()
			tranche = must(s.Tranches(ctx, w.national, iv.ID))(t)[0]
			for _, h := range must(s.WithheldAll(ctx, w.national, ""))(t) {
				held = held || h.Tranche.Seq == adv.Seq
			}
			for _, to := range []string{"", "2099-12-31"} {
				for _, d := range must(s.Ledger(ctx, w.national, "", to))(t) {
					ledger = ledger || d.TrancheID == adv.ID
				}
			}
			released = must(s.SpendingOf(ctx, w.national, iv.ID, ""))(t).Released
			return
		}
		tr, held, ledger, released := views()
		if tr.ReleasedOn != "" || tr.ReleaseDated != "2011-04-01" || tr.Releasable || !held || ledger || released != 0 {
			t.Errorf("on 1 March, a release dated 1 April: tranche %+v, withheld %v, in the ledger %v, released %d", tr, held, ledger, released)
		}
		if _, err := s.Release(ctx, w.national, adv.ID, "2011-03-01", ""); rule(err) != "already_released" {
			t.Errorf("releasing it again: %v", err)
		}
		on("2011-04-01")
		tr, held, ledger, released = views()
		if tr.ReleasedOn != "2011-04-01" || tr.ReleaseDated != "" || held || !ledger || released != adv.Amount {
			t.Errorf("on 1 April: tranche %+v, withheld %v, in the ledger %v, released %d", tr, held, ledger, released)
		}
	})
}
