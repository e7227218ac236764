package plans

import (
	"context"
	"fmt"

	"ting/internal/store"
)

// An intervention's money on a date. Every money figure Ting shows — the tranches and what the
// final one would pay, the intervention's spending, the funds withheld, the finance of the
// consolidated reports — is read through moneyAsOf, under one rule: on a date, a report counts
// as sent in only if first submitted by then and as approved only if approved by then, and a
// tranche counts as released only if released by then. A view of a past date therefore shows the
// records as they stood at the end of that day, whatever happened since.

// reportAsOf is a report as it stood on the date, with its expenditure.
type reportAsOf struct {
	ReportState
	Spent int64 // the expenditure it reports; spent only once it is approved
}

// moneyState is an intervention's tranches and reports as they stood at the end of AsOf.
type moneyState struct {
	AsOf string // "" for the records as they stand now
	// Tranches as they stood: one released later is unpaid (no date, reference or amount paid),
	// its report in its state then; the final tranche is settled (Payable) on what was approved
	// and released by then.
	Tranches []StoredTranche
	Reports  map[int]reportAsOf // by seq
	Released int64              // paid by AsOf
	Spent    int64              // the expenditure of the reports approved by AsOf
}

// moneyAsOf reads an intervention's money as it stood at the end of asOf ("" = now, that is
// today). Nothing dated after today has happened yet, whatever the day asked: a release stored
// with a later date (Release refuses one, but older records may hold it) is not paid today, so
// the intervention's page, the funds-withheld page and the ledger (Ledger stops at today too)
// all leave it out until its day comes; it shows as ReleaseDated and cannot be released twice.
func (s *Service) moneyAsOf(ctx context.Context, q store.Queryer, interventionID int64, asOf string) (moneyState, error) {
	st := moneyState{AsOf: asOf, Reports: map[int]reportAsOf{}}
	cut := asOf
	if today := s.today(); cut == "" || cut > today {
		cut = today
	}
	rows, err := q.QueryContext(ctx, `SELECT r.seq, r.status, r.first_submitted_on, r.approved_on,
		COALESCE((SELECT SUM(e.amount) FROM report_expenditures e WHERE e.report_id = r.id), 0)
		FROM reports r WHERE r.intervention_id = $1`, interventionID)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var seq int
		var r reportAsOf
		if err := rows.Scan(&seq, &r.Status, &r.SubmittedOn, &r.ApprovedOn, &r.Spent); err != nil {
			rows.Close()
			return st, err
		}
		if r.SubmittedOn > cut {
			r.ReportState = ReportState{Status: StatusDraft} // not yet sent in
		} else if r.Status == StatusApproved && r.ApprovedOn > cut {
			r.Status, r.ApprovedOn = StatusReviewed, "" // still in review
		}
		if r.Status == StatusApproved {
			st.Spent += r.Spent
		}
		st.Reports[seq] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}

	rows, err = q.QueryContext(ctx, `SELECT t.id, t.seq, t.kind, t.amount, t.report_seq, t.due_on, t.grace_until, COALESCE(d.released_on, ''), COALESCE(d.reference, ''),
		COALESCE(d.amount, 0) FROM tranches t LEFT JOIN disbursements d ON d.tranche_id = t.id
		WHERE t.intervention_id = $1 ORDER BY t.seq`, interventionID)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	st.Tranches = []StoredTranche{}
	for rows.Next() {
		var t StoredTranche
		if err := rows.Scan(&t.ID, &t.Seq, &t.Kind, &t.Amount, &t.ReportSeq, &t.Due, &t.GraceUntil, &t.ReleasedOn, &t.Reference, &t.Paid); err != nil {
			return st, err
		}
		if t.ReleasedOn > cut {
			t.ReleaseDated = t.ReleasedOn
			t.ReleasedOn, t.Reference, t.Paid = "", "", 0 // released later
		}
		if t.ReportSeq != 0 {
			t.ReportStatus = st.Reports[t.ReportSeq].Status
		}
		t.Releasable = t.ReleasedOn == "" && t.ReleaseDated == "" && Releasable(t.Tranche, t.ReportStatus)
		t.Payable = t.Amount
		st.Released += t.Paid
		st.Tranches = append(st.Tranches, t)
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	st.settle()
	return st, nil
}

// settle works out the final tranche's payment (Settle) and holds it until every earlier report
// is approved and every other tranche released, since the payment is what was spent less what
// was paid.
func (st *moneyState) settle() {
	fin := -1
	for i, t := range st.Tranches {
		if t.Kind == FinalReport {
			fin = i
		}
	}
	if fin < 0 {
		return // every tranche of it was zero
	}
	t := &st.Tranches[fin]
	for _, o := range st.Tranches {
		switch {
		case o.ID == t.ID:
		case o.ReleasedOn != "":
			t.ReleasedBefore += o.Paid
		case t.AfterTranche == 0 && t.ReleasedOn == "":
			t.AfterTranche, t.Releasable = o.Seq, false
		}
	}
	for seq, r := range st.Reports {
		if seq < t.ReportSeq && r.Status != StatusApproved && (t.HeldFor == 0 || seq < t.HeldFor) {
			t.HeldFor, t.Releasable = seq, false
		}
	}
	t.Spent = st.Spent
	t.Payable, t.Refund = Settle(t.Amount, t.Spent, t.ReleasedBefore)
}

// withheld is Withheld on the state (AsOf must be a date), each tranche held at what releasing
// it then would pay: its planned amount, or for the final tranche its settlement.
func (st moneyState) withheld(iv Intervention) ([]HeldFunds, error) {
	plain := make([]Tranche, len(st.Tranches))
	payable := map[int]int64{}
	for i, t := range st.Tranches {
		plain[i] = t.Tranche
		payable[t.Seq] = t.Payable
	}
	states := make(map[int]ReportState, len(st.Reports))
	for seq, r := range st.Reports {
		states[seq] = r.ReportState
	}
	held, err := Withheld(plain, states, st.AsOf)
	if err != nil {
		return nil, fmt.Errorf("intervention %s: %w", iv.Code, err)
	}
	out := make([]HeldFunds, len(held))
	for i, h := range held {
		h.Amount = payable[h.Tranche.Seq]
		out[i] = HeldFunds{Intervention: iv, WithheldFunds: h}
	}
	return out, nil
}

// withheldAsOf lists the funds of iv withheld at the end of asOf, as the records stood then: a
// tranche released later was still unpaid, a report approved later still in review (or not yet
// sent in, if first submitted later). The funds-withheld page and API and the consolidated
// reports all read it.
func (s *Service) withheldAsOf(ctx context.Context, iv Intervention, asOf string) ([]HeldFunds, error) {
	st, err := s.moneyAsOf(ctx, s.db.R, iv.ID, asOf)
	if err != nil {
		return nil, err
	}
	return st.withheld(iv)
}
