package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/sheet"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// bnFixture is the two-province network with a county and a community below Anhui's city, and
// the people who work with cards: caseworkers of Anhui and of Jiangsu, both provinces' officers,
// the national admin (who reads the access log) and the national officer (instruments).
type bnFixture struct {
	app                           *fxApp
	db                            *store.DB
	net                           fxNet
	county, village               org.Unit
	ahCase, jsCase, ah, js, admin *fxClient // browsers
	nat                           *fxClient
	ahAPI, jsAPI                  *fxClient // tokens
	today                         string
}

func bnSetup(t *testing.T, db *store.DB) bnFixture {
	t.Helper()
	x := bnFixture{app: fxServer(t, db), db: db, net: fxNetwork(t, db), today: time.Now().UTC().Format(time.DateOnly)}
	n := x.net
	x.county = fxUnit(t, db, "FXAH34-HF-FD", org.County, n.AnhuiCity.ID, "肥东测试县", "Feidong Fixture County", "2011-01-01")
	x.village = fxUnit(t, db, "FXAH34-HF-FD-01", org.Community, x.county.ID, "测试社区", "Fixture Community", "2011-01-01")
	login := func(name string, role access.Role, unit int64) *fxClient {
		fxUser(t, db, name, role, unit)
		return x.app.fxLogin(t, name, fxPassword)
	}
	x.ahCase = login("bn_ah_case", access.Caseworker, n.Anhui.ID)
	x.jsCase = login("bn_js_case", access.Caseworker, n.Jiangsu.ID)
	x.ah = login("bn_ah_officer", access.ProvincialOfficer, n.Anhui.ID)
	x.js = login("bn_js_officer", access.ProvincialOfficer, n.Jiangsu.ID)
	x.admin = login("bn_admin", access.NationalAdmin, n.National.ID)
	x.nat = login("bn_national", access.NationalOfficer, n.National.ID)
	ahTok := fxUser(t, db, "bn_ah_api", access.ProvincialOfficer, n.Anhui.ID)
	jsTok := fxUser(t, db, "bn_js_api", access.ProvincialOfficer, n.Jiangsu.ID)
	x.ahAPI, x.jsAPI = x.app.fxBearer(t, fxToken(t, db, ahTok)), x.app.fxBearer(t, fxToken(t, db, jsTok))
	return x
}

// bnYearsAgo is the year a person is born who turns n this year.
func (x bnFixture) bnYearsAgo(n int) string {
	y, _ := strconv.Atoi(x.today[:4])
	return strconv.Itoa(y - n)
}

// bnPerson is the registration form of one person at a site.
func (x bnFixture) bnPerson(site int64, name, birth string) url.Values {
	return url.Values{"site_id": {itoa(site)}, "sex": {"F"}, "birth": {birth}, "ethnicity": {"汉"}, "groups": {"left_behind", "migrant_child"},
		"status": {"in_school"}, "name": {name}, "phone": {"13800000000"}, "guardian": {name + "的母亲"}, "consent_purpose": {"services", "reporting"},
		"consent_given_by": {"guardian"}, "consent_giver": {name + "的母亲"}, "consent_given_on": {x.today}}
}

// bnSay is a validation message as a page shows it.
func bnSay(lang string, e valid.FieldError) string {
	return html.EscapeString(NewTr(lang).FieldError(e))
}

// bnText is a catalog text as a page shows it.
func bnText(lang, key string, args ...any) string {
	return html.EscapeString(NewTr(lang).T(key, args...))
}

// bnRegister registers a person through the form and returns the card's id.
func (x bnFixture) bnRegister(t *testing.T, c *fxClient, form url.Values) int64 {
	t.Helper()
	return pwIDAfter(t, c.postForm(t, "/cards", form), "/cards/")
}

// TestCardsRegistration registers a person through the form: a minor without a guardian is
// refused beside the input in both languages; the same person again is stopped as a likely
// duplicate that lists the first card, and goes through when said to be another person; by the
// API the duplicate answers 409 with the card.
func TestCardsRegistration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		n := x.net
		form := x.bnPerson(x.village.ID, "王小梅", x.bnYearsAgo(14)+"-03-04")

		noGuardian := url.Values{}
		for k, v := range form {
			noGuardian[k] = v
		}
		noGuardian.Del("guardian")
		for _, lang := range Langs {
			r := x.ahCase.postForm(t, "/cards?lang="+lang, noGuardian)
			pwWant(t, lang+": minor without guardian", r, http.StatusUnprocessableEntity, `id="err-guardian"`,
				bnSay(lang, valid.FieldError{Field: "guardian", Rule: "guardian_minor", Param: strconv.Itoa(beneficiaries.Adult)}), `value="王小梅"`)
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s: a form echoing personal data has Cache-Control %q", lang, cc)
			}
		}

		first := x.bnRegister(t, x.ahCase, form)
		r := x.ahCase.get(t, fmt.Sprintf("/cards/%d?lang=en", first))
		pwWant(t, "the card", r, http.StatusOK, `id="card-number">FXAH34-HF-FD-01-000001<`, "Left-behind child, Migrant child", `id="identify-form"`)
		if strings.Contains(r.Body, "王小梅") {
			t.Fatal("the card page shows the name without identification")
		}
		var cs struct{ Items []beneficiaries.Consent }
		x.ahCase.get(t, fmt.Sprintf("/api/v1/cards/%d/consents", first)).json(t, &cs)
		if len(cs.Items) != 2 || cs.Items[0].GivenBy != "guardian" {
			t.Fatalf("consents given at registration: %+v", cs.Items)
		}

		// The same person again, typed a little differently.
		again := x.bnPerson(x.village.ID, "王 小梅", x.bnYearsAgo(14)+"-03-04")
		for _, lang := range Langs {
			r = x.ahCase.postForm(t, "/cards?lang="+lang, again)
			pwWant(t, lang+": likely duplicate", r, http.StatusConflict, `id="duplicates"`, `id="dup-`+itoa(first)+`"`, "FXAH34-HF-FD-01-000001",
				`href="/cards/`+itoa(first)+`"`, `id="register-anyway"`, bnText(lang, "cards.dup_another"), `value="王 小梅"`)
		}
		// Said to be another person, it is registered.
		again.Set("not_duplicate", "1")
		second := x.bnRegister(t, x.ahCase, again)
		if second == first {
			t.Fatal("no second card")
		}
		var list struct {
			Items []beneficiaries.Card
			Total int
		}
		x.ahAPI.get(t, "/api/v1/cards?unit="+itoa(n.Anhui.ID)).json(t, &list)
		if list.Total != 2 {
			t.Fatalf("Anhui's cards: %+v", list)
		}

		// By the API: the third time is a duplicate of both, answered 409.
		var body map[string]any
		b, _ := strconv.Atoi(x.bnYearsAgo(14))
		r = x.ahCase.sendJSON(t, http.MethodPost, "/api/v1/cards", map[string]any{"site_id": x.village.ID, "sex": "F", "birth": fmt.Sprintf("%d-03-04", b),
			"status": "in_school", "name": "王小梅", "guardian": "母亲", "consents": []map[string]any{{"purpose": "services", "given_by": "guardian", "giver": "母亲", "given_on": x.today}}})
		if r.Status != http.StatusConflict {
			t.Fatalf("API duplicate: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		r.json(t, &body)
		if dups, _ := body["duplicates"].([]any); body["code"] != "duplicate" || len(dups) != 2 {
			t.Fatalf("API duplicate body: %v", body)
		}
		// The list and its filters.
		pwWant(t, "list by number", x.ahCase.get(t, "/cards?number=FXAH34-HF-FD-01-000002&lang=en"), http.StatusOK, `id="card-`+itoa(second)+`"`)
		if r := x.ahCase.get(t, "/cards?number=FXAH34-HF-FD-01-000002"); strings.Contains(r.Body, `id="card-`+itoa(first)+`"`) {
			t.Fatal("the number filter shows the other card")
		}
	})
}

// TestCardsIdentifyLogged opens a card's personal details with a reason: shown once, not
// cached, one access-log row written with the reason; without a reason nothing is shown or
// logged. The national admin reads the log.
func TestCardsIdentifyLogged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		id := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "李娟", x.bnYearsAgo(16)))
		logRows := func() int {
			var n int
			if err := db.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM card_access_log WHERE card_id = $1`, id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		path := fmt.Sprintf("/cards/%d/identify", id)
		for _, lang := range Langs {
			r := x.ahCase.postForm(t, path+"?lang="+lang, url.Values{})
			pwWant(t, lang+": identify without reason", r, http.StatusUnprocessableEntity, `id="err-identify-reason"`, bnSay(lang, valid.FieldError{Field: "reason", Rule: "required"}))
			if strings.Contains(r.Body, "李娟") {
				t.Fatal("the name is shown without a reason")
			}
		}
		if n := logRows(); n != 0 {
			t.Fatalf("%d access-log rows before any identification", n)
		}
		r := x.ahCase.postForm(t, path+"?lang=en", url.Values{"reason": {"follow_up"}})
		pwWant(t, "identify", r, http.StatusOK, `id="identity-name">李娟<`, `id="identity-phone">13800000000<`, `id="identity-guardian">李娟的母亲<`, `id="identity-note"`)
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("identified page: Cache-Control %q", cc)
		}
		if n := logRows(); n != 1 {
			t.Fatalf("%d access-log rows after one identification, want 1", n)
		}
		// The page shown again hides the details.
		if r := x.ahCase.get(t, fmt.Sprintf("/cards/%d", id)); strings.Contains(r.Body, "李娟") {
			t.Fatal("the card page shows the name after identification")
		}
		// By the API, a second reading.
		var ident beneficiaries.Identity
		r = x.ahCase.sendJSON(t, http.MethodPost, fmt.Sprintf("/api/v1/cards/%d/identify", id), map[string]string{"reason": "service"})
		r.json(t, &ident)
		if r.Status != http.StatusOK || ident.Name != "李娟" || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("API identify: %d %+v %q", r.Status, ident, r.Header.Get("Cache-Control"))
		}
		if n := logRows(); n != 2 {
			t.Fatalf("%d access-log rows after two identifications, want 2", n)
		}
		// An officer may see the card but not open it.
		if r := x.ah.postForm(t, path, url.Values{"reason": {"service"}}); r.Status != http.StatusForbidden {
			t.Fatalf("officer identifies: status %d", r.Status)
		}
		if n := logRows(); n != 2 {
			t.Fatalf("a refused identification wrote a log row")
		}
		// The log, as the national admin reads it.
		number := "FXAH34-HF-FD-01-000001"
		for _, lang := range Langs {
			r = x.admin.get(t, "/cards/access-log?card="+number+"&lang="+lang)
			pwWant(t, lang+": access log", r, http.StatusOK, number, "bn_ah_case", bnText(lang, "areason.follow_up"), bnText(lang, "areason.service"), bnText(lang, "pfield.phone"))
		}
		var log struct {
			Items []beneficiaries.Access
			Total int
		}
		x.admin.get(t, fmt.Sprintf("/api/v1/cards/access-log?card=%d", id)).json(t, &log)
		if log.Total != 2 || log.Items[0].Reason != "service" || log.Items[1].Reason != "follow_up" {
			t.Fatalf("access log by API: %+v", log)
		}
		if r := x.ahCase.get(t, "/cards/access-log"); r.Status != http.StatusForbidden {
			t.Fatalf("a caseworker reads the access log: status %d", r.Status)
		}
	})
}

// TestCardsScope keeps a Jiangsu card from Anhui's officer by page and API, while Jiangsu's
// officer reads it.
func TestCardsScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		n := x.net
		form := x.bnPerson(n.JiangsuCity.ID, "赵敏", x.bnYearsAgo(20))
		form.Del("guardian")
		form.Set("consent_given_by", "self")
		id := x.bnRegister(t, x.jsCase, form)
		for _, p := range []string{"/cards/%d", "/cards/%d/edit", "/api/v1/cards/%d", "/api/v1/cards/%d/services", "/api/v1/cards/%d/consents"} {
			path := fmt.Sprintf(p, id)
			c, js := x.ah, x.js
			if strings.HasPrefix(path, "/api/") {
				c, js = x.ahAPI, x.jsAPI
			}
			r := c.get(t, path)
			if r.Status != http.StatusNotFound {
				t.Errorf("Anhui's officer on %s: status %d, want 404", path, r.Status)
			}
			if strings.Contains(r.Body, fxJSCityCode) {
				t.Errorf("Anhui's officer on %s sees the card number", path)
			}
			if want := http.StatusOK; !strings.HasSuffix(path, "/edit") {
				if r := js.get(t, path); r.Status != want {
					t.Errorf("Jiangsu's officer on %s: status %d", path, r.Status)
				}
			}
		}
		// Nor does it show in Anhui's lists.
		if r := x.ah.get(t, "/cards"); strings.Contains(r.Body, fxJSCityCode) {
			t.Error("Anhui's card list shows the Jiangsu card")
		}
		if r := x.ah.get(t, "/cards?unit="+itoa(n.JiangsuCity.ID)); r.Status != http.StatusNotFound {
			t.Errorf("Anhui's list filtered to Jiangsu's city: status %d", r.Status)
		}
		// A caseworker of Anhui cannot record a service on it.
		r := x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/services", id), url.Values{"type": {"health"}, "date": {x.today}, "site_id": {itoa(x.village.ID)}})
		if r.Status != http.StatusNotFound {
			t.Errorf("Anhui's caseworker records a service on a Jiangsu card: status %d", r.Status)
		}
	})
}

// TestReferralsNeedConsent refers a card without referral consent (refused with the rule, by
// page and API), records the consent and refers again to a unit in another province picked by
// its code; the receiving caseworker sees it as received and accepts it. An officer with the
// override refers another person without consent, giving a reason.
func TestReferralsNeedConsent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		n := x.net
		id := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "陈芳", x.bnYearsAgo(17)))
		refer := url.Values{"to_unit_code": {n.JiangsuCity.Code}, "service_type": {"employment"}, "reason": {"Moving to Nanjing for work"}}
		path := fmt.Sprintf("/cards/%d/referrals", id)
		for _, lang := range Langs {
			r := x.ahCase.postForm(t, path+"?lang="+lang, refer)
			pwWant(t, lang+": referral without consent", r, http.StatusUnprocessableEntity, `id="err-refer-consent"`,
				bnSay(lang, valid.FieldError{Field: "consent", Rule: "referral_consent"}))
			if strings.Contains(r.Body, `id="refer-override"`) {
				t.Fatal("a caseworker is offered the consent override")
			}
		}
		r := x.ahCase.sendJSON(t, http.MethodPost, "/api/v1/referrals", map[string]any{"card_id": id, "to_unit_id": n.JiangsuCity.ID, "reason": "x"})
		var fail apiErrorBody
		r.json(t, &fail)
		if r.Status != http.StatusUnprocessableEntity || len(fail.Errors) != 1 || fail.Errors[0].Rule != "referral_consent" {
			t.Fatalf("API referral without consent: %d %+v", r.Status, fail)
		}
		// An unknown code is said beside its input.
		bad := url.Values{"to_unit_code": {"NO-SUCH"}, "reason": {"x"}}
		pwWant(t, "unknown unit code", x.ahCase.postForm(t, path+"?lang=en", bad), http.StatusUnprocessableEntity, `id="err-refer-to_unit_code"`,
			bnSay("en", valid.FieldError{Field: "to_unit_code", Rule: "no_such_code", Param: "NO-SUCH"}))

		// Consent to referral, given by the guardian of a minor.
		if r := x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/consents", id), url.Values{"purpose": {"referral"}, "given_by": {"guardian"},
			"giver": {"陈芳的母亲"}, "given_on": {x.today}}); r.Status != http.StatusSeeOther || r.location() != fmt.Sprintf("/cards/%d", id) {
			t.Fatalf("consent: status %d, location %q\n%s", r.Status, r.location(), fxSnippet(r.Body))
		}
		r = x.ahCase.postForm(t, path, refer)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("referral with consent: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		var refs struct{ Items []beneficiaries.Referral }
		x.ahCase.get(t, fmt.Sprintf("/api/v1/referrals?card=%d", id)).json(t, &refs)
		if len(refs.Items) != 1 || refs.Items[0].ToUnitID != n.JiangsuCity.ID || refs.Items[0].Status != "sent" || refs.Items[0].Override {
			t.Fatalf("the referral: %+v", refs.Items)
		}
		ref := refs.Items[0]

		// Jiangsu's caseworker receives it (and now sees the card it must serve) and accepts it.
		r = x.jsCase.get(t, "/referrals?lang=en")
		pwWant(t, "received referrals", r, http.StatusOK, `id="referrals-received"`, `id="referral-`+itoa(ref.ID)+`"`, `id="respond-`+itoa(ref.ID)+`"`, "FXAH34-HF-FD-01-000001")
		// Each list has its own offset: past the one received referral, the received list is
		// empty; the sent list, paged apart, is not moved.
		if r := x.jsCase.get(t, "/referrals?received_offset=1"); !strings.Contains(r.Body, `id="no-received"`) || strings.Contains(r.Body, `id="referral-`+itoa(ref.ID)+`"`) {
			t.Errorf("received list past its one referral still shows it\n%s", fxSnippet(r.Body))
		}
		if r := x.ahCase.get(t, "/referrals?received_offset=1"); !strings.Contains(r.Body, `id="referral-`+itoa(ref.ID)+`"`) {
			t.Errorf("the sent list moved with the received list's offset\n%s", fxSnippet(r.Body))
		}
		// A response sent from a page of the lists comes back to that page, with its error when it
		// fails.
		if r := x.jsCase.get(t, "/referrals?sent_offset=3"); !strings.Contains(r.Body, "/referrals/"+itoa(ref.ID)+"/respond?sent_offset=3") {
			t.Errorf("the respond form does not carry the lists' pages\n%s", fxSnippet(r.Body))
		}
		if r := x.jsCase.get(t, fmt.Sprintf("/cards/%d", id)); r.Status != http.StatusOK {
			t.Fatalf("the receiving caseworker opens the card: status %d", r.Status)
		}
		pwWant(t, "reject without response", x.jsCase.postForm(t, fmt.Sprintf("/referrals/%d/respond?lang=zh", ref.ID), url.Values{"status": {"rejected"}}),
			http.StatusUnprocessableEntity, bnSay("zh", valid.FieldError{Field: "response", Rule: "required"}))
		if r := x.jsCase.postForm(t, fmt.Sprintf("/referrals/%d/respond?sent_offset=3", ref.ID), url.Values{"status": {"accepted"}}); r.Status != http.StatusSeeOther ||
			r.location() != "/referrals?sent_offset=3" {
			t.Fatalf("accept: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		pwWant(t, "sent referrals", x.ahCase.get(t, "/referrals?lang=en"), http.StatusOK, `id="referrals-sent"`, `id="referral-`+itoa(ref.ID)+`-status">accepted<`)

		// Anhui's officer overrides the missing consent for another person, with a reason.
		other := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "周丽", x.bnYearsAgo(15)))
		opath := fmt.Sprintf("/cards/%d/referrals", other)
		pwWant(t, "officer's form", x.ah.get(t, fmt.Sprintf("/cards/%d", other)), http.StatusOK, `id="refer-override"`)
		over := url.Values{"to_partner_id": {""}, "to_unit_code": {n.JiangsuCity.Code}, "reason": {"Urgent: at risk"}, "override": {"1"}}
		pwWant(t, "override without reason", x.ah.postForm(t, opath+"?lang=en", over), http.StatusUnprocessableEntity,
			bnSay("en", valid.FieldError{Field: "override_reason", Rule: "required"}))
		over.Set("override_reason", "Guardian unreachable; risk of trafficking")
		if r := x.ah.postForm(t, opath, over); r.Status != http.StatusSeeOther {
			t.Fatalf("override: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		x.ah.get(t, fmt.Sprintf("/api/v1/referrals?card=%d", other)).json(t, &refs)
		if len(refs.Items) != 1 || !refs.Items[0].Override {
			t.Fatalf("the overriding referral: %+v", refs.Items)
		}
	})
}

var bnFigure = regexp.MustCompile(`id="reach-figure">([\d,]+)<`)

// bnReach reads the reach figure of a page.
// bnSameTable holds an XLSX export to the CSV export of the same table: the same rows of the
// same cells (a workbook leaves out a row's empty cells at its end).
func bnSameTable(t *testing.T, csvResp, xlsxResp fxResp) {
	t.Helper()
	if xlsxResp.Status != http.StatusOK || xlsxResp.Header.Get("Content-Type") != sheet.XLSXType ||
		!strings.HasSuffix(xlsxResp.Header.Get("Content-Disposition"), `.xlsx"`) || xlsxResp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("workbook: %d %q %q", xlsxResp.Status, xlsxResp.Header.Get("Content-Type"), xlsxResp.Header.Get("Content-Disposition"))
	}
	c, es := sheet.ReadCSV([]byte(csvResp.Body))
	x, es2 := sheet.ReadXLSX([]byte(xlsxResp.Body))
	if len(es) > 0 || len(es2) > 0 {
		t.Fatalf("read back: %v %v", es, es2)
	}
	trim := func(cells []string) []string {
		for len(cells) > 0 && cells[len(cells)-1] == "" {
			cells = cells[:len(cells)-1]
		}
		return cells
	}
	if len(c) != len(x) || len(c) == 0 {
		t.Fatalf("%d rows in the CSV, %d in the workbook", len(c), len(x))
	}
	for i := range c {
		if got, want := trim(x[i].Cells), trim(c[i].Cells); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("row %d: workbook %q, CSV %q", i+1, got, want)
		}
	}
}

func bnReach(t *testing.T, r fxResp) int {
	t.Helper()
	m := bnFigure.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("no reach figure: status %d\n%s", r.Status, fxSnippet(r.Body))
	}
	n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	return n
}

// TestReachFollowsServices counts the people served: a service recorded on the card page adds
// its person once however many services follow, a class session adds its attendees (after a
// refused list said by line), the filters narrow the figure, the export hides small numbers,
// and deleting the only service takes the person out again.
func TestReachFollowsServices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		n := x.net
		reach := "/reach?unit=" + itoa(n.Anhui.ID)
		before := bnReach(t, x.ah.get(t, reach))
		if before != 0 {
			t.Fatalf("reach before any service: %d", before)
		}
		a := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "甲", x.bnYearsAgo(14)))
		b := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "乙", x.bnYearsAgo(17)))
		service := func(card int64, typ string) {
			t.Helper()
			r := x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/services", card), url.Values{"type": {typ}, "date": {x.today}, "site_id": {itoa(x.village.ID)}, "provider": {"社工"}})
			if r.Status != http.StatusSeeOther {
				t.Fatalf("service: status %d\n%s", r.Status, fxSnippet(r.Body))
			}
		}
		service(a, "life_skills")
		if got := bnReach(t, x.ah.get(t, reach)); got != before+1 {
			t.Fatalf("reach after one service: %d, want %d", got, before+1)
		}
		service(a, "health")
		if got := bnReach(t, x.ah.get(t, reach)); got != before+1 {
			t.Fatalf("reach after a second service to the same person: %d, want %d", got, before+1)
		}
		// A service without a type is said beside its input.
		pwWant(t, "service without type", x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/services?lang=en", a), url.Values{"date": {x.today}, "site_id": {itoa(x.village.ID)}}),
			http.StatusUnprocessableEntity, `id="err-service-type"`, bnSay("en", valid.FieldError{Field: "type", Rule: "required"}))

		// A class session: a list with an unknown number is refused line by line, in both
		// languages, and nothing is recorded.
		numbers := "FXAH34-HF-FD-01-000001\nFXAH34-HF-FD-01-000002, FXAH34-HF-FD-01-000099"
		sess := url.Values{"site_id": {itoa(x.village.ID)}, "type": {"peer_support"}, "date": {x.today}, "title": {"同伴教育"}, "attendees": {numbers}}
		for _, lang := range Langs {
			r := x.ahCase.postForm(t, "/cards/sessions?lang="+lang, sess)
			pwWant(t, lang+": session with an unknown card", r, http.StatusUnprocessableEntity, `id="attendee-error-3"`,
				bnText(lang, "cards.attendee_line", "Row", 3, "Number", "FXAH34-HF-FD-01-000099"), bnSay(lang, valid.FieldError{Field: "card", Rule: "not_found"}))
		}
		sess.Set("attendees", "FXAH34-HF-FD-01-000001\nFXAH34-HF-FD-01-000002")
		if r := x.ahCase.postForm(t, "/cards/sessions", sess); r.Status != http.StatusSeeOther {
			t.Fatalf("session: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		if got := bnReach(t, x.ah.get(t, reach)); got != before+2 {
			t.Fatalf("reach after the session: %d, want %d", got, before+2)
		}
		// By type: only the session's attendees had peer support; by age band: only b is 16-18.
		if got := bnReach(t, x.ah.get(t, reach+"&type=life_skills")); got != 1 {
			t.Fatalf("life skills reach: %d", got)
		}
		if got := bnReach(t, x.ah.get(t, reach+"&age=16-18")); got != 1 {
			t.Fatalf("reach aged 16-18: %d", got)
		}
		var api struct{ People int64 }
		x.ahAPI.get(t, "/api/v1/reach?unit="+itoa(n.Anhui.ID)+"&type=peer_support").json(t, &api)
		if api.People != 2 {
			t.Fatalf("API reach of peer support: %+v", api)
		}
		// The export: fewer than five people in every cell, so every count is hidden.
		r := x.ah.get(t, "/reach/export.csv?unit="+itoa(n.Anhui.ID)+"&lang=en")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export: %d %q", r.Status, r.Header.Get("Content-Type"))
		}
		if !strings.Contains(r.Body, "FXAH34,") || !strings.Contains(r.Body, "<5") || regexp.MustCompile(`,[12],|,[12]\r`).MatchString(r.Body) {
			t.Fatalf("export shows small counts:\n%s", r.Body)
		}
		bnSameTable(t, r, x.ah.get(t, "/reach/export.xlsx?unit="+itoa(n.Anhui.ID)+"&lang=en"))
		// A bad month is said beside its input.
		pwWant(t, "bad month", x.ah.get(t, reach+"&from=2012-13&lang=en"), http.StatusUnprocessableEntity, `id="err-from"`, bnSay("en", valid.FieldError{Field: "from", Rule: "month"}))

		// Deleting b's only service takes b out.
		var svcs struct{ Items []beneficiaries.ServiceRecord }
		x.ahCase.get(t, fmt.Sprintf("/api/v1/cards/%d/services", b)).json(t, &svcs)
		if len(svcs.Items) != 1 {
			t.Fatalf("b's services: %+v", svcs.Items)
		}
		if r := x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/services/%d/delete", b, svcs.Items[0].ID), url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("delete: %d\n%s", r.Status, fxSnippet(r.Body))
		}
		if got := bnReach(t, x.ah.get(t, reach)); got != before+1 {
			t.Fatalf("reach after deleting b's only service: %d, want %d", got, before+1)
		}
	})
}

// TestCardsMergeAndMeasure merges a duplicate card into the first (its service moves, reach
// counts the person once), records a baseline and an end measurement, and reads the change.
func TestCardsMergeAndMeasure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		n := x.net
		p := x.bnPerson(x.village.ID, "孙红", x.bnYearsAgo(15))
		keep := x.bnRegister(t, x.ahCase, p)
		p.Set("not_duplicate", "1")
		drop := x.bnRegister(t, x.ahCase, p)
		for _, id := range []int64{keep, drop} {
			if r := x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/services", id), url.Values{"type": {"health"}, "date": {x.today}, "site_id": {itoa(x.village.ID)}}); r.Status != http.StatusSeeOther {
				t.Fatalf("service: %d", r.Status)
			}
		}
		reach := "/reach?unit=" + itoa(n.Anhui.ID)
		if got := bnReach(t, x.ah.get(t, reach)); got != 2 {
			t.Fatalf("reach of two cards: %d", got)
		}
		pwWant(t, "merge an unknown number", x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/merge?lang=en", keep), url.Values{"duplicate": {"NO-SUCH-1"}}),
			http.StatusUnprocessableEntity, `id="err-merge-duplicate"`, bnSay("en", valid.FieldError{Field: "duplicate", Rule: "not_found"}))
		if r := x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/merge", keep), url.Values{"duplicate": {"FXAH34-HF-FD-01-000002"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("merge: %d\n%s", r.Status, fxSnippet(r.Body))
		}
		if got := bnReach(t, x.ah.get(t, reach)); got != 1 {
			t.Fatalf("reach after the merge: %d, want 1", got)
		}
		pwWant(t, "merged card", x.ahCase.get(t, fmt.Sprintf("/cards/%d?lang=en", drop)), http.StatusOK, `id="card-merged"`, "FXAH34-HF-FD-01-000001")

		// An instrument, defined by the national officer; a malformed one is refused.
		pwWant(t, "bad instrument", x.nat.postForm(t, "/cards/instruments?lang=en", url.Values{"code": {"LS"}, "name_zh": {"生活技能"}, "name_en": {"Life skills"},
			"questions": {"[{"}}), http.StatusUnprocessableEntity, `id="err-instrument-questions"`)
		qs := `[{"code":"q1","text_zh":"你知道求助热线吗？","text_en":"Do you know the helpline?","options":[{"code":"no","label_zh":"不知道","label_en":"No","score":0},{"code":"yes","label_zh":"知道","label_en":"Yes","score":2}]}]`
		if r := x.nat.postForm(t, "/cards/instruments", url.Values{"code": {"LS"}, "name_zh": {"生活技能"}, "name_en": {"Life skills"}, "questions": {qs}}); r.Status != http.StatusSeeOther {
			t.Fatalf("instrument: %d\n%s", r.Status, fxSnippet(r.Body))
		}
		mpath := fmt.Sprintf("/cards/%d/measurements", keep)
		pwWant(t, "end before baseline", x.ahCase.postForm(t, mpath+"?lang=en", url.Values{"instrument": {"LS"}, "kind": {"end"}, "date": {x.today}, "answer_q1": {"yes"}}),
			http.StatusUnprocessableEntity, bnSay("en", valid.FieldError{Field: "kind", Rule: "needs_baseline"}))
		for _, m := range []url.Values{{"instrument": {"LS"}, "kind": {"baseline"}, "date": {x.today}, "answer_q1": {"no"}},
			{"instrument": {"LS"}, "kind": {"end"}, "date": {x.today}, "answer_q1": {"yes"}}} {
			if r := x.ahCase.postForm(t, mpath, m); r.Status != http.StatusSeeOther {
				t.Fatalf("measurement: %d\n%s", r.Status, fxSnippet(r.Body))
			}
		}
		for _, lang := range Langs {
			pwWant(t, lang+": change", x.ah.get(t, "/reach/change?instrument=LS&lang="+lang), http.StatusOK, `id="change-overall"`,
				bnText(lang, "ms.overall", "Unit", n.Anhui.Name(lang), "Instrument", map[string]string{"zh": "生活技能", "en": "Life skills"}[lang], "N", 1, "Change", "2.00", "Max", "2.0"))
		}
	})
}

// TestBeneficiaryPagesRender opens every page of the area in both languages, as the roles that
// use them, and finds no message id left untranslated.
func TestBeneficiaryPagesRender(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		id := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "吴静", x.bnYearsAgo(13)))
		x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/services", id), url.Values{"type": {"counselling"}, "date": {x.today}, "site_id": {itoa(x.village.ID)}})
		if r := x.ahCase.postForm(t, "/reach/feedback", url.Values{"site_id": {itoa(x.village.ID)}, "service_type": {"counselling"}, "date": {x.today},
			"rating": {"5"}, "comment": {"很有帮助"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("feedback: %d\n%s", r.Status, fxSnippet(r.Body))
		}
		pwWant(t, "feedback without rating", x.ahCase.postForm(t, "/reach/feedback?lang=en", url.Values{"site_id": {itoa(x.village.ID)}, "service_type": {"counselling"},
			"date": {x.today}}), http.StatusUnprocessableEntity, `id="err-feedback-rating"`)
		untranslated := regexp.MustCompile(`\b(cards|ref|reach|drift|fb|ms|bn|nav|stype|tgroup|cstatus|purpose|giver|refstatus|refaction|areason|pfield|mkind|changeby|ageband|rating|sex|field|rule)\.[a-z0-9_+-]+\b`)
		pages := []struct {
			c    *fxClient
			path string
			want string
		}{
			{x.ahCase, "/cards", `id="card-form"`},
			{x.ahCase, fmt.Sprintf("/cards/%d", id), `id="service-form"`},
			{x.ahCase, fmt.Sprintf("/cards/%d/edit", id), `id="card-edit-form"`},
			{x.ahCase, "/cards/sessions/new", `id="session-form"`},
			{x.ahCase, "/referrals", `id="referrals-sent"`},
			{x.ah, "/cards", `id="cards-table"`},
			{x.ah, "/reach", `id="reach-table"`},
			{x.ah, "/reach/drift", `id="drift-table"`},
			{x.ah, "/reach/feedback", `id="feedback-sites"`},
			{x.ah, "/reach/change", `id="no-instruments"`},
			{x.nat, "/cards/instruments", `id="instrument-form"`},
			{x.admin, "/cards/access-log", `id="access-log"`},
		}
		for _, lang := range Langs {
			for _, p := range pages {
				r := p.c.get(t, p.path+"?lang="+lang)
				pwWant(t, lang+" "+p.path, r, http.StatusOK, p.want, `id="nav-beneficiaries"`)
				if m := untranslated.FindString(r.Body); m != "" {
					t.Errorf("%s %s: %q is shown untranslated", lang, p.path, m)
				}
			}
		}
		// The drift panel flags the community: its only person served is 13, in the target ages,
		// so it is not flagged; a person of 30 served there makes half the people off-target.
		pwWant(t, "drift", x.ah.get(t, "/reach/drift?lang=en"), http.StatusOK, `id="drift-site-`+itoa(x.village.ID)+`"`)
		adult := x.bnPerson(x.village.ID, "郑华", x.bnYearsAgo(30))
		adult.Del("guardian")
		adult.Set("consent_given_by", "self")
		aid := x.bnRegister(t, x.ahCase, adult)
		x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/services", aid), url.Values{"type": {"employment"}, "date": {x.today}, "site_id": {itoa(x.village.ID)}})
		pwWant(t, "drift flagged", x.ah.get(t, "/reach/drift?lang=en"), http.StatusOK, `id="drift-flag-`+itoa(x.village.ID)+`"`)
	})
}

// TestCardCatalogFamilies checks the message ids built at run time from the domain's lists.
func TestCardCatalogFamilies(t *testing.T) {
	families := map[string][]string{
		"sex": beneficiaries.Sexes, "tgroup": beneficiaries.Groups, "cstatus": beneficiaries.Statuses, "stype": beneficiaries.ServiceTypes,
		"purpose": beneficiaries.Purposes, "giver": beneficiaries.Givers, "refstatus": beneficiaries.RefStatuses, "refaction": {"accepted", "rejected", "completed"},
		"areason": beneficiaries.AccessReasons, "pfield": {"name", "id_number", "phone", "address", "guardian"}, "mkind": beneficiaries.MeasurementKinds,
		"changeby": beneficiaries.ChangeBys, "rating": {"1", "2", "3", "4", "5"},
	}
	for _, b := range beneficiaries.AgeBands {
		families["ageband"] = append(families["ageband"], b.Key)
	}
	for _, lang := range Langs {
		tr := NewTr(lang)
		for fam, members := range families {
			for _, m := range members {
				if !tr.Has(fam + "." + m) {
					t.Errorf("%s: %s.%s is missing", lang, fam, m)
				}
			}
		}
	}
}

// TestCardsExport: the card export is de-identified by default (no number, no name, birth year
// only, only people who consented to reporting); identified, it needs a caseworker and a reason
// and logs every card opened.
func TestCardsExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		withConsent := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "周丽", x.bnYearsAgo(15)))
		noReporting := x.bnPerson(x.village.ID, "吴静", x.bnYearsAgo(20))
		noReporting["consent_purpose"] = []string{"services"}
		noReporting["guardian"] = nil
		noReporting["consent_given_by"], noReporting["consent_giver"] = []string{"self"}, nil
		x.bnRegister(t, x.ahCase, noReporting)
		r := x.ah.get(t, "/cards/export.csv?lang=en")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export: %d %q", r.Status, r.Header.Get("Content-Type"))
		}
		bnSameTable(t, r, x.ah.get(t, "/cards/export.xlsx?lang=en"))
		lines := strings.Split(strings.TrimSpace(r.Body), "\n")
		if len(lines) != 2 || strings.Contains(r.Body, "周丽") || strings.Contains(r.Body, "吴静") || strings.Contains(r.Body, "-000001") ||
			!strings.Contains(lines[1], x.bnYearsAgo(15)) || strings.Contains(r.Body, "13800000000") {
			t.Fatalf("de-identified export:\n%s", r.Body)
		}
		for _, f := range []string{"csv", "xlsx"} {
			if r := x.ah.get(t, "/cards/export."+f+"?identified=1&reason=export"); r.Status != http.StatusForbidden {
				t.Errorf("officer's identified export (%s): %d", f, r.Status)
			}
		}
		if r := x.ahCase.get(t, "/cards/export.csv?identified=1&unit="+itoa(x.village.ID)); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("identified export without reason: %d", r.Status)
		}
		r = x.ahCase.get(t, "/cards/export.csv?identified=1&reason=export&unit="+itoa(x.village.ID))
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "周丽") || strings.Contains(r.Body, "吴静") {
			t.Fatalf("identified export: %d\n%s", r.Status, r.Body)
		}
		bnSameTable(t, r, x.ahCase.get(t, "/cards/export.xlsx?identified=1&reason=export&unit="+itoa(x.village.ID)))
		var n int
		if err := db.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM card_access_log WHERE card_id = $1 AND reason = 'export'`, withConsent).Scan(&n); err != nil || n != 2 {
			t.Errorf("two identified exports logged %d reads (%v)", n, err)
		}
		if r := x.js.get(t, "/cards/export.csv"); strings.Contains(r.Body, x.bnYearsAgo(15)) {
			t.Errorf("Jiangsu exports Anhui's cards:\n%s", r.Body)
		}
		if rows, _ := sheet.ReadXLSX([]byte(x.js.get(t, "/cards/export.xlsx").Body)); len(rows) != 1 {
			t.Errorf("Jiangsu's workbook holds %d rows; want the header alone", len(rows))
		}
	})
}
