package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/results"
	"ting/internal/results/dhis2"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// raFixture is the two-province network with a national officer (browser and token) and an
// Anhui provincial officer, for the results administration pages.
type raFixture struct {
	app    *fxApp
	net    fxNet
	nat    *fxClient
	natAPI *fxClient
	ah     *fxClient
	ahAPI  *fxClient
	svc    *results.Service
}

func raSetup(t *testing.T, db *store.DB) raFixture {
	t.Helper()
	x := raFixture{app: fxServer(t, db), net: fxNetwork(t, db), svc: results.New(db)}
	nat := fxUser(t, db, "fxra_national", access.NationalOfficer, x.net.National.ID)
	ah := fxUser(t, db, "fxra_anhui", access.ProvincialOfficer, x.net.Anhui.ID)
	x.nat, x.natAPI = x.app.fxLogin(t, nat.Username, fxPassword), x.app.fxBearer(t, fxToken(t, db, nat))
	x.ah, x.ahAPI = x.app.fxLogin(t, ah.Username, fxPassword), x.app.fxBearer(t, fxToken(t, db, ah))
	return x
}

// raFramework is a national framework FXQ with one output and the indicator DM disaggregated by
// sex, plus TCH without disaggregation, made by the system actor.
func (x raFixture) raFramework(t *testing.T) (results.Framework, results.Indicator, results.Indicator) {
	t.Helper()
	ctx, a := context.Background(), access.System
	if _, err := x.svc.SaveCategorySet(ctx, a, results.CategorySet{Code: "sex", NameZH: "性别", NameEN: "Sex", Categories: []results.Category{
		{Code: "female", NameZH: "女", NameEN: "female"}, {Code: "male", NameZH: "男", NameEN: "male"}}}); err != nil {
		t.Fatal(err)
	}
	f, err := x.svc.CreateFramework(ctx, a, results.FrameworkInput{Code: "FXQ", UnitID: x.net.National.ID, NameZH: "质量测试框架", NameEN: "Quality fixture framework"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.svc.AddElement(ctx, a, f.ID, results.ElementInput{Kind: "development_objective", Code: "DO", NameZH: "发展目标", NameEN: "Objective"}); err != nil {
		t.Fatal(err)
	}
	dm, err := x.svc.CreateIndicator(ctx, a, results.IndicatorInput{Code: "DM", FrameworkCode: "FXQ", ElementCode: "DO", NameZH: "决策者", NameEN: "Decision makers",
		Type: "count", Aggregation: "sum", CategorySets: []string{"sex"}})
	if err != nil {
		t.Fatal(err)
	}
	tch, err := x.svc.CreateIndicator(ctx, a, results.IndicatorInput{Code: "TCH", FrameworkCode: "FXQ", ElementCode: "DO", NameZH: "教师", NameEN: "Teachers",
		Type: "count", Aggregation: "sum", CategorySets: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	return f, dm, tch
}

func raNum(v float64) *float64 { return &v }

// raSave stores values as the system actor, failing the test on any refusal.
func (x raFixture) raSave(t *testing.T, vs ...results.ValueInput) {
	t.Helper()
	if _, err := x.svc.SaveValues(context.Background(), access.System, vs); err != nil {
		t.Fatalf("save values: %v", err)
	}
}

func raFieldErr(t *testing.T, r fxResp, id, want string) {
	t.Helper()
	if !strings.Contains(r.Body, `id="`+id+`">`+want+`<`) {
		t.Errorf("no %q at %s (status %d)\n%s", want, id, r.Status, fxSnippet(r.Body))
	}
}

func TestResultsAdminFrameworks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := raSetup(t, db)
		r := x.nat.get(t, "/results?lang=en")
		for _, id := range []string{"framework-new-link", "results-quality-link", "results-sets-link"} {
			if !strings.Contains(r.Body, `id="`+id+`"`) {
				t.Errorf("results home has no %s", id)
			}
		}
		r = x.nat.get(t, "/results/frameworks/new?lang=en")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="framework-form"`) || !strings.Contains(r.Body, "Anhui Fixture Province") {
			t.Fatalf("new framework form: status %d\n%s", r.Status, fxSnippet(r.Body))
		}

		// Bad input: the messages name the field, beside it, in the reader's language, and the
		// typed values come back.
		bad := url.Values{"code": {"CP TING"}, "name_zh": {"国家逻辑框架"}, "name_en": {""}, "unit_id": {itoa(x.net.National.ID)}}
		for lang, want := range map[string][2]string{
			"en": {"Code may not contain spaces, commas, semicolons or slashes.", "Name (English) is required."},
			"zh": {"代码不得包含空格、逗号、分号或斜杠。", "英文名称为必填项。"},
		} {
			r = x.nat.postForm(t, "/results/frameworks?lang="+lang, bad)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: bad framework: status %d\n%s", lang, r.Status, fxSnippet(r.Body))
			}
			raFieldErr(t, r, "err-code", want[0])
			raFieldErr(t, r, "err-name_en", want[1])
			if !strings.Contains(r.Body, `value="国家逻辑框架"`) {
				t.Errorf("%s: typed Chinese name lost", lang)
			}
		}
		// Created: draft version 1, at the chosen unit.
		good := url.Values{"code": {"CPTING"}, "name_zh": {"国家逻辑框架"}, "name_en": {"National logframe"}, "unit_id": {itoa(x.net.National.ID)}}
		r = x.nat.postForm(t, "/results/frameworks", good)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/results/frameworks/") {
			t.Fatalf("create framework: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		r = x.nat.get(t, r.location()+"?lang=en")
		if !strings.Contains(r.Body, `id="framework-status">draft<`) || !strings.Contains(r.Body, "National logframe") ||
			!strings.Contains(r.Body, `id="framework-rules-link"`) || !strings.Contains(r.Body, `id="framework-quality-link"`) {
			t.Fatalf("the new framework's page\n%s", fxSnippet(r.Body))
		}
		// The same code again, and a provincial framework naming a national one that does not exist.
		r = x.nat.postForm(t, "/results/frameworks?lang=en", good)
		raFieldErr(t, r, "err-code", "Code “CPTING” is already in use.")
		prov := url.Values{"code": {"CPTING-AH"}, "name_zh": {"安徽逻辑框架"}, "name_en": {"Anhui logframe"}, "unit_id": {itoa(x.net.Anhui.ID)}, "parent_code": {"NOPE"}}
		r = x.nat.postForm(t, "/results/frameworks?lang=en", prov)
		raFieldErr(t, r, "err-parent_code", "Parent code: no such record in your area.")
		// The Anhui officer starts Anhui's own framework under the national one.
		prov.Set("parent_code", "CPTING")
		if r = x.ah.postForm(t, "/results/frameworks", prov); r.Status != http.StatusSeeOther {
			t.Fatalf("provincial framework: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		f, err := x.svc.Current(ctx, access.System, "CPTING-AH")
		if err != nil || f.ParentCode != "CPTING" || f.UnitID != x.net.Anhui.ID || f.Status != results.Draft {
			t.Fatalf("provincial framework as stored: %+v %v", f, err)
		}
		// Not at a Jiangsu unit.
		js := url.Values{"code": {"CPTING-JS"}, "name_zh": {"越界"}, "name_en": {"Cross"}, "unit_id": {itoa(x.net.Jiangsu.ID)}}
		if r = x.ah.postForm(t, "/results/frameworks", js); r.Status != http.StatusNotFound || len(fxLeaks(r.Body, fxJiangsuMarkers)) > 0 {
			t.Errorf("Anhui creating a framework in Jiangsu: status %d", r.Status)
		}

		// The API: created, refused with every broken field named, in the caller's language.
		r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/frameworks", map[string]any{"code": "CPTING-JS", "unit_id": x.net.Jiangsu.ID,
			"parent_code": "CPTING", "name_zh": "江苏逻辑框架", "name_en": "Jiangsu logframe"})
		var got results.Framework
		if r.json(t, &got); r.Status != http.StatusCreated || got.Code != "CPTING-JS" || got.Version != 1 || got.Status != "draft" || got.ParentCode != "CPTING" {
			t.Fatalf("API create: status %d %s", r.Status, r.Body)
		}
		for lang, want := range map[string]string{"en": "Name (Chinese) is required.", "zh": "中文名称为必填项。"} {
			r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/frameworks?lang="+lang, map[string]any{"code": "CPTING", "unit_id": x.net.National.ID, "name_en": "x"})
			var e apiErrorBody
			if r.json(t, &e); r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: API bad framework: status %d %s", lang, r.Status, r.Body)
			}
			fields := map[string]string{}
			for _, fe := range e.Errors {
				fields[fe.Field] = fe.Message
			}
			if fields["name_zh"] != want {
				t.Errorf("%s: API errors %+v, want name_zh %q", lang, e.Errors, want)
			}
		}
		r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/frameworks", map[string]any{"code": "CPTING", "unit_id": x.net.National.ID, "name_zh": "重复", "name_en": "Again"})
		var e apiErrorBody
		if r.json(t, &e); r.Status != http.StatusUnprocessableEntity || e.Errors[0].Field != "code" || e.Errors[0].Rule != "unique" {
			t.Errorf("API duplicate code: status %d %s", r.Status, r.Body)
		}
		r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/frameworks", map[string]any{"code": "X", "unit_id": x.net.National.ID, "name_zh": "x", "name_en": "x", "owner": 1})
		if r.json(t, &e); r.Status != http.StatusUnprocessableEntity || e.Errors[0].Field != "owner" || e.Errors[0].Rule != "unknown_field" {
			t.Errorf("API unknown field: status %d %s", r.Status, r.Body)
		}
		// A role without results.edit is refused.
		ev := fxUser(t, db, "fxra_evaluator", access.Evaluator, x.net.National.ID)
		if r = x.app.fxBearer(t, fxToken(t, db, ev)).sendJSON(t, http.MethodPost, "/api/v1/frameworks", map[string]any{"code": "EV", "unit_id": x.net.National.ID,
			"name_zh": "评估", "name_en": "Evaluator"}); r.Status != http.StatusForbidden {
			t.Errorf("evaluator creating a framework: status %d", r.Status)
		}
	})
}

func TestResultsAdminCategorySets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := raSetup(t, db)
		r := x.nat.get(t, "/results/category-sets?lang=en")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="set-form-new"`) || !strings.Contains(r.Body, `id="no-sets"`) {
			t.Fatalf("category sets page: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		age := url.Values{"form": {"new"}, "code": {"age"}, "name_zh": {"年龄段"}, "name_en": {"Age band"},
			"cat_code": {"12-15", "16-18", "19 24", ""}, "cat_name_zh": {"12-15岁", "16-18岁", "19-24岁", ""}, "cat_name_en": {"12-15", "16-18", "19-24", ""}}
		// A category code with a space is refused beside the categories, in either language, and
		// the typed rows come back.
		for lang, want := range map[string]string{"en": "Categories may not contain spaces, commas, semicolons or slashes.", "zh": "类别不得包含空格、逗号、分号或斜杠。"} {
			r = x.nat.postForm(t, "/results/category-sets?lang="+lang, age)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: bad category: status %d\n%s", lang, r.Status, fxSnippet(r.Body))
			}
			raFieldErr(t, r, "err-new-categories", want)
			if !strings.Contains(r.Body, `value="19 24"`) || !strings.Contains(r.Body, `value="16-18岁"`) {
				t.Errorf("%s: typed categories lost", lang)
			}
		}
		age["cat_code"] = []string{"12-15", "16-18", "19-24", ""}
		age.Set("name_en", "")
		r = x.nat.postForm(t, "/results/category-sets?lang=en", age)
		raFieldErr(t, r, "err-new-name_en", "Name (English) is required.")
		age.Set("name_en", "Age band")
		if r = x.nat.postForm(t, "/results/category-sets", age); r.Status != http.StatusSeeOther || r.location() != "/results/category-sets#set-age" {
			t.Fatalf("create set: status %d %q\n%s", r.Status, r.location(), fxSnippet(r.Body))
		}
		// The new-set form does not rewrite a set that exists.
		r = x.nat.postForm(t, "/results/category-sets?lang=en", age)
		raFieldErr(t, r, "err-new-code", "Code “age” is already in use.")

		// The set's own form: add 25+, retire 19-24, rename; the stored codes are fixed.
		r = x.nat.get(t, "/results/category-sets?lang=en")
		if !strings.Contains(r.Body, `id="set-form-age"`) || !strings.Contains(r.Body, `<span class="code">16-18</span><input type="hidden" name="cat_code" value="16-18">`) {
			t.Fatalf("the age set's form\n%s", r.Body)
		}
		change := url.Values{"form": {"set"}, "code": {"age"}, "name_zh": {"年龄段"}, "name_en": {"Age group"},
			"cat_code": {"12-15", "16-18", "19-24", "25+", ""}, "cat_stored": {"0", "1", "2"}, "cat_retired": {"2"},
			"cat_name_zh": {"12-15岁", "16-18岁", "19-24岁", "25岁以上", ""}, "cat_name_en": {"12-15", "16-18", "19-24", "25 and over", ""}}
		if r = x.nat.postForm(t, "/results/category-sets", change); r.Status != http.StatusSeeOther {
			t.Fatalf("change set: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		set, err := x.svc.CategorySet(ctx, "age")
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, c := range set.Categories {
			codes = append(codes, c.Code+":"+strconv.FormatBool(c.Retired))
		}
		if set.NameEN != "Age group" || strings.Join(codes, " ") != "12-15:false 16-18:false 19-24:true 25+:false" {
			t.Errorf("age set as stored: %s %v", set.NameEN, codes)
		}
		// A code given twice in one form is refused.
		change.Set("cat_retired", "")
		change["cat_code"] = []string{"12-15", "16-18", "19-24", "25+", "25+"}
		change["cat_name_en"] = []string{"12-15", "16-18", "19-24", "25 and over", "again"}
		r = x.nat.postForm(t, "/results/category-sets?lang=en", change)
		raFieldErr(t, r, "err-set-age-categories", "Categories “25&#43;” is already in use.")
		r = x.nat.get(t, "/results/category-sets?lang=zh")
		if !strings.Contains(r.Body, `name="cat_retired" value="2" checked`) || !strings.Contains(r.Body, "年龄段") {
			t.Errorf("retired category not shown as retired\n%s", r.Body)
		}

		// The API lists the sets and creates (201) or changes (200) one; the caller's language
		// names the broken field.
		var sets list[results.CategorySet]
		r = x.natAPI.get(t, "/api/v1/category-sets")
		if r.json(t, &sets); r.Status != http.StatusOK || len(sets.Items) != 1 || len(sets.Items[0].Categories) != 4 {
			t.Fatalf("API sets: status %d %s", r.Status, r.Body)
		}
		sex := map[string]any{"code": "sex", "name_zh": "性别", "name_en": "Sex", "categories": []map[string]any{
			{"code": "female", "name_zh": "女", "name_en": "female"}, {"code": "male", "name_zh": "男", "name_en": "male"}}}
		if r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/category-sets", sex); r.Status != http.StatusCreated {
			t.Fatalf("API create set: status %d %s", r.Status, r.Body)
		}
		sex["categories"] = []map[string]any{{"code": "female", "name_zh": "女", "name_en": "female"}, {"code": "male", "name_zh": "男", "name_en": "male", "retired": true}}
		var saved results.CategorySet
		r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/category-sets", sex)
		if r.json(t, &saved); r.Status != http.StatusOK || !saved.Categories[1].Retired {
			t.Fatalf("API change set: status %d %s", r.Status, r.Body)
		}
		var e apiErrorBody
		r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/category-sets?lang=zh", map[string]any{"code": "eth nic", "name_zh": "民族"})
		if r.json(t, &e); r.Status != http.StatusUnprocessableEntity || len(e.Errors) != 2 || e.Errors[0].Field != "code" || e.Errors[0].Message != "代码不得包含空格、逗号、分号或斜杠。" ||
			e.Errors[1].Field != "name_en" || e.Errors[1].Message != "英文名称为必填项。" {
			t.Errorf("API bad set: status %d %s", r.Status, r.Body)
		}

		// Disaggregations are the whole network's: a province reads them and cannot change them.
		r = x.ah.get(t, "/results/category-sets?lang=en")
		if r.Status != http.StatusOK || regexp.MustCompile(`<form method="post" action="/results/category-sets(\?[^"]*)?"`).MatchString(r.Body) || !strings.Contains(r.Body, `id="sets-read-only"`) ||
			!strings.Contains(r.Body, "Age group") {
			t.Errorf("Anhui on the sets page: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		if r = x.ah.postForm(t, "/results/category-sets", change); r.Status != http.StatusForbidden {
			t.Errorf("Anhui changing a set by page: status %d", r.Status)
		}
		if r = x.ahAPI.sendJSON(t, http.MethodPost, "/api/v1/category-sets", sex); r.Status != http.StatusForbidden {
			t.Errorf("Anhui changing a set by API: status %d", r.Status)
		}
	})
}

func TestResultsAdminRulesAndQuality(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := raSetup(t, db)
		f, dm, _ := x.raFramework(t)
		n := x.net
		// Stored before the rules exist: Anhui's city reports 30 decision makers but 20 women and
		// 15 men; Jiangsu's city 10 in total and 12 women.
		x.raSave(t,
			results.ValueInput{Indicator: "DM", UnitID: n.AnhuiCity.ID, Period: "2011-03", Value: raNum(30)},
			results.ValueInput{Indicator: "DM", UnitID: n.AnhuiCity.ID, Period: "2011-03", Combo: "sex:female", Value: raNum(20)},
			results.ValueInput{Indicator: "DM", UnitID: n.AnhuiCity.ID, Period: "2011-03", Combo: "sex:male", Value: raNum(15)},
			results.ValueInput{Indicator: "DM", UnitID: n.JiangsuCity.ID, Period: "2011-06", Value: raNum(10)},
			results.ValueInput{Indicator: "DM", UnitID: n.JiangsuCity.ID, Period: "2011-06", Combo: "sex:female", Value: raNum(12)},
			results.ValueInput{Indicator: "DM", UnitID: n.AnhuiCity.ID, Period: "2011-04", Value: raNum(8)},
		)
		rulesPath := "/results/frameworks/" + itoa(f.ID) + "/rules"
		r := x.nat.get(t, rulesPath+"?lang=en")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="no-rules"`) || !strings.Contains(r.Body, `id="rule-form"`) {
			t.Fatalf("rules page: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		// A syntax error is refused with its position, said beside the expression and marked in it.
		rule := url.Values{"code": {"SUMSEX"}, "name_zh": {"合计等于分性别之和"}, "name_en": {"Total equals women plus men"},
			"expression": {"#{DM} == (sum(#{DM|sex:*})"}, "severity": {"error"}}
		for lang, want := range map[string]string{"en": "Rule: the bracket opened at character 10 is never closed.", "zh": "规则表达式：第 10 个字符处的括号没有闭合。"} {
			r = x.nat.postForm(t, rulesPath+"?lang="+lang, rule)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: rule with a syntax error: status %d\n%s", lang, r.Status, fxSnippet(r.Body))
			}
			raFieldErr(t, r, "err-expression", want)
			if !strings.Contains(r.Body, `id="expression-mark">#{DM} == <mark>(</mark>sum(#{DM|sex:*})</code>`) {
				t.Errorf("%s: the position is not marked in the expression\n%s", lang, r.Body)
			}
		}
		rule.Set("expression", "#{DM} == sum(#{DM|sex:*}) + #{NOPE}")
		rule.Set("severity", "fatal")
		r = x.nat.postForm(t, rulesPath+"?lang=en", rule)
		raFieldErr(t, r, "err-severity", "Severity must be one of: error, warning.")
		rule.Set("severity", "error")
		r = x.nat.postForm(t, rulesPath+"?lang=en", rule)
		raFieldErr(t, r, "err-expression", "Rule names an unknown indicator: NOPE.")
		rule.Set("expression", "#{DM} == sum(#{DM|sex:*})")
		if r = x.nat.postForm(t, rulesPath, rule); r.Status != http.StatusSeeOther || r.location() != rulesPath+"#rule-SUMSEX" {
			t.Fatalf("save rule: status %d %q\n%s", r.Status, r.location(), fxSnippet(r.Body))
		}
		// The second through the API, as a warning; its syntax error is refused the same way.
		var e apiErrorBody
		r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/frameworks/"+itoa(f.ID)+"/rules?lang=en", map[string]any{"code": "FEM", "name_zh": "女性不超过合计",
			"name_en": "Women at most the total", "expression": "#{DM|sex:female} <= <= #{DM}", "severity": "warning"})
		if r.json(t, &e); r.Status != http.StatusUnprocessableEntity || e.Errors[0].Field != "expression" || e.Errors[0].Rule != "expression_unexpected_token" ||
			e.Errors[0].Message != "Rule: something unexpected at character 21." {
			t.Fatalf("API rule with a syntax error: status %d %s", r.Status, r.Body)
		}
		fem := map[string]any{"code": "FEM", "name_zh": "女性不超过合计", "name_en": "Women at most the total", "expression": "#{DM|sex:female}<=#{DM}", "severity": "warning"}
		var saved results.Rule
		r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/frameworks/"+itoa(f.ID)+"/rules", fem)
		if r.json(t, &saved); r.Status != http.StatusCreated ||
			saved.Expression != "#{DM|sex:female} <= #{DM}" || saved.FrameworkCode != "FXQ" {
			t.Fatalf("API rule: status %d %s", r.Status, r.Body)
		}
		if r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/frameworks/"+itoa(f.ID)+"/rules", fem); r.Status != http.StatusOK {
			t.Errorf("API rule replaced: status %d %s", r.Status, r.Body)
		}
		var rules list[results.Rule]
		r = x.natAPI.get(t, "/api/v1/frameworks/"+itoa(f.ID)+"/rules")
		if r.json(t, &rules); len(rules.Items) != 2 || rules.Items[0].Code != "FEM" {
			t.Fatalf("API rules: %s", r.Body)
		}
		r = x.nat.get(t, rulesPath+"?lang=zh")
		if !strings.Contains(r.Body, `id="rule-SUMSEX"`) || !strings.Contains(r.Body, "#{DM} == sum(#{DM|sex:*})") || !strings.Contains(r.Body, "合计等于分性别之和") ||
			!strings.Contains(r.Body, ">警告<") || !strings.Contains(r.Body, ">错误<") {
			t.Errorf("rules page lists\n%s", r.Body)
		}
		if r = x.nat.get(t, rulesPath+"?lang=en&edit=FEM"); !strings.Contains(r.Body, "Change rule FEM") || !strings.Contains(r.Body, `value="Women at most the total"`) {
			t.Errorf("rule edit form not filled")
		}
		// The Anhui officer reads the national rules and cannot add one.
		if r = x.ah.get(t, rulesPath+"?lang=en"); r.Status != http.StatusOK || strings.Contains(r.Body, `id="rule-form"`) || !strings.Contains(r.Body, `id="rule-FEM"`) {
			t.Errorf("Anhui on the national rules: status %d", r.Status)
		}
		if r = x.ah.postForm(t, rulesPath, rule); r.Status != http.StatusForbidden {
			t.Errorf("Anhui adding a national rule: status %d", r.Status)
		}
		if r = x.ahAPI.sendJSON(t, http.MethodPost, "/api/v1/frameworks/"+itoa(f.ID)+"/rules", fem); r.Status != http.StatusForbidden {
			t.Errorf("Anhui adding a national rule by API: status %d", r.Status)
		}

		// Rule codes are unique across frameworks: Anhui's own framework cannot take (and so
		// move) the national rule's code.
		ahf, err := x.svc.CreateFramework(context.Background(), access.System, results.FrameworkInput{Code: "FXQ-AH", UnitID: n.Anhui.ID, ParentCode: "FXQ",
			NameZH: "安徽框架", NameEN: "Anhui framework"})
		if err != nil {
			t.Fatal(err)
		}
		r = x.ah.postForm(t, "/results/frameworks/"+itoa(ahf.ID)+"/rules?lang=en", rule)
		raFieldErr(t, r, "err-code", "Code “SUMSEX” is already in use.")
		r = x.ahAPI.sendJSON(t, http.MethodPost, "/api/v1/frameworks/"+itoa(ahf.ID)+"/rules", fem)
		if r.json(t, &e); r.Status != http.StatusUnprocessableEntity || e.Errors[0].Field != "code" || e.Errors[0].Rule != "unique" {
			t.Errorf("Anhui reusing a national rule code by API: status %d %s", r.Status, r.Body)
		}
		rule.Set("code", "AH-SUMSEX")
		if r = x.ah.postForm(t, "/results/frameworks/"+itoa(ahf.ID)+"/rules", rule); r.Status != http.StatusSeeOther {
			t.Errorf("Anhui's own rule: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		if r = x.natAPI.get(t, "/api/v1/frameworks/"+itoa(f.ID)+"/rules"); !strings.Contains(r.Body, `"code":"SUMSEX"`) || strings.Contains(r.Body, "AH-SUMSEX") {
			t.Errorf("the national rules changed: %s", r.Body)
		}

		// The quality page: every broken rule, by unit top-down then period, with both sides and
		// a link to the entry form for that unit and period.
		r = x.nat.get(t, "/results/quality?lang=en&"+url.Values{"framework": {"FXQ"}, "unit": {itoa(n.National.ID)}, "period": {"LOP"}}.Encode())
		if r.Status != http.StatusOK {
			t.Fatalf("quality: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		rows := regexp.MustCompile(`id="violation-([^"]+)"`).FindAllStringSubmatch(r.Body, -1)
		var ids []string
		for _, m := range rows {
			ids = append(ids, m[1])
		}
		want := []string{"FXAH34-HF-2011-03-SUMSEX", fxJSCityCode + "-2011-06-FEM", fxJSCityCode + "-2011-06-SUMSEX"}
		if strings.Join(ids, " ") != strings.Join(want, " ") {
			t.Fatalf("violations %v, want %v\n%s", ids, want, r.Body)
		}
		for cls, v := range map[string]string{"left": "30", "right": "35", "op": "=="} {
			if got := resCellText(t, r.Body, "violation-FXAH34-HF-2011-03-SUMSEX", cls); got != v {
				t.Errorf("Anhui's violation %s = %q, want %q", cls, got, v)
			}
		}
		entry := "/results/entry?" + url.Values{"framework": {"FXQ"}, "unit": {itoa(n.AnhuiCity.ID)}, "period": {"2011-03"}}.Encode()
		if !strings.Contains(r.Body, `href="`+strings.ReplaceAll(entry, "&", "&amp;")+`"`) || !strings.Contains(r.Body, "Errors: 2 · warnings: 1") {
			t.Errorf("quality page: no entry link %s or wrong summary\n%s", entry, r.Body)
		}
		if e := x.nat.get(t, entry); e.Status != http.StatusOK || !strings.Contains(e.Body, `name="v`+itoa(dm.ID)+`" value="30"`) {
			t.Errorf("the entry link does not open the values: status %d", e.Status)
		}
		// A period narrows it; the Anhui officer sees only Anhui.
		r = x.nat.get(t, "/results/quality?lang=en&framework=FXQ&period=2011Q1&unit="+itoa(n.National.ID))
		if strings.Count(r.Body, `class="violation`) != 1 || !strings.Contains(r.Body, `id="violation-FXAH34-HF-2011-03-SUMSEX"`) {
			t.Errorf("2011Q1 quality\n%s", r.Body)
		}
		r = x.ah.get(t, "/results/quality?lang=en&framework=FXQ")
		if r.Status != http.StatusOK || strings.Count(r.Body, `class="violation`) != 1 || len(fxLeaks(r.Body, fxJiangsuMarkers)) > 0 {
			t.Errorf("Anhui's quality page: status %d\n%s", r.Status, r.Body)
		}
		if r = x.ah.get(t, "/results/quality?framework=FXQ&unit="+itoa(n.Jiangsu.ID)); r.Status != http.StatusNotFound {
			t.Errorf("Anhui's quality page for Jiangsu: status %d", r.Status)
		}
		// Linked from the progress page.
		if r = x.nat.get(t, "/results/progress?framework=FXQ"); !strings.Contains(r.Body, `id="progress-quality-link"`) {
			t.Error("the progress page does not link to data quality")
		}

		// The API gives the same, with units named.
		var items list[resQualityItem]
		r = x.natAPI.get(t, "/api/v1/quality?framework=FXQ&period=2011&unit="+itoa(n.National.ID))
		if r.json(t, &items); r.Status != http.StatusOK || items.Total != 3 || items.Items[0].UnitCode != "FXAH34-HF" || items.Items[0].Left != 30 ||
			items.Items[0].Right != 35 || items.Items[0].Rule.Code != "SUMSEX" || items.Items[1].Rule.Severity != "warning" || items.Items[1].LeftText != "#{DM|sex:female}" {
			t.Fatalf("API quality: status %d %s", r.Status, r.Body)
		}
		r = x.natAPI.get(t, "/api/v1/quality?period=2011")
		if r.json(t, &e); r.Status != http.StatusUnprocessableEntity || e.Errors[0].Field != "framework" {
			t.Errorf("API quality without a framework: status %d %s", r.Status, r.Body)
		}
		if r = x.ahAPI.get(t, "/api/v1/quality?framework=FXQ&unit="+itoa(n.Jiangsu.ID)); r.Status != http.StatusNotFound {
			t.Errorf("API quality for Jiangsu as Anhui: status %d", r.Status)
		}

		// Once corrected, the error rule is satisfied and the page says so for Anhui.
		x.raSave(t, results.ValueInput{Indicator: "DM", UnitID: n.AnhuiCity.ID, Period: "2011-03", Value: raNum(35)})
		if r = x.ah.get(t, "/results/quality?lang=en&framework=FXQ"); !strings.Contains(r.Body, `id="quality-clean"`) {
			t.Errorf("quality after the correction\n%s", r.Body)
		}
	})
}

// TestResultsADXImport exports a framework's values as ADX and imports the file back: every
// value is counted as updated, changes in the file reach the database, and both identifier
// schemes work.
func TestResultsADXImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := raSetup(t, db)
		_, dm, tch := x.raFramework(t)
		n := x.net
		x.raSave(t,
			results.ValueInput{Indicator: "DM", UnitID: n.AnhuiCity.ID, Period: "2011-03", Value: raNum(30)},
			results.ValueInput{Indicator: "DM", UnitID: n.AnhuiCity.ID, Period: "2011-03", Combo: "sex:female", Value: raNum(18)},
			results.ValueInput{Indicator: "DM", UnitID: n.AnhuiCity.ID, Period: "2011-03", Combo: "sex:male", Value: raNum(12)},
			results.ValueInput{Indicator: "DM", UnitID: n.JiangsuCity.ID, Period: "2011Q2", Value: raNum(40)},
			results.ValueInput{Indicator: "TCH", UnitID: n.Anhui.ID, Period: "2011T2", Value: raNum(7)},
		)
		stored := resCount(t, db)
		value := func(ind int64, unit int64, period, combo string) float64 {
			t.Helper()
			var v float64
			if err := db.R.QueryRowContext(ctx, "SELECT value FROM data_values WHERE indicator_id = $1 AND unit_id = $2 AND period = $3 AND combo = $4",
				ind, unit, period, combo).Scan(&v); err != nil {
				t.Fatalf("value %d %d %s %q: %v", ind, unit, period, combo, err)
			}
			return v
		}
		exportQ := url.Values{"framework": {"FXQ"}, "unit": {itoa(n.National.ID)}, "idScheme": {"code"}, "format": {"adx"}}
		r := x.natAPI.get(t, "/api/v1/dataValueSets?"+exportQ.Encode())
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/adx+xml") {
			t.Fatalf("ADX export: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		doc, err := dhis2.ReadADX(strings.NewReader(r.Body))
		if err != nil {
			t.Fatalf("the export does not read back: %v\n%s", err, r.Body)
		}
		exported := 0
		for _, g := range doc.Groups {
			exported += len(g.DataValues)
			if g.DataSet != "FXQ" {
				t.Errorf("group data set %q", g.DataSet)
			}
		}
		if exported != stored || doc.Exported == "" || strings.HasPrefix(doc.Exported, "1970") {
			t.Fatalf("ADX export holds %d values of %d, exported %q\n%s", exported, stored, doc.Exported, r.Body)
		}
		adx := r.Body

		importSum := func(c *fxClient, query, body, ctype string, wantStatus int) dhis2.ImportSummary {
			t.Helper()
			r := c.do(t, http.MethodPost, "/api/v1/dataValueSets?"+query, []byte(body), ctype)
			var sum dhis2.ImportSummary
			if r.json(t, &sum); r.Status != wantStatus {
				t.Fatalf("import %s: status %d, want %d\n%s", query, r.Status, wantStatus, r.Body)
			}
			return sum
		}
		// The file as exported: everything updated, nothing new, nothing refused.
		sum := importSum(x.natAPI, "idScheme=code", adx, "application/adx+xml", http.StatusOK)
		if sum.Status != dhis2.StatusSuccess || sum.ImportCount != (dhis2.ImportCount{Updated: stored}) {
			t.Fatalf("round trip: %+v", sum)
		}
		if after := resCount(t, db); after != stored {
			t.Errorf("the round trip changed the number of values: %d → %d", stored, after)
		}
		// Edited: the total and the women of Anhui's city change; ?format=adx reads it whatever
		// the Content-Type. A dry run counts and writes nothing.
		edited := strings.Replace(adx, `dataElement="DM" value="30"`, `dataElement="DM" value="33"`, 1)
		edited = strings.Replace(edited, `categoryOptionCombo="sex:female" value="18"`, `categoryOptionCombo="sex:female" value="21"`, 1)
		if edited == adx || strings.Count(edited, `value="33"`) != 1 || strings.Count(edited, `value="21"`) != 1 {
			t.Fatalf("the export does not look as expected\n%s", adx)
		}
		sum = importSum(x.natAPI, "idScheme=code&format=adx&dryRun=true", edited, "application/xml", http.StatusOK)
		if sum.ImportCount.Updated != stored || value(dm.ID, n.AnhuiCity.ID, "2011-03", "") != 30 {
			t.Errorf("dry run: %+v", sum)
		}
		importSum(x.natAPI, "idScheme=code&format=adx", edited, "application/xml", http.StatusOK)
		if v := value(dm.ID, n.AnhuiCity.ID, "2011-03", ""); v != 33 {
			t.Errorf("DM total after the import = %v, want 33", v)
		}
		if v := value(dm.ID, n.AnhuiCity.ID, "2011-03", "sex:female"); v != 21 {
			t.Errorf("DM women after the import = %v, want 21", v)
		}
		if v := value(tch.ID, n.Anhui.ID, "2011T2", ""); v != 7 {
			t.Errorf("the four-month value did not survive the round trip: %v", v)
		}

		// A hand-made document: a new value, a disaggregation spelled out by category set, and a
		// period Ting does not store (weekly), refused by name.
		hand := `<?xml version="1.0" encoding="UTF-8"?>
<adx xmlns="urn:ihe:qrph:adx:2015" exported="2012-07-01T00:00:00Z">
  <group orgUnit="FXAH34-HF" period="2011-05-01/P1M" dataSet="FXQ">
    <dataValue dataElement="DM" value="9"/>
    <dataValue dataElement="DM" sex="male" value="4"/>
  </group>
  <group orgUnit="FXAH34-HF" period="2011-01-03/P7D" dataSet="FXQ">
    <dataValue dataElement="DM" value="1"/>
  </group>
</adx>`
		sum = importSum(x.natAPI, "idScheme=code", hand, "application/adx+xml", http.StatusConflict)
		if sum.Status != dhis2.StatusError || len(sum.Conflicts) != 1 || sum.Conflicts[0].Property != "period" || sum.Conflicts[0].Indexes[0] != 2 ||
			resCount(t, db) != stored {
			t.Fatalf("all-or-nothing ADX import with a weekly period: %+v", sum)
		}
		sum = importSum(x.natAPI, "idScheme=code&atomicMode=NONE", hand, "application/adx+xml", http.StatusOK)
		if sum.ImportCount != (dhis2.ImportCount{Imported: 2, Ignored: 1}) || value(dm.ID, n.AnhuiCity.ID, "2011-05", "sex:male") != 4 {
			t.Fatalf("partial ADX import: %+v", sum)
		}

		// The uid scheme through the mapping tables, both ways.
		for _, m := range [][3]string{{"unit", n.AnhuiCity.Code, "fxAHcity001"}, {"unit", n.Anhui.Code, "fxAHprov001"}, {"unit", n.JiangsuCity.Code, "fxJScity001"},
			{"indicator", "DM", "fxDMelem001"}, {"indicator", "TCH", "fxTCHelem01"}, {"combo", "sex:female", "fxSexFem001"}, {"combo", "sex:male", "fxSexMal001"}} {
			if r := x.natAPI.sendJSON(t, http.MethodPut, "/api/v1/dhis2/mappings", map[string]any{"kind": m[0], "ting_code": m[1], "dhis2_uid": m[2]}); r.Status != http.StatusOK {
				t.Fatalf("mapping %v: status %d %s", m, r.Status, r.Body)
			}
		}
		exportQ.Set("idScheme", "uid")
		r = x.natAPI.get(t, "/api/v1/dataValueSets?"+exportQ.Encode())
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `orgUnit="fxAHcity001"`) || !strings.Contains(r.Body, `categoryOptionCombo="`+results.DefaultComboUID+`"`) {
			t.Fatalf("ADX export by uid: status %d\n%s", r.Status, r.Body)
		}
		now := resCount(t, db)
		sum = importSum(x.natAPI, "", r.Body, "application/adx+xml", http.StatusOK)
		if sum.ImportCount != (dhis2.ImportCount{Updated: now}) {
			t.Fatalf("uid round trip: %+v", sum)
		}

		// Not ADX at all: the body is named, in the caller's language.
		var e apiErrorBody
		r = x.natAPI.do(t, http.MethodPost, "/api/v1/dataValueSets?lang=en", []byte(`<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0"/>`), "application/adx+xml")
		if r.json(t, &e); r.Status != http.StatusUnprocessableEntity || e.Errors[0].Field != "body" || e.Errors[0].Rule != "xml" ||
			!strings.HasPrefix(e.Errors[0].Message, "Request body is not a valid ADX document: root must be <adx") {
			t.Errorf("not ADX: status %d %s", r.Status, r.Body)
		}
		if r = x.natAPI.do(t, http.MethodPost, "/api/v1/dataValueSets?format=xls", []byte(adx), "application/adx+xml"); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("unknown format: status %d", r.Status)
		}
		// Scope holds for ADX as for the other formats: Anhui cannot write Jiangsu's value.
		jsDoc := `<adx xmlns="urn:ihe:qrph:adx:2015" exported="2012-07-01T00:00:00Z"><group orgUnit="` + fxJSCityCode +
			`" period="2011-04-01/P3M" dataSet="FXQ"><dataValue dataElement="DM" value="1"/></group></adx>`
		sum = importSum(x.ahAPI, "idScheme=code", jsDoc, "application/adx+xml", http.StatusConflict)
		if sum.Conflicts[0].Property != "orgUnit" || value(dm.ID, n.JiangsuCity.ID, "2011Q2", "") != 40 {
			t.Errorf("Anhui importing for Jiangsu: %+v", sum)
		}
	})
}

// TestResultsAdminCatalogFamilies checks the message ids the administration pages build from
// the domain's lists.
func TestResultsAdminCatalogFamilies(t *testing.T) {
	cats := fxCatalogs(t)
	for _, lang := range Langs {
		keys := fxAllKeys(cats, lang)
		for _, s := range results.Severities {
			if !keys["rule_severity."+s] {
				t.Errorf("%q is not in any %s catalog", "rule_severity."+s, lang)
			}
		}
		// The fields and rules the DHIS2 readers report.
		for _, k := range []string{"field.dataSet", "field.orgUnit", "field.dataElement", "field.period", "field.value", "field.exported",
			"rule." + dhis2.RuleXML, "rule." + dhis2.RuleCSV, "rule." + dhis2.RuleJSON, "rule." + dhis2.RulePeriod, "rule." + dhis2.RuleTooLarge} {
			if !keys[k] {
				t.Errorf("%q is not in any %s catalog", k, lang)
			}
		}
	}
	// Each positioned expression error is one the domain reports.
	for _, p := range resExprPositioned {
		found := false
		for _, rule := range results.ExpressionRules {
			found = found || rule == p
		}
		if !found {
			t.Errorf("resExprPositioned names %q, which is no expression error", p)
		}
	}
}
