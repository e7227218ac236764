package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// TestUIFieldErrorParams: a parameter is said as a code only where its rule declares it one
// (a level, a report status, another field); a value someone typed is shown as typed even when
// it spells a code.
func TestUIFieldErrorParams(t *testing.T) {
	for _, lang := range Langs {
		tr := NewTr(lang)
		for _, typed := range []string{"national", "provincial", "draft", "approved", "start_on", "username"} {
			for _, rule := range []string{"unique", "outside_scope", "no_such_code"} {
				e := valid.FieldError{Field: "username", Rule: rule, Param: typed}
				want := tr.T("rule."+rule, "Field", tr.T("field.username"), "Param", typed)
				if got := tr.FieldError(e); got != want {
					t.Errorf("%s: %s of %q says %q, want %q", lang, rule, typed, got, want)
				}
			}
		}
		for _, c := range []struct {
			e    valid.FieldError
			want string
		}{
			{valid.FieldError{Field: "level", Rule: "below_parent", Param: "national"}, tr.T("level.national")},
			{valid.FieldError{Row: 3, Field: "level", Rule: "level_fixed", Param: "county"}, tr.T("level.county")},
			{valid.FieldError{Field: "status", Rule: "report_not_editable", Param: "approved"}, tr.T("pw.status.approved")},
			{valid.FieldError{Field: "status", Rule: "report_transition", Param: "draft"}, tr.T("pw.status.draft")},
			{valid.FieldError{Field: "end_on", Rule: "not_before", Param: "start_on"}, tr.T("field.start_on")},
			{valid.FieldError{Field: "numerator", Rule: "not_above", Param: "denominator"}, tr.T("field.denominator")},
			{valid.FieldError{Field: "end_on", Rule: "not_before", Param: "2012-03-04"}, "2012-03-04"},
		} {
			got := tr.FieldError(c.e)
			if !strings.Contains(got, c.want) || strings.Contains(got, "level.") || strings.Contains(got, "pw.status.") {
				t.Errorf("%s: %+v says %q, want it to name %q", lang, c.e, got, c.want)
			}
		}
	}
}

// TestUIDuplicateUsername: creating the user "national" again names "national", not the
// national level, in both languages.
func TestUIDuplicateUsername(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		national, prov := fxProvince(t, db)
		admin := fxUser(t, db, "ui_dup_admin", access.NationalAdmin, national.ID)
		fxUser(t, db, "national", access.ProvincialOfficer, prov.ID)
		b := app.fxLogin(t, admin.Username, fxPassword)
		form := url.Values{"username": {"national"}, "display_name": {"Another"}, "password": {fxPassword},
			"role": {string(access.ProvincialOfficer)}, "unit_id": {itoa(prov.ID)}}
		for lang, want := range map[string]string{"en": "Username “national” is already in use.", "zh": "用户名“national”已被使用。"} {
			r := b.postForm(t, "/admin/users?lang="+lang, form)
			pwWant(t, lang+": the same username again", r, http.StatusUnprocessableEntity, want)
			if level := NewTr(lang).T("level.national"); strings.Contains(r.Body, "“"+level+"”") {
				t.Errorf("%s: the message names the level %q", lang, level)
			}
		}
	})
}
