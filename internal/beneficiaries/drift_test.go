package beneficiaries

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestDrift builds the seed's story: fd1, a Women's Home, served young people in 2011 and
// mostly older women in 2012; fd2 went the other way; fd3 stopped serving; Jiangsu's bh1 is
// out of Anhui's sight.
func TestDrift(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := xFixture(t, db)
		s := w.svc
		y1, y2, y3, y4 := w.xCard(t, w.fd1, "1994"), w.xCard(t, w.fd1, "1995"), w.xCard(t, w.fd1, "1993-04-02"), w.xCard(t, w.fd1, "1994")
		o1, o2, o3 := w.xCard(t, w.fd1, "1980"), w.xCard(t, w.fd1, "1979"), w.xCard(t, w.fd1, "1981")
		w.xServe(t, w.fd1, "2011-03-10", y1, y2)
		w.xServe(t, w.fd1, "2011-09-10", y3, y4)
		w.xServe(t, w.fd1, "2012-03-15", y1, o1, o2, o3)
		w.xServe(t, w.fd1, "2012-04-15", o1, o2) // the same people again count once
		// fd2: in 2011 one of 24 (target) and one of 25 (not); in 2012 three of 16.
		a, b := w.xCard(t, w.fd2, "1987"), w.xCard(t, w.fd2, "1986")
		w.xServe(t, w.fd2, "2011-05-01", a, b)
		w.xServe(t, w.fd2, "2012-02-01", w.xCard(t, w.fd2, "1996"), w.xCard(t, w.fd2, "1996"), w.xCard(t, w.fd2, "1996"))
		w.xServe(t, w.fd3, "2011-05-20", w.xCard(t, w.fd3, "1995"))
		w.xServe(t, w.bh1, "2012-04-01", w.xCard(t, w.bh1, "1970"))

		d := xMust(s.Drift(ctx, w.caseAH, DriftQuery{UnitID: w.fd.ID}))(t)
		if d.AsOf != xToday || d.Months != 6 || d.AgeMin != 12 || d.AgeMax != 24 || d.Threshold != 0.6 || d.RecentFrom != "2012-01-01" {
			t.Fatalf("defaults %+v", d.DriftQuery)
		}
		if got := xDriftSites(d); got != "AH-HF-FD-01 AH-HF-FD-02 AH-HF-FD-03" || d.Flagged != 1 {
			t.Fatalf("order %s, %d flagged", got, d.Flagged)
		}
		f1, f2, f3 := d.Sites[0], d.Sites[1], d.Sites[2]
		if f1.SiteID != w.fd1.ID || f1.SiteNameEN != "AH-HF-FD-01 site" || !f1.Flagged || f1.PeopleRecent != 4 || f1.TargetRecent != 1 || f1.PeopleEarlier != 4 || f1.TargetEarlier != 4 ||
			f1.RecentShare != 0.25 || f1.EarlierShare != 1 || f1.DropPoints != 75 {
			t.Fatalf("fd1 %+v", f1)
		}
		if got := xTrend(f1); got != "2011S1 2/2, 2011S2 2/2, 2012S1 1/4" {
			t.Fatalf("fd1 trend %s", got)
		}
		if f2.Flagged || f2.PeopleRecent != 3 || f2.RecentShare != 1 || f2.PeopleEarlier != 2 || f2.TargetEarlier != 1 || f2.EarlierShare != 0.5 || f2.DropPoints != -50 {
			t.Fatalf("fd2 %+v", f2)
		}
		if f3.Flagged || f3.Recent || !f3.Earlier || f3.PeopleEarlier != 1 || f3.DropPoints != 0 || xTrend(f3) != "2011S1 1/1" {
			t.Fatalf("fd3 %+v", f3)
		}

		// As of the end of 2011 the recent window is its second half: fd1 was on target then.
		old := xMust(s.Drift(ctx, w.caseAH, DriftQuery{UnitID: w.fd.ID, AsOf: "2011-12-31"}))(t)
		if old.RecentFrom != "2011-07-01" || old.Flagged != 0 || old.Sites[0].SiteID != w.fd1.ID || old.Sites[0].PeopleRecent != 2 || old.Sites[0].RecentShare != 1 ||
			xTrend(old.Sites[0]) != "2011S1 2/2, 2011S2 2/2" || old.Sites[1].Recent || old.Sites[2].Recent {
			t.Fatalf("as of 2011 %+v", old)
		}
		if low := xMust(s.Drift(ctx, w.caseAH, DriftQuery{UnitID: w.fd.ID, Threshold: 0.2}))(t); low.Flagged != 0 {
			t.Fatalf("threshold 0.2 flags %d", low.Flagged)
		}
		if wide := xMust(s.Drift(ctx, w.caseAH, DriftQuery{UnitID: w.fd.ID, AgeMax: 40}))(t); wide.Flagged != 0 || wide.Sites[0].Recent && wide.Sites[0].RecentShare != 1 {
			t.Fatalf("ages 12-40 %+v", wide.Sites)
		}
		for _, tt := range []struct {
			q    DriftQuery
			want string
		}{
			{DriftQuery{UnitID: w.fd.ID, Months: 200}, "months:range(1-120)"},
			{DriftQuery{UnitID: w.fd.ID, Threshold: 1.5}, "threshold:range(0-1)"},
			{DriftQuery{UnitID: w.fd.ID, AgeMin: 30, AgeMax: 20}, "age_max:not_below_age_min(30)"},
			{DriftQuery{UnitID: w.fd.ID, AsOf: "2012-13-01"}, "as_of:date"},
		} {
			if _, err := s.Drift(ctx, w.caseAH, tt.q); xFails(err) != tt.want {
				t.Errorf("%+v: got %q, want %q", tt.q, xFails(err), tt.want)
			}
		}

		if _, err := s.Drift(ctx, w.officerJS, DriftQuery{UnitID: w.fd.ID}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Jiangsu reading Anhui's drift: %v", err)
		}
		js := xMust(s.Drift(ctx, w.officerJS, DriftQuery{UnitID: w.js.ID}))(t)
		if xDriftSites(js) != "JS-WX-BH-01" || js.Flagged != 1 {
			t.Fatalf("Jiangsu %+v", js)
		}
		ah := xMust(s.Drift(ctx, w.officerAH, DriftQuery{UnitID: w.ah.ID}))(t)
		if xDriftSites(ah) != "AH-HF-FD-01 AH-HF-FD-02 AH-HF-FD-03" {
			t.Fatalf("Anhui sees %s", xDriftSites(ah))
		}
	})
}

func xDriftSites(d DriftReport) string {
	s := ""
	for i, x := range d.Sites {
		if i > 0 {
			s += " "
		}
		s += x.SiteCode
	}
	return s
}

func xTrend(d DriftSite) string {
	s := ""
	for i, p := range d.Trend {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %d/%d", p.Period, p.Target, p.People)
	}
	return s
}
