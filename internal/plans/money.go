package plans

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// StoredTranche is a tranche as stored, with its report's state and its release, if any.
type StoredTranche struct {
	ID int64 `json:"id"`
	Tranche
	ReportStatus string `json:"report_status,omitempty"`
	Releasable   bool   `json:"releasable"`
	Reference    string `json:"reference,omitempty"`
	// Paid is what was released: the planned amount, or for the final tranche its settlement;
	// 0 until released. Payable is what a release would pay now.
	Paid    int64 `json:"paid"`
	Payable int64 `json:"payable"`
	// For the final tranche, what its settlement is made of (Settle): the expenditure of the
	// approved reports, the releases before it, and what the agency owes back.
	Spent          int64 `json:"spent,omitempty"`
	ReleasedBefore int64 `json:"released_before,omitempty"`
	Refund         int64 `json:"refund_due,omitempty"`
	// HeldFor is an earlier report the final tranche waits on, and AfterTranche an earlier
	// tranche not yet released: the accounts are settled only when every report is approved and
	// every other tranche paid (0 if none).
	HeldFor      int `json:"held_for_report,omitempty"`
	AfterTranche int `json:"after_tranche,omitempty"`
	// ReleaseDated is the date of a release recorded with a date after the day the tranche is
	// seen as of (a record Release no longer accepts, or a past view): until that day the
	// tranche is unpaid, yet it cannot be released again. "" when none.
	ReleaseDated string `json:"release_dated,omitempty"`
	// ReleasableFrom is, for a releasable tranche, the first day its release may be dated: the
	// day its condition was met (Release). "" otherwise.
	ReleasableFrom string `json:"releasable_from,omitempty"`
}

// Tranches lists an intervention's tranches as they stand today, with what each waits on and,
// for those releasable, the first day a release may bear.
func (s *Service) Tranches(ctx context.Context, a access.Actor, interventionID int64) ([]StoredTranche, error) {
	iv, err := s.Intervention(ctx, a, interventionID)
	if err != nil {
		return nil, err
	}
	st, err := s.moneyAsOf(ctx, s.db.R, interventionID, "")
	if err != nil {
		return nil, err
	}
	for i, t := range st.Tranches {
		if t.Releasable {
			_, st.Tranches[i].ReleasableFrom = st.releaseCondition(iv, t)
		}
	}
	return st.Tranches, nil
}

// Release records the payment of a tranche in the disbursement ledger. Only an advance or a
// tranche whose report is approved can be released, and each only once. The release is dated
// (releasedOn, "" = today) no later than today and not before its condition was met
// (releaseCondition): the ledger records money paid, and money follows the reports.
func (s *Service) Release(ctx context.Context, a access.Actor, trancheID int64, releasedOn, reference string) (StoredTranche, error) {
	if err := a.Require(access.ReleaseFunds); err != nil {
		return StoredTranche{}, err
	}
	today := s.today()
	if releasedOn == "" {
		releasedOn = today
	}
	var es valid.Errors
	es.Date("released_on", releasedOn)
	es.MaxLen("reference", reference, 200)
	if es.Err() != nil {
		return StoredTranche{}, es
	}
	var out StoredTranche
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var ivID int64
		err := tx.QueryRowContext(ctx, "SELECT intervention_id FROM tranches WHERE id = $1", trancheID).Scan(&ivID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("tranche %d: %w", trancheID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		iv, err := s.intervention(ctx, tx, a, ivID)
		if err != nil {
			return fmt.Errorf("tranche %d: %w", trancheID, err)
		}
		st, err := s.moneyAsOf(ctx, tx, ivID, "")
		if err != nil {
			return err
		}
		for _, t := range st.Tranches {
			if t.ID != trancheID {
				continue
			}
			switch {
			case t.ReleasedOn != "":
				return valid.New("tranche", "already_released", t.ReleasedOn)
			case t.ReleaseDated != "":
				return valid.New("tranche", "already_released", t.ReleaseDated)
			case t.HeldFor != 0:
				return valid.New("tranche", "report_not_approved", fmt.Sprint(t.HeldFor))
			case t.AfterTranche != 0:
				return valid.New("tranche", "earlier_unreleased", fmt.Sprint(t.AfterTranche))
			case !t.Releasable:
				return valid.New("tranche", "report_not_approved", fmt.Sprint(t.ReportSeq))
			}
			if releasedOn > today {
				return valid.New("released_on", "not_future", today)
			}
			if rule, met := st.releaseCondition(iv, t); releasedOn < met {
				return valid.New("released_on", rule, met)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO disbursements (tranche_id, amount, released_on, reference, released_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				t.ID, t.Payable, releasedOn, strings.TrimSpace(reference), a.PublicID, store.Now())
			if store.IsUnique(err) {
				return valid.New("tranche", "already_released", releasedOn)
			}
			if err != nil {
				return err
			}
			t.ReleasedOn, t.Reference, t.Releasable, t.Paid = releasedOn, strings.TrimSpace(reference), false, t.Payable
			out = t
			after := map[string]any{"amount": t.Paid, "planned": t.Amount, "currency": iv.Currency,
				"released_on": releasedOn, "reference": reference, "intervention": iv.Code}
			if t.Kind == FinalReport {
				after["spent"], after["released_before"], after["refund_due"] = t.Spent, t.ReleasedBefore, t.Refund
			}
			return audit.Record(ctx, tx, a, "release", "tranche", t.ID, iv.UnitID, nil, after)
		}
		return fmt.Errorf("tranche %d: %w", trancheID, store.ErrNotFound)
	})
	return out, err
}

// releaseCondition is the day t's condition to be paid was met, and the rule a release dated
// before it breaks: the advance is paid at launch, from the intervention's start; a progress
// tranche once its report is approved; the final tranche settles the accounts, so once every
// report is approved and every other tranche released. A tranche is never paid before the start.
func (st moneyState) releaseCondition(iv Intervention, t StoredTranche) (rule, met string) {
	rule, met = "release_before_start", iv.StartOn
	later := func(r, day string) {
		if day > met {
			rule, met = r, day
		}
	}
	switch t.Kind {
	case AdvanceTranche:
	case FinalReport:
		for _, r := range st.Reports {
			later("release_before_settlement", r.ApprovedOn)
		}
		for _, o := range st.Tranches {
			if o.ID != t.ID {
				later("release_before_settlement", o.ReleasedOn)
			}
		}
	default:
		later("release_before_approval", st.Reports[t.ReportSeq].ApprovedOn)
	}
	return rule, met
}

// Disbursement is one line of the ledger.
type Disbursement struct {
	TrancheID    int64  `json:"tranche_id"`
	Intervention string `json:"intervention_code"`
	Seq          int    `json:"seq"`
	Kind         string `json:"kind"`
	// ReportSeq is the report the tranche was paid on (0 for the advance), and ReportStart and
	// ReportEnd that report's period.
	ReportSeq   int    `json:"report_seq"`
	ReportStart string `json:"report_period_start,omitempty"`
	ReportEnd   string `json:"report_period_end,omitempty"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	ReleasedOn  string `json:"released_on"`
	Reference   string `json:"reference"`
}

// Ledger lists the releases of the interventions the actor sees between two dates (inclusive;
// empty from = open). It ends at today, whatever to says: a release recorded with a later date
// has not been paid yet (moneyAsOf), so the ledger agrees with the intervention's page and the
// funds withheld.
func (s *Service) Ledger(ctx context.Context, a access.Actor, from, to string) ([]Disbursement, error) {
	ivs, err := s.Interventions(ctx, a, 0)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, iv := range ivs {
		seen[iv.Code] = true
	}
	if today := s.today(); to == "" || to > today {
		to = today
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT t.id, i.code, t.seq, t.kind, t.report_seq, COALESCE(r.period_start, ''), COALESCE(r.period_end, ''),
		d.amount, i.currency, d.released_on, d.reference
		FROM disbursements d JOIN tranches t ON t.id = d.tranche_id JOIN interventions i ON i.id = t.intervention_id
		LEFT JOIN reports r ON r.intervention_id = t.intervention_id AND r.seq = t.report_seq AND t.report_seq <> 0
		WHERE d.released_on >= $1 AND d.released_on <= $2 ORDER BY d.released_on, i.code, t.seq`, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Disbursement{}
	for rows.Next() {
		var d Disbursement
		if err := rows.Scan(&d.TrancheID, &d.Intervention, &d.Seq, &d.Kind, &d.ReportSeq, &d.ReportStart, &d.ReportEnd, &d.Amount, &d.Currency,
			&d.ReleasedOn, &d.Reference); err != nil {
			return nil, err
		}
		if seen[d.Intervention] {
			out = append(out, d)
		}
	}
	return out, rows.Err()
}

// HeldFunds is a tranche held back, with its intervention.
type HeldFunds struct {
	Intervention Intervention `json:"intervention"`
	WithheldFunds
}

// WithheldAll lists, for every intervention the actor sees, the tranches that would have been
// paid by asOf had every report been on time and approved, why each waits and for how long, as
// the records stood at the end of asOf (withheldAsOf, as the consolidated reports list them).
func (s *Service) WithheldAll(ctx context.Context, a access.Actor, asOf string) ([]HeldFunds, error) {
	if asOf == "" {
		asOf = s.today()
	}
	ivs, err := s.Interventions(ctx, a, 0)
	if err != nil {
		return nil, err
	}
	var out []HeldFunds
	for _, iv := range ivs {
		held, err := s.withheldAsOf(ctx, iv, asOf)
		if err != nil {
			return nil, err
		}
		out = append(out, held...)
	}
	return out, nil
}

// Spending is an intervention's money on a date: budget, released, spent (approved reports),
// and the burn rate against time elapsed.
type Spending struct {
	Budget   int64  `json:"budget"`
	Released int64  `json:"released"`
	Spent    int64  `json:"spent"`
	Burn     Burn   `json:"burn"`
	Status   string `json:"status"`
	// Once the final tranche is released: what of the budget was not paid because it was not
	// spent, and what the agency owes back (paid beyond what it spent).
	Unpaid    int64 `json:"unpaid,omitempty"`
	RefundDue int64 `json:"refund_due,omitempty"`
}

// BurnTolerance is how far spending may run from time elapsed before it is flagged.
const BurnTolerance = 0.15

// SpendingOf computes an intervention's money as of a date (moneyAsOf): what was released by
// then and what the reports approved by then spent.
func (s *Service) SpendingOf(ctx context.Context, a access.Actor, interventionID int64, asOf string) (Spending, error) {
	iv, err := s.Intervention(ctx, a, interventionID)
	if err != nil {
		return Spending{}, err
	}
	if asOf == "" {
		asOf = s.today()
	}
	st, err := s.moneyAsOf(ctx, s.db.R, iv.ID, asOf)
	if err != nil {
		return Spending{}, err
	}
	sp := Spending{Budget: iv.Budget, Released: st.Released, Spent: st.Spent}
	if sp.Burn, err = BurnRate(sp.Spent, iv.Budget, iv.StartOn, iv.EndOn, asOf); err != nil {
		return sp, err
	}
	sp.Status = sp.Burn.Status(BurnTolerance)
	for _, t := range st.Tranches {
		if t.Kind == FinalReport && t.ReleasedOn != "" {
			sp.Unpaid, sp.RefundDue = iv.Budget-sp.Released, t.Refund
		}
	}
	return sp, nil
}

// LateReport is a report past its grace and not yet submitted (or sent back and not resubmitted).
type LateReport struct {
	Report       Report       `json:"report"`
	Intervention Intervention `json:"intervention"`
	DaysLate     int          `json:"days_late"`
}

// LateReports lists the reports late on asOf in the actor's scope, most overdue first.
func (s *Service) LateReports(ctx context.Context, a access.Actor, asOf string) ([]LateReport, error) {
	if asOf == "" {
		asOf = s.today()
	}
	ivs, err := s.Interventions(ctx, a, 0)
	if err != nil {
		return nil, err
	}
	byID := map[int64]Intervention{}
	for _, iv := range ivs {
		byID[iv.ID] = iv
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+reportCols+` FROM reports r JOIN interventions i ON i.id = r.intervention_id
		WHERE r.status IN ($1, $2) AND r.grace_until < $3 ORDER BY r.due_on, i.code, r.seq`, StatusDraft, StatusReturned, asOf)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LateReport
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		iv, ok := byID[r.InterventionID]
		if !ok {
			continue
		}
		d, err := DaysLate(ReportDue{Due: r.Due, GraceUntil: r.GraceUntil}, "", asOf)
		if err != nil {
			return nil, err
		}
		r.DaysLate = d
		out = append(out, LateReport{Report: r, Intervention: iv, DaysLate: d})
	}
	return out, rows.Err()
}
