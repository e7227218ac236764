package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/audit"
	"ting/internal/auth"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/seal"
	"ting/internal/store"
)

// The people behind CP2-SERV, "people receiving project services" (seed 001 §1.3: 75,000 by
// project end; §4: 95,000, about 60,000 life-skills students and 35,000 users of the Women's
// Homes and community centres). Nobody types that figure in: every person has a beneficiary
// card at the site that served them, and reach (internal/analytics) counts the distinct people
// in the services. servicePeople below is what each site's reports said of its people (how
// many, in which 4-monthly periods, by sex, age band, target group and ethnicity); LoadPeople
// creates exactly that many people per site with exactly those splits, and their services in
// those periods.
//
// Each person is counted under one target group, as the reports did ("other" is a person in no
// group of the cards' vocabulary). Ages are the ones reach uses: reached in the year the
// period ends, capped at the latest service's year, so 2012 over the life of the project.
//
// The Chengmen (Fujian) and Youzhajie (Guizhou) Women's Homes drift (§3.3: the 16-24 target
// group moved away by mid-term, and the users are now mostly middle-aged): most of the people
// they served in the last six months before the review are over 24, while most of those they
// served before were 12-24. At the other homes and centres the 12-24-year-olds stay the larger
// part of the recent users.

// servicePeople: life skills students in the pilot counties' schools (about 60,000, §4.1) and
// Women's Home and community centre users (35,000 at 12 Women's Homes and the two CSO centres,
// §3.2). drift marks the two homes above.
var servicePeople = []rec{
	{unit: "AH-HF-FD", total: 6500, periods: ps(t103, t111, t113, t121), note: "Life skills students, Feidong pilot schools.", dis: []split{lsSex, lsAge, lifeSk, lsGroups(60, 0, 0, 0, 5, 35)}},
	{unit: "AH-CH-LJ", total: 4500, periods: ps(t111, t113, t121), note: "Life skills students, Lujiang pilot schools.", dis: []split{lsSex, lsAge, lifeSk, lsGroups(55, 0, 0, 0, 5, 40)}},
	{unit: "YN-BN-MH", total: 10000, periods: ps(t103, t111, t113, t121), note: "Life skills students, Menghai pilot schools.", dis: []split{lsSex, lsAge, lifeSk, lsGroups(25, 0, 55, 0, 5, 15),
		split{"ethnicity", []string{"dai", "hani", "han", "yi", "bai", "other"}, []int{50, 15, 25, 4, 2, 4}}}},
	{unit: "GZ-BJ-ZJ", total: 8500, periods: ps(t111, t113, t121), note: "Life skills students, Zhijin pilot schools.", dis: []split{lsSex, lsAge, lifeSk, lsGroups(40, 0, 40, 0, 5, 15),
		split{"ethnicity", []string{"han", "miao", "yi", "buyi", "other"}, []int{40, 30, 22, 5, 3}}}},
	{unit: "HN-YZ-NY", total: 12500, periods: ps(t103, t111, t113, t121), note: "Life skills students, Ningyuan pilot schools.", dis: []split{lsSex, lsAge, lifeSk, lsGroups(55, 0, 5, 5, 5, 30)}},
	{unit: "JS-WX-HS", total: 8000, periods: ps(t103, t113, t121), note: "Vocational students and interns, Huishan Vocational and Technical School.", dis: []split{lsSex, age(0, 100, 0, 0), lifeSk, only("target_group", "vocational_student")}},
	{unit: "FJ-QZ-JJ", total: 10000, periods: ps(t103, t111, t113, t121), note: "Life skills students, Jinjiang pilot schools.", dis: []split{lsSex, lsAge, lifeSk, lsGroups(0, 60, 0, 0, 5, 35)}},

	{unit: "AH-HF-FD-01", total: 1800, periods: ps(t103, t111, t112, t113, t121, t122), note: "Dianbu Women's Home users.", dis: []split{whSex, whAge, womensH, whGroups}},
	{unit: "AH-HF-YH-01", total: 3200, periods: ps(t102, t103, t111, t112, t113, t121, t122), note: "Sanlijie Migrant Community Service Center users.", dis: []split{whSex, whAge, womensH, whGroups}},
	{unit: "YN-KM-GD-01", total: 2500, periods: ps(t102, t103, t111, t112, t113, t121, t122), note: "Guanshang Migrant Women's Home users.", dis: []split{whSex, whAge, womensH, whGroups}},
	{unit: "YN-KM", total: 3000, periods: ps(t103, t111, t112, t113, t121, t122), note: "Yunnan Heart to Heart Community Care Centre users.", dis: []split{whSex, whAge, womensH, whGroups}},
	{unit: "GZ-GY-NM-01", total: 1800, periods: ps(t111, t112, t113, t121, t122), note: "Youzhajie Women's Home users.", dis: []split{whSex, whAgeOld, womensH, whOlder}, drift: true},
	{unit: "GZ-BJ-ZJ-01", total: 1200, periods: ps(t112, t113, t121, t122), note: "Zhijin Chengguan Women's Home users.", dis: []split{whSex, whAge, womensH, whGroups}},
	{unit: "HN-CS-FR-01", total: 2600, periods: ps(t103, t111, t112, t113, t121, t122), note: "Wulipai Women's Home users.", dis: []split{whSex, whAge, womensH, whGroups}},
	{unit: "HN-YZ-NY-01", total: 2400, periods: ps(t103, t111, t112, t113, t121, t122), note: "Shunling Women's Home users.", dis: []split{whSex, whAge, womensH, whGroups}},
	{unit: "JS-WX-BH-01", total: 3800, periods: ps(t102, t103, t111, t112, t113, t121, t122), note: "Helie Women's Home users.", dis: []split{whSex, whAge, womensH, whGroups}},
	{unit: "JS-WX-HS-01", total: 3200, periods: ps(t103, t111, t112, t113, t121, t122), note: "Yanqiao Women's Home users.", dis: []split{whSex, whAge, womensH, whGroups}},
	{unit: "JS-CZ-WJ-01", total: 2500, periods: ps(t111, t112, t113, t121, t122), note: "Hutang Women's Home users.", dis: []split{whSex, whAge, womensH, whGroups}},
	{unit: "FJ-FZ-CS-01", total: 2500, periods: ps(t111, t112, t113, t121, t122), note: "Chengmen Women's Home users.", dis: []split{whSex, whAgeOld, womensH, whOlder}, drift: true},
	{unit: "FJ-QZ-JJ-01", total: 2300, periods: ps(t111, t112, t113, t121, t122), note: "Chendai Women's Home users.", dis: []split{whSex, whAge, womensH, whGroups}},
	{unit: "FJ-XM-HL-01", total: 2200, periods: ps(t111, t112, t113, t121, t122), note: "Dianqian Women's Home users.", dis: []split{whSex, whAge, womensH, whGroups}},
}

var (
	lsSex    = sex(49, 51)
	lsAge    = age(85, 15, 0, 0)
	whSex    = sex(85, 15)
	whAge    = age(0, 10, 45, 45)
	whAgeOld = age(0, 5, 25, 70) // Fujian and Guizhou: the target group moved on, users are older (§3.3)
	whGroups = split{"target_group", []string{"young_woman_worker", "migrant_child", "parent", "other"}, []int{50, 10, 25, 15}}
	whOlder  = split{"target_group", []string{"young_woman_worker", "migrant_child", "parent", "other"}, []int{25, 5, 40, 30}}
	lifeSk   = only("service", "life_skills")
	womensH  = only("service", "womens_home")
)

func lsGroups(w ...int) split {
	return split{"target_group", []string{"left_behind", "migrant_child", "ethnic_minority_child", "vocational_student", "dropout", "other"}, w}
}

// splitOf is the site's split of a category set, if its reports gave one.
func (r rec) splitOf(set string) (split, bool) {
	for _, d := range r.dis {
		if d.set == set {
			return d, true
		}
	}
	return split{}, false
}

// womensHome reports whether the site is a Women's Home or community centre (otherwise its
// people are life-skills students).
func (r rec) womensHome() bool {
	s, _ := r.splitOf("service")
	return len(s.cats) == 1 && s.cats[0] == "womens_home"
}

// The shape of the recent users of the homes: the share (per cent) of the people served in the
// last six months who are 12-24, at a home that kept its target group and at one that did not,
// and the share of a drifting home's people who came only in those months.
const (
	keptYoungShare   = 65
	driftYoungShare  = 10
	driftRecentShare = 60
	// driftMonths is the window a drift check looks at: the last six months before AsOf.
	driftMonths = 6
	// classSize is the largest life-skills class; lessons is the course's length in sessions.
	classSize = 45
	lessons   = 4
	// returningShare (per cent) of a kept home's recent users came before the window too.
	returningShare = 30
)

// driftFrom is the first day of the drift window: the first of the month driftMonths-1 months
// before AsOf's month (2012-01-01).
func driftFrom() string {
	d := dateOf(AsOf)
	return time.Date(d.Year(), d.Month()-driftMonths+1, 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// ageYear is the year reach reaches ages in over the life of the project: the year of AsOf,
// after which no service is recorded.
func ageYear() int { return dateOf(AsOf).Year() }

func dateOf(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(fmt.Sprintf("demo date %q: %v", s, err))
	}
	return t
}

// bandAges are the ages of each age category; a parent over 24 is 28 to 45, anyone else 25 to 34.
var bandAges = map[string][2]int{"12-15": {12, 15}, "16-18": {16, 18}, "19-24": {19, 24}, "25+": {25, 34}}

// young reports whether an age band is inside the 12-24 target age.
func young(band string) bool { return band != "25+" }

// fits reports whether a target group fits an age band.
func fits(group, band string) bool {
	switch group {
	case "parent":
		return band == "25+"
	case "migrant_child", "left_behind", "ethnic_minority_child", "dropout":
		return band == "12-15" || band == "16-18"
	case "vocational_student":
		return band == "16-18" || band == "19-24"
	case "young_woman_worker":
		return band != "12-15"
	}
	return true
}

// groupOrder fills the most constrained groups first.
var groupOrder = []string{"migrant_child", "parent", "vocational_student", "ethnic_minority_child", "left_behind", "dropout", "young_woman_worker", "other"}

// minority is the ethnicity of an ethnic-minority child where the site's reports give no split.
var minority = map[string]string{"HN": "yao"}

// homeServices are the services a Women's Home gives each kind of user, by weight.
var homeServices = map[string][]weighted{
	"young_woman_worker": {{"recreation", 20}, {"skills_training", 20}, {"legal_aid", 15}, {"employment", 15}, {"peer_support", 15}, {"counselling", 10}, {"health", 5}},
	"parent":             {{"counselling", 25}, {"recreation", 25}, {"legal_aid", 20}, {"health", 20}, {"peer_support", 10}},
	"migrant_child":      {{"recreation", 40}, {"peer_support", 20}, {"counselling", 20}, {"skills_training", 10}, {"health", 10}},
	"other":              {{"recreation", 30}, {"health", 25}, {"legal_aid", 20}, {"employment", 15}, {"counselling", 10}},
}

// visitCounts: how many times a home's user came, by weight (1 to 4).
var visitCounts = []weighted{{"1", 35}, {"2", 30}, {"3", 20}, {"4", 15}}

type weighted struct {
	v string
	w int
}

func pick(rng *rand.Rand, ws []weighted) string {
	sum := 0
	for _, w := range ws {
		sum += w.w
	}
	n := rng.IntN(sum)
	for _, w := range ws {
		if n < w.w {
			return w.v
		}
		n -= w.w
	}
	return ws[len(ws)-1].v
}

// Given names by generation: girls' and boys' names for the people served born from 1985, and
// names.go's for the older generation (those born before, and the guardians).
var (
	girlNames = []string{"欣怡", "梓涵", "雨桐", "思琪", "佳怡", "诗涵", "雨萱", "紫涵", "梦瑶", "晓雯", "婉婷", "雅琪", "静怡", "欣妍", "子萱", "可馨",
		"佳琪", "雪婷", "嘉欣", "丽娜", "晓燕", "海燕", "春梅", "秀丽", "婷婷", "倩", "娟", "敏", "洁", "琳", "颖", "慧", "玲", "芳", "丹", "萍",
		"玉洁", "雨欣", "晓丽", "美玲", "丽萍", "小红", "金凤", "彩霞", "冬梅", "秋菊", "月华", "亚萍"}
	boyNames = []string{"浩然", "宇轩", "子豪", "俊杰", "志强", "家乐", "一鸣", "天佑", "文博", "振宇", "明轩", "浩宇", "博文", "俊豪", "建伟", "志鹏",
		"晓东", "海洋", "鹏飞", "磊", "杰", "涛", "鑫", "斌", "浩", "勇", "亮", "超", "强", "宏伟", "志刚", "晓峰", "海涛", "成林", "向阳", "国强"}
)

// person is one person CP2-SERV counts, as planned.
type person struct {
	sex, band, group, eth, status string
	birth                         string // YYYY-MM-DD
	name, guardian                string
	visits                        []visit
	recent                        bool // served in the drift window
	referral                      bool // consents to referral
	seq                           int  // card sequence number at the site
	rich                          bool // registered through beneficiaries.Service
	card                          *sealing
}

// sealing is what a bulk card holds of a person's protected fields, for its card number.
type sealing struct {
	number         string
	name, guardian []byte
	giver          []byte // the guardian's name on the consents they gave
	dup            string
}

type visit struct {
	date, typ string
	session   int // index of the site's class session, -1 for none
}

func (p *person) registered() string { return p.visits[0].date }
func (p *person) lastActive() string { return p.visits[len(p.visits)-1].date }
func (p *person) minor() bool {
	return beneficiaries.AgeOn(p.birth, p.registered()) < beneficiaries.Adult
}

func (p *person) groups() []string {
	if p.group == "other" {
		return nil
	}
	return []string{p.group}
}

// classSession is a life-skills lesson of one class, entered from its attendance list.
type classSession struct {
	date, title, provider string
	partner               int64
}

// sitePlan is the people of one site and what was done with them.
type sitePlan struct {
	rec
	unit     org.Unit
	province int64
	partner  int64  // the home's or centre's partner organisation (0 for the schools)
	provider string // who gives the home's services
	people   []*person
	sessions []classSession
}

// planPeople lays out every person of servicePeople: deterministic, no database.
func planPeople(units map[string]org.Unit, partners map[string]org.Partner) ([]*sitePlan, error) {
	used := map[string]bool{} // name|birth|county: the duplicate index's input, kept unique
	var out []*sitePlan
	for _, r := range servicePeople {
		u, ok := units[r.unit]
		if !ok {
			return nil, fmt.Errorf("unit %s is not in the demo network", r.unit)
		}
		sp := &sitePlan{rec: r, unit: u, province: pathID(u.Path, 2)}
		rng := rand.New(rand.NewPCG(hash(r.unit), hash(r.unit+"/people")))
		if err := sp.assign(rng); err != nil {
			return nil, fmt.Errorf("people of %s: %w", r.unit, err)
		}
		if r.womensHome() {
			for _, lp := range localPartners {
				if lp.unit == r.unit && (lp.typ == "womens_home" || lp.typ == "cso") {
					sp.partner, sp.provider = partners[lp.code].ID, lp.zh
				}
			}
			if sp.partner == 0 {
				return nil, fmt.Errorf("no Women's Home or centre at %s", r.unit)
			}
			if err := sp.homeVisits(rng); err != nil {
				return nil, fmt.Errorf("people of %s: %w", r.unit, err)
			}
		} else {
			sp.classes(rng, partners)
		}
		sp.names(rng, used)
		// Card numbers follow registration.
		order := slices.Clone(sp.people)
		slices.SortStableFunc(order, func(a, b *person) int { return strings.Compare(a.registered(), b.registered()) })
		if r.unit == reporterHome {
			if err := sp.chooseRich(order); err != nil {
				return nil, err
			}
		}
		seq := 0
		for _, p := range order {
			if !p.rich {
				seq++
				p.seq = seq
			}
		}
		out = append(out, sp)
	}
	return out, nil
}

// pathID is the id at a level (1 national, 2 province, 4 county) of a materialised path, or of
// its deepest unit for a shorter path: the province a card is distributed by, the county its
// duplicates are matched in (beneficiaries' provinceOf and countyOf).
func pathID(path string, level int) int64 {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	id, _ := strconv.ParseInt(parts[min(len(parts), level)-1], 10, 64)
	return id
}

// expand lists a split's categories, each as many times as apportion gives it of n.
func expand(n int, s split) []string {
	out := make([]string, 0, n)
	for i, k := range apportion(n, s.w) {
		for range k {
			out = append(out, s.cats[i])
		}
	}
	return out
}

// assign draws each person's sex, age band, target group, ethnicity, birth and status so that
// every split of the site's reports holds exactly, with the groups fitting the ages (parents
// are adults, children are not), young women workers female and ethnic-minority children not Han.
func (sp *sitePlan) assign(rng *rand.Rand) error {
	n := sp.total
	sp.people = make([]*person, n)
	ages, ok := sp.splitOf("age")
	if !ok {
		return errors.New("no age split")
	}
	bands := expand(n, ages)
	rng.Shuffle(n, func(i, j int) { bands[i], bands[j] = bands[j], bands[i] })
	for i := range sp.people {
		sp.people[i] = &person{band: bands[i]}
	}

	g, ok := sp.splitOf("target_group")
	if !ok {
		return errors.New("no target group split")
	}
	for _, c := range g.cats {
		if !slices.Contains(groupOrder, c) {
			return fmt.Errorf("target group %s has no place in groupOrder", c)
		}
	}
	counts := apportion(n, g.w)
	perm := rng.Perm(n)
	for _, grp := range groupOrder {
		i := slices.Index(g.cats, grp)
		if i < 0 {
			continue
		}
		need := counts[i]
		for _, k := range perm {
			if need == 0 {
				break
			}
			if p := sp.people[k]; p.group == "" && fits(grp, p.band) {
				p.group = grp
				need--
			}
		}
		if need > 0 {
			return fmt.Errorf("%d people of group %s find no fitting age", need, grp)
		}
	}

	s, ok := sp.splitOf("sex")
	if !ok {
		return errors.New("no sex split")
	}
	females := apportion(n, s.w)[slices.Index(s.cats, "female")]
	order := rng.Perm(n)
	slices.SortStableFunc(order, func(a, b int) int {
		return bool2int(sp.people[b].group == "young_woman_worker") - bool2int(sp.people[a].group == "young_woman_worker")
	})
	for k, i := range order {
		p := sp.people[i]
		p.sex = "M"
		if k < females {
			p.sex = "F"
		}
		if p.sex == "M" && p.group == "young_woman_worker" {
			return errors.New("more young women workers than women")
		}
	}

	order = rng.Perm(n)
	slices.SortStableFunc(order, func(a, b int) int {
		return bool2int(sp.people[b].group == "ethnic_minority_child") - bool2int(sp.people[a].group == "ethnic_minority_child")
	})
	if e, ok := sp.splitOf("ethnicity"); ok {
		eths := expand(n, e)
		rng.Shuffle(n, func(i, j int) { eths[i], eths[j] = eths[j], eths[i] })
		slices.SortStableFunc(eths, func(a, b string) int { return bool2int(a == "han") - bool2int(b == "han") })
		for k, i := range order {
			p := sp.people[i]
			p.eth = eths[k]
			if p.eth == "han" && p.group == "ethnic_minority_child" {
				return errors.New("more ethnic-minority children than minority people")
			}
		}
	} else {
		other := minority[sp.unit.Code[:2]]
		if other == "" {
			other = "other"
		}
		for _, p := range sp.people {
			p.eth = "han"
			if p.group == "ethnic_minority_child" {
				p.eth = other
			}
		}
	}

	year := ageYear()
	for _, p := range sp.people {
		span := bandAges[p.band]
		if p.band == "25+" && p.group == "parent" {
			span = [2]int{28, 45}
		}
		a := span[0] + rng.IntN(span[1]-span[0]+1)
		days := time.Date(year-a, 12, 31, 0, 0, 0, 0, time.UTC).YearDay()
		p.birth = time.Date(year-a, 1, 1+rng.IntN(days), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		p.status = statusOf(p, sp.womensHome(), rng)
	}
	return nil
}

func bool2int(b bool) int {
	if b {
		return 1
	}
	return 0
}

func statusOf(p *person, home bool, rng *rand.Rand) string {
	switch {
	case p.group == "vocational_student":
		return "vocational_school"
	case p.group == "dropout":
		return "out_of_school"
	case !home || p.group == "migrant_child":
		return "in_school"
	case p.group == "young_woman_worker" || p.group == "parent":
		return "working"
	case young(p.band):
		return "seeking_work"
	}
	return []string{"working", "other"}[rng.IntN(2)]
}

// span is a range of days, both ends inclusive.
type span struct{ from, to time.Time }

func (s span) days() int { return int(s.to.Sub(s.from).Hours()/24) + 1 }

func (s span) pick(rng *rand.Rand) string {
	return s.from.AddDate(0, 0, rng.IntN(s.days())).Format(time.DateOnly)
}

// tertile is the range of a 4-monthly period ("2011T2": May to August 2011), cut at AsOf.
func tertile(key string) span {
	y, _ := strconv.Atoi(key[:4])
	t := int(key[5] - '0')
	from := time.Date(y, time.Month((t-1)*4+1), 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 4, -1)
	if asOf := dateOf(AsOf); to.After(asOf) {
		to = asOf
	}
	return span{from, to}
}

// schoolWeeks is the part of a period in which schools teach: the spring term after the
// Spring Festival (March-April), its end (May-June), the autumn term (September to 20 December).
func schoolWeeks(key string) span {
	t := tertile(key)
	s := t
	switch key[5] {
	case '1':
		s.from = t.from.AddDate(0, 2, 0)
	case '2':
		s.to = t.from.AddDate(0, 2, -1)
	case '3':
		s.to = t.from.AddDate(0, 3, 19)
	}
	if s.to.After(t.to) {
		s.to = t.to
	}
	return s
}

// periodWeights: later periods weigh more, as the interventions grew (as in the reports).
func periodWeights(n int) []int {
	w := make([]int, n)
	for i := range w {
		w[i] = 4 + i
	}
	return w
}

// classes puts a life-skills site's students into classes of at most classSize, each taking a
// course of lessons fortnightly in one of the site's periods (more of them in later periods),
// taught by the pilot schools of the county; each student misses a lesson now and then.
func (sp *sitePlan) classes(rng *rand.Rand, partners map[string]org.Partner) {
	var schools []partner
	for _, lp := range localPartners {
		if lp.typ == "school" && (lp.unit == sp.unit.Code || strings.HasPrefix(lp.unit, sp.unit.Code+"-")) {
			schools = append(schools, lp)
		}
	}
	perm := rng.Perm(len(sp.people))
	next := 0
	class := 0
	for pi, n := range apportion(len(sp.people), periodWeights(len(sp.periods))) {
		key := sp.periods[pi]
		weeks := schoolWeeks(key)
		k := (n + classSize - 1) / classSize
		for _, size := range apportion(n, make1(k)) {
			class++
			first := len(sp.sessions)
			start := weeks.from.AddDate(0, 0, rng.IntN(max(1, weeks.days()-14*(lessons-1))))
			provider, partnerID := "试点学校生活技能教师", int64(0)
			if len(schools) > 0 {
				s := schools[class%len(schools)]
				provider, partnerID = s.zh, partners[s.code].ID
			}
			for l := range lessons {
				sp.sessions = append(sp.sessions, classSession{date: start.AddDate(0, 0, 14*l).Format(time.DateOnly),
					title: fmt.Sprintf("生活技能课 %s 第%d班 第%d课", key, class, l+1), provider: provider, partner: partnerID})
			}
			for range size {
				p := sp.people[perm[next]]
				next++
				for l := range lessons {
					if rng.IntN(100) < 85 {
						p.visits = append(p.visits, visit{date: sp.sessions[first+l].date, typ: "life_skills", session: first + l})
					}
				}
				if len(p.visits) == 0 {
					l := rng.IntN(lessons)
					p.visits = append(p.visits, visit{date: sp.sessions[first+l].date, typ: "life_skills", session: first + l})
				}
			}
		}
	}
}

func make1(n int) []int {
	w := make([]int, n)
	for i := range w {
		w[i] = 1
	}
	return w
}

// homeVisits gives each user of a home one to four visits. Some of them came in the drift
// window (the last six months): as many as the later periods' weight gives, of whom
// keptYoungShare per cent are 12-24 at a home that kept its target group; at a drifting home
// driftRecentShare per cent came only then, and only driftYoungShare per cent of those are
// 12-24, the rest older. The others came before the window only.
func (sp *sitePlan) homeVisits(rng *rand.Rand) error {
	from := dateOf(driftFrom())
	var early, recent []string
	var wEarly, wRecent []int
	for i, key := range sp.periods {
		w := periodWeights(len(sp.periods))[i]
		if tertile(key).to.Before(from) {
			early, wEarly = append(early, key), append(wEarly, w)
		} else {
			recent, wRecent = append(recent, key), append(wRecent, w)
		}
	}
	if len(early) == 0 || len(recent) == 0 {
		return errors.New("a home needs periods before and in the drift window")
	}
	n := len(sp.people)
	var r, youngR int
	if sp.drift {
		r = n * driftRecentShare / 100
		youngR = r * driftYoungShare / 100
	} else {
		sum := 0
		for _, w := range wRecent {
			sum += w
		}
		r = n * sum / (sum + sumOf(wEarly))
		youngR = r * keptYoungShare / 100
	}
	var youngs, olds []*person
	for _, k := range rng.Perm(n) {
		if p := sp.people[k]; young(p.band) {
			youngs = append(youngs, p)
		} else {
			olds = append(olds, p)
		}
	}
	if youngR > len(youngs) || r-youngR > len(olds) {
		return fmt.Errorf("%d recent users (%d of them 12-24) do not fit %d young and %d older users", r, youngR, len(youngs), len(olds))
	}
	for _, p := range youngs[:youngR] {
		p.recent = true
	}
	for _, p := range olds[:r-youngR] {
		p.recent = true
	}
	inWindow := func(key string) span {
		s := tertile(key)
		if s.from.Before(from) {
			s.from = from
		}
		return s
	}
	for _, p := range sp.people {
		k, _ := strconv.Atoi(pick(rng, visitCounts))
		var dates []string
		switch {
		case !p.recent:
			first := weightedIndex(rng, wEarly)
			for v := range k {
				i := first
				if v > 0 {
					i = first + rng.IntN(len(early)-first)
				}
				dates = append(dates, tertile(early[i]).pick(rng))
			}
		default:
			if !sp.drift && rng.IntN(100) < returningShare {
				dates = append(dates, tertile(early[weightedIndex(rng, wEarly)]).pick(rng))
				k = max(k, 2) - 1
			}
			for range k {
				dates = append(dates, inWindow(recent[weightedIndex(rng, wRecent)]).pick(rng))
			}
		}
		slices.Sort(dates)
		for _, d := range dates {
			p.visits = append(p.visits, visit{date: d, typ: pick(rng, homeServices[p.group]), session: -1})
		}
		p.referral = rng.IntN(2) == 0
	}
	return nil
}

func sumOf(w []int) int {
	s := 0
	for _, x := range w {
		s += x
	}
	return s
}

func weightedIndex(rng *rand.Rand, w []int) int {
	n := rng.IntN(sumOf(w))
	for i, x := range w {
		if n < x {
			return i
		}
		n -= x
	}
	return len(w) - 1
}

// names gives everyone a name (and a minor a guardian), never two people of one county the
// same name and birth day: the demo holds no likely duplicates.
func (sp *sitePlan) names(rng *rand.Rand, used map[string]bool) {
	county := strconv.FormatInt(pathID(sp.unit.Path, 4), 10)
	for _, p := range sp.people {
		older := p.birth < "1985"
		for {
			given := givenNames
			switch {
			case older:
			case p.sex == "F":
				given = girlNames
			default:
				given = boyNames
			}
			name := string(surnames[rng.IntN(len(surnames))]) + given[rng.IntN(len(given))]
			key := beneficiaries.NormaliseName(name) + "|" + p.birth + "|" + county
			if !used[key] {
				used[key] = true
				p.name = name
				break
			}
		}
		if p.minor() {
			p.guardian = string([]rune(p.name)[0]) + givenNames[rng.IntN(len(givenNames))]
		}
	}
}

// rich is what the richer cards of the Helie Women's Home carry beyond the planned person: the
// sending area they come from, contacts, and where they are referred.
type rich struct {
	group    string
	home     string // unit code of the home (sending) area
	idArea   string // the area code an identity number of that home begins with
	referTo  string // unit code the person is referred to, if any
	service  string // the service the referral asks for
	reason   string
	accepted string // the receiving side's answer, when it accepts
}

// richCards: young women from the sending provinces working in Wuxi, a migrant teenager and a
// parent. Two are referred home across provinces: one accepted, one still waiting.
var richCards = []rich{
	{group: "young_woman_worker", home: "GZ-BJ-ZJ-01", idArea: "520524", referTo: "GZ-BJ-ZJ-01", service: "employment",
		reason:   "返乡前转介：本人计划7月返回织金，需要就业指导和妇女之家跟进。Returning to Zhijin in July; needs job guidance and follow-up by the Women's Home there.",
		accepted: "已接收，回乡后由城关镇妇女之家安排就业指导。Accepted; the Chengguan Women's Home will arrange job guidance on her return."},
	{group: "young_woman_worker", home: "AH-HF-FD-01", idArea: "340122", referTo: "AH-HF-FD-01", service: "legal_aid",
		reason: "欠薪纠纷，本人返乡，需要当地法律援助跟进。Wage arrears dispute; she is going home and needs local legal aid to follow up."},
	{group: "young_woman_worker", home: "HN-YZ-NY-01", idArea: "431126"},
	{group: "migrant_child", home: "YN-BN-MH-01", idArea: "532822"},
	{group: "parent", home: "AH-CH-LJ-01", idArea: "340124"},
}

// chooseRich marks the Helie people who get the richer cards: the latest registered of each
// kind in richCards, among those who came in the drift window (so the session they attend
// there changes nobody's place in the drift check), the migrant teenager a minor.
func (sp *sitePlan) chooseRich(order []*person) error {
	taken := 0
	for _, rc := range richCards {
		for i := len(order) - 1; i >= 0; i-- {
			p := order[i]
			if !p.rich && p.recent && p.group == rc.group && (rc.group != "migrant_child" || p.minor()) {
				p.rich, p.referral = true, true
				taken++
				break
			}
		}
	}
	if taken != len(richCards) {
		return fmt.Errorf("%d of %d richer cards found people at %s", taken, len(richCards), sp.unit.Code)
	}
	return nil
}

// LoadPeople creates the people behind CP2-SERV, unless the demo's cards are already there, and
// returns how many cards it created: every site's people with their cards (protected fields
// sealed with keys), consents and services in one transaction of multi-row statements; then a
// few richer cards at the Helie Women's Home through beneficiaries.Service, as a caseworker
// would make them (consents, a cross-province referral, an attendance list); then the reach
// bitmaps are rebuilt from the services. It needs the demo network, partners and users (Load).
func LoadPeople(ctx context.Context, db *store.DB, keys *seal.Keyring) (int, error) {
	if keys == nil {
		return 0, beneficiaries.ErrNoKey
	}
	l := &loader{db: db, org: org.New(db), a: access.System}
	if err := l.index(ctx); err != nil {
		return 0, fmt.Errorf("demo people: read the network: %w", err)
	}
	plans, err := planPeople(l.units, l.partners)
	if err != nil {
		return 0, fmt.Errorf("demo people: %w", err)
	}
	ids := make([]int64, len(plans))
	for i, sp := range plans {
		ids[i] = sp.unit.ID
	}
	have, err := countCards(ctx, db.R, `site_id IN (`+joinIDs(ids)+`) AND created_by = $1`, access.System.PublicID)
	if err != nil {
		return 0, err
	}
	created := 0
	if have == 0 {
		restore, err := bigCache(ctx, db)
		if err != nil {
			return 0, err
		}
		defer restore()
		if created, err = insertPeople(ctx, db, keys, plans); err != nil {
			return 0, fmt.Errorf("demo people: %w", err)
		}
	}
	for _, sp := range plans {
		if sp.unit.Code != reporterHome {
			continue
		}
		n, err := countCards(ctx, db.R, `site_id = $1`, sp.unit.ID)
		if err != nil {
			return 0, err
		}
		if n == sp.total-len(richCards) {
			if err := registerRich(ctx, l, keys, sp); err != nil {
				return 0, fmt.Errorf("demo people: Helie cards: %w", err)
			}
			created += len(richCards)
		}
	}
	if created > 0 {
		if _, err := analytics.Rebuild(ctx, db); err != nil {
			return 0, fmt.Errorf("demo people: %w", err)
		}
	}
	if _, err := loadMeasures(ctx, db, keys, l); err != nil {
		return 0, fmt.Errorf("demo people: zero and end measurements: %w", err)
	}
	return created, nil
}

// bigCache gives the SQLite writer a page cache large enough for the load's indexes (cards'
// duplicate index and the services' are written at random places) and keeps the statement
// journals every multi-row INSERT opens in memory; it returns what puts the connection back.
func bigCache(ctx context.Context, db *store.DB) (func(), error) {
	if db.Dialect != store.SQLite {
		return func() {}, nil
	}
	var cache, temp int64
	if err := db.W.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache); err != nil {
		return nil, err
	}
	if err := db.W.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&temp); err != nil {
		return nil, err
	}
	for _, p := range []string{"PRAGMA cache_size = -262144", "PRAGMA temp_store = MEMORY"} { // 256 MiB at most
		if _, err := db.W.ExecContext(ctx, p); err != nil {
			return nil, err
		}
	}
	return func() {
		bg := context.Background()
		db.W.ExecContext(bg, "PRAGMA cache_size = "+strconv.FormatInt(cache, 10))
		db.W.ExecContext(bg, "PRAGMA temp_store = "+strconv.FormatInt(temp, 10))
	}, nil
}

func countCards(ctx context.Context, q *sql.DB, where string, args ...any) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM cards WHERE `+where, args...).Scan(&n)
	return n, err
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// registeredAt is when a record of a day was made: 9 o'clock in China.
func registeredAt(date string) time.Time { return dateOf(date).Add(time.Hour) }

// insertPeople writes every planned person but the richer cards in one transaction. The
// protected fields are sealed first, sites in parallel, for the card numbers the sites' card
// sequences give.
func insertPeople(ctx context.Context, db *store.DB, keys *seal.Keyring, plans []*sitePlan) (int, error) {
	starts := make([]int64, len(plans))
	for i, sp := range plans {
		var err error
		if starts[i], err = nextCard(ctx, db.R, sp.unit.ID); err != nil {
			return 0, err
		}
	}
	errs := make([]error, len(plans))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, sp := range plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = sp.seal(keys, starts[i])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	created := 0
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		created = 0
		for i, sp := range plans {
			if next, err := nextCard(ctx, tx, sp.unit.ID); err != nil || next != starts[i] {
				return fmt.Errorf("%s: card numbers moved on during the load (%v)", sp.unit.Code, err)
			}
			n, err := sp.insert(ctx, tx, db.Dialect, starts[i])
			if err != nil {
				return fmt.Errorf("%s: %w", sp.unit.Code, err)
			}
			created += n
		}
		return nil
	})
	return created, err
}

// nextCard is the site's next card sequence number.
func nextCard(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, site int64) (int64, error) {
	var next int64
	err := q.QueryRowContext(ctx, `SELECT next FROM card_sequences WHERE site_id = $1`, site).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return 1, nil
	}
	return next, err
}

// seal numbers the site's bulk cards from start and seals their protected fields, as
// beneficiaries.Service does: each field bound to the card, the duplicate index over the name,
// birth and home county (the site's, as no home area is given).
func (sp *sitePlan) seal(keys *seal.Keyring, start int64) error {
	code := strings.ToUpper(sp.unit.Code)
	for _, p := range sp.people {
		if p.rich {
			continue
		}
		c := &sealing{number: fmt.Sprintf("%s-%06d", code, start-1+int64(p.seq))}
		var err error
		if c.name, err = keys.Seal("name", []byte(p.name), "card:"+c.number); err != nil {
			return err
		}
		if p.guardian != "" {
			if c.guardian, err = keys.Seal("guardian", []byte(p.guardian), "card:"+c.number); err != nil {
				return err
			}
			if c.giver, err = keys.Seal("giver", []byte(p.guardian), "card:"+c.number); err != nil {
				return err
			}
		}
		c.dup = beneficiaries.DupKey(keys, p.name, p.birth, sp.unit.Path)
		p.card = c
	}
	return nil
}

// insert writes one site's cards, consents, class sessions and services and its card sequence.
func (sp *sitePlan) insert(ctx context.Context, tx *sql.Tx, d store.Dialect, start int64) (int, error) {
	sys := access.System.PublicID
	var bulk []*person
	for _, p := range sp.people {
		if !p.rich {
			bulk = append(bulk, p)
		}
	}
	slices.SortFunc(bulk, func(a, b *person) int { return a.seq - b.seq })
	var cards [][]any
	for _, p := range bulk {
		var guardian any
		if p.guardian != "" {
			guardian = p.card.guardian
		}
		y, _ := beneficiaries.BirthYear(p.birth)
		at := registeredAt(p.registered())
		cards = append(cards, []any{p.card.number, sp.unit.ID, sp.province, p.sex, p.birth, y, p.eth, analytics.JoinGroups(p.groups()), p.status,
			p.card.name, guardian, p.card.dup, p.lastActive(), sys, at, at, ""})
	}
	cardID := make(map[string]int64, len(cards))
	err := insertRows(ctx, tx, d, `INSERT INTO cards (number, site_id, province_id, sex, birth_date, birth_year, ethnicity, groups, status,
		name_sealed, guardian_sealed, dup_key, last_active, created_by, created_at, updated_at, anonymised_on) VALUES `, cards, ` RETURNING id, number`, func(rows *sql.Rows) error {
		var id int64
		var number string
		if err := rows.Scan(&id, &number); err != nil {
			return err
		}
		cardID[number] = id
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("cards: %w", err)
	}
	if len(cardID) != len(cards) {
		return 0, fmt.Errorf("cards: %d written, %d returned", len(cards), len(cardID))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO card_sequences (site_id, next) VALUES ($1, $2) ON CONFLICT (site_id) DO UPDATE SET next = excluded.next`,
		sp.unit.ID, start+int64(len(cards))); err != nil {
		return 0, err
	}

	var consents [][]any
	for _, p := range bulk {
		id := cardID[p.card.number]
		purposes := []string{"services", "reporting"}
		if p.referral {
			purposes = append(purposes, "referral")
		}
		at := registeredAt(p.registered())
		for _, purpose := range purposes {
			by, giver := "self", any(nil)
			if p.minor() {
				by, giver = "guardian", p.card.giver
			}
			consents = append(consents, []any{id, purpose, by, giver, p.registered(), sys, at, ""})
		}
	}
	if err := insertRows(ctx, tx, d, `INSERT INTO card_consents (card_id, purpose, given_by, giver_sealed, given_on, recorded_by, created_at, withdrawn_on) VALUES `,
		consents, "", nil); err != nil {
		return 0, fmt.Errorf("consents: %w", err)
	}

	sessionID := make([]int64, len(sp.sessions))
	if len(sp.sessions) > 0 {
		byTitle := map[string]int{}
		var rows [][]any
		for i, s := range sp.sessions {
			byTitle[s.title] = i
			rows = append(rows, []any{sp.unit.ID, "life_skills", s.date, s.title, s.provider, sys, registeredAt(s.date)})
		}
		err := insertRows(ctx, tx, d, `INSERT INTO service_sessions (site_id, type, held_on, title, provider, created_by, created_at) VALUES `,
			rows, ` RETURNING id, title`, func(r *sql.Rows) error {
				var id int64
				var title string
				if err := r.Scan(&id, &title); err != nil {
					return err
				}
				sessionID[byTitle[title]] = id
				return nil
			})
		if err != nil {
			return 0, fmt.Errorf("sessions: %w", err)
		}
	}

	var services [][]any
	for _, p := range bulk {
		id := cardID[p.card.number]
		for _, v := range p.visits {
			var session, partner any
			provider, note := sp.provider, ""
			if v.session >= 0 {
				s := sp.sessions[v.session]
				session, provider, note = sessionID[v.session], s.provider, s.title
				if s.partner != 0 {
					partner = s.partner
				}
			} else if sp.partner != 0 {
				partner = sp.partner
			}
			services = append(services, []any{id, sp.unit.ID, v.typ, v.date, provider, partner, session, note, sys, registeredAt(v.date)})
		}
	}
	if err := insertRows(ctx, tx, d, `INSERT INTO services (card_id, site_id, type, served_on, provider, partner_id, session_id, note, created_by, created_at) VALUES `,
		services, "", nil); err != nil {
		return 0, fmt.Errorf("services: %w", err)
	}
	return len(cards), audit.Record(ctx, tx, access.System, "create", "cards", 0, sp.unit.ID, nil,
		map[string]any{"demo": sp.note, "cards": len(cards), "services": len(services), "sessions": len(sp.sessions)})
}

// rowsPerStatement bounds a multi-row statement.
const rowsPerStatement = 100

// insertRows writes rows with multi-row INSERT statements of rowsPerStatement rows; head ends
// in VALUES, returning (if any) is scanned row by row. On SQLite, whose parser looks each $n up
// in a list of the statement's parameters (quadratic in their number), the numbers and the
// strings this file makes are written into the statement as literals; only sealed values and
// times are bound, each distinct time once per statement.
func insertRows(ctx context.Context, tx *sql.Tx, d store.Dialect, head string, rows [][]any, returning string, scan func(*sql.Rows) error) error {
	for lo := 0; lo < len(rows); lo += rowsPerStatement {
		chunk := rows[lo:min(len(rows), lo+rowsPerStatement)]
		var sb strings.Builder
		sb.WriteString(head)
		var args []any
		times := map[time.Time]int{}
		for i, row := range chunk {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					sb.WriteByte(',')
				}
				if d == store.SQLite {
					switch x := v.(type) {
					case nil:
						sb.WriteString("NULL")
						continue
					case int:
						sb.WriteString(strconv.Itoa(x))
						continue
					case int64:
						sb.WriteString(strconv.FormatInt(x, 10))
						continue
					case string:
						sb.WriteString("'" + strings.ReplaceAll(x, "'", "''") + "'")
						continue
					case time.Time:
						if k, ok := times[x]; ok {
							sb.WriteString("$" + strconv.Itoa(k))
							continue
						}
						times[x] = len(args) + 1
					}
				}
				args = append(args, v)
				sb.WriteString("$" + strconv.Itoa(len(args)))
			}
			sb.WriteByte(')')
		}
		if returning == "" {
			if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
				return err
			}
			continue
		}
		rs, err := tx.QueryContext(ctx, sb.String()+returning, args...)
		if err != nil {
			return err
		}
		for rs.Next() {
			if err := scan(rs); err != nil {
				rs.Close()
				return err
			}
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
	}
	return nil
}

// registerRich registers the Helie Women's Home's richer cards as its caseworker does, each on
// the day the person first came: the card with contacts and home area, consents, services;
// then refers two of them home and the receiving Guizhou home accepts, and enters the
// peer-support session they attended on the review's last day from its attendance list.
func registerRich(ctx context.Context, l *loader, keys *seal.Keyring, sp *sitePlan) error {
	users, err := auth.New(l.db).Users(ctx, access.System)
	if err != nil {
		return err
	}
	var cw access.Actor
	for _, u := range users {
		if u.Username == "caseworker" {
			cw = u.Actor()
		}
	}
	if cw.PublicID == "" {
		return errors.New("the demo caseworker account is missing (run Load first)")
	}
	svc := beneficiaries.New(l.db, keys)
	today := AsOf
	svc.SetToday(func() string { return today })
	var people []*person
	for _, p := range sp.people {
		if p.rich {
			people = append(people, p)
		}
	}
	slices.SortStableFunc(people, func(a, b *person) int { return strings.Compare(a.registered(), b.registered()) })
	kinds := slices.Clone(richCards)
	var numbers []string
	type referral struct {
		card int64
		rc   rich
	}
	var refs []referral
	for i, p := range people {
		k := slices.IndexFunc(kinds, func(rc rich) bool { return rc.group == p.group })
		rc := kinds[k]
		kinds = slices.Delete(kinds, k, k+1)
		home, err := l.unitOf(rc.home)
		if err != nil {
			return err
		}
		today = p.registered()
		by, giver := "self", ""
		if p.minor() {
			by, giver = "guardian", p.guardian
		}
		var consents []beneficiaries.ConsentInput
		for _, purpose := range beneficiaries.Purposes {
			consents = append(consents, beneficiaries.ConsentInput{Purpose: purpose, GivenBy: by, Giver: giver, GivenOn: p.registered()})
		}
		c, err := svc.Register(ctx, cw, beneficiaries.CardInput{SiteID: sp.unit.ID, Sex: p.sex, Birth: p.birth, Ethnicity: p.eth, Groups: p.groups(),
			HomeUnitID: home.ID, CurrentUnitID: sp.unit.ID, Status: p.status, Name: p.name, Guardian: p.guardian,
			IDNumber: idNumber(rc.idArea, p.birth, i, p.sex), Phone: fmt.Sprintf("1390510%04d", 3170+i*211),
			Address: fmt.Sprintf("无锡市滨湖区河埒街道青祁路%d号", 18+i*7)}, consents)
		if err != nil {
			return fmt.Errorf("register %s: %w", p.name, err)
		}
		today = AsOf
		var ins []beneficiaries.ServiceInput
		for _, v := range p.visits {
			ins = append(ins, beneficiaries.ServiceInput{CardID: c.ID, SiteID: sp.unit.ID, Type: v.typ, Date: v.date, Provider: sp.provider, PartnerID: sp.partner})
		}
		if _, err := svc.AddServices(ctx, cw, ins, 0); err != nil {
			return fmt.Errorf("services of %s: %w", c.Number, err)
		}
		numbers = append(numbers, c.Number)
		if rc.referTo != "" {
			refs = append(refs, referral{c.ID, rc})
		}
	}
	for _, r := range refs {
		to, err := l.unitOf(r.rc.referTo)
		if err != nil {
			return err
		}
		ref, err := svc.Refer(ctx, cw, beneficiaries.ReferralInput{CardID: r.card, ToUnitID: to.ID, ServiceType: r.rc.service, Reason: r.rc.reason})
		if err != nil {
			return fmt.Errorf("refer to %s: %w", to.Code, err)
		}
		if r.rc.accepted != "" {
			there := access.Actor{PublicID: access.System.PublicID, Username: access.System.Username, Role: access.Caseworker, UnitID: to.ID, UnitPath: to.Path}
			if _, err := svc.Respond(ctx, there, ref.ID, "accepted", r.rc.accepted); err != nil {
				return fmt.Errorf("accept at %s: %w", to.Code, err)
			}
		}
	}
	_, err = svc.AddSession(ctx, cw, beneficiaries.SessionInput{SiteID: sp.unit.ID, Type: "peer_support", Date: AsOf,
		Title: "大姐姐同伴小组：安全求职与劳动权益 / Big sisters' group: safe job-seeking and labour rights", Provider: sp.provider, Attendees: numbers})
	return err
}

// idNumber makes a well-formed (not real) resident identity number: area, birth date, a
// sequence whose last digit is odd for men and even for women, and the ISO 7064 check digit.
func idNumber(area, birth string, i int, sex string) string {
	seq := 100 + i*12
	if (seq%2 == 1) != (sex == "M") {
		seq++
	}
	body := area + strings.ReplaceAll(birth, "-", "") + fmt.Sprintf("%03d", seq%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for j, w := range weights {
		sum += int(body[j]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}
