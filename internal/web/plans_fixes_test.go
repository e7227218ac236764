package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// pfToday is the day the servers of these tests are seen as of, as the demonstration is.
const pfToday = "2012-06-30"

// pfServer is a server over db seen as of pfToday.
func pfServer(t *testing.T, db *store.DB) *fxApp {
	t.Helper()
	s, err := New(db, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test", Keys: fxKeys(t),
		Today: func() string { return pfToday }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &fxApp{db: db, srv: s, ts: ts}
}

// TestPlansReleaseDatesSaid: the release form offers the dates a release may bear; a release
// dated before its report's approval or after today is refused beside the tranche, in both
// languages. A release stored with a date after today (before these were refused) is, on the
// intervention's page, the ledger and the funds-withheld page alike, not paid yet.
func TestPlansReleaseDatesSaid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		app := pfServer(t, db)
		n := fxNetwork(t, db)
		fxUser(t, db, "pf_national", access.NationalOfficer, n.National.ID)
		nat := app.fxLogin(t, "pf_national", fxPassword)
		if _, err := results.New(db).CreateFramework(ctx, access.System, results.FrameworkInput{Code: "PFLF", UnitID: n.National.ID, NameZH: "框架", NameEN: "Logframe"}); err != nil {
			t.Fatal(err)
		}
		svc := plans.New(db)
		at := func(day string) { svc.SetToday(func() string { return day }) }
		natA := access.Actor{PublicID: "pf_nat", Role: access.NationalOfficer, UnitID: n.National.ID, UnitPath: n.National.Path}
		jsA := access.Actor{PublicID: "pf_js", Role: access.ProvincialOfficer, UnitID: n.Jiangsu.ID, UnitPath: n.Jiangsu.Path}
		agA := access.Actor{PublicID: "pf_ag", Role: access.AgencyReporter, UnitID: n.JiangsuCity.ID, UnitPath: n.JiangsuCity.Path, PartnerID: n.Partner.ID}
		at("2011-07-01")
		plan, err := svc.CreateWorkPlan(ctx, jsA, plans.WorkPlanInput{UnitID: n.Jiangsu.ID, Year: 2011, TitleZH: "江苏计划", TitleEN: "Jiangsu plan"})
		if err != nil {
			t.Fatal(err)
		}
		iv, err := svc.CreateIntervention(ctx, jsA, plans.InterventionPlan{WorkPlanID: plan.ID, Code: "AP-PF-01", TitleZH: "测试项目", TitleEN: "Fixture programme",
			AgencyID: n.Partner.ID, Locations: []int64{n.JiangsuCity.ID},
			Rules: plans.InterventionInput{Format: plans.ActionProgramme, StartOn: "2011-07-01", EndOn: "2012-06-30", AdvanceShare: 3000,
				Budget: []plans.BudgetLine{{Item: "Training", Currency: "CNY", Amount: 12_000_000}}}})
		if err != nil {
			t.Fatal(err)
		}
		reps, err := svc.Reports(ctx, agA, iv.ID)
		if err != nil {
			t.Fatal(err)
		}
		at("2011-12-01")
		for _, step := range []func() (plans.Report, error){
			func() (plans.Report, error) {
				return svc.SaveDraft(ctx, agA, reps[0].ID, plans.ReportDraft{Progress: "Held sessions."})
			},
			func() (plans.Report, error) { return svc.Submit(ctx, agA, reps[0].ID, "pf-1") },
			func() (plans.Report, error) { return svc.Review(ctx, jsA, reps[0].ID, "") },
			func() (plans.Report, error) { return svc.Approve(ctx, natA, reps[0].ID, "") },
		} {
			if _, err := step(); err != nil {
				t.Fatal(err)
			}
		}
		ts, err := svc.Tranches(ctx, natA, iv.ID)
		if err != nil || ts[1].ReportSeq != 1 {
			t.Fatalf("tranches %+v %v", ts, err)
		}
		page := fmt.Sprintf("/plans/interventions/%d", iv.ID)
		pwWant(t, "the release form", nat.get(t, page+"?lang=en"), http.StatusOK,
			`id="release-window-2">The release may be dated from 2011-12-01, when its condition was met, to today (2012-06-30).`,
			`name="released_on" id="in-released_on-`+itoa(ts[1].ID)+`" value="2012-06-30" min="2011-12-01" max="2012-06-30"`)
		release := func(lang, on string) fxResp {
			return nat.postForm(t, fmt.Sprintf("/plans/tranches/%d/release?lang=%s", ts[1].ID, lang),
				url.Values{"intervention_id": {itoa(iv.ID)}, "released_on": {on}, "reference": {"PF-" + on}})
		}
		for lang, msgs := range map[string][2]string{
			"en": {"Released on cannot be before 2011-12-01, the day the report this tranche waits on was approved", "Released on cannot be later than today (2012-06-30)."},
			"zh": {"拨付日期不能早于 2011-12-01（该期拨款所凭报告的批准日期）", "拨付日期不能晚于今天（2012-06-30）。"},
		} {
			pwWant(t, lang+": released before the approval", release(lang, "2011-11-30"), http.StatusUnprocessableEntity, `id="err-release-2">`+msgs[0])
			pwWant(t, lang+": released after today", release(lang, "2013-01-01"), http.StatusUnprocessableEntity, `id="err-release-2">`+msgs[1])
		}

		// A release stored for 1 January 2013: not paid on 30 June 2012 on any page.
		if _, err := db.W.ExecContext(ctx, `INSERT INTO disbursements (tranche_id, amount, released_on, reference, released_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			ts[1].ID, ts[1].Amount, "2013-01-01", "PF-LATER", "pf_nat", store.Now()); err != nil {
			t.Fatal(err)
		}
		r := nat.get(t, page+"?lang=en")
		pwWant(t, "the intervention", r, http.StatusOK, "A release is recorded for 2013-01-01, after today", `id="spending-released">0.00 CNY`)
		if row := regexp.MustCompile(`(?s)<tr id="tranche-2">.*?</tr>`).FindString(r.Body); !strings.Contains(row, `<td class="released"></td>`) ||
			strings.Contains(r.Body, `id="release-2"`) {
			t.Errorf("tranche 2 shown released, or offered for release again:\n%s", row)
		}
		for _, q := range []string{"", "?to=2099-12-31"} {
			if r := nat.get(t, "/plans/ledger"+q); r.Status != http.StatusOK || strings.Contains(r.Body, `id="ledger-`+itoa(ts[1].ID)+`"`) {
				t.Errorf("the ledger%s lists the release of 2013: %d", q, r.Status)
			}
		}
		pwWant(t, "funds withheld", nat.get(t, "/plans/withheld?lang=en"), http.StatusOK, `id="held-AP-PF-01-2"`)
		pwWant(t, "released again", release("en", "2012-06-30"), http.StatusUnprocessableEntity, "Tranche was already released on 2013-01-01.")
	})
}

// TestBiannualTrancheReportAndHalf: the biannual report's disbursements name the report each
// tranche was paid on, with its period, in both languages (not "report 0"); and the half-years
// offered run to the one containing today (2012 S1 on 30 June 2012), not only those ended.
func TestBiannualTrancheReportAndHalf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := biSetup(t, db)
		svc := plans.New(db)
		svc.SetToday(func() string { return "2011-06-20" })
		natA := access.Actor{PublicID: "fxbi_nat", Role: access.NationalOfficer, UnitID: x.net.National.ID, UnitPath: x.net.National.Path}
		if _, err := svc.Release(ctx, natA, x.first.ID, "2011-06-20", "FXBI-PAY-R1"); err != nil {
			t.Fatal(err)
		}
		for lang, want := range map[string]string{"en": "<td>2: on report 1 (2011-01-01 to 2011-04-30)</td>", "zh": "<td>2：凭第 1 份报告（2011-01-01 至 2011-04-30）</td>"} {
			r := x.ah.get(t, "/plans/biannual?lang="+lang+"&"+x.query)
			pwWant(t, lang+": disbursements", r, http.StatusOK, want)
			if strings.Contains(r.Body, "report 0") || strings.Contains(r.Body, "第 0 份") {
				t.Errorf("%s: a tranche paid on report 0", lang)
			}
		}

		app := pfServer(t, db)
		nat := app.fxLogin(t, "fxbi_national", fxPassword)
		r := nat.get(t, "/plans/biannual?lang=en")
		pwWant(t, "halves offered on 30 June 2012", r, http.StatusOK, `<option value="2012S1">`, `<option value="2011S2" selected>`)
		if strings.Contains(r.Body, `value="2012S2"`) {
			t.Error("a half-year not begun is offered")
		}
	})
}

// TestBiannualAgencyTold: an agency's reporter, bound below the provinces, is told in words why
// no progress report is theirs to open — with 200, not a bare 422 and an empty unit list — on
// the page and its exports.
func TestBiannualAgencyTold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := biSetup(t, db)
		fxUser(t, db, "pf_agency", access.AgencyReporter, x.net.AnhuiCity.ID)
		agency := x.app.fxLogin(t, "pf_agency", fxPassword)
		for _, c := range []struct{ path, want string }{
			{"/plans/biannual?lang=en", "Your account is bound to Hefei Fixture City (Municipal), whose area holds neither"},
			{"/plans/biannual?lang=zh", "您的账户属于合肥测试市（市级）"},
			{"/plans/biannual.xlsx?lang=en", "there is no report you may open here"},
			{"/plans/biannual?lang=en&unit=" + itoa(x.net.AnhuiCity.ID), `href="/plans" id="biannual-to-plans"`},
		} {
			r := agency.get(t, c.path)
			pwWant(t, c.path, r, http.StatusOK, `id="biannual-no-units"`, c.want)
			if strings.Contains(r.Body, `id="pick-unit"`) {
				t.Errorf("%s: an empty unit picker", c.path)
			}
		}
	})
}

// TestPlansReportOverlapSaid: a returned report's figure that would count again people the
// provincial office recorded for January-April is refused beside the figure with that period
// named in the reader's language (not its code) and who entered it; left blank, the report is
// sent in.
func TestPlansReportOverlapSaid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := pwSetup(t, db)
		n := x.net
		login := func(name string) access.Actor {
			t.Helper()
			u, err := auth.New(db).Login(ctx, name, fxPassword)
			if err != nil {
				t.Fatal(err)
			}
			return u.Actor()
		}
		js, ag := login("pw_jiangsu"), login("pw_agency")
		svc := plans.New(db)
		svc.SetToday(func() string { return "2011-05-05" })
		plan, err := svc.CreateWorkPlan(ctx, js, plans.WorkPlanInput{UnitID: n.Jiangsu.ID, Year: 2011, TitleZH: "江苏计划", TitleEN: "Jiangsu plan"})
		if err != nil {
			t.Fatal(err)
		}
		iv, err := svc.CreateIntervention(ctx, js, plans.InterventionPlan{WorkPlanID: plan.ID, Code: "MP-PF-01", TitleZH: "志愿者培训", TitleEN: "Volunteer training",
			AgencyID: n.Partner.ID, Locations: []int64{n.JiangsuCity.ID}, Indicators: []plans.TargetInput{{Code: "PW-TCH"}},
			Rules: plans.InterventionInput{Format: plans.MiniProgramme, StartOn: "2011-01-01", EndOn: "2011-04-30", AdvanceShare: 3000,
				Budget: []plans.BudgetLine{{Item: "Training", Currency: "CNY", Amount: 1_000_000}}}})
		if err != nil {
			t.Fatal(err)
		}
		v := 28.0
		if _, err := results.New(db).SaveValues(ctx, js, []results.ValueInput{{Indicator: "PW-TCH", UnitID: n.JiangsuCity.ID, Period: "2011T1", Value: &v,
			Source: "entry", SourceRef: "provincial monitoring records"}}); err != nil {
			t.Fatal(err)
		}
		reps, err := svc.Reports(ctx, ag, iv.ID)
		if err != nil {
			t.Fatal(err)
		}
		repPath := fmt.Sprintf("/plans/reports/%d", reps[0].ID)
		input := ivValueInput(iv.Indicators[0].IndicatorID, n.JiangsuCity.ID)
		p, err := results.ParsePeriod("2011T1")
		if err != nil {
			t.Fatal(err)
		}
		for lang, who := range map[string]string{"en": "entered by FX pw_jiangsu of " + fxJSEN + "; source: “provincial monitoring records”",
			"zh": "由" + fxJSZH + "的FX pw_jiangsu录入；来源：“provincial monitoring records”"} {
			page := x.ag.get(t, repPath)
			form := url.Values{"progress": {"Trained 25 volunteers."}, input: {"25"}, "key": {pwKey(t, page.Body)}}
			r := x.ag.postForm(t, repPath+"/submit?lang="+lang, form)
			pwWant(t, lang+": the figure over the office's", r, http.StatusUnprocessableEntity, `id="err-`+input+`"`, resPeriodLabel(NewTr(lang), p), who)
			if strings.Contains(r.Body, "2011T1") {
				t.Errorf("%s: the period is shown as its code", lang)
			}
		}
		page := x.ag.get(t, repPath)
		form := url.Values{"progress": {"Trained 25 volunteers (the province counted them for January-April)."}, input: {""}, "key": {pwKey(t, page.Body)}}
		if r := x.ag.postForm(t, repPath+"/submit", form); r.Status != http.StatusSeeOther {
			t.Fatalf("submitted without the figure: %d\n%s", r.Status, fxSnippet(r.Body))
		}
	})
}
