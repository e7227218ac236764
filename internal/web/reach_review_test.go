package web

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestDriftHalvesAndAgesSaid: the drift page's half-years read as the results pages say them
// ("2012 January–June", "2012年上半年"), not as their codes (2012S1); an oldest age below the
// youngest is said as ages, on the drift page and the reach page alike, in both languages.
func TestDriftHalvesAndAgesSaid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		girl := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "林小雨", x.bnYearsAgo(13)+"-02-03"))
		if r := x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/services", girl), url.Values{"type": {"counselling"}, "date": {x.today}, "site_id": {itoa(x.village.ID)}}); r.Status != http.StatusSeeOther {
			t.Fatalf("service: %d\n%s", r.Status, fxSnippet(r.Body))
		}
		half := "S1"
		if m, _ := strconv.Atoi(x.today[5:7]); m > 6 {
			half = "S2"
		}
		code := x.today[:4] + half
		p, err := results.ParsePeriod(code)
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range Langs {
			r := x.ah.get(t, "/reach/drift?unit="+itoa(x.county.ID)+"&lang="+lang)
			pwWant(t, lang+": drift", r, http.StatusOK, "<td>"+html.EscapeString(resPeriodLabel(NewTr(lang), p))+"</td>")
			if strings.Contains(r.Body, "<td>"+code+"</td>") {
				t.Errorf("%s: the drift page shows the half-year as its code %s", lang, code)
			}
		}

		for lang, msg := range map[string]string{"en": "Oldest age must not be below the youngest age (30).", "zh": "最大年龄不能小于最小年龄（30）。"} {
			for _, page := range []string{"/reach/drift?unit=" + itoa(x.county.ID) + "&age_min=30&age_max=20", "/reach?unit=" + itoa(x.county.ID) + "&age=custom&age_min=30&age_max=20"} {
				r := x.ah.get(t, page+"&lang="+lang)
				if !strings.Contains(r.Body, msg) {
					t.Errorf("%s %s: status %d, the page does not say %q\n%s", lang, page, r.Status, msg, fxSnippet(r.Body))
				}
				if strings.Contains(r.Body, html.EscapeString(NewTr(lang).T("rule.not_before", "Field", NewTr(lang).T("field.age_max"), "Param", "30"))) {
					t.Errorf("%s %s: the ages are said as dates", lang, page)
				}
			}
		}
	})
}
