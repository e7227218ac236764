package plans

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/valid"
)

// The consolidated reports of issue 4 §4: a province's progress report and the national office's
// biannual report (January-June, July-December). Both are one assembly over the records of a
// unit's subtree for one half-year: targets versus progress, the narratives of the approved
// reports under the framework elements their interventions serve, money (budgets, releases,
// spending, burn), the funds withheld at the half's end, and the in-kind contributions. Nothing
// in them is typed in: every figure is computed here or by the results service.

// Consolidated is the progress report of a national or provincial unit for one half-year.
type Consolidated struct {
	Unit org.Unit `json:"unit"`
	Half string   `json:"half"` // 2011S1
	From string   `json:"from"` // the half's first day
	To   string   `json:"to"`   // its last day: the "as of" of money and withheld funds
	// Framework is the framework whose indicators the progress table lists and whose elements
	// the narratives are filed under; zero when none was asked for.
	Framework results.Framework `json:"framework"`
	Progress  []ProgressLine    `json:"progress"`
	// Outputs holds the narratives of the approved reports whose period ends in the half, under
	// each framework element an intervention contributes to (through its indicators), in the
	// framework's order; the last group, with an empty element, holds those linked to none.
	Outputs []OutputNarratives `json:"outputs"`
	// Pending are the reports whose period ends in the half and which are not approved: their
	// narratives and money are not in this report yet.
	Pending        []PendingReport     `json:"pending"`
	Finance        []FinanceLine       `json:"finance"`
	FinanceTotals  []MoneyTotals       `json:"finance_totals"` // per currency
	Disbursements  []Disbursement      `json:"disbursements"`  // released in the half
	Withheld       []HeldFunds         `json:"withheld"`       // as of the half's end, as WithheldAll lists them
	InKind         ContributionSummary `json:"in_kind"`        // recorded for periods within the half
	InKindToDate   ContributionSummary `json:"in_kind_to_date"`
	Interventions  int                 `json:"interventions"` // how many interventions the report covers
	ApprovedInHalf int                 `json:"approved_reports"`
}

// ProgressLine is one indicator's targets and achievements: in the half, and cumulatively from
// the start of the programme to the half's end against the life-of-project target.
type ProgressLine struct {
	Element     results.Element   `json:"element"`
	Indicator   results.Indicator `json:"indicator"`
	HalfTarget  *float64          `json:"half_target"`
	HalfActual  results.Figure    `json:"half_actual"`
	HalfPercent *float64          `json:"half_percent"`
	HalfStatus  string            `json:"half_status"`
	LOPTarget   *float64          `json:"lop_target"`
	ToDate      results.Figure    `json:"to_date"`
	LOPPercent  *float64          `json:"lop_percent"`
	LOPStatus   string            `json:"lop_status"`
}

// OutputNarratives are the narrative extracts filed under one framework element.
type OutputNarratives struct {
	Element  results.Element `json:"element"`
	Extracts []Narrative     `json:"extracts"`
}

// Narrative is what an approved report says: the four narrative sections, with the intervention
// and period they are about.
type Narrative struct {
	ReportID       int64  `json:"report_id"`
	Ref            string `json:"ref"`
	InterventionID int64  `json:"intervention_id"`
	Intervention   string `json:"intervention_code"`
	Format         string `json:"format"`
	TitleZH        string `json:"title_zh"`
	TitleEN        string `json:"title_en"`
	AgencyZH       string `json:"agency_name_zh"`
	AgencyEN       string `json:"agency_name_en"`
	Kind           string `json:"kind"`
	PeriodStart    string `json:"period_start"`
	PeriodEnd      string `json:"period_end"`
	ApprovedOn     string `json:"approved_on"`
	Progress       string `json:"progress"`
	Challenges     string `json:"challenges"`
	Lessons        string `json:"lessons"`
	Practices      string `json:"practices"`
}

// Title is the intervention's title in lang.
func (n Narrative) Title(lang string) string { return pick(lang, n.TitleZH, n.TitleEN) }

// Agency is the implementing agency's name in lang.
func (n Narrative) Agency(lang string) string { return pick(lang, n.AgencyZH, n.AgencyEN) }

// PendingReport is a report of the half not approved (yet).
type PendingReport struct {
	ReportID     int64  `json:"report_id"`
	Ref          string `json:"ref"`
	Intervention string `json:"intervention_code"`
	TitleZH      string `json:"title_zh"`
	TitleEN      string `json:"title_en"`
	Kind         string `json:"kind"`
	PeriodEnd    string `json:"period_end"`
	Due          string `json:"due_on"`
	Status       string `json:"status"`
}

// Title is the intervention's title in lang.
func (p PendingReport) Title(lang string) string { return pick(lang, p.TitleZH, p.TitleEN) }

// FinanceLine is an intervention's money in the half and up to its end, as the records stood on
// its last day (moneyAsOf). Released counts the disbursement ledger up to then, ReleasedHalf the
// releases of the half; Spent the expenditure of the reports approved by then, SpentHalf that of
// those approved in the half. Withheld adds up the funds withheld then, a final tranche at its
// settlement.
type FinanceLine struct {
	Intervention Intervention `json:"intervention"`
	Active       bool         `json:"active"` // runs during some of the half
	Budget       int64        `json:"budget"`
	ReleasedHalf int64        `json:"released_half"`
	Released     int64        `json:"released_to_date"`
	SpentHalf    int64        `json:"spent_half"`
	Spent        int64        `json:"spent_to_date"`
	Withheld     int64        `json:"withheld"`
	Burn         Burn         `json:"burn"`
	BurnStatus   string       `json:"burn_status"`
}

// MoneyTotals adds up the finance lines of one currency.
type MoneyTotals struct {
	Currency     string `json:"currency"`
	Budget       int64  `json:"budget"`
	ReleasedHalf int64  `json:"released_half"`
	Released     int64  `json:"released_to_date"`
	SpentHalf    int64  `json:"spent_half"`
	Spent        int64  `json:"spent_to_date"`
	Withheld     int64  `json:"withheld"`
}

// Consolidated assembles the progress report of unit (the national office or a province, in the
// actor's scope) for half, a half-year key such as 2011S1. It covers the interventions of the
// work plans in the unit's subtree. frameworkCode names the framework of the progress table and
// of the narratives' grouping; "" leaves the table out and files every narrative as unlinked.
func (s *Service) Consolidated(ctx context.Context, a access.Actor, unitID int64, half string, frameworkCode string) (Consolidated, error) {
	if err := a.Require(access.ViewPlans); err != nil {
		return Consolidated{}, err
	}
	if err := a.Require(access.ViewResults); err != nil {
		return Consolidated{}, err
	}
	u, err := s.org.Unit(ctx, a, unitID)
	if err != nil {
		return Consolidated{}, err
	}
	var es valid.Errors
	p, err := results.ParsePeriod(half)
	if err != nil || p.Kind != results.HalfYear {
		es.Add("half", "half_year")
	}
	if u.Level != org.National && u.Level != org.Provincial {
		es.Add("unit", "report_unit")
	}
	var fw results.Framework
	if code := strings.TrimSpace(frameworkCode); code != "" {
		fw, err = s.results.Current(ctx, a, code)
		if errors.Is(err, store.ErrNotFound) {
			es.Add("framework", "not_found")
		} else if err != nil {
			return Consolidated{}, err
		}
	}
	if es.Err() != nil {
		return Consolidated{}, es
	}
	c := Consolidated{Unit: u, Half: p.Key, From: p.Start, To: p.End, Framework: fw}

	all, err := s.Interventions(ctx, a, 0)
	if err != nil {
		return c, err
	}
	ivs := map[int64]Intervention{}
	var order []Intervention
	for _, iv := range all {
		if strings.HasPrefix(iv.unitPath, u.Path) && iv.StartOn <= p.End {
			ivs[iv.ID] = iv
			order = append(order, iv)
		}
	}
	c.Interventions = len(order)

	if fw.ID != 0 {
		if c.Progress, err = s.progressLines(ctx, a, fw.Code, u, p); err != nil {
			return c, err
		}
	}
	if err := s.narratives(ctx, a, &c, ivs, p); err != nil {
		return c, err
	}
	if err := s.finance(ctx, a, &c, order, p); err != nil {
		return c, err
	}
	if c.InKind, err = s.Contributions(ctx, a, u.ID, p.Start, p.End); err != nil {
		return c, err
	}
	if c.InKindToDate, err = s.Contributions(ctx, a, u.ID, "0001-01-01", p.End); err != nil {
		return c, err
	}
	return c, nil
}

// progressLines joins the half-year table with the cumulative one: the same framework, with
// the life-of-project targets and everything reported up to the half's end.
func (s *Service) progressLines(ctx context.Context, a access.Actor, code string, u org.Unit, p results.Period) ([]ProgressLine, error) {
	halfTab, err := s.results.Progress(ctx, a, code, u, p, 0)
	if err != nil {
		return nil, err
	}
	toDate := results.Period{Key: results.LOP.Key, Kind: results.LifeOfProj, Start: results.LOP.Start, End: p.End}
	lopTab, err := s.results.Progress(ctx, a, code, u, toDate, 0)
	if err != nil {
		return nil, err
	}
	lop := map[int64]results.Row{}
	for _, r := range lopTab.Rows {
		lop[r.Indicator.ID] = r
	}
	out := []ProgressLine{}
	for _, r := range halfTab.Rows {
		l := lop[r.Indicator.ID]
		out = append(out, ProgressLine{Element: r.Element, Indicator: r.Indicator,
			HalfTarget: r.Target, HalfActual: r.Actual, HalfPercent: r.Percent, HalfStatus: r.Status,
			LOPTarget: l.Target, ToDate: l.Actual, LOPPercent: l.Percent, LOPStatus: l.Status})
	}
	return out, nil
}

// narratives files the approved reports whose period ends in the half under the framework
// elements their interventions' indicators measure, and lists the reports of the half that are
// not approved.
func (s *Service) narratives(ctx context.Context, a access.Actor, c *Consolidated, ivs map[int64]Intervention, p results.Period) error {
	// Which elements of the framework each intervention serves, through its indicators.
	links := map[int64][]string{}
	var elements []results.Element
	if c.Framework.ID != 0 {
		var err error
		if elements, err = s.results.Elements(ctx, a, c.Framework.ID); err != nil {
			return err
		}
		rows, err := s.db.R.QueryContext(ctx, `SELECT t.intervention_id, n.element_code FROM intervention_indicators t JOIN indicators n ON n.id = t.indicator_id
			WHERE n.framework_code = $1 ORDER BY t.intervention_id, n.element_code`, c.Framework.Code)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var el string
			if err := rows.Scan(&id, &el); err != nil {
				rows.Close()
				return err
			}
			if !slices.Contains(links[id], el) {
				links[id] = append(links[id], el)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+reportCols+` FROM reports r JOIN interventions i ON i.id = r.intervention_id
		WHERE r.period_end >= $1 AND r.period_end <= $2 ORDER BY i.code, r.seq`, p.Start, p.End)
	if err != nil {
		return err
	}
	defer rows.Close()
	byElement := map[string][]Narrative{}
	c.Pending = []PendingReport{}
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return err
		}
		iv, ok := ivs[r.InterventionID]
		if !ok {
			continue
		}
		if r.Status != StatusApproved {
			c.Pending = append(c.Pending, PendingReport{ReportID: r.ID, Ref: r.Ref(), Intervention: iv.Code, TitleZH: iv.TitleZH, TitleEN: iv.TitleEN,
				Kind: r.Kind, PeriodEnd: r.PeriodEnd, Due: r.Due, Status: r.Status})
			continue
		}
		c.ApprovedInHalf++
		n := Narrative{ReportID: r.ID, Ref: r.Ref(), InterventionID: iv.ID, Intervention: iv.Code, Format: iv.Format, TitleZH: iv.TitleZH, TitleEN: iv.TitleEN,
			AgencyZH: iv.AgencyZH, AgencyEN: iv.AgencyEN, Kind: r.Kind, PeriodStart: r.PeriodStart, PeriodEnd: r.PeriodEnd, ApprovedOn: r.ApprovedOn,
			Progress: r.Progress, Challenges: r.Challenges, Lessons: r.Lessons, Practices: r.Practices}
		filed := false
		for _, el := range links[iv.ID] {
			if slices.ContainsFunc(elements, func(e results.Element) bool { return e.Code == el }) {
				byElement[el] = append(byElement[el], n)
				filed = true
			}
		}
		if !filed {
			byElement[""] = append(byElement[""], n)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	c.Outputs = []OutputNarratives{}
	for _, e := range elements {
		if ns := byElement[e.Code]; len(ns) > 0 {
			c.Outputs = append(c.Outputs, OutputNarratives{Element: e, Extracts: ns})
		}
	}
	if ns := byElement[""]; len(ns) > 0 {
		c.Outputs = append(c.Outputs, OutputNarratives{Extracts: ns})
	}
	return nil
}

// finance computes each intervention's money in the half and up to its end, the ledger of the
// half, and the funds withheld on its last day, all on the records as they stood at the end of
// that day (moneyAsOf): what was released by then, what the reports approved by then spent.
func (s *Service) finance(ctx context.Context, a access.Actor, c *Consolidated, ivs []Intervention, p results.Period) error {
	c.Finance, c.Withheld = []FinanceLine{}, []HeldFunds{}
	totals := map[string]*MoneyTotals{}
	for _, iv := range ivs {
		st, err := s.moneyAsOf(ctx, s.db.R, iv.ID, p.End)
		if err != nil {
			return err
		}
		f := FinanceLine{Intervention: iv, Active: iv.StartOn <= p.End && iv.EndOn >= p.Start, Budget: iv.Budget,
			Released: st.Released, Spent: st.Spent}
		for _, t := range st.Tranches {
			if t.ReleasedOn >= p.Start {
				f.ReleasedHalf += t.Paid
			}
		}
		// The half's figures are what the to-date ones grew by in it: the releases made and the
		// reports approved during the half (a report approved late counts in the half of its
		// approval, as a late release does).
		for _, r := range st.Reports {
			if r.Status == StatusApproved && r.ApprovedOn >= p.Start {
				f.SpentHalf += r.Spent
			}
		}
		if iv.Budget > 0 {
			if f.Burn, err = BurnRate(f.Spent, iv.Budget, iv.StartOn, iv.EndOn, p.End); err != nil {
				return fmt.Errorf("intervention %s: %w", iv.Code, err)
			}
			f.BurnStatus = f.Burn.Status(BurnTolerance)
		}
		held, err := st.withheld(iv)
		if err != nil {
			return err
		}
		for _, h := range held {
			f.Withheld += h.Amount
			c.Withheld = append(c.Withheld, h)
		}
		c.Finance = append(c.Finance, f)
		t := totals[iv.Currency]
		if t == nil {
			t = &MoneyTotals{Currency: iv.Currency}
			totals[iv.Currency] = t
		}
		t.Budget += f.Budget
		t.ReleasedHalf += f.ReleasedHalf
		t.Released += f.Released
		t.SpentHalf += f.SpentHalf
		t.Spent += f.Spent
		t.Withheld += f.Withheld
	}
	c.FinanceTotals = []MoneyTotals{}
	for _, t := range totals {
		c.FinanceTotals = append(c.FinanceTotals, *t)
	}
	slices.SortFunc(c.FinanceTotals, func(x, y MoneyTotals) int { return strings.Compare(x.Currency, y.Currency) })

	ledger, err := s.Ledger(ctx, a, p.Start, p.End)
	if err != nil {
		return err
	}
	codes := map[string]bool{}
	for _, iv := range ivs {
		codes[iv.Code] = true
	}
	c.Disbursements = []Disbursement{}
	for _, d := range ledger {
		if codes[d.Intervention] {
			c.Disbursements = append(c.Disbursements, d)
		}
	}
	return nil
}
