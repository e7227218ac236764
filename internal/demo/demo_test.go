package demo

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// tableCounts returns the row count of every table in the database, so that a second Load
// is shown to write nothing at all, audit rows included.
func tableCounts(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	ctx := context.Background()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	if db.Dialect == store.Postgres {
		q = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
	}
	rows, err := db.R.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("found only tables %v", tables)
	}
	out := map[string]int{}
	for _, name := range tables {
		var n int
		if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+name).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", name, err)
		}
		out[name] = n
	}
	return out
}

func TestLoad(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Now()
		creds, err := Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		// Logged, not asserted: a timed assertion fails on a loaded machine and proves nothing.
		t.Logf("first Load took %v", time.Since(start))
		first := tableCounts(t, db)
		if first["audit_log"] == 0 || first["org_unit_versions"] <= first["org_units"] {
			t.Fatalf("Load bypassed the domain: %v", first)
		}
		again, err := Load(ctx, db)
		if err != nil {
			t.Fatalf("second Load: %v", err)
		}
		for table, n := range tableCounts(t, db) {
			if n != first[table] {
				t.Errorf("second Load changed %s: %d rows, then %d", table, first[table], n)
			}
		}
		if !slices.Equal(creds, again) {
			t.Errorf("logins differ between runs:\n%v\n%v", creds, again)
		}

		s := org.New(db)
		a := access.System
		unit := func(code string) org.Unit {
			t.Helper()
			u, err := s.UnitByCode(ctx, a, code)
			if err != nil {
				t.Fatalf("unit %s: %v", code, err)
			}
			return u
		}

		t.Run("named units", func(t *testing.T) {
			for code, zh := range map[string]string{
				"CN": "全国", "AH": "安徽省", "YN": "云南省", "GZ": "贵州省", "HN": "湖南省", "JS": "江苏省", "FJ": "福建省", "SC": "四川省", "GD": "广东省",
				"HN-YZ": "永州市", "HN-YZ-NY": "宁远县", "JS-WX": "无锡市", "JS-CZ": "常州市", "JS-NJ": "南京市", "GD-FS": "佛山市",
				"GD-SZ": "深圳市", "YN-KM": "昆明市", "AH-HF": "合肥市", "SC-CD": "成都市", "GZ-GY": "贵阳市", "FJ-FZ": "福州市",
				"FJ-XM": "厦门市", "FJ-QZ-JJ": "晋江市", "HN-CS": "长沙市", "AH-HF-FD": "肥东县",
			} {
				if u := unit(code); u.NameZH != zh {
					t.Errorf("%s is %q, want %q", code, u.NameZH, zh)
				}
			}
			if u := unit("HN-YZ-NY"); u.Level != org.County || u.ParentID != unit("HN-YZ").ID {
				t.Errorf("Ningyuan County: level %d under %d", u.Level, u.ParentID)
			}
			counts, err := s.Counts(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range org.Levels {
				if counts[l] == 0 {
					t.Errorf("no open unit at level %s", l.Key())
				}
			}
			if !unit("JS").HasTag("receiving") || !unit("SC").HasTag("light") {
				t.Error("province tags lost")
			}
		})

		t.Run("women's homes", func(t *testing.T) {
			homes, total, err := s.Partners(ctx, a, org.PartnerQuery{Type: "womens_home", Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if total != 12 || len(homes) != 12 {
				t.Fatalf("%d Women's Homes, want the 12 of Phase II", total)
			}
			provinces := map[string]bool{}
			for _, h := range homes {
				u, err := s.Unit(ctx, a, h.UnitID)
				if err != nil {
					t.Fatal(err)
				}
				if u.Level != org.Community {
					t.Errorf("%s sits at %s, not in a community", h.Code, u.Code)
				}
				provinces[strings.SplitN(u.Code, "-", 2)[0]] = true
			}
			for _, p := range []string{"JS", "FJ", "GZ"} {
				if !provinces[p] {
					t.Errorf("no Women's Home in %s", p)
				}
			}
			for _, code := range []string{"AH-SANLIJIE", "YN-YHHCCC", "LITTLEBIRD", "CIDA", "ILO", "JS-NNU", "AH-EDU", "JS-HRSS"} {
				ps, _, err := s.Partners(ctx, a, org.PartnerQuery{Search: code})
				if err != nil || !slices.ContainsFunc(ps, func(p org.Partner) bool { return p.Code == code }) {
					t.Errorf("partner %s missing (%v)", code, err)
				}
			}
		})

		t.Run("steering committees", func(t *testing.T) {
			// Seed 001 §3.1 and §4.2: 180 decision makers in the six PSCs. The Ningyuan County
			// (12) and Wuxi City (10) committees add their members to Hunan and Jiangsu.
			local := map[string]int{"HN": 12, "JS": 10}
			psc := 0
			for _, code := range []string{"AH", "YN", "GZ", "HN", "JS", "FJ"} {
				u := unit(code)
				cs, err := s.Committees(ctx, a, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(cs) != 1 {
					t.Fatalf("%s has %d provincial committees", code, len(cs))
				}
				c := cs[0]
				psc += c.Members
				if c.Members != 30 || c.Chair == "" {
					t.Errorf("%s PSC: %d current members, chair %q", code, c.Members, c.Chair)
				}
				ms, err := s.Members(ctx, a, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if ms[0].Role != "chair" || ms[0].Title != "副省长" || ms[0].PartnerID == 0 {
					t.Errorf("%s PSC chair: %+v", code, ms[0])
				}
				n, err := s.DecisionMakers(ctx, a, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if n != 30+local[code] {
					t.Errorf("%s: %d decision makers, want %d", code, n, 30+local[code])
				}
				meetings, err := s.Meetings(ctx, a, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(meetings) < 2 || len(meetings) > 4 {
					t.Errorf("%s PSC met %d times", code, len(meetings))
				}
				for _, m := range meetings {
					if m.HeldOn < "2010-01-01" || m.HeldOn > "2012-12-31" || m.Present <= 3*m.Absent || len(m.Decisions) == 0 {
						t.Errorf("%s meeting %s: %d present, %d absent, %d decisions", code, m.HeldOn, m.Present, m.Absent, len(m.Decisions))
					}
				}
			}
			if psc != 180 {
				t.Errorf("the six PSCs seat %d, want 180", psc)
			}
			all, err := s.DecisionMakers(ctx, a, unit("CN").ID)
			if err != nil {
				t.Fatal(err)
			}
			if all != 180+12+10 {
				t.Errorf("national decision makers %d, want 180 in the PSCs + 22 in the local committees", all)
			}
			// Jiangsu's turnover: replaced members stay on record, absent from later meetings.
			cs, _ := s.Committees(ctx, a, unit("JS").ID)
			ms, _ := s.Members(ctx, a, cs[0].ID)
			if past := len(ms) - cs[0].Members; past != 3 {
				t.Errorf("Jiangsu PSC has %d former members, want 3", past)
			}
		})

		t.Run("offices and turnover", func(t *testing.T) {
			turnover := func(code string) map[string]org.TitleTurnover {
				t.Helper()
				os, err := s.Offices(ctx, a, unit(code).ID)
				if err != nil || len(os) != 1 {
					t.Fatalf("%s offices: %v %v", code, os, err)
				}
				ps, err := s.Staff(ctx, a, os[0].ID)
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]org.TitleTurnover{}
				for _, tt := range org.Turnover(ps, "2010-01-01", "2012-09-30") {
					out[tt.Title] = tt
				}
				return out
			}
			if yn := turnover("YN")["ppa"]; yn.Departures != 3 || !yn.HeldNow {
				t.Errorf("Yunnan PPA: %+v", yn)
			}
			cn := turnover("CN")
			if cta := cn["cta"]; cta.Departures != 2 || cta.HeldNow || cta.VacantDays == 0 {
				t.Errorf("national CTA: %+v", cta)
			}
			if npm := cn["npm"]; npm.CurrentName != "Guo Jia" {
				t.Errorf("national project manager: %+v", npm)
			}
			if cn["technical_consultant"].CurrentName != "Laurence Phillips" || cn["npc"].CurrentName != "Duan Guohui" {
				t.Errorf("national office: %+v", cn)
			}
			js := turnover("JS")
			if js["ppc"].Departures != 1 || js["ppa"].Departures != 1 {
				t.Errorf("Jiangsu 2011 changeovers: %+v", js)
			}
			if gz := turnover("GZ"); gz["ppc"].Departures != 1 || gz["ppa"].Departures != 1 {
				t.Errorf("Guizhou: %+v", gz)
			}
			for _, code := range []string{"AH", "HN", "FJ"} {
				tt := turnover(code)
				if !tt["ppc"].HeldNow || !tt["ppa"].HeldNow || tt["ppc"].Departures+tt["ppa"].Departures != 0 {
					t.Errorf("%s office: %+v", code, tt)
				}
			}
		})

		t.Run("history", func(t *testing.T) {
			codes := func(vs []org.Version) []string {
				var out []string
				for _, v := range vs {
					out = append(out, v.Code+":"+v.NameZH+map[bool]string{true: ":closed"}[v.Closed])
				}
				return out
			}
			today := time.Now().UTC().Format(time.DateOnly)
			for _, c := range []struct {
				parent  string
				before  string
				then    []string // shown on the day before the change
				nowOnly []string // shown today and not before
			}{
				{"AH-HF", "2011-06-30", []string{"AH-HF-FD:肥东县"}, []string{"AH-CH-LJ:庐江县"}},
				{"AH", "2011-06-30", []string{"AH-CH:巢湖市"}, []string{"AH-CH:巢湖市:closed"}},
				{"GZ", "2011-06-30", []string{"GZ-BJ:毕节地区"}, []string{"GZ-BJ:毕节市"}},
			} {
				id := unit(c.parent).ID
				past, err := s.AsOf(ctx, a, id, c.before)
				if err != nil {
					t.Fatal(err)
				}
				now, err := s.AsOf(ctx, a, id, today)
				if err != nil {
					t.Fatal(err)
				}
				if slices.Equal(codes(past), codes(now)) {
					t.Errorf("%s looks the same on %s and today: %v", c.parent, c.before, codes(now))
				}
				for _, w := range c.then {
					if !slices.Contains(codes(past), w) {
						t.Errorf("%s on %s: %v lacks %s", c.parent, c.before, codes(past), w)
					}
				}
				for _, w := range c.nowOnly {
					if !slices.Contains(codes(now), w) {
						t.Errorf("%s today: %v lacks %s", c.parent, codes(now), w)
					}
					if slices.Contains(codes(past), w) {
						t.Errorf("%s on %s already shows %s", c.parent, c.before, w)
					}
				}
			}
		})

		t.Run("logins", func(t *testing.T) {
			au := auth.New(db)
			var roles []access.Role
			for _, c := range creds {
				u, err := au.Login(ctx, c.Username, c.Password)
				if err != nil {
					t.Errorf("login %s: %v", c.Username, err)
					continue
				}
				if u.Role != c.Role {
					t.Errorf("%s has role %s, printed %s", c.Username, u.Role, c.Role)
				}
				roles = append(roles, u.Role)
				switch u.Role {
				case access.AgencyReporter:
					p, err := s.Partner(ctx, a, u.PartnerID)
					if err != nil || p.Type != "womens_home" || !strings.HasPrefix(p.Code, "JS-") || p.UnitID != u.UnitID {
						t.Errorf("agency reporter bound to %+v (%v), unit %d", p, err, u.UnitID)
					}
				case access.Caseworker:
					homes, _, err := s.Partners(ctx, a, org.PartnerQuery{UnitID: u.UnitID, Type: "womens_home"})
					if err != nil || len(homes) != 1 {
						t.Errorf("caseworker's unit %d holds Women's Homes %v (%v)", u.UnitID, homes, err)
					}
				}
			}
			for _, r := range access.Roles {
				if !slices.Contains(roles, r) {
					t.Errorf("no demo login for role %s", r)
				}
			}
			if !slices.IsSortedFunc(creds, func(x, y Credential) int {
				return slices.Index(access.Roles, x.Role) - slices.Index(access.Roles, y.Role)
			}) {
				t.Error("logins are not printed in role order")
			}
		})
	})
}
