package demo

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// statusAfter is the status a report's script leaves it in.
func statusAfter(steps []pstep) string {
	status := plans.StatusDraft
	for _, st := range steps {
		switch st.act {
		case "submit":
			status = plans.StatusSubmitted
		case "review":
			status = plans.StatusReviewed
		case "return":
			status = plans.StatusReturned
		case "approve":
			status = plans.StatusApproved
		}
	}
	return status
}

// day returns the day of the last step of the act in a script, or "".
func day(steps []pstep, act string) string {
	out := ""
	for _, st := range steps {
		if st.act == act {
			out = st.on
		}
	}
	return out
}

type reportKey struct {
	code string
	seq  int
}

func TestPlansDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := Load(ctx, db); err != nil {
			t.Fatal(err)
		}
		first := tableCounts(t, db)
		if _, err := Load(ctx, db); err != nil {
			t.Fatalf("second Load: %v", err)
		}
		for table, n := range tableCounts(t, db) {
			if n != first[table] {
				t.Errorf("second Load changed %s: %d rows, then %d", table, first[table], n)
			}
		}
		for _, table := range []string{"work_plans", "interventions", "reports", "report_events", "report_expenditures", "report_values", "tranches", "disbursements", "contributions", "exchange_rates"} {
			if first[table] == 0 {
				t.Errorf("no %s", table)
			}
		}

		sys := access.System
		svc := plans.New(db)
		svc.SetToday(func() string { return AsOf })
		o := org.New(db)
		unit := func(code string) org.Unit {
			t.Helper()
			u, err := o.UnitByCode(ctx, sys, code)
			if err != nil {
				t.Fatalf("unit %s: %v", code, err)
			}
			return u
		}
		ivs, err := svc.Interventions(ctx, sys, 0)
		if err != nil {
			t.Fatal(err)
		}
		byCode := map[string]plans.Intervention{}
		formats := map[string]bool{}
		for _, iv := range ivs {
			byCode[iv.Code] = iv
			formats[iv.Format] = true
		}

		t.Run("work plans and formats", func(t *testing.T) {
			wps, err := svc.WorkPlans(ctx, sys)
			if err != nil {
				t.Fatal(err)
			}
			for _, code := range []string{"CN", "AH", "YN", "GZ", "HN", "JS", "FJ"} {
				n := 0
				for _, w := range wps {
					if w.UnitCode == code && w.Year >= 2010 && w.Year <= 2012 {
						n++
					}
				}
				if n != 3 {
					t.Errorf("%s has %d work plans for 2010-2012", code, n)
				}
			}
			for _, f := range plans.FormatCodes() {
				if !formats[f] {
					t.Errorf("no %s in the demo", f)
				}
			}
			if len(ivs) != len(interventions) {
				t.Errorf("%d interventions, want %d", len(ivs), len(interventions))
			}
		})

		t.Run("reports follow their scripts", func(t *testing.T) {
			for _, s := range interventions {
				listed, ok := byCode[s.code]
				if !ok {
					t.Errorf("%s missing", s.code)
					continue
				}
				iv, err := svc.Intervention(ctx, sys, listed.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(iv.LineIDs) != len(s.lines) {
					t.Errorf("%s has %d budget lines, want %d", s.code, len(iv.LineIDs), len(s.lines))
				}
				if iv.AgencyID != mustPartner(t, ctx, o, s.agency).ID {
					t.Errorf("%s: agency %d, want %s", s.code, iv.AgencyID, s.agency)
				}
				var budget int64
				for _, l := range s.lines {
					budget += l.yuan * 100
				}
				if iv.Budget != budget || iv.Currency != "CNY" {
					t.Errorf("%s: budget %s %d, want CNY %d", s.code, iv.Currency, iv.Budget, budget)
				}
				reps, err := svc.Reports(ctx, sys, iv.ID)
				if err != nil {
					t.Fatal(err)
				}
				want := map[int]repScript{}
				for _, rs := range s.reports {
					want[rs.seq] = rs
				}
				for _, r := range reps {
					rs, scripted := want[r.Seq]
					if status := statusAfter(rs.steps); r.Status != status {
						t.Errorf("%s R%d is %s, its script leaves it %s", s.code, r.Seq, r.Status, status)
					}
					if !scripted {
						continue
					}
					if sub := day(rs.steps, "submit"); sub != "" {
						first := rs.steps[slices.IndexFunc(rs.steps, func(p pstep) bool { return p.act == "submit" })].on
						if r.FirstSubmitted != first || r.SubmittedOn != sub {
							t.Errorf("%s R%d submitted first %s, last %s; want %s, %s", s.code, r.Seq, r.FirstSubmitted, r.SubmittedOn, first, sub)
						}
						if r.FirstSubmitted < r.PeriodEnd {
							t.Errorf("%s R%d submitted %s before its period ends %s", s.code, r.Seq, r.FirstSubmitted, r.PeriodEnd)
						}
					}
					if r.Status == plans.StatusApproved && r.ApprovedOn != day(rs.steps, "approve") {
						t.Errorf("%s R%d approved on %q", s.code, r.Seq, r.ApprovedOn)
					}
					full, err := svc.Report(ctx, sys, r.ID)
					if err != nil {
						t.Fatal(err)
					}
					if !strings.Contains(full.Progress, "\n\n") || !strings.Contains(full.Progress, "["+reviewCite+"§") {
						t.Errorf("%s R%d: progress is not bilingual with its source: %q", s.code, r.Seq, full.Progress)
					}
					var spent int64
					for i, id := range iv.LineIDs {
						spent += full.Expenditure[id]
						if full.Expenditure[id] != iv.Lines[i].Amount*int64(rs.spend)/10000 {
							t.Errorf("%s R%d line %d: spent %d", s.code, r.Seq, i+1, full.Expenditure[id])
						}
					}
					if spent == 0 {
						t.Errorf("%s R%d reports no expenditure", s.code, r.Seq)
					}
				}
				// Money follows approval: a tranche is paid after its report is approved.
				ts, err := svc.Tranches(ctx, sys, iv.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, tr := range ts {
					if tr.ReleasedOn == "" {
						continue
					}
					if tr.Kind == plans.AdvanceTranche {
						if tr.ReleasedOn < iv.StartOn {
							t.Errorf("%s advance paid %s before the start %s", s.code, tr.ReleasedOn, iv.StartOn)
						}
						continue
					}
					if r := reps[tr.ReportSeq-1]; r.Status != plans.StatusApproved || tr.ReleasedOn < r.ApprovedOn {
						t.Errorf("%s tranche %d paid %s, its report %s on %q", s.code, tr.Seq, tr.ReleasedOn, r.Status, r.ApprovedOn)
					}
				}
			}
		})

		t.Run("late reports", func(t *testing.T) {
			late, err := svc.LateReports(ctx, sys, AsOf)
			if err != nil {
				t.Fatal(err)
			}
			got := map[reportKey]int{}
			for _, l := range late {
				got[reportKey{l.Intervention.Code, l.Report.Seq}] = l.DaysLate
				if l.Intervention.Code == "AP-JS-04" {
					t.Errorf("Jiangsu's Women's Homes report on time, yet R%d is late", l.Report.Seq)
				}
			}
			for _, k := range []reportKey{{"AP-JS-05", 3}, {"AP-GZ-04", 3}, {"AP-GZ-04", 4}} {
				if got[k] <= 0 {
					t.Errorf("%s R%d is not late on %s: %v", k.code, k.seq, AsOf, got)
				}
			}
			// The employer cooperation's third report was due 30 May 2012.
			if d, err := plans.DaysBetween("2012-05-30", AsOf); err != nil || got[reportKey{"AP-JS-05", 3}] != d {
				t.Errorf("AP-JS-05 R3 %d days late, want %d", got[reportKey{"AP-JS-05", 3}], d)
			}
			// Fujian's latest report came in after its grace and waits for review.
			reps, err := svc.Reports(ctx, sys, byCode["AP-FJ-04"].ID)
			if err != nil {
				t.Fatal(err)
			}
			if r := reps[3]; r.Status != plans.StatusSubmitted || r.DaysLate <= 0 || r.FirstSubmitted <= r.GraceUntil {
				t.Errorf("Fujian R4: %s, submitted %s, grace until %s, %d days late", r.Status, r.FirstSubmitted, r.GraceUntil, r.DaysLate)
			}
		})

		t.Run("returned reports keep their comments", func(t *testing.T) {
			au := auth.New(db)
			u, err := au.Login(ctx, "agency", Password)
			if err != nil {
				t.Fatal(err)
			}
			agency := u.Actor()
			mine, err := svc.Interventions(ctx, agency, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(mine) != 1 || mine[0].Code != "MP-JS-01" {
				t.Fatalf("the agency login sees %v", mine)
			}
			reps, err := svc.Reports(ctx, agency, mine[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			r, err := svc.Report(ctx, agency, reps[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			last := r.Events[len(r.Events)-1]
			if r.Status != plans.StatusReturned || last.Action != "return" || last.Comment != helieReturn || last.From != plans.StatusReviewed {
				t.Errorf("Helie's final report: %s, last event %+v", r.Status, last)
			}
			// Guizhou's first report was returned, fixed and approved: its history shows all.
			reps, err = svc.Reports(ctx, sys, byCode["AP-GZ-04"].ID)
			if err != nil {
				t.Fatal(err)
			}
			r, err = svc.Report(ctx, sys, reps[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			var acts []string
			for _, e := range r.Events {
				acts = append(acts, e.Action)
			}
			if want := []string{"submit", "review", "return", "submit", "review", "approve"}; !slices.Equal(acts, want) || r.Events[2].Comment == "" {
				t.Errorf("Guizhou R1 history %v (%q), want %v", acts, r.Events[2].Comment, want)
			}
			// Each step is dated on the day its script plays it, in order: the history reads as
			// the programme's, not as the day the demonstration was loaded.
			for i, e := range r.Events {
				day := e.At.UTC().Format(time.DateOnly)
				if day < r.PeriodEnd || day > AsOf || i > 0 && e.At.Before(r.Events[i-1].At) {
					t.Errorf("Guizhou R1 step %d (%s) recorded at %s", i+1, e.Action, e.At)
				}
			}
			if got := r.Events[0].At.UTC().Format(time.DateOnly); got != r.FirstSubmitted {
				t.Errorf("Guizhou R1 first submitted on %s, its history says %s", r.FirstSubmitted, got)
			}
			if !strings.Contains(r.Progress, "budget line") {
				t.Errorf("Guizhou R1 was not fixed: %q", r.Progress)
			}
		})

		t.Run("funds withheld and released", func(t *testing.T) {
			held, err := svc.WithheldAll(ctx, sys, AsOf)
			if err != nil {
				t.Fatal(err)
			}
			type hold struct {
				reason string
				late   bool
			}
			got := map[reportKey]hold{}
			for _, h := range held {
				got[reportKey{h.Intervention.Code, h.Tranche.ReportSeq}] = hold{h.Reason, h.Late}
				if h.Intervention.Code == "EX-CN-01" {
					t.Errorf("the Little Bird forum has not started, yet %+v is withheld", h)
				}
			}
			for k, want := range map[reportKey]hold{
				{"AP-JS-05", 3}: {plans.WaitNotSubmitted, true},
				{"AP-FJ-04", 4}: {plans.WaitInReview, true},
				{"AP-GZ-04", 3}: {plans.WaitReturned, true},
				{"AP-AH-06", 4}: {plans.WaitRelease, false},
				{"MP-JS-01", 1}: {plans.WaitReturned, false},
			} {
				if got[k] != want {
					t.Errorf("%s R%d: withheld %+v, want %+v", k.code, k.seq, got[k], want)
				}
			}
			ledger, err := svc.Ledger(ctx, sys, "", "")
			if err != nil {
				t.Fatal(err)
			}
			paid := map[string]int64{}
			days := map[string]bool{}
			for _, d := range ledger {
				paid[d.Intervention] += d.Amount
				days[d.Intervention+" "+d.ReleasedOn] = true
			}
			for _, s := range interventions {
				for _, rs := range s.reports {
					if rs.paid != "" && !days[s.code+" "+rs.paid] {
						t.Errorf("%s R%d's tranche was not paid on %s", s.code, rs.seq, rs.paid)
					}
				}
			}
			// The closed short interventions are paid what their approved reports spent, and the
			// rest of their budgets is kept back.
			for _, code := range []string{"LE-CN-01", "SA-HN-01", "SC-JS-01", "SA-YN-01"} {
				sp, err := svc.SpendingOf(ctx, sys, byCode[code].ID, AsOf)
				if err != nil {
					t.Fatal(err)
				}
				if paid[code] != sp.Spent || sp.Spent >= byCode[code].Budget || sp.Unpaid != byCode[code].Budget-sp.Spent || sp.RefundDue != 0 {
					t.Errorf("%s paid %d of %d, spent %d: %+v", code, paid[code], byCode[code].Budget, sp.Spent, sp)
				}
			}
		})

		t.Run("burn rate", func(t *testing.T) {
			for code, want := range map[string]string{"AP-JS-05": plans.BurnBehind, "AP-JS-04": plans.BurnOnTrack, "AP-AH-06": plans.BurnOnTrack} {
				sp, err := svc.SpendingOf(ctx, sys, byCode[code].ID, AsOf)
				if err != nil {
					t.Fatal(err)
				}
				if sp.Status != want {
					t.Errorf("%s burn %s (spent %.2f of the budget, %.2f of the time), want %s", code, sp.Status, sp.Burn.SpentShare, sp.Burn.TimeShare, want)
				}
			}
		})

		t.Run("approved values feed the provincial frameworks", func(t *testing.T) {
			rs := results.New(db)
			js := unit("JS")
			tab, err := rs.Progress(ctx, sys, "CPTING2-JS", js, results.LOP, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(tab.Rows) != 1 || tab.Rows[0].Indicator.Code != indFactories || tab.Rows[0].Actual.Value != sumValues(employerFactories) ||
				tab.Rows[0].Status != results.Behind || tab.Framework.ParentCode != frameworkCode {
				t.Fatalf("Jiangsu framework: %+v", tab)
			}
			vals, err := rs.Values(ctx, sys, tab.Rows[0].Indicator.ID, js, results.LOP, "en", false)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if v.Source != "report" || v.SourceRef != "AP-JS-05/R2" || v.Period != "2011-12" {
					t.Errorf("factories value at %s %s: %s %q", v.UnitCode, v.Period, v.Source, v.SourceRef)
				}
			}
			if len(vals) != len(employerFactories) {
				t.Errorf("%d factory values, want %d", len(vals), len(employerFactories))
			}
			yn, err := rs.Progress(ctx, sys, "CPTING2-YN", unit("YN"), results.LOP, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(yn.Rows) != 1 || yn.Rows[0].Actual.Value != 1 {
				t.Errorf("Yunnan framework: %+v", yn.Rows)
			}
			// The national table keeps the evaluation's rows.
			cn, err := rs.Progress(ctx, sys, frameworkCode, unit("CN"), results.LOP, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(cn.Rows) != len(indicators) {
				t.Errorf("national table has %d rows, want %d", len(cn.Rows), len(indicators))
			}
		})

		t.Run("Annex A", func(t *testing.T) {
			cn := unit("CN")
			diffs, cells, err := svc.ImportContributions(ctx, sys, cn.ID, annexA(), annexASource, true)
			if err != nil {
				t.Fatal(err)
			}
			// RMB 6,259,182 ÷ 6.302 × 0.9812 = CAN$ 974,533.38; Annex A prints 947,533. The US$
			// total (993,205.65, printed 993,206) differs by rounding only.
			want := []plans.Difference{{Kind: plans.DiffConverted, Currency: "CAD", Stated: 947533_00, Computed: 974533_00}}
			if !reflect.DeepEqual(diffs, want) || cells != 25 {
				t.Errorf("Annex A differences %+v in %d cells, want %+v in 25", diffs, cells, want)
			}
			sum, err := svc.Contributions(ctx, sys, cn.ID, "2010-01-01", "2012-06-30")
			if err != nil {
				t.Fatal(err)
			}
			if sum.Total != 6259182_00 || sum.Converted["CAD"] != 974533_38 || sum.Converted["USD"] != 993205_65 ||
				sum.Levels[plans.NationalLevel] != 390000_00 || sum.Categories["utilities"] != 978980_00 {
				t.Errorf("stored contributions: total %d, converted %v, levels %v", sum.Total, sum.Converted, sum.Levels)
			}
			var ref string
			if err := db.R.QueryRowContext(ctx, "SELECT DISTINCT source_ref FROM contributions").Scan(&ref); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(ref, "total in CAD stated 947,533.00, computed 974,533.00") {
				t.Errorf("the stored cells do not say where Annex A errs: %q", ref)
			}
			var after string
			if err := db.R.QueryRowContext(ctx, "SELECT after FROM audit_log WHERE entity = 'contributions' AND action = 'import'").Scan(&after); err != nil {
				t.Fatal(err)
			}
			var logged struct{ Differences int }
			if err := json.Unmarshal([]byte(after), &logged); err != nil || logged.Differences != 1 {
				t.Errorf("import audit %s (%v)", after, err)
			}
		})
	})
}

func mustPartner(t *testing.T, ctx context.Context, o *org.Service, code string) org.Partner {
	t.Helper()
	ps, _, err := o.Partners(ctx, access.System, org.PartnerQuery{Search: code})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Code == code {
			return p
		}
	}
	t.Fatalf("partner %s missing", code)
	return org.Partner{}
}

func TestMoney(t *testing.T) {
	for v, want := range map[int64]string{0: "0.00", 5: "0.05", 100: "1.00", 94753300: "947,533.00", 97453338: "974,533.38",
		625918200: "6,259,182.00", -123456789: "-1,234,567.89", 100000000: "1,000,000.00"} {
		if got := money(v); got != want {
			t.Errorf("money(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestScriptsFollowTheRules(t *testing.T) {
	// Every script is a valid plan under its format, and its reports exist in its schedule.
	for _, s := range interventions {
		in := plans.InterventionInput{Format: s.format, StartOn: s.start, EndOn: s.end, AdvanceShare: plans.DefaultAdvanceShare}
		for _, l := range s.lines {
			in.Budget = append(in.Budget, plans.BudgetLine{Item: l.item, Currency: "CNY", Amount: l.yuan * 100})
		}
		if es := plans.CheckIntervention(in); es.Err() != nil {
			t.Errorf("%s: %v", s.code, es)
		}
		sched, err := plans.Schedule(s.format, s.start, s.end, plans.DefaultGraceDays)
		if err != nil {
			t.Fatal(err)
		}
		spend := 0
		for _, rs := range s.reports {
			if rs.seq < 1 || rs.seq > len(sched) {
				t.Errorf("%s R%d is not in its schedule of %d", s.code, rs.seq, len(sched))
			}
			spend += rs.spend
			if rs.paid != "" && statusAfter(rs.steps) != plans.StatusApproved {
				t.Errorf("%s R%d: paid %q, %s", s.code, rs.seq, rs.paid, statusAfter(rs.steps))
			}
		}
		if spend > 10000 {
			t.Errorf("%s spends %d basis points of its budget", s.code, spend)
		}
	}
}
