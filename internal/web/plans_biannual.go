package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/signintech/gopdf"
	"github.com/xuri/excelize/v2"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/results"
)

// The consolidated progress reports of issue 4 §4: a province's progress report and the national
// biannual report (January-June, July-December), as a printable page, a workbook with a sheet per
// section, a PDF in which Chinese renders, and JSON. Everything in them is assembled by
// plans.Service.Consolidated from the records; this file only lays it out. The three documents
// are drawn from one layout (biReport) so that they cannot say different things.

type biannualWeb struct {
	*Server
	svc *plans.Service
	res *results.Service
}

// routesBiannual registers the consolidated report's page, exports and API.
func (s *Server) routesBiannual() {
	h := &biannualWeb{Server: s, svc: s.plansService(), res: s.resultsService()}
	s.handle("GET /plans/biannual", s.page(h.page))
	s.handle("GET /plans/biannual.xlsx", s.page(h.xlsx))
	s.handle("GET /plans/biannual.pdf", s.page(h.pdf))
	s.handle("GET /api/v1/biannual", s.api(h.api))
}

// ---- parameters ----

type biParams struct {
	Unit      int64
	Half      string
	Framework string
}

// biLastHalf is the latest half-year that has ended by today (YYYY-MM-DD): the report is
// written after its half closes.
func biLastHalf(today string) string {
	t, err := time.Parse(time.DateOnly, today)
	if err != nil {
		t = time.Now().UTC()
	}
	if t.Month() >= time.July {
		return strconv.Itoa(t.Year()) + "S1"
	}
	return strconv.Itoa(t.Year()-1) + "S2"
}

// biHalfOf is the half-year containing day (YYYY-MM-DD): the latest the picker offers, since
// a report may be assembled for the half under way (the mid-term review's, to its last day).
func biHalfOf(day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		t = time.Now().UTC()
	}
	if t.Month() >= time.July {
		return strconv.Itoa(t.Year()) + "S2"
	}
	return strconv.Itoa(t.Year()) + "S1"
}

// params reads unit (default: the actor's own), half (default: the last half that has ended)
// and framework (default: the first framework in force the actor sees).
func (h *biannualWeb) params(r *http.Request, a access.Actor) (biParams, error) {
	q := r.URL.Query()
	p := biParams{Unit: queryInt(r, "unit"), Half: strings.TrimSpace(q.Get("half")), Framework: strings.TrimSpace(q.Get("framework"))}
	if p.Unit == 0 {
		p.Unit = a.UnitID
	}
	if p.Half == "" {
		p.Half = biLastHalf(h.svc.Today())
	}
	if p.Framework == "" && a.Can(access.ViewResults) {
		fws, err := h.res.Frameworks(r.Context(), a)
		if err != nil {
			return p, err
		}
		for _, f := range fws {
			if cur, err := h.res.Current(r.Context(), a, f.Code); err == nil {
				p.Framework = cur.Code
				break
			}
		}
	}
	return p, nil
}

func (h *biannualWeb) consolidated(r *http.Request, a access.Actor) (plans.Consolidated, biParams, error) {
	p, err := h.params(r, a)
	if err != nil {
		return plans.Consolidated{}, p, err
	}
	c, err := h.svc.Consolidated(r.Context(), a, p.Unit, p.Half, p.Framework)
	return c, p, err
}

// ---- the layout shared by the page, the workbook and the PDF ----

// biCell is one cell: the text shown, and the value a spreadsheet gets (a number for figures
// and money, so they can be summed).
type biCell struct {
	Text  string
	Value any
	Num   bool
	Badge string // a status, for the page's coloured badge
}

type biTable struct {
	ID      string
	Caption string
	Header  []string
	Widths  []float64 // relative widths of the columns in the PDF
	Rows    [][]biCell
	Foot    [][]biCell
	Empty   string
}

type biPart struct{ Label, Text string }

type biExtract struct {
	ID, Heading, Meta string
	Parts             []biPart
}

type biGroup struct {
	ID, Heading string
	Extracts    []biExtract
}

type biSection struct {
	ID, Sheet, Heading, Note string
	Groups                   []biGroup
	GroupsEmpty              string
	Tables                   []biTable
}

type biReport struct {
	C                   plans.Consolidated
	Title, Subtitle     string
	FrameworkLine       string
	Generated           string
	Sections            []biSection
	Units, Halves, FWs  []resOption
	Filename            string
	HasFramework        bool
	HalfLabel, UnitName string
	// NoUnits says why the reader can open no report (bound below the provinces); "" otherwise.
	NoUnits string
}

func biText(s string) biCell { return biCell{Text: s, Value: s} }

func biNum(v *float64) biCell {
	if v == nil {
		return biCell{Value: "", Num: true}
	}
	return biCell{Text: resNum(*v), Value: *v, Num: true}
}

func biFigure(f results.Figure) biCell {
	if !f.Has {
		return biCell{Value: "", Num: true}
	}
	return biCell{Text: resNum(f.Value), Value: f.Value, Num: true}
}

func biPercent(tr Tr, v *float64) biCell {
	if v == nil {
		return biCell{Value: "", Num: true}
	}
	x := math.Round(*v*10) / 10
	return biCell{Text: tr.T("results.percent", "Percent", resNum(x)), Value: x, Num: true}
}

func biInt(n int) biCell { return biCell{Text: strconv.Itoa(n), Value: n, Num: true} }

// biMoneyText writes hundredths with thousands separators and two decimals.
func biMoneyText(v int64) string {
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

func biMoney(v int64) biCell {
	return biCell{Text: biMoneyText(v), Value: float64(v) / 100, Num: true}
}

func biStatus(tr Tr, key, status string) biCell {
	if status == "" {
		return biText("")
	}
	return biCell{Text: tr.T(key + status), Value: tr.T(key + status), Badge: status}
}

func biHalfLabel(tr Tr, key string) string {
	if p, err := results.ParsePeriod(key); err == nil {
		return resPeriodLabel(tr, p)
	}
	return key
}

// biTranche names a tranche by its number and condition: the advance, or the report it is paid
// on, with that report's period when known (from, to; "" when not).
func biTranche(tr Tr, t plans.Tranche, from, to string) string {
	if t.Kind == plans.AdvanceTranche {
		return tr.T("biannual.tranche_advance", "N", t.Seq)
	}
	if from != "" && to != "" {
		return tr.T("biannual.tranche_report_period", "N", t.Seq, "Report", t.ReportSeq, "From", from, "To", to)
	}
	return tr.T("biannual.tranche_report", "N", t.Seq, "Report", t.ReportSeq)
}

func biElement(tr Tr, e results.Element) string {
	if e.Code == "" {
		return tr.T("biannual.unlinked")
	}
	return e.Code + " " + e.Name(tr.Lang)
}

// layout turns the consolidated report into the sections every format draws.
func biLayout(tr Tr, c plans.Consolidated, today string) biReport {
	rep := biReport{C: c, HasFramework: c.Framework.ID != 0, HalfLabel: biHalfLabel(tr, c.Half), UnitName: c.Unit.Name(tr.Lang)}
	if c.Unit.Level == org.National {
		rep.Title = tr.T("biannual.title_national")
	} else {
		rep.Title = tr.T("biannual.title_provincial")
	}
	rep.Subtitle = tr.T("biannual.subtitle", "Unit", rep.UnitName, "Half", rep.HalfLabel, "From", c.From, "To", c.To)
	if rep.HasFramework {
		rep.FrameworkLine = tr.T("biannual.framework_line", "Framework", c.Framework.Name(tr.Lang), "Version", c.Framework.Version)
	}
	rep.Generated = tr.T("biannual.generated", "Date", today, "Interventions", c.Interventions, "Approved", c.ApprovedInHalf)
	rep.Filename = "progress-report-" + c.Unit.Code + "-" + c.Half

	// Targets and progress.
	prog := biSection{ID: "progress", Sheet: tr.T("biannual.sheet_progress"), Heading: tr.T("biannual.sec_progress"),
		Note: tr.T("biannual.progress_note", "To", c.To)}
	pt := biTable{ID: "biannual-progress", Empty: tr.T("biannual.none_progress"), Widths: []float64{3, 4, 1.3, 1.3, 1.1, 1.3, 1.3, 1.3, 1.1, 1.3},
		Header: []string{tr.T("biannual.col_element"), tr.T("biannual.col_indicator"), tr.T("biannual.col_half_target"), tr.T("biannual.col_half_actual"),
			tr.T("biannual.col_percent"), tr.T("biannual.col_status"), tr.T("biannual.col_lop_target"), tr.T("biannual.col_to_date"),
			tr.T("biannual.col_percent"), tr.T("biannual.col_status")}}
	if !rep.HasFramework {
		pt.Empty = tr.T("biannual.no_framework")
	}
	prev := "\x00"
	for _, l := range c.Progress {
		el := ""
		if l.Element.Code != prev {
			el = biElement(tr, l.Element)
			prev = l.Element.Code
		}
		pt.Rows = append(pt.Rows, []biCell{biText(el), biText(l.Indicator.Code + " " + l.Indicator.Name(tr.Lang)),
			biNum(l.HalfTarget), biFigure(l.HalfActual), biPercent(tr, l.HalfPercent), biStatus(tr, "progress_status.", l.HalfStatus),
			biNum(l.LOPTarget), biFigure(l.ToDate), biPercent(tr, l.LOPPercent), biStatus(tr, "progress_status.", l.LOPStatus)})
	}
	prog.Tables = []biTable{pt}

	// Narratives per output, and the reports still waiting.
	narr := biSection{ID: "narratives", Sheet: tr.T("biannual.sheet_narratives"), Heading: tr.T("biannual.sec_narratives"),
		Note: tr.T("biannual.narratives_note"), GroupsEmpty: tr.T("biannual.none_narratives")}
	for i, g := range c.Outputs {
		grp := biGroup{ID: "output-" + strconv.Itoa(i+1), Heading: biElement(tr, g.Element)}
		for _, n := range g.Extracts {
			ex := biExtract{ID: n.Ref,
				Heading: tr.T("biannual.extract_heading", "Code", n.Intervention, "Title", n.Title(tr.Lang), "Agency", n.Agency(tr.Lang)),
				Meta: tr.T("biannual.extract_meta", "Kind", tr.T("report."+n.Kind), "From", n.PeriodStart, "To", n.PeriodEnd,
					"Approved", n.ApprovedOn, "Ref", n.Ref)}
			ex.Parts = []biPart{{tr.T("field.progress"), n.Progress}, {tr.T("field.challenges"), n.Challenges},
				{tr.T("field.lessons"), n.Lessons}, {tr.T("field.practices"), n.Practices}}
			grp.Extracts = append(grp.Extracts, ex)
		}
		narr.Groups = append(narr.Groups, grp)
	}
	pend := biTable{ID: "biannual-pending", Caption: tr.T("biannual.pending_caption"), Empty: tr.T("biannual.none_pending"), Widths: []float64{2, 5, 2.5, 1.5, 1.5, 2},
		Header: []string{tr.T("biannual.col_report"), tr.T("biannual.col_intervention"), tr.T("biannual.col_kind"), tr.T("biannual.col_period_end"),
			tr.T("biannual.col_due"), tr.T("biannual.col_report_status")}}
	for _, p := range c.Pending {
		pend.Rows = append(pend.Rows, []biCell{biText(p.Ref), biText(p.Intervention + " " + p.Title(tr.Lang)), biText(tr.T("report." + p.Kind)),
			biText(p.PeriodEnd), biText(p.Due), biStatus(tr, "biannual.status.", p.Status)})
	}
	narr.Tables = []biTable{pend}

	// Finance and disbursements.
	fin := biSection{ID: "finance", Sheet: tr.T("biannual.sheet_finance"), Heading: tr.T("biannual.sec_finance"), Note: tr.T("biannual.finance_note", "To", c.To)}
	ft := biTable{ID: "biannual-finance", Empty: tr.T("biannual.none_finance"), Widths: []float64{3.6, 2.4, 0.9, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 2.6},
		Header: []string{tr.T("biannual.col_intervention"), tr.T("biannual.col_agency"), tr.T("biannual.col_currency"), tr.T("biannual.col_budget"),
			tr.T("biannual.col_released_half"), tr.T("biannual.col_released"), tr.T("biannual.col_spent_half"), tr.T("biannual.col_spent"),
			tr.T("biannual.col_withheld"), tr.T("biannual.col_burn")}}
	for _, f := range c.Finance {
		burn := biStatus(tr, "burn.", f.BurnStatus)
		if f.BurnStatus != "" {
			burn.Text = tr.T("biannual.burn_cell", "Status", burn.Text, "Spent", resNum(math.Round(f.Burn.SpentShare*1000)/10),
				"Time", resNum(math.Round(f.Burn.TimeShare*1000)/10))
		}
		ft.Rows = append(ft.Rows, []biCell{biText(f.Intervention.Code + " " + f.Intervention.Title(tr.Lang)), biText(f.Intervention.Agency(tr.Lang)),
			biText(f.Intervention.Currency), biMoney(f.Budget), biMoney(f.ReleasedHalf), biMoney(f.Released), biMoney(f.SpentHalf), biMoney(f.Spent),
			biMoney(f.Withheld), burn})
	}
	for _, t := range c.FinanceTotals {
		ft.Foot = append(ft.Foot, []biCell{biText(tr.T("biannual.total")), biText(""), biText(t.Currency), biMoney(t.Budget), biMoney(t.ReleasedHalf),
			biMoney(t.Released), biMoney(t.SpentHalf), biMoney(t.Spent), biMoney(t.Withheld), biText("")})
	}
	dt := biTable{ID: "biannual-disbursements", Caption: tr.T("biannual.disbursements_caption", "From", c.From, "To", c.To),
		Empty: tr.T("biannual.none_disbursements"), Widths: []float64{1.5, 3, 2.5, 1.8, 1, 2.5},
		Header: []string{tr.T("biannual.col_date"), tr.T("biannual.col_intervention"), tr.T("biannual.col_tranche"), tr.T("biannual.col_amount"),
			tr.T("biannual.col_currency"), tr.T("biannual.col_reference")}}
	sums, order := map[string]int64{}, []string{}
	for _, d := range c.Disbursements {
		dt.Rows = append(dt.Rows, []biCell{biText(d.ReleasedOn), biText(d.Intervention),
			biText(biTranche(tr, plans.Tranche{Seq: d.Seq, Kind: d.Kind, ReportSeq: d.ReportSeq}, d.ReportStart, d.ReportEnd)), biMoney(d.Amount), biText(d.Currency),
			biText(d.Reference)})
		if _, ok := sums[d.Currency]; !ok {
			order = append(order, d.Currency)
		}
		sums[d.Currency] += d.Amount
	}
	for _, cur := range order {
		dt.Foot = append(dt.Foot, []biCell{biText(tr.T("biannual.total")), biText(""), biText(""), biMoney(sums[cur]), biText(cur), biText("")})
	}
	fin.Tables = []biTable{ft, dt}

	// Funds withheld on the half's last day.
	held := biSection{ID: "withheld", Sheet: tr.T("biannual.sheet_withheld"), Heading: tr.T("biannual.sec_withheld"), Note: tr.T("biannual.withheld_note", "To", c.To)}
	ht := biTable{ID: "biannual-withheld", Empty: tr.T("biannual.none_withheld"), Widths: []float64{3.5, 2.5, 2.2, 1.6, 0.9, 2.2, 1.4, 0.9, 1},
		Header: []string{tr.T("biannual.col_intervention"), tr.T("biannual.col_agency"), tr.T("biannual.col_tranche"), tr.T("biannual.col_amount"),
			tr.T("biannual.col_currency"), tr.T("biannual.col_reason"), tr.T("biannual.col_since"), tr.T("biannual.col_days"), tr.T("biannual.col_late")}}
	sums, order = map[string]int64{}, nil
	for _, w := range c.Withheld {
		late := ""
		if w.Late {
			late = tr.T("biannual.late")
		}
		ht.Rows = append(ht.Rows, []biCell{biText(w.Intervention.Code + " " + w.Intervention.Title(tr.Lang)), biText(w.Intervention.Agency(tr.Lang)),
			biText(biTranche(tr, w.Tranche, "", "")), biMoney(w.Amount), biText(w.Intervention.Currency), biStatus(tr, "withheld.", w.Reason),
			biText(w.Since), biInt(w.Days), biText(late)})
		if _, ok := sums[w.Intervention.Currency]; !ok {
			order = append(order, w.Intervention.Currency)
		}
		sums[w.Intervention.Currency] += w.Amount
	}
	for _, cur := range order {
		ht.Foot = append(ht.Foot, []biCell{biText(tr.T("biannual.total")), biText(""), biText(""), biMoney(sums[cur]), biText(cur), biText(""),
			biText(""), biText(""), biText("")})
	}
	held.Tables = []biTable{ht}

	// In-kind contributions.
	kind := biSection{ID: "inkind", Sheet: tr.T("biannual.sheet_inkind"), Heading: tr.T("biannual.sec_inkind"), Note: tr.T("biannual.inkind_note")}
	kind.Tables = []biTable{
		biInKind(tr, "biannual-inkind-half", tr.T("biannual.inkind_half", "From", c.From, "To", c.To), c.InKind),
		biInKind(tr, "biannual-inkind-to-date", tr.T("biannual.inkind_to_date", "To", c.To), c.InKindToDate),
	}

	rep.Sections = []biSection{prog, narr, fin, held, kind}
	return rep
}

// biInKind lays out a contribution summary as Annex A does: categories by contributor level.
func biInKind(tr Tr, id, caption string, sum plans.ContributionSummary) biTable {
	t := biTable{ID: id, Caption: caption, Empty: tr.T("biannual.none_inkind"), Widths: []float64{4, 2.2, 2.8, 2.8, 2}}
	t.Header = []string{tr.T("biannual.col_category")}
	for _, l := range plans.ContributorLevels {
		t.Header = append(t.Header, resName(tr.Lang, l.NameZH, l.NameEN))
	}
	t.Header = append(t.Header, tr.T("biannual.col_total_rmb"))
	if sum.Total == 0 && len(sum.Cells) == 0 {
		return t
	}
	for _, cat := range plans.Categories {
		row := []biCell{biText(resName(tr.Lang, cat.NameZH, cat.NameEN))}
		for _, l := range plans.ContributorLevels {
			cell := biMoney(sum.Cells[cat.Code][l.Code])
			if sum.Cells[cat.Code][l.Code] == 0 {
				cell.Text = "" // Annex A leaves an empty cell empty
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, append(row, biMoney(sum.Categories[cat.Code])))
	}
	foot := []biCell{biText(tr.T("biannual.total"))}
	for _, l := range plans.ContributorLevels {
		foot = append(foot, biMoney(sum.Levels[l.Code]))
	}
	t.Foot = append(t.Foot, append(foot, biMoney(sum.Total)))
	if len(sum.Rates) > 0 {
		cny := sum.Rates[0]
		for _, cur := range []string{"USD"} {
			if v, ok := sum.Converted[cur]; ok {
				line := []biCell{biText(tr.T("biannual.converted", "Currency", cur, "Rate", cny.PerUSD, "On", cny.On))}
				for range plans.ContributorLevels {
					line = append(line, biText(""))
				}
				t.Foot = append(t.Foot, append(line, biMoney(v)))
			}
		}
	}
	return t
}

// ---- pickers ----

// reportUnits are the units the actor may assemble a report for — their own office if it is the
// national office or a province, and under the national office the open provinces — with the
// actor's own unit.
func (h *biannualWeb) reportUnits(ctx context.Context, lang string, a access.Actor) ([]org.Unit, org.Unit, error) {
	own, err := h.org.Unit(ctx, a, a.UnitID)
	if err != nil {
		return nil, own, err
	}
	var units []org.Unit
	if own.Level == org.National || own.Level == org.Provincial {
		units = append(units, own)
	}
	if own.Level == org.National {
		kids, err := h.org.Children(ctx, a, own.ID)
		if err != nil {
			return nil, own, err
		}
		sortUnits(kids, lang)
		for _, k := range kids {
			if k.Level == org.Provincial && !k.Closed() {
				units = append(units, k)
			}
		}
	}
	return units, own, nil
}

// pickers fills the unit, half-year and framework choices of the page's form.
func (h *biannualWeb) pickers(ctx context.Context, tr Tr, a access.Actor, rep *biReport, p biParams) error {
	units, _, err := h.reportUnits(ctx, tr.Lang, a)
	if err != nil {
		return err
	}
	for _, u := range units {
		rep.Units = append(rep.Units, resOption{Value: itoa(u.ID), Label: u.Name(tr.Lang), Selected: u.ID == p.Unit})
	}
	today := h.svc.Today()
	last, _ := strconv.Atoi(today[:4])
	for y := last; y >= resFirstYear; y-- {
		for _, k := range []string{"S2", "S1"} {
			key := strconv.Itoa(y) + k
			if key > biHalfOf(today) && key != p.Half {
				continue
			}
			rep.Halves = append(rep.Halves, resOption{Value: key, Label: biHalfLabel(tr, key), Selected: key == p.Half})
		}
	}
	if a.Can(access.ViewResults) {
		fws, err := h.res.Frameworks(ctx, a)
		if err != nil {
			return err
		}
		for _, f := range fws {
			rep.FWs = append(rep.FWs, resOption{Value: f.Code, Label: f.Name(tr.Lang), Selected: f.Code == p.Framework})
		}
	}
	return nil
}

// ---- handlers ----

func (h *biannualWeb) page(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	// Reports are made for the national office and the provinces: a reader bound lower (an
	// agency, a county) can open none of them, and is told so rather than sent to a form
	// with no unit to choose.
	units, own, err := h.reportUnits(r.Context(), tr.Lang, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(units) == 0 {
		rep := biReport{NoUnits: tr.T("biannual.no_units", "Unit", own.Name(tr.Lang), "Level", tr.T("level."+own.Level.Key()))}
		h.render(w, r, http.StatusOK, "plans_biannual", &Page{Title: tr.T("biannual.title_national"), Data: rep})
		return
	}
	c, p, err := h.consolidated(r, a)
	es, err := formErrors(err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rep := biReport{}
	if es == nil {
		rep = biLayout(tr, c, h.svc.Today())
	}
	if err := h.pickers(r.Context(), tr, a, &rep, p); err != nil {
		h.fail(w, r, err)
		return
	}
	title := rep.Title
	if title == "" {
		title = tr.T("biannual.title_national")
	}
	status := http.StatusOK
	if es != nil {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, r, status, "plans_biannual", &Page{Title: title, Data: rep, Errors: es})
}

func (h *biannualWeb) api(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	c, _, err := h.consolidated(r, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// exportFail answers a failed export: a bad parameter as the page with its message (422).
func (h *biannualWeb) exportFail(w http.ResponseWriter, r *http.Request, a access.Actor, err error) {
	if _, bad := formErrors(err); bad == nil {
		h.page(w, r, a)
		return
	}
	h.fail(w, r, err)
}

func (h *biannualWeb) xlsx(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	c, _, err := h.consolidated(r, a)
	if err != nil {
		h.exportFail(w, r, a, err)
		return
	}
	rep := biLayout(tr, c, h.svc.Today())
	var buf bytes.Buffer
	if err := biWriteXLSX(&buf, tr, rep); err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+url.PathEscape(rep.Filename)+`.xlsx"`)
	w.Write(buf.Bytes())
}

func (h *biannualWeb) pdf(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	c, _, err := h.consolidated(r, a)
	if err != nil {
		h.exportFail(w, r, a, err)
		return
	}
	font, err := biFont()
	if err != nil {
		// Not the reader's fault and nothing they can fix: say what the server needs.
		h.log.Warn("biannual PDF: no usable CJK font", "err", err)
		key := "biannual.pdf_no_font"
		if os.Getenv(biFontEnv) != "" {
			key = "biannual.pdf_bad_font"
		}
		h.render(w, r, http.StatusServiceUnavailable, "error", &Page{Title: tr.T("biannual.pdf_unavailable"), Data: key})
		return
	}
	rep := biLayout(tr, c, h.svc.Today())
	var buf bytes.Buffer
	if err := biWritePDF(&buf, tr, rep, font); err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+url.PathEscape(rep.Filename)+`.pdf"`)
	w.Write(buf.Bytes())
}

// ---- XLSX: a sheet per section ----

// biSheetName keeps a translated sheet name within the workbook's rules (31 characters, none
// of :\/?*[]).
func biSheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '-'
		}
		return r
	}, s)
	if rs := []rune(s); len(rs) > 31 {
		s = string(rs[:31])
	}
	return s
}

func biWriteXLSX(buf *bytes.Buffer, tr Tr, rep biReport) error {
	f := excelize.NewFile()
	defer f.Close()
	for i, sec := range rep.Sections {
		name := biSheetName(sec.Sheet)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		row := 1
		put := func(vals ...any) error {
			cell, _ := excelize.CoordinatesToCellName(1, row)
			row++
			return f.SetSheetRow(name, cell, &vals)
		}
		for _, line := range []string{rep.Title, rep.Subtitle, rep.FrameworkLine, sec.Heading, sec.Note} {
			if line == "" {
				continue
			}
			if err := put(line); err != nil {
				return err
			}
		}
		row++
		if sec.GroupsEmpty != "" {
			// Narratives: one row per report, a column per section.
			head := []any{tr.T("biannual.col_element"), tr.T("biannual.col_report"), tr.T("biannual.col_intervention"), tr.T("biannual.col_period")}
			var parts []string
			if len(sec.Groups) > 0 && len(sec.Groups[0].Extracts) > 0 {
				for _, p := range sec.Groups[0].Extracts[0].Parts {
					parts = append(parts, p.Label)
				}
			}
			for _, p := range parts {
				head = append(head, p)
			}
			if len(sec.Groups) == 0 {
				if err := put(sec.GroupsEmpty); err != nil {
					return err
				}
			} else if err := put(head...); err != nil {
				return err
			}
			for _, g := range sec.Groups {
				for _, ex := range g.Extracts {
					vals := []any{g.Heading, ex.ID, ex.Heading, ex.Meta}
					for _, p := range ex.Parts {
						vals = append(vals, p.Text)
					}
					if err := put(vals...); err != nil {
						return err
					}
				}
			}
			row++
		}
		for _, t := range sec.Tables {
			if t.Caption != "" {
				if err := put(t.Caption); err != nil {
					return err
				}
			}
			head := make([]any, len(t.Header))
			for i, s := range t.Header {
				head[i] = s
			}
			if err := put(head...); err != nil {
				return err
			}
			if len(t.Rows) == 0 {
				if err := put(t.Empty); err != nil {
					return err
				}
			}
			for _, cells := range append(append([][]biCell{}, t.Rows...), t.Foot...) {
				vals := make([]any, len(cells))
				for i, c := range cells {
					vals[i] = c.Value
				}
				if err := put(vals...); err != nil {
					return err
				}
			}
			row++
		}
		if err := f.SetColWidth(name, "A", "A", 36); err != nil {
			return err
		}
		if err := f.SetColWidth(name, "B", "L", 16); err != nil {
			return err
		}
	}
	return f.Write(buf)
}

// ---- PDF ----

// biFontEnv names the setting that points Ting at a CJK TrueType font for PDFs.
const biFontEnv = "TING_PDF_FONT"

// biFontPackage is the Debian package the messages and the README name.
const biFontPackage = "fonts-wqy-microhei"

// biFontCandidates are where Debian's packages put CJK fonts with TrueType outlines, which the
// PDF writer embeds as subsets. Noto CJK (fonts-noto-cjk) has CFF outlines it cannot embed.
var biFontCandidates = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", // fonts-wqy-microhei
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",   // fonts-wqy-zenhei
	"/usr/share/fonts/truetype/arphic/uming.ttc",     // fonts-arphic-uming
	"/usr/share/fonts/truetype/arphic/ukai.ttc",      // fonts-arphic-ukai
}

var biFontCache = struct {
	sync.Mutex
	data map[string][]byte
}{data: map[string][]byte{}}

// biFont finds the font for PDFs: the file TING_PDF_FONT names, else the first usable one of
// biFontCandidates. It is read and checked once per path.
func biFont() ([]byte, error) {
	if p := strings.TrimSpace(os.Getenv(biFontEnv)); p != "" {
		return biLoadFont(p)
	}
	var errs []error
	for _, p := range biFontCandidates {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		b, err := biLoadFont(p)
		if err == nil {
			return b, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("no CJK TrueType font: set %s or install %s", biFontEnv, biFontPackage)
	}
	return nil, errors.Join(errs...)
}

func biLoadFont(path string) ([]byte, error) {
	biFontCache.Lock()
	defer biFontCache.Unlock()
	if b, ok := biFontCache.data[path]; ok {
		return b, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, err := biTrueTypeFace(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := biCheckGlyphs(b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	biFontCache.data[path] = b
	return b, nil
}

// biTrueTypeFace returns a font file the PDF writer can read: a TrueType font as it is, or the
// first TrueType-outlined face of a TrueType collection (.ttc) rewritten as a font of its own.
// Fonts with CFF outlines (OpenType "OTTO", as Noto CJK) are refused.
func biTrueTypeFace(b []byte) ([]byte, error) {
	be := binary.BigEndian
	isTrueType := func(tag []byte) bool {
		return bytes.Equal(tag, []byte{0, 1, 0, 0}) || bytes.Equal(tag, []byte("true"))
	}
	switch {
	case len(b) < 12:
		return nil, errors.New("not a font file")
	case isTrueType(b[:4]):
		return b, nil
	case string(b[:4]) == "OTTO":
		return nil, errors.New("CFF (PostScript) outlines cannot be embedded; use a TrueType font")
	case string(b[:4]) != "ttcf":
		return nil, errors.New("not a TrueType font or collection")
	}
	n := int(be.Uint32(b[8:]))
	if n <= 0 || 12+4*n > len(b) {
		return nil, errors.New("damaged font collection")
	}
	for i := 0; i < n; i++ {
		off := int(be.Uint32(b[12+4*i:]))
		if off+12 > len(b) || !isTrueType(b[off:off+4]) {
			continue
		}
		tables := int(be.Uint16(b[off+4:]))
		if off+12+16*tables > len(b) {
			return nil, errors.New("damaged font collection")
		}
		out := make([]byte, 12+16*tables)
		copy(out, b[off:off+12])
		for t := 0; t < tables; t++ {
			rec := b[off+12+16*t : off+28+16*t]
			start, length := int(be.Uint32(rec[8:])), int(be.Uint32(rec[12:]))
			if start < 0 || length < 0 || start+length > len(b) {
				return nil, errors.New("damaged font collection")
			}
			for len(out)%4 != 0 {
				out = append(out, 0)
			}
			dst := out[12+16*t : 28+16*t]
			copy(dst, rec)
			be.PutUint32(dst[8:], uint32(len(out)))
			out = append(out, b[start:start+length]...)
		}
		return out, nil
	}
	return nil, errors.New("the collection has no TrueType-outlined face; use a TrueType font")
}

// biGlyphProbe are characters every report needs: Chinese, Latin letters and digits.
const biGlyphProbe = "中文报告Report2011"

// biCheckGlyphs refuses a font that lacks Chinese or Latin glyphs (DejaVu has no Chinese; Droid
// Sans Fallback has no Latin letters).
func biCheckGlyphs(font []byte) error {
	var missing []rune
	gp := &gopdf.GoPdf{}
	gp.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	opt := gopdf.TtfOption{OnGlyphNotFound: func(r rune) { missing = append(missing, r) }}
	if err := gp.AddTTFFontDataWithOption("probe", font, opt); err != nil {
		return err
	}
	if err := gp.SetFont("probe", "", 10); err != nil {
		return err
	}
	if _, err := gp.MeasureTextWidth(biGlyphProbe); err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("no glyphs for %q", string(missing))
	}
	return nil
}

// biPDF draws the report on A4 landscape pages.
type biPDF struct {
	gp     *gopdf.GoPdf
	tr     Tr
	y      float64
	page   int
	footer string
	widths map[string]float64 // measured text, by font size and text
}

const (
	biPageW    = 842.0
	biPageH    = 595.0
	biMargin   = 36.0
	biFootRoom = 24.0
	biFontName = "cjk"
)

func (p *biPDF) size(s float64) {
	p.gp.SetFont(biFontName, "", s)
}

func (p *biPDF) newPage() {
	p.gp.AddPage()
	p.page++
	p.size(7.5)
	p.gp.SetTextColor(110, 110, 110)
	p.gp.SetXY(biMargin, biPageH-biMargin/2)
	p.gp.Text(p.tr.T("biannual.pdf_footer", "Title", p.footer, "Page", p.page))
	p.gp.SetTextColor(0, 0, 0)
	p.y = biMargin
}

// ensure starts a new page unless h points fit above the footer.
func (p *biPDF) ensure(h float64) bool {
	if p.y+h > biPageH-biMargin-biFootRoom {
		p.newPage()
		return true
	}
	return false
}

func (p *biPDF) width(s string, size float64) float64 {
	key := strconv.FormatFloat(size, 'f', 1, 64) + "\x00" + s
	if w, ok := p.widths[key]; ok {
		return w
	}
	w, err := p.gp.MeasureTextWidth(s)
	if err != nil {
		w = 0
	}
	p.widths[key] = w
	return w
}

// biWide reports whether r is written without spaces between words (CJK), so a line may break
// before it.
func biWide(r rune) bool {
	return r >= 0x2E80 && (unicode.Is(unicode.Han, r) || unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF))
}

// Chinese line-breaking rules: marks that never start a line, and marks that never end one.
const (
	biNoLineStart = "，。、；：！？）」』】〉》”’％…·,.;:!?)]}"
	biNoLineEnd   = "（「『【〈《“‘"
)

// wrap breaks text into lines no wider than width at the current size: between words of
// alphabetic text, between any two Chinese characters, and inside a word only when it alone is
// too wide.
func (p *biPDF) wrap(text string, width, size float64) []string {
	var lines []string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		var tokens []string
		var word strings.Builder
		opening := "" // opening brackets wait for what they open
		add := func(tok string) {
			tokens = append(tokens, opening+tok)
			opening = ""
		}
		flush := func() {
			if word.Len() > 0 {
				add(word.String())
				word.Reset()
			}
		}
		for _, r := range para {
			switch {
			case r == ' ' || r == '\t':
				flush()
				tokens = append(tokens, " ")
			case strings.ContainsRune(biNoLineStart, r) && word.Len() == 0 && len(tokens) > 0 && tokens[len(tokens)-1] != " ":
				// No line starts with a closing mark: it stays with what it closes.
				tokens[len(tokens)-1] += string(r)
			case strings.ContainsRune(biNoLineEnd, r):
				flush()
				opening += string(r)
			case biWide(r):
				flush()
				add(string(r))
			default:
				word.WriteRune(r)
			}
		}
		flush()
		if opening != "" {
			add("")
		}
		line, lineW := "", 0.0
		push := func() {
			lines = append(lines, strings.TrimRight(line, " "))
			line, lineW = "", 0
		}
		for _, tok := range tokens {
			if tok == " " && line == "" {
				continue
			}
			tw := p.width(tok, size)
			if lineW+tw <= width {
				line, lineW = line+tok, lineW+tw
				continue
			}
			if line != "" {
				push()
				if tok == " " {
					continue
				}
			}
			if tw <= width {
				line, lineW = tok, tw
				continue
			}
			for _, r := range tok { // a word wider than the line
				rw := p.width(string(r), size)
				if lineW+rw > width && line != "" {
					push()
				}
				line, lineW = line+string(r), lineW+rw
			}
		}
		if line != "" || len(tokens) == 0 {
			push()
		}
	}
	return lines
}

// paragraph writes wrapped text across the page.
func (p *biPDF) paragraph(text string, size float64, gray uint8, indent float64) {
	p.size(size)
	lh := size * 1.45
	for _, l := range p.wrap(text, biPageW-2*biMargin-indent, size) {
		p.ensure(lh)
		p.size(size)
		p.gp.SetTextColor(gray, gray, gray)
		p.gp.SetXY(biMargin+indent, p.y+size)
		p.gp.Text(l)
		p.y += lh
	}
	p.gp.SetTextColor(0, 0, 0)
}

// table draws a table with wrapped cells, repeating its header on each new page.
func (p *biPDF) table(t biTable) {
	const size, pad = 7.5, 2.5
	lh := size * 1.3
	total := 0.0
	for _, w := range t.Widths {
		total += w
	}
	cols := make([]float64, len(t.Header))
	for i := range cols {
		wt := 1.0
		if i < len(t.Widths) {
			wt = t.Widths[i]
		} else {
			total++
		}
		cols[i] = (biPageW - 2*biMargin) * wt / total
	}
	if t.Caption != "" {
		p.y += 4
		p.ensure(3 * lh)
		p.paragraph(t.Caption, 9, 40, 0)
	}
	head := make([]biCell, len(t.Header))
	for i, s := range t.Header {
		head[i] = biText(s)
	}
	const headFill, bodyFill, footFill = 230, 255, 245
	var drawRow func(cells []biCell, fill uint8)
	drawRow = func(cells []biCell, fill uint8) {
		p.size(size)
		texts := make([][]string, len(cols))
		n := 1
		for i := range cols {
			if i < len(cells) {
				texts[i] = p.wrap(cells[i].Text, cols[i]-2*pad, size)
				n = max(n, len(texts[i]))
			}
		}
		h := float64(n)*lh + 2*pad
		if p.ensure(h) && fill != headFill {
			drawRow(head, headFill) // the header again on the new page
		}
		x := biMargin
		for i, w := range cols {
			p.gp.SetLineWidth(0.4)
			p.gp.SetStrokeColor(180, 180, 180)
			p.gp.SetFillColor(fill, fill, fill)
			p.gp.RectFromUpperLeftWithStyle(x, p.y, w, h, "FD")
			p.size(size)
			for j, l := range texts[i] {
				tx := x + pad
				if i < len(cells) && cells[i].Num {
					tx = x + w - pad - p.width(l, size)
				}
				p.gp.SetXY(tx, p.y+pad+float64(j)*lh+size)
				p.gp.Text(l)
			}
			x += w
		}
		p.y += h
	}
	p.ensure(lh*3 + 4*pad)
	drawRow(head, headFill)
	if len(t.Rows) == 0 {
		p.y += 2
		p.paragraph(t.Empty, 8.5, 90, pad)
	}
	for _, r := range t.Rows {
		drawRow(r, bodyFill)
	}
	for _, r := range t.Foot {
		drawRow(r, footFill)
	}
	p.y += 8
}

func biWritePDF(buf *bytes.Buffer, tr Tr, rep biReport, font []byte) error {
	gp := &gopdf.GoPdf{}
	gp.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4Landscape})
	gp.SetInfo(gopdf.PdfInfo{Creator: "Ting", Producer: "Ting", CreationDate: time.Now().UTC()})
	if err := gp.AddTTFFontData(biFontName, font); err != nil {
		return err
	}
	p := &biPDF{gp: gp, tr: tr, footer: rep.Title + " · " + rep.UnitName + " · " + rep.HalfLabel, widths: map[string]float64{}}
	p.newPage()
	p.paragraph(rep.Title, 18, 0, 0)
	p.y += 4
	p.paragraph(rep.Subtitle, 11, 0, 0)
	if rep.FrameworkLine != "" {
		p.paragraph(rep.FrameworkLine, 9, 70, 0)
	}
	p.paragraph(rep.Generated, 9, 70, 0)
	for i, sec := range rep.Sections {
		if i > 0 {
			p.newPage()
		} else {
			p.y += 10
		}
		p.paragraph(sec.Heading, 14, 0, 0)
		p.paragraph(sec.Note, 8.5, 90, 0)
		p.y += 4
		if sec.GroupsEmpty != "" {
			if len(sec.Groups) == 0 {
				p.paragraph(sec.GroupsEmpty, 9, 90, 0)
			}
			for _, g := range sec.Groups {
				p.y += 4
				p.ensure(60)
				p.paragraph(g.Heading, 12, 0, 0)
				for _, ex := range g.Extracts {
					p.y += 3
					p.ensure(50)
					p.paragraph(ex.Heading, 10, 0, 8)
					p.paragraph(ex.Meta, 8, 90, 8)
					for _, part := range ex.Parts {
						if strings.TrimSpace(part.Text) == "" {
							continue
						}
						p.ensure(30)
						p.paragraph(part.Label, 8, 90, 16)
						p.paragraph(part.Text, 9, 0, 16)
					}
				}
			}
			p.y += 6
		}
		for _, t := range sec.Tables {
			p.table(t)
		}
	}
	return gp.Write(buf)
}
