package web

import (
	"net/http"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestUINotFoundPage: an address no route serves gets the framed page in the reader's language,
// with the navigation when signed in; under /api/ it gets the API's JSON error.
func TestUINotFoundPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		national, prov := fxProvince(t, db)
		u := fxUser(t, db, "ui_404_officer", access.ProvincialOfficer, prov.ID)
		signedIn := app.fxLogin(t, u.Username, fxPassword)
		anon := app.fxBrowser(t)
		for _, lang := range Langs {
			tr := NewTr(lang)
			framed := []string{`id="lang-switch"`, fxHTML(tr.T("error.page_not_found")), fxHTML(tr.T("error.page_not_found_text")), fxHTML(tr.T("app.footer"))}
			for _, path := range []string{"/units/" + itoa(national.ID) + "/nope", "/no/such/page", "/units/1/nope"} {
				r := signedIn.get(t, path+"?lang="+lang)
				pwWant(t, lang+": signed in, "+path, r, http.StatusNotFound, append(framed, `aria-label="`+fxHTML(tr.T("nav.label"))+`"`, `href="/units"`)...)
				if r.Header.Get("Content-Language") != lang || strings.Contains(r.Body, "404 page not found") {
					t.Errorf("%s %s: Content-Language %q\n%s", lang, path, r.Header.Get("Content-Language"), fxSnippet(r.Body))
				}
				r = anon.get(t, path+"?lang="+lang)
				pwWant(t, lang+": signed out, "+path, r, http.StatusNotFound, framed...)
				if strings.Contains(r.Body, `aria-label="`+fxHTML(tr.T("nav.label"))+`"`) {
					t.Errorf("%s %s: navigation shown to a visitor who is not signed in", lang, path)
				}
			}
			// A form sent to an address no route serves.
			pwWant(t, lang+": POST to nowhere", signedIn.postForm(t, "/no/such/form?lang="+lang, nil), http.StatusNotFound, framed...)
		}
		// The API answers JSON.
		api := app.fxBearer(t, fxToken(t, db, u))
		for _, c := range []*fxClient{api, anon} {
			r := c.get(t, "/api/v1/no-such-thing?lang=en")
			var body fxAPIErr
			r.json(t, &body)
			if r.Status != http.StatusNotFound || body.Code != "not_found" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Errorf("unknown API path: status %d %q %+v", r.Status, r.Header.Get("Content-Type"), body)
			}
		}
		// A known address asked with a method it does not take is still refused as such.
		if r := signedIn.do(t, http.MethodPut, "/units", nil, ""); r.Status != http.StatusMethodNotAllowed {
			t.Errorf("PUT /units: status %d, want 405", r.Status)
		}
	})
}
