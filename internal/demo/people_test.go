package demo

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/seal"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

func testKeys(t *testing.T) *seal.Keyring {
	t.Helper()
	k, err := seal.NewKeyring(map[byte][]byte{1: bytes.Repeat([]byte{7}, seal.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The plan holds every site's splits exactly, fits groups to ages and sexes, and is the same
// every time.
func TestPeoplePlanFollowsTheReports(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	if _, err := Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	l := &loader{db: db, org: org.New(db), a: access.System}
	if err := l.index(ctx); err != nil {
		t.Fatal(err)
	}
	units, partners := l.units, l.partners
	plans, err := planPeople(units, partners)
	if err != nil {
		t.Fatal(err)
	}
	again, err := planPeople(units, partners)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for si, sp := range plans {
		total += sp.total
		if len(sp.people) != sp.total {
			t.Errorf("%s: %d people, want %d", sp.unit.Code, len(sp.people), sp.total)
		}
		got := map[string]map[string]int{}
		for _, p := range sp.people {
			y, _ := strconv.Atoi(p.birth[:4])
			band := bandOf(ageYear() - y)
			for set, cat := range map[string]string{"sex": map[string]string{"F": "female", "M": "male"}[p.sex], "age": band, "target_group": p.group, "ethnicity": p.eth} {
				if got[set] == nil {
					got[set] = map[string]int{}
				}
				got[set][cat]++
			}
			if p.band != band {
				t.Errorf("%s: born %s is %s in %d, planned %s", sp.unit.Code, p.birth, band, ageYear(), p.band)
			}
			if len(p.visits) == 0 {
				t.Fatalf("%s: a person without services", sp.unit.Code)
			}
			for _, v := range p.visits {
				if v.date < "2010-01-01" || v.date > AsOf || v.date < p.birth {
					t.Errorf("%s: a service on %s (born %s)", sp.unit.Code, v.date, p.birth)
				}
			}
			if p.group == "young_woman_worker" && p.sex != "F" || p.group == "parent" && p.band != "25+" || p.group == "ethnic_minority_child" && p.eth == "han" {
				t.Errorf("%s: %s %s %s %s", sp.unit.Code, p.sex, p.band, p.group, p.eth)
			}
			if p.minor() != (p.guardian != "") {
				t.Errorf("%s: born %s, registered %s, guardian %q", sp.unit.Code, p.birth, p.registered(), p.guardian)
			}
		}
		for _, d := range sp.dis {
			if d.set == "service" {
				continue
			}
			for i, want := range apportion(sp.total, d.w) {
				if got[d.set][d.cats[i]] != want {
					t.Errorf("%s: %s %s: %d people, the reports say %d", sp.unit.Code, d.set, d.cats[i], got[d.set][d.cats[i]], want)
				}
			}
		}
		for i, p := range sp.people {
			q := again[si].people[i]
			if p.name != q.name || p.birth != q.birth || !slices.Equal(p.visits, q.visits) {
				t.Fatalf("%s: the plan differs between two runs", sp.unit.Code)
			}
		}
	}
	if total != int(wantTable[indSERV].actual) {
		t.Errorf("the sites serve %d people, the evaluation table %v", total, wantTable[indSERV].actual)
	}
}

// bandOf is the age category of an age.
func bandOf(a int) string {
	for _, c := range []string{"12-15", "16-18", "19-24", "25+"} {
		if r := bandAges[c]; a >= r[0] && (a <= r[1] || c == "25+") {
			return c
		}
	}
	return "under 12"
}

func TestLoadPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := Load(ctx, db); err != nil {
			t.Fatal(err)
		}
		keys := testKeys(t)
		start := time.Now()
		n, err := LoadPeople(ctx, db, keys)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("LoadPeople on %s: %d cards in %v", db.Dialect, n, time.Since(start).Round(time.Millisecond))
		national := int64(wantTable[indSERV].actual)
		if int64(n) != national {
			t.Errorf("LoadPeople created %d cards, want %d", n, national)
		}
		sys := access.System
		units := map[string]org.Unit{}
		us, _, err := org.New(db).Units(ctx, sys, org.UnitQuery{IncludeAll: true, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			units[u.Code] = u
		}
		cn := units["CN"]
		whole := analytics.Span{From: "2010-01", To: AsOf[:7]}

		// 95,000 distinct people, from the bitmaps and from COUNT(DISTINCT).
		got, err := analytics.Count(ctx, db.R, analytics.Unit{ID: cn.ID, Path: cn.Path}, whole, analytics.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		sqlGot, err := analytics.SQLCount(ctx, db.R, cn.Path, whole, analytics.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if got != national || sqlGot != national {
			t.Errorf("national reach %d (bitmaps), %d (SQL), want %d", got, sqlGot, national)
		}
		st, err := analytics.Verify(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mismatches != 0 || st.Checks == 0 {
			t.Errorf("verify: %d mismatches in %d checks", st.Mismatches, st.Checks)
		}

		// Each site serves its reported number of people, and nobody is served after AsOf.
		count := func(q string, args ...any) int64 {
			t.Helper()
			var n int64
			if err := db.R.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, r := range servicePeople {
			u := units[r.unit]
			if got := count(`SELECT COUNT(DISTINCT card_id) FROM services WHERE site_id = $1`, u.ID); got != int64(r.total) {
				t.Errorf("%s serves %d people, want %d", r.unit, got, r.total)
			}
			if got := count(`SELECT COUNT(*) FROM cards WHERE site_id = $1`, u.ID); got != int64(r.total) {
				t.Errorf("%s has %d cards, want %d", r.unit, got, r.total)
			}
		}
		if got := count(`SELECT COUNT(*) FROM services WHERE served_on > $1 OR served_on < '2010-01-01'`, AsOf); got != 0 {
			t.Errorf("%d services outside 2010-01-01..%s", got, AsOf)
		}
		if got := count(`SELECT COUNT(*) FROM cards c WHERE NOT EXISTS (SELECT 1 FROM card_consents k WHERE k.card_id = c.id AND k.purpose = 'services')
			OR NOT EXISTS (SELECT 1 FROM card_consents k WHERE k.card_id = c.id AND k.purpose = 'reporting')`); got != 0 {
			t.Errorf("%d cards without consent to services and reporting", got)
		}
		if got := count(`SELECT COUNT(*) FROM card_consents k JOIN cards c ON c.id = k.card_id
			WHERE (k.given_by = 'guardian') <> (c.guardian_sealed IS NOT NULL) OR (k.given_by = 'guardian') <> (k.giver_sealed IS NOT NULL)`); got != 0 {
			t.Errorf("%d consents whose giver does not match the card's guardian", got)
		}

		// The splits of two sites, through reach: a county (bitmaps) and a community (SQL).
		for _, code := range []string{"YN-BN-MH", reporterHome} {
			r := servicePeople[slices.IndexFunc(servicePeople, func(r rec) bool { return r.unit == code })]
			u := analytics.Unit{ID: units[code].ID, Path: units[code].Path}
			for _, d := range r.dis {
				for i, want := range apportion(r.total, d.w) {
					var f analytics.Filter
					switch d.set {
					case "sex":
						f.Sex = map[string]string{"female": "F", "male": "M"}[d.cats[i]]
					case "age":
						ages := bandAges[d.cats[i]]
						f.Aged, f.AgeMin, f.AgeMax = true, ages[0], ages[1]
						if d.cats[i] == "25+" {
							f.AgeMax = 200
						}
					case "target_group":
						if d.cats[i] == "other" {
							continue
						}
						f.Groups = []string{d.cats[i]}
					case "ethnicity":
						f.Ethnicities = []string{d.cats[i]}
					default:
						continue
					}
					got, err := analytics.Count(ctx, db.R, u, whole, f)
					if err != nil {
						t.Fatal(err)
					}
					if got != int64(want) {
						t.Errorf("%s: %d people of %s %s, want %d", code, got, d.set, d.cats[i], want)
					}
				}
			}
		}

		// Drift: of the people a home served in the last six months, the share aged 12-24 (in the
		// window's year) is below 60% at the two homes whose target group moved away, and at least
		// 60% elsewhere; before the window, most of the drifting homes' people were 12-24.
		from, year := driftFrom(), ageYear()
		for _, r := range servicePeople {
			if !r.womensHome() {
				continue
			}
			id := units[r.unit].ID
			served := count(`SELECT COUNT(DISTINCT card_id) FROM services WHERE site_id = $1 AND served_on >= $2 AND served_on <= $3`, id, from, AsOf)
			youngN := count(`SELECT COUNT(DISTINCT s.card_id) FROM services s JOIN cards c ON c.id = s.card_id
				WHERE s.site_id = $1 AND s.served_on >= $2 AND s.served_on <= $3 AND c.birth_year BETWEEN $4 AND $5`, id, from, AsOf, year-24, year-12)
			share := float64(youngN) / float64(served)
			if flagged := share < 0.6; flagged != r.drift {
				t.Errorf("%s: %.2f of the %d people served since %s are 12-24", r.unit, share, served, from)
			}
			if r.drift {
				before := count(`SELECT COUNT(DISTINCT card_id) FROM services WHERE site_id = $1 AND served_on < $2`, id, from)
				youngBefore := count(`SELECT COUNT(DISTINCT s.card_id) FROM services s JOIN cards c ON c.id = s.card_id
					WHERE s.site_id = $1 AND s.served_on < $2 AND c.birth_year BETWEEN $3 AND $4`, id, from, year-1-24, year-1-12)
				if 2*youngBefore <= before {
					t.Errorf("%s: %d of the %d people served before %s were 12-24", r.unit, youngBefore, before, from)
				}
			}
		}

		// The Helie caseworker's richer cards: registered with consents, one referred across
		// provinces and accepted there, all at the session entered from its attendance list.
		cw := access.Actor{PublicID: "test", Username: "test", Role: access.Caseworker, UnitID: units[reporterHome].ID, UnitPath: units[reporterHome].Path}
		svc := beneficiaries.New(db, keys)
		refs, err := svc.Referrals(ctx, cw, 0)
		if err != nil {
			t.Fatal(err)
		}
		accepted := 0
		for _, r := range refs {
			if r.Status == "accepted" {
				accepted++
				if r.ServiceType == "" || r.Override {
					t.Errorf("referral %d: service %q, consent overridden %v", r.ID, r.ServiceType, r.Override)
				}
				var toPath string
				if err := db.R.QueryRowContext(ctx, `SELECT path FROM org_units WHERE id = $1`, r.ToUnitID).Scan(&toPath); err != nil {
					t.Fatal(err)
				}
				if pathID(toPath, 2) == pathID(units[reporterHome].Path, 2) {
					t.Errorf("referral %d stays in the province", r.ID)
				}
			}
		}
		if accepted != 1 {
			t.Errorf("%d accepted referrals from Helie, want 1", accepted)
		}
		if got := count(`SELECT COUNT(DISTINCT s.card_id) FROM services s JOIN service_sessions ss ON ss.id = s.session_id
			WHERE ss.site_id = $1 AND ss.type = 'peer_support'`, units[reporterHome].ID); got != int64(len(richCards)) {
			t.Errorf("%d people at the Helie session, want %d", got, len(richCards))
		}
		cards, _, err := svc.Cards(ctx, cw, beneficiaries.CardQuery{UnitID: units[reporterHome].ID, Limit: 1})
		if err != nil || len(cards) != 1 {
			t.Fatalf("latest Helie card: %v %v", cards, err)
		}
		id, err := svc.Identify(ctx, cw, cards[0].ID, "service")
		if err != nil {
			t.Fatal(err)
		}
		if id.Name == "" || id.Phone == "" || id.IDNumber == "" || len(id.IDNumber) != 18 {
			t.Errorf("richer card %s: %+v", cards[0].Number, id)
		}
		// A bulk card opens with the same keys, and its duplicate index is the service's.
		var number string
		var sealed []byte
		if err := db.R.QueryRowContext(ctx, `SELECT number, name_sealed FROM cards WHERE site_id = $1 ORDER BY id LIMIT 1`, units["AH-HF-FD"].ID).Scan(&number, &sealed); err != nil {
			t.Fatal(err)
		}
		if name, err := keys.Open("name", sealed, "card:"+number); err != nil || len(name) == 0 {
			t.Errorf("card %s's name does not open: %v", number, err)
		}
		if number != "AH-HF-FD-000001" {
			t.Errorf("first Feidong card is %s", number)
		}
		helie := servicePeople[slices.IndexFunc(servicePeople, func(r rec) bool { return r.unit == reporterHome })]
		var next int64
		if err := db.R.QueryRowContext(ctx, `SELECT next FROM card_sequences WHERE site_id = $1`, units[reporterHome].ID).Scan(&next); err != nil || next != int64(helie.total)+1 {
			t.Errorf("Helie's next card number %d (%v)", next, err)
		}

		// CP2-SERV in the results table: counted from the cards, 95,000 over the life of the
		// project, every province on or ahead of its target.
		rs := results.New(db)
		tab, err := rs.Progress(ctx, sys, frameworkCode, cn, results.LOP, 0)
		if err != nil {
			t.Fatal(err)
		}
		w := wantTable[indSERV]
		for _, row := range tab.Rows {
			if row.Indicator.Code != indSERV {
				continue
			}
			if !eqPtr(row.Target, w.target) || !eqPtr(row.ChildTargets, w.childTargets) || row.Actual.Value != w.actual || row.Status != w.status {
				t.Errorf("%s: target %v, provinces' targets %v, actual %v, %s; want %v, %v, %v, %s", indSERV,
					show(row.Target), show(row.ChildTargets), row.Actual.Value, row.Status, show(w.target), show(w.childTargets), w.actual, w.status)
			}
			kids, err := rs.Drill(ctx, sys, row.Indicator.ID, cn, results.LOP, 0)
			if err != nil {
				t.Fatal(err)
			}
			var sum float64
			for _, k := range kids {
				sum += k.Actual.Value
				if k.Status == results.Behind {
					t.Errorf("%s in %s is %s", indSERV, k.Unit.Code, k.Status)
				}
			}
			if sum != row.Actual.Value {
				t.Errorf("%s: provinces add up to %v, national %v", indSERV, sum, row.Actual.Value)
			}
		}

		checkMeasures(t, ctx, db, keys, units)

		// A second LoadPeople changes nothing.
		tables := []string{"cards", "card_consents", "services", "service_sessions", "referrals", "card_sequences", "reach_bitmaps", "reach_people",
			"instruments", "measurements", "audit_log"}
		before := map[string]int64{}
		for _, tb := range tables {
			before[tb] = count(`SELECT COUNT(*) FROM ` + tb)
		}
		if n, err := LoadPeople(ctx, db, keys); err != nil || n != 0 {
			t.Errorf("second LoadPeople: %d cards, %v", n, err)
		}
		for _, tb := range tables {
			if got := count(`SELECT COUNT(*) FROM ` + tb); got != before[tb] {
				t.Errorf("second LoadPeople changed %s: %d rows, then %d", tb, before[tb], got)
			}
		}
	})
}
