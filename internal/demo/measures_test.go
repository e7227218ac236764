package demo

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"testing"

	"ting/internal/access"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/seal"
	"ting/internal/store"
)

// checkMeasures tests the zero and end measurements LoadPeople recorded (TestLoadPeople calls
// it, sparing a second load of the people): the instrument in both languages, measurements of
// the chosen sites' girls and young women only, dated baseline ≤ end ≤ AsOf, scored from their
// answers, and the national change equal to a recomputation from the rows.
func checkMeasures(t *testing.T, ctx context.Context, db *store.DB, keys *seal.Keyring, units map[string]org.Unit) {
	t.Helper()
	svc := beneficiaries.New(db, keys)
	inst, err := svc.Instrument(ctx, measureCode)
	if err != nil {
		t.Fatalf("the demo instrument: %v", err)
	}
	if inst.NameZH == "" || inst.NameEN == "" || inst.NameZH == inst.NameEN {
		t.Errorf("instrument names %q / %q", inst.NameZH, inst.NameEN)
	}
	if n := len(inst.Questions); n < 5 || n > 8 {
		t.Errorf("%d questions", n)
	}
	for _, q := range inst.Questions {
		if q.TextZH == "" || q.TextEN == "" || q.TextZH == q.TextEN {
			t.Errorf("question %s: %q / %q", q.Code, q.TextZH, q.TextEN)
		}
		for _, o := range q.Options {
			if o.LabelZH == "" || o.LabelEN == "" {
				t.Errorf("question %s option %s: %q / %q", q.Code, o.Code, o.LabelZH, o.LabelEN)
			}
		}
	}
	if es := beneficiaries.CheckInstrument(inst); len(es) > 0 {
		t.Errorf("the instrument does not validate: %v", es)
	}

	count := func(q string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := db.R.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var ids []int64
	for _, ms := range measureSites {
		ids = append(ids, units[ms.unit].ID)
	}
	if got := count(`SELECT COUNT(*) FROM measurements m JOIN cards c ON c.id = m.card_id WHERE c.site_id NOT IN (` + joinIDs(ids) + `) OR c.sex <> 'F'`); got != 0 {
		t.Errorf("%d measurements of cards outside the chosen sites' girls and young women", got)
	}
	if got := count(`SELECT COUNT(*) FROM measurements WHERE taken_on < $1 OR taken_on > $2 OR kind NOT IN ('baseline', 'end')`, cohortFrom, AsOf); got != 0 {
		t.Errorf("%d measurements outside %s..%s or of an unknown kind", got, cohortFrom, AsOf)
	}
	if got := count(`SELECT COUNT(*) FROM measurements e WHERE e.kind = 'end' AND NOT EXISTS (SELECT 1 FROM measurements b
		WHERE b.card_id = e.card_id AND b.instrument_id = e.instrument_id AND b.kind = 'baseline' AND b.taken_on <= e.taken_on)`); got != 0 {
		t.Errorf("%d end measurements without an earlier baseline", got)
	}
	if got := count(`SELECT COUNT(*) FROM measurements b WHERE b.kind = 'baseline' AND b.taken_on <> (SELECT MIN(s.served_on) FROM services s WHERE s.card_id = b.card_id)`); got != 0 {
		t.Errorf("%d baselines not taken at the person's first service", got)
	}

	// The rows, read and rescored here from the instrument's options.
	rows, err := db.R.QueryContext(ctx, `SELECT m.card_id, c.site_id, m.kind, m.answers, m.score FROM measurements m JOIN cards c ON c.id = m.card_id
		WHERE m.instrument_id = $1`, inst.ID)
	if err != nil {
		t.Fatal(err)
	}
	type pair struct {
		site       int64
		base, end  float64
		hasB, hasE bool
	}
	people := map[int64]*pair{}
	for rows.Next() {
		var card, site int64
		var kind, js string
		var score float64
		if err := rows.Scan(&card, &site, &kind, &js, &score); err != nil {
			t.Fatal(err)
		}
		var answers map[string]string
		if err := json.Unmarshal([]byte(js), &answers); err != nil {
			t.Fatal(err)
		}
		var sum float64
		for _, q := range inst.Questions {
			i := slices.IndexFunc(q.Options, func(o beneficiaries.Option) bool { return o.Code == answers[q.Code] })
			if i < 0 {
				t.Fatalf("card %d: answer %q to %s is no option", card, answers[q.Code], q.Code)
			}
			sum += q.Options[i].Score
		}
		if sum != score {
			t.Errorf("card %d %s: score %v, its answers make %v", card, kind, score, sum)
		}
		p := people[card]
		if p == nil {
			p = &pair{site: site}
			people[card] = p
		}
		if kind == "baseline" {
			p.base, p.hasB = score, true
		} else {
			p.end, p.hasE = score, true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	type tally struct {
		n, improved int
		change      float64
	}
	var all tally
	bySite := map[int64]*tally{}
	for _, p := range people {
		if !p.hasB || !p.hasE {
			continue
		}
		for _, tl := range []*tally{&all, bySite[p.site]} {
			if tl == nil {
				tl = &tally{}
				bySite[p.site] = tl
			}
			tl.n++
			tl.change += p.end - p.base
			if p.end > p.base {
				tl.improved++
			}
		}
	}
	if len(people) < 300 || len(people) > 2000 || all.n == 0 || all.n == len(people) {
		t.Errorf("%d people measured, %d of them at the end too", len(people), all.n)
	}
	share, mean := float64(all.improved)/float64(all.n), all.change/float64(all.n)
	if share < 0.5 || share > 0.95 || mean <= 0 {
		t.Errorf("%.3f of %d improved, mean change %.3f: most should improve, not all", share, all.n, mean)
	}

	// The service's national figures are those of the rows, and every chosen site shows.
	cn := units["CN"]
	rep, err := svc.Change(ctx, access.System, beneficiaries.ChangeQuery{UnitID: cn.ID, Instrument: measureCode, By: "site"})
	if err != nil {
		t.Fatal(err)
	}
	o := rep.Overall
	if o.N != all.n || math.Abs(o.Improved-share) > 1e-9 || math.Abs(o.MeanChange-mean) > 1e-9 || !o.HasCI || o.CILow > mean || o.CIHigh < mean {
		t.Errorf("national change %+v; the rows give %d people, %.4f improved, mean change %.4f", o.ChangeStats, all.n, share, mean)
	}
	t.Logf("measured change, %s: N %d, %.1f%% improved, mean change %.2f (95%% CI %.2f to %.2f) of %v; %d measured at baseline",
		db.Dialect, o.N, 100*o.Improved, o.MeanChange, o.CILow, o.CIHigh, inst.MaxScore(), len(people))
	if len(rep.Rows) != len(measureSites) {
		t.Errorf("%d sites in the change report, want %d", len(rep.Rows), len(measureSites))
	}
	shares := map[float64]bool{}
	for _, r := range rep.Rows {
		tl := bySite[r.UnitID]
		if tl == nil || r.N != tl.n || r.N < beneficiaries.MinCell || math.Abs(r.Improved-float64(tl.improved)/float64(tl.n)) > 1e-9 {
			t.Errorf("site %s: %+v, the rows give %+v", r.Key, r.ChangeStats, tl)
			continue
		}
		shares[math.Round(r.Improved*20)] = true
		t.Logf("  %s: N %d, %.1f%% improved, mean change %.2f", r.Key, r.N, 100*r.Improved, r.MeanChange)
	}
	if len(shares) < 3 {
		t.Errorf("the sites' shares improved hardly differ: %v", shares)
	}
}
