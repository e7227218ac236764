package plans_test

import (
	"context"
	"fmt"
	"testing"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestRemindUpTheHierarchy: in a province with no office account (Guizhou in the demonstration),
// a late report of an agency without users reminds the nearest office above that has accounts
// responsible for reports — the national office's officer and administrator — saying in place
// of which office; a report waiting on the province's review reminds the national officer, who
// reviews too. Running again the same day adds nothing.
func TestRemindUpTheHierarchy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setupRemind(t, db)
		s := w.svc
		o := org.New(db)
		gz := must(o.CreateUnit(ctx, access.System, org.UnitInput{Code: "GZ", Level: org.Provincial, ParentID: w.cn.ID, NameZH: "贵州省", NameEN: "Guizhou",
			Effective: "2010-01-01"}))(t)
		home := must(o.CreatePartner(ctx, access.System, org.PartnerInput{Code: "GZ-WH1", UnitID: gz.ID, Type: "womens_home",
			NameZH: "贵阳妇女之家", NameEN: "Guiyang Women's Home"}))(t)
		plan := must(s.CreateWorkPlan(ctx, w.national, plans.WorkPlanInput{UnitID: gz.ID, Year: 2011, TitleZH: "贵州2011年工作计划", TitleEN: "Guizhou work plan 2011"}))(t)
		in := apInput(w.world, "2011-01-01", "2011-12-31")
		in.WorkPlanID, in.Code, in.AgencyID, in.Locations = plan.ID, "AP-GZ-01", home.ID, []int64{gz.ID}
		iv := must(s.CreateIntervention(ctx, w.national, in))(t)

		for run := 1; run <= 2; run++ {
			st := must(s.Remind(ctx, "2011-06-20", nil, plans.RemindOptions{}))(t)
			if want := map[int]int{1: 2, 2: 0}[run]; st.Late != 1 || st.Created != want {
				t.Fatalf("run %d: %+v, want %d created", run, st, want)
			}
		}
		if got := recipients(t, db, plans.NoticeLate, "2011-06-20"); fmt.Sprint(got) != "map[natadmin:false natofficer:false]" {
			t.Fatalf("late report in a province without officers notified %v", got)
		}
		ns := must(s.Notifications(ctx, w.nat.Actor(), false))(t)
		if len(ns) != 1 || ns[0].Intervention != "AP-GZ-01" || ns[0].InPlaceOf("en") != "Guizhou" || ns[0].InPlaceOf("zh") != "贵州省" {
			t.Fatalf("the national officer's notification %+v", ns)
		}

		// Sent in on 21 June, it waits on Guizhou's review: the national officer is reminded.
		s.SetToday(func() string { return "2011-06-21" })
		r1 := must(s.Reports(ctx, w.national, iv.ID))(t)[0]
		agent := access.Actor{PublicID: "u_gzag", Role: access.AgencyReporter, UnitID: gz.ID, UnitPath: gz.Path, PartnerID: home.ID}
		must(s.SaveDraft(ctx, agent, r1.ID, plans.ReportDraft{Progress: "Opened the home."}))(t)
		must(s.Submit(ctx, agent, r1.ID, "gz-1"))(t)
		for run := 1; run <= 2; run++ {
			st := must(s.Remind(ctx, "2011-07-10", nil, plans.RemindOptions{WaitDays: 14}))(t)
			if want := map[int]int{1: 1, 2: 0}[run]; st.ToReview != 1 || st.Created != want {
				t.Fatalf("review run %d: %+v, want %d created", run, st, want)
			}
		}
		if got := recipients(t, db, plans.NoticeReview, "2011-07-10"); fmt.Sprint(got) != "map[natofficer:false]" {
			t.Fatalf("review waiting in a province without officers notified %v", got)
		}
	})
}
