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
}

// Tranches lists an intervention's tranches with what each waits on.
func (s *Service) Tranches(ctx context.Context, a access.Actor, interventionID int64) ([]StoredTranche, error) {
	if _, err := s.Intervention(ctx, a, interventionID); err != nil {
		return nil, err
	}
	return s.tranches(ctx, s.db.R, interventionID)
}

// tranches are an intervention's tranches as the records stand now.
func (s *Service) tranches(ctx context.Context, q store.Queryer, interventionID int64) ([]StoredTranche, error) {
	st, err := s.moneyAsOf(ctx, q, interventionID, "")
	return st.Tranches, err
}

// Release records the payment of a tranche in the disbursement ledger. Only an advance or a
// tranche whose report is approved can be released, and each only once.
func (s *Service) Release(ctx context.Context, a access.Actor, trancheID int64, releasedOn, reference string) (StoredTranche, error) {
	if err := a.Require(access.ReleaseFunds); err != nil {
		return StoredTranche{}, err
	}
	if releasedOn == "" {
		releasedOn = s.today()
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
		ts, err := s.tranches(ctx, tx, ivID)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.ID != trancheID {
				continue
			}
			switch {
			case t.ReleasedOn != "":
				return valid.New("tranche", "already_released", t.ReleasedOn)
			case t.HeldFor != 0:
				return valid.New("tranche", "report_not_approved", fmt.Sprint(t.HeldFor))
			case t.AfterTranche != 0:
				return valid.New("tranche", "earlier_unreleased", fmt.Sprint(t.AfterTranche))
			case !t.Releasable:
				return valid.New("tranche", "report_not_approved", fmt.Sprint(t.ReportSeq))
			case releasedOn < iv.StartOn:
				return valid.New("released_on", "not_before", "start_on")
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

// Disbursement is one line of the ledger.
type Disbursement struct {
	TrancheID    int64  `json:"tranche_id"`
	Intervention string `json:"intervention_code"`
	Seq          int    `json:"seq"`
	Kind         string `json:"kind"`
	Amount       int64  `json:"amount"`
	Currency     string `json:"currency"`
	ReleasedOn   string `json:"released_on"`
	Reference    string `json:"reference"`
}

// Ledger lists the releases of the interventions the actor sees between two dates (inclusive;
// empty = open).
func (s *Service) Ledger(ctx context.Context, a access.Actor, from, to string) ([]Disbursement, error) {
	ivs, err := s.Interventions(ctx, a, 0)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, iv := range ivs {
		seen[iv.Code] = true
	}
	if to == "" {
		to = "9999-12-31"
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT t.id, i.code, t.seq, t.kind, d.amount, i.currency, d.released_on, d.reference
		FROM disbursements d JOIN tranches t ON t.id = d.tranche_id JOIN interventions i ON i.id = t.intervention_id
		WHERE d.released_on >= $1 AND d.released_on <= $2 ORDER BY d.released_on, i.code, t.seq`, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Disbursement{}
	for rows.Next() {
		var d Disbursement
		if err := rows.Scan(&d.TrancheID, &d.Intervention, &d.Seq, &d.Kind, &d.Amount, &d.Currency, &d.ReleasedOn, &d.Reference); err != nil {
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
