package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/valid"
)

// resultsWeb serves the results framework: logframes, indicators and targets, data entry, the
// targets-versus-progress table with its drill-down, exports and the JSON API. It carries its
// own domain service so the shared Server needs no field for it.
type resultsWeb struct {
	*Server
	svc *results.Service
}

// routesResults registers the results pages and API.
// resultsService returns the results service, judging dates as of the server's today.
func (s *Server) resultsService() *results.Service {
	svc := results.New(s.db)
	if s.today != nil {
		svc.SetToday(s.today)
	}
	return svc
}

func (s *Server) routesResults() {
	h := &resultsWeb{Server: s, svc: s.resultsService()}
	s.handle("GET /results", s.page(h.home))
	s.handle("GET /results/frameworks/{id}", s.page(h.frameworkShow))
	s.handle("POST /results/frameworks/{id}/elements", s.page(h.elementAdd))
	s.handle("POST /results/frameworks/{id}/approve", s.page(h.frameworkApprove))
	s.handle("POST /results/frameworks/{id}/versions", s.page(h.frameworkNewVersion))
	s.handle("GET /results/indicators/new", s.page(h.indicatorNew))
	s.handle("POST /results/indicators", s.page(h.indicatorCreate))
	s.handle("GET /results/indicators/{id}", s.page(h.indicatorShow))
	s.handle("POST /results/indicators/{id}", s.page(h.indicatorUpdate))
	s.handle("POST /results/indicators/{id}/targets", s.page(h.targetSet))
	s.handle("GET /results/entry", s.page(h.entryForm))
	s.handle("POST /results/entry", s.page(h.entrySave))
	s.handle("GET /results/progress", s.page(h.progress))
	s.handle("GET /results/progress.csv", s.page(h.progressExport("csv")))
	s.handle("GET /results/progress.xlsx", s.page(h.progressExport("xlsx")))
	s.handle("GET /results/progress/drill", s.page(h.drill))
	s.handle("GET /results/values", s.page(h.values))
	h.routesResultsAdmin()
	h.routesLocks()
	h.routesAPI()
}

// ---- shared helpers ----

// resThresholdDefault is the tolerance around a target within which progress is on track, in percent.
const resThresholdDefault = 15

// resFirstYear is the first year the period pickers offer: the programme's second phase began in 2010.
const resFirstYear = 2010

// resNum formats a figure for reading: whole numbers with thousands separators, others with
// up to two decimals.
func resNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	digits, frac, _ := strings.Cut(strconv.FormatFloat(math.Abs(v), 'f', 2, 64), ".")
	frac = strings.TrimRight(frac, "0")
	var b strings.Builder
	if v < 0 && (digits != "0" || frac != "") {
		b.WriteByte('-')
	}
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// resNumPtr formats an optional figure; nil is "".
func resNumPtr(v *float64) string {
	if v == nil {
		return ""
	}
	return resNum(*v)
}

// resRaw writes a figure as typed into a form or a file: no separators.
func resRaw(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// resParseNum reads a typed number; commas as thousands separators and spaces are allowed.
func resParseNum(s string) (*float64, bool) {
	s = strings.TrimSpace(strings.NewReplacer(",", "", "，", "", " ", "").Replace(s))
	if s == "" {
		return nil, true
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, false
	}
	return &v, true
}

// resPeriodLabel says a period in the reader's language.
func resPeriodLabel(tr Tr, p results.Period) string {
	if p.Kind == results.LifeOfProj {
		return tr.T("results.period_lop")
	}
	if len(p.Key) < 4 {
		return p.Key
	}
	y := p.Key[:4]
	n := ""
	if len(p.Key) > 5 {
		n = strings.TrimLeft(p.Key[5:], "0")
	}
	switch p.Kind {
	case results.Year:
		return tr.T("results.period_year", "Year", y)
	case results.HalfYear:
		if n == "1" {
			return tr.T("results.period_half1", "Year", y)
		}
		return tr.T("results.period_half2", "Year", y)
	case results.Quarter:
		return tr.T("results.period_quarter", "Year", y, "N", n)
	case results.Tertile:
		k, _ := strconv.Atoi(n)
		return tr.T("results.period_tertile", "Year", y, "N", n, "From", 4*k-3, "To", 4*k)
	case results.Month:
		return tr.T("results.period_month", "Year", y, "Month", p.Key[5:], "N", n)
	}
	return p.Key
}

// resOption is one choice of a select.
type resOption struct {
	Value    string
	Label    string
	Selected bool
}

// resPeriodOptions lists the periods a picker offers around sel: life of project and the
// years when kinds include them, then the chosen year's half-years, quarters, four-month
// reporting periods and months as kinds ask.
func resPeriodOptions(tr Tr, today string, sel results.Period, kinds ...string) []resOption {
	var out []resOption
	add := func(key string) {
		p, err := results.ParsePeriod(key)
		if err != nil {
			return
		}
		out = append(out, resOption{Value: p.Key, Label: resPeriodLabel(tr, p), Selected: p.Key == sel.Key})
	}
	now, _ := strconv.Atoi(today[:4])
	year := now
	if sel.Kind != results.LifeOfProj && len(sel.Key) >= 4 {
		year, _ = strconv.Atoi(sel.Key[:4])
	}
	if slices.Contains(kinds, results.LifeOfProj) {
		add("LOP")
	}
	if slices.Contains(kinds, results.Year) {
		last := max(now+1, year)
		for y := min(resFirstYear, year); y <= last; y++ {
			add(strconv.Itoa(y))
		}
	}
	ys := strconv.Itoa(year)
	if sel.Kind == results.LifeOfProj {
		// Parts of a year are offered once a year is chosen.
		kinds = []string{}
	}
	if slices.Contains(kinds, results.HalfYear) {
		add(ys + "S1")
		add(ys + "S2")
	}
	if slices.Contains(kinds, results.Quarter) {
		for q := 1; q <= 4; q++ {
			add(ys + "Q" + strconv.Itoa(q))
		}
	}
	if slices.Contains(kinds, results.Tertile) {
		for t := 1; t <= 3; t++ {
			add(ys + "T" + strconv.Itoa(t))
		}
	}
	if slices.Contains(kinds, results.Month) {
		for m := 1; m <= 12; m++ {
			add(fmt.Sprintf("%s-%02d", ys, m))
		}
	}
	if !slices.ContainsFunc(out, func(o resOption) bool { return o.Selected }) && sel.Key != "" {
		out = append([]resOption{{Value: sel.Key, Label: resPeriodLabel(tr, sel), Selected: true}}, out...)
	}
	return out
}

// resShiftYear is the same kind of period one year earlier or later (2011T2 → 2012T2).
func resShiftYear(p results.Period, by int) string {
	if p.Kind == results.LifeOfProj || len(p.Key) < 4 {
		return p.Key
	}
	y, _ := strconv.Atoi(p.Key[:4])
	return strconv.Itoa(y+by) + p.Key[4:]
}

// resPeriodParam reads a period key from the query, falling back to def.
func resPeriodParam(r *http.Request, name, def string) (results.Period, error) {
	key := strings.TrimSpace(r.URL.Query().Get(name))
	if key == "" {
		key = def
	}
	p, err := results.ParsePeriod(key)
	if err != nil {
		return p, valid.New("period", "period")
	}
	return p, nil
}

// resThresholdParam reads the on-track tolerance in percent (1-99), defaulting to 15.
func resThresholdParam(r *http.Request) int {
	n, err := strconv.Atoi(strings.TrimSpace(r.URL.Query().Get("threshold")))
	if err != nil || n < 1 || n > 99 {
		return resThresholdDefault
	}
	return n
}

// unitParam is the unit named by the query parameter, or the actor's own unit.
func (h *resultsWeb) unitParam(r *http.Request, a access.Actor, name string) (org.Unit, error) {
	id := queryInt(r, name)
	if id == 0 {
		id = a.UnitID
	}
	return h.org.Unit(r.Context(), a, id)
}

// frameworkParam is the framework in force for the code in the query, or the first framework
// the actor sees when none is named. ok is false when the actor sees none.
func (h *resultsWeb) frameworkParam(r *http.Request, a access.Actor) (f results.Framework, all []results.Framework, ok bool, err error) {
	all, err = h.svc.Frameworks(r.Context(), a)
	if err != nil {
		return f, nil, false, err
	}
	code := strings.TrimSpace(r.URL.Query().Get("framework"))
	if code == "" {
		if len(all) == 0 {
			return f, all, false, nil
		}
		code = all[0].Code
	}
	f, err = h.svc.Current(r.Context(), a, code)
	if err != nil {
		return f, all, false, err
	}
	return f, all, true, nil
}

// unitChoices are the units a picker offers around cur: the ancestors the actor sees, cur
// itself and its children, so that any unit is reached by stepping down without JavaScript.
func (h *resultsWeb) unitChoices(ctx context.Context, a access.Actor, cur org.Unit, lang string) ([]resOption, error) {
	anc, err := h.org.Ancestors(ctx, a, cur)
	if err != nil {
		return nil, err
	}
	kids, err := h.org.Children(ctx, a, cur.ID)
	if err != nil {
		return nil, err
	}
	sortUnits(kids, lang)
	var out []resOption
	depth := 0
	for _, u := range anc {
		out = append(out, resOption{Value: itoa(u.ID), Label: strings.Repeat("· ", depth) + u.Name(lang)})
		depth++
	}
	out = append(out, resOption{Value: itoa(cur.ID), Label: strings.Repeat("· ", depth) + cur.Name(lang), Selected: true})
	for _, k := range kids {
		if k.Closed() {
			continue
		}
		out = append(out, resOption{Value: itoa(k.ID), Label: strings.Repeat("· ", depth+1) + k.Name(lang)})
	}
	return out, nil
}

// resComboNamer names disaggregation combinations in the reader's language ("" is the total),
// loading each category set once.
type resComboNamer struct {
	h    *resultsWeb
	ctx  context.Context
	tr   Tr
	sets map[string]results.CategorySet
}

func (h *resultsWeb) comboNamer(ctx context.Context, tr Tr) *resComboNamer {
	return &resComboNamer{h: h, ctx: ctx, tr: tr, sets: map[string]results.CategorySet{}}
}

func (n *resComboNamer) set(code string) (results.CategorySet, bool) {
	if s, ok := n.sets[code]; ok {
		return s, s.Code != ""
	}
	s, err := n.h.svc.CategorySet(n.ctx, code)
	if err != nil {
		s = results.CategorySet{}
	}
	n.sets[code] = s
	return s, s.Code != ""
}

func (n *resComboNamer) name(combo string) string {
	if combo == "" {
		return n.tr.T("results.total")
	}
	var parts []string
	for _, part := range strings.Split(combo, ",") {
		setCode, cat, _ := strings.Cut(part, ":")
		label := part
		if s, ok := n.set(setCode); ok {
			label = resName(n.tr.Lang, s.NameZH, s.NameEN) + ": " + cat
			for _, c := range s.Categories {
				if c.Code == cat {
					label = resName(n.tr.Lang, s.NameZH, s.NameEN) + ": " + resName(n.tr.Lang, c.NameZH, c.NameEN, c.Code)
				}
			}
		}
		parts = append(parts, label)
	}
	return strings.Join(parts, ", ")
}

// resName picks the name in lang, falling back to the other language and then to fallback.
func resName(lang, zh, en string, fallback ...string) string {
	first, second := en, zh
	if lang == "zh" {
		first, second = zh, en
	}
	if first != "" {
		return first
	}
	if second != "" {
		return second
	}
	if len(fallback) > 0 {
		return fallback[0]
	}
	return ""
}

// resBar is a progress bar drawn as inline SVG: the share of the target achieved, capped at
// the bar's end, with a mark where the target lies.
type resBar struct {
	Show  bool
	Fill  string // width of the filled part, in viewBox units (0-100)
	Class string // the status, for the colour
	Label string // what a screen reader hears
}

func resProgressBar(tr Tr, percent *float64, status string) resBar {
	if percent == nil {
		return resBar{}
	}
	w := math.Max(0, math.Min(100, *percent))
	return resBar{Show: true, Fill: strconv.FormatFloat(math.Round(w*10)/10, 'f', -1, 64), Class: status,
		Label: tr.T("results.bar_label", "Percent", resNum(*percent))}
}

// ---- /results ----

type resFrameworkLine struct {
	Framework results.Framework
	UnitName  string
}

type resHomeData struct {
	Frameworks []resFrameworkLine
}

func (h *resultsWeb) home(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	fws, err := h.svc.Frameworks(r.Context(), a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var d resHomeData
	for _, f := range fws {
		line := resFrameworkLine{Framework: f}
		// A provincial officer works under the national framework without seeing the national unit.
		if u, err := h.org.Unit(r.Context(), a, f.UnitID); err == nil {
			line.UnitName = u.Name(tr.Lang)
		} else if !errors.Is(err, store.ErrNotFound) {
			h.fail(w, r, err)
			return
		}
		d.Frameworks = append(d.Frameworks, line)
	}
	h.render(w, r, http.StatusOK, "results_home", &Page{Title: tr.T("results.title"), Data: d})
}

// ---- /results/frameworks/{id} ----

// resIndicatorLine is an indicator on the framework page with its progress at the user's unit.
type resIndicatorLine struct {
	Indicator results.Indicator
	Target    string
	Actual    string
	Percent   string
	Status    string
	Bar       resBar
}

type resElementNode struct {
	Element    results.Element
	Indicators []resIndicatorLine
	Children   []*resElementNode
}

type resFrameworkData struct {
	Framework results.Framework
	Versions  []results.Framework
	Roots     []*resElementNode
	Elements  []results.Element
	Unit      org.Unit
	CanEdit   bool
	Kinds     []string
	F         multiForm
}

// resElementArgs carries the page into the recursive element template.
type resElementArgs struct {
	P    *Page
	Node *resElementNode
}

// ElementArgs is called from the template to descend the tree.
func (d resFrameworkData) ElementArgs(p *Page, n *resElementNode) resElementArgs {
	return resElementArgs{P: p, Node: n}
}

func (h *resultsWeb) frameworkData(r *http.Request, a access.Actor, id int64) (resFrameworkData, error) {
	ctx := r.Context()
	tr := reqCtx(r).tr
	f, err := h.svc.Framework(ctx, a, id)
	if err != nil {
		return resFrameworkData{}, err
	}
	d := resFrameworkData{Framework: f, Kinds: results.ElementKinds, CanEdit: a.Can(access.EditResults) && a.Sees(f.UnitPath)}
	if d.Versions, err = h.svc.Versions(ctx, a, f.Code); err != nil {
		return d, err
	}
	if d.Elements, err = h.svc.Elements(ctx, a, id); err != nil {
		return d, err
	}
	if d.Unit, err = h.org.Unit(ctx, a, a.UnitID); err != nil {
		return d, err
	}
	inds, err := h.svc.Indicators(ctx, a, f.Code)
	if err != nil {
		return d, err
	}
	nodes := map[string]*resElementNode{}
	for _, e := range d.Elements {
		n := &resElementNode{Element: e}
		nodes[e.Code] = n
		if p, ok := nodes[e.ParentCode]; ok && e.ParentCode != "" {
			p.Children = append(p.Children, n)
		} else {
			d.Roots = append(d.Roots, n)
		}
	}
	for _, ind := range inds {
		n, ok := nodes[ind.ElementCode]
		if !ok {
			continue
		}
		line := resIndicatorLine{Indicator: ind}
		target, _, err := h.svc.TargetAt(ctx, a, ind.ID, d.Unit, results.LOP.Key)
		if err != nil {
			return d, err
		}
		fig, err := h.svc.Actual(ctx, a, ind, d.Unit, results.LOP)
		if err != nil {
			return d, err
		}
		line.Target = resNumPtr(target)
		if fig.Has {
			line.Actual = resNum(fig.Value)
		}
		var pct *float64
		if target != nil && *target > 0 && fig.Has {
			v := 100 * fig.Value / *target
			pct = &v
			line.Percent = resNum(math.Round(v*10) / 10)
		}
		line.Status = results.StatusOf(target, fig, ind.Direction, resThresholdDefault/100.0)
		line.Bar = resProgressBar(tr, pct, line.Status)
		n.Indicators = append(n.Indicators, line)
	}
	return d, nil
}

func (h *resultsWeb) frameworkShow(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	d, err := h.frameworkData(r, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "results_framework", &Page{Title: d.Framework.Name(reqCtx(r).tr.Lang), Data: d})
}

// frameworkChange runs one of the framework page's forms; validation failures re-render the
// page with that form's messages.
func (h *resultsWeb) frameworkChange(w http.ResponseWriter, r *http.Request, a access.Actor, form string, change func(id int64) (string, error)) {
	h.recordForm(w, r, change, func(id int64, es valid.Errors) (string, *Page, error) {
		d, err := h.frameworkData(r, a, id)
		d.F = newMultiForm(r, form, es)
		return "results_framework", &Page{Title: d.Framework.Name(reqCtx(r).tr.Lang), Data: d}, err
	})
}

func (h *resultsWeb) elementAdd(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.frameworkChange(w, r, a, "element", func(id int64) (string, error) {
		pos, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue("position")))
		_, err := h.svc.AddElement(r.Context(), a, id, results.ElementInput{ParentCode: r.PostFormValue("parent_code"), Kind: r.PostFormValue("kind"),
			Code: r.PostFormValue("code"), NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en"), LinksTo: r.PostFormValue("links_to"), Position: pos})
		return "/results/frameworks/" + itoa(id) + "#tree", err
	})
}

func (h *resultsWeb) frameworkApprove(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.frameworkChange(w, r, a, "approve", func(id int64) (string, error) {
		_, err := h.svc.Approve(r.Context(), a, id)
		return "/results/frameworks/" + itoa(id), err
	})
}

func (h *resultsWeb) frameworkNewVersion(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.frameworkChange(w, r, a, "version", func(id int64) (string, error) {
		f, err := h.svc.NewVersion(r.Context(), a, id)
		return "/results/frameworks/" + itoa(f.ID), err
	})
}

// ---- indicators ----

type resIndicatorData struct {
	New          bool
	Framework    results.Framework
	Frameworks   []results.Framework // to choose from when none is named
	Elements     []results.Element
	Indicator    results.Indicator
	Sets         []results.CategorySet
	IndSets      []results.CategorySet // the indicator's own disaggregations
	Targets      []resTargetLine
	TargetUnit   org.Unit
	Units        []resOption
	Periods      []resOption
	Types        []string
	Aggregations []string
	Directions   []string
	Frequencies  []string
	CanEdit      bool
	Legacy       int
	Restored     int
	Changed      bool
	F            multiForm
}

type resTargetLine struct {
	Target results.Target
	Value  string
	Period string
}

// BaselineText is the baseline value as typed into the form.
func (d resIndicatorData) BaselineText() string { return resRaw(d.Indicator.BaselineValue) }

// BaselineShown is the baseline value for reading.
func (d resIndicatorData) BaselineShown() string { return resNumPtr(d.Indicator.BaselineValue) }

// HasSet reports whether the indicator is disaggregated by set code.
func (d resIndicatorData) HasSet(code string) bool {
	return slices.Contains(d.Indicator.CategorySets, code)
}

func (h *resultsWeb) indicatorFormData(r *http.Request, a access.Actor, frameworkCode string) (resIndicatorData, error) {
	ctx := r.Context()
	d := resIndicatorData{Types: results.IndicatorTypes, Aggregations: results.Aggregations, Directions: results.Directions,
		Frequencies: results.Frequencies, CanEdit: a.Can(access.EditResults)}
	var err error
	if d.Sets, err = h.svc.CategorySets(ctx, a); err != nil {
		return d, err
	}
	if frameworkCode == "" {
		d.Frameworks, err = h.svc.Frameworks(ctx, a)
		return d, err
	}
	vs, err := h.svc.Versions(ctx, a, frameworkCode)
	if err != nil {
		return d, err
	}
	// Indicators sit on elements of the latest version, the one being worked on.
	d.Framework = vs[0]
	if d.Elements, err = h.svc.Elements(ctx, a, d.Framework.ID); err != nil {
		return d, err
	}
	return d, nil
}

// resIndicatorInputFromForm reads the indicator form. Numbers that do not parse are reported
// here, as the domain never sees them.
func resIndicatorInputFromForm(r *http.Request) (results.IndicatorInput, valid.Errors) {
	var es valid.Errors
	in := results.IndicatorInput{Code: r.PostFormValue("code"), FrameworkCode: r.PostFormValue("framework_code"), ElementCode: r.PostFormValue("element_code"),
		NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en"), DefinitionZH: r.PostFormValue("definition_zh"),
		DefinitionEN: r.PostFormValue("definition_en"), Type: r.PostFormValue("type"), UnitLabelZH: r.PostFormValue("unit_label_zh"),
		UnitLabelEN: r.PostFormValue("unit_label_en"), Direction: r.PostFormValue("direction"), Aggregation: r.PostFormValue("aggregation"),
		Formula: r.PostFormValue("formula"), CategorySets: r.PostForm["category_sets"], BaselineDate: r.PostFormValue("baseline_date"),
		BaselineSourceZH: r.PostFormValue("baseline_source_zh"), BaselineSourceEN: r.PostFormValue("baseline_source_en"),
		DataSourceZH: r.PostFormValue("data_source_zh"), DataSourceEN: r.PostFormValue("data_source_en"), Frequency: r.PostFormValue("frequency")}
	if in.CategorySets == nil {
		in.CategorySets = []string{}
	}
	if v, ok := resParseNum(r.PostFormValue("baseline_value")); ok {
		in.BaselineValue = v
	} else {
		es.Add("baseline_value", "number")
	}
	if p := strings.TrimSpace(r.PostFormValue("position")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			es.Add("position", "number")
		}
		in.Position = n
	}
	return in, es
}

func (h *resultsWeb) indicatorNew(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.EditResults); err != nil {
		h.fail(w, r, err)
		return
	}
	tr := reqCtx(r).tr
	// The new indicator's life-of-project target is set at this unit (the user's own by default).
	u, err := h.unitParam(r, a, "unit")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.indicatorFormData(r, a, strings.TrimSpace(r.URL.Query().Get("framework")))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.New, d.TargetUnit = true, u
	d.CanEdit = d.CanEdit && (d.Framework.ID == 0 || a.Sees(d.Framework.UnitPath))
	d.Indicator = results.Indicator{FrameworkCode: d.Framework.Code, ElementCode: r.URL.Query().Get("element"), Direction: "up", Aggregation: "sum",
		Type: "count", Frequency: "month", CategorySets: []string{}}
	h.render(w, r, http.StatusOK, "results_indicator", &Page{Title: tr.T("results.indicator_new"), Data: d})
}

func (h *resultsWeb) indicatorCreate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	r.ParseForm()
	in, es := resIndicatorInputFromForm(r)
	// The optional life-of-project target is checked before anything is written, so a refused
	// target does not leave an indicator behind.
	var target *float64
	var unit org.Unit
	if v, ok := resParseNum(r.PostFormValue("target_value")); !ok {
		es.Add("target_value", "number")
	} else if v != nil {
		target = v
		uid := formInt(r, "unit_id")
		if uid == 0 {
			uid = a.UnitID
		}
		var err error
		if unit, err = h.org.Unit(r.Context(), a, uid); errors.Is(err, store.ErrNotFound) {
			es.Add("unit_id", "not_found")
		} else if err != nil {
			h.fail(w, r, err)
			return
		}
		if rule, param := results.CheckFigure(results.Indicator{Type: in.Type}, *v); rule != "" {
			es = append(es, valid.FieldError{Field: "target_value", Rule: rule, Param: param})
		}
	}
	var ind results.Indicator
	err := es.Err()
	if err == nil {
		ind, err = h.svc.CreateIndicator(r.Context(), a, in)
	}
	if err == nil && target != nil {
		err = h.svc.SetTarget(r.Context(), a, ind.ID, unit.ID, results.LOP.Key, *target, "")
	}
	if err == nil {
		h.flash(r, "flash.saved")
		http.Redirect(w, r, "/results/indicators/"+itoa(ind.ID), http.StatusSeeOther)
		return
	}
	fes, err := formErrors(err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.indicatorFormData(r, a, strings.TrimSpace(in.FrameworkCode))
	if errors.Is(err, store.ErrNotFound) {
		d, err = h.indicatorFormData(r, a, "")
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.New = true
	d.Indicator.FrameworkCode = d.Framework.Code
	if unit.ID == 0 {
		unit, _ = h.org.Unit(r.Context(), a, a.UnitID)
	}
	d.TargetUnit = unit
	d.F = newMultiForm(r, "indicator", fes)
	h.render(w, r, http.StatusUnprocessableEntity, "results_indicator", &Page{Title: tr.T("results.indicator_new"), Data: d, Errors: fes})
}

func (h *resultsWeb) indicatorShowData(r *http.Request, a access.Actor, id int64) (resIndicatorData, error) {
	ctx := r.Context()
	tr := reqCtx(r).tr
	ind, err := h.svc.Indicator(ctx, a, id)
	if err != nil {
		return resIndicatorData{}, err
	}
	d, err := h.indicatorFormData(r, a, ind.FrameworkCode)
	if err != nil {
		return d, err
	}
	d.Indicator = ind
	d.CanEdit = d.CanEdit && a.Sees(d.Framework.UnitPath)
	for _, c := range ind.CategorySets {
		if set, err := h.svc.CategorySet(ctx, c); err == nil {
			d.IndSets = append(d.IndSets, set)
		}
	}
	ts, err := h.svc.Targets(ctx, a, id)
	if err != nil {
		return d, err
	}
	for _, t := range ts {
		line := resTargetLine{Target: t, Value: resNum(t.Value), Period: t.Period}
		if p, err := results.ParsePeriod(t.Period); err == nil {
			line.Period = resPeriodLabel(tr, p)
		}
		d.Targets = append(d.Targets, line)
	}
	if d.TargetUnit, err = h.unitParam(r, a, "unit"); err != nil {
		return d, err
	}
	if d.Units, err = h.unitChoices(ctx, a, d.TargetUnit, tr.Lang); err != nil {
		return d, err
	}
	d.Periods = resPeriodOptions(tr, h.dateToday(), results.LOP, results.LifeOfProj, results.Year)
	return d, nil
}

func (h *resultsWeb) indicatorShow(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	d, err := h.indicatorShowData(r, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	if q.Has("legacy") || q.Has("restored") {
		d.Changed = true
		d.Legacy, _ = strconv.Atoi(q.Get("legacy"))
		d.Restored, _ = strconv.Atoi(q.Get("restored"))
	}
	h.render(w, r, http.StatusOK, "results_indicator", &Page{Title: d.Indicator.Name(reqCtx(r).tr.Lang), Data: d})
}

// indicatorChange runs one of the indicator page's forms.
func (h *resultsWeb) indicatorChange(w http.ResponseWriter, r *http.Request, a access.Actor, form string, change func(id int64) (string, error)) {
	h.recordForm(w, r, change, func(id int64, es valid.Errors) (string, *Page, error) {
		d, err := h.indicatorShowData(r, a, id)
		d.F = newMultiForm(r, form, es)
		return "results_indicator", &Page{Title: d.Indicator.Name(reqCtx(r).tr.Lang), Data: d}, err
	})
}

func (h *resultsWeb) indicatorUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.indicatorChange(w, r, a, "indicator", func(id int64) (string, error) {
		in, es := resIndicatorInputFromForm(r)
		if es.Err() != nil {
			return "", es
		}
		_, legacy, restored, err := h.svc.UpdateIndicator(r.Context(), a, id, in)
		next := "/results/indicators/" + itoa(id)
		if legacy > 0 || restored > 0 {
			// Say how many values a disaggregation change set aside or brought back.
			next += "?" + url.Values{"legacy": {strconv.Itoa(legacy)}, "restored": {strconv.Itoa(restored)}}.Encode()
		}
		return next, err
	})
}

func (h *resultsWeb) targetSet(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.indicatorChange(w, r, a, "target", func(id int64) (string, error) {
		var es valid.Errors
		v, ok := resParseNum(r.PostFormValue("value"))
		switch {
		case !ok:
			es.Add("value", "number")
		case v == nil:
			es.Add("value", "required")
		}
		uid := formInt(r, "unit_id")
		if uid == 0 {
			es.Add("unit_id", "required")
		}
		if es.Err() != nil {
			return "", es
		}
		period := strings.TrimSpace(r.PostFormValue("period"))
		if period == "" {
			period = results.LOP.Key
		}
		err := h.svc.SetTarget(r.Context(), a, id, uid, period, *v, strings.TrimSpace(r.PostFormValue("note")))
		return "/results/indicators/" + itoa(id) + "#targets", err
	})
}
