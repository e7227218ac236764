package web

import (
	"context"
	"database/sql"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/auth"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// fxProvince is the small network of the HTTP tests: a national unit and one province.
func fxProvince(t *testing.T, db *store.DB) (national, province org.Unit) {
	t.Helper()
	national = fxUnit(t, db, "FXCN", org.National, 0, "全国测试", "National Fixture", "2010-01-01")
	province = fxUnit(t, db, "FXP32", org.Provincial, national.ID, "测试省", "Fixture Province", "2010-06-01")
	return national, province
}

// fxHTML is s as html/template writes it into a page.
func fxHTML(s string) string { return template.HTMLEscapeString(s) }

func TestHTTPLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		_, prov := fxProvince(t, db)
		u := fxUser(t, db, "fxofficer", access.ProvincialOfficer, prov.ID)
		en := NewTr("en")

		b := app.fxBrowser(t)
		for _, p := range []string{"/", "/units", "/units/" + strconv.FormatInt(prov.ID, 10), "/partners?q=x&type=cso", "/admin/audit"} {
			r := b.get(t, p)
			if want := "/login?next=" + url.QueryEscape(p); r.Status != http.StatusSeeOther || r.location() != want {
				t.Errorf("GET %s signed out: %d → %q, want 303 → %q", p, r.Status, r.location(), want)
			}
		}

		r := b.postForm(t, "/login", url.Values{"username": {u.Username}, "password": {"not-the-password"}}, "Accept-Language", "en")
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, fxHTML(en.T("login.bad"))) {
			t.Errorf("wrong password: status %d, want 401 with %q\n%s", r.Status, en.T("login.bad"), fxSnippet(r.Body))
		}
		r = b.postForm(t, "/login", url.Values{"username": {"nobody-here"}, "password": {fxPassword}}, "Accept-Language", "en")
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, fxHTML(en.T("login.bad"))) {
			t.Errorf("unknown user: status %d, want 401 with the same message as a wrong password", r.Status)
		}
		if r := b.get(t, "/units"); r.Status != http.StatusSeeOther {
			t.Errorf("after failed logins GET /units: %d, want a redirect to the login page", r.Status)
		}

		r = b.postForm(t, "/login", url.Values{"username": {"  FXOfficer "}, "password": {fxPassword}, "next": {"/units?level=municipal"}})
		if r.Status != http.StatusSeeOther || r.location() != "/units?level=municipal" {
			t.Fatalf("login: %d → %q, want 303 → /units?level=municipal", r.Status, r.location())
		}
		if r := b.get(t, "/units"); r.Status != http.StatusOK {
			t.Fatalf("GET /units signed in: %d", r.Status)
		}
		// Signed in, the login page forwards to next, and only within the site.
		if r := b.get(t, "/login?next="+url.QueryEscape("//evil.example/x")); r.Status != http.StatusSeeOther || r.location() != "/" {
			t.Errorf("GET /login?next=//evil.example signed in: %d → %q, want 303 → /", r.Status, r.location())
		}

		for _, next := range []string{"//evil.example/x", "https://evil.example/", `/\evil.example`, "javascript:alert(1)", "evil.example", ""} {
			c := app.fxBrowser(t)
			r := c.postForm(t, "/login", url.Values{"username": {u.Username}, "password": {fxPassword}, "next": {next}})
			if r.Status != http.StatusSeeOther || r.location() != "/" {
				t.Errorf("login with next=%q: %d → %q, want 303 → /", next, r.Status, r.location())
			}
		}

		// Logging out ends the session on the server too: its cookie cannot be replayed.
		base, _ := url.Parse(app.ts.URL)
		var old *http.Cookie
		for _, c := range b.http.Jar.Cookies(base) {
			if c.Name == "ting_session" {
				old = c
			}
		}
		if old == nil {
			t.Fatal("no session cookie after login")
		}
		r = b.postForm(t, "/logout", nil)
		if r.Status != http.StatusSeeOther || r.location() != "/login" {
			t.Errorf("logout: %d → %q, want 303 → /login", r.Status, r.location())
		}
		if r := b.get(t, "/units"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
			t.Errorf("GET /units after logout: %d → %q, want a redirect to /login", r.Status, r.location())
		}
		replay := app.fxBrowser(t)
		replay.http.Jar.SetCookies(base, []*http.Cookie{{Name: old.Name, Value: old.Value, Path: "/"}})
		if r := replay.get(t, "/units"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
			t.Errorf("GET /units with the logged-out session cookie: %d → %q, want a redirect to /login", r.Status, r.location())
		}
	})
}

func TestHTTPLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		app := fxServer(t, db)
		_, prov := fxProvince(t, db)
		u := fxUser(t, db, "fxlocked", access.ProvincialOfficer, prov.ID)
		en := NewTr("en")
		b := app.fxBrowser(t)

		for i := range auth.MaxFailures {
			r := b.postForm(t, "/login", url.Values{"username": {u.Username}, "password": {fmt.Sprintf("wrong-%d", i)}}, "Accept-Language", "en")
			if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, fxHTML(en.T("login.bad"))) {
				t.Fatalf("failure %d: status %d, want 401 with %q", i+1, r.Status, en.T("login.bad"))
			}
		}
		var until sql.NullTime
		if err := db.R.QueryRowContext(ctx, "SELECT locked_until FROM users WHERE id = $1", u.ID).Scan(&until); err != nil || !until.Valid {
			t.Fatalf("after %d failures the account is not locked (%v, %v)", auth.MaxFailures, until, err)
		}
		// The right password is refused while locked, and the message names the time.
		r := b.postForm(t, "/login", url.Values{"username": {u.Username}, "password": {fxPassword}}, "Accept-Language", "en")
		want := en.T("login.locked", "Until", until.Time.UTC().Format("15:04 UTC"))
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, fxHTML(want)) {
			t.Errorf("right password while locked: status %d, want 401 with %q\n%s", r.Status, want, fxSnippet(r.Body))
		}
		if r := b.get(t, "/units"); r.Status != http.StatusSeeOther {
			t.Errorf("GET /units after a refused login: %d, want a redirect to the login page", r.Status)
		}

		// `ting user reset` clears the lock.
		if err := auth.New(db).ResetPassword(ctx, access.System, u.Username, "a-brand-new-password"); err != nil {
			t.Fatal(err)
		}
		r = b.postForm(t, "/login", url.Values{"username": {u.Username}, "password": {"a-brand-new-password"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("login after reset: %d, want 303\n%s", r.Status, fxSnippet(r.Body))
		}
		if r := b.get(t, "/units"); r.Status != http.StatusOK {
			t.Errorf("GET /units after reset and login: %d", r.Status)
		}
	})
}

func TestHTTPCrossOrigin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		_, prov := fxProvince(t, db)
		u := fxUser(t, db, "fxofficer", access.ProvincialOfficer, prov.ID)
		b := app.fxLogin(t, u.Username, fxPassword)
		form := func(code string) url.Values {
			return url.Values{"parent_id": {strconv.FormatInt(prov.ID, 10)}, "code": {code}, "level": {"municipal"},
				"name_zh": {"跨站测试市"}, "name_en": {"Cross Site City"}, "effective": {"2012-01-01"}}
		}
		exists := func(code string) bool {
			_, err := org.New(db).UnitByCode(context.Background(), access.System, code)
			return err == nil
		}

		for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
			r := b.postForm(t, "/units", form("FXX1"), h...)
			if r.Status != http.StatusForbidden {
				t.Errorf("POST /units with %s: %s: status %d, want 403", h[0], h[1], r.Status)
			}
			if exists("FXX1") {
				t.Fatalf("a cross-origin POST (%s) created the unit", h[0])
			}
		}
		r := b.postForm(t, "/units", form("FXS1"), "Sec-Fetch-Site", "same-origin")
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/units/") || !exists("FXS1") {
			t.Errorf("same-origin POST /units: %d → %q, want 303 to the new unit\n%s", r.Status, r.location(), fxSnippet(r.Body))
		}
		r = b.postForm(t, "/units", form("FXS2"), "Origin", app.ts.URL)
		if r.Status != http.StatusSeeOther || !exists("FXS2") {
			t.Errorf("POST /units with this site's Origin: %d, want 303", r.Status)
		}
	})
}

func TestHTTPLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		app := fxServer(t, db)
		_, prov := fxProvince(t, db)
		u := fxUser(t, db, "fxofficer", access.ProvincialOfficer, prov.ID)
		zh, en := NewTr("zh"), NewTr("en")
		if zh.T("login.title") == en.T("login.title") || zh.T("units.title") == en.T("units.title") {
			t.Fatal("the catalogs give the same title in both languages; the test cannot tell them apart")
		}
		lang := func(r fxResp, want string, key string, what string) {
			t.Helper()
			tr := NewTr(want)
			if r.Status != http.StatusOK || r.Header.Get("Content-Language") != want || !strings.Contains(r.Body, fxHTML(tr.T(key))) {
				t.Errorf("%s: status %d, Content-Language %q, want %s with %q", what, r.Status, r.Header.Get("Content-Language"), want, tr.T(key))
			}
		}

		anon := app.fxBrowser(t)
		lang(anon.get(t, "/login", "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5"), "zh", "login.title", "Accept-Language zh-CN")
		lang(anon.get(t, "/login", "Accept-Language", "en-GB,en;q=0.8"), "en", "login.title", "Accept-Language en-GB")
		lang(anon.get(t, "/login", "Accept-Language", "fr-FR"), "zh", "login.title", "Accept-Language fr (default)")
		lang(anon.get(t, "/login"), "zh", "login.title", "no Accept-Language (default)")

		// Signed out, ?lang= is kept in a cookie.
		r := anon.get(t, "/login?lang=en", "Accept-Language", "zh")
		lang(r, "en", "login.title", "/login?lang=en")
		if !strings.Contains(r.Header.Get("Set-Cookie"), "lang=en") {
			t.Errorf("?lang=en set no lang cookie: %q", r.Header.Values("Set-Cookie"))
		}
		lang(anon.get(t, "/login", "Accept-Language", "zh"), "en", "login.title", "reload after ?lang=en (cookie)")

		// Signed in, ?lang= also becomes the user's preference.
		b := app.fxLogin(t, u.Username, fxPassword)
		lang(b.get(t, "/units", "Accept-Language", "zh"), "zh", "units.title", "signed in, Accept-Language zh")
		lang(b.get(t, "/units?lang=en", "Accept-Language", "zh"), "en", "units.title", "/units?lang=en")
		lang(b.get(t, "/units", "Accept-Language", "zh"), "en", "units.title", "reload /units after ?lang=en")
		if got, err := auth.New(db).UserByID(ctx, u.ID); err != nil || got.Lang != "en" {
			t.Errorf("stored preference %q (%v), want en", got.Lang, err)
		}
		lang(b.get(t, "/units?lang=zh"), "zh", "units.title", "/units?lang=zh")
		lang(b.get(t, "/units", "Accept-Language", "en"), "zh", "units.title", "reload /units after ?lang=zh")
		if got, _ := auth.New(db).UserByID(ctx, u.ID); got.Lang != "zh" {
			t.Errorf("stored preference %q, want zh", got.Lang)
		}
		// The preference follows the user to a new browser.
		if _, err := db.W.ExecContext(ctx, "UPDATE users SET lang = 'en' WHERE id = $1", u.ID); err != nil {
			t.Fatal(err)
		}
		other := app.fxLogin(t, u.Username, fxPassword)
		lang(other.get(t, "/units", "Accept-Language", "zh"), "en", "units.title", "new browser of a user who prefers English")
	})
}

// fxAPIErr is the API's error body as a client decodes it.
type fxAPIErr struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Field   string         `json:"field"`
	Errors  []apiFieldFail `json:"errors"`
}

type fxUnitList struct {
	Items  []org.Unit `json:"items"`
	Total  int        `json:"total"`
	Limit  int        `json:"limit"`
	Offset int        `json:"offset"`
}

type fxVersionList struct {
	Items []org.Version `json:"items"`
	Total int           `json:"total"`
}

func TestHTTPAPIAuthAndErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		_, prov := fxProvince(t, db)
		u := fxUser(t, db, "fxofficer", access.ProvincialOfficer, prov.ID)
		api := app.fxBearer(t, fxToken(t, db, u))

		for name, c := range map[string]*fxClient{"no credentials": app.fxBrowser(t), "unknown token": app.fxBearer(t, "ting_0123456789abcdef"),
			"empty bearer": app.fxBearer(t, " ")} {
			for _, lang := range Langs {
				r := c.get(t, "/api/v1/me", "Accept-Language", lang)
				var e fxAPIErr
				r.json(t, &e)
				if r.Status != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") ||
					e.Code != "unauthorized" || e.Message != NewTr(lang).T("api.unauthorized") {
					t.Errorf("%s (%s): %d %q %+v, want 401 JSON {unauthorized, %q}", name, lang, r.Status, r.Header.Get("Content-Type"), e, NewTr(lang).T("api.unauthorized"))
				}
			}
		}

		r := api.get(t, "/api/v1/me")
		var me struct {
			Username    string   `json:"username"`
			Unit        org.Unit `json:"unit"`
			Permissions []string `json:"permissions"`
		}
		r.json(t, &me)
		if r.Status != http.StatusOK || me.Username != u.Username || me.Unit.ID != prov.ID || len(me.Permissions) == 0 {
			t.Errorf("GET /api/v1/me: %d %+v", r.Status, me)
		}

		// One bad request, two broken rules, said in the language asked for.
		bad := map[string]any{"code": "bad code", "level": "municipal", "parent_id": prov.ID, "name_zh": "测试", "name_en": ""}
		msgs := map[string]string{}
		for _, lang := range Langs {
			tr := NewTr(lang)
			r := api.sendJSON(t, http.MethodPost, "/api/v1/units", bad, "Accept-Language", lang)
			var e fxAPIErr
			r.json(t, &e)
			if r.Status != http.StatusUnprocessableEntity || e.Code != "validation" || len(e.Errors) != 2 {
				t.Fatalf("invalid unit (%s): %d %+v, want 422 validation with 2 errors", lang, r.Status, e)
			}
			want := []valid.FieldError{{Field: "code", Rule: "code_chars"}, {Field: "name_en", Rule: "required"}}
			for i, w := range want {
				got := e.Errors[i]
				if got.Field != w.Field || got.Rule != w.Rule || got.Message != tr.FieldError(w) {
					t.Errorf("error %d (%s): %+v, want %s/%s %q", i, lang, got, w.Field, w.Rule, tr.FieldError(w))
				}
			}
			if e.Field != e.Errors[0].Field || e.Message != e.Errors[0].Message {
				t.Errorf("(%s) field/message %q/%q do not describe the first error %+v", lang, e.Field, e.Message, e.Errors[0])
			}
			msgs[lang] = e.Message
		}
		if msgs["zh"] == msgs["en"] {
			t.Errorf("the validation message is the same in both languages: %q", msgs["en"])
		}

		r = api.sendJSON(t, http.MethodPost, "/api/v1/units", map[string]any{"code": "FXC9", "colour": "red"}, "Accept-Language", "en")
		var e fxAPIErr
		r.json(t, &e)
		if r.Status != http.StatusUnprocessableEntity || e.Code != "validation" || e.Field != "colour" || len(e.Errors) != 1 || e.Errors[0].Rule != "unknown_field" {
			t.Errorf("unknown field: %d %+v, want 422 naming colour/unknown_field", r.Status, e)
		}
		r = api.do(t, http.MethodPost, "/api/v1/units", []byte("{not json"), "application/json")
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("malformed JSON: %d, want 422", r.Status)
		}
		r = api.get(t, "/api/v1/units/999999", "Accept-Language", "en")
		r.json(t, &e)
		if r.Status != http.StatusNotFound || e.Code != "not_found" || e.Message != NewTr("en").T("api.not_found") {
			t.Errorf("missing unit: %d %+v", r.Status, e)
		}
		r = api.get(t, "/api/v1/audit")
		r.json(t, &e)
		if r.Status != http.StatusForbidden || e.Code != "forbidden" {
			t.Errorf("audit as a provincial officer: %d %+v, want 403 forbidden", r.Status, e)
		}
	})
}

func TestHTTPAPIUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		app := fxServer(t, db)
		nat, prov := fxProvince(t, db)
		officer := fxUser(t, db, "fxofficer", access.ProvincialOfficer, prov.ID)
		admin := fxUser(t, db, "fxadmin", access.NationalAdmin, nat.ID)
		api := app.fxBearer(t, fxToken(t, db, officer))
		en := NewTr("en")

		create := func(body map[string]any) org.Unit {
			t.Helper()
			r := api.sendJSON(t, http.MethodPost, "/api/v1/units", body)
			var u org.Unit
			r.json(t, &u)
			if r.Status != http.StatusCreated || u.ID == 0 {
				t.Fatalf("create %v: %d\n%s", body["code"], r.Status, fxSnippet(r.Body))
			}
			return u
		}
		var cities []org.Unit
		for i := 1; i <= 5; i++ {
			cities = append(cities, create(map[string]any{"code": fmt.Sprintf("FXC%02d", i), "level": "municipal", "parent_id": prov.ID,
				"name_zh": fmt.Sprintf("测试市%d", i), "name_en": fmt.Sprintf("City %d", i), "effective": "2011-01-01"}))
		}

		// Paging: the officer sees the province and its five cities, ordered by level and code.
		var page fxUnitList
		api.get(t, "/api/v1/units?limit=2&offset=1").json(t, &page)
		if page.Total != 6 || page.Limit != 2 || page.Offset != 1 || len(page.Items) != 2 || page.Items[0].Code != "FXC01" || page.Items[1].Code != "FXC02" {
			t.Errorf("limit=2&offset=1: %+v", page)
		}
		api.get(t, "/api/v1/units?limit=2&offset=5").json(t, &page)
		if page.Total != 6 || len(page.Items) != 1 || page.Items[0].Code != "FXC05" {
			t.Errorf("last page: %+v", page)
		}
		api.get(t, "/api/v1/units?level=municipal").json(t, &page)
		if page.Total != 5 || len(page.Items) != 5 || page.Limit != 100 || page.Offset != 0 {
			t.Errorf("level=municipal: total %d, %d items, limit %d", page.Total, len(page.Items), page.Limit)
		}

		cityA, cityB := cities[0], cities[1]
		county := create(map[string]any{"code": "FXK01", "level": "county", "parent_id": cityA.ID, "name_zh": "测试县", "name_en": "Fixture County",
			"effective": "2011-06-01"})
		id := func(u org.Unit) string { return strconv.FormatInt(u.ID, 10) }

		var got org.Unit
		r := api.sendJSON(t, http.MethodPatch, "/api/v1/units/"+id(cityA), map[string]any{"name_zh": "改名市", "name_en": "Renamed City", "effective": "2012-01-01"})
		r.json(t, &got)
		if r.Status != http.StatusOK || got.NameEN != "Renamed City" || got.Code != "FXC01" {
			t.Errorf("rename: %d %+v", r.Status, got)
		}
		r = api.sendJSON(t, http.MethodPost, "/api/v1/units/"+id(county)+"/move", map[string]any{"parent_id": cityB.ID, "effective": "2012-02-01"})
		r.json(t, &got)
		if r.Status != http.StatusOK || got.ParentID != cityB.ID {
			t.Errorf("move: %d %+v", r.Status, got)
		}

		// Closing a unit with an open child breaks a rule, said in the caller's language.
		r = api.sendJSON(t, http.MethodPost, "/api/v1/units/"+id(cityB)+"/close", map[string]any{"effective": "2012-03-01"}, "Accept-Language", "en")
		var e fxAPIErr
		r.json(t, &e)
		want := en.FieldError(valid.FieldError{Field: "effective", Rule: "open_children", Param: "1"})
		if r.Status != http.StatusUnprocessableEntity || e.Code != "validation" || len(e.Errors) != 1 || e.Errors[0].Rule != "open_children" || e.Message != want {
			t.Errorf("close with an open child: %d %+v, want 422 %q", r.Status, e, want)
		}
		for _, u := range []org.Unit{county, cityB} {
			r = api.sendJSON(t, http.MethodPost, "/api/v1/units/"+id(u)+"/close", map[string]any{"effective": "2012-03-01"})
			r.json(t, &got)
			if r.Status != http.StatusOK || got.ClosedOn != "2012-03-01" {
				t.Errorf("close %s: %d %+v", u.Code, r.Status, got)
			}
		}
		var kids fxUnitList
		api.get(t, "/api/v1/units/"+id(cityB)+"/children").json(t, &kids)
		if kids.Total != 1 || len(kids.Items) != 1 || kids.Items[0].ID != county.ID || kids.Items[0].ClosedOn == "" {
			t.Errorf("children of %s: %+v", cityB.Code, kids)
		}
		api.get(t, "/api/v1/units?level=municipal").json(t, &page)
		if page.Total != 4 {
			t.Errorf("open cities after closing one: %d, want 4", page.Total)
		}

		var hist fxVersionList
		api.get(t, "/api/v1/units/"+id(cityA)+"/history").json(t, &hist)
		if hist.Total != 2 || len(hist.Items) != 2 ||
			hist.Items[0].Change != "create" || hist.Items[0].NameEN != "City 1" || hist.Items[0].ValidFrom != "2011-01-01" || hist.Items[0].ValidTo != "2012-01-01" ||
			hist.Items[1].Change != "rename" || hist.Items[1].NameEN != "Renamed City" || hist.Items[1].ValidTo != "" {
			t.Errorf("history of %s: %+v", cityA.Code, hist)
		}
		api.get(t, "/api/v1/units/"+id(county)+"/history").json(t, &hist)
		if hist.Total != 3 || hist.Items[1].Change != "move" || hist.Items[2].Change != "close" || !hist.Items[2].Closed {
			t.Errorf("history of %s: %+v", county.Code, hist)
		}

		nameAsOf := func(parent org.Unit, date string, unit org.Unit) (string, bool) {
			t.Helper()
			var l fxVersionList
			r := api.get(t, "/api/v1/units/"+id(parent)+"/as-of/"+date)
			r.json(t, &l)
			if r.Status != http.StatusOK {
				t.Fatalf("as-of %s: %d\n%s", date, r.Status, fxSnippet(r.Body))
			}
			for _, v := range l.Items {
				if v.UnitID == unit.ID {
					return v.NameEN, true
				}
			}
			return "", false
		}
		if n, ok := nameAsOf(prov, "2011-12-31", cityA); !ok || n != "City 1" {
			t.Errorf("as of 2011-12-31 %s is %q (%v), want the old name City 1", cityA.Code, n, ok)
		}
		if n, ok := nameAsOf(prov, "2012-06-30", cityA); !ok || n != "Renamed City" {
			t.Errorf("as of 2012-06-30 %s is %q (%v), want Renamed City", cityA.Code, n, ok)
		}
		if _, ok := nameAsOf(prov, "2010-12-31", cityA); ok {
			t.Errorf("as of 2010-12-31, before it opened, %s is listed", cityA.Code)
		}
		if _, ok := nameAsOf(cityA, "2011-12-31", county); !ok {
			t.Errorf("as of 2011-12-31 %s is not under %s", county.Code, cityA.Code)
		}
		if _, ok := nameAsOf(cityB, "2012-02-15", county); !ok {
			t.Errorf("as of 2012-02-15 %s is not under %s", county.Code, cityB.Code)
		}
		r = api.get(t, "/api/v1/units/"+id(prov)+"/as-of/2012-13-45")
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("as-of a malformed date: %d, want 422", r.Status)
		}

		// Partners, for an audit entity other than unit.
		r = api.sendJSON(t, http.MethodPost, "/api/v1/partners", map[string]any{"code": "FXPW1", "unit_id": cityA.ID, "type": "womens_federation",
			"name_zh": "测试妇联", "name_en": "Fixture Federation"})
		var partner org.Partner
		r.json(t, &partner)
		if r.Status != http.StatusCreated {
			t.Fatalf("create partner: %d\n%s", r.Status, fxSnippet(r.Body))
		}

		// The audit page lists the changes, filtered by entity.
		adm := app.fxLogin(t, admin.Username, fxPassword)
		auditTable := func(q string) string {
			t.Helper()
			r := adm.get(t, "/admin/audit?"+q, "Accept-Language", "en")
			if r.Status != http.StatusOK {
				t.Fatalf("GET /admin/audit?%s: %d", q, r.Status)
			}
			i := strings.Index(r.Body, `id="audit-list"`)
			j := strings.Index(r.Body[max(i, 0):], "</table>")
			if i < 0 || j < 0 {
				t.Fatalf("no audit table on /admin/audit?%s", q)
			}
			return r.Body[i : i+j]
		}
		row := func(entity string, id int64, action string) string {
			return `data-action="` + action + `">` + fxHTML(en.T("audit.action."+action)) + `</td><td class="audit-entity" data-entity="` + entity + `">` +
				fxHTML(en.T("entity."+entity)) + " #" + strconv.FormatInt(id, 10) + "</td>"
		}
		units := auditTable("entity=unit&limit=100")
		for _, w := range []string{row("unit", cityA.ID, "create"), row("unit", cityA.ID, "rename"), row("unit", county.ID, "move"),
			row("unit", county.ID, "close"), row("unit", cityB.ID, "close")} {
			if !strings.Contains(units, w) {
				t.Errorf("audit filtered to units lacks %q", w)
			}
		}
		if strings.Contains(units, fxHTML(en.T("entity.partner"))+" #") {
			t.Error("audit filtered to units lists a partner")
		}
		partners := auditTable("entity=partner")
		if !strings.Contains(partners, row("partner", partner.ID, "create")) || strings.Contains(partners, fxHTML(en.T("entity.unit"))+" #") {
			t.Errorf("audit filtered to partners:\n%s", partners)
		}

		// The log names people only by their opaque public id.
		entries, _, err := audit.List(ctx, db, access.System, audit.Filter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		byOfficer := 0
		for _, e := range entries {
			if e.Actor == officer.Username || e.Actor == admin.Username {
				t.Errorf("audit row %d names a username: %q", e.ID, e.Actor)
			}
			if e.Actor == officer.PublicID {
				byOfficer++
			}
		}
		if byOfficer < 10 || officer.PublicID == officer.Username {
			t.Errorf("%d audit rows carry the officer's public id %q, want every change they made", byOfficer, officer.PublicID)
		}
		var list struct {
			Items []audit.Entry `json:"items"`
			Total int           `json:"total"`
		}
		app.fxBearer(t, fxToken(t, db, admin)).get(t, "/api/v1/audit?entity=unit&entity_id="+id(cityA)).json(t, &list)
		if list.Total != 2 || len(list.Items) != 2 || list.Items[0].Actor != officer.PublicID || list.Items[0].Action != "rename" {
			t.Errorf("GET /api/v1/audit?entity=unit&entity_id=%d: %+v", cityA.ID, list)
		}
	})
}

func TestHTTPHealthAndMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		c := app.fxBrowser(t)
		r := c.get(t, "/healthz")
		var h map[string]string
		r.json(t, &h)
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") ||
			h["status"] != "ok" || h["database"] != string(db.Dialect) {
			t.Errorf("/healthz: %d %q %v", r.Status, r.Header.Get("Content-Type"), h)
		}
		c.get(t, "/login")
		r = c.get(t, "/metrics")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "ting_http_requests_total") ||
			!strings.Contains(r.Body, `ting_http_requests_total{code="2xx",route="GET /login"}`) {
			t.Errorf("/metrics: %d, no ting_http_requests_total for GET /login\n%s", r.Status, fxSnippet(r.Body))
		}
	})
}
