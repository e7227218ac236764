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

// TestDuplicatesAcrossProvinces: registering a person who already holds a card in another
// province is answered exactly as registering anyone else (no count of cards outside the
// registrant's area, which would tell them a named person is known there); the pair waits on
// the national office's list of likely duplicates, which Anhui's officer neither sees nor
// decides, and is closed there as two people, in either language.
func TestDuplicatesAcrossProvinces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		n := x.net
		adult := func(site int64, name string) url.Values {
			f := x.bnPerson(site, name, x.bnYearsAgo(20)+"-05-06")
			f.Del("guardian")
			f.Set("consent_given_by", "self")
			f.Del("consent_giver")
			return f
		}
		js := x.bnRegister(t, x.jsCase, adult(n.JiangsuCity.ID, "赵敏"))
		known := adult(x.village.ID, "赵敏")
		known.Set("home_unit_code", n.JiangsuCity.Code)
		stranger := adult(x.village.ID, "钱多多")
		stranger.Set("home_unit_code", n.JiangsuCity.Code)
		r1, r2 := x.ahCase.postForm(t, "/cards?lang=en", known), x.ahCase.postForm(t, "/cards?lang=en", stranger)
		if r1.Status != http.StatusSeeOther || r2.Status != http.StatusSeeOther || strings.Contains(r1.Body, "outside your area") {
			t.Fatalf("registering a person known in Jiangsu answered %d, a stranger %d: %s", r1.Status, r2.Status, fxSnippet(r1.Body))
		}
		ah := pwIDAfter(t, r1, "/cards/")
		api := x.ahCase.sendJSON(t, http.MethodPost, "/api/v1/cards", map[string]any{"site_id": x.village.ID, "sex": "F", "birth": x.bnYearsAgo(20) + "-05-06",
			"status": "working", "name": "赵敏", "home_unit_id": n.JiangsuCity.ID, "consents": []map[string]any{{"purpose": "services", "given_by": "self", "given_on": x.today}}})
		if api.Status != http.StatusConflict || strings.Contains(api.Body, "hidden") || !strings.Contains(api.Body, fmt.Sprintf(`"id":%d`, ah)) {
			// Anhui's own card of her now stops a third registration, and is the only one named.
			t.Errorf("API registration of a person Anhui already holds: %d %s", api.Status, api.Body)
		}
		row := fmt.Sprintf(`id="pair-%d-%d"`, js, ah)
		if p := x.ah.get(t, "/cards/duplicates?lang=en"); p.Status != http.StatusOK || strings.Contains(p.Body, row) || !strings.Contains(p.Body, `id="no-pairs"`) {
			t.Errorf("Anhui's list of likely duplicates: %d %s", p.Status, fxSnippet(p.Body))
		}
		nat := x.nat.get(t, "/cards/duplicates?lang=zh")
		if nat.Status != http.StatusOK || !strings.Contains(nat.Body, row) || !strings.Contains(nat.Body, bnText("zh", "dup.title")) {
			t.Fatalf("national list of likely duplicates: %d %s", nat.Status, fxSnippet(nat.Body))
		}
		pair := url.Values{"card": {itoa(js)}, "other": {itoa(ah)}}
		if r := x.ah.postForm(t, "/cards/duplicates/distinct", pair); r.Status != http.StatusNotFound {
			t.Errorf("Anhui decides a pair with a Jiangsu card: %d", r.Status)
		}
		if r := x.nat.postForm(t, "/cards/duplicates/distinct", pair); r.Status != http.StatusSeeOther {
			t.Fatalf("two people: %d %s", r.Status, fxSnippet(r.Body))
		}
		if p := x.nat.get(t, "/cards/duplicates"); strings.Contains(p.Body, row) {
			t.Errorf("pair decided still listed")
		}
		again := x.nat.postForm(t, "/cards/duplicates/distinct?lang=en", pair)
		if want := bnSay("en", valid.FieldError{Field: "duplicate", Rule: "no_pair"}); again.Status != http.StatusUnprocessableEntity || !strings.Contains(again.Body, want) {
			t.Errorf("deciding twice: %d, want %q in %s", again.Status, want, fxSnippet(again.Body))
		}
	})
}
