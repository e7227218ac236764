package org_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// net is a small network: national, Anhui and Jiangsu with a city each, and an actor per province.
type net struct {
	svc                   *org.Service
	cn, ah, js, hefei, wx org.Unit
	anhui, jiangsu        access.Actor
}

// must(f())(t) returns f's value or stops the test on its error.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func newNet(t *testing.T, db *store.DB) net {
	t.Helper()
	ctx := context.Background()
	n := net{svc: org.New(db)}
	a := access.System
	n.cn = must(n.svc.CreateUnit(ctx, a, org.UnitInput{Code: "CN", Level: org.National, NameZH: "全国", NameEN: "National", Effective: "2010-01-01"}))(t)
	n.ah = must(n.svc.CreateUnit(ctx, a, org.UnitInput{Code: "AH", Level: org.Provincial, ParentID: n.cn.ID, NameZH: "安徽省", NameEN: "Anhui", Tags: []string{"sending", "pilot"}, Effective: "2010-01-01"}))(t)
	n.js = must(n.svc.CreateUnit(ctx, a, org.UnitInput{Code: "JS", Level: org.Provincial, ParentID: n.cn.ID, NameZH: "江苏省", NameEN: "Jiangsu", Tags: []string{"receiving", "pilot"}, Effective: "2010-01-01"}))(t)
	n.hefei = must(n.svc.CreateUnit(ctx, a, org.UnitInput{Code: "AH-HF", Level: org.Municipal, ParentID: n.ah.ID, NameZH: "合肥市", NameEN: "Hefei", Effective: "2010-01-01"}))(t)
	n.wx = must(n.svc.CreateUnit(ctx, a, org.UnitInput{Code: "JS-WX", Level: org.Municipal, ParentID: n.js.ID, NameZH: "无锡市", NameEN: "Wuxi", Effective: "2010-01-01"}))(t)
	n.anhui = access.Actor{PublicID: "u_anhui", Role: access.ProvincialOfficer, UnitID: n.ah.ID, UnitPath: n.ah.Path}
	n.jiangsu = access.Actor{PublicID: "u_jiangsu", Role: access.ProvincialOfficer, UnitID: n.js.ID, UnitPath: n.js.Path}
	return n
}

func wantRule(t *testing.T, err error, field, rule string) {
	t.Helper()
	es, ok := valid.As(err)
	if !ok {
		t.Fatalf("want %s:%s, got %v", field, rule, err)
	}
	if e, ok := es.For(field); !ok || e.Rule != rule {
		t.Fatalf("want %s:%s, got %v", field, rule, es)
	}
}

func TestUnitLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n := newNet(t, db)
		s, sys := n.svc, access.System
		today := time.Now().UTC().Format(time.DateOnly)

		// A county under Wuxi, renamed in 2011.
		county := must(s.CreateUnit(ctx, sys, org.UnitInput{Code: "JS-WX-BH", Level: org.County, ParentID: n.wx.ID, NameZH: "北塘区", NameEN: "Beitang District", Effective: "2010-01-01"}))(t)
		must(s.UpdateUnit(ctx, sys, county.ID, org.UnitInput{Code: "JS-WX-LX", NameZH: "梁溪区", NameEN: "Liangxi District", Effective: "2011-06-01"}))(t)
		// Renaming earlier than the last change is refused.
		_, err := s.UpdateUnit(ctx, sys, county.ID, org.UnitInput{Code: "JS-WX-LX", NameZH: "x", NameEN: "x", Effective: "2011-01-01"})
		wantRule(t, err, "effective", "after_last_change")

		old := must(s.AsOf(ctx, sys, n.wx.ID, "2011-05-31"))(t)
		if len(old) != 1 || old[0].NameEN != "Beitang District" || old[0].Code != "JS-WX-BH" {
			t.Fatalf("as of 2011-05-31: %+v", old)
		}
		now := must(s.AsOf(ctx, sys, n.wx.ID, today))(t)
		if len(now) != 1 || now[0].NameEN != "Liangxi District" {
			t.Fatalf("as of today: %+v", now)
		}
		if before := must(s.AsOf(ctx, sys, n.wx.ID, "2009-12-31"))(t); len(before) != 0 {
			t.Fatalf("before opening: %+v", before)
		}

		// Moving the county to Hefei moves its subtree's paths and scope with it.
		comm := must(s.CreateUnit(ctx, sys, org.UnitInput{Code: "JS-WX-LX-01", Level: org.Community, ParentID: county.ID, NameZH: "社区一", NameEN: "Community One", Effective: "2011-07-01"}))(t)
		if _, err := s.Unit(ctx, n.anhui, comm.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Anhui sees a Jiangsu community before the move: %v", err)
		}
		must(s.MoveUnit(ctx, sys, county.ID, n.hefei.ID, "2012-01-01"))(t)
		if _, err := s.Unit(ctx, n.anhui, comm.ID); err != nil {
			t.Fatalf("after the move Anhui should see the community: %v", err)
		}
		if _, err := s.Unit(ctx, n.jiangsu, comm.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after the move Jiangsu still sees the community: %v", err)
		}
		if was := must(s.AsOf(ctx, sys, n.wx.ID, "2011-12-31"))(t); len(was) != 1 {
			t.Fatalf("Wuxi before the move should still list the county: %+v", was)
		}
		_, err = s.MoveUnit(ctx, sys, county.ID, comm.ID, "2012-02-01")
		wantRule(t, err, "parent_id", "not_own_subtree")

		// Closing needs the children closed first; a closed unit refuses changes and new children.
		_, err = s.CloseUnit(ctx, sys, county.ID, "2012-03-01")
		wantRule(t, err, "effective", "open_children")
		must(s.CloseUnit(ctx, sys, comm.ID, "2012-03-01"))(t)
		closed := must(s.CloseUnit(ctx, sys, county.ID, "2012-03-01"))(t)
		if !closed.Closed() {
			t.Fatal("county not closed")
		}
		_, err = s.CreateUnit(ctx, sys, org.UnitInput{Code: "X1", Level: org.Community, ParentID: county.ID, NameZH: "x", NameEN: "x", Effective: "2012-04-01"})
		wantRule(t, err, "parent_id", "parent_closed")
		hist := must(s.History(ctx, sys, county.ID))(t)
		var changes []string
		for _, v := range hist {
			changes = append(changes, v.Change)
		}
		if want := []string{"create", "rename", "move", "close"}; !equalStrings(changes, want) {
			t.Fatalf("history %v, want %v", changes, want)
		}
		if v := must(s.AsOf(ctx, sys, n.hefei.ID, "2012-06-01"))(t); len(v) != 1 || !v[0].Closed {
			t.Fatalf("as of after closing: %+v", v)
		}

		// Codes are unique, with a clear error.
		_, err = s.CreateUnit(ctx, sys, org.UnitInput{Code: "AH", Level: org.Municipal, ParentID: n.ah.ID, NameZH: "x", NameEN: "x"})
		wantRule(t, err, "code", "unique")
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestScopeOnUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n := newNet(t, db)
		s := n.svc
		list, total := func() ([]org.Unit, int) {
			l, tot, err := s.Units(ctx, n.anhui, org.UnitQuery{})
			if err != nil {
				t.Fatal(err)
			}
			return l, tot
		}()
		if total != 2 {
			t.Fatalf("Anhui sees %d units, want 2 (itself and Hefei): %+v", total, list)
		}
		for _, u := range list {
			if u.Code == "JS" || u.Code == "JS-WX" || u.Code == "CN" {
				t.Fatalf("Anhui sees %s", u.Code)
			}
		}
		if _, err := s.Unit(ctx, n.anhui, n.js.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("read Jiangsu as Anhui: %v", err)
		}
		if _, err := s.UnitByCode(ctx, n.anhui, "JS-WX"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("read Wuxi by code as Anhui: %v", err)
		}
		if _, err := s.Children(ctx, n.anhui, n.js.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("children of Jiangsu as Anhui: %v", err)
		}
		if _, err := s.History(ctx, n.anhui, n.wx.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("history of Wuxi as Anhui: %v", err)
		}
		if v, err := s.AsOf(ctx, n.anhui, n.js.ID, "2011-01-01"); err != nil || len(v) != 0 {
			t.Fatalf("as-of under Jiangsu as Anhui: %v %v", v, err)
		}
		// Writes: a unit under Jiangsu, a rename of Wuxi, a move of Hefei to Jiangsu.
		if _, err := s.CreateUnit(ctx, n.anhui, org.UnitInput{Code: "JS-NJ", Level: org.Municipal, ParentID: n.js.ID, NameZH: "南京市", NameEN: "Nanjing"}); err == nil {
			t.Fatal("Anhui created a unit under Jiangsu")
		}
		if _, err := s.UpdateUnit(ctx, n.anhui, n.wx.ID, org.UnitInput{Code: "JS-WX", NameZH: "x", NameEN: "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Anhui renamed Wuxi: %v", err)
		}
		if _, err := s.MoveUnit(ctx, n.anhui, n.hefei.ID, n.js.ID, ""); err == nil {
			t.Fatal("Anhui moved Hefei into Jiangsu")
		}
		// An officer cannot rename their own province, nor create a root.
		if _, err := s.UpdateUnit(ctx, n.anhui, n.ah.ID, org.UnitInput{Code: "AH", NameZH: "x", NameEN: "x"}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("Anhui renamed itself: %v", err)
		}
		if _, err := s.CreateUnit(ctx, n.anhui, org.UnitInput{Code: "CN2", Level: org.National, NameZH: "x", NameEN: "x"}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("Anhui created a root: %v", err)
		}
		// A caseworker may read but not write.
		cw := access.Actor{PublicID: "u_cw", Role: access.Caseworker, UnitID: n.ah.ID, UnitPath: n.ah.Path}
		if _, err := s.CreateUnit(ctx, cw, org.UnitInput{Code: "AH-X", Level: org.Municipal, ParentID: n.ah.ID, NameZH: "x", NameEN: "x"}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("caseworker created a unit: %v", err)
		}
		// Within its scope Anhui may add a city.
		must(s.CreateUnit(ctx, n.anhui, org.UnitInput{Code: "AH-WH", Level: org.Municipal, ParentID: n.ah.ID, NameZH: "芜湖市", NameEN: "Wuhu"}))(t)
		counts := must(s.Counts(ctx, n.anhui))(t)
		if counts[org.Municipal] != 2 || counts[org.Provincial] != 1 || counts[org.National] != 0 {
			t.Fatalf("counts %v", counts)
		}
	})
}

func TestPartners(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n := newNet(t, db)
		s := n.svc
		nnu := must(s.CreatePartner(ctx, n.jiangsu, org.PartnerInput{Code: "NNU", UnitID: n.js.ID, Type: "research", NameZH: "南京师范大学", NameEN: "Nanjing Normal University"}))(t)
		if !nnu.Active {
			t.Fatal("new partner should be active")
		}
		_, err := s.CreatePartner(ctx, n.jiangsu, org.PartnerInput{Code: "NNU", UnitID: n.wx.ID, Type: "cso", NameZH: "x", NameEN: "x"})
		wantRule(t, err, "code", "unique")
		_, err = s.CreatePartner(ctx, n.anhui, org.PartnerInput{Code: "P2", UnitID: n.wx.ID, Type: "cso", NameZH: "x", NameEN: "x"})
		wantRule(t, err, "unit_id", "not_found")
		if _, err := s.Partner(ctx, n.anhui, nnu.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Anhui reads a Jiangsu partner: %v", err)
		}
		if _, err := s.UpdatePartner(ctx, n.anhui, nnu.ID, org.PartnerInput{Code: "NNU", UnitID: n.ah.ID, Type: "research", NameZH: "x", NameEN: "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Anhui edits a Jiangsu partner: %v", err)
		}
		// Moving a partner into another province is refused even for its own officer.
		_, err = s.UpdatePartner(ctx, n.jiangsu, nnu.ID, org.PartnerInput{Code: "NNU", UnitID: n.hefei.ID, Type: "research", NameZH: "x", NameEN: "x"})
		wantRule(t, err, "unit_id", "not_found")
		off := false
		upd := must(s.UpdatePartner(ctx, n.jiangsu, nnu.ID, org.PartnerInput{Code: "NNU", UnitID: n.wx.ID, Type: "research", NameZH: "南京师范大学", NameEN: "Nanjing Normal Univ.", Active: &off}))(t)
		if upd.Active || upd.UnitID != n.wx.ID {
			t.Fatalf("update: %+v", upd)
		}
		if list, total := must2(t)(s.Partners(ctx, n.jiangsu, org.PartnerQuery{})); total != 0 || len(list) != 0 {
			t.Fatalf("inactive partner listed by default: %d", total)
		}
		if _, total := must2(t)(s.Partners(ctx, n.jiangsu, org.PartnerQuery{Inactive: true, Search: "normal"})); total != 1 {
			t.Fatalf("search by English name: %d", total)
		}
		if _, total := must2(t)(s.Partners(ctx, n.jiangsu, org.PartnerQuery{Inactive: true, Search: "师范"})); total != 1 {
			t.Fatalf("search by Chinese name: %d", total)
		}
		if _, total := must2(t)(s.Partners(ctx, access.System, org.PartnerQuery{Inactive: true, RootID: n.ah.ID})); total != 0 {
			t.Fatalf("subtree filter: %d", total)
		}
	})
}

func must2(t *testing.T) func([]org.Partner, int, error) ([]org.Partner, int) {
	return func(l []org.Partner, n int, err error) ([]org.Partner, int) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return l, n
	}
}

func TestCommitteesAndOffices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n := newNet(t, db)
		s := n.svc
		psc := must(s.CreateCommittee(ctx, n.jiangsu, org.CommitteeInput{UnitID: n.js.ID, NameZH: "江苏省领导小组", NameEN: "Jiangsu PSC", EstablishedOn: "2010-03-01"}))(t)
		chair := must(s.AddMember(ctx, n.jiangsu, psc.ID, org.MemberInput{PersonName: "张伟", Title: "副省长", Role: "chair", Since: "2010-03-01"}))(t)
		m2 := must(s.AddMember(ctx, n.jiangsu, psc.ID, org.MemberInput{PersonName: "李静", Role: "member", Since: "2010-03-01"}))(t)
		late := must(s.AddMember(ctx, n.jiangsu, psc.ID, org.MemberInput{PersonName: "王强", Role: "focal_point", Since: "2011-09-01"}))(t)
		_, err := s.AddMember(ctx, n.jiangsu, psc.ID, org.MemberInput{PersonName: "赵敏", Role: "member", Since: "2009-01-01"})
		wantRule(t, err, "since", "after_established")

		// Someone who joined later cannot be recorded present at an earlier meeting.
		_, err = s.RecordMeeting(ctx, n.jiangsu, psc.ID, org.MeetingInput{HeldOn: "2011-03-15", Present: []int64{late.ID}})
		wantRule(t, err, "present", "not_member_on_date")
		mt := must(s.RecordMeeting(ctx, n.jiangsu, psc.ID, org.MeetingInput{HeldOn: "2011-03-15", Location: "南京", Present: []int64{chair.ID},
			Decisions: []org.Decision{{Text: "Circulate the student-worker research to the Provincial People's Congress", Responsible: "PPO", DueOn: "2011-06-30"}}}))(t)
		if mt.Present != 1 || mt.Absent != 1 || len(mt.Attendance) != 2 || len(mt.Decisions) != 1 {
			t.Fatalf("meeting: %+v", mt)
		}
		// The member leaves; the committee counts current members only.
		must(s.UpdateMember(ctx, n.jiangsu, m2.ID, org.MemberInput{PersonName: "李静", Role: "member", Since: "2010-03-01", Until: "2012-01-31"}))(t)
		c := must(s.Committee(ctx, n.jiangsu, psc.ID))(t)
		if c.Members != 2 || c.Chair != "张伟" {
			t.Fatalf("committee: %+v", c)
		}
		if dm := must(s.DecisionMakers(ctx, access.System, 0))(t); dm != 2 {
			t.Fatalf("decision makers %d, want 2", dm)
		}
		if dm := must(s.DecisionMakers(ctx, n.anhui, 0))(t); dm != 0 {
			t.Fatalf("Anhui counts Jiangsu's decision makers: %d", dm)
		}
		if _, err := s.Committee(ctx, n.anhui, psc.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Anhui reads Jiangsu's committee: %v", err)
		}
		if _, err := s.Meeting(ctx, n.anhui, mt.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Anhui reads Jiangsu's meeting: %v", err)
		}
		if _, err := s.AddMember(ctx, n.anhui, psc.ID, org.MemberInput{PersonName: "x", Role: "member", Since: "2011-01-01"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Anhui adds to Jiangsu's committee: %v", err)
		}

		ppo := must(s.CreateOffice(ctx, n.jiangsu, org.OfficeInput{UnitID: n.js.ID, Kind: "provincial", NameZH: "江苏省项目办", NameEN: "Jiangsu PPO"}))(t)
		p1 := must(s.AddPosition(ctx, n.jiangsu, ppo.ID, org.PositionInput{Title: "ppc", Holder: "陈红", FundedBy: "Jiangsu WF", StartOn: "2010-01-01"}))(t)
		must(s.UpdatePosition(ctx, n.jiangsu, p1.ID, org.PositionInput{Title: "ppc", Holder: "陈红", FundedBy: "Jiangsu WF", StartOn: "2010-01-01", EndOn: "2011-04-30"}))(t)
		must(s.AddPosition(ctx, n.jiangsu, ppo.ID, org.PositionInput{Title: "ppc", Holder: "刘洋", StartOn: "2011-05-16"}))(t)
		staff := must(s.Staff(ctx, n.jiangsu, ppo.ID))(t)
		tv := org.Turnover(staff, "2010-01-01", "2012-06-30")
		if len(tv) != 1 || tv[0].Departures != 1 || tv[0].VacantDays != 15 || tv[0].CurrentName != "刘洋" {
			t.Fatalf("turnover %+v", tv)
		}
		if o := must(s.Office(ctx, n.jiangsu, ppo.ID))(t); o.Staff != 1 {
			t.Fatalf("office staff now %d", o.Staff)
		}
		if _, err := s.Staff(ctx, n.anhui, ppo.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Anhui reads Jiangsu's staff: %v", err)
		}
	})
}
