package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/plans"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestPlansAsOfAgree continues the biannual fixture into July — the Action Programme's first
// tranche paid on 5 July, the Letter of Exchange's report (in review on 30 June) corrected with
// its expenditure and approved on 10 July, its tranches paid on 9 and 12 July — and reads 30 June
// through every door: the biannual report, the spending of each intervention and the funds
// withheld, by API and on the pages. They agree, and the Letter of Exchange's final tranche is
// held at what its settlement would have paid that day (nothing), beside the 3,500.00 planned.
func TestPlansAsOfAgree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sys := access.System
		x := biSetup(t, db)
		svc := plans.New(db)
		at := func(day string) { svc.SetToday(func() string { return day }) }
		must := func(_ any, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		ivs, err := svc.Interventions(ctx, sys, 0)
		if err != nil {
			t.Fatal(err)
		}
		var loe plans.Intervention
		for _, iv := range ivs {
			if iv.Code == "FXBI-LOE-02" {
				loe, err = svc.Intervention(ctx, sys, iv.ID)
				must(loe, err)
			}
		}
		reps, err := svc.Reports(ctx, sys, loe.ID)
		must(reps, err)
		ts, err := svc.Tranches(ctx, sys, loe.ID)
		must(ts, err)
		if len(reps) != 1 || len(ts) != 2 || ts[1].Kind != plans.FinalReport || ts[1].Amount != 350_000 {
			t.Fatalf("Letter of Exchange: reports %+v, tranches %+v", reps, ts)
		}
		n := x.net
		province := access.Actor{PublicID: "fxbi_ah", Role: access.ProvincialOfficer, UnitID: n.Anhui.ID, UnitPath: n.Anhui.Path}
		national := access.Actor{PublicID: "fxbi_nat", Role: access.NationalOfficer, UnitID: n.National.ID, UnitPath: n.National.Path}
		agent := access.Actor{PublicID: "fxbi_ahag", Role: access.AgencyReporter, UnitID: n.AnhuiCity.ID, UnitPath: n.AnhuiCity.Path, PartnerID: loe.AgencyID}
		at("2011-07-05")
		must(svc.Release(ctx, national, x.first.ID, "2011-07-05", "FXBI-PAY-2"))
		at("2011-07-08")
		must(svc.Return(ctx, province, reps[0].ID, "The expenditure is missing."))
		must(svc.SaveDraft(ctx, agent, reps[0].ID, plans.ReportDraft{Progress: biPendingText, Expenditure: map[int64]int64{loe.LineIDs[0]: 400_000}}))
		must(svc.Submit(ctx, agent, reps[0].ID, "k2"))
		must(svc.Review(ctx, province, reps[0].ID, ""))
		at("2011-07-09") // a release is dated no later than the day it is recorded
		must(svc.Release(ctx, national, ts[0].ID, "2011-07-09", "FXBI-PAY-3"))
		at("2011-07-10")
		must(svc.Approve(ctx, national, reps[0].ID, ""))
		at("2011-07-12")
		must(svc.Release(ctx, national, ts[1].ID, "2011-07-12", "FXBI-PAY-4"))

		const d = "2011-06-30"
		var c plans.Consolidated
		if r := x.ahAPI.get(t, "/api/v1/biannual?"+x.query); r.Status != http.StatusOK {
			t.Fatalf("biannual: status %d %s", r.Status, fxSnippet(r.Body))
		} else {
			r.json(t, &c)
		}
		inReport := map[string]bool{}
		for _, f := range c.Finance {
			inReport[f.Intervention.Code] = true
			var sp plans.Spending
			x.ahAPI.get(t, fmt.Sprintf("/api/v1/interventions/%d/spending?as_of=%s", f.Intervention.ID, d)).json(t, &sp)
			if sp.Spent != f.Spent || sp.Released != f.Released {
				t.Errorf("%s on %s: the biannual report says spent %d, released %d; the spending API %d, %d", f.Intervention.Code, d, f.Spent, f.Released, sp.Spent, sp.Released)
			}
			if f.Intervention.Code == loe.Code && (f.Spent != 0 || f.Released != 0) {
				t.Errorf("the Letter of Exchange on %s: %+v", d, f)
			}
		}

		var held struct{ Items []plans.HeldFunds }
		x.ahAPI.get(t, "/api/v1/withheld?as_of="+d).json(t, &held)
		var listed []plans.HeldFunds
		var sum int64
		for _, h := range held.Items {
			if inReport[h.Intervention.Code] {
				listed = append(listed, h)
				sum += h.Amount
			}
		}
		a, _ := json.Marshal(c.Withheld)
		b, _ := json.Marshal(listed)
		if string(a) != string(b) {
			t.Errorf("withheld on %s:\nbiannual %s\nAPI      %s", d, a, b)
		}
		var final *plans.HeldFunds
		for i, h := range listed {
			if h.Intervention.Code == loe.Code && h.Tranche.Seq == 2 {
				final = &listed[i]
			}
		}
		if final == nil || final.Reason != plans.WaitInReview || final.Amount != 0 || final.Tranche.Amount != 350_000 || len(listed) != 3 {
			t.Fatalf("withheld on %s: %+v", d, listed)
		}

		// The pages: the same rows and total on the funds-withheld page and in the biannual
		// report's section, the final tranche at 0.00 with 3,500.00 planned beside it.
		page := x.ah.get(t, "/plans/withheld?lang=en&as_of="+d)
		pwWant(t, "withheld page", page, http.StatusOK, `id="held-FXBI-AP-01-2"`, `id="held-FXBI-LOE-02-1"`,
			`<td class="num">0.00 CNY<br><span class="muted planned">3,500.00 planned</span></td>`, `id="withheld-total-CNY">`+ivMoney(sum)+" CNY")
		bi := x.ah.get(t, "/plans/biannual?lang=en&"+x.query)
		if bi.Status != http.StatusOK {
			t.Fatalf("biannual page: status %d", bi.Status)
		}
		sec := bi.Body[strings.Index(bi.Body, `id="biannual-withheld"`):]
		sec = sec[:strings.Index(sec, "</table>")]
		if n := strings.Count(sec, "<tr>") - 2; n != 3 || !strings.Contains(sec, `<td class="num">`+biMoneyText(sum)+`</td>`) ||
			!strings.Contains(sec, `<td class="num">0.00</td>`) {
			t.Errorf("the biannual report's withheld section (%d rows), want a total of %s:\n%s", n, biMoneyText(sum), sec)
		}
	})
}
