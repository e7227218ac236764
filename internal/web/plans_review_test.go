package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// TestPlansMoneyParams: the amounts the plans domain gives failures as parameters are said as
// the pages write money (thousands separators; decimals kept when given, a cap in whole units
// kept whole), wherever a failure is said; a not_above naming the other field, and a failure
// with no amount, are said as they were.
func TestPlansMoneyParams(t *testing.T) {
	en := NewTr("en")
	for _, c := range []struct {
		e    valid.FieldError
		want string
	}{
		{valid.FieldError{Row: 2, Field: "amount", Rule: "over_budget_line", Param: "18000.00"}, "18,000.00"},
		{valid.FieldError{Row: 1, Field: "amount", Rule: "not_above", Param: "1000000000000"}, "1,000,000,000,000"},
		{valid.FieldError{Field: "budget", Rule: "not_above", Param: "1000000000000"}, "1,000,000,000,000"},
		{valid.FieldError{Row: 9, Field: "amount", Rule: "inkind_total_twice", Param: "-1234567.50"}, "-1,234,567.50"},
		{valid.FieldError{Field: "numerator", Rule: "not_above", Param: "denominator"}, en.T("field.denominator")},
	} {
		if got := en.fieldErrorParam(c.e); got != c.want {
			t.Errorf("%s %s: param said %q, want %q", c.e.Field, c.e.Rule, got, c.want)
		}
	}
	over := valid.FieldError{Row: 2, Field: "amount", Rule: "over_budget_line", Param: "18000.00"}
	for lang, msg := range map[string]string{
		"en": "Row 2: Amount: with the earlier reports this exceeds the budget line; 18,000.00 remains.",
		"zh": "第 2 行：金额：加上此前各期报告已超出该预算项；尚余 18,000.00。",
	} {
		if s := NewTr(lang).FieldError(over); s != msg {
			t.Errorf("%s: %q, want %q", lang, s, msg)
		}
	}
}

// TestPlansPagesSayMoneyAndDemoActors: on the pages an over-spent budget line says what remains
// and an intervention's line over the cap says the cap as money ("18,000.00", not "18000.00");
// a report moved on by the demo's pseudo-accounts names, in its history, the partner and the
// offices they stand for in the reader's language instead of "demo:agency:…".
func TestPlansPagesSayMoneyAndDemoActors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		app := pfServer(t, db)
		n := fxNetwork(t, db)
		fxUser(t, db, "pr_national", access.NationalOfficer, n.National.ID)
		fxUser(t, db, "pr_jiangsu", access.ProvincialOfficer, n.Jiangsu.ID)
		nat, js := app.fxLogin(t, "pr_national", fxPassword), app.fxLogin(t, "pr_jiangsu", fxPassword)
		fxUser(t, db, "pr_admin", access.NationalAdmin, n.National.ID)
		admin := app.fxLogin(t, "pr_admin", fxPassword)
		if _, err := auth.New(db).CreateUser(ctx, access.System, auth.UserInput{Username: "pr_agency", DisplayName: "PR agency reporter", Password: fxPassword,
			Role: access.AgencyReporter, UnitID: n.JiangsuCity.ID, PartnerID: n.Partner.ID}); err != nil {
			t.Fatal(err)
		}
		ag := app.fxLogin(t, "pr_agency", fxPassword)
		if _, err := results.New(db).CreateFramework(ctx, access.System, results.FrameworkInput{Code: "PRLF", UnitID: n.National.ID, NameZH: "框架", NameEN: "Logframe"}); err != nil {
			t.Fatal(err)
		}
		svc := plans.New(db)
		at := func(day string) { svc.SetToday(func() string { return day }) }
		// The demo's pseudo-accounts, as its cast makes them when it has no login for a role.
		agA := access.Actor{PublicID: "demo:agency:" + fxJSPartnerCode, Username: "demo:agency:" + fxJSPartnerCode, Role: access.AgencyReporter,
			UnitID: n.JiangsuCity.ID, UnitPath: n.JiangsuCity.Path, PartnerID: n.Partner.ID}
		jsA := access.Actor{PublicID: "demo:office:" + fxJSCode, Username: "demo:office:" + fxJSCode, Role: access.ProvincialOfficer,
			UnitID: n.Jiangsu.ID, UnitPath: n.Jiangsu.Path}
		natA := access.Actor{PublicID: "demo:national-office", Username: "demo:national-office", Role: access.NationalOfficer,
			UnitID: n.National.ID, UnitPath: n.National.Path}
		at("2011-07-01")
		plan, err := svc.CreateWorkPlan(ctx, jsA, plans.WorkPlanInput{UnitID: n.Jiangsu.ID, Year: 2011, TitleZH: "江苏计划", TitleEN: "Jiangsu plan"})
		if err != nil {
			t.Fatal(err)
		}

		// A budget line over the cap, typed on the plan's page: the cap said as money.
		form := url.Values{"code": {"AP-PR-02"}, "title_zh": {"测试"}, "title_en": {"Capped"}, "format": {plans.ActionProgramme},
			"agency_id": {itoa(n.Partner.ID)}, "start_on": {"2011-07-01"}, "end_on": {"2012-06-30"}, "advance_share": {"30"}, "grace_days": {"10"},
			"locations": {itoa(n.JiangsuCity.ID)}, "budget_item_1": {"Training"}, "amount_1": {"2,000,000,000,000"}, "currency_1": {"CNY"}}
		for lang, msg := range map[string]string{"en": "Row 1: Amount cannot be larger than 1,000,000,000,000.", "zh": "第 1 行：金额不能大于1,000,000,000,000。"} {
			r := js.postForm(t, fmt.Sprintf("/plans/%d/interventions?lang=%s", plan.ID, lang), form)
			pwWant(t, lang+": a line over the cap", r, http.StatusUnprocessableEntity, msg, `id="err-amount_1"`)
			if strings.Contains(r.Body, "1000000000000") {
				t.Errorf("%s: the cap is shown unformatted", lang)
			}
		}

		iv, err := svc.CreateIntervention(ctx, jsA, plans.InterventionPlan{WorkPlanID: plan.ID, Code: "AP-PR-01", TitleZH: "测试项目", TitleEN: "Fixture programme",
			AgencyID: n.Partner.ID, Locations: []int64{n.JiangsuCity.ID},
			Rules: plans.InterventionInput{Format: plans.ActionProgramme, StartOn: "2011-07-01", EndOn: "2012-06-30", AdvanceShare: 3000,
				Budget: []plans.BudgetLine{{Item: "Training", Currency: "CNY", Amount: 1_800_000}, {Item: "Materials", Currency: "CNY", Amount: 600_000}}}})
		if err != nil {
			t.Fatal(err)
		}
		reps, err := svc.Reports(ctx, agA, iv.ID)
		if err != nil {
			t.Fatal(err)
		}
		repPath := "/plans/reports/" + strconv.FormatInt(reps[0].ID, 10)

		// The agency spends a cent more than the training line: what remains is said as money.
		draft := url.Values{"progress": {"Held sessions."}, ivExpenseInput(iv.LineIDs[0]): {"18,000.01"}}
		for lang, msg := range map[string]string{"en": "Row 1: Amount: with the earlier reports this exceeds the budget line; 18,000.00 remains.",
			"zh": "第 1 行：金额：加上此前各期报告已超出该预算项；尚余 18,000.00。"} {
			r := ag.postForm(t, repPath+"/draft?lang="+lang, draft)
			pwWant(t, lang+": overspent line", r, http.StatusUnprocessableEntity, msg)
			if strings.Contains(r.Body, "18000.00") {
				t.Errorf("%s: the remainder is shown unformatted", lang)
			}
		}

		// The demo's accounts move the report on; its history names who they stand for.
		at("2011-12-01")
		for _, step := range []func() (plans.Report, error){
			func() (plans.Report, error) {
				return svc.SaveDraft(ctx, agA, reps[0].ID, plans.ReportDraft{Progress: "Held sessions."})
			},
			func() (plans.Report, error) { return svc.Submit(ctx, agA, reps[0].ID, "pr-1") },
			func() (plans.Report, error) { return svc.Review(ctx, jsA, reps[0].ID, "") },
			func() (plans.Report, error) { return svc.Approve(ctx, natA, reps[0].ID, "") },
		} {
			if _, err := step(); err != nil {
				t.Fatal(err)
			}
		}
		for lang, names := range map[string][]string{
			"en": {fxJSPartnerEN + " (demo)", fxJSEN + " (demo)", "National Fixture (demo)"},
			"zh": {fxJSPartnerZH + "（演示）", fxJSZH + "（演示）", "全国测试（演示）"},
		} {
			for _, c := range []*fxClient{nat, js} {
				r := c.get(t, repPath+"?lang="+lang)
				pwWant(t, lang+": the report's history", r, http.StatusOK, names...)
				if strings.Contains(r.Body, "demo:") {
					t.Errorf("%s: the history shows a pseudo-account's id", lang)
				}
			}
			// The audit log names them the same way.
			r := admin.get(t, "/admin/audit?limit=200&lang="+lang)
			pwWant(t, lang+": the audit log", r, http.StatusOK, names...)
			if strings.Contains(r.Body, ">demo:") {
				t.Errorf("%s: the audit log shows a pseudo-account's id", lang)
			}
		}
	})
}
