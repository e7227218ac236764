package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestResultsPeriodEndsIn: values reported for 4-month periods count in the half-year, quarter
// and trend bar in which their period ends, on the table, the drill-down, the values page and
// the export, and the pages say so in both languages.
func TestResultsPeriodEndsIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := resSetup(t, db)
		n, dm := x.net, x.dm
		if _, err := results.New(db).SaveValues(ctx, access.System, []results.ValueInput{
			{Indicator: "DM", UnitID: n.AnhuiCity.ID, Period: "2011T1", Value: resF(10)},
			{Indicator: "DM", UnitID: n.AnhuiCity.ID, Period: "2011T2", Value: resF(20)},
			{Indicator: "DM", UnitID: n.AnhuiCity.ID, Period: "2011T3", Value: resF(40)},
			{Indicator: "DM", UnitID: n.JiangsuCity.ID, Period: "2011T2", Value: resF(2)},
		}); err != nil {
			t.Fatal(err)
		}
		prog := func(lang, period string) fxResp {
			t.Helper()
			r := x.nat.get(t, "/results/progress?"+url.Values{"lang": {lang}, "framework": {"FXLF"}, "unit": {itoa(n.National.ID)}, "period": {period}}.Encode())
			if r.Status != http.StatusOK {
				t.Fatalf("progress %s: status %d\n%s", period, r.Status, fxSnippet(r.Body))
			}
			return r
		}
		for period, want := range map[string]string{"2011S1": "10", "2011S2": "62", "2011Q3": "22", "2011Q4": "40", "2011": "72"} {
			if got := resCellText(t, prog("en", period).Body, "progress-row-DM", "actual"); got != want {
				t.Errorf("national DM in %s: %q, want %q", period, got, want)
			}
		}
		rules := map[string]string{"en": "A value counts in the period in which its reporting period ends", "zh": "数值计入其报告期结束时所在的期间"}
		for lang, rule := range rules {
			if body := prog(lang, "2011S2").Body; !strings.Contains(body, `id="period-rule"`) || !strings.Contains(body, rule) {
				t.Errorf("%s: the table does not say how periods count", lang)
			}
		}

		drill := func(lang, period, trend string) fxResp {
			t.Helper()
			q := url.Values{"lang": {lang}, "indicator": {itoa(dm.ID)}, "unit": {itoa(n.National.ID)}, "period": {period}}
			if trend != "" {
				q.Set("trend", trend)
			}
			r := x.nat.get(t, "/results/progress/drill?"+q.Encode())
			if r.Status != http.StatusOK {
				t.Fatalf("drill %s: status %d\n%s", period, r.Status, fxSnippet(r.Body))
			}
			return r
		}
		r := drill("en", "2011Q3", "")
		if got := resCellText(t, r.Body, "drill-row-FXAH34", "actual"); got != "20" {
			t.Errorf("Anhui in 2011Q3: %q, want 20 (2011T2 ends in August)", got)
		}
		if got := resCellText(t, r.Body, "drill-row-"+fxJSCode, "actual"); got != "2" {
			t.Errorf("Jiangsu in 2011Q3: %q, want 2", got)
		}
		for lang, rule := range rules {
			if body := drill(lang, "2011S2", "").Body; !strings.Contains(body, `id="period-rule"`) || !strings.Contains(body, rule) {
				t.Errorf("%s: the drill-down does not say how periods count", lang)
			}
		}
		// The half-year trend: January-June holds 2011T1, July-December 2011T2 and 2011T3.
		body := drill("en", "LOP", "half").Body
		for label, want := range map[string]string{"2011 January–June": "10", "2011 July–December": "62"} {
			m := regexp.MustCompile(`>([0-9]*)</text>\s*<text[^>]*>` + label + `<`).FindStringSubmatch(body)
			if m == nil || m[1] != want {
				t.Errorf("trend bar %s: %q, want %s\n%s", label, m, want, body[strings.Index(body, `id="trend"`):])
			}
		}

		// The values behind Anhui's third quarter are 2011T2's, and the export agrees.
		r = x.nat.get(t, "/results/values?lang=en&"+url.Values{"indicator": {itoa(dm.ID)}, "unit": {itoa(n.Anhui.ID)}, "period": {"2011Q3"}}.Encode())
		if r.Status != http.StatusOK || strings.Count(r.Body, `<tr id="value-`) != 1 {
			t.Errorf("values behind Anhui's 2011Q3: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		r = x.nat.get(t, "/results/progress.csv?lang=en&"+url.Values{"framework": {"FXLF"}, "unit": {itoa(n.National.ID)}, "period": {"2011S2"}}.Encode())
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Body, "\ufeff"))).ReadAll()
		if err != nil || len(recs) != 3 || recs[1][2] != "DM" || recs[1][6] != "62" || recs[1][7] != "3" {
			t.Errorf("CSV for 2011S2: %v %q", err, recs)
		}
	})
}

func resF(v float64) *float64 { return &v }
