package beneficiaries

import (
	"context"
	"slices"
	"testing"

	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// TestSuppressDrift: fd1 served three people in 2012 (one of the target age) and two in
// 2011; fd2 six in 2012 (two of the target age) and five, all of it, in 2011. The province's
// officer sees every count and both sites flagged; a donor sees fd1's windows and half-years
// suppressed and fd1 not flagged, fd2's recent two withheld with the share that would give
// them back, and so not flagged. The
// cached report stays whole for the officer who asks after the donor.
func TestSuppressDrift(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := xFixture(t, db)
		w.xServe(t, w.fd1, "2012-03-10", w.xCard(t, w.fd1, "1995"), w.xCard(t, w.fd1, "1980"), w.xCard(t, w.fd1, "1981"))
		w.xServe(t, w.fd1, "2011-03-10", w.xCard(t, w.fd1, "1994"), w.xCard(t, w.fd1, "1993"))
		var recent, earlier []Card
		for _, birth := range []string{"1995", "1996", "1970", "1971", "1972", "1973"} {
			recent = append(recent, w.xCard(t, w.fd2, birth))
		}
		for range 5 {
			earlier = append(earlier, w.xCard(t, w.fd2, "1994"))
		}
		w.xServe(t, w.fd2, "2012-04-01", recent...)
		w.xServe(t, w.fd2, "2011-04-01", earlier...)
		q := DriftQuery{UnitID: w.fd.ID}

		check := func(who string, d DriftReport) {
			t.Helper()
			if d.Suppressed || d.Flagged != 2 || xDriftSites(d) != "AH-HF-FD-01 AH-HF-FD-02" {
				t.Fatalf("%s: %d flagged, %s, suppressed %v", who, d.Flagged, xDriftSites(d), d.Suppressed)
			}
			f1, f2 := d.Sites[0], d.Sites[1]
			if !f1.Flagged || f1.Suppressed || f1.PeopleRecent != 3 || f1.TargetRecent != 1 || !xNear(f1.RecentShare, 1.0/3) || f1.PeopleEarlier != 2 ||
				f1.TargetEarlier != 2 || f1.EarlierShare != 1 || !f1.HasDrop() || xTrend(f1) != "2011S1 2/2, 2012S1 1/3" {
				t.Errorf("%s: fd1 %+v", who, f1)
			}
			if !f2.Flagged || f2.PeopleRecent != 6 || f2.TargetRecent != 2 || f2.TargetEarlier != 5 || xTrend(f2) != "2011S1 5/5, 2012S1 2/6" {
				t.Errorf("%s: fd2 %+v", who, f2)
			}
		}
		check("officer", xMust(w.svc.Drift(ctx, w.officerAH, q))(t))

		d := xMust(w.svc.Drift(ctx, w.donorAH, q))(t)
		if !d.Suppressed || d.Flagged != 0 || xDriftSites(d) != "AH-HF-FD-01 AH-HF-FD-02" {
			t.Fatalf("donor: %d flagged, %s, suppressed %v", d.Flagged, xDriftSites(d), d.Suppressed)
		}
		f1, f2 := d.Sites[0], d.Sites[1]
		if f1.Flagged || !f1.Recent || !f1.Suppressed || !f1.RecentSuppressed || !f1.TargetRecentSuppressed || f1.PeopleRecent != 0 || f1.TargetRecent != 0 ||
			f1.RecentShare != 0 || !f1.EarlierSuppressed || f1.PeopleEarlier != 0 || f1.EarlierShare != 0 || f1.HasDrop() || f1.DropPoints != 0 {
			t.Errorf("donor: fd1 %+v", f1)
		}
		for _, p := range f1.Trend {
			if !p.Suppressed || !p.TargetSuppressed || p.People != 0 || p.Target != 0 || p.Share != 0 {
				t.Errorf("donor: fd1 half-year %+v", p)
			}
		}
		// fd2's recent two of six: the share would give the two back (⅓ × 6), so it goes with
		// them, and with it the flag and the drop; its earlier five of five stay.
		if f2.Flagged || !f2.Suppressed || f2.RecentSuppressed || f2.PeopleRecent != 6 || !f2.TargetRecentSuppressed || f2.TargetRecent != 0 ||
			f2.RecentShare != 0 || f2.EarlierSuppressed || f2.TargetEarlierSuppressed || f2.PeopleEarlier != 5 || f2.TargetEarlier != 5 || f2.EarlierShare != 1 ||
			f2.HasDrop() || f2.DropPoints != 0 || xTrend(f2) != "2011S1 5/5, 2012S1 0/6" || !f2.Trend[1].TargetSuppressed || f2.Trend[1].Share != 0 || f2.Trend[0].TargetSuppressed {
			t.Errorf("donor: fd2 %+v", f2)
		}
		check("officer after the donor", xMust(w.svc.Drift(ctx, w.officerAH, q))(t))
		check("caseworker", xMust(w.svc.Drift(ctx, w.caseAH, q))(t))

		// Target ages a year short of a band's top are the donor's to ask no more than on the
		// reach page (the two reports would tell of the people of that year); the officer may.
		off := q
		off.AgeMax = 23
		_, err := w.svc.Drift(ctx, w.donorAH, off)
		if es, ok := valid.As(err); !ok || es[0].Field != "age_max" || es[0].Rule != "age_grid" {
			t.Errorf("donor's drift for ages 12-23: %v", err)
		}
		xMust(w.svc.Drift(ctx, w.officerAH, off))(t)
		banded := q
		banded.AgeMax = 18
		xMust(w.svc.Drift(ctx, w.donorAH, banded))(t)
	})
}

// TestSuppressFeedback: three responses at fd1, six at fd2, seven at fd3 (two acted on), each
// with a comment. The officer sees every figure and comment; a donor sees fd1 suppressed, fd2
// with it (else fd1 would follow from the whole), fd3 and the whole, the small counts of actions
// withheld, and no comment.
func TestSuppressFeedback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := xFixture(t, db)
		add := func(site int64, typ string, rating int, comment, action string) {
			t.Helper()
			xMust(w.svc.AddFeedback(ctx, w.caseAH, FeedbackInput{SiteID: site, ServiceType: typ, Date: "2012-05-01", Rating: rating, Comment: comment, Action: action}))(t)
		}
		for i, r := range []int{5, 4, 2} {
			add(w.fd1.ID, "life_skills", r, map[bool]string{true: "fd1 comment"}[i == 0], "")
		}
		for i := range 6 {
			add(w.fd2.ID, "life_skills", 4, map[bool]string{true: "fd2 comment"}[i == 0], "")
		}
		for i := range 7 {
			add(w.fd3.ID, "health", 3, map[bool]string{true: "fd3 comment"}[i == 0], map[bool]string{true: "called"}[i < 2])
		}
		comments := func(r FeedbackReport) []string {
			var out []string
			for _, f := range r.Latest {
				out = append(out, f.Comment)
			}
			slices.Sort(out)
			return out
		}

		off := xMust(w.svc.FeedbackSummary(ctx, w.officerAH, w.fd.ID, "", ""))(t)
		if off.Suppressed || len(off.Sites) != 3 || off.Total.Responses != 16 || off.Total.Actions != 2 || off.Total.Anonymous != 16 {
			t.Fatalf("officer %+v", off)
		}
		if s1 := off.Sites[0]; s1.Suppressed || s1.Responses != 3 || !xNear(s1.MeanRating, 11.0/3) || !xNear(s1.Satisfied, 2.0/3) || s1.Anonymous != 3 ||
			len(s1.ByType) != 1 || s1.ByType[0] != (TypeFeedback{Type: "life_skills", Responses: 3, MeanRating: 11.0 / 3}) {
			t.Errorf("officer: fd1 %+v", s1)
		}
		if s3 := off.Sites[2]; s3.Responses != 7 || s3.Actions != 2 || s3.ActionsSuppressed {
			t.Errorf("officer: fd3 %+v", s3)
		}
		if got := comments(off); !slices.Equal(got, []string{"fd1 comment", "fd2 comment", "fd3 comment"}) {
			t.Errorf("officer's comments %q", got)
		}

		don := xMust(w.svc.FeedbackSummary(ctx, w.donorAH, w.fd.ID, "", ""))(t)
		if !don.Suppressed || len(don.Sites) != 3 {
			t.Fatalf("donor %+v", don)
		}
		s1, s2, s3 := don.Sites[0], don.Sites[1], don.Sites[2]
		withheld := FeedbackFigures{Suppressed: true, AnonymousSuppressed: true, ActionsSuppressed: true}
		if s1.SiteID != w.fd1.ID || s1.FeedbackFigures != withheld || len(s1.ByType) != 1 || s1.ByType[0] != (TypeFeedback{Type: "life_skills", Suppressed: true}) {
			t.Errorf("donor: fd1 %+v", s1)
		}
		if s2.SiteID != w.fd2.ID || s2.FeedbackFigures != withheld || s2.ByType[0] != (TypeFeedback{Type: "life_skills", Suppressed: true}) {
			t.Errorf("donor: fd2 %+v", s2)
		}
		if s3.Suppressed || s3.Responses != 7 || s3.MeanRating != 3 || s3.Anonymous != 7 || !s3.ActionsSuppressed || s3.Actions != 0 ||
			s3.ByType[0] != (TypeFeedback{Type: "health", Responses: 7, MeanRating: 3}) {
			t.Errorf("donor: fd3 %+v", s3)
		}
		if tot := don.Total; tot.Suppressed || tot.Responses != 16 || !xNear(tot.MeanRating, 3.5) || tot.Anonymous != 16 || !tot.ActionsSuppressed || tot.Actions != 0 {
			t.Errorf("donor: total %+v", tot)
		}
		if len(don.ByType) != 2 || don.ByType[0] != (TypeFeedback{Type: "life_skills", Responses: 9, MeanRating: 35.0 / 9}) || don.ByType[1].Responses != 7 {
			t.Errorf("donor: by type %+v", don.ByType)
		}
		// No comment at all, not even fd3's whose figures are shown: a comment is free text that
		// may name the person; the donor is told there are comments it may not read.
		if got := comments(don); len(got) != 0 || !don.CommentsWithheld {
			t.Errorf("donor's comments %q, withheld %v", got, don.CommentsWithheld)
		}
		if off.CommentsWithheld {
			t.Error("the officer is told comments are withheld")
		}
		list := xMust(w.svc.Feedback(ctx, w.donorAH, w.fd.ID, 0))(t)
		for _, f := range list {
			if f.Comment != "" || f.Action != "" {
				t.Errorf("donor's list shows %q / %q", f.Comment, f.Action)
			}
		}
		// fd1 alone: the donor sees nothing of it, not even a comment.
		one := xMust(w.svc.FeedbackSummary(ctx, w.donorAH, w.fd1.ID, "", ""))(t)
		if !one.Total.Suppressed || one.Total.Responses != 0 || one.Total.MeanRating != 0 || len(one.Latest) != 0 || one.Sites[0].Responses != 0 ||
			!one.CommentsWithheld {
			t.Errorf("donor on fd1 %+v", one)
		}
		if exact := xMust(w.svc.FeedbackSummary(ctx, w.officerAH, w.fd1.ID, "", ""))(t); exact.Total.Responses != 3 || len(exact.Latest) != 1 {
			t.Errorf("officer on fd1 %+v", exact)
		}
	})
}
