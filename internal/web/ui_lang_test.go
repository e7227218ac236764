package web

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"ting/internal/access"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

var uiSwitchRE = regexp.MustCompile(`id="lang-switch" href="([^"]*)"`)

// uiSwitch returns the language switch's link on a page.
func uiSwitch(t *testing.T, what string, r fxResp) string {
	t.Helper()
	m := uiSwitchRE.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("%s: no language switch\n%s", what, fxSnippet(r.Body))
	}
	return html.UnescapeString(m[1])
}

// uiSameURL reports whether got is want as path and query (the order of parameters aside).
func uiSameURL(got, want string) bool {
	g, err1 := url.Parse(got)
	w, err2 := url.Parse(want)
	return err1 == nil && err2 == nil && g.Path == w.Path && g.Query().Encode() == w.Query().Encode()
}

// uiFollowSwitch checks the switch of r leads to want and that want is a page in the other
// language.
func uiFollowSwitch(t *testing.T, c *fxClient, what string, r fxResp, lang, want string) {
	t.Helper()
	got := uiSwitch(t, what, r)
	if !uiSameURL(got, want) {
		t.Errorf("%s (%s): the language switch leads to %q, want %q", what, lang, got, want)
		return
	}
	res := c.get(t, got)
	if res.Status != http.StatusOK || res.Header.Get("Content-Language") != other(lang) {
		t.Errorf("%s (%s): following the switch to %s gives status %d, Content-Language %q\n%s", what, lang, got, res.Status,
			res.Header.Get("Content-Language"), fxSnippet(res.Body))
	}
}

// TestUILangSwitchAfterPost: a page got keeps its query; a page answering a failed form leads
// to the page the form was on (this site's Referer), else to the posted address when it can be
// got, else home — never to the POST's address, which answers 405.
func TestUILangSwitchAfterPost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		national, prov := fxProvince(t, db)
		u := fxUser(t, db, "ui_lang_admin", access.NationalAdmin, national.ID)
		b := app.fxLogin(t, u.Username, fxPassword)
		unitPage := "/units/" + itoa(prov.ID)
		for _, lang := range Langs {
			// A page got: the whole query stays.
			r := b.get(t, "/units?q=Fixture&level=provincial&lang="+lang)
			uiFollowSwitch(t, b, "search", r, lang, "/units?q=Fixture&level=provincial&lang="+other(lang))

			// The close form on a unit's page, refused (a date in the future).
			bad := url.Values{"effective": {"2999-01-01"}}
			close := unitPage + "/close?lang=" + lang
			r = b.postForm(t, close, bad, "Referer", app.ts.URL+unitPage+"?tab=history")
			pwWant(t, lang+": refused close", r, http.StatusUnprocessableEntity)
			uiFollowSwitch(t, b, "refused close, with Referer", r, lang, unitPage+"?tab=history&lang="+other(lang))
			r = b.postForm(t, close, bad)
			uiFollowSwitch(t, b, "refused close, no Referer", r, lang, "/?lang="+other(lang))
			r = b.postForm(t, close, bad, "Referer", "http://elsewhere.example"+unitPage)
			uiFollowSwitch(t, b, "refused close, foreign Referer", r, lang, "/?lang="+other(lang))
			// The Referer is itself an address that only takes POST (a second failure on the page).
			r = b.postForm(t, close, bad, "Referer", app.ts.URL+unitPage+"/close")
			uiFollowSwitch(t, b, "refused close, POST-only Referer", r, lang, "/?lang="+other(lang))

			// The new-unit form, refused: without Referer the posted address is a page.
			r = b.postForm(t, "/units?lang="+lang, url.Values{"parent_id": {itoa(prov.ID)}, "level": {"municipal"}})
			pwWant(t, lang+": refused new unit", r, http.StatusUnprocessableEntity)
			uiFollowSwitch(t, b, "refused new unit", r, lang, "/units?lang="+other(lang))
		}
	})
}

// TestUILangSwitchCardForms: after a refused referral or service on a card's page the switch leads back to
// the card, not to a plain-text 405.
func TestUILangSwitchCardForms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		id := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "陈芳", x.bnYearsAgo(17)))
		card := fmt.Sprintf("/cards/%d", id)
		refer := url.Values{"to_unit_code": {x.net.JiangsuCity.Code}, "service_type": {"employment"}, "reason": {"Moving"}}
		for _, lang := range Langs {
			r := x.ahCase.postForm(t, card+"/referrals?lang="+lang, refer, "Referer", x.app.ts.URL+card)
			pwWant(t, lang+": referral without consent", r, http.StatusUnprocessableEntity)
			uiFollowSwitch(t, x.ahCase, "refused referral", r, lang, card+"?lang="+other(lang))
			r = x.ahCase.postForm(t, card+"/services?lang="+lang, url.Values{"type": {"no-such-type"}}, "Referer", x.app.ts.URL+card)
			pwWant(t, lang+": service of an unknown type", r, http.StatusUnprocessableEntity)
			uiFollowSwitch(t, x.ahCase, "refused service", r, lang, card+"?lang="+other(lang))
		}
	})
}

// TestUILangSwitchResultsEntry: after a refused entry form the switch keeps the framework, unit
// and period the form was opened with.
func TestUILangSwitchResultsEntry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := resSetup(t, db)
		q := url.Values{"framework": {"FXLF"}, "unit": {itoa(x.net.AnhuiCity.ID)}, "period": {"2011-03"}}
		entry := url.Values{"framework": {"FXLF"}, "unit_id": {itoa(x.net.AnhuiCity.ID)}, "period": {"2011-03"}, "v" + itoa(x.dm.ID): {"12x"}}
		for _, lang := range Langs {
			r := x.nat.postForm(t, "/results/entry?lang="+lang, entry, "Referer", x.app.ts.URL+"/results/entry?"+q.Encode())
			pwWant(t, lang+": refused entry", r, http.StatusUnprocessableEntity)
			want := url.Values{"lang": {other(lang)}}
			for k, v := range q {
				want[k] = v
			}
			uiFollowSwitch(t, x.nat, "refused entry", r, lang, "/results/entry?"+want.Encode())
		}
	})
}

// TestUILangRoute: /lang/{lang} returns to the referring page of this site, and to the home
// page from anywhere else (never to another host).
func TestUILangRoute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		c := app.fxBrowser(t)
		for ref, want := range map[string]string{
			app.ts.URL + "/units?q=x":                 "/units?q=x",
			"https://elsewhere.example/units":         "/",
			"https://elsewhere.example//evil.example": "/",
			"": "/",
		} {
			r := c.get(t, "/lang/en", "Referer", ref)
			if r.Status != http.StatusSeeOther || r.location() != want {
				t.Errorf("Referer %q: status %d, Location %q, want %q", ref, r.Status, r.location(), want)
			}
		}
	})
}
