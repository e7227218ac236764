package auth

import (
	"context"
	"fmt"
	"testing"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestFindUsers searches the account list by text, role, unit subtree and status, a page at a
// time, inside the administrator's area only.
func TestFindUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, cn, ah := setup(t, db)
		o := org.New(db)
		hf, err := o.CreateUnit(ctx, access.System, org.UnitInput{Code: "AH-HF", Level: org.Municipal, ParentID: ah.ID, NameZH: "合肥市", NameEN: "Hefei", Effective: "2010-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		js, err := o.CreateUnit(ctx, access.System, org.UnitInput{Code: "JS", Level: org.Provincial, ParentID: cn.ID, NameZH: "江苏省", NameEN: "Jiangsu", Effective: "2010-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		mk := func(username, name string, role access.Role, unit int64) User {
			t.Helper()
			u, err := s.CreateUser(ctx, access.System, UserInput{Username: username, DisplayName: name, Password: "fixture-password", Role: role, UnitID: unit})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		ahAdmin := mk("ah_admin", "安徽管理员", access.NationalAdmin, ah.ID).Actor()
		for i := range 7 {
			mk(fmt.Sprintf("hf_case_%d", i), fmt.Sprintf("合肥个案工作者%d", i), access.Caseworker, hf.ID)
		}
		off := mk("ah_officer", "Wang_Li 100%", access.ProvincialOfficer, ah.ID)
		if err := s.SetActive(ctx, access.System, off.ID, false); err != nil {
			t.Fatal(err)
		}
		mk("js_case", "江苏个案工作者", access.Caseworker, js.ID)

		names := func(list []User) (out []string) {
			for _, u := range list {
				out = append(out, u.Username)
			}
			return out
		}
		for _, tc := range []struct {
			what  string
			q     UserQuery
			total int
			page  string
		}{
			{"everyone in Anhui", UserQuery{}, 9, "[ah_admin ah_officer hf_case_0 hf_case_1 hf_case_2 hf_case_3 hf_case_4 hf_case_5 hf_case_6]"},
			{"second page of 4", UserQuery{Limit: 4, Offset: 4}, 9, "[hf_case_2 hf_case_3 hf_case_4 hf_case_5]"},
			{"username in capitals", UserQuery{Text: "HF_CASE_3"}, 1, "[hf_case_3]"},
			{"display name", UserQuery{Text: "个案工作者"}, 7, "[hf_case_0 hf_case_1 hf_case_2 hf_case_3 hf_case_4 hf_case_5 hf_case_6]"},
			{"pattern characters taken as they are", UserQuery{Text: "_li 100%"}, 1, "[ah_officer]"},
			{"underscore is not any character", UserQuery{Text: "wang li"}, 0, "[]"},
			{"role", UserQuery{Role: access.ProvincialOfficer}, 1, "[ah_officer]"},
			{"unit subtree, code in small letters", UserQuery{UnitCode: "ah-hf", Limit: 2}, 7, "[hf_case_0 hf_case_1]"},
			{"deactivated", UserQuery{Status: "inactive"}, 1, "[ah_officer]"},
			{"active caseworkers", UserQuery{Status: "active", Role: access.Caseworker}, 7, "[hf_case_0 hf_case_1 hf_case_2 hf_case_3 hf_case_4 hf_case_5 hf_case_6]"},
			{"Jiangsu's caseworker is outside the area", UserQuery{Text: "js_case"}, 0, "[]"},
		} {
			list, total, err := s.FindUsers(ctx, ahAdmin, tc.q)
			if err != nil || total != tc.total || fmt.Sprint(names(list)) != tc.page {
				t.Errorf("%s: %v of %d (%v); want %s of %d", tc.what, names(list), total, err, tc.page, tc.total)
			}
		}
		// A unit outside the area is as unknown as one that does not exist; a bad role or status
		// is named.
		_, _, err = s.FindUsers(ctx, ahAdmin, UserQuery{UnitCode: "JS"})
		usRule(t, "Jiangsu's unit", err, "unit_code", "not_found")
		_, _, err = s.FindUsers(ctx, ahAdmin, UserQuery{UnitCode: "NOPE"})
		usRule(t, "unknown unit", err, "unit_code", "not_found")
		_, _, err = s.FindUsers(ctx, ahAdmin, UserQuery{Role: "boss"})
		usRule(t, "unknown role", err, "role", "one_of")
		_, _, err = s.FindUsers(ctx, ahAdmin, UserQuery{Status: "locked"})
		usRule(t, "unknown status", err, "account_status", "one_of")
		if _, _, err := s.FindUsers(ctx, off.Actor(), UserQuery{}); err == nil {
			t.Error("an officer without users.manage listed the accounts")
		}
		// The national administrator finds Jiangsu's too.
		if list, total, err := s.FindUsers(ctx, access.System, UserQuery{Role: access.Caseworker}); err != nil || total != 8 || len(list) != 8 {
			t.Errorf("national: %d of %d (%v), want 8 caseworkers", len(list), total, err)
		}
	})
}
