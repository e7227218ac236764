package beneficiaries

import (
	"context"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestErasureScrubsAudit: erasing a card blanks what was written about the person in the
// audit log's copies of its referrals, services (a deleted one too) and feedback, as in the
// records; the entries stay, and another person's stay as written.
func TestErasureScrubsAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		sys := access.System
		consent := []ConsentInput{{Purpose: "referral", GivenBy: "self", GivenOn: "2012-01-05"}}
		write := func(name, secret string) Card {
			c, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, name, "1985-01-01"), consent)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Refer(ctx, w.caseAH, ReferralInput{CardID: c.ID, ToUnitID: w.bh1.ID, ServiceType: "counselling", Reason: secret + " referral"}); err != nil {
				t.Fatal(err)
			}
			sv, err := w.svc.AddService(ctx, w.caseAH, ServiceInput{CardID: c.ID, SiteID: w.fd1.ID, Type: "health", Date: "2012-03-01", Note: secret + " note"})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.svc.DeleteService(ctx, w.caseAH, sv.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.AddFeedback(ctx, w.caseAH, FeedbackInput{SiteID: w.fd1.ID, ServiceType: "health", CardID: c.ID, Date: "2012-03-02", Rating: 2, Comment: secret + " comment"}); err != nil {
				t.Fatal(err)
			}
			return c
		}
		erased := write("甲", "husband drinks")
		write("乙", "father away")
		audit := func() string {
			t.Helper()
			var all []string
			rows, err := db.R.QueryContext(ctx, `SELECT entity, COALESCE(CAST(before AS TEXT), ''), COALESCE(CAST(after AS TEXT), '') FROM audit_log ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var e, b, a string
				if err := rows.Scan(&e, &b, &a); err != nil {
					t.Fatal(err)
				}
				all = append(all, e+" "+b+" "+a)
			}
			return strings.Join(all, "\n")
		}
		before := audit()
		for _, s := range []string{"husband drinks referral", "husband drinks note", "husband drinks comment"} {
			if !strings.Contains(before, s) {
				t.Fatalf("the audit log never held %q, so the test proves nothing:\n%s", s, before)
			}
		}
		if err := w.svc.Erase(ctx, sys, erased.ID, "asked in writing"); err != nil {
			t.Fatal(err)
		}
		after := audit()
		if strings.Contains(after, "husband drinks") {
			t.Errorf("erased person's text stays in the audit log:\n%s", after)
		}
		for _, s := range []string{"father away referral", "father away note", "father away comment"} {
			if !strings.Contains(after, s) {
				t.Errorf("another person's %q left the audit log", s)
			}
		}
		if strings.Count(after, "\n") != strings.Count(before, "\n")+1 {
			t.Errorf("entries were removed (or more than the erasure's was added)")
		}
	})
}
