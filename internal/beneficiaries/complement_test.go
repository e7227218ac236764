package beneficiaries

import (
	"context"
	"fmt"
	"testing"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// cmPerson registers a person of a sex at an Anhui site, born on birth, in groups.
func (w *xWorld) cmPerson(t *testing.T, site org.Unit, sex, birth string, groups ...string) Card {
	t.Helper()
	w.registered++
	c, err := w.svc.Register(context.Background(), w.caseAH, CardInput{SiteID: site.ID, Sex: sex, Birth: birth, Groups: groups, Status: "working",
		Name: fmt.Sprintf("CM Person %d", w.registered), Guardian: "CM Guardian"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSuppressComplement serves twelve people at fd1 (nine girls of 16, left-behind; three men
// of 22) and fifteen at fd2 (ten left-behind girls of 16; five men of 22, two of them migrant
// children, three in no group). A donor who could subtract a narrowed count from a wider one gets the narrowed one
// withheld where the difference is 1 to 4 people: fd1's girls (12 - 9), its left-behind, its
// ages 12 to 18; fd2's left-behind, since adding migrant children adds only two, and its left-behind or migrant,
// since dropping the groups adds three. Where each
// step wider adds none or five or more (fd2's girls, its men), the count stays. The officer
// sees every count; ages off the bands are refused to the donor, answered to the officer.
func TestSuppressComplement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := xFixture(t, db)
		var fd1, fd2 []Card
		for range 9 {
			fd1 = append(fd1, w.cmPerson(t, w.fd1, "F", "1996-03-01", "left_behind"))
		}
		for range 3 {
			fd1 = append(fd1, w.cmPerson(t, w.fd1, "M", "1990-03-01"))
		}
		for range 10 {
			fd2 = append(fd2, w.cmPerson(t, w.fd2, "F", "1996-04-01", "left_behind"))
		}
		for i := range 5 {
			var gs []string
			if i < 2 {
				gs = []string{"migrant_child"}
			}
			fd2 = append(fd2, w.cmPerson(t, w.fd2, "M", "1990-04-01", gs...))
		}
		w.xServe(t, w.fd1, "2012-05-10", fd1...)
		w.xServe(t, w.fd2, "2012-05-11", fd2...)

		ask := func(unit org.Unit, f analytics.Filter) ReachQuery {
			return ReachQuery{UnitID: unit.ID, From: "2012-01", To: "2012-12", Filter: f}
		}
		figure := func(a access.Actor, q ReachQuery, export bool) string {
			t.Helper()
			g := xMust(w.svc.ReachTable(ctx, a, q, "", nil, export))(t)
			return sxShown(g.Rows[0].Total)
		}
		for _, tt := range []struct {
			name            string
			q               ReachQuery
			donor, officer  string
			officerExported string
		}{
			{"fd1, everyone", ask(w.fd1, analytics.Filter{}), "12", "12", "12"},
			{"fd1, girls", ask(w.fd1, analytics.Filter{Sex: "F"}), "<5", "9", "<5"},
			{"fd1, left-behind", ask(w.fd1, analytics.Filter{Groups: []string{"left_behind"}}), "<5", "9", "<5"},
			{"fd1, ages 12-18", ask(w.fd1, analytics.Filter{Aged: true, AgeMin: 12, AgeMax: 18}), "<5", "9", "<5"},
			// Stretching 12-24 to any band boundary or dropping it adds no one.
			{"fd1, ages 12-24", ask(w.fd1, analytics.Filter{Aged: true, AgeMin: 12, AgeMax: 24}), "12", "12", "12"},
			{"fd2, girls", ask(w.fd2, analytics.Filter{Sex: "F"}), "10", "10", "10"},
			{"fd2, men", ask(w.fd2, analytics.Filter{Sex: "M"}), "5", "5", "5"},
			{"fd2, left-behind", ask(w.fd2, analytics.Filter{Groups: []string{"left_behind"}}), "<5", "10", "<5"},
			// Twelve are in either group: dropping the groups adds the three men in none.
			{"fd2, left-behind or migrant", ask(w.fd2, analytics.Filter{Groups: []string{"left_behind", "migrant_child"}}), "<5", "12", "<5"},
		} {
			if got := figure(w.donorAH, tt.q, false); got != tt.donor {
				t.Errorf("%s: donor sees %s, want %s", tt.name, got, tt.donor)
			}
			if got := figure(w.officerAH, tt.q, false); got != tt.officer {
				t.Errorf("%s: officer sees %s, want %s", tt.name, got, tt.officer)
			}
			if got := figure(w.officerAH, tt.q, true); got != tt.officerExported {
				t.Errorf("%s: officer's export has %s, want %s", tt.name, got, tt.officerExported)
			}
		}

		// A table: fd1's girls are withheld with its men (under five anyway), and then fd2's
		// girls and men with them, else the county's less fd2's would give fd1's.
		county := ask(w.fd, analytics.Filter{})
		g := xMust(w.svc.ReachTable(ctx, w.donorAH, county, "sex", []int64{w.fd1.ID, w.fd2.ID}, false))(t)
		for i, want := range []string{"27 19 8", "12 <5 <5", "15 <5 <5"} {
			if got := sxShown(append([]ReachCell{g.Rows[i].Total}, g.Rows[i].Cells...)...); got != want {
				t.Errorf("donor by sex, row %d: %s, want %s", i, got, want)
			}
		}

		// Ages off the bands: refused to the donor, field by field; the officer is answered.
		for _, tt := range []struct {
			min, max int
			fails    string
		}{
			{12, 23, "age_max:age_grid(11, 15, 18, 24)"},
			{13, 24, "age_min:age_grid(0, 12, 16, 19, 25)"},
			{17, 17, "age_min:age_grid(0, 12, 16, 19, 25); age_max:age_grid(11, 15, 18, 24)"},
		} {
			q := ask(w.fd1, analytics.Filter{Aged: true, AgeMin: tt.min, AgeMax: tt.max})
			if _, err := w.svc.ReachTable(ctx, w.donorAH, q, "", nil, false); xFails(err) != tt.fails {
				t.Errorf("donor, ages %d-%d: %s, want %s", tt.min, tt.max, xFails(err), tt.fails)
			}
			if _, err := w.svc.ReachTable(ctx, w.officerAH, q, "age", nil, false); err != nil {
				t.Errorf("officer, ages %d-%d: %v", tt.min, tt.max, err)
			}
		}
		if got := figure(w.officerAH, ask(w.fd1, analytics.Filter{Aged: true, AgeMin: 12, AgeMax: 23}), false); got != "12" {
			t.Errorf("officer, ages 12-23: %s", got)
		}
		// The open band: from 25 up, or 0 to 200, are on the bands.
		if got := figure(w.donorAH, ask(w.fd1, analytics.Filter{Aged: true, AgeMin: 25, AgeMax: 200}), false); got != "0" {
			t.Errorf("donor, 25 and over: %s", got)
		}
	})
}

// TestWidenings lists the wider questions a narrowed one is checked against, by narrowing.
func TestWidenings(t *testing.T) {
	q := ReachQuery{UnitID: 1, From: "2012-01", To: "2012-12", Filter: analytics.Filter{Types: []string{"health"}, Sex: "F", Aged: true, AgeMin: 16, AgeMax: 18,
		Groups: []string{"left_behind", "parent", "dropout", "migrant_child", "ethnic_minority_child", "young_woman_worker"}}}
	var got []string
	for _, dim := range widenings(q) {
		for _, w := range dim {
			got = append(got, reachKey(w))
		}
		got = append(got, "--")
	}
	want := []string{
		"1|2012-01|2012-12|health||16-18|dropout,ethnic_minority_child,left_behind,migrant_child,parent,young_woman_worker|", "--",
		"1|2012-01|2012-12|health|F||dropout,ethnic_minority_child,left_behind,migrant_child,parent,young_woman_worker|",
		"1|2012-01|2012-12|health|F|0-18|dropout,ethnic_minority_child,left_behind,migrant_child,parent,young_woman_worker|",
		"1|2012-01|2012-12|health|F|12-18|dropout,ethnic_minority_child,left_behind,migrant_child,parent,young_woman_worker|",
		"1|2012-01|2012-12|health|F|16-24|dropout,ethnic_minority_child,left_behind,migrant_child,parent,young_woman_worker|",
		"1|2012-01|2012-12|health|F|16-200|dropout,ethnic_minority_child,left_behind,migrant_child,parent,young_woman_worker|", "--",
		"1|2012-01|2012-12|health|F|16-18||",
		"1|2012-01|2012-12|health|F|16-18|dropout,ethnic_minority_child,left_behind,migrant_child,parent,vocational_student,young_woman_worker|", "--",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("widenings:\n%s\nwant\n%s", got, want)
	}
	// The list holds its own copies: widening does not touch the question.
	if len(q.Groups) != 6 || q.Sex != "F" || q.AgeMin != 16 {
		t.Errorf("the question changed: %+v", q)
	}
}
