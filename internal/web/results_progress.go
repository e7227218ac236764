package web

import (
	"cmp"
	"encoding/csv"
	"html/template"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/sheet"
)

// The targets-versus-progress table, its drill-down to child units and to the stored values,
// the trend chart and the CSV/XLSX exports. Every figure is computed from stored values by the
// results service; the pages only lay them out and link each to the records behind it.

type resProgressRow struct {
	Row          results.Row
	ElementHead  bool // the first row of its element
	ElementLabel string
	Name         string
	Target       string
	ChildTargets string
	ChildDiffers bool // the children's targets do not add up to this unit's
	Actual       string
	Percent      string
	Bar          resBar
	DrillURL     string
	ValuesURL    string // the records behind the figure

	// Reach is set for an indicator counting the people served, which has no values: its
	// ValuesURL is the reach page for the same unit, months and service types.
	Reach bool
}

type resProgressData struct {
	Frameworks   []results.Framework
	Framework    results.Framework
	HasFramework bool
	Unit         org.Unit
	Ancestors    []org.Unit
	Units        []resOption
	Period       results.Period
	PeriodLabel  string
	Periods      []resOption
	Threshold    int
	Rows         []resProgressRow
	ExportQuery  template.URL // an encoded query: as a URL, the template keeps its = and &
}

// resProgressKinds are the ranges the progress table is asked for.
var resProgressKinds = []string{results.LifeOfProj, results.Year, results.HalfYear, results.Quarter, results.Tertile, results.Month}

func resLinkQuery(ind int64, unit int64, period string, threshold int) string {
	q := url.Values{"indicator": {itoa(ind)}, "unit": {itoa(unit)}, "period": {period}}
	if threshold != resThresholdDefault {
		q.Set("threshold", strconv.Itoa(threshold))
	}
	return q.Encode()
}

// resLayoutRow lays out one row of the table for unit.
func resLayoutRow(tr Tr, row results.Row, unit org.Unit, p results.Period, threshold int) resProgressRow {
	out := resProgressRow{Row: row, Name: row.Indicator.Name(tr.Lang), Target: resNumPtr(row.Target), ChildTargets: resNumPtr(row.ChildTargets),
		ElementLabel: row.Element.Code + " " + row.Element.Name(tr.Lang)}
	out.ChildDiffers = row.ChildTargets != nil && (row.Target == nil || math.Abs(*row.ChildTargets-*row.Target) > 1e-9)
	if row.Actual.Has {
		out.Actual = resNum(row.Actual.Value)
	}
	if row.Percent != nil {
		out.Percent = resNum(math.Round(*row.Percent*10) / 10)
	}
	out.Bar = resProgressBar(tr, row.Percent, row.Status)
	q := resLinkQuery(row.Indicator.ID, unit.ID, p.Key, threshold)
	out.DrillURL = "/results/progress/drill?" + q
	out.ValuesURL = "/results/values?" + q
	out.Reach = row.Indicator.Aggregation == "reach"
	return out
}

// resReachURL is the reach page that lists the people a reach indicator counts at a unit over
// the months from..to ("YYYY-MM"): the unit's figure, broken down by service type and by the
// units below it.
func resReachURL(ind results.Indicator, unitID int64, from, to string) string {
	q := url.Values{"unit": {itoa(unitID)}, "from": {from}, "to": {to}}
	for _, t := range ind.ReachTypes() {
		q.Add("type", t)
	}
	return "/reach?" + q.Encode()
}

func (h *resultsWeb) progressData(r *http.Request, a access.Actor) (resProgressData, error) {
	ctx := r.Context()
	tr := reqCtx(r).tr
	var d resProgressData
	var err error
	if d.Period, err = resPeriodParam(r, "period", results.LOP.Key); err != nil {
		return d, err
	}
	d.PeriodLabel = resPeriodLabel(tr, d.Period)
	d.Periods = resPeriodOptions(tr, h.dateToday(), d.Period, resProgressKinds...)
	d.Threshold = resThresholdParam(r)
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
	tab, err := h.svc.Progress(ctx, a, d.Framework.Code, d.Unit, d.Period, float64(d.Threshold)/100)
	if err != nil {
		return d, err
	}
	prev := ""
	for _, row := range tab.Rows {
		line := resLayoutRow(tr, row, d.Unit, d.Period, d.Threshold)
		if line.Reach {
			from, to, ok, err := h.svc.ReachMonths(ctx, a, row.Indicator, d.Unit, d.Period)
			if err != nil {
				return d, err
			}
			if ok {
				line.ValuesURL = resReachURL(row.Indicator, d.Unit.ID, from, to)
			}
		}
		line.ElementHead = row.Element.Code != prev
		prev = row.Element.Code
		d.Rows = append(d.Rows, line)
	}
	q := url.Values{"framework": {d.Framework.Code}, "unit": {itoa(d.Unit.ID)}, "period": {d.Period.Key}}
	if d.Threshold != resThresholdDefault {
		q.Set("threshold", strconv.Itoa(d.Threshold))
	}
	d.ExportQuery = template.URL(q.Encode()) //nolint:gosec // built by url.Values.Encode from parsed values
	return d, nil
}

func (h *resultsWeb) progress(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.periodPage(w, r, "results_progress", "results.progress_title", func() (any, error) { return h.progressData(r, a) })
}

// periodPage renders a page built for a period the query names: a period it cannot read is a
// bad request, with the rule said; any other failure fails the request.
func (h *resultsWeb) periodPage(w http.ResponseWriter, r *http.Request, name, titleKey string, build func() (any, error)) {
	d, err := build()
	if es, bad := formErrors(err); bad == nil && es != nil {
		h.badPeriod(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, name, &Page{Title: reqCtx(r).tr.T(titleKey), Data: d})
}

// resExportColumns are the exports' columns, as message ids.
var resExportColumns = []string{"results.col_element_code", "results.col_element", "results.col_indicator_code", "results.col_indicator",
	"results.col_target", "results.col_child_targets", "results.col_actual", "results.col_values", "results.col_percent", "results.col_status",
	"results.col_basis"}

// resBasis is the message id saying what a row's figure is counted from: stored values, other
// indicators by a formula, or the distinct people of the beneficiary cards (reach), which are
// not values.
func resBasis(ind results.Indicator) string {
	switch ind.Aggregation {
	case "reach":
		return "results.basis_reach"
	case "formula":
		return "results.basis_formula"
	}
	return "results.basis_values"
}

// resCSVSafe keeps a spreadsheet from reading a cell as a formula.
func resCSVSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "'" + s
		}
	}
	return s
}

// progressExport serves /results/progress.csv and .xlsx: the table's rows with raw numbers.
func (h *resultsWeb) progressExport(format string) func(w http.ResponseWriter, r *http.Request, a access.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a access.Actor) {
		tr := reqCtx(r).tr
		d, err := h.progressData(r, a)
		if es, bad := formErrors(err); bad == nil && es != nil {
			h.badPeriod(w, r)
			return
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !d.HasFramework {
			h.notFound(w, r)
			return
		}
		header := make([]string, len(resExportColumns))
		for i, k := range resExportColumns {
			header[i] = tr.T(k)
		}
		var recs [][]any
		for _, row := range d.Rows {
			num := func(v *float64) any {
				if v == nil {
					return ""
				}
				return *v
			}
			var actual, pct, values any = "", "", row.Row.Actual.Values
			if row.Row.Actual.Has {
				actual = row.Row.Actual.Value
			}
			if row.Row.Percent != nil {
				pct = math.Round(*row.Row.Percent*10) / 10
			}
			if row.Reach {
				values = "" // people counted from the cards, not values: the basis column says so
			}
			recs = append(recs, []any{row.Row.Element.Code, row.Row.Element.Name(tr.Lang), row.Row.Indicator.Code, row.Name,
				num(row.Row.Target), num(row.Row.ChildTargets), actual, values, pct, tr.T("progress_status." + row.Row.Status),
				tr.T(resBasis(row.Row.Indicator))})
		}
		name := "progress-" + d.Framework.Code + "-" + d.Unit.Code + "-" + d.Period.Key
		serveTable(w, r, format, "progress", name, header, recs)
	}
}

// serveTable answers a table as a download named name plus the format's extension: "csv"
// (UTF-8 with a byte-order mark) or "xlsx" (one sheet, figures kept as numbers).
func serveTable(w http.ResponseWriter, r *http.Request, format, sheet, name string, header []string, recs [][]any) {
	streamSheet(w, r, format, sheet, name, header, func() ([]any, error) {
		if len(recs) == 0 {
			return nil, nil
		}
		rec := recs[0]
		recs = recs[1:]
		return rec, nil
	})
}

// streamSheet sends a table as serveTable does while next produces its records (nil at the
// end), so a long table is neither held whole nor kept from the client until it is complete (a
// workbook is assembled by excelize's streaming writer, which keeps a large sheet on disk, and
// is then sent). A failure once the file has begun cannot be answered with an error page: the
// connection is broken off, so the client sees a failed download, never a file cut short.
func streamSheet(w http.ResponseWriter, r *http.Request, format, sheetName, name string, header []string, next func() ([]any, error)) {
	ctype := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="`+url.PathEscape(name)+"."+format+`"`)
	var err error
	if format == "xlsx" {
		err = sheet.WriteXLSXCells(w, sheetName, header, next)
	} else {
		err = resWriteCSV(w, header, next)
	}
	if err != nil {
		if r.Context().Err() == nil {
			slog.Error("download broken off", "path", r.URL.Path, "err", err)
		}
		panic(http.ErrAbortHandler)
	}
}

func resCell(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		return x
	}
	return ""
}

// resWriteCSV writes UTF-8 with a byte-order mark, which spreadsheet programs need to read
// Chinese names correctly.
func resWriteCSV(w io.Writer, header []string, next func() ([]any, error)) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	cw.Write(header)
	for {
		rec, err := next()
		if err != nil || rec == nil {
			cw.Flush()
			return cmp.Or(err, cw.Error())
		}
		line := make([]string, len(rec))
		for i, v := range rec {
			line[i] = resCSVSafe(resCell(v))
		}
		if err := cw.Write(line); err != nil {
			return err
		}
	}
}

// ---- drill-down ----

type resDrillChild struct {
	Unit org.Unit
	resProgressRow
}

type resTrendBar struct {
	X, Y, W, H     string
	LabelX, ValueY string
	Label, Value   string
}

type resTrend struct {
	By     string // year or half
	Bars   []resTrendBar
	Width  int
	Height int
	Base   int // y of the axis
	Empty  bool
}

type resDrillData struct {
	Indicator   results.Indicator
	Unit        org.Unit
	Ancestors   []resOption // value: drill URL
	Period      results.Period
	PeriodLabel string
	Periods     []resOption
	Threshold   int
	Own         resProgressRow
	Children    []resDrillChild
	// Itself is the line of the values recorded at the unit itself, not at any unit below it
	// (nil when there are none), so that the lines account for the unit's figure.
	Itself      *resProgressRow
	Trend       resTrend
	ProgressURL string
	YearURL     string
	HalfURL     string
}

func (h *resultsWeb) drill(w http.ResponseWriter, r *http.Request, a access.Actor) {
	ctx := r.Context()
	tr := reqCtx(r).tr
	ind, err := h.svc.Indicator(ctx, a, queryInt(r, "indicator"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := resDrillData{Indicator: ind, Threshold: resThresholdParam(r)}
	if d.Period, err = resPeriodParam(r, "period", results.LOP.Key); err != nil {
		h.badPeriod(w, r)
		return
	}
	if d.Unit, err = h.unitParam(r, a, "unit"); err != nil {
		h.fail(w, r, err)
		return
	}
	d.PeriodLabel = resPeriodLabel(tr, d.Period)
	d.Periods = resPeriodOptions(tr, h.dateToday(), d.Period, resProgressKinds...)
	anc, err := h.org.Ancestors(ctx, a, d.Unit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, u := range anc {
		d.Ancestors = append(d.Ancestors, resOption{Value: "/results/progress/drill?" + resLinkQuery(ind.ID, u.ID, d.Period.Key, d.Threshold), Label: u.Name(tr.Lang)})
	}
	threshold := float64(d.Threshold) / 100
	kids, err := h.svc.Drill(ctx, a, ind.ID, d.Unit, d.Period, threshold)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var sortByName []org.Unit
	byID := map[int64]results.ChildRow{}
	for _, k := range kids {
		if k.Own {
			// Its values link to the values recorded at the unit itself.
			line := resLayoutRow(tr, k.Row, k.Unit, d.Period, d.Threshold)
			line.ValuesURL += "&own=1"
			d.Itself = &line
			continue
		}
		sortByName = append(sortByName, k.Unit)
		byID[k.Unit.ID] = k
	}
	sortUnits(sortByName, tr.Lang)
	// A reach indicator's records are the people on the cards: every line links to the reach
	// page of its unit over the months that count them (for the life of the project, those of
	// this unit's services, which hold every unit's below).
	reachFrom, reachTo, reachOK := "", "", false
	if ind.Aggregation == "reach" {
		if reachFrom, reachTo, reachOK, err = h.svc.ReachMonths(ctx, a, ind, d.Unit, d.Period); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	reachLink := func(line *resProgressRow, unitID int64) {
		if reachOK {
			line.ValuesURL = resReachURL(ind, unitID, reachFrom, reachTo)
		}
	}
	if d.Itself != nil {
		reachLink(d.Itself, d.Unit.ID)
	}
	var childTargets *float64
	for _, u := range sortByName {
		k := byID[u.ID]
		if k.Target != nil {
			s := *k.Target
			if childTargets != nil {
				s += *childTargets
			}
			childTargets = &s
		}
		if k.Unit.Closed() && !k.Actual.Has && k.Target == nil {
			continue
		}
		line := resLayoutRow(tr, k.Row, k.Unit, d.Period, d.Threshold)
		reachLink(&line, k.Unit.ID)
		d.Children = append(d.Children, resDrillChild{Unit: k.Unit, resProgressRow: line})
	}
	// The unit's own line, computed the same way as a row of the table.
	own := results.Row{Indicator: ind, ChildTargets: childTargets}
	if own.Target, own.TargetNote, err = h.svc.TargetAt(ctx, a, ind.ID, d.Unit, d.Period.Key); err != nil {
		h.fail(w, r, err)
		return
	}
	if own.Actual, err = h.svc.Actual(ctx, a, ind, d.Unit, d.Period); err != nil {
		h.fail(w, r, err)
		return
	}
	if own.Target != nil && *own.Target > 0 && own.Actual.Has {
		pct := 100 * own.Actual.Value / *own.Target
		own.Percent = &pct
	}
	own.Status = results.StatusOf(own.Target, own.Actual, ind.Direction, threshold)
	d.Own = resLayoutRow(tr, own, d.Unit, d.Period, d.Threshold)
	reachLink(&d.Own, d.Unit.ID)

	by := r.URL.Query().Get("trend")
	if by != "half" {
		by = "year"
	}
	if d.Trend, err = h.trend(r, a, ind, d.Unit, by); err != nil {
		h.fail(w, r, err)
		return
	}
	base := url.Values{"indicator": {itoa(ind.ID)}, "unit": {itoa(d.Unit.ID)}, "period": {d.Period.Key}}
	if d.Threshold != resThresholdDefault {
		base.Set("threshold", strconv.Itoa(d.Threshold))
	}
	base.Set("trend", "year")
	d.YearURL = "/results/progress/drill?" + base.Encode() + "#trend"
	base.Set("trend", "half")
	d.HalfURL = "/results/progress/drill?" + base.Encode() + "#trend"
	d.ProgressURL = "/results/progress?" + url.Values{"framework": {ind.FrameworkCode}, "unit": {itoa(d.Unit.ID)}, "period": {d.Period.Key}}.Encode()
	h.render(w, r, http.StatusOK, "results_drill", &Page{Title: ind.Name(tr.Lang), Data: d})
}

// resTrendMax bounds the bars of a trend chart; older periods drop off the left.
const resTrendMax = 16

// trend computes the indicator's actual at unit for each year (or half-year) its values span,
// from the half in which the first period ends (a value counts where its period ends).
func (h *resultsWeb) trend(r *http.Request, a access.Actor, ind results.Indicator, unit org.Unit, by string) (resTrend, error) {
	tr := reqCtx(r).tr
	t := resTrend{By: by, Height: 180, Base: 150}
	first, last, err := h.svc.ValueSpan(r.Context(), a, ind.ID, unit)
	if err != nil || first == "" {
		t.Empty = true
		return t, err
	}
	y0, _ := strconv.Atoi(first[:4])
	y1, _ := strconv.Atoi(last[:4])
	var keys []string
	for y := y0; y <= y1; y++ {
		ys := strconv.Itoa(y)
		if by == "half" {
			if first[:10] <= ys+"-06-30" && last[:10] >= ys+"-01-01" {
				keys = append(keys, ys+"S1")
			}
			if last[:10] >= ys+"-07-01" {
				keys = append(keys, ys+"S2")
			}
			continue
		}
		keys = append(keys, ys)
	}
	if len(keys) > resTrendMax {
		keys = keys[len(keys)-resTrendMax:]
	}
	type point struct {
		p   results.Period
		fig results.Figure
	}
	var pts []point
	top := 0.0
	for _, k := range keys {
		p, err := results.ParsePeriod(k)
		if err != nil {
			continue
		}
		fig, err := h.svc.Actual(r.Context(), a, ind, unit, p)
		if err != nil {
			return t, err
		}
		pts = append(pts, point{p, fig})
		top = math.Max(top, fig.Value)
	}
	const step, barW, chartH = 84, 48, 120
	t.Width = step*len(pts) + 16
	f := func(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }
	for i, pt := range pts {
		hgt := 0.0
		if top > 0 {
			hgt = chartH * pt.fig.Value / top
		}
		x := float64(16 + i*step)
		bar := resTrendBar{X: f(x), W: f(barW), H: f(hgt), Y: f(float64(t.Base) - hgt), LabelX: f(x + barW/2), ValueY: f(float64(t.Base) - hgt - 4),
			Label: resPeriodLabel(tr, pt.p)}
		if pt.fig.Has {
			bar.Value = resNum(pt.fig.Value)
		}
		t.Bars = append(t.Bars, bar)
	}
	return t, nil
}

// ---- the values behind a figure ----

type resValueLine struct {
	Value     results.Value
	Period    string
	Combo     string
	Figure    string
	EnteredBy string
}

type resValuesData struct {
	Indicator   results.Indicator
	Unit        org.Unit
	Period      results.Period
	PeriodLabel string
	Lines       []resValueLine
	DrillURL    string
	Back        string // this page, for a deletion to return to
	Formula     bool   // the records are those of the indicators the formula reads
	Own         bool   // only the values recorded at the unit itself, not below it
	Pager       pager
	PageBase    string // this page without its offset, for the paging links

	// Reach is set for a reach indicator, which has no values: its figure is the people on the
	// beneficiary cards, whom the reach page lists (ReachURL, empty when none was ever served).
	Reach    bool
	ReachURL string
}

func (h *resultsWeb) values(w http.ResponseWriter, r *http.Request, a access.Actor) {
	ctx := r.Context()
	tr := reqCtx(r).tr
	ind, err := h.svc.Indicator(ctx, a, queryInt(r, "indicator"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := resValuesData{Indicator: ind, Back: r.URL.RequestURI(), Formula: ind.Aggregation == "formula"}
	if d.Period, err = resPeriodParam(r, "period", results.LOP.Key); err != nil {
		h.badPeriod(w, r)
		return
	}
	if d.Unit, err = h.unitParam(r, a, "unit"); err != nil {
		h.fail(w, r, err)
		return
	}
	d.PeriodLabel = resPeriodLabel(tr, d.Period)
	d.Own = r.URL.Query().Get("own") == "1"
	d.DrillURL = "/results/progress/drill?" + resLinkQuery(ind.ID, d.Unit.ID, d.Period.Key, resThresholdDefault)
	if d.Reach = ind.Aggregation == "reach"; d.Reach {
		from, to, ok, err := h.svc.ReachMonths(ctx, a, ind, d.Unit, d.Period)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if ok {
			d.ReachURL = resReachURL(ind, d.Unit.ID, from, to)
		}
		h.render(w, r, http.StatusOK, "results_values", &Page{Title: tr.T("results.values_title"), Data: d})
		return
	}
	pg := newPager(r, 100)
	vals, total, err := h.svc.ValuesPage(ctx, a, ind.ID, d.Unit, d.Period, tr.Lang, d.Own, pg.Limit, pg.Offset)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Pager = pg.with(total)
	base := r.URL.Query()
	base.Del("offset")
	base.Del("limit")
	d.PageBase = "/results/values?" + base.Encode()
	ids := make([]string, len(vals))
	for i, v := range vals {
		ids[i] = v.EnteredBy
	}
	who, err := h.svc.EnteredByNames(ctx, a, ids)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.nameDemoActors(ctx, tr, who, ids)
	names := h.comboNamer(ctx, tr)
	for _, v := range vals {
		line := resValueLine{Value: v, Period: v.Period, Combo: names.name(v.Combo), Figure: resNumPtr(v.Value), EnteredBy: who[v.EnteredBy]}
		if v.Value == nil {
			line.Figure = v.Text
		}
		if p, err := results.ParsePeriod(v.Period); err == nil {
			line.Period = resPeriodLabel(tr, p)
		}
		d.Lines = append(d.Lines, line)
	}
	h.render(w, r, http.StatusOK, "results_values", &Page{Title: tr.T("results.values_title"), Data: d})
}
