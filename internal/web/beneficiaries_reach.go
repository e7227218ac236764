package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/valid"
)

// ---- /reach ----

// LifeOfProject is the first month of "life of project" reach: before the programme's first
// phase began no service was recorded.
const lifeOfProject = "2010-01"

// reachForm is the reach filter as asked, with the dimension the table breaks down by.
type reachForm struct {
	Unit                   int64
	From, To               string
	Type, Sex, Group       string
	Age, AgeMin, AgeMax    string
	By                     string
	Errs                   map[string]string
	Query                  beneficiaries.ReachQuery
	failures               valid.Errors
	defaultFrom, defaultTo string
}

// monthsBefore is the month n months before month ('YYYY-MM').
func monthsBefore(month string, n int) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return t.AddDate(0, -n, 0).Format("2006-01")
}

// readReach reads the reach filter from a query: the unit (default the actor's), the months
// (default the twelve up to this one), service types, sex, an age band or bounds, target groups;
// and what the table breaks down by (default service type; the domain checks it).
func (h *cardsWeb) readReach(q url.Values, a access.Actor) reachForm {
	f := reachForm{Unit: a.UnitID, Type: q.Get("type"), Sex: q.Get("sex"), Group: q.Get("group"), Age: q.Get("age"),
		AgeMin: strings.TrimSpace(q.Get("age_min")), AgeMax: strings.TrimSpace(q.Get("age_max")), By: strings.TrimSpace(q.Get("by")), Errs: map[string]string{}}
	if f.By == "" {
		f.By = "service_type"
	}
	if u, err := strconv.ParseInt(q.Get("unit"), 10, 64); err == nil && u > 0 {
		f.Unit = u
	}
	f.defaultTo = h.dateToday()[:7]
	f.defaultFrom = monthsBefore(f.defaultTo, 11)
	f.From, f.To = strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to"))
	if f.From == "" {
		f.From = f.defaultFrom
	}
	if f.To == "" {
		f.To = f.defaultTo
	}
	rq := beneficiaries.ReachQuery{UnitID: f.Unit, From: f.From, To: f.To}
	for _, t := range q["type"] {
		if t = strings.TrimSpace(t); t != "" {
			rq.Types = append(rq.Types, t)
		}
	}
	for _, g := range q["group"] {
		if g = strings.TrimSpace(g); g != "" {
			rq.Groups = append(rq.Groups, g)
		}
	}
	rq.Sex = strings.TrimSpace(f.Sex)
	var es valid.Errors
	switch {
	case f.Age != "" && f.Age != "custom":
		lo, hi, ok := analytics.ParseAgeBand(f.Age)
		if !ok {
			es.Add("age_band", "age_band")
		}
		rq.Aged, rq.AgeMin, rq.AgeMax = true, lo, hi
	case f.AgeMin != "" || f.AgeMax != "":
		rq.Aged, rq.AgeMax = true, 200
		if f.AgeMin != "" {
			n, err := strconv.Atoi(f.AgeMin)
			if err != nil || n < 0 {
				es.Add("age_min", "whole_number")
			}
			rq.AgeMin = n
		}
		if f.AgeMax != "" {
			n, err := strconv.Atoi(f.AgeMax)
			if err != nil || n < 0 {
				es.Add("age_max", "whole_number")
			}
			rq.AgeMax = n
		}
		if len(es) == 0 && rq.AgeMax < rq.AgeMin {
			es.Add("age_max", "not_below_age_min", strconv.Itoa(rq.AgeMin))
		}
	}
	if rq.Sex != "" && !strings.Contains(strings.Join(beneficiaries.Sexes, ","), rq.Sex) {
		es.OneOf("sex", rq.Sex, beneficiaries.Sexes)
	}
	if err := beneficiaries.CheckSpan(f.From, f.To); err != nil {
		if ve, ok := valid.As(err); ok {
			es = append(es, ve...)
		}
	}
	f.Query, f.failures = rq, es
	return f
}

// reachRow is one unit's row of the table, its counts as the viewer may see them.
type reachRow struct {
	Unit  org.Unit
	Cells []beneficiaries.ReachCell
	Total beneficiaries.ReachCell
}

type reachData struct {
	Unit                                        org.Unit
	Crumbs                                      []org.Unit
	F                                           reachForm
	Figure                                      beneficiaries.ReachCell // the unit's reach: Own.Total
	Asked                                       bool
	Heads                                       []string // the message ids of the table's columns
	Own                                         reachRow
	Rows                                        []reachRow
	Exact                                       bool // the viewer sees counts exactly (else small ones are hidden)
	MinCell                                     int
	Sexes, Groups, AllTypes, Bands, Bys         []string
	Life, Last12, Export, ExportXLSX, DriftLink string
	asked                                       url.Values // the page's query, for At
}

// At is this page's question asked of another unit: moving up or down the network keeps the
// period, the filters and the breakdown.
func (d reachData) At(unit int64) string {
	return reachLink("/reach", d.asked, "unit", itoa(unit), "from", d.F.From, "to", d.F.To)
}

// reachHeadPrefix is the message family of each breakdown's column keys.
var reachHeadPrefix = map[string]string{"service_type": "stype.", "sex": "sex.", "age": "ageband.", "group": "tgroup."}

// reachTable computes the figure and the table, the unit then each unit directly below it,
// broken down as asked, with the counts disclosed as the domain says for the viewer (export:
// suppressed whoever asks).
func (h *cardsWeb) reachTable(r *http.Request, a access.Actor, f reachForm, export bool) (reachData, error) {
	ctx := r.Context()
	d := reachData{F: f, Sexes: beneficiaries.Sexes, Groups: beneficiaries.Groups, AllTypes: beneficiaries.ServiceTypes, Bys: beneficiaries.Breakdowns,
		Exact: beneficiaries.Exact(a) && !export, MinCell: beneficiaries.MinCell}
	for _, b := range beneficiaries.AgeBands {
		d.Bands = append(d.Bands, b.Key)
	}
	u, err := h.org.Unit(ctx, a, f.Unit)
	if err != nil {
		return d, err
	}
	d.Unit = u
	if d.Crumbs, err = h.org.Ancestors(ctx, a, u); err != nil {
		return d, err
	}
	if len(f.failures) > 0 {
		return d, f.failures
	}
	kids, err := h.org.Children(ctx, a, u.ID)
	if err != nil {
		return d, err
	}
	sortUnits(kids, reqCtx(r).tr.Lang)
	ids := make([]int64, len(kids))
	for i, k := range kids {
		ids[i] = k.ID
	}
	q := f.Query
	q.UnitID = u.ID
	g, err := h.svc.ReachTable(ctx, a, q, f.By, ids, export)
	if es, ok := valid.As(err); ok && f.Age != "" && f.Age != "custom" {
		// Ages asked as a band (not typed as bounds) that the domain refuses are said once,
		// beside the band's choice.
		var out valid.Errors
		band := false
		for _, e := range es {
			if e.Field == "age_min" || e.Field == "age_max" {
				if band {
					continue
				}
				e.Field, band = "age_band", true
			}
			out = append(out, e)
		}
		err = out
	}
	if err != nil {
		return d, err
	}
	for _, k := range g.Keys {
		d.Heads = append(d.Heads, reachHeadPrefix[g.By]+k)
	}
	d.Own = reachRow{Unit: u, Cells: g.Rows[0].Cells, Total: g.Rows[0].Total}
	d.Figure = d.Own.Total
	for i, k := range kids {
		row := g.Rows[i+1]
		if row.Total.People == 0 && !row.Total.Suppressed && k.Closed() {
			continue
		}
		d.Rows = append(d.Rows, reachRow{Unit: k, Cells: row.Cells, Total: row.Total})
	}
	d.Asked = true
	return d, nil
}

// reachLink is the reach page (or export) for the same filter with some parameters changed.
func reachLink(base string, q url.Values, set ...string) string {
	v := url.Values{}
	for k, vs := range q {
		if k != "lang" && k != "offset" {
			v[k] = vs
		}
	}
	for i := 0; i+1 < len(set); i += 2 {
		if set[i+1] == "" {
			v.Del(set[i])
		} else {
			v.Set(set[i], set[i+1])
		}
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

func (h *cardsWeb) reach(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.ViewReach); err != nil {
		h.fail(w, r, err)
		return
	}
	tr := reqCtx(r).tr
	q := r.URL.Query()
	f := h.readReach(q, a)
	d, err := h.reachTable(r, a, f, false)
	status := http.StatusOK
	var es valid.Errors
	if err != nil {
		if es, err = formErrors(err); err != nil {
			h.fail(w, r, err)
			return
		}
		status = http.StatusUnprocessableEntity
		for _, e := range es {
			d.F.Errs[e.Field] = h.say(tr, e)
		}
	}
	unit := itoa(d.Unit.ID)
	d.asked = q
	d.Life = reachLink("/reach", q, "unit", unit, "from", lifeOfProject, "to", f.defaultTo)
	d.Last12 = reachLink("/reach", q, "unit", unit, "from", "", "to", "")
	d.Export = reachLink("/reach/export.csv", q, "unit", unit, "from", f.From, "to", f.To)
	d.ExportXLSX = reachLink("/reach/export.xlsx", q, "unit", unit, "from", f.From, "to", f.To)
	h.render(w, r, status, "reach_home", &Page{Title: tr.T("reach.title"), Data: d, Errors: h.shown(es, nil)})
}

// reachAnswer is the API's reach figure: suppressed (people 0) when the caller may not see it
// exactly and it is from 1 to MinCell-1.
type reachAnswer struct {
	reachBody
	Suppressed bool `json:"suppressed"`
}

// reachExport exports the table as CSV or XLSX, broken down as the page is, with every count
// from 1 to MinCell-1 suppressed (and, where one cell alone would be hidden in a row or column,
// the next smallest with it), as every aggregate export must be, whoever asks.
func (h *cardsWeb) reachExport(format string) func(w http.ResponseWriter, r *http.Request, a access.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a access.Actor) { h.reachTableExport(w, r, a, format) }
}

func (h *cardsWeb) reachTableExport(w http.ResponseWriter, r *http.Request, a access.Actor, format string) {
	if err := a.Require(access.ViewReach); err != nil {
		h.fail(w, r, err)
		return
	}
	tr := reqCtx(r).tr
	f := h.readReach(r.URL.Query(), a)
	d, err := h.reachTable(r, a, f, true)
	if err != nil {
		if es, ok := valid.As(err); ok {
			for _, e := range es {
				d.F.Errs[e.Field] = h.say(tr, e)
			}
			h.render(w, r, http.StatusUnprocessableEntity, "reach_home", &Page{Title: tr.T("reach.title"), Data: d, Errors: h.shown(es, nil)})
			return
		}
		h.fail(w, r, err)
		return
	}
	small := tr.T("reach.suppressed")
	shown := func(c beneficiaries.ReachCell) any {
		if c.Suppressed {
			return small
		}
		return c.People
	}
	header := []string{tr.T("field.code"), tr.T("field.unit")}
	for _, k := range d.Heads {
		header = append(header, tr.T(k))
	}
	header = append(header, tr.T("reach.all_services"))
	var recs [][]any
	for _, row := range append([]reachRow{d.Own}, d.Rows...) {
		rec := []any{row.Unit.Code, row.Unit.Name(tr.Lang)}
		for _, c := range row.Cells {
			rec = append(rec, shown(c))
		}
		recs = append(recs, append(rec, shown(row.Total)))
	}
	name := "reach-" + d.Unit.Code + "-" + f.From + "-" + f.To
	if f.By != "service_type" {
		name += "-" + f.By
	}
	serveTable(w, r, format, "reach", name, header, recs)
}

// ---- /reach/drift ----

type driftData struct {
	Unit    org.Unit
	Report  beneficiaries.DriftReport
	Asked   bool
	Exact   bool // the viewer sees counts exactly (else small ones are withheld)
	MinCell int
	Form    map[string]string
	Errs    map[string]string
}

// driftQuery reads the drift filter: the unit (default the actor's), the end of the window,
// its length, the target ages and the threshold; blanks take the domain's defaults.
func driftQuery(q url.Values, a access.Actor) (beneficiaries.DriftQuery, map[string]string, valid.Errors) {
	form := map[string]string{}
	for _, k := range []string{"unit", "as_of", "months", "age_min", "age_max", "threshold"} {
		form[k] = strings.TrimSpace(q.Get(k))
	}
	dq := beneficiaries.DriftQuery{UnitID: a.UnitID, AsOf: form["as_of"]}
	var es valid.Errors
	if form["unit"] != "" {
		id, err := strconv.ParseInt(form["unit"], 10, 64)
		if err != nil {
			es.Add("unit", "whole_number")
		}
		dq.UnitID = id
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"months", &dq.Months}, {"age_min", &dq.AgeMin}, {"age_max", &dq.AgeMax}} {
		if v := form[p.name]; v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				es.Add(p.name, "whole_number")
			}
			*p.dst = n
		}
	}
	if v := form["threshold"]; v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			es.Add("threshold", "number")
		}
		dq.Threshold = x
	}
	return dq, form, es
}

func (h *cardsWeb) drift(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.ViewReach); err != nil {
		h.fail(w, r, err)
		return
	}
	tr := reqCtx(r).tr
	dq, form, es := driftQuery(r.URL.Query(), a)
	d := driftData{Exact: beneficiaries.Exact(a), MinCell: beneficiaries.MinCell, Form: form, Errs: map[string]string{}}
	u, err := h.org.Unit(r.Context(), a, dq.UnitID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Unit = u
	err = es.Err()
	if err == nil {
		d.Report, err = h.svc.Drift(r.Context(), a, dq)
	}
	status := http.StatusOK
	if err != nil {
		if es, err = formErrors(err); err != nil {
			h.fail(w, r, err)
			return
		}
		status = http.StatusUnprocessableEntity
		for _, e := range es {
			d.Errs[e.Field] = h.say(tr, e)
		}
	} else {
		d.Asked = true
	}
	h.render(w, r, status, "reach_drift", &Page{Title: tr.T("drift.title"), Data: d, Errors: h.shown(es, nil)})
}

// sparkline draws a site's half-yearly shares as the points of an SVG polyline in a box of
// w×ht, with the threshold's height; shares run 0 (bottom) to 1 (top). A half-year whose share
// is withheld from the viewer has no point.
type sparkline struct {
	W, H      int
	Points    string
	Threshold float64
	Last      [2]float64
}

func newSparkline(trend []beneficiaries.DriftPoint, threshold float64) sparkline {
	s := sparkline{W: 120, H: 28}
	s.Threshold = float64(s.H-2) - threshold*float64(s.H-4)
	var pts []string
	step := 0.0
	if len(trend) > 1 {
		step = float64(s.W-4) / float64(len(trend)-1)
	}
	for i, p := range trend {
		if p.Suppressed || p.TargetSuppressed {
			continue
		}
		x := 2 + step*float64(i)
		y := float64(s.H-2) - p.Share*float64(s.H-4)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		s.Last = [2]float64{x, y}
	}
	s.Points = strings.Join(pts, " ")
	return s
}

func init() {
	funcs["spark"] = newSparkline
}

// ---- /reach/feedback ----

type feedbackData struct {
	Unit     org.Unit
	Report   beneficiaries.FeedbackReport
	From, To string
	Units    []resOption
	Types    []string
	Ratings  []int
	Today    string
	CanAdd   bool
	Exact    bool // the viewer sees counts exactly (else small ones are withheld)
	MinCell  int
	Errs     map[string]string
	F        ivForm
}

func (h *cardsWeb) feedbackData(r *http.Request, a access.Actor) (feedbackData, valid.Errors, error) {
	ctx := r.Context()
	q := r.URL.Query()
	d := feedbackData{From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")), Types: beneficiaries.ServiceTypes,
		Ratings: []int{5, 4, 3, 2, 1}, Today: h.dateToday(), CanAdd: a.Can(access.EditCards), Exact: beneficiaries.Exact(a), MinCell: beneficiaries.MinCell,
		Errs: map[string]string{}}
	if err := a.Require(access.ViewReach); err != nil {
		return d, nil, err
	}
	unit := a.UnitID
	if u := queryInt(r, "unit"); u != 0 {
		unit = u
	}
	u, err := h.org.Unit(ctx, a, unit)
	if err != nil {
		return d, nil, err
	}
	d.Unit = u
	var es valid.Errors
	d.Report, err = h.svc.FeedbackSummary(ctx, a, unit, d.From, d.To)
	if err != nil {
		if es, err = formErrors(err); err != nil {
			return d, nil, err
		}
		for _, e := range es {
			d.Errs[e.Field] = h.say(reqCtx(r).tr, e)
		}
	}
	if d.CanAdd {
		d.Units, err = h.scopeUnits(ctx, a, reqCtx(r).tr.Lang)
	}
	return d, es, err
}

func (h *cardsWeb) feedback(w http.ResponseWriter, r *http.Request, a access.Actor) {
	d, es, err := h.feedbackData(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if len(es) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, r, status, "feedback_summary", &Page{Title: reqCtx(r).tr.T("fb.title"), Data: d, Errors: h.shown(es, nil)})
}

func (h *cardsWeb) feedbackAdd(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.EditCards); err != nil {
		h.fail(w, r, err)
		return
	}
	r.ParseForm()
	ctx := r.Context()
	tr := reqCtx(r).tr
	in := beneficiaries.FeedbackInput{SiteID: formInt(r, "site_id"), ServiceType: r.PostFormValue("service_type"), Anonymous: r.PostFormValue("anonymous") != "",
		Date: strings.TrimSpace(r.PostFormValue("date")), Rating: int(formInt(r, "rating")), Comment: r.PostFormValue("comment"), Action: r.PostFormValue("action")}
	var err error
	if number := strings.TrimSpace(r.PostFormValue("card")); number != "" && !in.Anonymous {
		c, cerr := h.svc.CardByNumber(ctx, a, number)
		switch {
		case errors.Is(cerr, store.ErrNotFound):
			err = valid.New("card", "not_found")
		case cerr != nil:
			err = cerr
		default:
			in.CardID = c.ID
		}
	}
	if err == nil {
		_, err = h.svc.AddFeedback(ctx, a, in)
	}
	if err == nil {
		h.flash(r, "fb.saved")
		http.Redirect(w, r, "/reach/feedback?unit="+itoa(in.SiteID), http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, _, err := h.feedbackData(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.F = h.form(r, "feedback", es, func(e valid.FieldError) string {
		if e.Field == "card_id" {
			return "card"
		}
		return e.Field
	}, false)
	h.render(w, r, http.StatusUnprocessableEntity, "feedback_summary", &Page{Title: tr.T("fb.title"), Data: d, Errors: h.shown(es, nil)})
}

// ---- /reach/change ----

type changeData struct {
	Unit        org.Unit
	Instruments []beneficiaries.Instrument
	Instrument  string
	By          string
	Bys         []string
	Report      *beneficiaries.ChangeReport
	Withheld    bool // some group's figures are withheld from the viewer (fewer than MinCell people)
	MinCell     int
	Errs        map[string]string
}

func (h *cardsWeb) change(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.ViewReach); err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	tr := reqCtx(r).tr
	q := r.URL.Query()
	d := changeData{Instrument: strings.TrimSpace(q.Get("instrument")), By: q.Get("by"), Bys: beneficiaries.ChangeBys, MinCell: beneficiaries.MinCell,
		Errs: map[string]string{}}
	unit := a.UnitID
	if u := queryInt(r, "unit"); u != 0 {
		unit = u
	}
	u, err := h.org.Unit(ctx, a, unit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Unit = u
	if d.Instruments, err = h.svc.Instruments(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Instrument == "" && len(d.Instruments) > 0 {
		d.Instrument = d.Instruments[0].Code
	}
	if d.By == "" {
		d.By = "site"
	}
	status := http.StatusOK
	var es valid.Errors
	if d.Instrument != "" {
		rep, err := h.svc.Change(ctx, a, beneficiaries.ChangeQuery{UnitID: unit, Instrument: d.Instrument, By: d.By})
		if err != nil {
			if es, err = formErrors(err); err != nil {
				h.fail(w, r, err)
				return
			}
			status = http.StatusUnprocessableEntity
			for _, e := range es {
				d.Errs[e.Field] = h.say(tr, e)
			}
		} else {
			d.Report = &rep
			d.Withheld = rep.Overall.Suppressed
			for _, row := range rep.Rows {
				d.Withheld = d.Withheld || row.Suppressed
			}
		}
	}
	// reach_change shows the groups the domain withholds from the viewer as such.
	h.render(w, r, status, "reach_change", &Page{Title: tr.T("ms.change_title"), Data: d, Errors: h.shown(es, nil)})
}

// ---- /cards/instruments ----

type instrumentsData struct {
	Instruments []beneficiaries.Instrument
	CanEdit     bool
	F           ivForm
}

func (h *cardsWeb) instrumentsData(r *http.Request, a access.Actor) (instrumentsData, error) {
	d := instrumentsData{CanEdit: a.Can(access.EditInstruments)}
	var err error
	d.Instruments, err = h.svc.Instruments(r.Context())
	return d, err
}

func (h *cardsWeb) instruments(w http.ResponseWriter, r *http.Request, a access.Actor) {
	d, err := h.instrumentsData(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "measure_instruments", &Page{Title: reqCtx(r).tr.T("ms.instruments_title"), Data: d})
}

func (h *cardsWeb) instrumentSave(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.EditInstruments); err != nil {
		h.fail(w, r, err)
		return
	}
	r.ParseForm()
	tr := reqCtx(r).tr
	in := beneficiaries.Instrument{Code: r.PostFormValue("code"), NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en")}
	var err error
	if src := strings.TrimSpace(r.PostFormValue("questions")); src != "" {
		dec := json.NewDecoder(strings.NewReader(src))
		dec.DisallowUnknownFields()
		if dec.Decode(&in.Questions) != nil {
			err = valid.New("questions", "json")
		}
	}
	if err == nil {
		_, err = h.svc.SaveInstrument(r.Context(), a, in)
	}
	if err == nil {
		h.flash(r, "flash.saved")
		http.Redirect(w, r, "/cards/instruments", http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.instrumentsData(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.F = h.form(r, "instrument", es, func(e valid.FieldError) string {
		switch e.Field {
		case "question_text", "options", "option_label":
			return "questions"
		}
		return e.Field
	}, true)
	h.render(w, r, http.StatusUnprocessableEntity, "measure_instruments", &Page{Title: tr.T("ms.instruments_title"), Data: d, Errors: h.shown(es, nil)})
}

// questionsExample is an instrument's questions as the form takes them.
var questionsExample = func() string {
	b, _ := json.MarshalIndent([]beneficiaries.Question{{Code: "q1", TextZH: "……", TextEN: "…", Options: []beneficiaries.Option{
		{Code: "a", LabelZH: "……", LabelEN: "…", Score: 0}, {Code: "b", LabelZH: "……", LabelEN: "…", Score: 1}}}}, "", "  ")
	return string(b)
}()

func init() {
	funcs["questionsExample"] = func() string { return questionsExample }
	funcs["questionsJSON"] = func(qs []beneficiaries.Question) string {
		b, _ := json.MarshalIndent(qs, "", "  ")
		return string(b)
	}
}

// cardsExport exports the cards in scope as CSV or XLSX, de-identified unless identified=1 with
// a reason is asked by someone who may open personal fields (each card opened is then logged by
// the domain).
func (h *cardsWeb) cardsExport(format string) func(w http.ResponseWriter, r *http.Request, a access.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a access.Actor) { h.cardsTableExport(w, r, a, format) }
}

func (h *cardsWeb) cardsTableExport(w http.ResponseWriter, r *http.Request, a access.Actor, format string) {
	tr := reqCtx(r).tr
	q := r.URL.Query()
	unit, _ := strconv.ParseInt(q.Get("unit"), 10, 64)
	identified := q.Get("identified") == "1"
	rows, err := h.svc.ExportCards(r.Context(), a, beneficiaries.CardQuery{UnitID: unit, Group: q.Get("group"), Sex: q.Get("sex")}, identified, q.Get("reason"))
	if err != nil {
		if es, ok := valid.As(err); ok {
			http.Error(w, tr.FieldError(es[0]), http.StatusUnprocessableEntity)
			return
		}
		h.fail(w, r, err)
		return
	}
	header := []string{tr.T("export.row"), tr.T("field.site_id"), tr.T("field.sex"), tr.T("export.birth_year"), tr.T("field.ethnicity"),
		tr.T("field.groups"), tr.T("field.status"), tr.T("export.services"), tr.T("export.first"), tr.T("export.last")}
	if identified {
		header = append(header, tr.T("field.number"), tr.T("field.name"), tr.T("field.id_number"), tr.T("field.phone"), tr.T("field.address"), tr.T("field.guardian"))
	}
	next, stop := iter.Pull2(rows)
	defer stop()
	streamSheet(w, r, format, "cards", "cards", header, func() ([]any, error) {
		e, err, ok := next()
		if !ok || err != nil {
			return nil, err
		}
		rec := []any{e.Row, e.Site, e.Sex, e.BirthYear, e.Ethnicity, strings.Join(e.Groups, ","), e.Status, e.Services, e.FirstService, e.LastService}
		if identified {
			if id := e.Identity; id != nil {
				rec = append(rec, e.Number, id.Name, id.IDNumber, id.Phone, id.Address, id.Guardian)
			} else {
				rec = append(rec, "", "", "", "", "", "")
			}
		}
		return rec, nil
	})
}
