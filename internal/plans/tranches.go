package plans

import (
	"fmt"
	"math/bits"
	"slices"
)

// AdvanceTranche is the kind of the tranche paid at launch; the other tranches take the kind of
// the report they wait on (ProgressReport, FinalReport).
const AdvanceTranche = "advance"

// Tranche is one instalment of an intervention's funding (seed 001 §2.3 "Financial resources":
// "a certain percentage of funding is provided to interventions when launched", the rest "at four
// month intervals" or at close, "after the submission of technical and financial reports").
type Tranche struct {
	Seq       int    `json:"seq"`
	Kind      string `json:"kind"`
	Amount    int64  `json:"amount"`     // hundredths, in the budget's currency
	ReportSeq int    `json:"report_seq"` // the report it waits on; 0 for the advance
	// Due is when the money would flow if everything were on time: the start for the advance,
	// the report's due date otherwise. GraceUntil is the end of that report's grace.
	Due        string `json:"due"`
	GraceUntil string `json:"grace_until,omitempty"`
	// ReleasedOn is set by storage when the disbursement is recorded; "" until then.
	ReleasedOn string `json:"released_on,omitempty"`
}

// TranchePlan splits budget (hundredths) into an advance of advanceShare basis points, paid at
// launch, and one tranche per report of schedule: for an Action Programme one per progress report
// and the balance on the final report; for the short formats the whole balance on the final report.
// The shares sum exactly to budget.
//
// Decided here, where the seeds are silent: the balance after the advance is divided in
// proportion to the length of each report's period, a month counting as 30 days so that every
// full four-month period gets the same tranche (a longer or shorter last period gets more or
// less); leftover hundredths go by largest remainder, ties to the earlier tranche; tranches of
// zero are left out (a 0% advance is no tranche).
func TranchePlan(format string, budget int64, advanceShare int, schedule []ReportDue) ([]Tranche, error) {
	f, ok := FormatByCode(format)
	if !ok {
		return nil, fmt.Errorf("tranche plan: unknown format %q", format)
	}
	if budget < 0 || budget > MaxAmount {
		return nil, fmt.Errorf("tranche plan: budget %d outside 0..%d", budget, MaxAmount)
	}
	if advanceShare < 0 || advanceShare >= 10000 {
		return nil, fmt.Errorf("tranche plan: advance share %d basis points outside 0..9999", advanceShare)
	}
	if err := checkSchedule(f, schedule); err != nil {
		return nil, fmt.Errorf("tranche plan: %w", err)
	}
	advance := (budget*int64(advanceShare) + 5000) / 10000 // half up; budget ≤ MaxAmount keeps this in range
	weights := make([]uint64, len(schedule))
	for i, r := range schedule {
		// Progress periods are full periods by construction; measuring them from their own first
		// day would give some a day or two more where months were clamped (from the 31st).
		m, d := f.ReportEveryMonths, 0
		if r.Kind == FinalReport {
			from, _ := parseDate(r.PeriodStart)
			to, _ := parseDate(r.PeriodEnd)
			m, d = spanMonths(from, to)
		}
		weights[i] = uint64(m*30 + d)
	}
	shares := splitLargestRemainder(uint64(budget-advance), weights)

	var out []Tranche
	add := func(t Tranche) {
		if t.Amount > 0 {
			t.Seq = len(out) + 1
			out = append(out, t)
		}
	}
	add(Tranche{Kind: AdvanceTranche, Amount: advance, Due: schedule[0].PeriodStart})
	for i, r := range schedule {
		add(Tranche{Kind: r.Kind, Amount: int64(shares[i]), ReportSeq: r.Seq, Due: r.Due, GraceUntil: r.GraceUntil})
	}
	return out, nil
}

// checkSchedule accepts a schedule as Schedule builds it for the format: reports numbered from
// 1 with valid dates, progress reports only for periodic formats, exactly one final report, last.
func checkSchedule(f Format, schedule []ReportDue) error {
	if len(schedule) == 0 {
		return fmt.Errorf("empty schedule")
	}
	for i, r := range schedule {
		if r.Seq != i+1 {
			return fmt.Errorf("report %d numbered %d", i+1, r.Seq)
		}
		for _, d := range []string{r.PeriodStart, r.PeriodEnd, r.Due, r.GraceUntil} {
			if _, err := parseDate(d); err != nil {
				return fmt.Errorf("report %d: %w", r.Seq, err)
			}
		}
		if r.PeriodEnd < r.PeriodStart {
			return fmt.Errorf("report %d: period ends before it starts", r.Seq)
		}
		last := i == len(schedule)-1
		switch {
		case last && r.Kind != FinalReport:
			return fmt.Errorf("report %d: the last report must be the final report", r.Seq)
		case !last && (r.Kind != ProgressReport || !f.Periodic()):
			return fmt.Errorf("report %d: a %s owes no %s report before its final report", r.Seq, f.NameEN, r.Kind)
		}
	}
	return nil
}

// splitLargestRemainder divides total in proportion to weights, in whole units, so that the parts
// sum to total exactly (Hamilton's method; ties go to the earlier part).
func splitLargestRemainder(total uint64, weights []uint64) []uint64 {
	var sum uint64
	for _, w := range weights {
		sum += w
	}
	parts := make([]uint64, len(weights))
	if sum == 0 {
		return parts
	}
	rems := make([]uint64, len(weights))
	var given uint64
	for i, w := range weights {
		// total·w/sum without overflow; the quotient is at most total, so hi < sum.
		hi, lo := bits.Mul64(total, w)
		parts[i], rems[i] = bits.Div64(hi, lo, sum)
		given += parts[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rems[a] > rems[b]:
			return -1
		case rems[a] < rems[b]:
			return 1
		}
		return 0
	})
	for k := uint64(0); k < total-given; k++ {
		parts[order[k]]++
	}
	return parts
}

// Releasable says whether a tranche may be paid now: not yet released, and either the advance
// or a tranche whose report (in status reportStatus) is approved.
func Releasable(t Tranche, reportStatus string) bool {
	if t.ReleasedOn != "" {
		return false
	}
	return t.Kind == AdvanceTranche || reportStatus == StatusApproved
}

// Settle is what an intervention's final tranche pays, the closing of its accounts: the
// expenditure of its approved reports less what was released before, never more than the tranche
// as planned and never less than nothing. Refund is what the agency was paid beyond its
// expenditure and owes back (0 if nothing).
//
// Decided here, where the seeds are silent (they say only that the rest of the funding is paid at
// close, after the final technical and financial report): the project pays what was spent, not
// the whole budget, so an agency that spent less than its budget is not paid money it did not use.
// The earlier tranches are paid as planned; they fund the work of the period to come.
func Settle(planned, spent, releasedBefore int64) (pay, refund int64) {
	pay = min(max(spent-releasedBefore, 0), planned)
	refund = max(releasedBefore-spent, 0)
	return pay, refund
}

// ReportState is what Withheld needs to know of a report.
type ReportState struct {
	Status string `json:"status"`
	// SubmittedOn is the first submission ("" if never submitted): a returned report resubmitted
	// after the grace was still sent in on time.
	SubmittedOn string `json:"submitted_on,omitempty"`
	ApprovedOn  string `json:"approved_on,omitempty"`
}

// Why a tranche is withheld.
const (
	WaitNotSubmitted = "not_submitted" // its report is not written or still a draft
	WaitReturned     = "returned"      // its report was returned for correction
	WaitInReview     = "in_review"     // its report is submitted or reviewed, not yet approved
	WaitRelease      = "not_released"  // nothing left to wait for: the office has not paid it
)

// WithheldFunds is a tranche held back on asOf, why, and since when.
type WithheldFunds struct {
	Tranche Tranche `json:"tranche"`
	// Amount is what is held: what releasing the tranche on asOf would pay — its planned amount
	// (Tranche.Amount), or for the final tranche its settlement on the records of that day.
	Amount int64  `json:"amount"`
	Reason string `json:"reason"`
	Since  string `json:"since"`
	Days   int    `json:"days"`
	// Late: the report missed its grace (submitted after it, or still unsubmitted past it).
	Late bool `json:"late"`
}

// Withheld lists the unreleased tranches that would have been paid by asOf had everything been
// on time (their Due is before asOf), with the reason each waits. reports holds the state of each
// report by its Seq; a report missing from it is not yet submitted. Each is held at its planned
// amount; the service holds a final tranche at its settlement instead (moneyState.withheld).
//
// Days are counted from the tranche's due date — the date the money would have flowed — except
// for an approved report not yet paid, where the wait on the office counts from the approval if
// that came later.
func Withheld(tranches []Tranche, reports map[int]ReportState, asOf string) ([]WithheldFunds, error) {
	now, err := parseDate(asOf)
	if err != nil {
		return nil, fmt.Errorf("withheld: as of: %w", err)
	}
	var out []WithheldFunds
	for _, t := range tranches {
		if t.ReleasedOn != "" {
			continue
		}
		due, err := parseDate(t.Due)
		if err != nil {
			return nil, fmt.Errorf("withheld: tranche %d: %w", t.Seq, err)
		}
		if !now.After(due) {
			continue
		}
		w := WithheldFunds{Tranche: t, Amount: t.Amount, Reason: WaitRelease, Since: t.Due}
		if t.Kind != AdvanceTranche {
			st := reports[t.ReportSeq]
			switch st.Status {
			case "", StatusDraft:
				w.Reason = WaitNotSubmitted
			case StatusReturned:
				w.Reason = WaitReturned
			case StatusSubmitted, StatusReviewed:
				w.Reason = WaitInReview
			case StatusApproved:
				if st.ApprovedOn > w.Since {
					w.Since = st.ApprovedOn
				}
			default:
				return nil, fmt.Errorf("withheld: report %d: unknown status %q", t.ReportSeq, st.Status)
			}
			if w.Reason == WaitNotSubmitted && st.SubmittedOn == "" {
				w.Late = asOf > t.GraceUntil
			} else {
				w.Late = st.SubmittedOn > t.GraceUntil
			}
		}
		since, err := parseDate(w.Since)
		if err != nil {
			return nil, fmt.Errorf("withheld: tranche %d: %w", t.Seq, err)
		}
		w.Days = max(0, daysBetween(since, now))
		out = append(out, w)
	}
	return out, nil
}

// Burn compares spending with the budget and with the time elapsed.
type Burn struct {
	Spent  int64 `json:"spent"`
	Budget int64 `json:"budget"`
	// SpentShare is spent/budget (above 1 when overspent); TimeShare the share of the
	// intervention's days elapsed by the end of asOf, 0 to 1.
	SpentShare float64 `json:"spent_share"`
	TimeShare  float64 `json:"time_share"`
	// Pace is SpentShare/TimeShare: 1 spends in step with time; 0 when no time has elapsed.
	Pace float64 `json:"pace"`
}

// Burn statuses.
const (
	BurnNotStarted = "not_started" // nothing spent and no day elapsed
	BurnBehind     = "behind"      // spending lags time
	BurnOnTrack    = "on_track"
	BurnAhead      = "ahead"     // spending runs ahead of time (or money spent before the start)
	BurnOverspent  = "overspent" // more spent than budgeted
)

// BurnRate computes the burn of an intervention running start..end (inclusive) as of asOf.
// Money is hundredths; the shares are ratios, where float is harmless.
func BurnRate(spent, budget int64, start, end, asOf string) (Burn, error) {
	if budget <= 0 {
		return Burn{}, fmt.Errorf("burn rate: budget %d: no rate without a budget", budget)
	}
	if spent < 0 {
		return Burn{}, fmt.Errorf("burn rate: negative spending %d", spent)
	}
	s, err := parseDate(start)
	if err != nil {
		return Burn{}, fmt.Errorf("burn rate: start: %w", err)
	}
	e, err := parseDate(end)
	if err != nil {
		return Burn{}, fmt.Errorf("burn rate: end: %w", err)
	}
	now, err := parseDate(asOf)
	if err != nil {
		return Burn{}, fmt.Errorf("burn rate: as of: %w", err)
	}
	if e.Before(s) {
		return Burn{}, fmt.Errorf("burn rate: end %s before start %s", end, start)
	}
	total := daysBetween(s, e) + 1
	elapsed := min(max(daysBetween(s, now)+1, 0), total)
	b := Burn{Spent: spent, Budget: budget,
		SpentShare: float64(spent) / float64(budget),
		TimeShare:  float64(elapsed) / float64(total)}
	if elapsed > 0 {
		b.Pace = b.SpentShare / b.TimeShare
	}
	return b, nil
}

// Status names the burn: overspent above the budget, otherwise ahead or behind when the pace
// strays from 1 by more than tolerance (0.15 = 15%), else on track.
func (b Burn) Status(tolerance float64) string {
	switch {
	case b.Spent > b.Budget:
		return BurnOverspent
	case b.TimeShare == 0 && b.Spent == 0:
		return BurnNotStarted
	case b.TimeShare == 0 || b.Pace > 1+tolerance:
		return BurnAhead
	case b.Pace < 1-tolerance:
		return BurnBehind
	}
	return BurnOnTrack
}
