package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// sxDonor signs in a donor of the national unit, by browser and by token.
func sxDonor(t *testing.T, x bnFixture) (browser, api *fxClient) {
	t.Helper()
	u := fxUser(t, x.db, "sx_donor", access.Donor, x.net.National.ID)
	return x.app.fxLogin(t, "sx_donor", fxPassword), x.app.fxBearer(t, fxToken(t, x.db, u))
}

// sxSays checks that a page answers 200 with every want, going on when it does not.
func sxSays(t *testing.T, what string, r fxResp, wants ...string) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Errorf("%s: status %d\n%s", what, r.Status, fxSnippet(r.Body))
		return
	}
	for _, w := range wants {
		if !strings.Contains(r.Body, w) {
			t.Errorf("%s: the page does not say %q", what, w)
		}
	}
}

// sxSmall finds a count from 1 to 4 standing in a table cell or the figure.
var sxSmall = regexp.MustCompile(`<(td|strong)[^>]*>[1-4]</`)

// TestSuppressReachForDonor asks one narrow question (a girl of 13, so of 12 to 15, left-behind,
// counselling, at one community) that one person answers, as a national donor and as the province's
// officer: the donor gets "<5" on the page, suppressed in the API and in the export; the
// officer, who may open the card, gets 1 on the page and in the API, and "<5" in the export.
// The table breaks down by the dimension asked.
func TestSuppressReachForDonor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		donor, donorAPI := sxDonor(t, x)
		girl := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "林小雨", x.bnYearsAgo(13)+"-02-03"))
		if r := x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/services", girl), url.Values{"type": {"counselling"}, "date": {x.today}, "site_id": {itoa(x.village.ID)}}); r.Status != http.StatusSeeOther {
			t.Fatalf("service: %d\n%s", r.Status, fxSnippet(r.Body))
		}
		ask := "unit=" + itoa(x.village.ID) + "&sex=F&age=custom&age_min=12&age_max=15&group=left_behind&type=counselling&lang=en"

		// The page.
		r := donor.get(t, "/reach?"+ask)
		sxSays(t, "donor's page", r, `id="reach-figure">&lt;5<`, `id="reach-suppression"`, `id="reach-own"`)
		if m := sxSmall.FindString(r.Body); m != "" {
			t.Errorf("the donor's page shows a small count: %s", m)
		}
		if got := bnReach(t, x.ah.get(t, "/reach?"+ask)); got != 1 {
			t.Errorf("officer's page: %d, want 1", got)
		}
		if r := x.ah.get(t, "/reach?"+ask); strings.Contains(r.Body, `id="reach-suppression"`) || strings.Contains(r.Body, "&lt;5") {
			t.Errorf("the officer's page hides counts:\n%s", fxSnippet(r.Body))
		}

		// The API.
		type answer struct {
			People     int64
			Suppressed *bool
		}
		var got answer
		donorAPI.get(t, "/api/v1/reach?"+ask).json(t, &got)
		if got.People != 0 || got.Suppressed == nil || !*got.Suppressed {
			t.Errorf("donor's API: people %d, suppressed %v", got.People, got.Suppressed)
		}
		got = answer{}
		x.ahAPI.get(t, "/api/v1/reach?"+ask).json(t, &got)
		if got.People != 1 || got.Suppressed == nil || *got.Suppressed {
			t.Errorf("officer's API: people %d, suppressed %v", got.People, got.Suppressed)
		}

		// The export, whoever asks.
		row := regexp.MustCompile(`(?m)^FXAH34-HF-FD-01,[^,]*,(.*)\r?$`)
		for who, c := range map[string]*fxClient{"donor": donor, "officer": x.ah} {
			r := c.get(t, "/reach/export.csv?"+ask)
			m := row.FindStringSubmatch(r.Body)
			if r.Status != http.StatusOK || m == nil || strings.TrimRight(m[1], "\r") != "<5,<5" {
				t.Errorf("%s's export: %d\n%s", who, r.Status, r.Body)
			}
		}

		// Broken down by age band, over the county: the officer sees the girl in 12-15, the
		// donor "<5"; an unknown breakdown is said beside its input.
		county := "/reach?unit=" + itoa(x.county.ID) + "&by=age&lang=en"
		r = x.ah.get(t, county)
		pwWant(t, "officer by age", r, http.StatusOK, `<option value="age" selected>`, "<th class=\"num\">12–15<", `id="reach-unit-`+itoa(x.village.ID)+`"`)
		if !regexp.MustCompile(`id="reach-own"><th>[^<]*</th><td class="num">0</td><td class="num">1</td>`).MatchString(r.Body) {
			t.Errorf("officer's county by age:\n%s", r.Body)
		}
		r = donor.get(t, county)
		pwWant(t, "donor by age", r, http.StatusOK, `id="reach-own"><th>`, `<td class="num">&lt;5</td>`)
		if m := sxSmall.FindString(r.Body); m != "" {
			t.Errorf("the donor's table by age shows a small count: %s", m)
		}
		csv := x.ah.get(t, "/reach/export.csv?unit="+itoa(x.county.ID)+"&by=sex&lang=en")
		if !strings.Contains(csv.Body, "Female") || strings.Contains(csv.Body, "Counselling") || !strings.Contains(csv.Header.Get("Content-Disposition"), "-sex.csv") {
			t.Errorf("export by sex: %q\n%s", csv.Header.Get("Content-Disposition"), csv.Body)
		}
		pwWant(t, "by nothing known", x.ah.get(t, "/reach?unit="+itoa(x.county.ID)+"&by=unit&lang=en"), http.StatusUnprocessableEntity, `id="err-by"`)
	})
}

// TestSuppressChangeForDonor measures one person at the community and five at a second one:
// the officer sees both sites; a national donor sees the first withheld ("<5", no mean, interval
// or share), the second with it (else the first would follow from the whole), and the whole of
// six.
func TestSuppressChangeForDonor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		donor, _ := sxDonor(t, x)
		second := fxUnit(t, db, "FXAH34-HF-FD-02", org.Community, x.county.ID, "第二测试社区", "Second Fixture Community", "2011-01-01")
		qs := `[{"code":"q1","text_zh":"你知道求助热线吗？","text_en":"Do you know the helpline?","options":[{"code":"no","label_zh":"不知道","label_en":"No","score":0},{"code":"yes","label_zh":"知道","label_en":"Yes","score":2}]}]`
		if r := x.nat.postForm(t, "/cards/instruments", url.Values{"code": {"LS"}, "name_zh": {"生活技能"}, "name_en": {"Life skills"}, "questions": {qs}}); r.Status != http.StatusSeeOther {
			t.Fatalf("instrument: %d\n%s", r.Status, fxSnippet(r.Body))
		}
		names := []string{"甲一", "乙二", "丙三", "丁四", "戊五", "己六"}
		for i, name := range names {
			site := second.ID
			if i == 0 {
				site = x.village.ID
			}
			id := x.bnRegister(t, x.ahCase, x.bnPerson(site, name, x.bnYearsAgo(12+i)+fmt.Sprintf("-0%d-1%d", i+1, i)))
			for _, m := range []url.Values{{"instrument": {"LS"}, "kind": {"baseline"}, "date": {x.today}, "answer_q1": {"no"}},
				{"instrument": {"LS"}, "kind": {"end"}, "date": {x.today}, "answer_q1": {"yes"}}} {
				if r := x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/measurements", id), m); r.Status != http.StatusSeeOther {
					t.Fatalf("measurement: %d\n%s", r.Status, fxSnippet(r.Body))
				}
			}
		}
		page := "/reach/change?instrument=LS&by=site&unit=" + itoa(x.county.ID) + "&lang=en"
		r := donor.get(t, page)
		sxSays(t, "donor's change", r, `id="change-FXAH34-HF-FD-01-n">&lt;5<`, `id="change-FXAH34-HF-FD-02-n">&lt;5<`, `id="change-suppression"`,
			bnText("en", "ms.overall", "Unit", x.county.Name("en"), "Instrument", "Life skills", "N", 6, "Change", "2.00", "Max", "2.0"))
		for _, site := range []string{"FXAH34-HF-FD-01", "FXAH34-HF-FD-02"} {
			tr := regexp.MustCompile(`(?s)<tr id="change-` + site + `">.*?</tr>`).FindString(r.Body)
			if tr == "" || strings.Contains(tr, "2.00") || strings.Contains(tr, "0.00") || strings.Contains(tr, "%") || !strings.Contains(tr, bnText("en", "suppress.withheld", "N", 5)) {
				t.Errorf("the donor's row of %s shows figures: %s", site, tr)
			}
		}
		pwWant(t, "officer's change", x.ah.get(t, page), http.StatusOK, `id="change-FXAH34-HF-FD-01-n">1<`, `id="change-FXAH34-HF-FD-02-n">5<`)
	})
}
