package plans_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func rule(err error) string {
	if es, ok := valid.As(err); ok && len(es) > 0 {
		return es[0].Rule
	}
	return fmt.Sprint(err)
}

type world struct {
	svc                          *plans.Service
	cn, ah, hf, js               org.Unit
	agency                       org.Partner
	national, anhui, jiangsu, ag access.Actor
	plan                         plans.WorkPlan
}

func setupWorld(t *testing.T, db *store.DB) world {
	t.Helper()
	ctx := context.Background()
	sys, o, rs := access.System, org.New(db), results.New(db)
	var w world
	w.cn = must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "CN", Level: org.National, NameZH: "全国", NameEN: "National", Effective: "2010-01-01"}))(t)
	w.ah = must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "AH", Level: org.Provincial, ParentID: w.cn.ID, NameZH: "安徽省", NameEN: "Anhui", Effective: "2010-01-01"}))(t)
	w.hf = must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "AH-HF", Level: org.Municipal, ParentID: w.ah.ID, NameZH: "合肥市", NameEN: "Hefei", Effective: "2010-01-01"}))(t)
	w.js = must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "JS", Level: org.Provincial, ParentID: w.cn.ID, NameZH: "江苏省", NameEN: "Jiangsu", Effective: "2010-01-01"}))(t)
	w.agency = must(o.CreatePartner(ctx, sys, org.PartnerInput{Code: "AH-WH1", UnitID: w.hf.ID, Type: "womens_home", NameZH: "合肥妇女之家", NameEN: "Hefei Women's Home"}))(t)
	fw := must(rs.CreateFramework(ctx, sys, results.FrameworkInput{Code: "NLF", UnitID: w.cn.ID, NameZH: "框架", NameEN: "Logframe"}))(t)
	must(rs.AddElement(ctx, sys, fw.ID, results.ElementInput{Kind: "development_objective", Code: "DO", NameZH: "目标", NameEN: "Objective"}))(t)
	must(rs.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "TCH", FrameworkCode: "NLF", ElementCode: "DO", NameZH: "教师", NameEN: "Teachers trained", Type: "count", Aggregation: "sum"}))(t)
	must(rs.Approve(ctx, sys, fw.ID))(t)
	w.national = access.Actor{PublicID: "u_nat", Role: access.NationalOfficer, UnitID: w.cn.ID, UnitPath: w.cn.Path}
	w.anhui = access.Actor{PublicID: "u_ah", Role: access.ProvincialOfficer, UnitID: w.ah.ID, UnitPath: w.ah.Path}
	w.jiangsu = access.Actor{PublicID: "u_js", Role: access.ProvincialOfficer, UnitID: w.js.ID, UnitPath: w.js.Path}
	w.ag = access.Actor{PublicID: "u_ag", Role: access.AgencyReporter, UnitID: w.hf.ID, UnitPath: w.hf.Path, PartnerID: w.agency.ID}
	w.svc = plans.New(db)
	w.svc.SetToday(func() string { return "2011-03-01" })
	w.plan = must(w.svc.CreateWorkPlan(ctx, w.anhui, plans.WorkPlanInput{UnitID: w.ah.ID, Year: 2011, TitleZH: "安徽2011年工作计划", TitleEN: "Anhui work plan 2011"}))(t)
	return w
}

func apInput(w world, start, end string) plans.InterventionPlan {
	return plans.InterventionPlan{WorkPlanID: w.plan.ID, Code: "AP-AH-01", TitleZH: "生活技能教育", TitleEN: "Life skills education", AgencyID: w.agency.ID,
		GraceDays: 10, Locations: []int64{w.hf.ID}, Indicators: []plans.TargetInput{{Code: "TCH"}},
		Rules: plans.InterventionInput{Format: plans.ActionProgramme, StartOn: start, EndOn: end, AdvanceShare: 3000,
			Budget: []plans.BudgetLine{{Item: "Training", Currency: "CNY", Amount: 9_000_000}, {Item: "Materials", Currency: "CNY", Amount: 3_000_000}}}}
}

// TestInterventionCycle runs an Action Programme from plan to payment: the format's rules, the
// 4-monthly schedule, a draft with errors, an idempotent submission under concurrent retries,
// review, return with comments, resubmission, approval writing the values into the results
// framework, and the tranche released once — with another province kept out throughout.
func TestInterventionCycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setupWorld(t, db)
		s := w.svc
		if _, err := s.CreateIntervention(ctx, w.anhui, apInput(w, "2011-01-01", "2011-05-31")); rule(err) != "duration_range" {
			t.Fatalf("5-month Action Programme: %v", err)
		}
		if _, err := s.CreateIntervention(ctx, w.jiangsu, apInput(w, "2011-01-01", "2011-12-31")); rule(err) != "not_found" {
			t.Fatalf("Jiangsu planning in Anhui: %v", err)
		}
		half := apInput(w, "2011-01-01", "2011-12-31")
		half.Indicators[0].Target = new(40.5)
		if _, err := s.CreateIntervention(ctx, w.anhui, half); rule(err) != "whole_number" {
			t.Fatalf("a count's target of 40.5 teachers: %v", err)
		}
		iv := must(s.CreateIntervention(ctx, w.anhui, apInput(w, "2011-01-01", "2011-12-31")))(t)
		if iv.Budget != 12_000_000 || len(iv.Lines) != 2 {
			t.Fatalf("intervention %+v", iv)
		}
		reps := must(s.Reports(ctx, w.ag, iv.ID))(t)
		if len(reps) != 3 || reps[0].PeriodEnd != "2011-04-30" || reps[2].Kind != plans.FinalReport || reps[0].Status != plans.StatusDraft {
			t.Fatalf("schedule %+v", reps)
		}
		ts := must(s.Tranches(ctx, w.national, iv.ID))(t)
		var total int64
		for _, tr := range ts {
			total += tr.Amount
		}
		if len(ts) != 4 || ts[0].Amount != 3_600_000 || total != iv.Budget || !ts[0].Releasable || ts[1].Releasable {
			t.Fatalf("tranches %+v", ts)
		}
		if _, err := s.Reports(ctx, w.jiangsu, iv.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Jiangsu reading Anhui's reports: %v", err)
		}
		r1 := reps[0]
		// A draft spending more than a line's budget, for an indicator it does not contribute to.
		_, err := s.SaveDraft(ctx, w.ag, r1.ID, plans.ReportDraft{Progress: "x", Expenditure: map[int64]int64{iv.LineIDs[1]: 3_000_001}})
		if es, ok := valid.As(err); !ok || es[0].Rule != "over_budget_line" || es[0].Row != 2 || es[0].Param != "30000.00" {
			t.Fatalf("overspent line: %v", err)
		}
		_, err = s.SaveDraft(ctx, w.ag, r1.ID, plans.ReportDraft{Progress: "x", Values: []plans.ReportValue{{Indicator: "DM", UnitID: w.hf.ID, Value: 3}}})
		if rule(err) != "not_contributed" {
			t.Fatalf("value of another indicator: %v", err)
		}
		if _, err := s.Submit(ctx, w.ag, r1.ID, "k0"); rule(err) != "required" {
			t.Fatalf("submit an empty report: %v", err)
		}
		must(s.SaveDraft(ctx, w.ag, r1.ID, plans.ReportDraft{Progress: "Trained 40 teachers in Hefei.", Challenges: "Teacher turnover.",
			Expenditure: map[int64]int64{iv.LineIDs[0]: 2_500_000}, Values: []plans.ReportValue{{Indicator: "TCH", UnitID: w.hf.ID, Value: 40}}}))(t)
		if _, err := s.Submit(ctx, w.anhui, r1.ID, "k1"); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("an officer submitting for the agency: %v", err)
		}
		// The report is sent in after its period (its values are April's, which a value for a
		// period not yet begun could not be).
		s.SetToday(func() string { return "2011-05-02" })
		// Double click and retries on a bad connection: one submission.
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = s.Submit(ctx, w.ag, r1.ID, "click-1") }()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("retried submission: %v", err)
			}
		}
		if _, err := s.Submit(ctx, w.ag, r1.ID, "click-2"); rule(err) != "report_not_editable" {
			t.Fatalf("a second, different submission: %v", err)
		}
		r := must(s.Report(ctx, w.national, r1.ID))(t)
		if r.Status != plans.StatusSubmitted || len(r.Events) != 1 || r.FirstSubmitted != "2011-05-02" {
			t.Fatalf("after concurrent submits: %s, %d events", r.Status, len(r.Events))
		}
		// The history records the step on the service's day (the demonstration's 2011), not the
		// day the test runs.
		if at := r.Events[0].At.UTC().Format(time.DateOnly); at != "2011-05-02" {
			t.Fatalf("submission recorded on %s", at)
		}
		if _, err := s.Release(ctx, w.national, ts[1].ID, "", ""); rule(err) != "report_not_approved" {
			t.Fatalf("release before approval: %v", err)
		}
		if _, err := s.Approve(ctx, w.national, r1.ID, ""); rule(err) != "report_transition" {
			t.Fatalf("approve before review: %v", err)
		}
		if _, err := s.Review(ctx, w.jiangsu, r1.ID, ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Jiangsu reviewing Anhui: %v", err)
		}
		must(s.Review(ctx, w.anhui, r1.ID, "Looks complete."))(t)
		if _, err := s.Return(ctx, w.national, r1.ID, ""); rule(err) != "required" {
			t.Fatalf("return without a comment: %v", err)
		}
		must(s.Return(ctx, w.national, r1.ID, "Add the teachers' schools."))(t)
		must(s.SaveDraft(ctx, w.ag, r1.ID, plans.ReportDraft{Progress: "Trained 40 teachers in 4 Hefei schools.", Expenditure: map[int64]int64{iv.LineIDs[0]: 2_500_000},
			Values: []plans.ReportValue{{Indicator: "TCH", UnitID: w.hf.ID, Value: 40}}}))(t)
		must(s.Submit(ctx, w.ag, r1.ID, "click-3"))(t)
		must(s.Review(ctx, w.anhui, r1.ID, ""))(t)
		r = must(s.Approve(ctx, w.national, r1.ID, "Approved."))(t)
		if r.Status != plans.StatusApproved || len(r.Events) != 6 || r.Events[2].Action != "return" || r.Events[2].Comment != "Add the teachers' schools." {
			t.Fatalf("history %+v", r.Events)
		}
		// The values are now the framework's, citing the report.
		var v float64
		var src, ref string
		if err := db.R.QueryRowContext(ctx, `SELECT value, source, source_ref FROM data_values WHERE unit_id = $1 AND period = '2011-04'`, w.hf.ID).Scan(&v, &src, &ref); err != nil || v != 40 || src != "report" || ref != "AP-AH-01/R1" {
			t.Fatalf("value from the report: %v %s %s %v", v, src, ref, err)
		}
		s.SetToday(func() string { return "2011-06-10" })
		rel := must(s.Release(ctx, w.national, ts[1].ID, "2011-06-10", "PAY-0042"))(t)
		if rel.ReleasedOn != "2011-06-10" || rel.Amount != ts[1].Amount {
			t.Fatalf("released %+v", rel)
		}
		if _, err := s.Release(ctx, w.national, ts[1].ID, "2011-06-11", ""); rule(err) != "already_released" {
			t.Fatalf("second release: %v", err)
		}
		if _, err := s.Release(ctx, w.anhui, ts[0].ID, "", ""); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("a province releasing funds: %v", err)
		}
		// Late in September: report 2 (May-August, due 30 September + 10 days) is not yet late;
		// in November it is, and its tranche is withheld; the advance waits on the office.
		s.SetToday(func() string { return "2011-11-20" })
		late := must(s.LateReports(ctx, w.anhui, ""))(t)
		if len(late) != 1 || late[0].Report.Seq != 2 || late[0].DaysLate != 51 {
			t.Fatalf("late reports %+v", late)
		}
		if late := must(s.LateReports(ctx, w.jiangsu, ""))(t); len(late) != 0 {
			t.Fatalf("Jiangsu sees Anhui's late reports: %+v", late)
		}
		held := must(s.WithheldAll(ctx, w.national, ""))(t)
		reasons := map[int]string{}
		for _, h := range held {
			reasons[h.Tranche.Seq] = h.Reason
		}
		if len(held) != 2 || reasons[1] != plans.WaitRelease || reasons[3] != plans.WaitNotSubmitted {
			t.Fatalf("withheld %+v", held)
		}
		sp := must(s.SpendingOf(ctx, w.national, iv.ID, ""))(t)
		if sp.Spent != 2_500_000 || sp.Released != ts[1].Amount || sp.Status != "behind" {
			t.Fatalf("spending %+v", sp)
		}
	})
}

func TestContributions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setupWorld(t, db)
		sub := int64(300_00)
		table := plans.ContributionTable{From: "2010-01-01", To: "2012-06-30", Currency: "CNY", WholeUnits: true,
			Rows: []plans.ContributionRow{
				{Category: "venue", Amounts: map[string]int64{plans.NationalLevel: 100_00, plans.LocalLevel: 250_00}, StatedSubtotal: &sub},
				{Category: "publicity", Amounts: map[string]int64{plans.ProvincialLevel: 6302_00}}},
			Rates: []plans.Rate{{Currency: "CNY", PerUSD: "6.302", On: "2012-06-30"}}}
		// Rates serve the whole programme: the national office records them, a province cannot.
		if err := w.svc.SetRate(ctx, w.anhui, plans.Rate{Currency: "CNY", PerUSD: "6.302", On: "2012-06-30"}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("a province setting a rate: %v", err)
		}
		must(0, w.svc.SetRate(ctx, w.national, plans.Rate{Currency: "CNY", PerUSD: "6.302", On: "2012-06-30"}))(t)
		if _, _, err := w.svc.ImportContributions(ctx, w.jiangsu, w.ah.ID, table, "Annex A", false); rule(err) != "not_found" {
			t.Fatalf("Jiangsu importing for Anhui: %v", err)
		}
		diffs, cells := must2(w.svc.ImportContributions(ctx, w.anhui, w.ah.ID, table, "Annex A", false))(t)
		if cells != 3 || len(diffs) != 1 || diffs[0].Kind != plans.DiffSubtotal || diffs[0].Stated != 300_00 || diffs[0].Computed != 350_00 {
			t.Fatalf("differences %+v, cells %d", diffs, cells)
		}
		sum := must(w.svc.Contributions(ctx, w.national, w.cn.ID, "2010-01-01", "2012-12-31"))(t)
		if sum.Total != 6652_00 || sum.Levels[plans.LocalLevel] != 250_00 || sum.Converted["USD"] != 1055_54 {
			t.Fatalf("summary %+v", sum)
		}
		if _, err := w.svc.Contributions(ctx, w.jiangsu, w.ah.ID, "2010-01-01", "2012-12-31"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Jiangsu reading Anhui's contributions: %v", err)
		}
	})
}

func must2[A, B any](a A, b B, err error) func(*testing.T) (A, B) {
	return func(t *testing.T) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}
