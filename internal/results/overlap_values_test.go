package results_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
	"ting/internal/web"
)

// overlapValue returns the stored value of DM at a unit for a period and combination, and
// whether there is one.
func overlapValue(t *testing.T, db *store.DB, ind results.Indicator, unit org.Unit, period, combo string) (float64, bool) {
	t.Helper()
	var v float64
	err := db.R.QueryRowContext(context.Background(), `SELECT value FROM data_values WHERE indicator_id = $1 AND unit_id = $2 AND period = $3 AND combo = $4`,
		ind.ID, unit.ID, period, combo).Scan(&v)
	return v, err == nil
}

// overlapRefused checks that err is exactly the refusals want.
func overlapRefused(t *testing.T, what string, err error, want ...valid.FieldError) {
	t.Helper()
	es, ok := valid.As(err)
	if !ok || len(es) != len(want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
	for i := range want {
		if es[i] != want[i] {
			t.Fatalf("%s: got %v, want %v", what, err, want)
		}
	}
}

// TestOverlapMonthAndFourMonthsRefused: a value for May 2011 and one for May-August 2011 at the
// same unit, indicator and combination would both count in any range containing August, May's
// people twice. The second is refused, naming the field, the rule and the stored period, in
// both languages, and nothing of its batch is written; the same key again is an update; another
// unit or another combination is another value.
func TestOverlapMonthAndFourMonthsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys := x.svc, access.System
		must(s.SaveValues(ctx, sys, []results.ValueInput{
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-05", Value: f(10)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-05", Combo: "sex:female", Value: f(6)},
		}))(t)
		before := limitsCount(t, db, "data_values")

		// The 4-month value over the stored month, behind a good value: row 2 is refused, and
		// neither is written.
		batch := []results.ValueInput{
			{Indicator: "DM", UnitID: x.wx.ID, Period: "2011T2", Value: f(3)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011T2", Value: f(40)},
		}
		want := valid.FieldError{Row: 2, Field: "period", Rule: "period_overlaps", Param: "2011-05"}
		_, err := s.CheckValues(ctx, sys, batch)
		overlapRefused(t, "check", err, want)
		_, err = s.SaveValues(ctx, sys, batch)
		overlapRefused(t, "save", err, want)
		if n := limitsCount(t, db, "data_values"); n != before {
			t.Fatalf("a refused batch wrote %d values", n-before)
		}
		if got := must(s.Actual(ctx, sys, x.decision, x.cn, must(results.ParsePeriod("2011"))(t)))(t); got.Value != 10 {
			t.Fatalf("DM in 2011 after the refusal: %+v, want 10", got)
		}

		// Said in the user's language, naming the field and the stored period.
		for lang, words := range map[string][]string{
			"en": {"Period", "2011-05", "overlaps", "twice"},
			"zh": {"期间", "2011-05", "重叠", "重复计算"},
		} {
			msg := web.NewTr(lang).FieldError(want)
			for _, w := range words {
				if !strings.Contains(msg, w) {
					t.Errorf("%s message %q does not say %q", lang, msg, w)
				}
			}
			if strings.Contains(msg, "rule.") {
				t.Errorf("%s message is the bare key: %q", lang, msg)
			}
		}

		// The same keys again are updates.
		must(s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-05", Value: f(12)}}))(t)
		must(s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.wx.ID, Period: "2011T2", Value: f(20)}}))(t)
		must(s.SaveValues(ctx, x.anhui, []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: "2011T3", Value: f(5)}}))(t)
		must(s.SaveValues(ctx, sys, []results.ValueInput{
			{Indicator: "DM", UnitID: x.wx.ID, Period: "2011T2", Value: f(25)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011T3", Value: f(7)},
		}))(t)
		for _, c := range []struct {
			unit   org.Unit
			period string
			want   float64
		}{{x.hf, "2011-05", 12}, {x.wx, "2011T2", 25}, {x.hf, "2011T3", 7}} {
			if v, ok := overlapValue(t, db, x.decision, c.unit, c.period, ""); !ok || v != c.want {
				t.Errorf("DM at %s %s: %v (%v), want %v", c.unit.Code, c.period, v, ok, c.want)
			}
		}

		// Another unit (Wuxi's 2011T2 above), another combination: no overlap.
		must(s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: "2011T2", Combo: "sex:male", Value: f(4)}}))(t)
		if v, ok := overlapValue(t, db, x.decision, x.hf, "2011T2", "sex:male"); !ok || v != 4 {
			t.Fatalf("Hefei's men in 2011T2: %v (%v)", v, ok)
		}

		// The other way round: a month inside a stored 4-month period names the period; and a
		// quarter, a half-year and a year are periods like any other.
		for _, c := range []struct{ period, over string }{{"2011-06", "2011T2"}, {"2011Q3", "2011T2"}, {"2011S2", "2011T2"}, {"2011", "2011T2"}} {
			_, err := s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.wx.ID, Period: c.period, Value: f(1)}})
			overlapRefused(t, "Wuxi "+c.period, err, valid.FieldError{Row: 1, Field: "period", Rule: "period_overlaps", Param: c.over})
		}
		// Periods that touch without overlapping are not refused: Wuxi's 2011T2 ends in August.
		must(s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.wx.ID, Period: "2011-09", Value: f(2)}}))(t)

		// Two rows of one batch overlap each other: the later is refused, naming the earlier.
		_, err = s.SaveValues(ctx, sys, []results.ValueInput{
			{Indicator: "DM", UnitID: x.js.ID, Period: "2011-02", Value: f(1)},
			{Indicator: "DM", UnitID: x.js.ID, Period: "2011-03", Value: f(1)},
			{Indicator: "DM", UnitID: x.js.ID, Period: "2011Q1", Value: f(2)},
		})
		overlapRefused(t, "batch", err, valid.FieldError{Row: 3, Field: "period", Rule: "period_overlaps", Param: "2011-02"})

		// A latest-value indicator takes one value per unit, the period ending last: overlapping
		// periods count nothing twice and are kept.
		must(s.SaveValues(ctx, sys, []results.ValueInput{
			{Indicator: "TCH", UnitID: x.wx.ID, Period: "2011-06", Value: f(5)},
			{Indicator: "TCH", UnitID: x.wx.ID, Period: "2011T2", Value: f(7)},
		}))(t)

		if st := must(s.VerifyRollups(ctx))(t); st.Mismatches != 0 {
			t.Fatalf("verify: %+v", st)
		}
	})
}

// TestOverlapConcurrentWrites: a month and the 4-month period holding it saved at the same
// moment by two users: one is stored, the other refused (the check is made again where the
// values are written, and on PostgreSQL the writers of an indicator take turns).
func TestOverlapConcurrentWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys := x.svc, access.System
		for year := 2001; year <= 2008; year++ {
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, period := range []string{fmt.Sprintf("%d-07", year), fmt.Sprintf("%dT2", year)} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: period, Value: f(1)}})
				}()
			}
			wg.Wait()
			refused := 0
			for _, err := range errs {
				if err != nil {
					if es, ok := valid.As(err); !ok || es[0].Rule != "period_overlaps" {
						t.Fatalf("%d: %v", year, err)
					}
					refused++
				}
			}
			var n int
			if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM data_values WHERE unit_id = $1 AND period_start LIKE $2`, x.hf.ID, fmt.Sprint(year)+"%").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if refused != 1 || n != 1 {
				t.Fatalf("%d: %d refused, %d stored (%v); want one of each", year, refused, n, errs)
			}
		}
	})
}
