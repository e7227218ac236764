package beneficiaries

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/org"
	"ting/internal/seal"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

type world struct {
	svc                       *Service
	db                        *store.DB
	cn, ah, hf, fd, fd1, fd2  org.Unit
	js, wx, bh, bh1           org.Unit
	caseAH, caseJS, officerAH access.Actor
	officerJS                 access.Actor
	keys                      *seal.Keyring
}

func key(b byte) []byte { return bytes.Repeat([]byte{b}, seal.KeySize) }

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	o := org.New(db)
	mk := func(code string, level org.Level, parent int64) org.Unit {
		u, err := o.CreateUnit(ctx, access.System, org.UnitInput{Code: code, Level: level, ParentID: parent, NameZH: code, NameEN: code, Effective: "2009-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	w := &world{db: db}
	w.cn = mk("CN", org.National, 0)
	w.ah = mk("AH", org.Provincial, w.cn.ID)
	w.hf = mk("AH-HF", org.Municipal, w.ah.ID)
	w.fd = mk("AH-HF-FD", org.County, w.hf.ID)
	w.fd1 = mk("AH-HF-FD-01", org.Community, w.fd.ID)
	w.fd2 = mk("AH-HF-FD-02", org.Community, w.fd.ID)
	w.js = mk("JS", org.Provincial, w.cn.ID)
	w.wx = mk("JS-WX", org.Municipal, w.js.ID)
	w.bh = mk("JS-WX-BH", org.County, w.wx.ID)
	w.bh1 = mk("JS-WX-BH-01", org.Community, w.bh.ID)
	var err error
	if w.keys, err = seal.NewKeyring(map[byte][]byte{1: key(1)}); err != nil {
		t.Fatal(err)
	}
	w.svc = New(db, w.keys)
	w.svc.SetToday(func() string { return "2012-06-30" })
	w.caseAH = access.Actor{PublicID: "case-ah", Username: "case-ah", Role: access.Caseworker, UnitID: w.fd.ID, UnitPath: w.fd.Path}
	w.caseJS = access.Actor{PublicID: "case-js", Username: "case-js", Role: access.Caseworker, UnitID: w.bh1.ID, UnitPath: w.bh1.Path}
	w.officerAH = access.Actor{PublicID: "off-ah", Username: "off-ah", Role: access.ProvincialOfficer, UnitID: w.ah.ID, UnitPath: w.ah.Path}
	w.officerJS = access.Actor{PublicID: "off-js", Username: "off-js", Role: access.ProvincialOfficer, UnitID: w.js.ID, UnitPath: w.js.Path}
	return w
}

func person(site int64, name, birth string) CardInput {
	in := CardInput{SiteID: site, Sex: "F", Birth: birth, Ethnicity: "han", Groups: []string{"left_behind"}, Status: "in_school", Name: name, Phone: "13800000000"}
	if AgeOn(birth, "2012-06-30") < Adult {
		in.Guardian = "Guardian of " + name
	}
	return in
}

func ruleOf(err error) string {
	if es, ok := valid.As(err); ok && len(es) > 0 {
		return es[0].Field + ":" + es[0].Rule
	}
	return fmt.Sprint(err)
}

func TestCardsSealedScopedAndLogged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		c, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, "王小梅", "1997-03-04"), []ConsentInput{{Purpose: "services", GivenBy: "guardian", Giver: "王大山", GivenOn: "2012-01-05"}})
		if err != nil {
			t.Fatal(err)
		}
		if c.Number != "AH-HF-FD-01-000001" {
			t.Errorf("number %q", c.Number)
		}
		// Nothing readable at rest.
		var raw []byte
		if err := db.R.QueryRowContext(ctx, `SELECT name_sealed FROM cards WHERE id = $1`, c.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("王小梅")) || len(raw) < 20 {
			t.Errorf("name stored readable or empty: %q", raw)
		}
		// A minor without a guardian, a future birth, an adult's own consent for a minor.
		bad := person(w.fd1.ID, "李四", "2001-01-01")
		bad.Guardian = ""
		if _, err := w.svc.Register(ctx, w.caseAH, bad, nil); ruleOf(err) != "guardian:guardian_minor" {
			t.Errorf("minor without guardian: %v", err)
		}
		if _, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, "李四", "2013-01-01"), nil); ruleOf(err) != "birth:not_future" {
			t.Errorf("future birth: %v", err)
		}
		if _, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, "李四", "2001-01-01"), []ConsentInput{{Purpose: "referral", GivenBy: "self", GivenOn: "2012-01-01"}}); ruleOf(err) != "given_by:guardian_minor" {
			t.Errorf("minor's own consent: %v", err)
		}
		// Another province's caseworker, officer: not found, by id and by number.
		for _, a := range []access.Actor{w.caseJS, w.officerJS} {
			if _, err := w.svc.Card(ctx, a, c.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s sees an Anhui card: %v", a.Username, err)
			}
			if _, err := w.svc.CardByNumber(ctx, a, c.Number); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s finds an Anhui card by number: %v", a.Username, err)
			}
			if list, n, err := w.svc.Cards(ctx, a, CardQuery{}); err != nil || n != 0 || len(list) != 0 {
				t.Errorf("%s lists %d cards (%v)", a.Username, n, err)
			}
		}
		// The Anhui officer sees the card but not the name; the caseworker opens it with a reason.
		pc, err := w.svc.Card(ctx, w.officerAH, c.ID)
		if err != nil || pc.Identifiable {
			t.Errorf("officer: %+v %v", pc, err)
		}
		if _, err := w.svc.Identify(ctx, w.officerAH, c.ID, "service"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("officer identifies: %v", err)
		}
		if _, err := w.svc.Identify(ctx, w.caseAH, c.ID, ""); ruleOf(err) != "reason:required" {
			t.Errorf("no reason: %v", err)
		}
		id, err := w.svc.Identify(ctx, w.caseAH, c.ID, "follow_up")
		if err != nil || id.Name != "王小梅" || id.Guardian == "" || id.Birth != "1997-03-04" {
			t.Fatalf("identify: %+v %v", id, err)
		}
		log, n, err := w.svc.AccessLog(ctx, access.System, c.ID, 10, 0)
		if err != nil || n != 1 || log[0].Username != "case-ah" || log[0].Reason != "follow_up" || log[0].Number != c.Number {
			t.Errorf("access log: %+v %d %v", log, n, err)
		}
		if _, _, err := w.svc.AccessLog(ctx, w.caseAH, 0, 10, 0); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("caseworker reads the access log: %v", err)
		}
		// An administrator of a province reads the log of its own cards, not of another's.
		js, err := w.svc.Register(ctx, w.caseJS, person(w.bh1.ID, "钱七", "1991-05-05"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Identify(ctx, w.caseJS, js.ID, "service"); err != nil {
			t.Fatal(err)
		}
		ahAdmin := access.Actor{PublicID: "admin-ah", Role: access.NationalAdmin, UnitID: w.ah.ID, UnitPath: w.ah.Path}
		if log, n, err := w.svc.AccessLog(ctx, ahAdmin, 0, 10, 0); err != nil || n != 1 || log[0].CardID != c.ID {
			t.Errorf("Anhui's administrator reads the access log: %+v %d %v, want Anhui's one read", log, n, err)
		}
		if _, n, err := w.svc.AccessLog(ctx, ahAdmin, js.ID, 10, 0); err != nil || n != 0 {
			t.Errorf("Anhui's administrator reads %d reads of Jiangsu's card (%v)", n, err)
		}
		if _, n, err := w.svc.AccessLog(ctx, access.System, 0, 10, 0); err != nil || n != 2 {
			t.Errorf("the whole log holds %d reads (%v), want 2", n, err)
		}
		// A sealed value moved to another card does not open.
		c2, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, "赵六", "1990-05-05"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.ExecContext(ctx, `UPDATE cards SET name_sealed = $1 WHERE id = $2`, raw, c2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Identify(ctx, w.caseAH, c2.ID, "service"); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("a name moved between cards opened: %v", err)
		}
	})
}

func TestDuplicatesMergeAndReach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		a, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, "Li Mei", "1995-02-03"), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Same person typed differently, registered at the same site: caught.
		_, err = w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, " li  MEI ", "1995-02-03"), nil)
		var de *DuplicateError
		if !errors.As(err, &de) || len(de.Cards) != 1 || de.Cards[0].ID != a.ID {
			t.Fatalf("duplicate not found: %v", err)
		}
		in := person(w.fd1.ID, "Li Mei", "1995-02-03")
		in.NotDuplicate = true
		b, err := w.svc.Register(ctx, w.caseAH, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []ServiceInput{
			{CardID: a.ID, SiteID: w.fd1.ID, Type: "counselling", Date: "2011-03-02"},
			{CardID: b.ID, SiteID: w.fd1.ID, Type: "legal_aid", Date: "2011-03-09"},
			{CardID: b.ID, SiteID: w.fd2.ID, Type: "health", Date: "2012-01-09"},
		} {
			if _, err := w.svc.AddService(ctx, w.caseAH, s); err != nil {
				t.Fatal(err)
			}
		}
		reach := func(from, to string) int64 {
			n, err := w.svc.Reach(ctx, w.officerAH, ReachQuery{UnitID: w.ah.ID, From: from, To: to})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := reach("2011-01", "2011-12"); n != 2 {
			t.Errorf("before merge 2011 reach %d, want 2", n)
		}
		if _, err := w.svc.Merge(ctx, w.caseJS, a.ID, b.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("merge from another province: %v", err)
		}
		if _, err := w.svc.Merge(ctx, w.caseAH, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		svcs, err := w.svc.Services(ctx, w.caseAH, a.ID)
		if err != nil || len(svcs) != 3 {
			t.Errorf("merged card has %d services (%v)", len(svcs), err)
		}
		if n := reach("2011-01", "2011-12"); n != 1 {
			t.Errorf("after merge 2011 reach %d, want 1", n)
		}
		if n := reach("2010-01", "2012-06"); n != 1 {
			t.Errorf("after merge LOP reach %d, want 1", n)
		}
		// A service deleted: the person leaves the months where it was their only one.
		if err := w.svc.DeleteService(ctx, w.caseAH, svcs[0].ID); err != nil {
			t.Fatal(err)
		}
		if n := reach("2012-01", "2012-01"); n != 0 {
			t.Errorf("after delete Jan 2012 reach %d, want 0", n)
		}
		st, err := analytics.Verify(ctx, db)
		if err != nil || st.Mismatches != 0 || st.Checks == 0 {
			t.Errorf("verify: %+v %v", st, err)
		}
		// Attendance list: all or nothing, errors by row.
		_, err = w.svc.AddSession(ctx, w.caseAH, SessionInput{SiteID: w.fd1.ID, Type: "life_skills", Date: "2012-03-01", Title: "Class 1",
			Attendees: []string{a.Number, "AH-HF-FD-01-999999"}})
		if es, ok := valid.As(err); !ok || es[0].Row != 2 || es[0].Rule != "not_found" {
			t.Errorf("bad attendance list: %v", err)
		}
		if n := reach("2012-03", "2012-03"); n != 0 {
			t.Errorf("a refused list wrote services: reach %d", n)
		}
		if _, err := w.svc.AddSession(ctx, w.caseAH, SessionInput{SiteID: w.fd1.ID, Type: "life_skills", Date: "2012-03-01", Title: "Class 1",
			Attendees: []string{a.Number, a.Number}}); err != nil {
			t.Fatal(err)
		}
		if n := reach("2012-03", "2012-03"); n != 1 {
			t.Errorf("session reach %d, want 1", n)
		}
	})
}

func TestReferralsNeedConsent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		c, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, "张三", "1990-07-07"), nil)
		if err != nil {
			t.Fatal(err)
		}
		to := ReferralInput{CardID: c.ID, ToUnitID: w.bh1.ID, ServiceType: "employment", Reason: "moving to Wuxi for work"}
		if _, err := w.svc.Refer(ctx, w.caseAH, to); ruleOf(err) != "consent:referral_consent" {
			t.Errorf("no consent: %v", err)
		}
		over := to
		over.Override, over.OverrideReason = true, "imminent risk"
		if _, err := w.svc.Refer(ctx, w.caseAH, over); ruleOf(err) != "override:override_permission" {
			t.Errorf("caseworker override: %v", err)
		}
		r, err := w.svc.Refer(ctx, w.officerAH, over)
		if err != nil || !r.Override {
			t.Fatalf("officer override: %+v %v", r, err)
		}
		var audited int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'refer_override_consent' AND entity_id = $1`, r.ID).Scan(&audited); err != nil || audited != 1 {
			t.Errorf("override audited %d times (%v)", audited, err)
		}
		if _, err := w.svc.AddConsent(ctx, w.caseAH, c.ID, ConsentInput{Purpose: "referral", GivenBy: "self", GivenOn: "2012-06-01"}); err != nil {
			t.Fatal(err)
		}
		r2, err := w.svc.Refer(ctx, w.caseAH, to)
		if err != nil || r2.Override {
			t.Fatalf("with consent: %+v %v", r2, err)
		}
		// The receiving side sees the card and the referral, and answers it; the sender cannot.
		if _, err := w.svc.Card(ctx, w.caseJS, c.ID); err != nil {
			t.Errorf("receiving caseworker cannot see the referred card: %v", err)
		}
		in, err := w.svc.Referrals(ctx, w.caseJS, 0)
		if err != nil || len(in) != 2 || !in[0].Incoming {
			t.Errorf("receiving side's referrals: %+v %v", in, err)
		}
		if _, err := w.svc.Respond(ctx, w.caseAH, r2.ID, "accepted", ""); ruleOf(err) != "status:receiving_side" {
			t.Errorf("sender accepts: %v", err)
		}
		// Before accepting, the receiving side sees the card pseudonymous only, and never edits it.
		if _, err := w.svc.Identify(ctx, w.caseJS, c.ID, "referral"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("receiving side identifies before accepting: %v", err)
		}
		if _, err := w.svc.Update(ctx, w.caseJS, c.ID, person(w.fd1.ID, "张三", "1990-07-07")); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("receiving side edits the card: %v", err)
		}
		if _, err := w.svc.Respond(ctx, w.caseJS, r2.ID, "completed", ""); ruleOf(err) != "status:transition" {
			t.Errorf("sent → completed: %v", err)
		}
		if got, err := w.svc.Respond(ctx, w.caseJS, r2.ID, "accepted", "see you Monday"); err != nil || got.Status != "accepted" {
			t.Errorf("accept: %+v %v", got, err)
		}
		// Accepted: the referral consent lets the receiving caseworker open the details, logged.
		if id, err := w.svc.Identify(ctx, w.caseJS, c.ID, "referral"); err != nil || id.Name != "张三" {
			t.Errorf("receiving side after accepting: %+v %v", id, err)
		}
		// Withdrawn consent stops the next referral.
		cs, _ := w.svc.Consents(ctx, w.caseAH, c.ID)
		if err := w.svc.WithdrawConsent(ctx, w.caseAH, c.ID, cs[0].ID, "2012-06-20"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Refer(ctx, w.caseAH, to); ruleOf(err) != "consent:referral_consent" {
			t.Errorf("after withdrawal: %v", err)
		}
		// ... and takes the details away from the receiving side, which keeps the card
		// pseudonymous while its accepted referral runs.
		if _, err := w.svc.Identify(ctx, w.caseJS, c.ID, "referral"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("receiving side identifies after the referral consent was withdrawn: %v", err)
		}
		if got, err := w.svc.Card(ctx, w.caseJS, c.ID); err != nil || got.Identifiable {
			t.Errorf("receiving side's card after withdrawal: identifiable %v (%v)", got.Identifiable, err)
		}
		// The overridden referral, rejected: the receiving side keeps its own answer, but no
		// longer the card's number or the sender's reason.
		if _, err := w.svc.Respond(ctx, w.caseJS, r.ID, "rejected", "no place"); err != nil {
			t.Fatal(err)
		}
		in, err = w.svc.Referrals(ctx, w.caseJS, 0)
		if err != nil || len(in) != 2 {
			t.Fatalf("receiving side's referrals after rejecting one: %+v %v", in, err)
		}
		for _, x := range in {
			switch {
			case x.ID == r.ID && (!x.Closed || x.Card != "" || x.CardID != 0 || x.Reason != "" || x.OverrideReason != "" || x.Response != "no place"):
				t.Errorf("rejected referral as the receiving side lists it: %+v", x)
			case x.ID == r2.ID && (x.Closed || x.Card != c.Number || x.Reason == ""):
				t.Errorf("accepted referral as the receiving side lists it: %+v", x)
			}
		}
		if out, err := w.svc.Referrals(ctx, w.officerAH, 0); err != nil || len(out) != 2 || out[1].ID != r.ID || out[1].Closed || out[1].Card != c.Number || out[1].Reason == "" {
			t.Errorf("sending side's referrals after the rejection: %+v %v", out, err)
		}
		// Each side's list, a page at a time: Jiangsu received both, sent none; Anhui sent both.
		for _, tc := range []struct {
			what  string
			a     access.Actor
			q     ReferralQuery
			total int
			ids   []int64
		}{
			{"Jiangsu received, first page of one", w.caseJS, ReferralQuery{Side: "received", Limit: 1}, 2, []int64{r2.ID}},
			{"Jiangsu received, second page", w.caseJS, ReferralQuery{Side: "received", Limit: 1, Offset: 1}, 2, []int64{r.ID}},
			{"Jiangsu sent", w.caseJS, ReferralQuery{Side: "sent"}, 0, nil},
			{"Anhui sent", w.officerAH, ReferralQuery{Side: "sent"}, 2, []int64{r2.ID, r.ID}},
			{"Anhui received", w.officerAH, ReferralQuery{Side: "received"}, 0, nil},
		} {
			list, total, err := w.svc.FindReferrals(ctx, tc.a, tc.q)
			var ids []int64
			for _, x := range list {
				ids = append(ids, x.ID)
				if x.Incoming != (tc.q.Side == "received") {
					t.Errorf("%s: referral %d listed with incoming %v", tc.what, x.ID, x.Incoming)
				}
			}
			if err != nil || total != tc.total || fmt.Sprint(ids) != fmt.Sprint(tc.ids) {
				t.Errorf("%s: %v of %d (%v), want %v of %d", tc.what, ids, total, err, tc.ids, tc.total)
			}
		}
		if _, _, err := w.svc.FindReferrals(ctx, w.caseJS, ReferralQuery{Side: "both"}); err == nil {
			t.Error("an unknown side was taken")
		}
		// A third province sees neither the card nor the referrals.
		if list, err := w.svc.Referrals(ctx, access.Actor{Role: access.ProvincialOfficer, UnitPath: "/999/"}, 0); err != nil || len(list) != 0 {
			t.Errorf("outsider sees %d referrals (%v)", len(list), err)
		}
	})
}

// Retention walks every batch of stale cards, and leaves alone a card served after the walk
// found it, before its batch was written.
func TestRetentionWalksBatchesAndChecksAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		defer func(n int) { retentionBatch, beforeRetentionBatch = n, nil }(retentionBatch)
		retentionBatch = 2
		var ids []int64
		for i, name := range []string{"甲", "乙", "丙", "丁", "戊"} {
			c, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, name, fmt.Sprintf("199%d-01-01", i)), nil)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		// Registered on 2012-06-30 (the world's today); the fifth stays active, served after
		// the cut-off.
		w.svc.SetToday(func() string { return "2012-12-31" })
		if _, err := w.svc.AddService(ctx, w.caseAH, ServiceInput{CardID: ids[4], SiteID: w.fd1.ID, Type: "health", Date: "2012-09-09"}); err != nil {
			t.Fatal(err)
		}
		// The third is served once the walk has found it.
		batches := 0
		beforeRetentionBatch = func(found []int64) {
			batches++
			if slices.Contains(found, ids[2]) {
				if _, err := w.svc.AddService(ctx, w.caseAH, ServiceInput{CardID: ids[2], SiteID: w.fd1.ID, Type: "health", Date: "2012-08-08"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		n, err := w.svc.ApplyRetention(ctx, "2012-07-01")
		if err != nil || n != 3 || batches != 2 {
			t.Fatalf("retention: %d cards in %d batches (%v); want 3 in 2", n, batches, err)
		}
		for i, id := range ids {
			var on string
			if err := db.R.QueryRowContext(ctx, `SELECT anonymised_on FROM cards WHERE id = $1`, id).Scan(&on); err != nil {
				t.Fatal(err)
			}
			if want := i != 2 && i != 4; (on != "") != want {
				t.Errorf("card %d: anonymised %q, want anonymised %v", i+1, on, want)
			}
		}
	})
}

func TestKeyRotationAndRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		c, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, "陈红", "1998-09-09"), []ConsentInput{{Purpose: "referral", GivenBy: "guardian", Giver: "陈父", GivenOn: "2012-02-02"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddService(ctx, w.caseAH, ServiceInput{CardID: c.ID, SiteID: w.fd1.ID, Type: "recreation", Date: "2011-05-05"}); err != nil {
			t.Fatal(err)
		}
		// Key 2 added: rotate re-seals under it; then key 1 can go.
		both, _ := seal.NewKeyring(map[byte][]byte{1: key(1), 2: key(2)})
		rot := New(db, both)
		rot.SetToday(w.svc.today)
		if n, err := rot.RotateKeys(ctx); err != nil || n != 1 {
			t.Fatalf("rotate: %d %v", n, err)
		}
		if n, err := rot.RotateKeys(ctx); err != nil || n != 0 {
			t.Errorf("second rotate re-sealed %d (%v)", n, err)
		}
		only2, _ := seal.NewKeyring(map[byte][]byte{2: key(2)})
		after := New(db, only2)
		after.SetToday(w.svc.today)
		if id, err := after.Identify(ctx, w.caseAH, c.ID, "service"); err != nil || id.Name != "陈红" {
			t.Errorf("after rotation: %+v %v", id, err)
		}
		var giver []byte
		if err := db.R.QueryRowContext(ctx, `SELECT giver_sealed FROM card_consents WHERE card_id = $1`, c.ID).Scan(&giver); err != nil || only2.Stale(giver) {
			t.Errorf("guardian's name not re-sealed (%v)", err)
		}
		// The duplicate index follows the new key.
		if _, err := after.Register(ctx, w.caseAH, person(w.fd1.ID, "陈红", "1998-09-09"), nil); !errors.As(err, new(*DuplicateError)) {
			t.Errorf("duplicate after rotation: %v", err)
		}
		// Retention: no activity since before July 2012 → anonymised; reach unchanged.
		before, _ := after.Reach(ctx, access.System, ReachQuery{UnitID: w.cn.ID, From: "2010-01", To: "2012-12"})
		if n, err := after.ApplyRetention(ctx, "2012-07-01"); err != nil || n != 1 {
			t.Fatalf("retention: %d %v", n, err)
		}
		if _, err := after.Identify(ctx, w.caseAH, c.ID, "service"); ruleOf(err) != "card:anonymised" {
			t.Errorf("identify anonymised: %v", err)
		}
		var sealed []byte
		var birth string
		if err := db.R.QueryRowContext(ctx, `SELECT name_sealed, birth_date FROM cards WHERE id = $1`, c.ID).Scan(&sealed, &birth); err != nil || sealed != nil || birth != "1998" {
			t.Errorf("anonymised card keeps %q, birth %q (%v)", sealed, birth, err)
		}
		if now, _ := after.Reach(ctx, access.System, ReachQuery{UnitID: w.cn.ID, From: "2010-01", To: "2012-12"}); now != before || now != 1 {
			t.Errorf("reach %d → %d", before, now)
		}
		// Erasure on request is for administrators.
		// It also clears what was written about the person in free text, and keeps every
		// record that counts.
		c2, err := after.Register(ctx, w.caseAH, person(w.fd1.ID, "周七", "1990-01-01"), []ConsentInput{{Purpose: "referral", GivenBy: "self", GivenOn: "2012-02-02"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := after.AddService(ctx, w.caseAH, ServiceInput{CardID: c2.ID, SiteID: w.fd1.ID, Type: "counselling", Date: "2012-03-03", Note: "周七 came with her cousin"}); err != nil {
			t.Fatal(err)
		}
		if _, err := after.Refer(ctx, w.caseAH, ReferralInput{CardID: c2.ID, ToUnitID: w.bh1.ID, ServiceType: "employment", Reason: "周七 is moving to Wuxi"}); err != nil {
			t.Fatal(err)
		}
		if _, err := after.AddFeedback(ctx, w.caseAH, FeedbackInput{SiteID: w.fd1.ID, ServiceType: "counselling", CardID: c2.ID, Date: "2012-03-03", Rating: 4, Comment: "I am 周七, thank you"}); err != nil {
			t.Fatal(err)
		}
		if err := after.Erase(ctx, w.caseAH, c2.ID, "asked"); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("caseworker erases: %v", err)
		}
		if err := after.Erase(ctx, access.System, c2.ID, "asked in writing"); err != nil {
			t.Errorf("erase: %v", err)
		}
		var texts string
		var records int
		if err := db.R.QueryRowContext(ctx, `SELECT
				(SELECT COALESCE(MAX(note), '') FROM services WHERE card_id = $1) || (SELECT COALESCE(MAX(reason), '') FROM referrals WHERE card_id = $1) ||
				(SELECT COALESCE(MAX(comment), '') FROM feedback WHERE card_id = $1),
				(SELECT COUNT(*) FROM services WHERE card_id = $1) + (SELECT COUNT(*) FROM referrals WHERE card_id = $1) + (SELECT COUNT(*) FROM feedback WHERE card_id = $1)`,
			c2.ID).Scan(&texts, &records); err != nil || texts != "" || records != 3 {
			t.Errorf("erased card keeps free text %q, %d records (%v)", texts, records, err)
		}
	})
}

// TestReachEqualsSQL is the property: on random cards, services, deletions, merges and unit
// moves, the bitmaps' count of distinct people equals SQL COUNT(DISTINCT) for every unit, span
// and filter tried.
func TestReachEqualsSQL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		w.svc.SetToday(func() string { return "2012-12-31" })
		rng := rand.New(rand.NewPCG(5, 2012))
		sites := []org.Unit{w.fd1, w.fd2, w.fd, w.bh1, w.bh}
		sys := access.System
		w.svc.SetDeferAt(100) // the batch of 250 below goes through the change sequence
		var cards []Card
		for i := range 60 {
			if i == 30 {
				// The other half of the people in the third shard (the second stays empty), so
				// that rebuilds and verifications go shard by shard.
				highCards(t, db, cards[29].ID)
				cards[29].ID = 2<<analytics.ShardBits + 7
			}
			site := sites[rng.IntN(len(sites))]
			in := CardInput{SiteID: site.ID, Sex: Sexes[rng.IntN(2)], Birth: fmt.Sprint(1986 + rng.IntN(20)), Status: "other", Name: fmt.Sprintf("P%d", i), Guardian: "G",
				Ethnicity: []string{"", "han", "Yi", "彝族"}[rng.IntN(4)],
				Groups:    []string{Groups[rng.IntN(len(Groups))], Groups[rng.IntN(len(Groups))]}, NotDuplicate: true}
			c, err := w.svc.Register(ctx, sys, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			cards = append(cards, c)
		}
		var batch []ServiceInput
		for range 400 {
			c := cards[rng.IntN(len(cards))]
			site := sites[rng.IntN(len(sites))]
			batch = append(batch, ServiceInput{CardID: c.ID, SiteID: site.ID, Type: ServiceTypes[rng.IntN(len(ServiceTypes))],
				Date: fmt.Sprintf("%d-%02d-%02d", 2010+rng.IntN(3), 1+rng.IntN(12), 1+rng.IntN(28))})
		}
		if _, err := w.svc.AddServices(ctx, sys, batch[:250], 0); err != nil {
			t.Fatal(err)
		}
		for _, s := range batch[250:] {
			if _, err := w.svc.AddService(ctx, sys, s); err != nil {
				t.Fatal(err)
			}
		}
		check := func(phase string) {
			t.Helper()
			var seen int64
			// The counts go through the cache of decoded bitmaps as in use: warm from the
			// phases before for the rows no write has changed since, so a stale bitmap served
			// after a write would show here as a difference from SQL.
			before := analytics.ReadCacheStats()
			defer func() {
				after := analytics.ReadCacheStats()
				if after.Hits == before.Hits {
					t.Errorf("%s: no count was served from the cache of decoded bitmaps: %+v then %+v", phase, before, after)
				}
				// Services still pending change no stored bitmap.
				unchanged := phase == "again, nothing written" || phase == "after another batch, pending"
				if unchanged != (after.Misses == before.Misses) {
					t.Errorf("%s: %d bitmaps read from the database; want none only when no stored bitmap was written", phase, after.Misses-before.Misses)
				}
			}()
			units := []org.Unit{w.cn, w.ah, w.hf, w.fd, w.fd1, w.js, w.bh, w.bh1}
			spans := []analytics.Span{{From: "2010-01", To: "2012-12"}, {From: "2011-01", To: "2011-12"}, {From: "2010-07", To: "2011-06"},
				{From: "2012-03", To: "2012-03"}, {From: "2010-11", To: "2012-02"}, {From: "0001-01", To: "9999-12"}}
			filters := []analytics.Filter{{}, {Types: []string{"health"}}, {Types: []string{"legal_aid", "recreation"}}, {Sex: "F"},
				{Aged: true, AgeMin: 12, AgeMax: 18}, {Groups: []string{"parent"}}, {Groups: []string{"dropout", "left_behind"}, Sex: "M", Aged: true, AgeMin: 19, AgeMax: 24},
				// Wide bands, read from blocks of 4 and 16 birth years as well as single years.
				{Aged: true, AgeMin: 0, AgeMax: 200}, {Sex: "F", Aged: true, AgeMin: 9, AgeMax: 22},
				{Ethnicities: []string{"Yi", "彝族"}}, {Ethnicities: []string{"han"}, Types: []string{"health"}}}
			for _, u := range units {
				var path string
				if err := db.R.QueryRowContext(ctx, `SELECT path FROM org_units WHERE id = $1`, u.ID).Scan(&path); err != nil {
					t.Fatal(err)
				}
				for _, s := range spans {
					for _, f := range filters {
						got, err := analytics.Count(ctx, db.R, analytics.Unit{ID: u.ID, Path: path}, s, f)
						if err != nil {
							t.Fatal(err)
						}
						want, err := analytics.SQLCount(ctx, db.R, path, s, f)
						if err != nil {
							t.Fatal(err)
						}
						if got != want {
							t.Errorf("%s: %s %v %+v: bitmaps %d, SQL %d", phase, u.Code, s, f, got, want)
						}
						seen += got
					}
				}
			}
			if seen < 1000 {
				t.Errorf("%s: only %d people counted in all: the data does not exercise the bitmaps", phase, seen)
			}
			st, err := analytics.Verify(ctx, db)
			if err != nil || st.Mismatches != 0 {
				t.Errorf("%s: verify %+v %v", phase, st, err)
			}
		}
		pending := func(want int64) {
			t.Helper()
			n, err := analytics.Pending(ctx, db.R)
			if err != nil || n != want {
				t.Fatalf("%d services pending, want %d (%v)", n, want, err)
			}
		}
		// Folds since the last compaction, and the delta rows they left (delta.go).
		outstanding := func() (gens, deltas int) {
			t.Helper()
			if err := db.R.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM reach_generations), (SELECT COUNT(*) FROM reach_bitmaps WHERE part > 0)`).Scan(&gens, &deltas); err != nil {
				t.Fatal(err)
			}
			return gens, deltas
		}
		pending(250)
		check("after adding, the batch pending")
		check("again, nothing written")
		if n, err := analytics.Fold(ctx, db, 100); err != nil || n != 100 {
			t.Fatalf("fold: %d %v", n, err)
		}
		pending(150)
		check("after folding part of it")
		// Deletions, merges, edits of attributes, and a unit moved to the other province. The
		// deletions and merges take the deltas of the rows they remove people from.
		_, deltas0 := outstanding()
		for range 30 {
			c := cards[rng.IntN(len(cards))]
			svcs, _ := w.svc.Services(ctx, sys, c.ID)
			if len(svcs) > 0 {
				if err := w.svc.DeleteService(ctx, sys, svcs[rng.IntN(len(svcs))].ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i := 0; i < 10; i += 2 {
			if _, err := w.svc.Merge(ctx, sys, cards[i].ID, cards[i+1].ID); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range cards[20:30] {
			in := CardInput{Sex: "M", Birth: "1999", Status: "other", Groups: []string{"dropout"}, Guardian: "G", Name: "X", Ethnicity: "Yi"}
			if _, err := w.svc.Update(ctx, sys, c.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		check("after deleting, merging, editing")
		if _, deltas := outstanding(); deltas0 == 0 || deltas >= deltas0 {
			t.Errorf("%d delta rows after the fold and %d after the deletions: the deletions met no deltas", deltas0, deltas)
		}
		if n, _ := analytics.Pending(ctx, db.R); n == 0 || n == 150 {
			t.Errorf("%d services pending: the deletions and merges did not meet pending services", n)
		}
		if _, err := org.New(db).MoveUnit(ctx, sys, w.fd.ID, w.wx.ID, "2012-06-01"); err != nil {
			t.Fatal(err)
		}
		pending(0) // a move folds first
		check("after moving a county to Jiangsu")
		var more []ServiceInput
		for range 120 {
			c := cards[10+rng.IntN(len(cards)-10)]
			more = append(more, ServiceInput{CardID: c.ID, SiteID: sites[rng.IntN(len(sites))].ID, Type: ServiceTypes[rng.IntN(len(ServiceTypes))],
				Date: fmt.Sprintf("%d-%02d-%02d", 2010+rng.IntN(3), 1+rng.IntN(12), 1+rng.IntN(28))})
		}
		if _, err := w.svc.AddServices(ctx, sys, more, 0); err != nil {
			t.Fatal(err)
		}
		pending(120)
		check("after another batch, pending")
		// Folded in small steps: each fold leaves delta rows for the units above the counties,
		// until the one that makes CompactAt generations merges them all into their base rows.
		compacted := false
		for range 10 {
			g0, _ := outstanding()
			if n, err := analytics.Fold(ctx, db, 12); err != nil || n != 12 {
				t.Fatalf("fold: %d %v", n, err)
			}
			g, deltas := outstanding()
			if g0+1 < analytics.CompactAt && (g != g0+1 || deltas == 0) || g0+1 >= analytics.CompactAt && (g != 0 || deltas != 0) {
				t.Errorf("after a fold with %d generations outstanding: %d generations, %d delta rows", g0, g, deltas)
			}
			compacted = compacted || g == 0
		}
		if !compacted {
			t.Error("ten folds and the deltas were never compacted")
		}
		pending(0)
		check("after folding in steps, compacted once")
		// And a rebuild from nothing gives the same.
		if _, err := db.W.ExecContext(ctx, `DELETE FROM reach_bitmaps WHERE unit_id = $1`, w.cn.ID); err != nil {
			t.Fatal(err)
		}
		if st, err := analytics.Verify(ctx, db); err != nil || st.Mismatches == 0 {
			t.Errorf("tampering not caught: %+v %v", st, err)
		}
		st, err := analytics.Rebuild(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		pending(0)
		shards := map[int64]bool{}
		rows, err := db.R.QueryContext(ctx, `SELECT DISTINCT shard FROM reach_bitmaps`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var sh int64
			rows.Scan(&sh)
			shards[sh] = true
		}
		rows.Close()
		if len(shards) != 2 || !shards[0] || !shards[2] || st.Bitmaps == 0 {
			t.Errorf("rebuild: %+v, shards %v; want bitmaps in shards 0 and 2", st, shards)
		}
		check("after rebuild")
	})
}

// highCards makes the next cards registered take ids from the third shard on: card last (the
// latest registered, with nothing recorded for it yet) moves there on SQLite, whose next id
// follows the highest; PostgreSQL's identity restarts there.
func highCards(t *testing.T, db *store.DB, last int64) {
	t.Helper()
	ctx := context.Background()
	high := int64(2<<analytics.ShardBits + 7)
	if _, err := db.W.ExecContext(ctx, `UPDATE cards SET id = $1 WHERE id = $2`, high, last); err != nil {
		t.Fatal(err)
	}
	if db.Dialect == store.Postgres {
		if _, err := db.W.ExecContext(ctx, `ALTER TABLE cards ALTER COLUMN id RESTART WITH `+fmt.Sprint(high+1)); err != nil {
			t.Fatal(err)
		}
	}
	// The moved card's attributes follow it.
	if _, err := analytics.Rebuild(ctx, db); err != nil {
		t.Fatal(err)
	}
}

// TestFolderFoldsImports: a batch from the deferral size waits in the change sequence, counted
// all the while; the background folder takes it into the bitmaps, which then verify.
func TestFolderFoldsImports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		w.svc.SetToday(func() string { return "2012-12-31" })
		w.svc.SetDeferAt(5)
		sys := access.System
		var batch []ServiceInput
		for i := range 6 {
			c, err := w.svc.Register(ctx, sys, CardInput{SiteID: w.bh1.ID, Sex: "F", Birth: "1998", Status: "other", Name: fmt.Sprintf("F%d", i), Guardian: "G", NotDuplicate: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, ServiceInput{CardID: c.ID, SiteID: w.bh1.ID, Type: "health", Date: "2012-05-0" + fmt.Sprint(i+1)})
		}
		if _, err := w.svc.AddServices(ctx, sys, batch, 0); err != nil {
			t.Fatal(err)
		}
		count := func() int64 {
			n, err := w.svc.Reach(ctx, sys, ReachQuery{UnitID: w.js.ID, From: "2012-01", To: "2012-12"})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n, _ := analytics.Pending(ctx, db.R); n != 6 || count() != 6 {
			t.Fatalf("%d pending, reach %d; want 6 and 6", n, count())
		}
		var reported []error
		folding, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			analytics.RunFolder(folding, db, 20*time.Millisecond, 4, func(err error) { reported = append(reported, err) })
			close(done)
		}()
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, err := analytics.Pending(ctx, db.R)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d services still pending after 10 s", n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		<-done
		if count() != 6 || len(reported) > 0 {
			t.Errorf("reach %d after folding, errors %v", count(), reported)
		}
		if st, err := analytics.Verify(ctx, db); err != nil || st.Mismatches != 0 || st.Bitmaps == 0 {
			t.Errorf("verify after folding: %+v %v", st, err)
		}
	})
}

// TestServicesStoredAsGiven reads back what a batch wrote, column by column: PostgreSQL writes
// a batch as arrays, SQLite as rows of values, and both must store the same thing, including
// the optional partner and session and each card's last activity.
func TestServicesStoredAsGiven(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		sys := access.System
		p, err := org.New(db).CreatePartner(ctx, sys, org.PartnerInput{Code: "LAC", UnitID: w.ah.ID, Type: "cso", NameZH: "法律援助中心", NameEN: "Legal Aid Centre"})
		if err != nil {
			t.Fatal(err)
		}
		w.svc.SetToday(func() string { return "2011-01-10" }) // registered then, so the services move the last activity
		a, err := w.svc.Register(ctx, sys, person(w.fd1.ID, "甲", "1996-03-01"), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.svc.Register(ctx, sys, person(w.fd2.ID, "乙", "1997-04-02"), nil)
		if err != nil {
			t.Fatal(err)
		}
		w.svc.SetToday(func() string { return "2012-06-30" })
		for _, deferAt := range []int{1000, 2} { // in the bitmaps at once, then through the change sequence
			w.svc.SetDeferAt(deferAt)
			ins := []ServiceInput{
				{CardID: a.ID, SiteID: w.fd1.ID, Type: "legal_aid", Date: "2011-03-04", Provider: "  Lawyer Wang ", PartnerID: p.ID, Note: " first "},
				{Card: b.Number, SiteID: w.fd2.ID, Type: "health", Date: "2011-05-06"},
				{CardID: a.ID, SiteID: w.fd1.ID, Type: "counselling", Date: "2011-02-01"},
			}
			ids, err := w.svc.AddServices(ctx, sys, ins, 0)
			if err != nil || len(ids) != 3 {
				t.Fatalf("deferAt %d: %v %v", deferAt, ids, err)
			}
			var got []string
			for _, id := range ids {
				var card, site, partner, session int64
				var typ, day, provider, note, by string
				if err := db.R.QueryRowContext(ctx, `SELECT card_id, site_id, type, served_on, provider, COALESCE(partner_id, 0), COALESCE(session_id, 0), note, created_by
					FROM services WHERE id = $1`, id).Scan(&card, &site, &typ, &day, &provider, &partner, &session, &note, &by); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%d %d %s %s %q %d %d %q %s", card, site, typ, day, provider, partner, session, note, by))
			}
			want := []string{
				fmt.Sprintf("%d %d legal_aid 2011-03-04 %q %d 0 %q %s", a.ID, w.fd1.ID, "Lawyer Wang", p.ID, "first", sys.PublicID),
				fmt.Sprintf("%d %d health 2011-05-06 %q 0 0 %q %s", b.ID, w.fd2.ID, "", "", sys.PublicID),
				fmt.Sprintf("%d %d counselling 2011-02-01 %q 0 0 %q %s", a.ID, w.fd1.ID, "", "", sys.PublicID),
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("deferAt %d: stored\n%s\nwant\n%s", deferAt, got, want)
			}
		}
		// The card's list names the agency in the reader's language, then the provider as written.
		list, err := w.svc.Services(ctx, sys, a.ID)
		if err != nil || len(list) != 4 || list[1].PartnerID != p.ID {
			t.Fatalf("card's services: %+v %v", list, err)
		}
		for lang, want := range map[string]string{"zh": "法律援助中心 · Lawyer Wang", "en": "Legal Aid Centre · Lawyer Wang"} {
			if got := list[1].GivenBy(lang); got != want {
				t.Errorf("given by, in %s: %q, want %q", lang, got, want)
			}
		}
		for _, tc := range []struct{ provider, lang, want string }{{"法律援助中心", "en", "Legal Aid Centre"}, {"", "zh", "法律援助中心"}, {"Lawyer Li", "en", "Legal Aid Centre · Lawyer Li"}} {
			r := list[1]
			r.Provider = tc.provider
			if got := r.GivenBy(tc.lang); got != tc.want {
				t.Errorf("provider %q in %s: %q, want %q", tc.provider, tc.lang, got, tc.want)
			}
		}
		if got := list[3].GivenBy("en"); got != "" || list[3].Type != "counselling" {
			t.Errorf("a service with neither agency nor provider: %q", got)
		}
		for card, want := range map[int64]string{a.ID: "2011-03-04", b.ID: "2011-05-06"} {
			c, err := w.svc.Card(ctx, sys, card)
			if err != nil || c.LastActive != want {
				t.Errorf("card %d last active %q (%v), want %q", card, c.LastActive, err, want)
			}
		}
		if n, err := w.svc.Reach(ctx, sys, ReachQuery{UnitID: w.ah.ID, From: "2011-01", To: "2011-12"}); err != nil || n != 2 {
			t.Errorf("reach %d %v, want 2", n, err)
		}
	})
}
