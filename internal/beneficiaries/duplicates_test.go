package beneficiaries

import (
	"context"
	"errors"
	"testing"

	"ting/internal/access"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// A likely duplicate in another province is never told to the registrant (it would tell them
// a named person holds a card there); it waits for an office over both cards, which merges the
// pair or marks it as two people. Pairs within the registrant's area stop the registration as
// before, and a confirmation that they are two people closes them.
func TestDuplicatesAcrossAreas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		national := access.Actor{PublicID: "off-cn", Username: "off-cn", Role: access.NationalOfficer, UnitID: w.cn.ID, UnitPath: w.cn.Path}
		pairs := func(a access.Actor) []DuplicatePair {
			t.Helper()
			p, total, err := w.svc.LikelyDuplicates(ctx, a, 0, 0)
			if err != nil || total != len(p) {
				t.Fatalf("%d pairs of %d (%v)", len(p), total, err)
			}
			if len(p) > 1 {
				// A page of one is the first pair, and the total counts them all.
				page, all, err := w.svc.LikelyDuplicates(ctx, a, 1, 1)
				if err != nil || all != len(p) || len(page) != 1 || page[0].Card.ID != p[1].Card.ID || page[0].Other.ID != p[1].Other.ID {
					t.Errorf("second page of one: %+v of %d (%v), want the second of %d", page, all, err, len(p))
				}
			}
			return p
		}
		// A migrant girl from Feidong registered in Wuxi, then again at home.
		in := person(w.bh1.ID, "Wang Fang", "2001-04-05")
		in.HomeUnitID = w.fd.ID
		js, err := w.svc.Register(ctx, w.caseJS, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		in.SiteID = w.fd1.ID
		ah, err := w.svc.Register(ctx, w.caseAH, in, nil)
		if err != nil {
			t.Fatalf("registration with a match only in another province: %v", err)
		}
		for _, a := range []access.Actor{w.caseAH, w.caseJS, w.officerAH, w.officerJS} {
			if p := pairs(a); len(p) != 0 {
				t.Errorf("%s sees the cross-province pair: %+v", a.Username, p)
			}
		}
		p := pairs(national)
		if len(p) != 1 || p[0].Card.ID != js.ID || p[0].Other.ID != ah.ID || p[0].FoundOn != "2012-06-30" {
			t.Fatalf("national office's pairs: %+v", p)
		}
		if err := w.svc.MarkDistinct(ctx, w.officerAH, js.ID, ah.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Anhui decides a pair with a Jiangsu card: %v", err)
		}
		if err := w.svc.MarkDistinct(ctx, w.caseAH, ah.ID, ah.ID); ruleOf(err) != "duplicate:no_pair" {
			t.Errorf("a card paired with itself: %v", err)
		}
		if err := w.svc.MarkDistinct(ctx, national, ah.ID, js.ID); err != nil {
			t.Fatal(err)
		}
		if p := pairs(national); len(p) != 0 {
			t.Errorf("pair marked distinct still listed: %+v", p)
		}
		if err := w.svc.MarkDistinct(ctx, national, ah.ID, js.ID); ruleOf(err) != "duplicate:no_pair" {
			t.Errorf("pair decided twice: %v", err)
		}
		var audited int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'distinct' AND entity = 'card' AND actor = 'off-cn'`).Scan(&audited); err != nil || audited != 1 {
			t.Errorf("distinct audited %d times (%v)", audited, err)
		}

		// A card referred to a site is not named to it as the match of a name and birth typed in:
		// before it accepts, the site has not been told who the person is.
		sent := person(w.bh1.ID, "Zhou Min", "1990-01-01")
		sent.HomeUnitID = w.fd.ID
		z, err := w.svc.Register(ctx, w.caseJS, sent, []ConsentInput{{Purpose: "referral", GivenBy: "self", GivenOn: "2012-06-01"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Refer(ctx, w.caseJS, ReferralInput{CardID: z.ID, ToUnitID: w.fd1.ID, ServiceType: "counselling", Reason: "going home"}); err != nil {
			t.Fatal(err)
		}
		sent.SiteID = w.fd1.ID
		if _, err := w.svc.Register(ctx, w.caseAH, sent, nil); err != nil {
			t.Errorf("the receiving site's registration of the referred person's name and birth: %v, want registered (the pair waits)", err)
		}

		// Within one area: the match stops the registration and is shown; confirmed as two
		// people, the pair is closed.
		a, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, "Li Mei", "1995-02-03"), nil)
		if err != nil {
			t.Fatal(err)
		}
		second := person(w.fd2.ID, "Li Mei", "1995-02-03")
		second.HomeUnitID = w.fd1.ID
		var de *DuplicateError
		if _, err := w.svc.Register(ctx, w.caseAH, second, nil); !errors.As(err, &de) || len(de.Cards) != 1 || de.Cards[0].ID != a.ID {
			t.Fatalf("in-area duplicate: %v", err)
		}
		second.NotDuplicate = true
		b, err := w.svc.Register(ctx, w.caseAH, second, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p := pairs(w.caseAH); len(p) != 0 {
			t.Errorf("pair confirmed as two people listed: %+v", p)
		}
		// A card changed into a likely duplicate is not stopped, but its pairs wait.
		c, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, "Li Na", "1995-02-03"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Update(ctx, w.caseAH, c.ID, person(w.fd1.ID, "Li Mei", "1995-02-03")); err != nil {
			t.Fatal(err)
		}
		p = pairs(w.caseAH)
		if len(p) != 2 || p[0].Card.ID != a.ID || p[0].Other.ID != c.ID || p[1].Card.ID != b.ID || p[1].Other.ID != c.ID {
			t.Fatalf("pairs after the change: %+v", p)
		}
		// Corrected back, the card is no longer a likely duplicate; changed again, it is.
		if _, err := w.svc.Update(ctx, w.caseAH, c.ID, person(w.fd1.ID, "Li Na", "1995-02-03")); err != nil {
			t.Fatal(err)
		}
		if p := pairs(w.caseAH); len(p) != 0 {
			t.Errorf("pairs after the name was corrected: %+v", p)
		}
		if _, err := w.svc.Update(ctx, w.caseAH, c.ID, person(w.fd1.ID, "Li Mei", "1995-02-03")); err != nil {
			t.Fatal(err)
		}
		if p := pairs(w.caseAH); len(p) != 2 {
			t.Errorf("pairs after the name was changed again: %+v", p)
		}
		if _, err := w.svc.Merge(ctx, w.caseAH, a.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		if p := pairs(w.caseAH); len(p) != 0 {
			t.Errorf("pairs after merging: %+v", p)
		}
		var status, birth string
		if err := db.R.QueryRowContext(ctx, `SELECT d.status, c.birth_date FROM card_duplicates d JOIN cards c ON c.id = d.other_id WHERE d.card_id = $1 AND d.other_id = $2`,
			a.ID, c.ID).Scan(&status, &birth); err != nil || status != "merged" || birth != "1995" {
			t.Errorf("merged pair %q, merged card's birth %q (%v)", status, birth, err)
		}
	})
}
