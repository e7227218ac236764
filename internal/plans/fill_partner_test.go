package plans_test

import (
	"context"
	"errors"
	"testing"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestFillNeedsTheAgency: a reporter writes only the reports of its own agency. One of another
// agency, and one with no agency at all (an account older than the rule that a reporter names
// its partner), may neither save nor submit, though both hold the permission to fill reports;
// another agency's reporter is not even shown the report.
func TestFillNeedsTheAgency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setupWorld(t, db)
		iv := must(w.svc.CreateIntervention(ctx, w.anhui, apInput(w, "2011-01-01", "2011-12-31")))(t)
		r := must(w.svc.Reports(ctx, w.ag, iv.ID))(t)[0]
		other := must(org.New(db).CreatePartner(ctx, access.System, org.PartnerInput{Code: "AH-WH2", UnitID: w.hf.ID, Type: "womens_home",
			NameZH: "另一妇女之家", NameEN: "Another Women's Home"}))(t)
		draft := plans.ReportDraft{Progress: "Trained teachers."}
		for name, a := range map[string]access.Actor{
			"no agency":      {PublicID: "u_none", Role: access.AgencyReporter, UnitID: w.hf.ID, UnitPath: w.hf.Path},
			"another agency": {PublicID: "u_oth", Role: access.AgencyReporter, UnitID: w.hf.ID, UnitPath: w.hf.Path, PartnerID: other.ID},
		} {
			if _, err := w.svc.SaveDraft(ctx, a, r.ID, draft); !refused(err) {
				t.Errorf("%s saving a draft: %v", name, err)
			}
			if _, err := w.svc.Submit(ctx, a, r.ID, "k-"+name); !refused(err) {
				t.Errorf("%s submitting: %v", name, err)
			}
		}
		if _, err := w.svc.SaveDraft(ctx, w.ag, r.ID, draft); err != nil {
			t.Fatalf("the agency's own reporter: %v", err)
		}
	})
}

func refused(err error) bool {
	return errors.Is(err, access.ErrForbidden) || errors.Is(err, store.ErrNotFound)
}
