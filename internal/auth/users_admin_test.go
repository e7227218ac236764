package auth

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// usRule fails the test unless err is a validation failure of rule on field.
func usRule(t *testing.T, what string, err error, field, rule string) {
	t.Helper()
	es, ok := valid.As(err)
	if !ok {
		t.Errorf("%s: %v, want %s on %s", what, err, rule, field)
		return
	}
	if e, ok := es.For(field); !ok || e.Rule != rule {
		t.Errorf("%s: %v, want %s on %s", what, err, rule, field)
	}
}

// TestUsersScopeInService checks scope below the web layer: an administrator bound to a
// province manages only that province's accounts and can bind none outside it.
func TestUsersScopeInService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, cn, ah := setup(t, db)
		o := org.New(db)
		js, err := o.CreateUnit(ctx, access.System, org.UnitInput{Code: "JS", Level: org.Provincial, ParentID: cn.ID, NameZH: "江苏省", NameEN: "Jiangsu", Effective: "2010-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		mk := func(username string, role access.Role, unit int64) User {
			t.Helper()
			u, err := s.CreateUser(ctx, access.System, UserInput{Username: username, DisplayName: username, Password: "fixture-password", Role: role, UnitID: unit})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		ahAdmin := mk("ah_admin", access.NationalAdmin, ah.ID).Actor()
		ahOfficer := mk("ah_officer", access.ProvincialOfficer, ah.ID).Actor()
		ahUser := mk("ah_user", access.Donor, ah.ID)
		jsUser := mk("js_user", access.Donor, js.ID)

		// Another province's account does not exist for Anhui's administrator.
		if _, err := s.User(ctx, ahAdmin, jsUser.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("User of Jiangsu: %v, want not found", err)
		}
		if _, err := s.UpdateUser(ctx, ahAdmin, jsUser.ID, UserEdit{DisplayName: "x", Role: access.Donor, UnitID: ah.ID, Active: true}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateUser of Jiangsu: %v, want not found", err)
		}
		if _, err := s.ResetUserPassword(ctx, ahAdmin, jsUser.ID, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ResetUserPassword of Jiangsu: %v, want not found", err)
		}
		if err := s.SetActive(ctx, ahAdmin, jsUser.ID, false); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetActive of Jiangsu: %v, want not found", err)
		}
		// Nor may it grant a unit outside its subtree, by code or by id.
		_, err = s.CreateUser(ctx, ahAdmin, UserInput{Username: "x1", DisplayName: "x", Password: "fixture-password", Role: access.Donor, UnitCode: "JS"})
		usRule(t, "create at JS by code", err, "unit_code", "user_unit_outside")
		_, err = s.CreateUser(ctx, ahAdmin, UserInput{Username: "x2", DisplayName: "x", Password: "fixture-password", Role: access.Donor, UnitID: js.ID})
		usRule(t, "create at JS by id", err, "unit_id", "not_found")
		_, err = s.UpdateUser(ctx, ahAdmin, ahUser.ID, UserEdit{DisplayName: "x", Role: access.Donor, UnitCode: "js", Active: true})
		usRule(t, "move to JS (code in small letters)", err, "unit_code", "user_unit_outside")
		_, err = s.UpdateUser(ctx, ahAdmin, ahUser.ID, UserEdit{DisplayName: "x", Role: access.Donor, UnitCode: "NOPE", Active: true})
		usRule(t, "move to an unknown code", err, "unit_code", "user_unit_unknown")
		// An administrator does not demote or move themselves.
		_, err = s.UpdateUser(ctx, ahAdmin, ahAdmin.UserID, UserEdit{DisplayName: "x", Role: access.Donor, UnitID: ah.ID, Active: true})
		usRule(t, "own role", err, "role", "user_not_self")
		_, err = s.ResetUserPassword(ctx, ahAdmin, ahAdmin.UserID, "")
		usRule(t, "own reset", err, "new_password", "user_reset_self")
		// A role without users.manage is forbidden outright.
		if _, err := s.UpdateUser(ctx, ahOfficer, ahUser.ID, UserEdit{DisplayName: "x", Role: access.NationalAdmin, UnitID: ah.ID, Active: true}); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("officer edits a user: %v, want forbidden", err)
		}
		if _, err := s.ResetUserPassword(ctx, ahOfficer, ahUser.ID, ""); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("officer resets a password: %v, want forbidden", err)
		}

		// Within its own province it may: the edit is audited with before and after.
		u, err := s.UpdateUser(ctx, ahAdmin, ahUser.ID, UserEdit{DisplayName: "安徽评估员", Role: access.Evaluator, UnitCode: "AH", Active: true})
		if err != nil || u.Role != access.Evaluator || u.UnitCode != "AH" || u.DisplayName != "安徽评估员" {
			t.Fatalf("edit within Anhui: %+v %v", u, err)
		}
		var before, after string
		if err := db.R.QueryRowContext(ctx, "SELECT before, after FROM audit_log WHERE action = 'update' AND entity = 'user' AND entity_id = $1", ahUser.ID).
			Scan(&before, &after); err != nil || !regexp.MustCompile(`"role": ?"donor"`).MatchString(before) || !regexp.MustCompile(`"role": ?"evaluator"`).MatchString(after) {
			t.Errorf("audit of the edit: %q → %q (%v)", before, after, err)
		}
	})
}

func TestUsersLimits(t *testing.T) {
	long := string(make([]rune, MaxDisplayName+1))
	for i, c := range []struct {
		in          UserInput
		field, rule string
	}{
		{UserInput{Username: "a", DisplayName: long, Password: "long-enough-pw", Role: access.Donor, UnitID: 1}, "display_name", "max_len"},
		{UserInput{Username: "a", DisplayName: "A", Password: string(make([]byte, MaxPassword+1)), Role: access.Donor, UnitID: 1}, "password", "max_len"},
		{UserInput{Username: "a", DisplayName: "A", Password: "long-enough-pw", Role: access.Donor}, "unit_code", "required"},
	} {
		usRule(t, "case "+string(rune('0'+i)), CheckUserInput(c.in).Err(), c.field, c.rule)
	}
	seen := map[string]bool{}
	for range 50 {
		pw := GeneratePassword()
		if !regexp.MustCompile(`^[a-z2-9]{4}(-[a-z2-9]{4}){3}$`).MatchString(pw) || CheckPasswordStrength(pw) != "" || seen[pw] {
			t.Fatalf("generated password %q", pw)
		}
		seen[pw] = true
	}
}

// TestUserPasswordChangeEndsOtherSessions checks that a change of password ends every other
// session of the user, and only those.
func TestUserPasswordChangeEndsOtherSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, ah := setup(t, db)
		mk := func(username string) User {
			u, err := s.CreateUser(ctx, access.System, UserInput{Username: username, DisplayName: username, Password: "fixture-password", Role: access.Donor, UnitID: ah.ID})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		me, other := mk("me"), mk("other")
		st := NewSessionStore(db)
		expiry := time.Now().Add(time.Hour)
		put := func(token string, userID int64) {
			b, err := scs.GobCodec{}.Encode(expiry, map[string]any{"user_id": userID, "flash": "x"})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.CommitCtx(ctx, token, b, expiry); err != nil {
				t.Fatal(err)
			}
		}
		put("mine-here", me.ID)
		put("mine-elsewhere", me.ID)
		put("theirs", other.ID)
		if err := st.CommitCtx(ctx, "garbage", []byte("not gob"), expiry); err != nil {
			t.Fatal(err)
		}
		live := func(token string) bool {
			_, ok, err := st.FindCtx(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}

		err := s.ChangePassword(ctx, me.Actor(), PasswordChange{Current: "wrong-password", New: "new-password-1", Again: "new-password-1"}, "mine-here")
		usRule(t, "wrong current", err, "current_password", "user_password_wrong")
		if !live("mine-elsewhere") {
			t.Fatal("a refused change ended a session")
		}
		err = s.ChangePassword(ctx, me.Actor(), PasswordChange{Current: "fixture-password", New: "fixture-password", Again: "fixture-password"}, "mine-here")
		usRule(t, "same password", err, "new_password", "user_password_same")
		if err := s.ChangePassword(ctx, me.Actor(), PasswordChange{Current: "fixture-password", New: "new-password-1", Again: "new-password-1"}, "mine-here"); err != nil {
			t.Fatal(err)
		}
		for token, want := range map[string]bool{"mine-here": true, "mine-elsewhere": false, "theirs": true, "garbage": true} {
			if live(token) != want {
				t.Errorf("session %s live %v, want %v", token, !want, want)
			}
		}
		if _, err := s.Login(ctx, "me", "new-password-1"); err != nil {
			t.Errorf("new password: %v", err)
		}
		if _, err := s.Login(ctx, "me", "fixture-password"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("old password: %v", err)
		}

		// An administrator's reset ends every session of the user.
		put("theirs-2", other.ID)
		if _, err := s.ResetUserPassword(ctx, access.System, other.ID, ""); err != nil {
			t.Fatal(err)
		}
		if live("theirs") || live("theirs-2") || !live("mine-here") {
			t.Error("the reset did not end exactly the user's sessions")
		}
	})
}
