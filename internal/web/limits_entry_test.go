package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/plans"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// limFortyNines is the count a reviewer typed into every form that takes a figure.
var limFortyNines = strings.Repeat("9", 40)

// limNextMonth is the key of the month after the clock's.
func limNextMonth() string {
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
}

func limTargets(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM targets").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLimitEntry: each limit of the data-entry form is said beside its input (or above the
// form, for what concerns the whole form) in both languages, and nothing is written.
func TestLimitEntry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := resSetup(t, db)
		dm := itoa(x.dm.ID)
		total, female, male, comment := "v"+dm, "v"+dm+".sex:female", "v"+dm+".sex:male", "c"+dm
		base, post, beside := limEntryForm(t, x)

		// Forty nines in a count.
		huge := base()
		huge.Set(total, limFortyNines)
		for lang, msg := range map[string]string{
			"en": "Value cannot be larger than 1,000,000,000,000; a figure that size is taken for a typing slip.",
			"zh": "数值不能大于 1,000,000,000,000；这么大的数字视为输入错误。",
		} {
			r := post(lang, huge)
			beside(lang, total, msg, r)
			if !strings.Contains(r.Body, `value="`+limFortyNines+`"`) {
				t.Errorf("%s: the typed figure is not kept", lang)
			}
		}

		// A comment and a source reference past their lengths.
		long := base()
		long.Set(total, "30")
		long.Set(comment, strings.Repeat("注", 2001))
		long.Set("source_ref", strings.Repeat("r", 501))
		for lang, msgs := range map[string][2]string{
			"en": {"Comment may be at most 2000 characters long.", "Source reference may be at most 500 characters long."},
			"zh": {"意见最多 2000 个字符。", "来源编号最多 500 个字符。"},
		} {
			r := post(lang, long)
			beside(lang, comment, msgs[0], r)
			if !strings.Contains(r.Body, msgs[1]) {
				t.Errorf("%s: no %q\n%s", lang, msgs[1], fxSnippet(r.Body))
			}
		}

		// A month that has not begun.
		next := limNextMonth()
		future := base()
		future.Set("period", next)
		future.Set(total, "5")
		for lang, msg := range map[string]string{
			"en": "Period: the period has not started yet (it begins on " + next + "-01); values are recorded once their period is under way.",
			"zh": "期间：该期间尚未开始（" + next + "-01 开始），期间开始后才能录入数值。",
		} {
			if r := post(lang, future); !strings.Contains(r.Body, msg) {
				t.Errorf("%s: no %q\n%s", lang, msg, fxSnippet(r.Body))
			}
		}
		if n := resCount(t, db); n != 0 {
			t.Fatalf("refused forms wrote %d values", n)
		}

		// Within the limits the same form saves.
		ok := base()
		ok.Set(total, "30")
		ok.Set(female, "18")
		ok.Set(male, "12")
		ok.Set(comment, strings.Repeat("注", 2000))
		if r := x.nat.postForm(t, "/results/entry", ok); r.Status != http.StatusSeeOther {
			t.Fatalf("entry within the limits: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		if n := resCount(t, db); n != 3 {
			t.Fatalf("saved %d values, want 3", n)
		}
	})
}

// limEntryForm returns the entry form's fields for the fixture's city in March 2011, a poster
// expecting a refusal, and a check that a message stands beside an input.
func limEntryForm(t *testing.T, x resFixture) (base func() url.Values, post func(lang string, form url.Values) fxResp, beside func(lang, input, msg string, r fxResp)) {
	base = func() url.Values {
		return url.Values{"framework": {"FXLF"}, "unit_id": {itoa(x.net.AnhuiCity.ID)}, "period": {"2011-03"}, "source": {"entry"}}
	}
	post = func(lang string, form url.Values) fxResp {
		t.Helper()
		r := x.nat.postForm(t, "/results/entry?lang="+lang, form)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422\n%s", lang, r.Status, fxSnippet(r.Body))
		}
		return r
	}
	beside = func(lang, input, msg string, r fxResp) {
		t.Helper()
		id := `id="err-in-` + strings.NewReplacer(".", "-", ":", "-").Replace(input) + `">`
		if !strings.Contains(r.Body, id+msg+"<") {
			t.Errorf("%s: no %q beside %s\n%s", lang, msg, input, fxSnippet(r.Body))
		}
	}
	return base, post, beside
}

// TestLimitEntryOneRound: a grid with one box that is not a number and another that is
// negative reports both in one answer, each beside its input and named above the form.
func TestLimitEntryOneRound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := resSetup(t, db)
		dm := itoa(x.dm.ID)
		total, female, male := "v"+dm, "v"+dm+".sex:female", "v"+dm+".sex:male"
		base, post, beside := limEntryForm(t, x)
		grid := base()
		grid.Set(total, "30")
		grid.Set(female, "abc")
		grid.Set(male, "-1")
		for lang, want := range map[string][4]string{
			"en": {"Value must be a number.", "Value cannot be negative.", "Decision makers reached · Sex: female: ", "Decision makers reached · Sex: male: "},
			"zh": {"数值须为数字。", "数值不能为负数。", "决策者 · 性别: 女：", "决策者 · 性别: 男："},
		} {
			r := post(lang, grid)
			beside(lang, female, want[0], r)
			beside(lang, male, want[1], r)
			// The list above the form names the cell of each, and the rule.
			for _, line := range []string{want[2] + want[0], want[3] + want[1]} {
				if !strings.Contains(r.Body, "<li>"+line+"</li>") {
					t.Errorf("%s: the problems above the form lack %q\n%s", lang, line, fxSnippet(r.Body))
				}
			}
		}
		if n := resCount(t, db); n != 0 {
			t.Fatalf("a refused grid wrote %d values", n)
		}
	})
}

// TestLimitTargetPage refuses a target of forty nines on the indicator's page, in both
// languages, beside the target's value.
func TestLimitTargetPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := resSetup(t, db)
		before := limTargets(t, db)
		path := "/results/indicators/" + itoa(x.dm.ID) + "/targets?lang="
		for lang, msg := range map[string]string{
			"en": "Value cannot be larger than 1,000,000,000,000; a figure that size is taken for a typing slip.",
			"zh": "数值不能大于 1,000,000,000,000；这么大的数字视为输入错误。",
		} {
			r := x.nat.postForm(t, path+lang, url.Values{"unit_id": {itoa(x.net.Anhui.ID)}, "period": {"LOP"}, "value": {limFortyNines}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="err-target-value"`) || !strings.Contains(r.Body, msg) {
				t.Errorf("%s: target of forty nines: status %d\n%s", lang, r.Status, fxSnippet(r.Body))
			}
		}
		// Through the API as well.
		r := x.natAPI.sendJSON(t, http.MethodPut, "/api/v1/indicators/"+itoa(x.dm.ID)+"/targets", map[string]any{"unit_id": x.net.Jiangsu.ID, "period": "LOP", "value": 1e40},
			"Accept-Language", "en")
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "at_most") {
			t.Errorf("API target of 1e40: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		if n := limTargets(t, db); n != before {
			t.Fatalf("refused targets changed the count from %d to %d", before, n)
		}
		// A target for a year still to come is set ahead, as targets are.
		year := limNextMonth()[:4]
		if r := x.nat.postForm(t, path+"en", url.Values{"unit_id": {itoa(x.net.Anhui.ID)}, "period": {year}, "value": {"40"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("target for %s: status %d\n%s", year, r.Status, fxSnippet(r.Body))
		}
	})
}

// TestLimitReportValues refuses a report's value of forty nines on the report's page, in both
// languages, beside its input; the stored draft keeps nothing of it.
func TestLimitReportValues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := pwSetup(t, db)
		u, err := auth.New(db).Login(ctx, "pw_jiangsu", fxPassword)
		if err != nil {
			t.Fatal(err)
		}
		js := u.Actor()
		svc := plans.New(db)
		svc.SetToday(func() string { return "2011-05-05" })
		plan, err := svc.CreateWorkPlan(ctx, js, plans.WorkPlanInput{UnitID: x.net.Jiangsu.ID, Year: 2011, TitleZH: "江苏2011年工作计划", TitleEN: "Jiangsu work plan 2011"})
		if err != nil {
			t.Fatal(err)
		}
		iv, err := svc.CreateIntervention(ctx, js, plans.InterventionPlan{WorkPlanID: plan.ID, Code: "AP-JS-LIM", TitleZH: "生活技能教育", TitleEN: "Life skills education",
			AgencyID: x.net.Partner.ID, GraceDays: 10, Locations: []int64{x.net.JiangsuCity.ID}, Indicators: []plans.TargetInput{{Code: "PW-TCH"}},
			Rules: plans.InterventionInput{Format: plans.ActionProgramme, StartOn: "2011-01-01", EndOn: "2011-12-31", AdvanceShare: 3000,
				Budget: []plans.BudgetLine{{Item: "Training", Currency: "CNY", Amount: 9_000_000}}}})
		if err != nil {
			t.Fatal(err)
		}
		reps, err := svc.Reports(ctx, access.System, iv.ID)
		if err != nil || len(reps) == 0 {
			t.Fatalf("reports %v %v", reps, err)
		}
		repPath := fmt.Sprintf("/plans/reports/%d", reps[0].ID)
		val := ivValueInput(iv.Indicators[0].IndicatorID, x.net.JiangsuCity.ID)
		for _, c := range []struct{ value, en, zh string }{
			{limFortyNines, "Value cannot be larger than 1,000,000,000,000; a figure that size is taken for a typing slip.", "数值不能大于 1,000,000,000,000；这么大的数字视为输入错误。"},
			{"12.5", "Value counts people or things and must be a whole number.", "数值为计数，须为整数。"},
		} {
			for lang, msg := range map[string]string{"en": c.en, "zh": c.zh} {
				r := x.ag.postForm(t, repPath+"/draft?lang="+lang, url.Values{"progress": {"Trained teachers."}, val: {c.value}})
				pwWant(t, lang+": report value "+c.value, r, http.StatusUnprocessableEntity, msg, `id="err-`+val+`"`, `value="`+c.value+`"`)
			}
		}
		var full plans.Report
		x.agAPI.get(t, "/api/v1/reports/"+itoa(reps[0].ID)).json(t, &full)
		if len(full.Values) != 0 || full.Progress != "" {
			t.Fatalf("a refused draft was stored: %+v", full)
		}
		// The API says the same by row.
		r := x.agAPI.sendJSON(t, http.MethodPut, fmt.Sprintf("/api/v1/reports/%d/draft", reps[0].ID),
			plans.ReportDraft{Progress: "x", Values: []plans.ReportValue{{Indicator: "PW-TCH", UnitID: x.net.JiangsuCity.ID, Value: 1e40}}}, "Accept-Language", "en")
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Row 1: Value cannot be larger than 1,000,000,000,000") {
			t.Fatalf("API draft of 1e40: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		// A sane figure is kept.
		if r := x.ag.postForm(t, repPath+"/draft", url.Values{"progress": {"Trained teachers."}, val: {"40"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("draft of 40: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
	})
}
