package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// TestSuppressComplementForDonor serves twelve people at the community, nine girls of 16 and
// three men of 22. A national donor who asks for the girls, or for ages 16 to 18, gets "<5" on
// the page and suppressed in the API, since the twelve the donor may also see would give away
// the three men; the page says why. Ages off the bands are refused to the donor beside the
// input (page) and by field (API). The officer, who may open the cards, sees 9 and may ask any
// ages.
func TestSuppressComplementForDonor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		donor, donorAPI := sxDonor(t, x)
		for i := range 12 {
			sex, age := "F", 16
			if i >= 9 {
				sex, age = "M", 22
			}
			form := x.bnPerson(x.village.ID, fmt.Sprintf("差分%02d", i), fmt.Sprintf("%s-%02d-%02d", x.bnYearsAgo(age), i+1, i+10))
			form.Set("sex", sex)
			id := x.bnRegister(t, x.ahCase, form)
			if r := x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/services", id), url.Values{"type": {"counselling"}, "date": {x.today}, "site_id": {itoa(x.village.ID)}}); r.Status != http.StatusSeeOther {
				t.Fatalf("service: %d\n%s", r.Status, fxSnippet(r.Body))
			}
		}
		unit := "unit=" + itoa(x.village.ID) + "&lang=en"

		if got := bnReach(t, donor.get(t, "/reach?"+unit)); got != 12 {
			t.Errorf("donor, everyone: %d, want 12", got)
		}
		for _, ask := range []string{"&sex=F", "&age=16-18", "&age=custom&age_min=16&age_max=18"} {
			r := donor.get(t, "/reach?"+unit+ask)
			sxSays(t, "donor's page "+ask, r, `id="reach-figure">&lt;5<`, `id="reach-suppression-filters">`+bnText("en", "suppress.filter_note", "N", 5)+`<`)
			if got := bnReach(t, x.ah.get(t, "/reach?"+unit+ask)); got != 9 {
				t.Errorf("officer's page %s: %d, want 9", ask, got)
			}
			var got struct {
				People     int64
				Suppressed bool
			}
			donorAPI.get(t, "/api/v1/reach?"+unit+ask).json(t, &got)
			if got.People != 0 || !got.Suppressed {
				t.Errorf("donor's API %s: %+v", ask, got)
			}
			got.Suppressed = true
			x.ahAPI.get(t, "/api/v1/reach?"+unit+ask).json(t, &got)
			if got.People != 9 || got.Suppressed {
				t.Errorf("officer's API %s: %+v", ask, got)
			}
		}

		// Ages 16 to 23 would leave out the people of 24: refused to the donor, answered to
		// the officer (all twelve: the men are 22).
		off := "&age=custom&age_min=16&age_max=23"
		pwWant(t, "donor, ages 16 to 23", donor.get(t, "/reach?"+unit+off), http.StatusUnprocessableEntity,
			`id="err-age_max">`+bnSay("en", valid.FieldError{Field: "age_max", Rule: "age_grid", Param: "11, 15, 18, 24"})+`<`)
		if r := donorAPI.get(t, "/api/v1/reach?"+unit+off); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"field":"age_max"`) ||
			!strings.Contains(r.Body, `"rule":"age_grid"`) {
			t.Errorf("donor's API, ages 16 to 23: %d %s", r.Status, r.Body)
		}
		if got := bnReach(t, x.ah.get(t, "/reach?"+unit+off)); got != 12 {
			t.Errorf("officer, ages 16 to 23: %d, want 12", got)
		}
		// A band that is not one of the bands is said beside the band's choice.
		pwWant(t, "donor, band 13-14", donor.get(t, "/reach?"+unit+"&age=13-14"), http.StatusUnprocessableEntity, `id="err-age">`)
		if r := x.ah.get(t, "/reach?"+unit+"&sex=F"); strings.Contains(r.Body, `id="reach-suppression`) {
			t.Errorf("the officer's page speaks of suppression")
		}
	})
}
