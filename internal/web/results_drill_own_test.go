package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// A province with values recorded at itself and at two cities: the drill-down page, in both
// languages, and the API's drill-down carry a row for the province's own values, with their
// figure, their count and a link to the records; with it the rows add up to the province's
// figure.
func TestDrillOwnRowOnPageAndAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := resSetup(t, db)
		n := x.net
		chaohu := fxUnit(t, db, "FXAH34-CH", org.Municipal, n.Anhui.ID, "巢湖测试市", "Chaohu Fixture City", "2011-01-01")
		v := func(f float64) *float64 { return &f }
		if _, err := results.New(db).SaveValues(ctx, access.System, []results.ValueInput{
			{Indicator: "DM", UnitID: n.Anhui.ID, Period: "2011-03", Value: v(200)},
			{Indicator: "DM", UnitID: n.AnhuiCity.ID, Period: "2011-03", Value: v(80)},
			{Indicator: "DM", UnitID: chaohu.ID, Period: "2011-04", Value: v(50)},
		}); err != nil {
			t.Fatal(err)
		}
		drillQ := url.Values{"indicator": {itoa(x.dm.ID)}, "unit": {itoa(n.Anhui.ID)}, "period": {"LOP"}}.Encode()
		valuesURL := `href="/results/values?indicator=` + itoa(x.dm.ID) + `&amp;period=LOP&amp;unit=` + itoa(n.Anhui.ID) + `"`
		for lang, label := range map[string]string{"en": "recorded at Anhui Fixture Province itself", "zh": "直接记录在安徽测试省本级"} {
			r := x.nat.get(t, "/results/progress/drill?lang="+lang+"&"+drillQ)
			if r.Status != http.StatusOK {
				t.Fatalf("drill (%s): status %d\n%s", lang, r.Status, fxSnippet(r.Body))
			}
			if got := resCellText(t, r.Body, "drill-row-own", "own-label"); got != label {
				t.Errorf("own row label (%s) %q, want %q", lang, got, label)
			}
			if got := resCellText(t, r.Body, "drill-row-own", "actual"); got != "200" {
				t.Errorf("own row figure (%s) %q, want 200", lang, got)
			}
			if got := resCellText(t, r.Body, "drill-row-own", "own-values"); !strings.Contains(got, "1") {
				t.Errorf("own row count (%s) %q", lang, got)
			}
			ownURL := strings.TrimSuffix(valuesURL, `"`) + `&amp;own=1"`
			row := r.Body[strings.Index(r.Body, `id="drill-row-own"`):]
			if row = row[:strings.Index(row, "</tr>")]; !strings.Contains(row, ownURL) {
				t.Errorf("own row (%s) does not link to its own values:\n%s", lang, row)
			}
			// ... which list the value recorded at Anhui and none of its cities'.
			vals := x.nat.get(t, "/results/values?lang="+lang+"&own=1&"+drillQ)
			if vals.Status != http.StatusOK || !strings.Contains(vals.Body, `id="values-own"`) || strings.Contains(vals.Body, "FXAH34-HF") || strings.Contains(vals.Body, "FXAH34-CH") {
				t.Errorf("own values page (%s): %d %s", lang, vals.Status, fxSnippet(vals.Body))
			}
			for code, want := range map[string]string{"FXAH34-HF": "80", "FXAH34-CH": "50"} {
				if got := resCellText(t, r.Body, "drill-row-"+code, "actual"); got != want {
					t.Errorf("%s (%s) %q, want %s", code, lang, got, want)
				}
			}
			if !strings.Contains(r.Body, `id="own-actual"><a `+valuesURL+`>330</a>`) {
				t.Errorf("Anhui's figure (%s) is not 330", lang)
			}
		}
		// No values at the unit itself, no own row.
		r := x.nat.get(t, "/results/progress/drill?lang=en&"+url.Values{"indicator": {itoa(x.dm.ID)}, "unit": {itoa(n.National.ID)}, "period": {"LOP"}}.Encode())
		if strings.Contains(r.Body, `id="drill-row-own"`) {
			t.Error("the nation, with no values of its own, has an own row")
		}

		// The API: the cities, then the own row; together they make Anhui's 330.
		var drill list[results.ChildRow]
		r = x.natAPI.get(t, "/api/v1/progress/drill?"+drillQ)
		if r.json(t, &drill); r.Status != http.StatusOK || len(drill.Items) != 3 || !strings.Contains(r.Body, `"own":true`) {
			t.Fatalf("API drill: status %d\n%s", r.Status, r.Body)
		}
		own := drill.Items[2]
		if !own.Own || own.Unit.ID != n.Anhui.ID || own.Actual.Value != 200 || own.Actual.Values != 1 || drill.Items[0].Own || drill.Items[1].Own {
			t.Errorf("API own row %+v", own)
		}
		var sum float64
		for _, k := range drill.Items {
			sum += k.Actual.Value
		}
		if sum != 330 {
			t.Errorf("API drill rows add up to %v, want 330", sum)
		}
	})
}
