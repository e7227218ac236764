package plans_test

import (
	"context"
	"strings"
	"testing"

	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
	"ting/internal/web"
)

// TestOverlapApprovalRefused: an approved report's values are written into the results
// framework for the month its period ends, beside whatever the offices entered. Where an office
// has entered the same indicator, unit and combination for a 4-month period holding that month,
// writing the report's value would count its people twice: approval is refused, saying which
// stored period it overlaps, and nothing changes (the report stays reviewed, the entered value
// stands). Once the entry is deleted, approval writes the report's value. Submission makes the
// same check, so an agency hears of it first.
func TestOverlapApprovalRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setupWorld(t, db)
		s, rs := w.svc, results.New(db)
		iv := must(s.CreateIntervention(ctx, w.anhui, apInput(w, "2011-01-01", "2011-12-31")))(t)
		reps := must(s.Reports(ctx, w.ag, iv.ID))(t)
		r1, r2 := reps[0], reps[1]
		if plans.ValuePeriod(r1) != "2011-04" || plans.ValuePeriod(r2) != "2011-08" {
			t.Fatalf("reports' value periods %s, %s", plans.ValuePeriod(r1), plans.ValuePeriod(r2))
		}
		s.SetToday(func() string { return "2011-09-02" }) // both reports' periods are over
		must(s.SaveDraft(ctx, w.ag, r1.ID, plans.ReportDraft{Progress: "Trained 40 teachers.", Values: []plans.ReportValue{{Indicator: "TCH", UnitID: w.hf.ID, Value: 40}}}))(t)
		must(s.Submit(ctx, w.ag, r1.ID, "k1"))(t)
		must(s.Review(ctx, w.anhui, r1.ID, ""))(t)

		// Meanwhile the provincial office enters Hefei's teachers for January-April.
		must(rs.SaveValues(ctx, w.anhui, []results.ValueInput{{Indicator: "TCH", UnitID: w.hf.ID, Period: "2011T1", Value: overlapF(35)}}))(t)
		stored := func() map[string]float64 {
			t.Helper()
			rows, err := db.R.QueryContext(ctx, `SELECT period, value FROM data_values WHERE unit_id = $1`, w.hf.ID)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[string]float64{}
			for rows.Next() {
				var p string
				var v float64
				if err := rows.Scan(&p, &v); err != nil {
					t.Fatal(err)
				}
				out[p] = v
			}
			return out
		}

		_, err := s.Approve(ctx, w.national, r1.ID, "Approved.")
		// Refused on the report's value, the rule saying what to do (OverlapError says who).
		want := valid.FieldError{Row: 1, Field: "value", Rule: "report_value_overlaps", Param: "2011T1"}
		if es, ok := valid.As(err); !ok || len(es) != 1 || es[0] != want {
			t.Fatalf("approval over an entered 2011T1: %v, want %v", err, want)
		}
		for lang, words := range map[string][]string{"en": {"Value", "2011T1", "counted twice", "blank"}, "zh": {"数值", "2011T1", "重复计算", "留空"}} {
			msg := web.NewTr(lang).FieldError(want)
			for _, w := range words {
				if !strings.Contains(msg, w) {
					t.Errorf("%s message %q does not say %q", lang, msg, w)
				}
			}
		}
		if r := must(s.Report(ctx, w.national, r1.ID))(t); r.Status != plans.StatusReviewed || r.ApprovedOn != "" || len(r.Events) != 2 {
			t.Fatalf("refused approval left the report %s (approved on %q, %d events)", r.Status, r.ApprovedOn, len(r.Events))
		}
		if got := stored(); len(got) != 1 || got["2011T1"] != 35 {
			t.Fatalf("after the refused approval Hefei holds %v, want only 2011T1 = 35", got)
		}

		// The office withdraws its entry; the report's value is written on approval.
		var id int64
		if err := db.R.QueryRowContext(ctx, `SELECT id FROM data_values WHERE unit_id = $1 AND period = '2011T1'`, w.hf.ID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		must(0, rs.DeleteValue(ctx, w.anhui, id))(t)
		if r := must(s.Approve(ctx, w.national, r1.ID, "Approved."))(t); r.Status != plans.StatusApproved {
			t.Fatalf("approval after the entry's deletion: %s", r.Status)
		}
		if got := stored(); len(got) != 1 || got["2011-04"] != 40 {
			t.Fatalf("after approval Hefei holds %v, want only 2011-04 = 40", got)
		}

		// A 4-month entry holding the month of the next report's value: refused at submission.
		must(rs.SaveValues(ctx, w.anhui, []results.ValueInput{{Indicator: "TCH", UnitID: w.hf.ID, Period: "2011T2", Value: overlapF(12)}}))(t)
		must(s.SaveDraft(ctx, w.ag, r2.ID, plans.ReportDraft{Progress: "Trained 30 teachers.", Values: []plans.ReportValue{{Indicator: "TCH", UnitID: w.hf.ID, Value: 30}}}))(t)
		_, err = s.Submit(ctx, w.ag, r2.ID, "k2")
		if es, ok := valid.As(err); !ok || len(es) != 1 || es[0] != (valid.FieldError{Row: 1, Field: "value", Rule: "report_value_overlaps", Param: "2011T2"}) {
			t.Fatalf("submission over an entered 2011T2: %v", err)
		}
		if r := must(s.Report(ctx, w.ag, r2.ID))(t); r.Status != plans.StatusDraft {
			t.Fatalf("refused submission left the report %s", r.Status)
		}
	})
}

func overlapF(v float64) *float64 { return &v }
