package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/plans"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestPlansSettlement closes a Mini Programme through the intervention page: the final tranche
// says what it will pay (what the approved report spent less the advance, not the balance) in
// both languages, the release records that amount, and the page then shows the tranche paid
// against its plan and the budget kept back.
func TestPlansSettlement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := pwSetup(t, db)
		actor := func(name string) access.Actor {
			t.Helper()
			u, err := auth.New(db).Login(ctx, name, fxPassword)
			if err != nil {
				t.Fatal(err)
			}
			return u.Actor()
		}
		js, nat, ag := actor("pw_jiangsu"), actor("pw_national"), actor("pw_agency")
		svc := plans.New(db)
		svc.SetToday(func() string { return "2011-07-05" })
		plan, err := svc.CreateWorkPlan(ctx, js, plans.WorkPlanInput{UnitID: x.net.Jiangsu.ID, Year: 2011, TitleZH: "江苏2011年工作计划", TitleEN: "Jiangsu work plan 2011"})
		if err != nil {
			t.Fatal(err)
		}
		iv, err := svc.CreateIntervention(ctx, js, plans.InterventionPlan{WorkPlanID: plan.ID, Code: "MP-JS-09", TitleZH: "同伴教育", TitleEN: "Peer education",
			AgencyID: x.net.Partner.ID, GraceDays: 10, Locations: []int64{x.net.JiangsuCity.ID}, Indicators: []plans.TargetInput{{Code: "PW-TCH"}},
			Rules: plans.InterventionInput{Format: plans.MiniProgramme, StartOn: "2011-01-01", EndOn: "2011-06-30", AdvanceShare: 3000,
				Budget: []plans.BudgetLine{{Item: "Training", Currency: "CNY", Amount: 800_000}, {Item: "Materials", Currency: "CNY", Amount: 200_000}}}})
		if err != nil {
			t.Fatal(err)
		}
		ts, err := svc.Tranches(ctx, nat, iv.ID)
		if err != nil || len(ts) != 2 {
			t.Fatalf("tranches %+v %v", ts, err)
		}
		page := fmt.Sprintf("/plans/interventions/%d", iv.ID)
		release := func(tr plans.StoredTranche, on string) fxResp {
			return x.nat.postForm(t, fmt.Sprintf("/plans/tranches/%d/release?lang=en", tr.ID),
				url.Values{"intervention_id": {itoa(iv.ID)}, "released_on": {on}, "reference": {"MP-" + on}})
		}
		if r := release(ts[0], "2011-01-10"); r.Status != http.StatusSeeOther {
			t.Fatalf("advance: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		pwWant(t, "final before its report", release(ts[1], "2011-07-10"), http.StatusUnprocessableEntity, "Tranche waits on report 1, which is not approved yet.")

		reps, err := svc.Reports(ctx, ag, iv.ID)
		if err != nil {
			t.Fatal(err)
		}
		steps := []func() (plans.Report, error){
			func() (plans.Report, error) {
				return svc.SaveDraft(ctx, ag, reps[0].ID, plans.ReportDraft{Progress: "Twelve peer groups met.",
					Expenditure: map[int64]int64{iv.LineIDs[0]: 400_000, iv.LineIDs[1]: 100_000}})
			},
			func() (plans.Report, error) { return svc.Submit(ctx, ag, reps[0].ID, "settle-1") },
			func() (plans.Report, error) { return svc.Review(ctx, js, reps[0].ID, "") },
			func() (plans.Report, error) { return svc.Approve(ctx, nat, reps[0].ID, "") },
		}
		for _, step := range steps {
			if _, err := step(); err != nil {
				t.Fatal(err)
			}
		}
		pwWant(t, "settlement, English", x.nat.get(t, page+"?lang=en"), http.StatusOK,
			`id="settle-2"`, "Pays 2,000.00 CNY: spent in approved reports 5,000.00 CNY, less 3,000.00 CNY released before; 7,000.00 CNY planned.")
		pwWant(t, "settlement, Chinese", x.nat.get(t, page+"?lang=zh"), http.StatusOK,
			"应付 2,000.00 CNY：已批准报告支出 5,000.00 CNY，减去此前已拨付 3,000.00 CNY；计划 7,000.00 CNY。")
		if r := release(ts[1], "2011-07-10"); r.Status != http.StatusSeeOther {
			t.Fatalf("final: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		pwWant(t, "after the close, English", x.nat.get(t, page+"?lang=en"), http.StatusOK,
			"2,000.00 CNY paid of 7,000.00 CNY planned", `id="spending-released">5,000.00 CNY`, `id="spending-unpaid">5,000.00 CNY`, "Not paid at close (not spent)")
		pwWant(t, "after the close, Chinese", x.nat.get(t, page+"?lang=zh"), http.StatusOK,
			"实付 2,000.00 CNY，计划 7,000.00 CNY", "结算时未拨付（未支出）")
		pwWant(t, "ledger", x.nat.get(t, "/plans/ledger?lang=en"), http.StatusOK, fmt.Sprintf(`id="ledger-%d"`, ts[1].ID), "2,000.00 CNY")
	})
}
