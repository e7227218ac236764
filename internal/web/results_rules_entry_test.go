package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// With a framework's breakdown rules (the demonstration ships one pair per disaggregated count),
// a breakdown larger than its total is refused on the entry form, saying the rule; an
// incomplete one is saved, and the form shown again after saving says, in the reader's
// language, which warning its values break and by how much.
func TestEntrySaysTheRulesItsValuesBreak(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := resSetup(t, db)
		n, dm := x.net, x.dm
		svc := results.New(db)
		for _, r := range []results.RuleInput{
			{Code: "DM-SEX-MAX", Severity: "error", Expression: "sum(#{DM|sex:*}) <= #{DM}", NameZH: "决策者性别分列之和不超过总数", NameEN: "Decision makers by sex add up to no more than the total"},
			{Code: "DM-SEX-SUM", Severity: "warning", Expression: "sum(#{DM|sex:*}) == #{DM}", NameZH: "决策者性别分列之和等于总数", NameEN: "Decision makers by sex add up to the total"},
		} {
			r.FrameworkCode = "FXLF"
			if _, err := svc.SaveRule(ctx, access.System, r); err != nil {
				t.Fatal(err)
			}
		}
		total, female, male := "v"+itoa(dm.ID), "v"+itoa(dm.ID)+".sex:female", "v"+itoa(dm.ID)+".sex:male"
		entry := url.Values{"framework": {"FXLF"}, "unit_id": {itoa(n.AnhuiCity.ID)}, "period": {"2011-03"}, total: {"5"}, female: {"9"}, male: {"7"}}
		before := resCount(t, db)
		var r fxResp
		for lang, name := range map[string]string{"en": "Decision makers by sex add up to no more than the total", "zh": "决策者性别分列之和不超过总数"} {
			r = x.nat.postForm(t, "/results/entry?lang="+lang, entry)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="entry-errors"`) || !strings.Contains(r.Body, name+" — DM-SEX-MAX") ||
				!strings.Contains(r.Body, "(16 &lt;= 5)") || resCount(t, db) != before {
				t.Fatalf("a breakdown of 16 for a total of 5 (%s): status %d, %d values written\n%s", lang, r.Status, resCount(t, db)-before, fxSnippet(r.Body))
			}
		}
		// A breakdown short of its total is saved, and the form says so at once.
		entry.Set(female, "3")
		entry.Del(male)
		if r = x.nat.postForm(t, "/results/entry?lang=en", entry); r.Status != http.StatusSeeOther {
			t.Fatalf("incomplete breakdown: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		for lang, want := range map[string][]string{
			"en": {"break these validation rules", "Decision makers by sex add up to the total", "3 == 5 does not hold", ">warning<"},
			"zh": {"违反以下校验规则", "决策者性别分列之和等于总数", "3 == 5 不成立", ">警告<"},
		} {
			page := x.nat.get(t, r.location()+"&lang="+lang)
			box := page.Body
			if i := strings.Index(box, `id="entry-rules"`); i < 0 {
				t.Fatalf("no broken rules on the form (%s)\n%s", lang, fxSnippet(page.Body))
			} else {
				box = box[i : i+strings.Index(box[i:], "</div>")]
			}
			for _, w := range want {
				if !strings.Contains(box, w) {
					t.Errorf("broken rules (%s) lack %q:\n%s", lang, w, box)
				}
			}
			if !strings.Contains(box, `id="broken-DM-SEX-SUM"`) || strings.Contains(box, "DM-SEX-MAX") {
				t.Errorf("broken rules (%s): want the warning alone\n%s", lang, box)
			}
		}
		// Completed, the form is clean.
		entry.Set(male, "2")
		if r = x.nat.postForm(t, "/results/entry?lang=en", entry); r.Status != http.StatusSeeOther {
			t.Fatalf("complete breakdown: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		if page := x.nat.get(t, r.location()); strings.Contains(page.Body, `id="entry-rules"`) {
			t.Errorf("a complete breakdown still breaks a rule\n%s", fxSnippet(page.Body))
		}
	})
}
