package plans_test

import (
	"context"
	"errors"
	"testing"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// TestReportValueOverlapsOfficeValue: a report whose figure (counted in April 2011, the month its
// period ends) would count again people a provincial office already recorded for January-April
// 2011 is refused — numbers stay exact — on the value's row, with the recorded period and who
// entered it, so the agency knows whom to ask; left blank, the report goes through. The same
// holds at approval when the office's value came after the submission.
func TestReportValueOverlapsOfficeValue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setupWorld(t, db)
		s := w.svc
		officer := must(auth.New(db).CreateUser(ctx, access.System, auth.UserInput{Username: "wangfang", DisplayName: "Wang Fang", Password: "overlap-password-1",
			Role: access.ProvincialOfficer, UnitID: w.ah.ID}))(t).Actor()
		rs := results.New(db)
		enter := func(period string) {
			t.Helper()
			v := 30.0
			if _, err := rs.SaveValues(ctx, officer, []results.ValueInput{{Indicator: "TCH", UnitID: w.hf.ID, Period: period, Value: &v,
				Source: "entry", SourceRef: "Anhui monitoring records"}}); err != nil {
				t.Fatal(err)
			}
		}
		overlap := func(what string, err error) plans.Overlap {
			t.Helper()
			var ov *plans.OverlapError
			es, _ := valid.As(err)
			if !errors.As(err, &ov) || len(es) != 1 || es[0].Row != 1 || es[0].Field != "value" || es[0].Rule != "report_value_overlaps" || es[0].Param != "2011T1" ||
				len(ov.Overlaps) != 1 {
				t.Fatalf("%s: %v", what, err)
			}
			return ov.Overlaps[0]
		}
		iv := must(s.CreateIntervention(ctx, w.anhui, apInput(w, "2011-01-01", "2011-12-31")))(t)
		r1 := must(s.Reports(ctx, w.ag, iv.ID))(t)[0]
		s.SetToday(func() string { return "2011-05-02" })
		enter("2011T1")
		withValue := plans.ReportDraft{Progress: "Trained 40 teachers.", Values: []plans.ReportValue{{Indicator: "TCH", UnitID: w.hf.ID, Value: 40}}}
		must(s.SaveDraft(ctx, w.ag, r1.ID, withValue))(t)
		o := overlap("submission", errOf(s.Submit(ctx, w.ag, r1.ID, "k1")))
		if o.Row != 1 || o.Period != "2011T1" || o.Source != "entry" || o.SourceRef != "Anhui monitoring records" || o.EnteredBy != "Wang Fang" ||
			o.Office("en") != "Anhui" || o.Office("zh") != "安徽省" {
			t.Fatalf("who holds the value: %+v", o)
		}
		// Left blank, the report is sent in.
		must(s.SaveDraft(ctx, w.ag, r1.ID, plans.ReportDraft{Progress: "Trained 40 teachers (counted by the province for January-April)."}))(t)
		if r := must(s.Submit(ctx, w.ag, r1.ID, "k2"))(t); r.Status != plans.StatusSubmitted {
			t.Fatalf("submitted without the figure: %s", r.Status)
		}

		// Report 2 (May-August) is sent in with its figure; the office then records May-August
		// itself: approving the report would count those people twice, and is refused alike.
		r2 := must(s.Reports(ctx, w.ag, iv.ID))(t)[1]
		s.SetToday(func() string { return "2011-09-05" })
		must(s.SaveDraft(ctx, w.ag, r2.ID, withValue))(t)
		must(s.Submit(ctx, w.ag, r2.ID, "k3"))(t)
		must(s.Review(ctx, w.anhui, r2.ID, ""))(t)
		enter("2011T2")
		_, err := s.Approve(ctx, w.national, r2.ID, "")
		var ov *plans.OverlapError
		if es, _ := valid.As(err); !errors.As(err, &ov) || len(es) != 1 || es[0].Rule != "report_value_overlaps" || es[0].Param != "2011T2" ||
			ov.Overlaps[0].EnteredBy != "Wang Fang" {
			t.Fatalf("approval over the office's value: %v", err)
		}
		if r := must(s.Report(ctx, w.national, r2.ID))(t); r.Status != plans.StatusReviewed {
			t.Fatalf("the refused approval left the report %s", r.Status)
		}
	})
}

func errOf[T any](_ T, err error) error { return err }
