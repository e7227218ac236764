package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestCardsExportFollowsFilters: the card list's export links carry its filters, and the export
// holds what the list showed (a national officer on a weak line does not download every card).
func TestCardsExportFollowsFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		girl := x.bnPerson(x.village.ID, "王芳", x.bnYearsAgo(14))
		boy := x.bnPerson(x.village.ID, "王强", x.bnYearsAgo(15))
		boy.Set("sex", "M")
		x.bnRegister(t, x.ahCase, girl)
		x.bnRegister(t, x.ahCase, boy)
		list := x.ah.get(t, "/cards?sex=M&lang=en")
		if !strings.Contains(list.Body, `href="/cards/export.csv?sex=M"`) || !strings.Contains(list.Body, `href="/cards/export.xlsx?sex=M"`) {
			t.Fatalf("export links of a filtered list: %s", fxSnippet(list.Body))
		}
		rows := func(path string) int {
			r := x.ah.get(t, path)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", path, r.Status, fxSnippet(r.Body))
			}
			return strings.Count(strings.TrimSpace(r.Body), "\n") // lines after the header
		}
		if all, boys := rows("/cards/export.csv?lang=en"), rows("/cards/export.csv?sex=M&lang=en"); all != 2 || boys != 1 {
			t.Errorf("export rows: all %d (want 2), sex=M %d (want 1)", all, boys)
		}
		if n := rows("/cards/export.csv?group=dropout&lang=en"); n != 0 {
			t.Errorf("export of a group no card is in: %d rows", n)
		}
	})
}

// TestReachDrillKeepsFilters: moving down the network from the reach page keeps its question.
func TestReachDrillKeepsFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		n := x.net
		r := x.ah.get(t, "/reach?unit="+itoa(n.Anhui.ID)+"&sex=F&group=left_behind&from=2010-01&to=2012-06&lang=en")
		want := `href="/reach?from=2010-01&amp;group=left_behind&amp;sex=F&amp;to=2012-06&amp;unit=` + itoa(n.AnhuiCity.ID) + `"`
		if r.Status != http.StatusOK || !strings.Contains(r.Body, want) {
			t.Errorf("drill link: want %s in %s", want, fxSnippet(r.Body))
		}
	})
}

// TestCardEthnicityInWords: a card's ethnicity written as a code of the programme's ethnicity
// disaggregation reads in the reader's language; anything else as written.
func TestCardEthnicityInWords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		if _, err := results.New(db).SaveCategorySet(context.Background(), access.System, results.CategorySet{Code: "ethnicity", NameZH: "民族", NameEN: "Ethnicity",
			Categories: []results.Category{{Code: "miao", NameZH: "苗族", NameEN: "Miao"}}}); err != nil {
			t.Fatal(err)
		}
		coded := x.bnPerson(x.village.ID, "杨梅", x.bnYearsAgo(14))
		coded.Set("ethnicity", "miao")
		id := x.bnRegister(t, x.ahCase, coded)
		for lang, want := range map[string]string{"en": "Miao", "zh": "苗族"} {
			if r := x.ahCase.get(t, "/cards/"+itoa(id)+"?lang="+lang); !strings.Contains(r.Body, `id="card-ethnicity">`+want+`<`) {
				t.Errorf("%s: ethnicity not %q: %s", lang, want, fxSnippet(r.Body))
			}
		}
		typed := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "杨桃", x.bnYearsAgo(15)))
		if r := x.ahCase.get(t, "/cards/"+itoa(typed)+"?lang=en"); !strings.Contains(r.Body, `id="card-ethnicity">汉<`) {
			t.Errorf("typed ethnicity: %s", fxSnippet(r.Body))
		}
	})
}

// TestCardSiteByCode: a site may be given by its code (the list stops at 1,000 units); a code
// outside the registrant's area is refused as the list's would be.
func TestCardSiteByCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		form := x.bnPerson(0, "林芳", x.bnYearsAgo(14))
		form.Del("site_id")
		form.Set("site_code", strings.ToLower(x.village.Code)) // typed in small letters
		id := x.bnRegister(t, x.ahCase, form)
		if r := x.ahCase.get(t, "/cards/"+itoa(id)+"?lang=en"); !strings.Contains(r.Body, x.village.Code+"-") {
			t.Errorf("card registered by site code: %s", fxSnippet(r.Body))
		}
		form.Set("site_code", x.net.JiangsuCity.Code)
		form.Set("name", "林芬")
		if r := x.ahCase.postForm(t, "/cards?lang=en", form); r.Status == http.StatusSeeOther {
			t.Errorf("registered at another province's site by its code")
		}
		form.Set("site_code", "NO-SUCH-UNIT")
		if r := x.ahCase.postForm(t, "/cards?lang=en", form); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="err-site_code"`) {
			t.Errorf("unknown site code: %d %s", r.Status, fxSnippet(r.Body))
		}
	})
}
