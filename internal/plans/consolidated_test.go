package plans_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// cwWorld is a two-province programme with a results framework (objective → immediate
// objective → output) and interventions in Anhui and Jiangsu, for the consolidated reports.
type cwWorld struct {
	svc                                        *plans.Service
	cn, ah, hf, js                             org.Unit
	national, anhui, jiangsu, ahAgent, jsAgent access.Actor
	ap, sa, loe, mp                            plans.Intervention
	apTranches                                 []plans.StoredTranche
	tch                                        results.Indicator
	ahPlan, jsPlan                             plans.WorkPlan
	ahAgency, jsAgency                         org.Partner
	apReport, saReport, loeReport, mpReport    plans.Report
}

const cwJiangsuText = "Jiangsu employers signed the code of conduct."

func cwSetup(t *testing.T, db *store.DB) cwWorld {
	t.Helper()
	ctx := context.Background()
	sys, o, rs := access.System, org.New(db), results.New(db)
	var w cwWorld
	w.cn = must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "CN", Level: org.National, NameZH: "全国", NameEN: "National", Effective: "2010-01-01"}))(t)
	w.ah = must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "AH", Level: org.Provincial, ParentID: w.cn.ID, NameZH: "安徽省", NameEN: "Anhui", Effective: "2010-01-01"}))(t)
	w.hf = must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "AH-HF", Level: org.Municipal, ParentID: w.ah.ID, NameZH: "合肥市", NameEN: "Hefei", Effective: "2010-01-01"}))(t)
	w.js = must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "JS", Level: org.Provincial, ParentID: w.cn.ID, NameZH: "江苏省", NameEN: "Jiangsu", Effective: "2010-01-01"}))(t)
	w.ahAgency = must(o.CreatePartner(ctx, sys, org.PartnerInput{Code: "AH-WH1", UnitID: w.hf.ID, Type: "womens_home", NameZH: "合肥妇女之家", NameEN: "Hefei Women's Home"}))(t)
	w.jsAgency = must(o.CreatePartner(ctx, sys, org.PartnerInput{Code: "JS-WF", UnitID: w.js.ID, Type: "womens_federation", NameZH: "江苏省妇联", NameEN: "Jiangsu Women's Federation"}))(t)

	fw := must(rs.CreateFramework(ctx, sys, results.FrameworkInput{Code: "BLF", UnitID: w.cn.ID, NameZH: "逻辑框架", NameEN: "Logframe"}))(t)
	must(rs.AddElement(ctx, sys, fw.ID, results.ElementInput{Kind: "development_objective", Code: "DO", NameZH: "发展目标", NameEN: "Development objective"}))(t)
	must(rs.AddElement(ctx, sys, fw.ID, results.ElementInput{Kind: "immediate_objective", ParentCode: "DO", Code: "IO1", NameZH: "目标一", NameEN: "Objective 1"}))(t)
	must(rs.AddElement(ctx, sys, fw.ID, results.ElementInput{Kind: "output", ParentCode: "IO1", Code: "O1.1", NameZH: "教师培训", NameEN: "Teachers trained in prevention"}))(t)
	w.tch = must(rs.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "TCH", FrameworkCode: "BLF", ElementCode: "O1.1", NameZH: "教师", NameEN: "Teachers trained", Type: "count", Aggregation: "sum"}))(t)
	must(rs.Approve(ctx, sys, fw.ID))(t)
	// A second framework: an intervention serving only it is linked to nothing in BLF.
	other := must(rs.CreateFramework(ctx, sys, results.FrameworkInput{Code: "OTH", UnitID: w.cn.ID, NameZH: "其他框架", NameEN: "Other logframe"}))(t)
	must(rs.AddElement(ctx, sys, other.ID, results.ElementInput{Kind: "development_objective", Code: "X", NameZH: "其他", NameEN: "Other"}))(t)
	must(rs.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "SEM", FrameworkCode: "OTH", ElementCode: "X", NameZH: "研讨会", NameEN: "Seminars held", Type: "count", Aggregation: "sum"}))(t)
	must(rs.Approve(ctx, sys, other.ID))(t)
	if err := rs.SetTarget(ctx, sys, w.tch.ID, w.ah.ID, "2011S1", 50, ""); err != nil {
		t.Fatal(err)
	}
	if err := rs.SetTarget(ctx, sys, w.tch.ID, w.ah.ID, "LOP", 200, ""); err != nil {
		t.Fatal(err)
	}

	w.national = access.Actor{PublicID: "u_nat", Role: access.NationalOfficer, UnitID: w.cn.ID, UnitPath: w.cn.Path}
	w.anhui = access.Actor{PublicID: "u_ah", Role: access.ProvincialOfficer, UnitID: w.ah.ID, UnitPath: w.ah.Path}
	w.jiangsu = access.Actor{PublicID: "u_js", Role: access.ProvincialOfficer, UnitID: w.js.ID, UnitPath: w.js.Path}
	w.ahAgent = access.Actor{PublicID: "u_ahag", Role: access.AgencyReporter, UnitID: w.hf.ID, UnitPath: w.hf.Path, PartnerID: w.ahAgency.ID}
	w.jsAgent = access.Actor{PublicID: "u_jsag", Role: access.AgencyReporter, UnitID: w.js.ID, UnitPath: w.js.Path, PartnerID: w.jsAgency.ID}
	w.svc = plans.New(db)
	s := w.svc
	at := func(day string) { s.SetToday(func() string { return day }) }
	at("2011-01-10")
	w.ahPlan = must(s.CreateWorkPlan(ctx, w.anhui, plans.WorkPlanInput{UnitID: w.ah.ID, Year: 2011, TitleZH: "安徽2011年工作计划", TitleEN: "Anhui work plan 2011"}))(t)
	w.jsPlan = must(s.CreateWorkPlan(ctx, w.jiangsu, plans.WorkPlanInput{UnitID: w.js.ID, Year: 2011, TitleZH: "江苏2011年工作计划", TitleEN: "Jiangsu work plan 2011"}))(t)
	iv := func(a access.Actor, plan plans.WorkPlan, agency org.Partner, loc int64, code, format, start, end, indicator string, lines ...plans.BudgetLine) plans.Intervention {
		t.Helper()
		return must(s.CreateIntervention(ctx, a, plans.InterventionPlan{WorkPlanID: plan.ID, Code: code, TitleZH: code + "项目", TitleEN: code + " project",
			AgencyID: agency.ID, GraceDays: 10, Locations: []int64{loc}, Indicators: []plans.TargetInput{{Code: indicator}},
			Rules: plans.InterventionInput{Format: format, StartOn: start, EndOn: end, AdvanceShare: 3000, Budget: lines}}))(t)
	}
	cny := func(item string, amount int64) plans.BudgetLine {
		return plans.BudgetLine{Item: item, Currency: "CNY", Amount: amount}
	}
	w.ap = iv(w.anhui, w.ahPlan, w.ahAgency, w.hf.ID, "AP-AH-01", plans.ActionProgramme, "2011-01-01", "2011-12-31", "TCH",
		cny("Training", 9_000_000), cny("Materials", 3_000_000))
	w.sa = iv(w.anhui, w.ahPlan, w.ahAgency, w.hf.ID, "SA-AH-02", plans.SeminarAgreement, "2011-03-01", "2011-05-31", "SEM", cny("Venue", 1_000_000))
	w.loe = iv(w.anhui, w.ahPlan, w.ahAgency, w.hf.ID, "LOE-AH-03", plans.LetterOfExchange, "2011-04-01", "2011-05-15", "TCH", cny("Exchange", 500_000))
	w.mp = iv(w.jiangsu, w.jsPlan, w.jsAgency, w.js.ID, "MP-JS-01", plans.MiniProgramme, "2011-01-01", "2011-04-30", "TCH", cny("Forum", 2_000_000))
	// An Action Programme starting after the half is not in its report.
	iv(w.anhui, w.ahPlan, w.ahAgency, w.hf.ID, "AP-AH-09", plans.ActionProgramme, "2011-09-01", "2012-08-31", "TCH", cny("Training", 6_000_000))

	w.apTranches = must(s.Tranches(ctx, w.national, w.ap.ID))(t)
	at("2011-01-20") // a release is dated no later than the day it is recorded
	must(s.Release(ctx, w.national, w.apTranches[0].ID, "2011-01-20", "PAY-AH-ADV"))(t)
	mpTranches := must(s.Tranches(ctx, w.national, w.mp.ID))(t)
	must(s.Release(ctx, w.national, mpTranches[0].ID, "2011-01-15", "PAY-JS-ADV"))(t)

	first := func(a access.Actor, id int64) plans.Report {
		t.Helper()
		return must(s.Reports(ctx, a, id))(t)[0]
	}
	write := func(a access.Actor, r plans.Report, d plans.ReportDraft) {
		t.Helper()
		must(s.SaveDraft(ctx, a, r.ID, d))(t)
		must(s.Submit(ctx, a, r.ID, "k"+r.Ref()))(t)
	}
	at("2011-05-20")
	w.apReport = first(w.ahAgent, w.ap.ID)
	write(w.ahAgent, w.apReport, plans.ReportDraft{Progress: "Trained 40 teachers in 4 Hefei schools.", Challenges: "Teacher turnover.",
		Lessons: "Train head teachers first.", Practices: "Peer observation.", Expenditure: map[int64]int64{w.ap.LineIDs[0]: 2_500_000},
		Values: []plans.ReportValue{{Indicator: "TCH", UnitID: w.hf.ID, Value: 40}}})
	must(s.Review(ctx, w.anhui, w.apReport.ID, ""))(t)
	w.mpReport = first(w.jsAgent, w.mp.ID)
	write(w.jsAgent, w.mpReport, plans.ReportDraft{Progress: cwJiangsuText, Expenditure: map[int64]int64{}})
	must(s.Review(ctx, w.jiangsu, w.mpReport.ID, ""))(t)
	at("2011-06-05")
	must(s.Approve(ctx, w.national, w.apReport.ID, ""))(t)
	must(s.Approve(ctx, w.national, w.mpReport.ID, ""))(t)
	at("2011-06-10")
	w.saReport = first(w.ahAgent, w.sa.ID)
	write(w.ahAgent, w.saReport, plans.ReportDraft{Progress: "Held the provincial seminar on safe migration.", Expenditure: map[int64]int64{w.sa.LineIDs[0]: 900_000}})
	must(s.Review(ctx, w.anhui, w.saReport.ID, ""))(t)
	must(s.Approve(ctx, w.national, w.saReport.ID, ""))(t)
	// The Letter of Exchange's report is sent in but not approved.
	w.loeReport = first(w.ahAgent, w.loe.ID)
	write(w.ahAgent, w.loeReport, plans.ReportDraft{Progress: "Exchange visit still to be approved.", Expenditure: map[int64]int64{}})
	// Paid after the half: still withheld on its last day.
	at("2011-07-05")
	must(s.Release(ctx, w.national, w.apTranches[1].ID, "2011-07-05", "PAY-AH-T1"))(t)

	rate := []plans.Rate{{Currency: "CNY", PerUSD: "6.302", On: "2012-06-30"}}
	must2(s.ImportContributions(ctx, w.anhui, w.ah.ID, plans.ContributionTable{From: "2011-01-01", To: "2011-06-30", Currency: "CNY", WholeUnits: true,
		Rows: []plans.ContributionRow{{Category: "venue", Amounts: map[string]int64{plans.NationalLevel: 100_00, plans.LocalLevel: 250_00}}}, Rates: rate}, "H1 table", false))(t)
	must2(s.ImportContributions(ctx, w.anhui, w.ah.ID, plans.ContributionTable{From: "2010-01-01", To: "2012-06-30", Currency: "CNY", WholeUnits: true,
		Rows: []plans.ContributionRow{{Category: "publicity", Amounts: map[string]int64{plans.ProvincialLevel: 6302_00}}}, Rates: rate}, "Annex A", false))(t)
	at("2011-09-01")
	return w
}

func cwRefs(groups []plans.OutputNarratives) map[string][]string {
	out := map[string][]string{}
	for _, g := range groups {
		for _, n := range g.Extracts {
			out[g.Element.Code] = append(out[g.Element.Code], n.Ref)
		}
	}
	return out
}

// TestConsolidatedReport assembles Anhui's and the national report for the first half of 2011
// from the records: the approved reports' narratives under the output their intervention
// serves (and none of an unapproved report's), progress against the half's and the life-of-
// project targets, the money of the half and to date, what was withheld on 30 June though paid
// since, the in-kind contributions; another province and lower units are refused.
func TestConsolidatedReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := cwSetup(t, db)
		s := w.svc
		c := must(s.Consolidated(ctx, w.anhui, w.ah.ID, "2011S1", "BLF"))(t)
		if c.From != "2011-01-01" || c.To != "2011-06-30" || c.Unit.ID != w.ah.ID || c.Framework.Code != "BLF" {
			t.Fatalf("header %+v", c)
		}
		if c.Interventions != 3 || c.ApprovedInHalf != 2 {
			t.Errorf("covers %d interventions and %d approved reports, want 3 and 2", c.Interventions, c.ApprovedInHalf)
		}

		// Narratives: the Action Programme's under output O1.1, the seminar (serving only another
		// framework) unlinked, the Letter of Exchange's unapproved report not at all, Jiangsu's
		// not in Anhui's report.
		refs := cwRefs(c.Outputs)
		if len(c.Outputs) != 2 || c.Outputs[0].Element.Code != "O1.1" || strings.Join(refs["O1.1"], ",") != "AP-AH-01/R1" || strings.Join(refs[""], ",") != "SA-AH-02/R1" {
			t.Fatalf("narratives %v", refs)
		}
		n := c.Outputs[0].Extracts[0]
		if n.Progress != "Trained 40 teachers in 4 Hefei schools." || n.Challenges != "Teacher turnover." || n.Lessons != "Train head teachers first." ||
			n.Practices != "Peer observation." || n.ApprovedOn != "2011-06-05" || n.Agency("en") != "Hefei Women's Home" || n.PeriodEnd != "2011-04-30" {
			t.Errorf("narrative %+v", n)
		}
		if len(c.Pending) != 1 || c.Pending[0].Ref != "LOE-AH-03/R1" || c.Pending[0].Status != plans.StatusSubmitted {
			t.Errorf("pending %+v", c.Pending)
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{"Exchange visit still to be approved.", cwJiangsuText, "MP-JS-01", "AP-AH-09"} {
			if strings.Contains(string(b), leak) {
				t.Errorf("Anhui's report shows %q", leak)
			}
		}

		// Progress: the half's target 50 and 40 trained; the life-of-project target 200.
		if len(c.Progress) != 1 {
			t.Fatalf("progress %+v", c.Progress)
		}
		p := c.Progress[0]
		if p.Indicator.Code != "TCH" || p.Element.Code != "O1.1" || *p.HalfTarget != 50 || p.HalfActual.Value != 40 || *p.HalfPercent != 80 ||
			p.HalfStatus != results.Behind || *p.LOPTarget != 200 || p.ToDate.Value != 40 || *p.LOPPercent != 20 {
			t.Errorf("progress line %+v", p)
		}

		// Money: the advance paid in January, the first tranche paid on 5 July (after the half),
		// spending from the approved reports only.
		byCode := map[string]plans.FinanceLine{}
		for _, f := range c.Finance {
			byCode[f.Intervention.Code] = f
		}
		ap := byCode["AP-AH-01"]
		if ap.Budget != 12_000_000 || ap.ReleasedHalf != w.apTranches[0].Amount || ap.Released != w.apTranches[0].Amount || ap.SpentHalf != 2_500_000 ||
			ap.Spent != 2_500_000 || ap.BurnStatus != plans.BurnBehind || !ap.Active {
			t.Errorf("Action Programme's money %+v", ap)
		}
		if sa := byCode["SA-AH-02"]; sa.SpentHalf != 900_000 || sa.Released != 0 {
			t.Errorf("seminar's money %+v", sa)
		}
		if loe := byCode["LOE-AH-03"]; loe.Spent != 0 {
			t.Errorf("an unapproved report's spending counted: %+v", loe)
		}
		if len(c.Disbursements) != 1 || c.Disbursements[0].Reference != "PAY-AH-ADV" {
			t.Errorf("disbursements %+v", c.Disbursements)
		}
		var heldAP *plans.HeldFunds
		var heldTotal int64
		for i, h := range c.Withheld {
			heldTotal += h.Amount
			if h.Intervention.Code == "AP-AH-01" && h.Tranche.Seq == 2 {
				heldAP = &c.Withheld[i]
			}
		}
		if heldAP == nil || heldAP.Reason != plans.WaitRelease || heldAP.Since != "2011-06-05" || heldAP.Days != 25 || ap.Withheld != w.apTranches[1].Amount {
			t.Errorf("the first tranche, paid on 5 July, is not withheld on 30 June: %+v in %+v", heldAP, c.Withheld)
		}
		if len(c.FinanceTotals) != 1 || c.FinanceTotals[0].Currency != "CNY" || c.FinanceTotals[0].Budget != 13_500_000 ||
			c.FinanceTotals[0].ReleasedHalf != w.apTranches[0].Amount || c.FinanceTotals[0].SpentHalf != 3_400_000 || c.FinanceTotals[0].Withheld != heldTotal {
			t.Errorf("totals %+v", c.FinanceTotals)
		}

		// In kind: the half's table; the table for 2010 to mid-2012 only in 2012's to-date figure.
		if c.InKind.Total != 350_00 || c.InKindToDate.Total != 350_00 || c.InKind.Levels[plans.LocalLevel] != 250_00 {
			t.Errorf("in kind %+v / %+v", c.InKind, c.InKindToDate)
		}
		if c12 := must(s.Consolidated(ctx, w.anhui, w.ah.ID, "2012S1", "BLF"))(t); c12.InKindToDate.Total != 6652_00 || c12.InKind.Total != 0 {
			t.Errorf("2012 in kind %d to date, %d in the half", c12.InKindToDate.Total, c12.InKind.Total)
		}

		// The second half: the tranche paid in July, no narrative of the first half, the Action
		// Programme's second report (not written) pending.
		c2 := must(s.Consolidated(ctx, w.anhui, w.ah.ID, "2011S2", "BLF"))(t)
		ap2 := map[string]plans.FinanceLine{}
		for _, f := range c2.Finance {
			ap2[f.Intervention.Code] = f
		}
		if f := ap2["AP-AH-01"]; f.ReleasedHalf != w.apTranches[1].Amount || f.Released != w.apTranches[0].Amount+w.apTranches[1].Amount || f.SpentHalf != 0 || f.Spent != 2_500_000 {
			t.Errorf("second half money %+v", f)
		}
		if len(c2.Outputs) != 0 || len(c2.Pending) != 3 {
			t.Errorf("second half: narratives %v, pending %+v", cwRefs(c2.Outputs), c2.Pending)
		}

		// The national report covers both provinces.
		nat := must(s.Consolidated(ctx, w.national, w.cn.ID, "2011S1", "BLF"))(t)
		if refs := cwRefs(nat.Outputs); strings.Join(refs["O1.1"], ",") != "AP-AH-01/R1,MP-JS-01/R1" || nat.Interventions != 4 || len(nat.Disbursements) != 2 {
			t.Errorf("national report: narratives %v, %d interventions, disbursements %+v", refs, nat.Interventions, nat.Disbursements)
		}
		// Without a framework: no progress table, every narrative unlinked.
		if bare := must(s.Consolidated(ctx, w.anhui, w.ah.ID, "2011S1", ""))(t); len(bare.Progress) != 0 || len(bare.Outputs) != 1 || len(bare.Outputs[0].Extracts) != 2 {
			t.Errorf("without a framework: progress %d, outputs %v", len(bare.Progress), cwRefs(bare.Outputs))
		}

		// Refusals.
		for _, tc := range []struct {
			name      string
			a         access.Actor
			unit      int64
			half, fw  string
			want      error
			wantRules string
		}{
			{"Jiangsu reading Anhui", w.jiangsu, w.ah.ID, "2011S1", "BLF", store.ErrNotFound, ""},
			{"Anhui reading Jiangsu", w.anhui, w.js.ID, "2011S1", "BLF", store.ErrNotFound, ""},
			{"Anhui reading the national report", w.anhui, w.cn.ID, "2011S1", "BLF", store.ErrNotFound, ""},
			{"an agency reading its province", w.ahAgent, w.ah.ID, "2011S1", "BLF", store.ErrNotFound, ""},
			{"a caseworker", access.Actor{Role: access.Caseworker, UnitID: w.ah.ID, UnitPath: w.ah.Path}, w.ah.ID, "2011S1", "BLF", access.ErrForbidden, ""},
			{"a city", w.anhui, w.hf.ID, "2011S1", "BLF", nil, "report_unit"},
			{"a quarter", w.anhui, w.ah.ID, "2011Q1", "BLF", nil, "half_year"},
			{"no half", w.anhui, w.ah.ID, "", "BLF", nil, "half_year"},
			{"an unknown framework", w.anhui, w.ah.ID, "2011S1", "NOPE", nil, "not_found"},
		} {
			_, err := s.Consolidated(ctx, tc.a, tc.unit, tc.half, tc.fw)
			switch {
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			case tc.want == nil && rule(err) != tc.wantRules:
				t.Errorf("%s: %v, want rule %s", tc.name, err, tc.wantRules)
			}
		}
	})
}
