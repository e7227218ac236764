package beneficiaries

import (
	"context"
	"testing"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// Two databases in one process hold rows under the same keys (the same units and card ids) with
// different people in them. The cache of decoded bitmaps serves each its own: a row's stamp is
// new with every write, and random, so no row of one database is taken for the other's.
func TestReachCacheKeepsDatabasesApart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, first *store.DB) {
		ctx := context.Background()
		second := storetest.SQLite(t)
		if first.Dialect == store.Postgres {
			second = storetest.Postgres(t)
		}
		type side struct {
			db  *store.DB
			w   *world
			sex string
		}
		sides := []*side{{db: first, sex: "F"}, {db: second, sex: "M"}}
		stamp := func(s *side, attr string) int64 {
			var n int64
			if err := s.db.R.QueryRowContext(ctx, `SELECT stamp FROM reach_people WHERE attr = $1 AND shard = 0`, attr).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, s := range sides {
			s.w = newWorld(t, s.db)
			c, err := s.w.svc.Register(ctx, access.System, CardInput{SiteID: s.w.fd1.ID, Sex: s.sex, Birth: "1996", Status: "other", Name: "P", Guardian: "G",
				Groups: []string{"left_behind"}, NotDuplicate: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.ID != 1 {
				t.Fatalf("card %d; the test needs the same card id on both sides", c.ID)
			}
			if _, err := s.w.svc.AddService(ctx, access.System, ServiceInput{CardID: c.ID, SiteID: s.w.fd1.ID, Type: "health", Date: "2011-05-02"}); err != nil {
				t.Fatal(err)
			}
		}
		if sides[0].w.cn.ID != sides[1].w.cn.ID {
			t.Fatal("the test needs the same unit ids on both sides")
		}
		count := func(s *side, sex string) int64 {
			n, err := analytics.Count(ctx, s.db.R, analytics.Unit{ID: s.w.cn.ID, Path: s.w.cn.Path}, analytics.Span{From: "2011-01", To: "2011-12"}, analytics.Filter{Sex: sex})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for round := range 2 { // the second round from the cache
			for _, s := range sides {
				for _, sex := range []string{"F", "M"} {
					if got, want := count(s, sex), map[bool]int64{true: 1, false: 0}[sex == s.sex]; got != want {
						t.Errorf("round %d, the %s side: %d people of sex %s, want %d", round, s.sex, got, sex, want)
					}
				}
			}
		}
		// Every write gives the row a new stamp, and the count follows it.
		s := sides[0]
		was := stamp(s, "sex:F")
		if _, err := s.w.svc.Register(ctx, access.System, CardInput{SiteID: s.w.fd1.ID, Sex: "F", Birth: "1997", Status: "other", Name: "Q", Guardian: "G",
			Groups: []string{"dropout"}, NotDuplicate: true}, nil); err != nil {
			t.Fatal(err)
		}
		if now := stamp(s, "sex:F"); now == was {
			t.Errorf("sex:F kept its stamp %d through a write", now)
		}
		if _, err := s.w.svc.AddService(ctx, access.System, ServiceInput{CardID: 2, SiteID: s.w.fd1.ID, Type: "health", Date: "2011-06-02"}); err != nil {
			t.Fatal(err)
		}
		if got := count(s, "F"); got != 2 {
			t.Errorf("after a second woman is served: %d", got)
		}
	})
}
