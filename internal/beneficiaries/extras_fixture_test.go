package beneficiaries

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/seal"
	"ting/internal/store"
	"ting/internal/valid"
)

// xWorld is the network the feedback, measurement and drift tests run in: Anhui with a county
// of three sites, Jiangsu with one; a caseworker of the Anhui county, provincial officers of
// both provinces and a donor (aggregates only) of Anhui.
type xWorld struct {
	svc                  *Service
	db                   *store.DB
	cn, ah, fd           org.Unit
	fd1, fd2, fd3        org.Unit
	js, bh, bh1          org.Unit
	caseAH, caseJS       access.Actor
	officerAH, officerJS access.Actor
	donorAH, national    access.Actor
	registered           int
}

const xToday = "2012-06-30"

func xFixture(t *testing.T, db *store.DB) *xWorld {
	t.Helper()
	ctx := context.Background()
	o := org.New(db)
	mk := func(code string, level org.Level, parent int64) org.Unit {
		u, err := o.CreateUnit(ctx, access.System, org.UnitInput{Code: code, Level: level, ParentID: parent, NameZH: code + "站", NameEN: code + " site", Effective: "2009-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	w := &xWorld{db: db}
	w.cn = mk("CN", org.National, 0)
	w.ah = mk("AH", org.Provincial, w.cn.ID)
	hf := mk("AH-HF", org.Municipal, w.ah.ID)
	w.fd = mk("AH-HF-FD", org.County, hf.ID)
	w.fd1 = mk("AH-HF-FD-01", org.Community, w.fd.ID)
	w.fd2 = mk("AH-HF-FD-02", org.Community, w.fd.ID)
	w.fd3 = mk("AH-HF-FD-03", org.Community, w.fd.ID)
	w.js = mk("JS", org.Provincial, w.cn.ID)
	wx := mk("JS-WX", org.Municipal, w.js.ID)
	w.bh = mk("JS-WX-BH", org.County, wx.ID)
	w.bh1 = mk("JS-WX-BH-01", org.Community, w.bh.ID)
	keys, err := seal.NewKeyring(map[byte][]byte{1: bytes.Repeat([]byte{7}, seal.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	w.svc = New(db, keys)
	w.svc.SetToday(func() string { return xToday })
	w.caseAH = access.Actor{PublicID: "x-case-ah", Username: "x-case-ah", Role: access.Caseworker, UnitID: w.fd.ID, UnitPath: w.fd.Path}
	w.caseJS = access.Actor{PublicID: "x-case-js", Username: "x-case-js", Role: access.Caseworker, UnitID: w.bh.ID, UnitPath: w.bh.Path}
	w.officerAH = access.Actor{PublicID: "x-off-ah", Role: access.ProvincialOfficer, UnitID: w.ah.ID, UnitPath: w.ah.Path}
	w.officerJS = access.Actor{PublicID: "x", Role: access.ProvincialOfficer, UnitID: w.js.ID, UnitPath: w.js.Path}
	w.donorAH = access.Actor{PublicID: "x-donor", Role: access.Donor, UnitID: w.ah.ID, UnitPath: w.ah.Path}
	w.national = access.Actor{PublicID: "x-nat", Role: access.NationalOfficer, UnitID: w.cn.ID, UnitPath: w.cn.Path}
	return w
}

// xCard registers a person at a site, born on birth (YYYY or YYYY-MM-DD), in groups.
func (w *xWorld) xCard(t *testing.T, site org.Unit, birth string, groups ...string) Card {
	t.Helper()
	w.registered++
	a := w.caseAH
	if strings.HasPrefix(site.Code, "JS") {
		a = w.caseJS
	}
	c, err := w.svc.Register(context.Background(), a, CardInput{SiteID: site.ID, Sex: "F", Birth: birth, Groups: groups, Status: "working",
		Name: fmt.Sprintf("X Person %d", w.registered), Guardian: "X Guardian"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// xServe records services to cards at a site on a date.
func (w *xWorld) xServe(t *testing.T, site org.Unit, date string, cards ...Card) {
	t.Helper()
	a := w.caseAH
	if strings.HasPrefix(site.Code, "JS") {
		a = w.caseJS
	}
	ins := make([]ServiceInput, len(cards))
	for i, c := range cards {
		ins[i] = ServiceInput{CardID: c.ID, SiteID: site.ID, Type: "life_skills", Date: date}
	}
	if _, err := w.svc.AddServices(context.Background(), a, ins, 0); err != nil {
		t.Fatal(err)
	}
}

// xMust fails the test on err: xMust(s.Call(...))(t).
func xMust[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// xFails reports the validation failures of err as "field:rule(param)" with "#row " before
// row-wise ones, or the error text when it is not a validation error.
func xFails(err error) string {
	es, ok := valid.As(err)
	if !ok {
		return fmt.Sprint(err)
	}
	parts := make([]string, len(es))
	for i, e := range es {
		s := e.Field + ":" + e.Rule
		if e.Param != "" {
			s += "(" + e.Param + ")"
		}
		if e.Row > 0 {
			s = fmt.Sprintf("#%d %s", e.Row, s)
		}
		parts[i] = s
	}
	return strings.Join(parts, "; ")
}

func xNear(got, want float64) bool { return math.Abs(got-want) < 1e-4 }

// xCount counts rows of a query.
func xCount(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
