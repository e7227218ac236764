package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/valid"
)

// The money pages: late reports, funds withheld, the disbursement ledger, and the counterparts'
// in-kind contributions laid out like Annex A with the import of such a table.

func (h *interventionsWeb) routesMoney() {
	s := h.Server
	s.handle("GET /plans/late", s.page(h.latePage))
	s.handle("GET /plans/withheld", s.page(h.withheldPage))
	s.handle("GET /plans/ledger", s.page(h.ledgerPage))
	s.handle("GET /plans/contributions", s.page(h.contributionsPage))
	s.handle("POST /plans/contributions", s.page(h.contributionsImport))
}

// ivTotal is a sum in one currency.
type ivTotal struct {
	Currency string
	Amount   string
}

func ivTotals(sums map[string]int64) []ivTotal {
	var out []ivTotal
	for _, c := range slices.Sorted(maps.Keys(sums)) {
		out = append(out, ivTotal{Currency: c, Amount: ivMoney(sums[c])})
	}
	return out
}

// ---- late reports ----

type ivLateRow struct {
	L      plans.LateReport
	Title  string
	Kind   string
	Status string
}

type ivLateAgency struct {
	Agency string
	Rows   []ivLateRow
}

type ivLateProvince struct {
	Name     string
	Agencies []ivLateAgency
}

type ivLateData struct {
	AsOf      string
	Provinces []ivLateProvince
	Total     int
}

func (h *interventionsWeb) latePage(w http.ResponseWriter, r *http.Request, a access.Actor) {
	ctx := r.Context()
	tr := reqCtx(r).tr
	var es valid.Errors
	d := ivLateData{AsOf: dateParam(r, "as_of", &es)}
	if len(es) > 0 {
		h.render(w, r, http.StatusUnprocessableEntity, "plans_late", &Page{Title: tr.T("pw.late_title"), Data: d, Errors: es})
		return
	}
	if d.AsOf == "" {
		d.AsOf = h.svc.Today()
	}
	late, err := h.svc.LateReports(ctx, a, d.AsOf)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// By province (the work plan's unit), then agency; most overdue first within an agency.
	names := map[int64]string{}
	byProv := map[string]map[string][]ivLateRow{}
	for _, l := range late {
		prov := h.ivUnitName(ctx, a, l.Intervention.UnitID, tr.Lang, names)
		if strings.HasPrefix(prov, "#") {
			prov = l.Intervention.UnitCode
		}
		ag := l.Intervention.Agency(tr.Lang)
		if byProv[prov] == nil {
			byProv[prov] = map[string][]ivLateRow{}
		}
		byProv[prov][ag] = append(byProv[prov][ag], ivLateRow{L: l, Title: l.Intervention.Title(tr.Lang), Kind: tr.T("report." + l.Report.Kind),
			Status: tr.T("pw.status." + l.Report.Status)})
		d.Total++
	}
	for _, prov := range slices.Sorted(maps.Keys(byProv)) {
		p := ivLateProvince{Name: prov}
		for _, ag := range slices.Sorted(maps.Keys(byProv[prov])) {
			rows := byProv[prov][ag]
			slices.SortStableFunc(rows, func(x, y ivLateRow) int { return cmp.Compare(y.L.DaysLate, x.L.DaysLate) })
			p.Agencies = append(p.Agencies, ivLateAgency{Agency: ag, Rows: rows})
		}
		d.Provinces = append(d.Provinces, p)
	}
	h.render(w, r, http.StatusOK, "plans_late", &Page{Title: tr.T("pw.late_title"), Data: d})
}

// ---- funds withheld ----

type ivHeldRow struct {
	H      plans.HeldFunds
	Title  string
	Agency string
	Kind   string
	Reason string
	Amount string // what is held: what releasing the tranche would pay on the date
	// Planned is the tranche as planned, shown beside a final tranche held at a settlement that
	// differs from it ("" otherwise).
	Planned string
}

type ivHeldData struct {
	AsOf   string
	Rows   []ivHeldRow
	Totals []ivTotal
}

func (h *interventionsWeb) withheldPage(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	var es valid.Errors
	d := ivHeldData{AsOf: dateParam(r, "as_of", &es)}
	if len(es) > 0 {
		h.render(w, r, http.StatusUnprocessableEntity, "plans_withheld", &Page{Title: tr.T("pw.withheld_title"), Data: d, Errors: es})
		return
	}
	if d.AsOf == "" {
		d.AsOf = h.svc.Today()
	}
	held, err := h.svc.WithheldAll(r.Context(), a, d.AsOf)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sums := map[string]int64{}
	for _, x := range held {
		row := ivHeldRow{H: x, Title: x.Intervention.Title(tr.Lang), Agency: x.Intervention.Agency(tr.Lang),
			Kind: tr.T("pw.tranche." + x.Tranche.Kind), Reason: tr.T("withheld." + x.Reason), Amount: ivMoney(x.Amount)}
		if x.Amount != x.Tranche.Amount {
			row.Planned = tr.T("pw.held_planned", "Planned", ivMoney(x.Tranche.Amount))
		}
		d.Rows = append(d.Rows, row)
		sums[x.Intervention.Currency] += x.Amount
	}
	d.Totals = ivTotals(sums)
	h.render(w, r, http.StatusOK, "plans_withheld", &Page{Title: tr.T("pw.withheld_title"), Data: d})
}

// ---- the disbursement ledger ----

type ivLedgerRow struct {
	D              plans.Disbursement
	InterventionID int64
	Kind           string
	Amount         string
}

type ivLedgerData struct {
	From, To string
	Rows     []ivLedgerRow
	Totals   []ivTotal
}

func (h *interventionsWeb) ledgerPage(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	var es valid.Errors
	d := ivLedgerData{From: dateParam(r, "from", &es), To: dateParam(r, "to", &es)}
	if len(es) > 0 {
		h.render(w, r, http.StatusUnprocessableEntity, "plans_ledger", &Page{Title: tr.T("pw.ledger_title"), Data: d, Errors: es})
		return
	}
	ledger, err := h.svc.Ledger(r.Context(), a, d.From, d.To)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ivs, err := h.svc.Interventions(r.Context(), a, 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ids := map[string]int64{}
	for _, iv := range ivs {
		ids[iv.Code] = iv.ID
	}
	sums := map[string]int64{}
	for _, x := range ledger {
		d.Rows = append(d.Rows, ivLedgerRow{D: x, InterventionID: ids[x.Intervention], Kind: tr.T("pw.tranche." + x.Kind), Amount: ivMoney(x.Amount)})
		sums[x.Currency] += x.Amount
	}
	d.Totals = ivTotals(sums)
	h.render(w, r, http.StatusOK, "plans_ledger", &Page{Title: tr.T("pw.ledger_title"), Data: d})
}

// ---- in-kind contributions ----

type ivContribRow struct {
	Code  string
	Name  string
	Cells []string
	Total string
}

type ivConverted struct {
	Currency string
	Amount   string
	Rate     string
	On       string
}

type ivDiffRow struct {
	Kind     string
	What     string
	Currency string
	Stated   string
	Computed string
	Delta    string
}

type ivImportResult struct {
	DryRun    bool
	Cells     int
	Diffs     []ivDiffRow
	TableJSON string
	FileName  string
	SourceRef string
}

type ivContribData struct {
	Unit        org.Unit
	Units       []resOption
	From, To    string
	Levels      []string
	Rows        []ivContribRow
	LevelTotals []string
	Total       string
	Converted   []ivConverted
	CanImport   bool
	Result      *ivImportResult
	RateOn      string
	F           ivForm
}

// ivAmount writes an in-kind amount as Annex A does: whole yuan without decimals.
func ivAmount(v int64) string {
	s := ivMoney(v)
	return strings.TrimSuffix(s, ".00")
}

// ivMoneyParam reports whether e's parameter is an amount of money: what remains of a budget
// line, the total an Annex A sub-total row states, the cap on a budget line, a budget or an
// in-kind cell. (not_above elsewhere names the other field: a numerator's denominator.)
func ivMoneyParam(e valid.FieldError) bool {
	switch e.Rule {
	case "over_budget_line", "inkind_total_twice":
		return true
	case "not_above":
		return e.Field == "amount" || e.Field == "budget"
	}
	return false
}

// ivMoneyParamText writes an amount a failure carries as its parameter (ivMoneyParam) as the
// plans pages write money, with thousands separators: the domain gives it plain ("18000.00",
// or whole units for a cap), as the API passes it on. An amount with decimals keeps them; a cap
// in whole units stays whole. ok is false when e carries no amount.
func ivMoneyParamText(e valid.FieldError) (string, bool) {
	if !ivMoneyParam(e) {
		return "", false
	}
	v, err := plans.ParseAmount(e.Param)
	if err != nil {
		return "", false
	}
	if strings.Contains(e.Param, ".") {
		return ivMoney(v), true
	}
	return ivAmount(v), true
}

// ivLevelName names a contributor level (Annex A's column) in lang.
func ivLevelName(code, lang string) string {
	for _, l := range plans.ContributorLevels {
		if l.Code == code {
			return resName(lang, l.NameZH, l.NameEN)
		}
	}
	return code
}

func ivCategoryName(code, lang string) string {
	for _, c := range plans.Categories {
		if c.Code == code {
			return resName(lang, c.NameZH, c.NameEN)
		}
	}
	return code
}

// contributionsData builds the summary for the unit and period in q (the query, or the posted
// form after an import).
func (h *interventionsWeb) contributionsData(r *http.Request, a access.Actor, unitID int64, from, to string) (ivContribData, error) {
	ctx := r.Context()
	tr := reqCtx(r).tr
	if unitID == 0 {
		unitID = a.UnitID
	}
	d := ivContribData{From: from, To: to, CanImport: a.Can(access.EditPlans)}
	if d.From == "" {
		d.From = strconv.Itoa(resFirstYear) + "-01-01"
	}
	if d.To == "" {
		d.To = h.svc.Today()
	}
	d.RateOn = d.To
	var err error
	if d.Unit, err = h.org.Unit(ctx, a, unitID); err != nil {
		return d, err
	}
	if d.Units, err = (&resultsWeb{Server: h.Server}).unitChoices(ctx, a, d.Unit, tr.Lang); err != nil {
		return d, err
	}
	sum, err := h.svc.Contributions(ctx, a, d.Unit.ID, d.From, d.To)
	if err != nil {
		return d, err
	}
	for _, l := range plans.ContributorLevels {
		d.Levels = append(d.Levels, ivLevelName(l.Code, tr.Lang))
		d.LevelTotals = append(d.LevelTotals, ivAmount(sum.Levels[l.Code]))
	}
	for _, c := range plans.Categories {
		row := ivContribRow{Code: c.Code, Name: ivCategoryName(c.Code, tr.Lang), Total: ivAmount(sum.Categories[c.Code])}
		for _, l := range plans.ContributorLevels {
			cell := ""
			if v, ok := sum.Cells[c.Code][l.Code]; ok {
				cell = ivAmount(v)
			}
			row.Cells = append(row.Cells, cell)
		}
		d.Rows = append(d.Rows, row)
	}
	d.Total = ivAmount(sum.Total)
	rates := map[string]plans.Rate{}
	for _, rt := range sum.Rates {
		rates[rt.Currency] = rt
	}
	for _, cur := range slices.Sorted(maps.Keys(sum.Converted)) {
		c := ivConverted{Currency: cur, Amount: ivAmount(sum.Converted[cur])}
		if cny, ok := rates["CNY"]; ok {
			c.Rate, c.On = tr.T("pw.rate_line", "Currency", "CNY", "Rate", cny.PerUSD), cny.On
			if rt, ok := rates[cur]; ok && cur != "USD" {
				c.Rate += " · " + tr.T("pw.rate_line", "Currency", cur, "Rate", rt.PerUSD)
			}
		}
		d.Converted = append(d.Converted, c)
	}
	return d, nil
}

func (h *interventionsWeb) contributionsPage(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	var es valid.Errors
	from, to := dateParam(r, "from", &es), dateParam(r, "to", &es)
	if len(es) > 0 {
		from, to = "", ""
	}
	d, err := h.contributionsData(r, a, queryInt(r, "unit"), from, to)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if len(es) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, r, status, "plans_contributions", &Page{Title: tr.T("pw.inkind_title"), Data: d, Errors: es})
}

// contributionRates are the rates typed into the import form: RMB per US dollar and up to two
// other currencies, dated rate_on (else the period's end).
func contributionRates(r *http.Request, on string) ([]plans.Rate, valid.Errors) {
	var out []plans.Rate
	var es valid.Errors
	if d := strings.TrimSpace(r.PostFormValue("rate_on")); d != "" {
		on = d
	}
	add := func(cur, v string) {
		cur, v = strings.ToUpper(strings.TrimSpace(cur)), strings.TrimSpace(v)
		if v == "" {
			return
		}
		rt := plans.Rate{Currency: cur, PerUSD: v, On: on}
		if cs := rt.Check(); len(cs) > 0 {
			es = append(es, cs...)
			return
		}
		out = append(out, rt)
	}
	add("CNY", r.PostFormValue("rate_cny"))
	for _, n := range []string{"1", "2"} {
		add(r.PostFormValue("rate_cur_"+n), r.PostFormValue("rate_val_"+n))
	}
	return out, es
}

// withRates sets the table's rates: those of the form over those the sheet states, each dated.
func withRates(t plans.ContributionTable, form []plans.Rate, on string) plans.ContributionTable {
	byCur := map[string]plans.Rate{}
	var order []string
	for _, rt := range append(slices.Clone(t.Rates), form...) {
		if rt.On == "" {
			rt.On = on
		}
		if _, ok := byCur[rt.Currency]; !ok {
			order = append(order, rt.Currency)
		}
		byCur[rt.Currency] = rt
	}
	t.Rates = nil
	for _, c := range order {
		t.Rates = append(t.Rates, byCur[c])
	}
	return t
}

// checkContributionPeriod checks the period a table is imported for.
func checkContributionPeriod(from, to string) valid.Errors {
	var es valid.Errors
	okFrom := es.Required("from", from) && es.Date("from", from)
	okTo := es.Required("to", to) && es.Date("to", to)
	if okFrom && okTo && to < from {
		es.Add("to", "not_before", "from")
	}
	return es
}

// ivDiffRows says the differences Ting found in the reader's language.
func ivDiffRows(tr Tr, diffs []plans.Difference) []ivDiffRow {
	var out []ivDiffRow
	for _, df := range diffs {
		row := ivDiffRow{Kind: tr.T("inkind.diff." + df.Kind), Currency: df.Currency, Stated: ivAmount(df.Stated), Computed: ivAmount(df.Computed),
			Delta: ivAmount(df.Delta())}
		switch {
		case df.Category != "":
			row.What = ivCategoryName(df.Category, tr.Lang)
		case df.Level != "":
			row.What = ivLevelName(df.Level, tr.Lang)
		}
		out = append(out, row)
	}
	return out
}

// contributionsImport checks an uploaded table (or, to confirm a dry run, the table it read
// then, carried in the form) and imports it unless asked for a dry run.
func (h *interventionsWeb) contributionsImport(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, plans.MaxContributionFile+1<<20)
	err := r.ParseMultipartForm(plans.MaxContributionFile)
	if err != nil && !errors.Is(err, http.ErrNotMultipart) {
		err = attachmentTooLarge(err)
	} else {
		err = nil
	}
	unitID := formInt(r, "unit_id")
	from, to := strings.TrimSpace(r.PostFormValue("from")), strings.TrimSpace(r.PostFormValue("to"))
	res := &ivImportResult{DryRun: r.PostFormValue("dry_run") != "", SourceRef: strings.TrimSpace(r.PostFormValue("source_ref"))}
	es := checkContributionPeriod(from, to)
	if err != nil {
		vs, _ := valid.As(err)
		es = append(es, vs...)
	}
	var table plans.ContributionTable
	parsed := false
	if len(es) == 0 {
		if f, fh, ferr := r.FormFile("file"); ferr == nil {
			res.FileName = fh.Filename
			table, err = plans.ParseContributionTable(f)
			f.Close()
			if vs, ok := valid.As(err); ok {
				es = append(es, vs...)
			} else if err != nil {
				h.fail(w, r, err)
				return
			}
			parsed = true
		} else if js := r.PostFormValue("table"); js != "" {
			if json.Unmarshal([]byte(js), &table) != nil {
				es.Add("file", "required")
			}
			parsed = true
		} else {
			es.Add("file", "required")
		}
	}
	rates, rs := contributionRates(r, to)
	es = append(es, rs...)
	var diffs []plans.Difference
	if len(es) == 0 && parsed {
		table.From, table.To = from, to
		table = withRates(table, rates, to)
		diffs, res.Cells, err = h.svc.ImportContributions(ctx, a, unitID, table, res.SourceRef, res.DryRun)
		if vs, ok := valid.As(err); ok {
			es = append(es, vs...)
		} else if err != nil {
			h.fail(w, r, err)
			return
		}
	}
	shownFrom, shownTo := from, to
	if len(checkContributionPeriod(from, to)) > 0 {
		shownFrom, shownTo = "", ""
	}
	d, derr := h.contributionsData(r, a, unitID, shownFrom, shownTo)
	if derr != nil {
		h.fail(w, r, derr)
		return
	}
	d.F = newIvForm(r, "import")
	for _, e := range es {
		if e.Row == 0 {
			d.F.put(e.Field, tr.FieldError(e))
		}
	}
	status := http.StatusOK
	if len(es) > 0 {
		status = http.StatusUnprocessableEntity
	} else {
		res.Diffs = ivDiffRows(tr, diffs)
		if res.DryRun {
			b, _ := json.Marshal(table)
			res.TableJSON = string(b)
		}
		d.Result = res
	}
	h.render(w, r, status, "plans_contributions", &Page{Title: tr.T("pw.inkind_title"), Data: d, Errors: es})
}
