package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestSuppressDriftForDonor serves two people at the community today, a girl of 13 and a woman
// of 30: half the people are of the target age, so the province's officer sees the community
// flagged with "50% (1/2)"; a national donor sees its counts as "<5", no share, no flag, and
// the line that says why; the home page flags it to the officer, not to the donor.
func TestSuppressDriftForDonor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		donor, _ := sxDonor(t, x)
		girl := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "林小雨", x.bnYearsAgo(13)+"-02-03"))
		adult := x.bnPerson(x.village.ID, "郑华", x.bnYearsAgo(30))
		adult.Del("guardian")
		adult.Set("consent_given_by", "self")
		woman := x.bnRegister(t, x.ahCase, adult)
		for _, id := range []int64{girl, woman} {
			if r := x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/services", id), url.Values{"type": {"counselling"}, "date": {x.today}, "site_id": {itoa(x.village.ID)}}); r.Status != http.StatusSeeOther {
				t.Fatalf("service: %d\n%s", r.Status, fxSnippet(r.Body))
			}
		}
		page := "/reach/drift?unit=" + itoa(x.county.ID) + "&lang=en"
		site := itoa(x.village.ID)

		r := x.ah.get(t, page)
		sxSays(t, "officer's drift", r, `id="drift-flag-`+site+`"`, `id="drift-recent-`+site+`">50% <small>(1/2)</small>`)
		if strings.Contains(r.Body, `id="drift-suppression"`) || strings.Contains(r.Body, "&lt;5") {
			t.Errorf("the officer's drift hides counts:\n%s", r.Body)
		}

		r = donor.get(t, page)
		sxSays(t, "donor's drift", r, `id="drift-few-`+site+`"`, `id="drift-suppression"`, bnText("en", "suppress.drift_note", "N", 5),
			`id="drift-recent-`+site+`"><span class="withheld">`+bnText("en", "suppress.share_withheld")+`</span> <small>(&lt;5)</small>`)
		row := regexp.MustCompile(`(?s)<tr id="drift-site-` + site + `".*?</tr>\n`).FindString(r.Body)
		if row == "" || strings.Contains(row, `id="drift-flag-`) || strings.Contains(row, "50%") || regexp.MustCompile(`[(/>][1-4][/)<]`).MatchString(row) {
			t.Errorf("the donor's drift row shows counts, a share or a flag:\n%s", row)
		}
		sxSays(t, "officer's home", x.ah.get(t, "/?lang=en"), `id="home-drift"`)
		if home := donor.get(t, "/?lang=en"); home.Status != http.StatusOK || strings.Contains(home.Body, `id="home-drift"`) {
			t.Errorf("the donor's home flags drift:\n%s", fxSnippet(home.Body))
		}
		sxSays(t, "donor's drift in Chinese", donor.get(t, "/reach/drift?unit="+itoa(x.county.ID)+"&lang=zh"), bnText("zh", "suppress.drift_few", "N", 5))
	})
}

// TestSuppressFeedbackForDonor records two responses with comments at the community: the
// officer sees them counted, rated and quoted; a national donor sees "<5", the figures
// withheld and no comment.
func TestSuppressFeedbackForDonor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		donor, _ := sxDonor(t, x)
		for _, f := range []struct{ rating, comment string }{{"5", "很有帮助的课程"}, {"2", "路太远了"}} {
			if r := x.ahCase.postForm(t, "/reach/feedback", url.Values{"site_id": {itoa(x.village.ID)}, "service_type": {"counselling"}, "date": {x.today},
				"rating": {f.rating}, "comment": {f.comment}, "action": {"已回访"}}); r.Status != http.StatusSeeOther {
				t.Fatalf("feedback: %d\n%s", r.Status, fxSnippet(r.Body))
			}
		}
		page := "/reach/feedback?unit=" + itoa(x.county.ID) + "&lang=en"
		site := itoa(x.village.ID)

		r := x.ah.get(t, page)
		sxSays(t, "officer's feedback", r, `id="feedback-site-`+site+`-n">2<`, "3.50", "很有帮助的课程", "路太远了", `id="feedback-latest"`)
		if strings.Contains(r.Body, `id="feedback-suppression"`) || strings.Contains(r.Body, "&lt;5") {
			t.Errorf("the officer's feedback hides counts:\n%s", r.Body)
		}

		r = donor.get(t, page)
		sxSays(t, "donor's feedback", r, `id="feedback-site-`+site+`-n">&lt;5<`, `id="feedback-suppression"`,
			bnText("en", "suppress.fb_total_withheld", "Unit", x.county.Name("en"), "N", 5), bnText("en", "suppress.withheld", "N", 5),
			`id="feedback-comments-withheld"`, bnText("en", "fb.comments_withheld"))
		if strings.Contains(x.ah.get(t, page).Body, `id="feedback-comments-withheld"`) {
			t.Error("the officer, who reads the comments, is told they are withheld")
		}
		for _, leak := range []string{"很有帮助的课程", "路太远了", "已回访", "3.50", `id="feedback-latest"`} {
			if strings.Contains(r.Body, leak) {
				t.Errorf("the donor's feedback shows %q", leak)
			}
		}
		if m := sxSmall.FindString(r.Body); m != "" {
			t.Errorf("the donor's feedback shows a small count: %s", m)
		}
	})
}
