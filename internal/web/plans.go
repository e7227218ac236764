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
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/valid"
)

// interventionsWeb serves work plans, interventions, their reports and their money: the pages
// under /plans and the JSON API beside them. It carries its own domain services so the shared
// Server needs no field for them.
type interventionsWeb struct {
	*Server
	svc *plans.Service
	res *results.Service
}

// routesPlans registers the plans pages and API.
func (s *Server) routesPlans() {
	h := &interventionsWeb{Server: s, svc: s.plansService(), res: s.resultsService()}
	s.handle("GET /plans", s.page(h.home))
	s.handle("POST /plans", s.page(h.planCreate))
	s.handle("GET /plans/{id}", s.page(h.planShow))
	s.handle("POST /plans/{id}/interventions", s.page(h.interventionCreate))
	s.handle("GET /plans/interventions/{id}", s.page(h.interventionShow))
	s.handle("POST /plans/tranches/{id}/release", s.page(h.trancheRelease))
	h.routesReports()
	h.routesMoney()
	h.routesPlansAPI()
}

// ivBudgetRows is how many budget lines the intervention form offers; blank rows are ignored.
const ivBudgetRows = 6

// ivIndicatorRows is how many indicators the intervention form offers.
const ivIndicatorRows = 4

// ---- shared helpers ----

// ivMoney writes hundredths for reading: thousands separators and two decimals.
func ivMoney(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	whole := strconv.FormatInt(v/100, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s%s.%02d", sign, b.String(), v%100)
}

// ivMoneyInput writes hundredths as typed into a form: no separators.
func ivMoneyInput(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// ivPercent writes a share (0.25) as a percentage with one decimal.
func ivPercent(share float64) string {
	if math.IsNaN(share) || math.IsInf(share, 0) {
		return ""
	}
	return strconv.FormatFloat(math.Round(share*1000)/10, 'f', -1, 64)
}

// ivFormatName names an agreement format in lang.
func ivFormatName(code, lang string) string {
	if f, ok := plans.FormatByCode(code); ok {
		return f.Name(lang)
	}
	return code
}

// ivInput is one input of a form with its value and its message.
type ivInput struct {
	Name  string
	ID    string
	Label string
	Value string
	Err   string
	List  string // a datalist offering values
	Mode  string // inputmode, e.g. decimal for amounts on a phone's keyboard
}

func newIvInput(name, value string) ivInput {
	return ivInput{Name: name, ID: "in-" + strings.NewReplacer(".", "-", ":", "-").Replace(name), Value: value}
}

// ivForm is the submitted state of one of a page's forms: its values and, by input name, the
// message to show beside each input.
type ivForm struct {
	Name   string
	Values url.Values
	Errs   map[string]string
}

func newIvForm(r *http.Request, name string) ivForm {
	return ivForm{Name: name, Values: r.PostForm, Errs: map[string]string{}}
}

// Is reports whether form was the one submitted.
func (f ivForm) Is(form string) bool { return f.Name != "" && f.Name == form }

// Val is the submitted value of input when form was submitted, else def.
func (f ivForm) Val(form, input string, def any) string {
	if f.Is(form) && f.Values != nil {
		return f.Values.Get(input)
	}
	if def == nil {
		return ""
	}
	return fmt.Sprint(def)
}

// Sel is whether value is chosen in a select or checkbox: as submitted, else def.
func (f ivForm) Sel(form, input, value string, def bool) bool {
	if f.Is(form) && f.Values != nil {
		return slices.Contains(f.Values[input], value)
	}
	return def
}

// Err is the message beside input when form was submitted.
func (f ivForm) Err(form, input string) string {
	if !f.Is(form) {
		return ""
	}
	return f.Errs[input]
}

// put keeps the first message for an input.
func (f *ivForm) put(input, msg string) {
	if f.Errs == nil {
		f.Errs = map[string]string{}
	}
	if _, ok := f.Errs[input]; !ok {
		f.Errs[input] = msg
	}
}

// ivUnitName names a unit the actor sees, or gives its code when the actor does not see it
// (an agency reporter reading where its intervention works).
func (h *interventionsWeb) ivUnitName(ctx context.Context, a access.Actor, id int64, lang string, cache map[int64]string) string {
	if n, ok := cache[id]; ok {
		return n
	}
	n := "#" + itoa(id)
	if u, err := h.org.Unit(ctx, a, id); err == nil {
		n = u.Name(lang)
	}
	cache[id] = n
	return n
}

// dateParam reads an optional date from the query; a bad one is a field error.
func dateParam(r *http.Request, name string, es *valid.Errors) string {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	es.Date(name, v)
	return v
}

// ---- /plans ----

type ivPlanLine struct {
	Plan          plans.WorkPlan
	Title         string
	UnitName      string
	Interventions int
}

type ivHomeData struct {
	Lines   []ivPlanLine
	Units   []resOption
	CanEdit bool
	Year    int
	F       ivForm
}

func (h *interventionsWeb) homeData(r *http.Request, a access.Actor) (ivHomeData, error) {
	ctx := r.Context()
	lang := reqCtx(r).tr.Lang
	d := ivHomeData{CanEdit: a.Can(access.EditPlans), Year: yearOf(h.svc.Today())}
	ps, err := h.svc.WorkPlans(ctx, a)
	if err != nil {
		return d, err
	}
	ivs, err := h.svc.Interventions(ctx, a, 0)
	if err != nil {
		return d, err
	}
	count := map[int64]int{}
	for _, iv := range ivs {
		count[iv.WorkPlanID]++
	}
	for _, p := range ps {
		d.Lines = append(d.Lines, ivPlanLine{Plan: p, Title: p.Title(lang), UnitName: p.UnitName(lang), Interventions: count[p.ID]})
	}
	if d.CanEdit {
		d.Units, err = h.planUnits(ctx, a, lang)
	}
	return d, err
}

func yearOf(date string) int {
	y, _ := strconv.Atoi(date[:min(4, len(date))])
	return y
}

// planUnits are the units a work plan may be made for: the actor's own unit when it is the
// national office or a province, and the provinces below it.
func (h *interventionsWeb) planUnits(ctx context.Context, a access.Actor, lang string) ([]resOption, error) {
	var out []resOption
	own, err := h.org.Unit(ctx, a, a.UnitID)
	if err != nil {
		return nil, err
	}
	if own.Level == org.National || own.Level == org.Provincial {
		out = append(out, resOption{Value: itoa(own.ID), Label: own.Name(lang)})
	}
	if own.Level == org.National {
		provs, _, err := h.org.Units(ctx, a, org.UnitQuery{Level: org.Provincial, Limit: 1000})
		if err != nil {
			return nil, err
		}
		sortUnits(provs, lang)
		for _, u := range provs {
			out = append(out, resOption{Value: itoa(u.ID), Label: "· " + u.Name(lang)})
		}
	}
	return out, nil
}

func (h *interventionsWeb) home(w http.ResponseWriter, r *http.Request, a access.Actor) {
	d, err := h.homeData(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "plans_home", &Page{Title: reqCtx(r).tr.T("pw.title"), Data: d})
}

func (h *interventionsWeb) planCreate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	r.ParseForm()
	var es valid.Errors
	year, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("year")))
	if err != nil {
		es.Add("year", "year")
	}
	var p plans.WorkPlan
	if err = es.Err(); err == nil {
		p, err = h.svc.CreateWorkPlan(r.Context(), a, plans.WorkPlanInput{UnitID: formInt(r, "unit_id"), Year: year,
			TitleZH: r.PostFormValue("title_zh"), TitleEN: r.PostFormValue("title_en")})
	}
	if err == nil {
		h.flash(r, "flash.saved")
		http.Redirect(w, r, "/plans/"+itoa(p.ID), http.StatusSeeOther)
		return
	}
	fes, err := formErrors(err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.homeData(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.F = newIvForm(r, "plan")
	for _, e := range fes {
		d.F.put(e.Field, tr.FieldError(e))
	}
	h.render(w, r, http.StatusUnprocessableEntity, "plans_home", &Page{Title: tr.T("pw.title"), Data: d, Errors: fes})
}

// ---- /plans/{id} ----

type ivInterventionLine struct {
	IV       plans.Intervention
	Title    string
	Format   string
	Agency   string
	Budget   string
	Statuses []ivStatusCount
}

type ivStatusCount struct {
	Status string
	Label  string
	N      int
}

// ivBudgetRow is one row of the budget lines on the intervention form.
type ivBudgetRow struct {
	N                      int
	Item, Amount, Currency ivInput
}

type ivIndicatorRow struct {
	N            int
	Code, Target ivInput
}

type ivPlanData struct {
	Plan          plans.WorkPlan
	Title         string
	UnitName      string
	Lines         []ivInterventionLine
	CanCreate     bool
	Formats       []resOption
	Agencies      []resOption
	Locations     []resOption
	Indicators    []string
	Budget        []ivBudgetRow
	IndicatorRows []ivIndicatorRow
	Advance       string
	Grace         int
	F             ivForm
}

func (h *interventionsWeb) planData(r *http.Request, a access.Actor, id int64, f ivForm) (ivPlanData, error) {
	ctx := r.Context()
	tr := reqCtx(r).tr
	p, err := h.svc.WorkPlan(ctx, a, id)
	if err != nil {
		return ivPlanData{}, err
	}
	d := ivPlanData{Plan: p, Title: p.Title(tr.Lang), UnitName: p.UnitName(tr.Lang), F: f,
		Advance: ivPercent(float64(plans.DefaultAdvanceShare) / 10000), Grace: plans.DefaultGraceDays}
	ivs, err := h.svc.Interventions(ctx, a, p.ID)
	if err != nil {
		return d, err
	}
	for _, iv := range ivs {
		line := ivInterventionLine{IV: iv, Title: iv.Title(tr.Lang), Format: ivFormatName(iv.Format, tr.Lang), Agency: iv.Agency(tr.Lang),
			Budget: ivMoney(iv.Budget) + " " + iv.Currency}
		reps, err := h.svc.Reports(ctx, a, iv.ID)
		if err != nil {
			return d, err
		}
		counts := map[string]int{}
		for _, rep := range reps {
			counts[rep.Status]++
		}
		for _, st := range ivStatuses {
			if counts[st] > 0 {
				line.Statuses = append(line.Statuses, ivStatusCount{Status: st, Label: tr.T("pw.status." + st), N: counts[st]})
			}
		}
		d.Lines = append(d.Lines, line)
	}
	// The form is offered where the actor plans: in its own area, with plans.edit.
	unit, err := h.org.Unit(ctx, a, p.UnitID)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, access.ErrForbidden) {
		return d, nil
	} else if err != nil {
		return d, err
	}
	d.CanCreate = a.Can(access.EditPlans) && a.PartnerID == 0
	if !d.CanCreate {
		return d, nil
	}
	for _, fm := range plans.Formats {
		d.Formats = append(d.Formats, resOption{Value: fm.Code, Label: fm.Name(tr.Lang) + " (" + fm.Abbrev + ")"})
	}
	ps, _, err := h.org.Partners(ctx, a, org.PartnerQuery{RootID: unit.ID, Limit: 1000})
	if err != nil {
		return d, err
	}
	for _, pt := range ps {
		d.Agencies = append(d.Agencies, resOption{Value: itoa(pt.ID), Label: pt.Name(tr.Lang) + " (" + pt.Code + ")"})
	}
	us, _, err := h.org.Units(ctx, a, org.UnitQuery{RootID: unit.ID, Limit: 1000})
	if err != nil {
		return d, err
	}
	for _, u := range us {
		d.Locations = append(d.Locations, resOption{Value: itoa(u.ID), Label: strings.Repeat("· ", int(u.Level-unit.Level)) + u.Name(tr.Lang)})
	}
	fws, err := h.res.Frameworks(ctx, a)
	if err != nil {
		return d, err
	}
	seen := map[string]bool{}
	for _, fw := range fws {
		inds, err := h.res.Indicators(ctx, a, fw.Code)
		if err != nil {
			return d, err
		}
		for _, ind := range inds {
			if !seen[ind.Code] {
				seen[ind.Code] = true
				d.Indicators = append(d.Indicators, ind.Code)
			}
		}
	}
	slices.Sort(d.Indicators)
	for i := 1; i <= ivBudgetRows; i++ {
		n := strconv.Itoa(i)
		cell := func(field, def string) ivInput {
			in := newIvInput(field+"_"+n, f.Val("iv", field+"_"+n, def))
			in.Label, in.Err = tr.T("pw.cell_label", "Field", tr.T("field."+field), "N", i), f.Err("iv", in.Name)
			return in
		}
		row := ivBudgetRow{N: i, Item: cell("budget_item", ""), Amount: cell("amount", ""), Currency: cell("currency", "CNY")}
		row.Amount.Mode = "decimal"
		d.Budget = append(d.Budget, row)
	}
	for i := 1; i <= ivIndicatorRows; i++ {
		n := strconv.Itoa(i)
		row := ivIndicatorRow{N: i, Code: newIvInput("indicator_"+n, f.Val("iv", "indicator_"+n, "")), Target: newIvInput("target_"+n, f.Val("iv", "target_"+n, ""))}
		row.Code.Err, row.Target.Err = f.Err("iv", row.Code.Name), f.Err("iv", row.Target.Name)
		row.Code.Label = tr.T("pw.cell_label", "Field", tr.T("field.indicator"), "N", i)
		row.Target.Label = tr.T("pw.cell_label", "Field", tr.T("field.target"), "N", i)
		row.Code.List, row.Target.Mode = "indicator-codes", "decimal"
		d.IndicatorRows = append(d.IndicatorRows, row)
	}
	return d, nil
}

// ivStatuses are the report statuses in workflow order.
var ivStatuses = []string{plans.StatusDraft, plans.StatusSubmitted, plans.StatusReviewed, plans.StatusReturned, plans.StatusApproved}

func (h *interventionsWeb) planShow(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	d, err := h.planData(r, a, id, ivForm{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "plans_plan", &Page{Title: d.Title, Data: d})
}

// ivFormRows remembers which form row each line given to the domain came from, so its errors
// go back beside the right inputs with the row number the user sees.
type ivFormRows struct {
	budget     []int
	indicators []int
}

// interventionFromForm reads the intervention form. Amounts, percentages and numbers that do
// not parse are reported here (by form row), as the domain never sees them.
func interventionFromForm(r *http.Request, planID int64) (plans.InterventionPlan, ivFormRows, valid.Errors) {
	var es valid.Errors
	var rows ivFormRows
	in := plans.InterventionPlan{WorkPlanID: planID, Code: r.PostFormValue("code"), TitleZH: r.PostFormValue("title_zh"), TitleEN: r.PostFormValue("title_en"),
		AgencyID: formInt(r, "agency_id"), Rules: plans.InterventionInput{Format: r.PostFormValue("format"),
			StartOn: strings.TrimSpace(r.PostFormValue("start_on")), EndOn: strings.TrimSpace(r.PostFormValue("end_on")), AdvanceShare: plans.DefaultAdvanceShare}}
	if s := strings.TrimSpace(r.PostFormValue("advance_share")); s != "" {
		v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e6 {
			es.Add("advance_share", "number")
		} else {
			in.Rules.AdvanceShare = int(math.Round(v * 100))
		}
	}
	if s := strings.TrimSpace(r.PostFormValue("grace_days")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			es.Add("grace_days", "number")
		}
		in.GraceDays = n
	}
	for _, v := range r.PostForm["locations"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.Locations = append(in.Locations, id)
		}
	}
	for i := 1; i <= ivBudgetRows; i++ {
		n := strconv.Itoa(i)
		item, amount := strings.TrimSpace(r.PostFormValue("budget_item_"+n)), strings.TrimSpace(r.PostFormValue("amount_"+n))
		if item == "" && amount == "" {
			continue
		}
		line := plans.BudgetLine{Item: item, Currency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency_" + n)))}
		// Rows count the lines given to the domain, as its own errors do; ivRowInput turns
		// both into form rows.
		row := len(in.Rules.Budget) + 1
		if amount == "" {
			es = append(es, valid.FieldError{Row: row, Field: "amount", Rule: "required"})
		} else if v, err := plans.ParseAmount(amount); err != nil {
			es = append(es, valid.FieldError{Row: row, Field: "amount", Rule: "amount"})
		} else {
			line.Amount = v
		}
		in.Rules.Budget = append(in.Rules.Budget, line)
		rows.budget = append(rows.budget, i)
	}
	for i := 1; i <= ivIndicatorRows; i++ {
		n := strconv.Itoa(i)
		code := strings.TrimSpace(r.PostFormValue("indicator_" + n))
		if code == "" {
			continue
		}
		t := plans.TargetInput{Code: code}
		if v, ok := resParseNum(r.PostFormValue("target_" + n)); !ok {
			es = append(es, valid.FieldError{Row: len(in.Indicators) + 1, Field: "target", Rule: "number"})
		} else {
			t.Target = v
		}
		in.Indicators = append(in.Indicators, t)
		rows.indicators = append(rows.indicators, i)
	}
	return in, rows, es
}

// ivRowInput names the input a failure of the intervention form belongs beside, with its row
// turned into the form's row number.
func ivRowInput(e valid.FieldError, rows ivFormRows) (string, valid.FieldError) {
	pick := func(list []int) int {
		if e.Row >= 1 && e.Row <= len(list) {
			return list[e.Row-1]
		}
		return e.Row
	}
	switch e.Field {
	case "budget_item", "currency", "amount":
		e.Row = pick(rows.budget)
		return fmt.Sprintf("%s_%d", e.Field, e.Row), e
	case "indicators":
		e.Row = pick(rows.indicators)
		return fmt.Sprintf("indicator_%d", e.Row), e
	case "target":
		e.Row = pick(rows.indicators)
		return fmt.Sprintf("target_%d", e.Row), e
	case "locations":
		e.Row = 0 // the position in the multi-select means nothing to the reader
	}
	return e.Field, e
}

func (h *interventionsWeb) interventionCreate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	if _, err := h.svc.WorkPlan(r.Context(), a, id); err != nil {
		h.fail(w, r, err)
		return
	}
	r.ParseForm()
	in, rows, es := interventionFromForm(r, id)
	var err error
	var iv plans.Intervention
	if len(es) > 0 {
		// Say everything at once: the format's rules too, on the lines as read — except the
		// budget's total, which an amount that could not be read makes meaningless.
		for _, e := range plans.CheckIntervention(in.Rules) {
			if e.Field != "budget" {
				es = append(es, e)
			}
		}
		err = es
	} else {
		iv, err = h.svc.CreateIntervention(r.Context(), a, in)
	}
	if err == nil {
		h.flash(r, "flash.saved")
		http.Redirect(w, r, "/plans/interventions/"+itoa(iv.ID), http.StatusSeeOther)
		return
	}
	fes, err := formErrors(err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := newIvForm(r, "iv")
	var shown valid.Errors
	for _, e := range fes {
		input, e := ivRowInput(e, rows)
		if _, dup := f.Errs[input]; dup {
			continue
		}
		f.put(input, tr.FieldError(e))
		shown = append(shown, e)
	}
	d, err := h.planData(r, a, id, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusUnprocessableEntity, "plans_plan", &Page{Title: d.Title, Data: d, Errors: shown})
}

// ---- /plans/interventions/{id} ----

type ivReportLine struct {
	R      plans.Report
	Kind   string
	Status string
}

type ivTrancheLine struct {
	T          plans.StoredTranche
	Kind       string
	Amount     string
	WaitsOn    string
	Settle     string // the final tranche's settlement, when it can be released
	Window     string // the dates a release may bear, when it can be released
	Refund     string
	CanRelease bool
	On         ivInput
	Reference  ivInput
}

type ivSpending struct {
	Budget, Released, Spent string
	Unpaid, Refund          string // after the final tranche; "" when nothing
	SpentPct, TimePct, Pace string
	Status, StatusLabel     string
	SpentBar, TimeBar       string // widths of the bars, 0-100
}

type ivIndicatorLine struct {
	Code, Name, Target string
}

type ivShowData struct {
	IV         plans.Intervention
	Title      string
	Agency     string
	Format     string
	Plan       *plans.WorkPlan
	PlanTitle  string
	Budget     string
	Advance    string
	Lines      []ivLineView
	Reports    []ivReportLine
	Tranches   []ivTrancheLine
	Spending   ivSpending
	Locations  []string
	Indicators []ivIndicatorLine
	CanRelease bool
	Today      string
}

type ivLineView struct {
	Item, Amount string
}

func (h *interventionsWeb) interventionData(r *http.Request, a access.Actor, id int64, f ivForm) (ivShowData, error) {
	ctx := r.Context()
	tr := reqCtx(r).tr
	iv, err := h.svc.Intervention(ctx, a, id)
	if err != nil {
		return ivShowData{}, err
	}
	d := ivShowData{IV: iv, Title: iv.Title(tr.Lang), Agency: iv.Agency(tr.Lang), Format: ivFormatName(iv.Format, tr.Lang),
		Budget: ivMoney(iv.Budget) + " " + iv.Currency, Advance: ivPercent(float64(iv.AdvanceShare) / 10000),
		CanRelease: a.Can(access.ReleaseFunds), Today: h.svc.Today()}
	if p, err := h.svc.WorkPlan(ctx, a, iv.WorkPlanID); err == nil {
		d.Plan, d.PlanTitle = &p, p.Title(tr.Lang)
	} else if !errors.Is(err, store.ErrNotFound) {
		return d, err
	}
	for _, l := range iv.Lines {
		d.Lines = append(d.Lines, ivLineView{Item: l.Item, Amount: ivMoney(l.Amount)})
	}
	reps, err := h.svc.Reports(ctx, a, id)
	if err != nil {
		return d, err
	}
	status := map[int]string{}
	for _, rep := range reps {
		status[rep.Seq] = rep.Status
		d.Reports = append(d.Reports, ivReportLine{R: rep, Kind: tr.T("report." + rep.Kind), Status: tr.T("pw.status." + rep.Status)})
	}
	ts, err := h.svc.Tranches(ctx, a, id)
	if err != nil {
		return d, err
	}
	money := func(v int64) string { return ivMoney(v) + " " + iv.Currency }
	for _, t := range ts {
		line := ivTrancheLine{T: t, Kind: tr.T("pw.tranche." + t.Kind), Amount: money(t.Amount),
			CanRelease: d.CanRelease && t.Releasable}
		switch {
		case t.ReleaseDated != "":
			line.WaitsOn = tr.T("pw.release_dated", "Date", t.ReleaseDated)
		case t.Kind == plans.AdvanceTranche:
			line.WaitsOn = tr.T("pw.waits_launch")
		case t.HeldFor != 0:
			line.WaitsOn = tr.T("pw.waits_earlier_report", "Seq", t.HeldFor)
		case t.AfterTranche != 0:
			line.WaitsOn = tr.T("pw.waits_earlier_tranche", "Seq", t.AfterTranche)
		default:
			line.WaitsOn = tr.T("pw.waits_report", "Seq", t.ReportSeq, "Status", tr.T("pw.status."+status[t.ReportSeq]))
		}
		if t.ReleasedOn != "" && t.Paid != t.Amount {
			line.Amount = tr.T("pw.planned_paid", "Paid", money(t.Paid), "Planned", money(t.Amount))
		}
		if t.Kind == plans.FinalReport && t.Releasable {
			line.Settle = tr.T("pw.settle", "Pay", money(t.Payable), "Spent", money(t.Spent), "Before", money(t.ReleasedBefore), "Planned", money(t.Amount))
			if t.Refund > 0 {
				line.Refund = tr.T("pw.refund_due", "Refund", money(t.Refund))
			}
		}
		if t.Releasable {
			line.Window = tr.T("pw.release_window", "From", t.ReleasableFrom, "To", d.Today)
		}
		form := "release-" + itoa(t.ID)
		line.On = newIvInput("released_on", f.Val(form, "released_on", d.Today))
		line.On.ID = "in-released_on-" + itoa(t.ID)
		line.On.Err = f.Err(form, "released_on")
		line.Reference = newIvInput("reference", f.Val(form, "reference", ""))
		line.Reference.ID = "in-reference-" + itoa(t.ID)
		line.Reference.Err = f.Err(form, "reference")
		if e := f.Err(form, "tranche"); e != "" {
			line.On.Err = e
		}
		d.Tranches = append(d.Tranches, line)
	}
	sp, err := h.svc.SpendingOf(ctx, a, id, "")
	if err != nil {
		return d, err
	}
	d.Spending = ivSpending{Budget: ivMoney(sp.Budget), Released: ivMoney(sp.Released), Spent: ivMoney(sp.Spent),
		SpentPct: ivPercent(sp.Burn.SpentShare), TimePct: ivPercent(sp.Burn.TimeShare), Pace: strconv.FormatFloat(math.Round(sp.Burn.Pace*100)/100, 'f', -1, 64),
		Status: sp.Status, StatusLabel: tr.T("burn." + sp.Status),
		SpentBar: ivPercent(math.Min(1, sp.Burn.SpentShare)), TimeBar: ivPercent(sp.Burn.TimeShare)}
	if sp.Unpaid > 0 {
		d.Spending.Unpaid = ivMoney(sp.Unpaid)
	}
	if sp.RefundDue > 0 {
		d.Spending.Refund = ivMoney(sp.RefundDue)
	}
	names := map[int64]string{}
	for _, u := range iv.Locations {
		d.Locations = append(d.Locations, h.ivUnitName(ctx, a, u, tr.Lang, names))
	}
	for _, t := range iv.Indicators {
		line := ivIndicatorLine{Code: t.Code, Target: resNumPtr(t.Target)}
		if ind, err := h.res.IndicatorByCode(ctx, a, t.Code); err == nil {
			line.Name = ind.Name(tr.Lang)
		}
		d.Indicators = append(d.Indicators, line)
	}
	return d, nil
}

func (h *interventionsWeb) interventionShow(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	d, err := h.interventionData(r, a, id, ivForm{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "plans_intervention", &Page{Title: d.IV.Code + " " + d.Title, Data: d})
}

// trancheRelease records a release and returns to the intervention; refused, it shows the
// intervention again with the message beside that tranche's form.
func (h *interventionsWeb) trancheRelease(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	r.ParseForm()
	_, err := h.svc.Release(r.Context(), a, id, strings.TrimSpace(r.PostFormValue("released_on")), r.PostFormValue("reference"))
	ivID := formInt(r, "intervention_id")
	if err == nil {
		h.flash(r, "pw.released")
		http.Redirect(w, r, "/plans/interventions/"+itoa(ivID)+"#tranches", http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := newIvForm(r, "release-"+itoa(id))
	for _, e := range es {
		f.put(e.Field, tr.FieldError(e))
	}
	d, err := h.interventionData(r, a, ivID, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusUnprocessableEntity, "plans_intervention", &Page{Title: d.IV.Code + " " + d.Title, Data: d, Errors: es})
}
