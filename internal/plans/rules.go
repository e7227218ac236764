// Package plans holds the pure rules of interventions and their money: the six agreement formats
// with their allowed durations and reporting schedules, the tranche plan that releases funds on
// approved reports, burn rate, and the counterparts' in-kind contribution tables. It works on
// values only (dates as 'YYYY-MM-DD' text, money as int64 hundredths) and must not touch a
// database, the access layer or the web; the packages that store interventions call it.
package plans

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/currency"

	"ting/internal/valid"
)

// Money is held as int64 hundredths of the currency unit (fen, cents) everywhere in this package,
// never as float.

// MaxAmount caps a budget (hundredths): one trillion units, far above any programme, and low
// enough that amount × 10,000 (a share in basis points) cannot overflow int64.
const MaxAmount int64 = 100_000_000_000_000

// Report kinds.
const (
	ProgressReport = "progress" // technical and financial progress report on one 4-month period
	FinalReport    = "final"    // final technical and financial report
)

// Report workflow statuses (issue 4 §2): draft → submitted → reviewed (provincial office) →
// approved, or returned with comments by the national office.
const (
	StatusDraft     = "draft"
	StatusSubmitted = "submitted"
	StatusReviewed  = "reviewed"
	StatusReturned  = "returned"
	StatusApproved  = "approved"
)

// Format is an agreement format of intervention plans with its rules, as data.
//
// Durations (seed 001 §2.3 "Management Tools" and footnote 7): Action Programmes run "between one
// to three years"; Service Contracts, Mini Programmes and Seminar Agreements "under 12 months";
// Excol and Letters of Exchange "under two months". "Between" is read inclusively (12 to 36
// months), "under" strictly, so a 12-month intervention is an Action Programme and never a
// Service Contract: the formats leave no gap and do not overlap. The seeds say "generally
// speaking"; Ting enforces the ranges, and an intervention that does not fit takes another format.
// Short formats have no minimum: a one-day seminar is a Seminar Agreement.
//
// Reporting: Action Programmes report "every four months" and at the end; the others "only
// require reports at the end". How long after a period an agency has to report is not in the
// seeds; Ting gives 30 days for a progress report and for the final report of a short format,
// and 60 days for the final report of an Action Programme, which covers up to three years.
//
// Budget ceilings: the seeds give none for any format, so Ting sets none.
type Format struct {
	Code   string `json:"code"`
	Abbrev string `json:"abbrev"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	// MinMonths is the shortest allowed length in calendar months (0: any length from one day).
	MinMonths int `json:"min_months"`
	// MaxMonths is the longest allowed length; UnderMax makes it exclusive ("under 2 months").
	MaxMonths int  `json:"max_months"`
	UnderMax  bool `json:"under_max"`
	// ReportEveryMonths is the length of a progress-reporting period; 0: final report only.
	ReportEveryMonths int `json:"report_every_months"`
	// ProgressDueDays and FinalDueDays: a report is due this many days after its period ends.
	ProgressDueDays int      `json:"progress_due_days,omitempty"`
	FinalDueDays    int      `json:"final_due_days"`
	ReportKinds     []string `json:"report_kinds"`
}

// Name returns the format's name in lang ("zh" or "en").
func (f Format) Name(lang string) string {
	if lang == "en" {
		return f.NameEN
	}
	return f.NameZH
}

// Format codes.
const (
	ActionProgramme       = "action_programme"
	ServiceContract       = "service_contract"
	SeminarAgreement      = "seminar_agreement"
	MiniProgramme         = "mini_programme"
	ExternalCollaboration = "external_collaboration"
	LetterOfExchange      = "letter_of_exchange"
)

// Formats lists the six agreement formats, longest first. The Chinese name of the Action
// Programme is 行动项目 rather than 行动计划, so that it is not confused with the work plans
// (工作计划) and intervention plans (干预计划) it sits under.
var Formats = []Format{
	{Code: ActionProgramme, Abbrev: "AP", NameZH: "行动项目", NameEN: "Action Programme",
		MinMonths: 12, MaxMonths: 36, ReportEveryMonths: 4, ProgressDueDays: 30, FinalDueDays: 60,
		ReportKinds: []string{ProgressReport, FinalReport}},
	{Code: ServiceContract, Abbrev: "SC", NameZH: "服务合同", NameEN: "Service Contract",
		MaxMonths: 12, UnderMax: true, FinalDueDays: 30, ReportKinds: []string{FinalReport}},
	{Code: SeminarAgreement, Abbrev: "SA", NameZH: "研讨会协议", NameEN: "Seminar Agreement",
		MaxMonths: 12, UnderMax: true, FinalDueDays: 30, ReportKinds: []string{FinalReport}},
	{Code: MiniProgramme, Abbrev: "MP", NameZH: "小型项目", NameEN: "Mini Programme",
		MaxMonths: 12, UnderMax: true, FinalDueDays: 30, ReportKinds: []string{FinalReport}},
	{Code: ExternalCollaboration, Abbrev: "Excol", NameZH: "外部合作", NameEN: "External Collaboration",
		MaxMonths: 2, UnderMax: true, FinalDueDays: 30, ReportKinds: []string{FinalReport}},
	{Code: LetterOfExchange, Abbrev: "LoE", NameZH: "换文", NameEN: "Letter of Exchange",
		MaxMonths: 2, UnderMax: true, FinalDueDays: 30, ReportKinds: []string{FinalReport}},
}

// FormatCodes lists the codes of Formats in order.
func FormatCodes() []string {
	codes := make([]string, len(Formats))
	for i, f := range Formats {
		codes[i] = f.Code
	}
	return codes
}

// FormatByCode finds a format by its code.
func FormatByCode(code string) (Format, bool) {
	for _, f := range Formats {
		if f.Code == code {
			return f, true
		}
	}
	return Format{}, false
}

// Periodic reports whether the format owes progress reports before its final report.
func (f Format) Periodic() bool { return f.ReportEveryMonths > 0 }

// allows reports whether an inclusive date range fits the format's length, and if not, the rule
// broken and its parameter (the allowed range in months).
func (f Format) allows(start, end time.Time) (ok bool, rule, param string) {
	months, days := spanMonths(start, end)
	if f.UnderMax {
		// "under N months": N whole months or more is too long.
		ok = months >= f.MinMonths && months < f.MaxMonths
		return ok, "duration_under", strconv.Itoa(f.MaxMonths)
	}
	ok = months >= f.MinMonths && (months < f.MaxMonths || months == f.MaxMonths && days == 0)
	return ok, "duration_range", fmt.Sprintf("%d-%d", f.MinMonths, f.MaxMonths)
}

// BudgetLine is one line of an intervention's budget.
type BudgetLine struct {
	Item     string `json:"item"`
	Currency string `json:"currency"` // ISO 4217, e.g. CNY, USD
	Amount   int64  `json:"amount"`   // hundredths
}

// InterventionInput is what the format rules check of an intervention plan.
type InterventionInput struct {
	Format  string `json:"format"`
	StartOn string `json:"start_on"`
	EndOn   string `json:"end_on"`
	// AdvanceShare is the share of the budget paid at launch, in basis points (2500 = 25%).
	AdvanceShare int          `json:"advance_share"`
	Budget       []BudgetLine `json:"budget"`
}

// CheckIntervention applies the format's rules to an intervention plan. Failures on a budget line
// carry the line's 1-based Row.
//
// Rules beyond the seeds, decided here: a budget has at least one line, all in one currency (the
// tranches are paid in it and its lines are compared with the expenditure reported), with
// distinct item names and a total above zero; the advance is at least 0% and under 100%, since
// the seeds pay "a certain percentage" at launch and the rest on reports.
func CheckIntervention(in InterventionInput) valid.Errors {
	var es valid.Errors
	f, okFormat := FormatByCode(in.Format)
	if es.Required("format", in.Format) && !okFormat {
		es.OneOf("format", in.Format, FormatCodes())
	}
	start, okStart := checkDate(&es, "start_on", in.StartOn)
	end, okEnd := checkDate(&es, "end_on", in.EndOn)
	if okStart && okEnd {
		if end.Before(start) {
			es.Add("end_on", "not_before", "start_on")
		} else if okFormat {
			if ok, rule, param := f.allows(start, end); !ok {
				es.Add("end_on", rule, param)
			}
		}
	}
	if in.AdvanceShare < 0 || in.AdvanceShare >= 10000 {
		es.Add("advance_share", "advance_share")
	}
	checkBudget(&es, in.Budget)
	return es
}

// checkDate records "required" or "date" and returns the parsed date when it is neither.
func checkDate(es *valid.Errors, field, s string) (time.Time, bool) {
	if !es.Required(field, s) || !es.Date(field, s) {
		return time.Time{}, false
	}
	t, err := parseDate(s)
	return t, err == nil
}

func checkBudget(es *valid.Errors, lines []BudgetLine) {
	if len(lines) == 0 {
		es.Add("budget", "required")
		return
	}
	row := func(i int, field, rule string, param ...string) {
		e := valid.FieldError{Row: i + 1, Field: field, Rule: rule}
		if len(param) > 0 {
			e.Param = param[0]
		}
		*es = append(*es, e)
	}
	var total int64
	first := ""
	seen := map[string]bool{}
	lineOK := true
	for i, l := range lines {
		item := strings.TrimSpace(l.Item)
		switch {
		case item == "":
			row(i, "budget_item", "required")
		case len([]rune(item)) > 200:
			row(i, "budget_item", "max_len", "200")
		case seen[item]:
			row(i, "budget_item", "unique", item)
		}
		seen[item] = true
		if strings.TrimSpace(l.Currency) == "" {
			row(i, "currency", "required")
			lineOK = false
		} else if !isCurrency(l.Currency) {
			row(i, "currency", "currency")
			lineOK = false
		} else if first == "" {
			first = l.Currency
		} else if l.Currency != first {
			row(i, "currency", "currency_mixed", first)
		}
		switch {
		case l.Amount < 0:
			row(i, "amount", "not_negative")
			lineOK = false
		case l.Amount > MaxAmount:
			row(i, "amount", "not_above", strconv.FormatInt(MaxAmount/100, 10))
			lineOK = false
		default:
			total += l.Amount // each ≤ MaxAmount; the running total is checked below before overflow
			if total > MaxAmount {
				total = MaxAmount + 1
			}
		}
	}
	if !lineOK {
		return
	}
	switch {
	case total == 0:
		es.Add("budget", "positive")
	case total > MaxAmount:
		es.Add("budget", "not_above", strconv.FormatInt(MaxAmount/100, 10))
	}
}

// isCurrency accepts an upper-case ISO 4217 code that x/text knows.
func isCurrency(s string) bool {
	if len(s) != 3 || strings.ToUpper(s) != s {
		return false
	}
	_, err := currency.ParseISO(s)
	return err == nil
}

// ReportDue is one report an intervention owes: the period whose indicator values and
// expenditure it carries (inclusive dates), when it is due, and when the grace ends.
type ReportDue struct {
	Seq         int    `json:"seq"` // 1-based, in order
	Kind        string `json:"kind"`
	PeriodStart string `json:"period_start"`
	PeriodEnd   string `json:"period_end"`
	Due         string `json:"due"`
	GraceUntil  string `json:"grace_until"`
}

// Schedule lists the reports an intervention of the format owes between start and end (inclusive),
// with graceDays of grace after each due date.
//
// Action Programmes: periods of four calendar months counted from start (not calendar tertiles:
// the seeds tie the reports to the agreement's own four-month intervals). Decided here, where the
// seeds are silent:
//   - the last period's report is the final report — no separate progress report on the same
//     months — and its narrative covers the whole programme; the seeds record complaints about the
//     reporting load, and a second report on the same period would only add to it;
//   - a remainder of less than one month after the last full period joins that period, so that
//     an agreement running to the 15th does not owe a report on a fortnight.
//
// The other formats owe one final report on the whole intervention.
// Schedule does not check the format's allowed length (CheckIntervention does), so it also lists
// the reports of an intervention recorded before the rules were enforced.
func Schedule(format, start, end string, graceDays int) ([]ReportDue, error) {
	f, ok := FormatByCode(format)
	if !ok {
		return nil, fmt.Errorf("schedule: unknown format %q", format)
	}
	s, err := parseDate(start)
	if err != nil {
		return nil, fmt.Errorf("schedule: start: %w", err)
	}
	e, err := parseDate(end)
	if err != nil {
		return nil, fmt.Errorf("schedule: end: %w", err)
	}
	if e.Before(s) {
		return nil, fmt.Errorf("schedule: end %s before start %s", end, start)
	}
	if graceDays < 0 {
		return nil, fmt.Errorf("schedule: negative grace %d", graceDays)
	}
	next := e.AddDate(0, 0, 1) // exclusive end
	due := func(seq int, kind string, from, to time.Time, days int) ReportDue {
		d := to.AddDate(0, 0, days)
		return ReportDue{Seq: seq, Kind: kind, PeriodStart: formatDate(from), PeriodEnd: formatDate(to),
			Due: formatDate(d), GraceUntil: formatDate(d.AddDate(0, 0, graceDays))}
	}
	var out []ReportDue
	if f.Periodic() {
		for k := 1; ; k++ {
			from := addMonths(s, f.ReportEveryMonths*(k-1))
			until := addMonths(s, f.ReportEveryMonths*k)                    // exclusive end of the full period
			tail := addMonths(s, f.ReportEveryMonths*k+1).Compare(next) > 0 // less than a month would remain
			if !until.Before(next) || tail {
				out = append(out, due(k, FinalReport, from, e, f.FinalDueDays))
				break
			}
			out = append(out, due(k, ProgressReport, from, until.AddDate(0, 0, -1), f.ProgressDueDays))
		}
		return out, nil
	}
	return []ReportDue{due(1, FinalReport, s, e, f.FinalDueDays)}, nil
}

// DaysLate says how late a report is: days past its due date once the grace is over, else 0.
// The grace decides when a report counts as late (lists, reminders); once it does, the days are
// counted from the due date, since that is the date the agreement sets. submittedOn is the date
// of first submission, or "" while it is not submitted, in which case asOf is used.
func DaysLate(r ReportDue, submittedOn, asOf string) (int, error) {
	on := submittedOn
	if on == "" {
		on = asOf
	}
	t, err := parseDate(on)
	if err != nil {
		return 0, err
	}
	grace, err := parseDate(r.GraceUntil)
	if err != nil {
		return 0, err
	}
	due, err := parseDate(r.Due)
	if err != nil {
		return 0, err
	}
	if !t.After(grace) {
		return 0, nil
	}
	return daysBetween(due, t), nil
}

// ParseAmount reads an amount as written in forms and tables — "6,259,182", "1234.5", "-12.30"
// — into hundredths. Thousands separators are commas (ASCII or full-width); at most two
// decimals.
func ParseAmount(s string) (int64, error) {
	orig := s
	s = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, ",", ""), "，", ""))
	bad := fmt.Errorf("amount %q: want digits with at most two decimals", orig)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || hasDot && frac == "" {
		return 0, bad
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, bad
		}
	}
	if len(whole) > 15 {
		return 0, bad
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	for len(frac) < 2 {
		frac += "0"
	}
	c, _ := strconv.ParseInt(frac, 10, 64)
	v := w*100 + c
	if neg {
		v = -v
	}
	return v, nil
}
