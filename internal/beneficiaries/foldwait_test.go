package beneficiaries

import (
	"context"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// While a fold holds the bitmaps (PostgreSQL; here a transaction holding the lock a fold
// takes), a caseworker's single service does not wait for it: it joins the pending list, is
// counted at once, and the next fold merges it.
func TestServiceDoesNotWaitForAFold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Dialect != store.Postgres {
			t.Skip("SQLite has one writer: a fold and a service write take turns")
		}
		ctx := context.Background()
		w := newWorld(t, db)
		c, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, "林芳", "2001-04-04"), nil)
		if err != nil {
			t.Fatal(err)
		}
		q := ReachQuery{UnitID: w.cn.ID, From: "2012-01", To: "2012-12"}
		fold, err := db.W.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer fold.Rollback()
		if _, err := fold.ExecContext(ctx, `LOCK TABLE reach_bitmaps IN EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		began := time.Now()
		if _, err := w.svc.AddService(wait, w.caseAH, ServiceInput{CardID: c.ID, SiteID: w.fd1.ID, Type: "counselling", Date: "2012-03-03"}); err != nil {
			t.Fatalf("a service during a fold: %v after %s", err, time.Since(began))
		}
		if d := time.Since(began); d > 3*time.Second {
			t.Errorf("a service during a fold took %s", d)
		}
		if n, err := analytics.Pending(ctx, db.R); err != nil || n != 1 {
			t.Errorf("pending during the fold: %d (%v), want 1", n, err)
		}
		if n, err := w.svc.Reach(ctx, access.System, q); err != nil || n != 1 {
			t.Errorf("reach during the fold: %d (%v), want 1", n, err)
		}
		if err := fold.Rollback(); err != nil {
			t.Fatal(err)
		}
		if _, err := analytics.FoldAll(ctx, db, 0); err != nil {
			t.Fatal(err)
		}
		if n, err := analytics.Pending(ctx, db.R); err != nil || n != 0 {
			t.Errorf("pending after the fold: %d (%v)", n, err)
		}
		if n, err := w.svc.Reach(ctx, access.System, q); err != nil || n != 1 {
			t.Errorf("reach after the fold: %d (%v), want 1", n, err)
		}
		// With nothing holding the bitmaps, a single service goes straight in.
		if _, err := w.svc.AddService(ctx, w.caseAH, ServiceInput{CardID: c.ID, SiteID: w.fd1.ID, Type: "health", Date: "2012-04-04"}); err != nil {
			t.Fatal(err)
		}
		if n, err := analytics.Pending(ctx, db.R); err != nil || n != 0 {
			t.Errorf("pending after a service with no fold running: %d (%v)", n, err)
		}
	})
}
