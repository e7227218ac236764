package beneficiaries

import (
	"context"
	"errors"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

func TestFeedbackRulesAndScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := xFixture(t, db)
		s := w.svc
		ah := w.xCard(t, w.fd1, "1994")
		js := w.xCard(t, w.bh1, "1994")
		ok := FeedbackInput{SiteID: w.fd1.ID, ServiceType: "life_skills", CardID: ah.ID, Date: "2012-05-01", Rating: 4}
		tests := []struct {
			name string
			edit func(*FeedbackInput)
			want string
		}{
			{"rating 0", func(f *FeedbackInput) { f.Rating = 0 }, "rating:range(1-5)"},
			{"rating 6", func(f *FeedbackInput) { f.Rating = 6 }, "rating:range(1-5)"},
			{"future", func(f *FeedbackInput) { f.Date = "2012-07-01" }, "date:not_future(" + xToday + ")"},
			{"no date", func(f *FeedbackInput) { f.Date = "" }, "date:required"},
			{"bad date", func(f *FeedbackInput) { f.Date = "2012-02-30" }, "date:date"},
			{"type", func(f *FeedbackInput) { f.ServiceType = "massage" }, "service_type:one_of(" + strings.Join(ServiceTypes, ", ") + ")"},
			{"no site", func(f *FeedbackInput) { f.SiteID = 0 }, "site_id:required"},
			{"comment", func(f *FeedbackInput) { f.Comment = strings.Repeat("好", 2001) }, "comment:max_len(2000)"},
			{"action", func(f *FeedbackInput) { f.Action = strings.Repeat("a", 1001) }, "action:max_len(1000)"},
			{"site of another province", func(f *FeedbackInput) { f.SiteID = w.bh1.ID }, "site_id:not_in_scope"},
			{"card of another province", func(f *FeedbackInput) { f.CardID = js.ID }, "card_id:not_found"},
		}
		for _, tt := range tests {
			in := ok
			tt.edit(&in)
			if _, err := s.AddFeedback(ctx, w.caseAH, in); xFails(err) != tt.want {
				t.Errorf("%s: got %q, want %q", tt.name, xFails(err), tt.want)
			}
		}
		if _, err := s.AddFeedback(ctx, w.donorAH, ok); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("donor writing feedback: %v", err)
		}
		if n := xCount(t, db, `SELECT COUNT(*) FROM feedback`); n != 0 {
			t.Fatalf("%d responses stored by failed calls", n)
		}
		// A card of another province given with an anonymous response is not looked at, and not stored.
		anon := ok
		anon.CardID, anon.Anonymous = js.ID, true
		f := xMust(s.AddFeedback(ctx, w.caseAH, anon))(t)
		if !f.Anonymous || f.CardID != 0 || f.Card != "" {
			t.Fatalf("anonymous response %+v", f)
		}
		if n := xCount(t, db, `SELECT COUNT(*) FROM feedback WHERE id = $1 AND card_id IS NULL`, f.ID); n != 1 {
			t.Fatal("anonymous response stored with a card")
		}
		if n := xCount(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'feedback' AND entity_id = $1 AND action = 'create'`, f.ID); n != 1 {
			t.Fatalf("%d audit rows for the response", n)
		}
		if _, err := s.FeedbackSummary(ctx, w.officerJS, w.fd.ID, "", ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Jiangsu reading Anhui's summary: %v", err)
		}
		if _, err := s.Feedback(ctx, w.officerJS, w.fd1.ID, 10); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Jiangsu listing Anhui's responses: %v", err)
		}
		if _, err := s.FeedbackSummary(ctx, w.caseAH, w.fd.ID, "2012-05", "2012-04"); xFails(err) != "to:not_before(2012-05-01)" {
			t.Fatalf("range backwards: %v", xFails(err))
		}
	})
}

func TestFeedbackSummary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := xFixture(t, db)
		s := w.svc
		c1, c2, c3 := w.xCard(t, w.fd1, "1994"), w.xCard(t, w.fd1, "1995"), w.xCard(t, w.fd2, "1990")
		cj := w.xCard(t, w.bh1, "1993")
		add := func(a access.Actor, in FeedbackInput) Feedback {
			t.Helper()
			return xMust(s.AddFeedback(ctx, a, in))(t)
		}
		r1 := add(w.caseAH, FeedbackInput{SiteID: w.fd1.ID, ServiceType: "life_skills", CardID: c1.ID, Date: "2012-03-01", Rating: 5, Comment: " good "})
		add(w.caseAH, FeedbackInput{SiteID: w.fd1.ID, ServiceType: "life_skills", CardID: c2.ID, Anonymous: true, Date: "2012-04-01", Rating: 3,
			Comment: "too short", Action: "longer sessions"})
		add(w.caseAH, FeedbackInput{SiteID: w.fd1.ID, ServiceType: "legal_aid", Date: "2012-05-01", Rating: 4, Action: "called the lawyer"})
		add(w.caseAH, FeedbackInput{SiteID: w.fd2.ID, ServiceType: "health", CardID: c3.ID, Date: "2012-06-01", Rating: 2, Comment: "too far"})
		add(w.caseAH, FeedbackInput{SiteID: w.fd2.ID, ServiceType: "health", CardID: c3.ID, Date: "2011-12-15", Rating: 1, Comment: "last year"})
		add(w.caseJS, FeedbackInput{SiteID: w.bh1.ID, ServiceType: "health", CardID: cj.ID, Date: "2012-06-01", Rating: 1, Comment: "Jiangsu"})
		if r1.Comment != "good" || r1.Card != c1.Number || r1.SiteCode != "AH-HF-FD-01" {
			t.Fatalf("stored response %+v", r1)
		}

		sum := xMust(s.FeedbackSummary(ctx, w.caseAH, w.fd.ID, "2012-01", "2012-06"))(t)
		if sum.From != "2012-01-01" || sum.To != "2012-06-30" || len(sum.Sites) != 2 {
			t.Fatalf("summary %+v", sum)
		}
		s1, s2 := sum.Sites[0], sum.Sites[1]
		// fd1: ratings 5, 3, 4; two without a card; two with an action.
		if s1.SiteID != w.fd1.ID || s1.Responses != 3 || s1.Anonymous != 2 || !xNear(s1.MeanRating, 4) || !xNear(s1.Satisfied, 2.0/3) || s1.Actions != 2 {
			t.Fatalf("fd1 %+v", s1)
		}
		if len(s1.ByType) != 2 || s1.ByType[0] != (TypeFeedback{Type: "life_skills", Responses: 2, MeanRating: 4}) ||
			s1.ByType[1] != (TypeFeedback{Type: "legal_aid", Responses: 1, MeanRating: 4}) {
			t.Fatalf("fd1 by type %+v", s1.ByType)
		}
		// fd2: the 2011 response is outside the range.
		if s2.SiteID != w.fd2.ID || s2.Responses != 1 || s2.Anonymous != 0 || s2.MeanRating != 2 || s2.Satisfied != 0 || s2.Actions != 0 {
			t.Fatalf("fd2 %+v", s2)
		}
		if tot := sum.Total; tot.Responses != 4 || tot.Anonymous != 2 || !xNear(tot.MeanRating, 3.5) || !xNear(tot.Satisfied, 0.5) || tot.Actions != 2 {
			t.Fatalf("total %+v", tot)
		}
		if len(sum.ByType) != 3 || sum.ByType[2] != (TypeFeedback{Type: "health", Responses: 1, MeanRating: 2}) {
			t.Fatalf("by type %+v", sum.ByType)
		}
		// The latest comments, newest first; the anonymous one carries no card.
		var got []string
		for _, f := range sum.Latest {
			got = append(got, f.Comment+"|"+f.Card)
		}
		if want := "too far|" + c3.Number + ",too short|,good|" + c1.Number; strings.Join(got, ",") != want {
			t.Fatalf("latest %q, want %q", strings.Join(got, ","), want)
		}

		// Without a range the 2011 response counts; a donor sees the figures but no card number.
		all := xMust(s.FeedbackSummary(ctx, w.donorAH, w.ah.ID, "", ""))(t)
		if all.Total.Responses != 5 || !xNear(all.Total.MeanRating, 3) {
			t.Fatalf("all of Anhui %+v", all.Total)
		}
		for _, f := range all.Latest {
			if f.Card != "" {
				t.Fatalf("donor sees card %s", f.Card)
			}
		}
		list := xMust(s.Feedback(ctx, w.caseAH, w.fd2.ID, 0))(t)
		if len(list) != 2 || list[0].Date != "2012-06-01" || list[1].Comment != "last year" {
			t.Fatalf("fd2 responses %+v", list)
		}
		js := xMust(s.FeedbackSummary(ctx, w.officerJS, w.js.ID, "", ""))(t)
		if js.Total.Responses != 1 || len(js.Sites) != 1 || js.Sites[0].SiteID != w.bh1.ID {
			t.Fatalf("Jiangsu summary %+v", js)
		}
	})
}
