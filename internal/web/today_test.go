package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// TestOneToday: a server seen as of a day (the demonstration's 30 June 2012) judges every date
// by it, not only plans and cards: the network refuses a unit effective after it and offers
// it as the default, the periods offered end the year after it, and a meeting may be held up
// to it.
func TestOneToday(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const today = "2012-06-30"
		s, err := New(db, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test", Keys: fxKeys(t),
			Today: func() string { return today }})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s.Handler())
		t.Cleanup(ts.Close)
		app := &fxApp{db: db, srv: s, ts: ts}
		n := fxNetwork(t, db)
		fxUser(t, db, "today_admin", access.NationalAdmin, n.National.ID)
		admin := app.fxLogin(t, "today_admin", fxPassword)

		form := admin.get(t, "/units/new?parent="+itoa(n.Anhui.ID)+"&lang=en")
		if !strings.Contains(form.Body, `name="effective" value="`+today+`" max="`+today+`"`) {
			t.Errorf("new unit form's effective date: %s", fxSnippet(form.Body))
		}
		r := admin.postForm(t, "/units?lang=en", url.Values{"parent_id": {itoa(n.Anhui.ID)}, "code": {"FXAH34-LA"}, "level": {"municipal"},
			"name_zh": {"六安测试市"}, "name_en": {"Lu'an Fixture City"}, "effective": {"2012-07-01"}})
		if want := bnSay("en", valid.FieldError{Field: "effective", Rule: "not_future", Param: today}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, want) {
			t.Errorf("unit effective after today: %d, want %q in %s", r.Status, want, fxSnippet(r.Body))
		}
		if p := resPeriodOptions(NewTr("en"), s.dateToday(), results.LOP, results.LifeOfProj, results.Year); p[len(p)-1].Value != "2013" {
			t.Errorf("years offered as of %s: %v", today, p)
		}
	})
}

// TestBiannualLinkAtOffices: the plans pages offer the biannual report only to readers bound to
// the national office or a province, the units it is made for (an agency's link always failed).
func TestBiannualLinkAtOffices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		fxUser(t, db, "bi_agency", access.AgencyReporter, x.village.ID)
		agency := x.app.fxLogin(t, "bi_agency", fxPassword)
		link := `href="/plans/biannual"`
		if r := x.ah.get(t, "/plans/late?lang=en"); r.Status != http.StatusOK || !strings.Contains(r.Body, link) {
			t.Errorf("provincial officer's plans page: %d, link %v", r.Status, strings.Contains(r.Body, link))
		}
		if r := agency.get(t, "/plans/late?lang=en"); r.Status != http.StatusOK || strings.Contains(r.Body, link) {
			t.Errorf("agency reporter's plans page: %d, link %v", r.Status, strings.Contains(r.Body, link))
		}
	})
}
