package web

// Accounts on the web: administrators create and edit users bound down to community sites by
// unit code and reset passwords (lifting lock-outs); everyone changes their own password.
// Helpers here start with us so they cannot clash with other tests of the package.

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// usSite is the Women's Home community site of the fixture, in Jiangsu.
const usSite = "JS-WX-BH-01"

// usNet is fxNetwork with a county and a community site under Jiangsu's city, and an
// administrator bound to each province.
type usNet struct {
	fxNet
	County, Site     org.Unit
	JSAdmin, AHAdmin auth.User
}

func usNetwork(t *testing.T, db *store.DB) usNet {
	t.Helper()
	n := usNet{fxNet: fxNetwork(t, db)}
	n.County = fxUnit(t, db, "JS-WX-BH", org.County, n.JiangsuCity.ID, "滨湖测试区", "Binhu Fixture District", "2011-01-01")
	n.Site = fxUnit(t, db, usSite, org.Community, n.County.ID, "滨湖测试妇女之家", "Binhu Fixture Women's Home", "2011-06-01")
	// Only national_admin holds users.manage (internal/access); bound to a province, it
	// administers that province's accounts only.
	n.JSAdmin = fxUser(t, db, "us_js_admin", access.NationalAdmin, n.Jiangsu.ID)
	n.AHAdmin = fxUser(t, db, "us_ah_admin", access.NationalAdmin, n.Anhui.ID)
	return n
}

// usFieldErr is the message a page shows for a broken rule, as html/template writes it.
func usFieldErr(lang, field, rule, param string) string {
	return fxHTML(NewTr(lang).FieldError(valid.FieldError{Field: field, Rule: rule, Param: param}))
}

// usAccount reads an account straight from the database (0, 0 when there is none).
func usAccount(t *testing.T, db *store.DB, username string) (id, unitID int64) {
	t.Helper()
	err := db.R.QueryRowContext(context.Background(), "SELECT id, unit_id FROM users WHERE username = $1", username).Scan(&id, &unitID)
	if err != nil && err != sql.ErrNoRows {
		t.Fatal(err)
	}
	return id, unitID
}

// usAudited counts the audit rows of action on user id.
func usAudited(t *testing.T, db *store.DB, action string, id int64) int {
	t.Helper()
	var n int
	if err := db.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE entity = 'user' AND action = $1 AND entity_id = $2",
		action, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func usCount(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUserAdminCreateAtSiteByCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		n := usNetwork(t, db)
		adm := app.fxLogin(t, n.JSAdmin.Username, fxPassword)
		form := func(username, code string) url.Values {
			return url.Values{"username": {username}, "display_name": {"滨湖社工"}, "password": {"caseworker-2012"}, "role": {"caseworker"},
				"unit_code": {code}}
		}

		// A caseworker of the Women's Home, at the community site, named by its code.
		r := adm.postForm(t, "/admin/users", form("us_binhu_case", usSite))
		if r.Status != http.StatusSeeOther {
			t.Fatalf("create at %s: status %d, want 303\n%s", usSite, r.Status, fxSnippet(r.Body))
		}
		id, unit := usAccount(t, db, "us_binhu_case")
		if id == 0 || unit != n.Site.ID {
			t.Fatalf("the caseworker is bound to unit %d, want the site %d", unit, n.Site.ID)
		}
		if usAudited(t, db, "create", id) != 1 {
			t.Error("the creation wrote no audit row")
		}
		list := adm.get(t, "/admin/users", "Accept-Language", "en")
		if row := regexp.MustCompile(`(?s)<tr id="user-` + strconv.FormatInt(id, 10) + `">.*?</tr>`).FindString(list.Body); !strings.Contains(row, usSite) ||
			!strings.Contains(row, fxHTML(n.Site.NameEN)) {
			t.Errorf("the user list does not show the caseworker's unit:\n%s", fxSnippet(row))
		}
		// The list is searched: by the site's code (its accounts and those below it) and by
		// name; the paging links keep the search; a code outside the area is named as unknown.
		found := adm.get(t, "/admin/users?unit="+strings.ToLower(usSite)+"&q=%E6%BB%A8%E6%B9%96&limit=1", "Accept-Language", "en")
		if rows := regexp.MustCompile(`<tr id="user-\d+">`).FindAllString(found.Body, -1); found.Status != http.StatusOK || len(rows) != 1 ||
			!strings.Contains(found.Body, `id="user-`+strconv.FormatInt(id, 10)+`"`) {
			t.Errorf("search by site and name: status %d, rows %v\n%s", found.Status, rows, fxSnippet(found.Body))
		}
		all := adm.get(t, "/admin/users?limit=1&status=active", "Accept-Language", "en")
		if !regexp.MustCompile(`<a rel="next" href="/admin/users\?[^"]*status=active[^"]*&amp;limit=1&amp;offset=1"`).MatchString(all.Body) {
			t.Errorf("the next-page link loses the search or the page size\n%s", fxSnippet(all.Body))
		}
		out := adm.get(t, "/admin/users?unit="+n.AnhuiCity.Code, "Accept-Language", "en")
		if out.Status != http.StatusBadRequest || strings.Contains(out.Body, `<tr id="user-`) || !strings.Contains(out.Body, "field-error") {
			t.Errorf("search by a unit of another province: status %d\n%s", out.Status, fxSnippet(out.Body))
		}
		// The new account works: the caseworker signs in.
		app.fxLogin(t, "us_binhu_case", "caseworker-2012")

		// Refusals, in both languages, naming the field and the rule; nothing is written.
		if _, err := auth.New(db).CreateUser(context.Background(), access.System, auth.UserInput{Username: "national", DisplayName: "N",
			Password: fxPassword, Role: access.Donor, UnitID: n.National.ID}); err != nil {
			t.Fatal(err)
		}
		before := usCount(t, db)
		for _, lang := range Langs {
			for _, c := range []struct {
				what  string
				form  url.Values
				field string
				rule  string
				param string
			}{
				{"a unit of another province", form("us_x1", n.AnhuiCity.Code), "unit_code", "user_unit_outside", n.AnhuiCity.Code},
				{"an unknown code", form("us_x2", "NO-SUCH-99"), "unit_code", "user_unit_unknown", "NO-SUCH-99"},
				{"a 50,000-character name", func() url.Values {
					f := form("us_x3", usSite)
					f.Set("display_name", strings.Repeat("名", 50000))
					return f
				}(),
					"display_name", "max_len", strconv.Itoa(auth.MaxDisplayName)},
				{"a partner number that is no number", func() url.Values { f := form("us_x4", usSite); f.Set("partner_id", "WF-12"); return f }(),
					"partner_id", "user_whole_number", ""},
				{"a username taken (and spelling a level)", form("national", usSite), "username", "unique", "national"},
			} {
				r := adm.postForm(t, "/admin/users", c.form, "Accept-Language", lang)
				want := usFieldErr(lang, c.field, c.rule, c.param)
				if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, want) {
					t.Errorf("%s (%s): status %d, want 422 with %q\n%s", c.what, lang, r.Status, want, fxSnippet(r.Body))
				}
				if after := usCount(t, db); after != before {
					t.Errorf("%s (%s): %d accounts, was %d", c.what, lang, after, before)
				}
			}
		}
		// The username is shown as typed, not as the level it spells.
		r = adm.postForm(t, "/admin/users", form("national", usSite), "Accept-Language", "en")
		if !strings.Contains(r.Body, "“national”") {
			t.Errorf("a taken username is not shown as typed:\n%s", fxSnippet(r.Body))
		}
	})
}

func TestUserAdminEditAndScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		app := fxServer(t, db)
		n := usNetwork(t, db)
		jsUser := fxUser(t, db, "us_js_reporter", access.AgencyReporter, n.JiangsuCity.ID)
		ahUser := fxUser(t, db, "us_ah_officer", access.ProvincialOfficer, n.Anhui.ID)
		ahAdm := app.fxLogin(t, n.AHAdmin.Username, fxPassword)
		ahOfficer := app.fxLogin(t, ahUser.Username, fxPassword)
		jsAdm := app.fxLogin(t, n.JSAdmin.Username, fxPassword)
		jsPath := "/admin/users/" + strconv.FormatInt(jsUser.ID, 10)
		edit := url.Values{"display_name": {"越界"}, "role": {"national_admin"}, "unit_code": {n.AnhuiCity.Code}, "active": {"1"}}
		reset := url.Values{"mode": {"set"}, "new_password": {"taken-over-2012"}}

		// Anhui's administrator cannot see, edit or reset a Jiangsu account: not found. Anhui's
		// officer has no users.manage at all: forbidden.
		for _, c := range []struct {
			who    string
			client *fxClient
			want   int
		}{{"Anhui's administrator", ahAdm, http.StatusNotFound}, {"Anhui's officer", ahOfficer, http.StatusForbidden}} {
			for _, rq := range []struct {
				method, path string
				form         url.Values
			}{{"GET", jsPath, nil}, {"POST", jsPath, edit}, {"POST", jsPath + "/password", reset}, {"POST", jsPath + "/password", url.Values{"mode": {"generate"}}},
				{"POST", jsPath + "/active", url.Values{"active": {"0"}}}} {
				var r fxResp
				if rq.form == nil {
					r = c.client.get(t, rq.path)
				} else {
					r = c.client.postForm(t, rq.path, rq.form)
				}
				if r.Status != c.want {
					t.Errorf("%s %s as %s: status %d, want %d", rq.method, rq.path, c.who, r.Status, c.want)
				}
				if strings.Contains(r.Body, jsUser.Username) {
					t.Errorf("%s %s as %s shows the Jiangsu account", rq.method, rq.path, c.who)
				}
			}
		}
		after, err := auth.New(db).UserByID(ctx, jsUser.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.UnitID != jsUser.UnitID || after.Role != jsUser.Role || !after.Active || after.DisplayName != jsUser.DisplayName {
			t.Errorf("the refused requests changed the Jiangsu account: %+v", after)
		}
		app.fxLogin(t, jsUser.Username, fxPassword) // its password is unchanged

		// Jiangsu's administrator edits it: to a caseworker at the site, then deactivated.
		if r := jsAdm.get(t, jsPath); r.Status != http.StatusOK || !strings.Contains(r.Body, jsUser.Username) {
			t.Fatalf("GET %s as Jiangsu's administrator: %d", jsPath, r.Status)
		}
		r := jsAdm.postForm(t, jsPath, url.Values{"display_name": {"滨湖社工"}, "role": {"caseworker"}, "unit_code": {usSite}, "active": {"1"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("edit: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		if _, unit := usAccount(t, db, jsUser.Username); unit != n.Site.ID {
			t.Errorf("after the edit the account is at unit %d, want %d", unit, n.Site.ID)
		}
		// ...but never to a unit outside Jiangsu (the service refuses; the page says why).
		r = jsAdm.postForm(t, jsPath, url.Values{"display_name": {"x"}, "role": {"caseworker"}, "unit_code": {n.AnhuiCity.Code}, "active": {"1"}},
			"Accept-Language", "en")
		if want := usFieldErr("en", "unit_code", "user_unit_outside", n.AnhuiCity.Code); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, want) {
			t.Errorf("edit to Anhui: status %d, want 422 with %q", r.Status, want)
		}
		r = jsAdm.postForm(t, jsPath, url.Values{"display_name": {"滨湖社工"}, "role": {"caseworker"}, "unit_code": {usSite}, "partner_id": {"abc"}},
			"Accept-Language", "en")
		if want := usFieldErr("en", "partner_id", "user_whole_number", ""); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, want) {
			t.Errorf("edit with partner abc: status %d, want 422 with %q", r.Status, want)
		}
		if r := jsAdm.postForm(t, jsPath, url.Values{"display_name": {"滨湖社工"}, "role": {"caseworker"}, "unit_code": {usSite}}); r.Status != http.StatusSeeOther {
			t.Fatalf("deactivate through the edit: status %d", r.Status)
		}
		if u, _ := auth.New(db).UserByID(ctx, jsUser.ID); u.Active || u.Role != access.Caseworker {
			t.Errorf("after deactivation: active %v, role %s", u.Active, u.Role)
		}
		if usAudited(t, db, "update", jsUser.ID) != 2 {
			t.Errorf("want 2 audit rows of the edits, got %d", usAudited(t, db, "update", jsUser.ID))
		}
	})
}

func TestAccountChangePassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		n := usNetwork(t, db)
		u := fxUser(t, db, "us_officer", access.ProvincialOfficer, n.Jiangsu.ID)
		here := app.fxLogin(t, u.Username, fxPassword)
		elsewhere := app.fxLogin(t, u.Username, fxPassword)
		const fresh = "a-fresh-password-2013"

		for _, c := range []struct {
			what              string
			current, new, rep string
			field, rule, prm  string
		}{
			{"a wrong current password", "not-my-password", fresh, fresh, "current_password", "user_password_wrong", ""},
			{"a mistyped repetition", fxPassword, fresh, fresh + "x", "new_password_again", "user_password_mismatch", ""},
			{"a short new password", fxPassword, "short", "short", "new_password", "password_len", strconv.Itoa(auth.MinPassword)},
		} {
			r := here.postForm(t, "/account/password", url.Values{"current_password": {c.current}, "new_password": {c.new}, "new_password_again": {c.rep}},
				"Accept-Language", "zh")
			if want := usFieldErr("zh", c.field, c.rule, c.prm); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, want) {
				t.Errorf("%s: status %d, want 422 with %q\n%s", c.what, r.Status, want, fxSnippet(r.Body))
			}
		}
		if r := elsewhere.get(t, "/account"); r.Status != http.StatusOK {
			t.Fatalf("refused changes ended the other session: %d", r.Status)
		}

		r := here.postForm(t, "/account/password", url.Values{"current_password": {fxPassword}, "new_password": {fresh}, "new_password_again": {fresh}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("change: status %d, want 303\n%s", r.Status, fxSnippet(r.Body))
		}
		if r := here.get(t, "/account"); r.Status != http.StatusOK {
			t.Errorf("the session that changed the password was signed out: %d", r.Status)
		}
		if r := elsewhere.get(t, "/account"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
			t.Errorf("the other session still works after the change: %d", r.Status)
		}
		if r := app.fxBrowser(t).postForm(t, "/login", url.Values{"username": {u.Username}, "password": {fxPassword}}); r.Status != http.StatusUnauthorized {
			t.Errorf("the old password still signs in: %d", r.Status)
		}
		app.fxLogin(t, u.Username, fresh)
		if usAudited(t, db, "change_password", u.ID) != 1 {
			t.Error("the change wrote no audit row")
		}
	})
}

func TestUserAdminResetLockedOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		n := usNetwork(t, db)
		u := fxUser(t, db, "us_locked", access.Caseworker, n.Site.ID)
		stale := app.fxLogin(t, u.Username, fxPassword)
		b := app.fxBrowser(t)
		for i := range auth.MaxFailures {
			b.postForm(t, "/login", url.Values{"username": {u.Username}, "password": {fmt.Sprintf("wrong-%d", i)}})
		}
		if r := b.postForm(t, "/login", url.Values{"username": {u.Username}, "password": {fxPassword}}); r.Status != http.StatusUnauthorized {
			t.Fatalf("the account is not locked: %d", r.Status)
		}
		adm := app.fxLogin(t, n.JSAdmin.Username, fxPassword)
		path := "/admin/users/" + strconv.FormatInt(u.ID, 10)
		if r := adm.get(t, "/admin/users", "Accept-Language", "en"); !strings.Contains(r.Body, "locked out until") {
			t.Errorf("the user list does not show the lock-out")
		}

		// A password the administrator types.
		r := adm.postForm(t, path+"/password", url.Values{"mode": {"set"}, "new_password": {"short"}}, "Accept-Language", "en")
		if want := usFieldErr("en", "new_password", "password_len", strconv.Itoa(auth.MinPassword)); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, want) {
			t.Errorf("short reset: status %d, want 422 with %q", r.Status, want)
		}
		r = adm.postForm(t, path+"/password", url.Values{"mode": {"set"}, "new_password": {"reset-by-admin-2012"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("reset: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		app.fxLogin(t, u.Username, "reset-by-admin-2012")
		if r := stale.get(t, "/account"); r.Status != http.StatusSeeOther {
			t.Errorf("a session from before the reset still works: %d", r.Status)
		}

		// A generated one, shown once.
		r = adm.postForm(t, path+"/password", url.Values{"mode": {"generate"}})
		m := regexp.MustCompile(`id="new-password"[^>]*>[^<]*<code>([^<]+)</code>`).FindStringSubmatch(r.Body)
		if r.Status != http.StatusOK || m == nil || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("generate: status %d, cache %q, no password shown\n%s", r.Status, r.Header.Get("Cache-Control"), fxSnippet(r.Body))
		}
		app.fxLogin(t, u.Username, m[1])
		if r := adm.get(t, path); strings.Contains(r.Body, m[1]) {
			t.Error("the generated password is shown again")
		}
		if got := usAudited(t, db, "reset_password", u.ID); got != 2 {
			t.Errorf("want 2 audit rows of resets, got %d", got)
		}
	})
}
