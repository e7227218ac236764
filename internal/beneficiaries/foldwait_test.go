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

// concurrentWorld is the test world with one card, for tests of writers running at once, which
// only PostgreSQL has: SQLite's one writer makes them take turns.
func concurrentWorld(t *testing.T, db *store.DB) (context.Context, *world, Card) {
	t.Helper()
	if db.Dialect != store.Postgres {
		t.Skip("SQLite has one writer: writes take turns")
	}
	ctx := context.Background()
	w := newWorld(t, db)
	c, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, "林芳", "2001-04-04"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, w, c
}

// While a fold holds the bitmaps (PostgreSQL; here a transaction holding the lock a fold
// takes), a caseworker's single service does not wait for it: it joins the pending list, is
// counted at once, and the next fold merges it.
func TestServiceDoesNotWaitForAFold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, w, c := concurrentWorld(t, db)
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

// A merge waits for a service write that has checked the duplicate card and not yet committed
// (here one deferred to the pending list, as during a fold): the merge then finds that service
// and moves it, so the person is counted once, never also under the duplicate.
func TestMergeWaitsForAServiceWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, w, keep := concurrentWorld(t, db)
		drop, err := w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, "林芳芳", "2001-04-04"), nil)
		if err != nil {
			t.Fatal(err)
		}
		// The write, as writeServices does it: the card locked by checkServices, the service
		// inserted and listed for the fold.
		write, err := db.W.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer write.Rollback()
		if _, err := store.IDs(ctx, write, `SELECT id FROM cards WHERE id = $1 FOR NO KEY UPDATE`, drop.ID); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := write.QueryRowContext(ctx, `INSERT INTO services (card_id, site_id, type, served_on, provider, note, created_by, created_at)
			VALUES ($1, $2, 'health', '2012-03-03', '', '', 'test', $3) RETURNING id`, drop.ID, w.fd1.ID, store.Now()).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if err := analytics.Defer(ctx, write, db.Dialect, []int64{id}); err != nil {
			t.Fatal(err)
		}
		merged := make(chan error, 1)
		go func() {
			_, err := w.svc.Merge(ctx, w.caseAH, keep.ID, drop.ID)
			merged <- err
		}()
		select {
		case err := <-merged:
			t.Fatalf("the merge did not wait for the write: %v", err)
		case <-time.After(500 * time.Millisecond):
		}
		if err := write.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-merged; err != nil {
			t.Fatal(err)
		}
		if _, err := analytics.FoldAll(ctx, db, 0); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM services WHERE card_id = $1`, drop.ID).Scan(&left); err != nil || left != 0 {
			t.Errorf("%d services left on the merged card (%v)", left, err)
		}
		q := ReachQuery{UnitID: w.cn.ID, From: "2012-01", To: "2012-12"}
		if n, err := w.svc.Reach(ctx, access.System, q); err != nil || n != 1 {
			t.Errorf("reach after the merge: %d (%v), want 1", n, err)
		}
		if st, err := analytics.Verify(ctx, db); err != nil || st.Mismatches != 0 {
			t.Errorf("verify: %+v (%v)", st, err)
		}
	})
}
