package web

import (
	"net/http"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// TestUIUnitsAsOfInvalid: a date that is not one is refused beside the field, and the tree is
// today's: no "as it stood on" note for the bad date, no node for unit 0, no bare level key.
func TestUIUnitsAsOfInvalid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		national, prov := fxProvince(t, db)
		u := fxUser(t, db, "ui_asof_admin", access.NationalAdmin, national.ID)
		b := app.fxLogin(t, u.Username, fxPassword)
		for _, lang := range Langs {
			tr := NewTr(lang)
			r := b.get(t, "/units?as_of=2012-02-30&lang="+lang)
			pwWant(t, lang+": invalid as_of", r, http.StatusBadRequest, `id="err-as_of"`,
				fxHTML(tr.FieldError(valid.FieldError{Field: "as_of", Rule: "date"})), `value="2012-02-30"`,
				`id="unit-tree"`, `href="/units/`+itoa(national.ID)+`"`, `href="/units/`+itoa(prov.ID)+`"`)
			for _, bad := range []string{`href="/units/0"`, `id="as-of-note"`, fxHTML(tr.T("units.as_of_note", "Date", "2012-02-30")), `>level.<`} {
				if strings.Contains(r.Body, bad) {
					t.Errorf("%s: the page shows %q\n%s", lang, bad, r.Body)
				}
			}
			// A real date still draws the network as it stood.
			r = b.get(t, "/units?as_of=2011-01-01&lang="+lang)
			pwWant(t, lang+": valid as_of", r, http.StatusOK, `id="as-of-note"`, fxHTML(tr.T("units.as_of_note", "Date", "2011-01-01")))
		}
	})
}
