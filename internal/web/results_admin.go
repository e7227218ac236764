package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/valid"
)

// Administration of the results framework: starting a framework, the disaggregations (category
// sets) every indicator draws on, a framework's validation rules, and the data-quality page
// that checks those rules against the stored values of any subtree and period. The JSON API of
// the same lives in results_admin_api.go.

// routesResultsAdmin registers the pages and API; routesResults calls it.
func (h *resultsWeb) routesResultsAdmin() {
	s := h.Server
	s.handle("GET /results/frameworks/new", s.page(h.frameworkNew))
	s.handle("POST /results/frameworks", s.page(h.frameworkCreate))
	s.handle("GET /results/category-sets", s.page(h.categorySets))
	s.handle("POST /results/category-sets", s.page(h.categorySetSave))
	s.handle("GET /results/frameworks/{id}/rules", s.page(h.rulesPage))
	s.handle("POST /results/frameworks/{id}/rules", s.page(h.ruleSave))
	s.handle("GET /results/quality", s.page(h.quality))
	h.routesResultsAdminAPI()
}

// resSharedEditor refuses changes to what the whole network shares (the disaggregations) to
// anyone below the national level, as SetMapping does for DHIS2 combinations: a province
// retiring a category would change every province's entry forms.
// TODO(domain): results.SaveCategorySet should enforce this itself.
func resSharedEditor(a access.Actor) error {
	if err := a.Require(access.EditResults); err != nil {
		return err
	}
	if strings.Count(a.UnitPath, "/") > 2 {
		return access.ErrForbidden
	}
	return nil
}

// ---- new framework ----

type resFrameworkNewData struct {
	Units   []resOption
	Parents []results.Framework // the frameworks a provincial one may link to
	UnitID  string              // the unit selected
}

func (h *resultsWeb) frameworkNewData(ctx context.Context, a access.Actor, u org.Unit, lang string) (resFrameworkNewData, error) {
	d := resFrameworkNewData{UnitID: itoa(u.ID)}
	var err error
	if d.Units, err = h.unitChoices(ctx, a, u, lang); err != nil {
		return d, err
	}
	fws, err := h.svc.Frameworks(ctx, a)
	if err != nil {
		return d, err
	}
	for _, f := range fws {
		// Only a framework that is not itself linked to another can be the national one.
		if f.ParentCode == "" {
			d.Parents = append(d.Parents, f)
		}
	}
	return d, nil
}

func (h *resultsWeb) frameworkNew(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.EditResults); err != nil {
		h.fail(w, r, err)
		return
	}
	tr := reqCtx(r).tr
	u, err := h.unitParam(r, a, "unit")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.frameworkNewData(r.Context(), a, u, tr.Lang)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "results_framework_new", &Page{Title: tr.T("results_admin.framework_new"), Data: d})
}

func (h *resultsWeb) frameworkCreate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	r.ParseForm()
	in := results.FrameworkInput{Code: r.PostFormValue("code"), UnitID: formInt(r, "unit_id"), ParentCode: r.PostFormValue("parent_code"),
		NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en")}
	f, err := h.svc.CreateFramework(r.Context(), a, in)
	if err == nil {
		h.flash(r, "flash.saved")
		http.Redirect(w, r, "/results/frameworks/"+itoa(f.ID), http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The form comes back around the unit it named; a unit outside the caller's area is not
	// found, as on the unit form.
	uid := in.UnitID
	if uid == 0 {
		uid = a.UnitID
	}
	u, err := h.org.Unit(r.Context(), a, uid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.frameworkNewData(r.Context(), a, u, tr.Lang)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusUnprocessableEntity, "results_framework_new", &Page{Title: tr.T("results_admin.framework_new"), Data: d,
		Errors: es, Form: r.PostForm})
}

// ---- category sets ----

// resNewSetRows and resAddCategoryRows are how many blank category rows the forms offer: the
// age bands are four, and a set grows by one or two categories at a time.
const (
	resNewSetRows      = 4
	resAddCategoryRows = 2
)

// resCategoryRow is one row of a category-set form.
type resCategoryRow struct {
	Index   int
	Code    string
	NameZH  string
	NameEN  string
	Retired bool
	Stored  bool // the category exists: its code is fixed
}

type resCategorySetForm struct {
	Name string // the multiForm name: "new" or "set-<code>"
	Set  results.CategorySet
	Rows []resCategoryRow
}

type resCategorySetsData struct {
	Sets    []resCategorySetForm
	New     resCategorySetForm
	CanEdit bool
	F       multiForm
}

// resCategoryRowsArgs carries the page into the category rows template.
type resCategoryRowsArgs struct {
	P    *Page
	Form resCategorySetForm
}

// RowsArgs is called from the template to lay out one form's category rows.
func (d resCategorySetsData) RowsArgs(p *Page, f resCategorySetForm) resCategoryRowsArgs {
	return resCategoryRowsArgs{P: p, Form: f}
}

// resCategoryRowsFromForm reads the category rows of a submitted form.
func resCategoryRowsFromForm(form url.Values) []resCategoryRow {
	codes, zh, en := form["cat_code"], form["cat_name_zh"], form["cat_name_en"]
	at := func(list []string, i int) string {
		if i < len(list) {
			return strings.TrimSpace(list[i])
		}
		return ""
	}
	stored := form["cat_stored"]
	var out []resCategoryRow
	for i := range max(len(codes), len(zh), len(en)) {
		idx := strconv.Itoa(i)
		out = append(out, resCategoryRow{Index: i, Code: at(codes, i), NameZH: at(zh, i), NameEN: at(en, i),
			Retired: slices.Contains(form["cat_retired"], idx), Stored: slices.Contains(stored, idx)})
	}
	return out
}

func resCategoryRows(set results.CategorySet, blanks int) []resCategoryRow {
	var out []resCategoryRow
	for i, c := range set.Categories {
		out = append(out, resCategoryRow{Index: i, Code: c.Code, NameZH: c.NameZH, NameEN: c.NameEN, Retired: c.Retired, Stored: true})
	}
	for i := range blanks {
		out = append(out, resCategoryRow{Index: len(set.Categories) + i})
	}
	return out
}

func (h *resultsWeb) categorySetsData(r *http.Request, a access.Actor, submitted string, es valid.Errors) (resCategorySetsData, error) {
	d := resCategorySetsData{CanEdit: resSharedEditor(a) == nil, F: newMultiForm(r, submitted, es)}
	sets, err := h.svc.CategorySets(r.Context(), a)
	if err != nil {
		return d, err
	}
	for _, set := range sets {
		f := resCategorySetForm{Name: "set-" + set.Code, Set: set, Rows: resCategoryRows(set, resAddCategoryRows)}
		if d.F.Is(f.Name) {
			f.Rows = resCategoryRowsFromForm(r.PostForm)
		}
		d.Sets = append(d.Sets, f)
	}
	d.New = resCategorySetForm{Name: "new", Rows: resCategoryRows(results.CategorySet{}, resNewSetRows)}
	if d.F.Is("new") {
		d.New.Rows = resCategoryRowsFromForm(r.PostForm)
	}
	return d, nil
}

func (h *resultsWeb) categorySets(w http.ResponseWriter, r *http.Request, a access.Actor) {
	d, err := h.categorySetsData(r, a, "", nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "results_category_sets", &Page{Title: reqCtx(r).tr.T("results_admin.category_sets"), Data: d})
}

// resCategorySetInput turns a submitted form into the set to save: blank rows are dropped and
// a category code given twice is refused.
func resCategorySetInput(form url.Values) (results.CategorySet, valid.Errors) {
	var es valid.Errors
	set := results.CategorySet{Code: strings.TrimSpace(form.Get("code")), NameZH: strings.TrimSpace(form.Get("name_zh")),
		NameEN: strings.TrimSpace(form.Get("name_en")), Categories: []results.Category{}}
	seen := map[string]bool{}
	for _, row := range resCategoryRowsFromForm(form) {
		if row.Code == "" && row.NameZH == "" && row.NameEN == "" {
			continue
		}
		if seen[row.Code] && row.Code != "" {
			es.Add("categories", "unique", row.Code)
			continue
		}
		seen[row.Code] = true
		set.Categories = append(set.Categories, results.Category{Code: row.Code, NameZH: row.NameZH, NameEN: row.NameEN, Retired: row.Retired})
	}
	return set, es
}

func (h *resultsWeb) categorySetSave(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	if err := resSharedEditor(a); err != nil {
		h.fail(w, r, err)
		return
	}
	r.ParseForm()
	isNew := r.PostFormValue("form") == "new"
	set, es := resCategorySetInput(r.PostForm)
	if isNew && set.Code != "" {
		// The new-set form starts a set; it must not quietly rewrite one that exists.
		if _, err := h.svc.CategorySet(r.Context(), set.Code); err == nil {
			es.Add("code", "unique", set.Code)
		}
	}
	err := es.Err()
	if err == nil {
		set, err = h.svc.SaveCategorySet(r.Context(), a, set)
	}
	if err == nil {
		h.flash(r, "flash.saved")
		http.Redirect(w, r, "/results/category-sets#set-"+url.PathEscape(set.Code), http.StatusSeeOther)
		return
	}
	fes, err := formErrors(err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	submitted := "new"
	if !isNew {
		submitted = "set-" + set.Code
	}
	d, err := h.categorySetsData(r, a, submitted, fes)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusUnprocessableEntity, "results_category_sets", &Page{Title: tr.T("results_admin.category_sets"), Data: d, Errors: fes})
}

// ---- validation rules ----

// resExprMark is a refused expression split around the character its error names.
type resExprMark struct {
	Before, At, After string
}

// resExprPositioned are the expression errors whose position points at the problem; the others
// (empty, too long, not a condition) concern the whole expression.
var resExprPositioned = []string{"bad_character", "bad_number", "bad_reference", "unexpected_token", "unexpected_end", "unclosed_paren",
	"unknown_function", "unknown_name", "wrong_arguments", "type_mismatch", "misplaced_wildcard", "too_deep"}

// resMarkExpression finds an expression syntax error among es and marks its position (a
// 1-based character number) in src.
func resMarkExpression(src string, es valid.Errors) *resExprMark {
	e, ok := es.For("expression")
	if !ok || !slices.Contains(resExprPositioned, strings.TrimPrefix(e.Rule, "expression_")) || !strings.HasPrefix(e.Rule, "expression_") {
		return nil
	}
	pos, err := strconv.Atoi(e.Param)
	if err != nil || pos < 1 {
		return nil
	}
	runes := []rune(src)
	i := min(pos-1, len(runes))
	m := &resExprMark{Before: string(runes[:i])}
	if i < len(runes) {
		m.At, m.After = string(runes[i]), string(runes[i+1:])
	} else {
		m.At = " " // the expression ends where something was still expected
	}
	return m
}

type resRulesData struct {
	Framework  results.Framework
	Rules      []results.Rule
	Indicators []results.Indicator
	Severities []string
	CanEdit    bool
	Edit       results.Rule // the rule the form starts from (?edit=CODE), or a new one
	Mark       *resExprMark
	F          multiForm
}

func (h *resultsWeb) rulesData(r *http.Request, a access.Actor, id int64) (resRulesData, error) {
	ctx := r.Context()
	f, err := h.svc.Framework(ctx, a, id)
	if err != nil {
		return resRulesData{}, err
	}
	d := resRulesData{Framework: f, Severities: results.Severities, CanEdit: a.Can(access.EditResults) && a.Sees(f.UnitPath),
		Edit: results.Rule{Severity: results.Severities[0]}}
	if d.Rules, err = h.svc.Rules(ctx, a, f.Code); err != nil {
		return d, err
	}
	if d.Indicators, err = h.svc.Indicators(ctx, a, f.Code); err != nil {
		return d, err
	}
	if code := r.URL.Query().Get("edit"); code != "" {
		for _, rl := range d.Rules {
			if rl.Code == code {
				d.Edit = rl
			}
		}
	}
	return d, nil
}

func (h *resultsWeb) rulesPage(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	d, err := h.rulesData(r, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "results_rules", &Page{Title: reqCtx(r).tr.T("results_admin.rules_of", "Code", d.Framework.Code), Data: d})
}

// resRuleEditable loads the framework a rule is added to: visible, and within the caller's
// own area, as for the framework's other changes.
// TODO(domain): results.SaveRule should check this itself; it takes any framework code.
func (h *resultsWeb) resRuleEditable(ctx context.Context, a access.Actor, id int64) (results.Framework, error) {
	f, err := h.svc.Framework(ctx, a, id)
	if err != nil {
		return f, err
	}
	if err := a.Require(access.EditResults); err != nil {
		return f, err
	}
	if !a.Sees(f.UnitPath) {
		return f, access.ErrForbidden
	}
	return f, nil
}

// resRuleCodeFree refuses a rule code that another framework the caller sees already uses:
// SaveRule replaces rules by code whichever framework holds them, so reusing a national rule's
// code in a provincial framework would move the national rule.
// TODO(domain): results.SaveRule should refuse this itself, for frameworks the caller cannot see too.
func (h *resultsWeb) resRuleCodeFree(ctx context.Context, a access.Actor, f results.Framework, code string) error {
	fws, err := h.svc.Frameworks(ctx, a)
	if err != nil {
		return err
	}
	for _, other := range fws {
		if other.Code == f.Code {
			continue
		}
		rules, err := h.svc.Rules(ctx, a, other.Code)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(rules, func(x results.Rule) bool { return x.Code == code }) {
			return valid.New("code", "unique", code)
		}
	}
	return nil
}

func (h *resultsWeb) ruleSave(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.recordForm(w, r, func(id int64) (string, error) {
		f, err := h.resRuleEditable(r.Context(), a, id)
		if err != nil {
			return "", err
		}
		code := strings.TrimSpace(r.PostFormValue("code"))
		if err := h.resRuleCodeFree(r.Context(), a, f, code); err != nil {
			return "", err
		}
		rl, err := h.svc.SaveRule(r.Context(), a, results.RuleInput{Code: code, FrameworkCode: f.Code,
			NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en"), Expression: r.PostFormValue("expression"),
			Severity: r.PostFormValue("severity")})
		return "/results/frameworks/" + itoa(id) + "/rules#rule-" + url.PathEscape(rl.Code), err
	}, func(id int64, es valid.Errors) (string, *Page, error) {
		d, err := h.rulesData(r, a, id)
		d.F = newMultiForm(r, "rule", es)
		d.Mark = resMarkExpression(r.PostFormValue("expression"), es)
		return "results_rules", &Page{Title: reqCtx(r).tr.T("results_admin.rules_of", "Code", d.Framework.Code), Data: d}, err
	})
}

// ---- data quality ----

type resQualityLine struct {
	Violation   results.Violation
	UnitName    string
	UnitCode    string
	PeriodLabel string
	RuleName    string
	Left, Right string
	EntryURL    string
	GroupHead   bool // the first line of its unit and period
}

type resQualityData struct {
	Frameworks   []results.Framework
	Framework    results.Framework
	HasFramework bool
	Unit         org.Unit
	Ancestors    []org.Unit
	Units        []resOption
	Period       results.Period
	PeriodLabel  string
	Periods      []resOption
	RuleCount    int
	Lines        []resQualityLine
	Errors       int
	Warnings     int
	Query        string // framework, unit and period, for links
}

// resQualityItem is a violation as the pages and the API give it: with its unit named.
type resQualityItem struct {
	results.Violation
	UnitCode string `json:"unit_code"`
	UnitName string `json:"unit_name"`
	unitPath string
	start    string
}

// qualityItems checks the framework's rules over the unit's subtree within p and orders the
// failures by unit (top-down) and period.
func (h *resultsWeb) qualityItems(ctx context.Context, a access.Actor, code string, unit org.Unit, p results.Period, lang string) ([]resQualityItem, error) {
	vs, err := h.svc.Quality(ctx, a, code, unit, p)
	if err != nil {
		return nil, err
	}
	units := map[int64]org.Unit{}
	out := make([]resQualityItem, 0, len(vs))
	for _, v := range vs {
		u, ok := units[v.UnitID]
		if !ok {
			if u, err = h.org.Unit(ctx, a, v.UnitID); err != nil {
				return nil, err
			}
			units[v.UnitID] = u
		}
		it := resQualityItem{Violation: v, UnitCode: u.Code, UnitName: u.Name(lang), unitPath: u.Path}
		if per, err := results.ParsePeriod(v.Period); err == nil {
			it.start = per.Start
		}
		out = append(out, it)
	}
	slices.SortStableFunc(out, func(x, y resQualityItem) int {
		if c := strings.Compare(x.unitPath, y.unitPath); c != 0 {
			return c
		}
		if c := strings.Compare(x.start, y.start); c != 0 {
			return c
		}
		if c := strings.Compare(x.Period, y.Period); c != 0 {
			return c
		}
		return strings.Compare(x.Rule.Code, y.Rule.Code)
	})
	return out, nil
}

func (h *resultsWeb) qualityData(r *http.Request, a access.Actor) (resQualityData, error) {
	ctx := r.Context()
	tr := reqCtx(r).tr
	var d resQualityData
	var err error
	if d.Period, err = resPeriodParam(r, "period", results.LOP.Key); err != nil {
		return d, err
	}
	d.PeriodLabel = resPeriodLabel(tr, d.Period)
	d.Periods = resPeriodOptions(tr, h.dateToday(), d.Period, resProgressKinds...)
	if d.Unit, err = h.unitParam(r, a, "unit"); err != nil {
		return d, err
	}
	if d.Ancestors, err = h.org.Ancestors(ctx, a, d.Unit); err != nil {
		return d, err
	}
	if d.Units, err = h.unitChoices(ctx, a, d.Unit, tr.Lang); err != nil {
		return d, err
	}
	if d.Framework, d.Frameworks, d.HasFramework, err = h.frameworkParam(r, a); err != nil || !d.HasFramework {
		return d, err
	}
	d.Query = url.Values{"framework": {d.Framework.Code}, "unit": {itoa(d.Unit.ID)}, "period": {d.Period.Key}}.Encode()
	rules, err := h.svc.Rules(ctx, a, d.Framework.Code)
	if err != nil {
		return d, err
	}
	d.RuleCount = len(rules)
	items, err := h.qualityItems(ctx, a, d.Framework.Code, d.Unit, d.Period, tr.Lang)
	if err != nil {
		return d, err
	}
	prev := ""
	for _, it := range items {
		v := it.Violation
		line := resQualityLine{Violation: v, UnitName: it.UnitName, UnitCode: it.UnitCode, PeriodLabel: v.Period, RuleName: v.Rule.Name(tr.Lang),
			Left: resNum(v.Left), Right: resNum(v.Right),
			EntryURL: "/results/entry?" + url.Values{"framework": {d.Framework.Code}, "unit": {itoa(v.UnitID)}, "period": {v.Period}}.Encode()}
		if p, err := results.ParsePeriod(v.Period); err == nil {
			line.PeriodLabel = resPeriodLabel(tr, p)
		}
		group := itoa(v.UnitID) + "|" + v.Period
		line.GroupHead = group != prev
		prev = group
		if v.Rule.Severity == "error" {
			d.Errors++
		} else {
			d.Warnings++
		}
		d.Lines = append(d.Lines, line)
	}
	return d, nil
}

func (h *resultsWeb) quality(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.periodPage(w, r, "results_quality", "results_admin.quality_title", func() (any, error) { return h.qualityData(r, a) })
}
