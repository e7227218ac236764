package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// resFixture is a results framework on the two-province fixture network, defined through the
// pages and the API the way an officer would.
type resFixture struct {
	app            *fxApp
	net            fxNet
	nat            *fxClient // national officer, browser
	natAPI         *fxClient // national officer, token
	fw             results.Framework
	dm, tch        results.Indicator
	natUser, ahUsr string
}

func resSetup(t *testing.T, db *store.DB) resFixture {
	t.Helper()
	ctx := context.Background()
	x := resFixture{app: fxServer(t, db), net: fxNetwork(t, db)}
	nat := fxUser(t, db, "fxres_national", access.NationalOfficer, x.net.National.ID)
	x.natUser = nat.Username
	x.ahUsr = fxUser(t, db, "fxres_anhui", access.ProvincialOfficer, x.net.Anhui.ID).Username
	x.nat = x.app.fxLogin(t, nat.Username, fxPassword)
	x.natAPI = x.app.fxBearer(t, fxToken(t, db, nat))
	svc := results.New(db)
	// Category sets and frameworks have no page of their own: they come with the programme's
	// set-up (the demo loader, the command line).
	if _, err := svc.SaveCategorySet(ctx, access.System, results.CategorySet{Code: "sex", NameZH: "性别", NameEN: "Sex", Categories: []results.Category{
		{Code: "female", NameZH: "女", NameEN: "female"}, {Code: "male", NameZH: "男", NameEN: "male"}}}); err != nil {
		t.Fatal(err)
	}
	var err error
	if x.fw, err = svc.CreateFramework(ctx, access.System, results.FrameworkInput{Code: "FXLF", UnitID: x.net.National.ID, NameZH: "测试逻辑框架", NameEN: "Fixture logframe"}); err != nil {
		t.Fatal(err)
	}
	fwPath := "/results/frameworks/" + itoa(x.fw.ID)
	for _, e := range []url.Values{
		{"kind": {"development_objective"}, "code": {"DO"}, "name_zh": {"发展目标"}, "name_en": {"Development objective"}},
		{"kind": {"immediate_objective"}, "parent_code": {"DO"}, "code": {"IO1"}, "name_zh": {"目标一"}, "name_en": {"Policy framework"}},
		{"kind": {"output"}, "parent_code": {"IO1"}, "code": {"O1.1"}, "name_zh": {"多部门协调"}, "name_en": {"Multi-sectoral coordination"}},
	} {
		if r := x.nat.postForm(t, fwPath+"/elements", e); r.Status != http.StatusSeeOther {
			t.Fatalf("add element %s: status %d\n%s", e.Get("code"), r.Status, fxSnippet(r.Body))
		}
	}
	// An activity directly under an objective is refused, with the rule said beside the field.
	r := x.nat.postForm(t, fwPath+"/elements?lang=en", url.Values{"kind": {"activity"}, "parent_code": {"IO1"}, "code": {"A1"}, "name_zh": {"活动"}, "name_en": {"Activity"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="err-element-parent_code"`) || !strings.Contains(r.Body, "must be an element of the level just above") {
		t.Fatalf("activity under an objective: status %d\n%s", r.Status, fxSnippet(r.Body))
	}
	if r := x.nat.postForm(t, fwPath+"/approve", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("approve: status %d\n%s", r.Status, fxSnippet(r.Body))
	}
	r = x.nat.get(t, fwPath+"?lang=en")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="framework-status">approved<`) || !strings.Contains(r.Body, `id="element-O1.1"`) {
		t.Fatalf("framework page after approval: status %d\n%s", r.Status, fxSnippet(r.Body))
	}

	// The indicator with a sex disaggregation, through the page: first with a missing name.
	form := url.Values{"framework_code": {"FXLF"}, "element_code": {"O1.1"}, "code": {"DM"}, "name_zh": {"决策者"}, "name_en": {""},
		"type": {"count"}, "aggregation": {"sum"}, "direction": {"up"}, "frequency": {"month"}, "category_sets": {"sex"},
		"target_value": {"350"}, "unit_id": {itoa(x.net.National.ID)}, "definition_zh": {"担任决策职务、了解该问题的人"},
		"definition_en": {"People in decision-making posts made aware"}, "unit_label_zh": {"人"}, "unit_label_en": {"persons"},
		"data_source_zh": {"进度报告"}, "data_source_en": {"Progress reports"}}
	r = x.nat.postForm(t, "/results/indicators?lang=en", form)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="err-name_en"`) || !strings.Contains(r.Body, "Name (English) is required.") ||
		!strings.Contains(r.Body, `value="决策者"`) {
		t.Fatalf("indicator without English name: status %d\n%s", r.Status, fxSnippet(r.Body))
	}
	form.Set("name_en", "Decision makers reached")
	// A target the indicator's type refuses (a count of 40 nines) leaves no indicator behind.
	form.Set("target_value", strings.Repeat("9", 40))
	r = x.nat.postForm(t, "/results/indicators?lang=en", form)
	if _, err := svc.IndicatorByCode(ctx, access.System, "DM"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="err-target_value"`) ||
		!errors.Is(err, store.ErrNotFound) {
		t.Fatalf("indicator with a target over the limit: status %d, stored %v\n%s", r.Status, err, fxSnippet(r.Body))
	}
	form.Set("target_value", "350")
	r = x.nat.postForm(t, "/results/indicators", form)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/results/indicators/") {
		t.Fatalf("create indicator: status %d\n%s", r.Status, fxSnippet(r.Body))
	}
	if x.dm, err = svc.IndicatorByCode(ctx, access.System, "DM"); err != nil || len(x.dm.CategorySets) != 1 || x.dm.CategorySets[0] != "sex" {
		t.Fatalf("DM as stored: %+v %v", x.dm, err)
	}
	// Its texts read in the page's language, each in its own box of the form.
	for lang, want := range map[string][]string{"zh": {"担任决策职务、了解该问题的人", "(人)", "进度报告"}, "en": {"People in decision-making posts made aware", "(persons)", "Progress reports"}} {
		r = x.nat.get(t, "/results/indicators/"+itoa(x.dm.ID)+"?lang="+lang)
		facts := r.Body[strings.Index(r.Body, `id="indicator-facts"`):]
		facts = facts[:strings.Index(facts, "</dl>")]
		for _, w := range want {
			if !strings.Contains(facts, w) {
				t.Errorf("indicator page in %s: %q not among its facts\n%s", lang, w, facts)
			}
		}
		if !strings.Contains(r.Body, `name="definition_zh" rows="3" lang="zh-CN">担任决策职务、了解该问题的人</textarea>`) ||
			!strings.Contains(r.Body, `name="unit_label_en" value="persons"`) {
			t.Errorf("indicator form in %s does not hold each language's text in its own box\n%s", lang, fxSnippet(r.Body))
		}
	}
	// An API edit of the English definition leaves the Chinese one.
	if r := x.natAPI.sendJSON(t, http.MethodPatch, "/api/v1/indicators/"+itoa(x.dm.ID), map[string]any{"definition_en": "Decision makers aware"}); r.Status != http.StatusOK {
		t.Fatalf("patch the English definition: status %d\n%s", r.Status, fxSnippet(r.Body))
	}
	if got, err := svc.IndicatorByCode(ctx, access.System, "DM"); err != nil || got.DefinitionEN != "Decision makers aware" || got.DefinitionZH != "担任决策职务、了解该问题的人" {
		t.Errorf("after the patch: zh %q, en %q (%v)", got.DefinitionZH, got.DefinitionEN, err)
	}
	// The second through the API.
	r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/indicators", map[string]any{"code": "TCH", "framework_code": "FXLF", "element_code": "O1.1",
		"name_zh": "教师", "name_en": "Teachers trained", "type": "count", "aggregation": "latest"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create indicator by API: status %d\n%s", r.Status, fxSnippet(r.Body))
	}
	r.json(t, &x.tch)
	// Targets by page and by API: the provinces' targets add up to less than the national one.
	if r := x.nat.postForm(t, "/results/indicators/"+itoa(x.dm.ID)+"/targets", url.Values{"unit_id": {itoa(x.net.Anhui.ID)}, "period": {"LOP"}, "value": {"40"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("target by page: status %d\n%s", r.Status, fxSnippet(r.Body))
	}
	r = x.natAPI.sendJSON(t, http.MethodPut, "/api/v1/indicators/"+itoa(x.dm.ID)+"/targets", map[string]any{"unit_id": x.net.Jiangsu.ID, "period": "LOP", "value": 60, "note": "agreed 2011"})
	var tg results.Target
	if r.Status != http.StatusOK {
		t.Fatalf("target by API: status %d\n%s", r.Status, fxSnippet(r.Body))
	}
	if r.json(t, &tg); tg.Value != 60 || tg.UnitCode != fxJSCode || tg.Period != "LOP" {
		t.Fatalf("target by API: %+v", tg)
	}
	r = x.nat.postForm(t, "/results/indicators/"+itoa(x.dm.ID)+"/targets?lang=en", url.Values{"unit_id": {itoa(x.net.Anhui.ID)}, "period": {"LOP"}, "value": {"forty"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="err-target-value"`) || !strings.Contains(r.Body, "Value must be a number.") {
		t.Fatalf("target that is not a number: status %d\n%s", r.Status, fxSnippet(r.Body))
	}
	return x
}

var resTagRE = regexp.MustCompile(`<[^>]+>`)

// resCellText returns the text of the first element with class cls inside the element with id.
func resCellText(t *testing.T, body, id, cls string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no element %q in\n%s", id, fxSnippet(body))
	}
	rest := body[i:]
	end := strings.Index(rest, "</tr>")
	if end < 0 {
		end = len(rest)
	}
	row := rest[:end]
	j := strings.Index(row, `class="`+cls+`"`)
	if j < 0 {
		return ""
	}
	k := strings.Index(row[j:], ">")
	closing := strings.Index(row[j+k:], "</")
	return strings.TrimSpace(resTagRE.ReplaceAllString(row[j+k+1:j+k+closing], ""))
}

func TestResultsEntryProgressAndDrill(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := resSetup(t, db)
		n, dm := x.net, x.dm
		female := "v" + itoa(dm.ID) + ".sex:female"
		male := "v" + itoa(dm.ID) + ".sex:male"
		total := "v" + itoa(dm.ID)
		entryQ := url.Values{"framework": {"FXLF"}, "unit": {itoa(n.AnhuiCity.ID)}, "period": {"2011-03"}}.Encode()

		// The form has a row per indicator and an input per category of the disaggregation.
		r := x.nat.get(t, "/results/entry?lang=en&"+entryQ)
		for _, want := range []string{`name="` + total + `"`, `name="` + female + `"`, `name="` + male + `"`, `name="v` + itoa(x.tch.ID) + `"`, ">female<", ">male<"} {
			if r.Status != http.StatusOK || !strings.Contains(r.Body, want) {
				t.Fatalf("entry form: status %d, no %s\n%s", r.Status, want, fxSnippet(r.Body))
			}
		}
		// A fractional count is refused in the reader's language, next to its input, and the
		// typed values come back; nothing is stored.
		entry := url.Values{"framework": {"FXLF"}, "unit_id": {itoa(n.AnhuiCity.ID)}, "period": {"2011-03"}, total: {"30"}, female: {"17.5"}, male: {"12"},
			"source": {"report"}, "source_ref": {"AP-AH-2011T1"}}
		for lang, msg := range map[string]string{"en": "Value counts people or things and must be a whole number.", "zh": "数值为计数，须为整数。"} {
			r = x.nat.postForm(t, "/results/entry?lang="+lang, entry)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: fractional count: status %d\n%s", lang, r.Status, fxSnippet(r.Body))
			}
			errID := `id="err-in-v` + itoa(dm.ID) + `-sex-female"`
			if !strings.Contains(r.Body, errID) || !strings.Contains(r.Body, msg) {
				t.Errorf("%s: no message %q beside the female input\n%s", lang, msg, r.Body)
			}
			for _, kept := range []string{`value="17.5"`, `value="30"`, `value="12"`, `value="AP-AH-2011T1"`} {
				if !strings.Contains(r.Body, kept) {
					t.Errorf("%s: typed %s not kept", lang, kept)
				}
			}
		}
		// A typo that is not a number is refused by the page itself.
		bad := url.Values{}
		for k, v := range entry {
			bad[k] = v
		}
		bad.Set(female, "18")
		bad.Set(male, "12x")
		if r = x.nat.postForm(t, "/results/entry?lang=en", bad); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Value must be a number.") ||
			!strings.Contains(r.Body, `id="err-in-v`+itoa(dm.ID)+`-sex-male"`) {
			t.Fatalf("non-numeric value: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		var stored int
		db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM data_values").Scan(&stored)
		if stored != 0 {
			t.Fatalf("a refused form stored %d values", stored)
		}
		// The API names each broken value by its row.
		r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/values", []map[string]any{
			{"indicator": "DM", "unit_id": n.JiangsuCity.ID, "period": "2011-06", "value": 40},
			{"indicator": "DM", "unit_id": n.JiangsuCity.ID, "period": "2011-06", "combo": "sex:other", "value": 4},
			{"indicator": "DM", "unit_id": n.JiangsuCity.ID, "period": "2011-06", "combo": "sex:female", "value": 2.5},
		}, "Accept-Language", "en")
		var apiErr apiErrorBody
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("API batch with errors: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		r.json(t, &apiErr)
		if len(apiErr.Errors) != 2 || apiErr.Errors[0].Row != 2 || apiErr.Errors[0].Rule != "combo_category" || apiErr.Errors[1].Row != 3 ||
			apiErr.Errors[1].Rule != "whole_number" || !strings.Contains(apiErr.Errors[1].Message, "Row 3") {
			t.Fatalf("API errors %+v", apiErr.Errors)
		}
		// Corrected, everything is saved and shown again in the form.
		entry.Set(female, "18")
		if r = x.nat.postForm(t, "/results/entry", entry); r.Status != http.StatusSeeOther {
			t.Fatalf("corrected entry: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		r = x.nat.get(t, r.location())
		if !strings.Contains(r.Body, `name="`+female+`" value="18"`) || !strings.Contains(r.Body, `name="`+total+`" value="30"`) {
			t.Fatalf("entry form after saving does not show the values\n%s", r.Body)
		}
		r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/values", []map[string]any{{"indicator": "DM", "unit_id": n.JiangsuCity.ID, "period": "2011-06", "value": 40}})
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `"saved":1`) {
			t.Fatalf("API save: status %d\n%s", r.Status, fxSnippet(r.Body))
		}

		// The table: 30 + 40 against 350, 20%, behind; the provinces' targets (100) shown apart.
		progQ := url.Values{"framework": {"FXLF"}, "unit": {itoa(n.National.ID)}, "period": {"LOP"}}.Encode()
		r = x.nat.get(t, "/results/progress?lang=en&"+progQ)
		if r.Status != http.StatusOK {
			t.Fatalf("progress: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		for cls, want := range map[string]string{"target": "350", "actual": "70", "percent": "20%", "child-targets": "units below: 100", "badge behind": "behind"} {
			if got := resCellText(t, r.Body, "progress-row-DM", cls); got != want {
				t.Errorf("progress row DM, %s = %q, want %q", cls, got, want)
			}
		}
		// The export links carry the table's parameters as a query, not as one escaped string.
		if !regexp.MustCompile(`href="/results/progress\.csv\?[^"]*framework=FXLF&amp;[^"]*period=LOP`).MatchString(r.Body) {
			t.Errorf("export link lost its parameters:\n%s", fxSnippet(r.Body))
		}
		if got := resCellText(t, r.Body, "progress-row-TCH", "badge no_target"); got != "no target" {
			t.Errorf("TCH status %q", got)
		}
		if !strings.Contains(r.Body, `href="/static/ting.css?v=`) || !strings.Contains(r.Body, `<svg class="bar"`) {
			t.Error("the table has no stylesheet or no progress bar")
		}
		if css := x.nat.get(t, "/static/ting.css"); !strings.Contains(css.Body, "@media print") || !strings.Contains(css.Body, "svg.bar .behind") {
			t.Error("the stylesheet has no print rules or no progress-bar colours")
		}

		// Drill-down: the provinces, each linking further down and to its values.
		drillQ := url.Values{"indicator": {itoa(dm.ID)}, "unit": {itoa(n.National.ID)}, "period": {"LOP"}}.Encode()
		r = x.nat.get(t, "/results/progress/drill?lang=en&"+drillQ)
		if r.Status != http.StatusOK {
			t.Fatalf("drill: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		if got := resCellText(t, r.Body, "drill-row-FXAH34", "actual"); got != "30" {
			t.Errorf("Anhui in the drill-down: %q", got)
		}
		if got := resCellText(t, r.Body, "drill-row-"+fxJSCode, "actual"); got != "40" {
			t.Errorf("Jiangsu in the drill-down: %q", got)
		}
		if !strings.Contains(r.Body, `href="/results/progress/drill?indicator=`+itoa(dm.ID)+`&amp;period=LOP&amp;unit=`+itoa(n.Anhui.ID)+`"`) {
			t.Error("Anhui's row does not drill further down")
		}
		if !strings.Contains(r.Body, `id="trend-chart"`) || !strings.Contains(r.Body, ">2011<") || !strings.Contains(r.Body, ">70<") {
			t.Errorf("trend chart missing or wrong\n%s", r.Body[strings.Index(r.Body, `id="trend"`):])
		}
		r = x.nat.get(t, "/results/progress/drill?lang=en&trend=half&"+drillQ)
		if !strings.Contains(r.Body, "2011 January–June") || !strings.Contains(r.Body, ">30<") {
			t.Error("half-year trend missing")
		}

		// The values behind Anhui's 30: total and both categories, with their source and who entered them.
		r = x.nat.get(t, "/results/values?lang=en&"+url.Values{"indicator": {itoa(dm.ID)}, "unit": {itoa(n.Anhui.ID)}, "period": {"LOP"}}.Encode())
		if r.Status != http.StatusOK || strings.Count(r.Body, `class="source-ref">AP-AH-2011T1<`) != 3 || !strings.Contains(r.Body, "Sex: female") ||
			!strings.Contains(r.Body, "FX "+x.natUser) || !strings.Contains(r.Body, "progress report") || strings.Contains(r.Body, fxJSCityEN) {
			t.Fatalf("values page: status %d\n%s", r.Status, r.Body)
		}
		// A page at a time: two of the three, then the third, the links keeping the query.
		valuesQ := url.Values{"indicator": {itoa(dm.ID)}, "unit": {itoa(n.Anhui.ID)}, "period": {"LOP"}, "lang": {"en"}}.Encode()
		r = x.nat.get(t, "/results/values?limit=2&"+valuesQ)
		next := regexp.MustCompile(`<a rel="next" href="([^"]+)"`).FindStringSubmatch(r.Body)
		if strings.Count(r.Body, `<tr id="value-`) != 2 || next == nil || !strings.Contains(r.Body, "1–2 of 3") {
			t.Fatalf("first page of two values: %d rows, next %v\n%s", strings.Count(r.Body, `<tr id="value-`), next, fxSnippet(r.Body))
		}
		r = x.nat.get(t, html.UnescapeString(next[1]))
		if strings.Count(r.Body, `<tr id="value-`) != 1 || !strings.Contains(r.Body, "3–3 of 3") || !strings.Contains(r.Body, "indicator="+itoa(dm.ID)) {
			t.Errorf("second page: %d rows\n%s", strings.Count(r.Body, `<tr id="value-`), fxSnippet(r.Body))
		}
		// Past the end (the last value of the last page deleted), the way back is still offered.
		if r = x.nat.get(t, "/results/values?limit=2&offset=4&"+valuesQ); !strings.Contains(r.Body, `id="no-values"`) || !strings.Contains(r.Body, `rel="prev"`) {
			t.Errorf("past the end: no way back\n%s", fxSnippet(r.Body))
		}

		// CSV with a byte-order mark and the same figures.
		r = x.nat.get(t, "/results/progress.csv?lang=en&"+progQ)
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "\ufeff") || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("CSV: status %d %q", r.Status, fxSnippet(r.Body))
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Body, "\ufeff"))).ReadAll()
		if err != nil || len(recs) != 3 {
			t.Fatalf("CSV: %v %q", err, recs)
		}
		if got := strings.Join(recs[1], "|"); got != "O1.1|Multi-sectoral coordination|DM|Decision makers reached|350|100|70|2|20|behind|stored values" {
			t.Errorf("CSV row %q", got)
		}
		if recs[0][6] != "Actual" {
			t.Errorf("CSV header %q", recs[0])
		}
		// XLSX with numbers as numbers.
		r = x.nat.get(t, "/results/progress.xlsx?lang=zh&"+progQ)
		f, err := excelize.OpenReader(bytes.NewReader([]byte(r.Body)))
		if r.Status != http.StatusOK || err != nil {
			t.Fatalf("XLSX: status %d %v", r.Status, err)
		}
		rows, _ := f.GetRows("progress")
		if len(rows) != 3 || rows[0][6] != "实际" || rows[1][2] != "DM" || rows[1][6] != "70" || rows[1][8] != "20" || rows[1][9] != "落后" {
			t.Errorf("XLSX rows %q", rows)
		}
		if typ, _ := f.GetCellType("progress", "G2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("XLSX actual is stored as text (%v)", typ)
		}
		f.Close()

		// The JSON API gives the same table and drill-down.
		var tab results.Table
		r = x.natAPI.get(t, "/api/v1/progress?"+progQ)
		if r.json(t, &tab); r.Status != http.StatusOK || len(tab.Rows) != 2 || tab.Rows[0].Actual.Value != 70 || *tab.Rows[0].Percent != 20 {
			t.Fatalf("API progress: status %d %+v", r.Status, tab)
		}
		var drill list[results.ChildRow]
		r = x.natAPI.get(t, "/api/v1/progress/drill?"+drillQ)
		if r.json(t, &drill); len(drill.Items) != 2 {
			t.Fatalf("API drill %s", r.Body)
		}
		var vals list[results.Value]
		r = x.natAPI.get(t, "/api/v1/values?"+drillQ)
		if r.json(t, &vals); len(vals.Items) != 4 {
			t.Fatalf("API values %s", r.Body)
		}

		// Provincial scope: the Anhui officer sees Anhui's figures only and cannot enter for Jiangsu.
		ah := x.app.fxLogin(t, x.ahUsr, fxPassword)
		ahAPI := x.app.fxBearer(t, fxToken(t, db, resUser(t, db, x.ahUsr)))
		jsQ := url.Values{"indicator": {itoa(dm.ID)}, "unit": {itoa(n.Jiangsu.ID)}, "period": {"LOP"}}.Encode()
		for _, p := range []string{"/results/values?" + jsQ, "/results/progress/drill?" + jsQ, "/results/progress?framework=FXLF&unit=" + itoa(n.Jiangsu.ID),
			"/results/progress.csv?framework=FXLF&unit=" + itoa(n.Jiangsu.ID), "/results/entry?framework=FXLF&unit=" + itoa(n.JiangsuCity.ID), "/results/progress/drill?" + drillQ} {
			if r := ah.get(t, p); r.Status != http.StatusNotFound || len(fxLeaks(r.Body, fxJiangsuMarkers)) > 0 {
				t.Errorf("Anhui officer GET %s: status %d, want 404", p, r.Status)
			}
		}
		r = ah.get(t, "/results/progress?lang=en&framework=FXLF")
		if got := resCellText(t, r.Body, "progress-row-DM", "actual"); r.Status != http.StatusOK || got != "30" {
			t.Errorf("Anhui's own table: status %d, actual %q, want 30", r.Status, got)
		}
		r = ah.get(t, "/results/progress/drill?lang=en&indicator="+itoa(dm.ID))
		if r.Status != http.StatusOK || len(fxLeaks(r.Body, fxJiangsuMarkers)) > 0 || !strings.Contains(r.Body, "Hefei Fixture City") {
			t.Errorf("Anhui's drill-down: status %d", r.Status)
		}
		before := resCount(t, db)
		js := url.Values{"framework": {"FXLF"}, "unit_id": {itoa(n.JiangsuCity.ID)}, "period": {"2011-03"}, total: {"5"}}
		if r := ah.postForm(t, "/results/entry", js); r.Status != http.StatusNotFound {
			t.Errorf("Anhui officer entering for Jiangsu: status %d", r.Status)
		}
		r = ahAPI.sendJSON(t, http.MethodPost, "/api/v1/values", []map[string]any{{"indicator": "DM", "unit_id": n.JiangsuCity.ID, "period": "2011-03", "value": 5}})
		if r.json(t, &apiErr); r.Status != http.StatusUnprocessableEntity || apiErr.Errors[0].Rule != "not_found" || apiErr.Errors[0].Row != 1 {
			t.Errorf("Anhui officer entering for Jiangsu by API: status %d %s", r.Status, r.Body)
		}
		if r := ahAPI.get(t, "/api/v1/values?"+jsQ); r.Status != http.StatusNotFound {
			t.Errorf("Anhui officer reading Jiangsu's values by API: status %d", r.Status)
		}
		if after := resCount(t, db); after != before {
			t.Errorf("refused entries changed the values: %d → %d", before, after)
		}

		// Dropping the disaggregation keeps the two category values as legacy and says so.
		edit := url.Values{"framework_code": {"FXLF"}, "element_code": {"O1.1"}, "code": {"DM"}, "name_zh": {"决策者"}, "name_en": {"Decision makers reached"},
			"type": {"count"}, "aggregation": {"sum"}, "direction": {"up"}, "frequency": {"month"}}
		r = x.nat.postForm(t, "/results/indicators/"+itoa(dm.ID), edit)
		if r.Status != http.StatusSeeOther || !strings.Contains(r.location(), "legacy=2") {
			t.Fatalf("drop disaggregation: status %d, Location %q\n%s", r.Status, r.location(), fxSnippet(r.Body))
		}
		r = x.nat.get(t, r.location()+"&lang=en")
		if !strings.Contains(r.Body, "2 stored values are kept as legacy") {
			t.Errorf("indicator page does not say what became legacy\n%s", fxSnippet(r.Body))
		}
		if after := resCount(t, db); after != before {
			t.Errorf("a disaggregation change deleted values: %d → %d", before, after)
		}
		r = x.natAPI.sendJSON(t, http.MethodPatch, "/api/v1/indicators/"+itoa(dm.ID), map[string]any{"category_sets": []string{"sex"}})
		var change resIndicatorChange
		if r.json(t, &change); r.Status != http.StatusOK || change.ValuesRestored != 2 || change.ValuesMadeLegacy != 0 || change.Code != "DM" {
			t.Errorf("restore by API: status %d %s", r.Status, r.Body)
		}
	})
}

func resCount(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM data_values").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func resUser(t *testing.T, db *store.DB, username string) auth.User {
	t.Helper()
	var id int64
	if err := db.R.QueryRowContext(context.Background(), "SELECT id FROM users WHERE username = $1", username).Scan(&id); err != nil {
		t.Fatal(err)
	}
	u, err := auth.New(db).UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestResultsFrameworkPages covers the list, versioning from the framework page and the
// indicator pages' visibility for a provincial officer.
func TestResultsFrameworkPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := resSetup(t, db)
		r := x.nat.get(t, "/results?lang=en")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `href="/results/frameworks/`+itoa(x.fw.ID)+`"`) || !strings.Contains(r.Body, "Fixture logframe") {
			t.Fatalf("results home: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		fwPath := "/results/frameworks/" + itoa(x.fw.ID)
		r = x.nat.postForm(t, fwPath+"/versions", url.Values{})
		if r.Status != http.StatusSeeOther || r.location() == fwPath {
			t.Fatalf("new version: status %d %q", r.Status, r.location())
		}
		v2 := r.location()
		r = x.nat.get(t, v2+"?lang=en")
		if !strings.Contains(r.Body, `id="framework-status">draft<`) || !strings.Contains(r.Body, `id="element-add"`) || !strings.Contains(r.Body, "version 1") {
			t.Fatalf("version 2 page\n%s", fxSnippet(r.Body))
		}
		// A second draft is refused with the reason.
		r = x.nat.postForm(t, fwPath+"/versions?lang=en", url.Values{})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "already open as a draft") {
			t.Fatalf("second draft: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		// The framework page shows each indicator's figure at the user's unit.
		r = x.nat.get(t, fwPath+"?lang=en")
		if !strings.Contains(r.Body, `id="indicator-line-`+itoa(x.dm.ID)+`"`) || !strings.Contains(r.Body, "Decision makers reached") {
			t.Fatalf("framework tree has no indicators\n%s", r.Body)
		}

		// The Anhui officer reads the national framework and its indicators but cannot change them.
		ah := x.app.fxLogin(t, x.ahUsr, fxPassword)
		r = ah.get(t, fwPath+"?lang=en")
		if r.Status != http.StatusOK || strings.Contains(r.Body, `id="framework-new-version"`) || strings.Contains(r.Body, `id="element-add"`) {
			t.Fatalf("Anhui on the national framework: status %d", r.Status)
		}
		r = ah.get(t, "/results/indicators/"+itoa(x.dm.ID)+"?lang=en")
		if r.Status != http.StatusOK || strings.Contains(r.Body, `id="indicator-form"`) || strings.Contains(r.Body, fxJSEN) {
			t.Fatalf("Anhui on a national indicator: status %d", r.Status)
		}
		if r := ah.postForm(t, fwPath+"/versions", url.Values{}); r.Status != http.StatusForbidden {
			t.Errorf("Anhui opening a national version: status %d", r.Status)
		}
		r = ah.get(t, "/results/indicators/new?framework=FXLF&lang=en")
		if r.Status != http.StatusOK || strings.Contains(r.Body, `id="indicator-form"`) {
			t.Errorf("Anhui's new-indicator form for the national framework: status %d", r.Status)
		}
	})
}

// TestResultsCatalogFamilies checks the message ids the results pages build from the domain's lists.
func TestResultsCatalogFamilies(t *testing.T) {
	cats := fxCatalogs(t)
	families := map[string][]string{
		"element_kind":     results.ElementKinds,
		"framework_status": {results.Draft, results.Approved, results.Superseded},
		"indicator_type":   results.IndicatorTypes,
		"aggregation":      results.Aggregations,
		"direction":        results.Directions,
		"frequency":        results.Frequencies,
		"progress_status":  {results.OnTrack, results.Behind, results.Ahead, results.NoTarget, results.NoData},
		"value_source":     results.Sources,
	}
	for _, lang := range Langs {
		keys := fxAllKeys(cats, lang)
		for fam, members := range families {
			for _, m := range members {
				if !keys[fam+"."+m] {
					t.Errorf("%q is not in any %s catalog", fam+"."+m, lang)
				}
			}
		}
	}
}

func TestResultsNumbersAndPeriods(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 7: "7", 1774: "1,774", 1135000: "1,135,000", 31.428571: "31.43", 2.5: "2.5", -1200.5: "-1,200.5", 0.004: "0"} {
		if got := resNum(v); got != want {
			t.Errorf("resNum(%v) = %q, want %q", v, got, want)
		}
	}
	en, zh := NewTr("en"), NewTr("zh")
	for key, want := range map[string][2]string{
		"LOP":     {"Life of project", "项目全期"},
		"2011":    {"2011", "2011年"},
		"2011S2":  {"2011 July–December", "2011年下半年"},
		"2011Q3":  {"2011 Q3", "2011年第3季度"},
		"2011T2":  {"2011 reporting period 2 (months 5–8)", "2011年第2报告期（5–8月）"},
		"2011-03": {"2011-03", "2011年3月"},
	} {
		p, err := results.ParsePeriod(key)
		if err != nil {
			t.Fatal(err)
		}
		if got := [2]string{resPeriodLabel(en, p), resPeriodLabel(zh, p)}; got != want {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
	p, _ := results.ParsePeriod("2011T2")
	opts := resPeriodOptions(en, "2026-11-23", p, resEntryKinds...)
	if len(opts) != 12+3+4 || !opts[resOptionIndex(opts, "2011T2")].Selected {
		t.Errorf("entry period options %v", opts)
	}
	if resShiftYear(p, -1) != "2010T2" {
		t.Error("shift year")
	}
}

func resOptionIndex(opts []resOption, key string) int {
	for i, o := range opts {
		if o.Value == key {
			return i
		}
	}
	return 0
}

// TestResultsEntryKinds enters a percentage from its parts, a yes/no and a milestone text, with
// each kind's mistake said beside its own input.
func TestResultsEntryKinds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := resSetup(t, db)
		svc := results.New(db)
		ids := map[string]int64{}
		for _, in := range []results.IndicatorInput{
			{Code: "PCT", NameZH: "百分比", NameEN: "Share of schools with the curriculum", Type: "percent", Aggregation: "sum"},
			{Code: "YN", NameZH: "是否", NameEN: "Provincial plan adopted", Type: "yesno", Aggregation: "latest"},
			{Code: "TXT", NameZH: "里程碑", NameEN: "Milestone", Type: "text", Aggregation: "latest"},
		} {
			in.FrameworkCode, in.ElementCode = "FXLF", "O1.1"
			ind, err := svc.CreateIndicator(ctx, access.System, in)
			if err != nil {
				t.Fatal(err)
			}
			ids[in.Code] = ind.ID
		}
		id := func(code string) string { return itoa(ids[code]) }
		form := url.Values{"framework": {"FXLF"}, "unit_id": {itoa(x.net.AnhuiCity.ID)}, "period": {"2011T2"},
			"n" + id("PCT"): {"5"}, "d" + id("PCT"): {"4"}, "v" + id("YN"): {"2"}, "t" + id("TXT"): {"Safety textbook adopted"}}
		r := x.nat.postForm(t, "/results/entry?lang=en", form)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		for errID, msg := range map[string]string{"err-in-n" + id("PCT"): "Numerator cannot be larger than Denominator.", "err-in-v" + id("YN"): "Value must be 1 (yes) or 0 (no)."} {
			if !strings.Contains(r.Body, `id="`+errID+`">`+msg+`<`) {
				t.Errorf("no %q at %s\n%s", msg, errID, r.Body)
			}
		}
		if !strings.Contains(r.Body, `value="Safety textbook adopted"`) {
			t.Error("typed text lost")
		}
		form.Set("n"+id("PCT"), "3")
		form.Set("v"+id("YN"), "1")
		if r = x.nat.postForm(t, "/results/entry", form); r.Status != http.StatusSeeOther {
			t.Fatalf("corrected: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		r = x.nat.get(t, "/results/progress?lang=en&framework=FXLF&period=2011&unit="+itoa(x.net.Anhui.ID))
		if got := resCellText(t, r.Body, "progress-row-PCT", "actual"); got != "75" {
			t.Errorf("percentage from 3 of 4 = %q, want 75", got)
		}
		if got := resCellText(t, r.Body, "progress-row-YN", "actual"); got != "1" {
			t.Errorf("yes/no = %q, want 1", got)
		}
		r = x.nat.get(t, "/results/entry?lang=en&framework=FXLF&period=2011T2&unit="+itoa(x.net.AnhuiCity.ID))
		for _, want := range []string{`name="n` + id("PCT") + `" value="3"`, `name="d` + id("PCT") + `" value="4"`, `<option value="1" selected>`, `value="Safety textbook adopted"`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("stored values not shown again: no %s", want)
			}
		}
	})
}
