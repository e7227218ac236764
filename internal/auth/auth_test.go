package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected encoding %q", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password must differ (salt)")
	}
	tests := []struct {
		hash, pw string
		ok       bool
		bad      bool
	}{
		{h, "correct horse battery", true, false},
		{h, "correct horse batterY", false, false},
		{h, "", false, false},
		{"$argon2id$v=19$m=19456,t=2,p=1$!!$!!", "x", false, true},
		{"$bcrypt$whatever", "x", false, true},
		{"", "x", false, true},
	}
	for _, tt := range tests {
		ok, err := CheckPassword(tt.hash, tt.pw)
		if ok != tt.ok || (err != nil) != tt.bad {
			t.Errorf("CheckPassword(%q, %q) = %v, %v", tt.hash, tt.pw, ok, err)
		}
	}
}

func setup(t *testing.T, db *store.DB) (*Service, org.Unit, org.Unit) {
	t.Helper()
	ctx := context.Background()
	o := org.New(db)
	cn, err := o.CreateUnit(ctx, access.System, org.UnitInput{Code: "CN", Level: org.National, NameZH: "全国", NameEN: "National", Effective: "2010-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	ah, err := o.CreateUnit(ctx, access.System, org.UnitInput{Code: "AH", Level: org.Provincial, ParentID: cn.ID, NameZH: "安徽省", NameEN: "Anhui", Effective: "2010-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	return New(db), cn, ah
}

func TestUsersAndLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, cn, ah := setup(t, db)
		clock := time.Date(2012, 6, 1, 9, 0, 0, 0, time.UTC)
		s.now = func() time.Time { return clock }

		_, err := s.CreateUser(ctx, access.System, UserInput{Username: "x", DisplayName: "X", Password: "short", Role: "king", UnitID: ah.ID})
		es, _ := valid.As(err)
		if _, ok := es.For("password"); !ok {
			t.Fatalf("weak password accepted: %v", err)
		}
		if _, ok := es.For("role"); !ok {
			t.Fatalf("unknown role accepted: %v", err)
		}
		u, err := s.CreateUser(ctx, access.System, UserInput{Username: "an hui", DisplayName: "安徽项目官员", Password: "anhui-password", Role: access.ProvincialOfficer, UnitID: ah.ID})
		if err == nil {
			t.Fatal("username with a space accepted")
		}
		u, err = s.CreateUser(ctx, access.System, UserInput{Username: "Anhui", DisplayName: "安徽项目官员", Password: "anhui-password", Role: access.ProvincialOfficer, UnitID: ah.ID})
		if err != nil {
			t.Fatal(err)
		}
		if u.Username != "anhui" || !strings.HasPrefix(u.PublicID, "u_") || u.UnitPath != ah.Path {
			t.Fatalf("user %+v", u)
		}
		if _, err := s.CreateUser(ctx, access.System, UserInput{Username: "anhui", DisplayName: "x", Password: "anhui-password", Role: access.Donor, UnitID: cn.ID}); err == nil {
			t.Fatal("duplicate username accepted")
		}
		// An agency reporter writes its own agency's reports: an account of no agency is refused,
		// made and changed alike.
		if _, err := s.CreateUser(ctx, access.System, UserInput{Username: "rep", DisplayName: "x", Password: "reporter-pass", Role: access.AgencyReporter, UnitID: ah.ID}); fmt.Sprint(err) != "partner_id: required_for_reporter" {
			t.Fatalf("a reporter of no agency: %v", err)
		}
		if _, err := s.UpdateUser(ctx, access.System, u.ID, UserEdit{DisplayName: "x", Role: access.AgencyReporter, UnitID: ah.ID, Active: true}); fmt.Sprint(err) != "partner_id: required_for_reporter" {
			t.Fatalf("an account made a reporter of no agency: %v", err)
		}
		// A provincial officer cannot create accounts (no users.manage), let alone national ones.
		if _, err := s.CreateUser(ctx, u.Actor(), UserInput{Username: "n2", DisplayName: "x", Password: "national-pass", Role: access.NationalAdmin, UnitID: cn.ID}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("provincial officer created a user: %v", err)
		}

		if _, err := s.Login(ctx, "nobody", "anhui-password"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("unknown user: %v", err)
		}
		if got, err := s.Login(ctx, " ANHUI ", "anhui-password"); err != nil || got.ID != u.ID {
			t.Fatalf("login: %v", err)
		}
		for i := 0; i < MaxFailures; i++ {
			if _, err := s.Login(ctx, "anhui", "wrong-password"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		locked, err := s.Login(ctx, "anhui", "anhui-password")
		if !errors.Is(err, ErrLocked) || !locked.LockedUntil.Equal(clock.Add(LockFor)) {
			t.Fatalf("right password while locked: %v (until %v)", err, locked.LockedUntil)
		}
		clock = clock.Add(LockFor + time.Second)
		if _, err := s.Login(ctx, "anhui", "anhui-password"); err != nil {
			t.Fatalf("after the lock expired: %v", err)
		}
		// Locked again, then cleared by an administrator's reset.
		for i := 0; i < MaxFailures; i++ {
			s.Login(ctx, "anhui", "wrong-password")
		}
		if err := s.ResetPassword(ctx, access.System, "anhui", "new-anhui-password"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, "anhui", "new-anhui-password"); err != nil {
			t.Fatalf("after reset: %v", err)
		}
		var locks int
		db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE entity = 'user' AND action = 'lock' AND actor = $1", u.PublicID).Scan(&locks)
		if locks != 2 {
			t.Fatalf("lock events audited: %d, want 2", locks)
		}
	})
}

func TestTokensAndSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, ah := setup(t, db)
		u, err := s.CreateUser(ctx, access.System, UserInput{Username: "anhui", DisplayName: "x", Password: "anhui-password", Role: access.ProvincialOfficer, UnitID: ah.ID})
		if err != nil {
			t.Fatal(err)
		}
		secret, err := s.CreateToken(ctx, u.Actor(), "sync script")
		if err != nil {
			t.Fatal(err)
		}
		var stored string
		db.R.QueryRowContext(ctx, "SELECT token_hash FROM api_tokens").Scan(&stored)
		if stored == secret || strings.Contains(stored, secret) {
			t.Fatal("token stored in clear")
		}
		got, err := s.Authenticate(ctx, secret)
		if err != nil || got.ID != u.ID {
			t.Fatalf("authenticate: %v", err)
		}
		toks, _ := s.Tokens(ctx, u.Actor())
		if len(toks) != 1 || toks[0].LastUsed.IsZero() {
			t.Fatalf("tokens %+v", toks)
		}
		if err := s.RevokeToken(ctx, access.Actor{UserID: 9999, PublicID: "other"}, toks[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("someone else revoked the token: %v", err)
		}
		if err := s.RevokeToken(ctx, u.Actor(), toks[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, secret); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("revoked token still works: %v", err)
		}

		ss := NewSessionStore(db)
		exp := time.Now().Add(time.Hour)
		if err := ss.Commit("tok1", []byte("data-1"), exp); err != nil {
			t.Fatal(err)
		}
		if err := ss.Commit("tok1", []byte("data-2"), exp); err != nil {
			t.Fatal(err)
		}
		b, ok, err := ss.Find("tok1")
		if err != nil || !ok || string(b) != "data-2" {
			t.Fatalf("find: %q %v %v", b, ok, err)
		}
		ss.Commit("old", []byte("x"), time.Now().Add(-time.Minute))
		if _, ok, _ := ss.Find("old"); ok {
			t.Fatal("expired session found")
		}
		if err := ss.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM sessions").Scan(&n)
		if n != 1 {
			t.Fatalf("after purge %d sessions, want 1", n)
		}
		ss.Delete("tok1")
		if _, ok, _ := ss.Find("tok1"); ok {
			t.Fatal("deleted session found")
		}
	})
}

func TestDeactivate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, cn, ah := setup(t, db)
		admin, err := s.CreateUser(ctx, access.System, UserInput{Username: "admin", DisplayName: "x", Password: "admin-password", Role: access.NationalAdmin, UnitID: cn.ID})
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.CreateUser(ctx, access.System, UserInput{Username: "cta", DisplayName: "x", Password: "cta-password", Role: access.NationalOfficer, UnitID: ah.ID})
		if err != nil {
			t.Fatal(err)
		}
		secret, _ := s.CreateToken(ctx, u.Actor(), "script")
		if err := s.SetActive(ctx, admin.Actor(), admin.ID, false); err == nil {
			t.Fatal("an administrator deactivated themselves")
		}
		if err := s.SetActive(ctx, u.Actor(), admin.ID, false); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("an officer deactivated the administrator: %v", err)
		}
		if err := s.SetActive(ctx, admin.Actor(), u.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, "cta", "cta-password"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("deactivated user signed in: %v", err)
		}
		if _, err := s.Authenticate(ctx, secret); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("deactivated user's token works: %v", err)
		}
		if err := s.SetActive(ctx, admin.Actor(), u.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, "cta", "cta-password"); err != nil {
			t.Fatalf("reactivated user: %v", err)
		}
	})
}
