package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// turnoverCells reads the turnover row of one title: holders, departures, vacant days, mean
// tenure and who holds it at the end of the period.
func turnoverCells(t *testing.T, page, title string) []string {
	t.Helper()
	row := netElement(t, page, "turnover-"+title, "tr")
	var out []string
	for _, class := range []string{"holders", "departures", "vacant", "tenure"} {
		m := regexp.MustCompile(`class="num ` + class + `">([^<]*)<`).FindStringSubmatch(row)
		if m == nil {
			t.Fatalf("turnover row %s has no %s cell:\n%s", title, class, row)
		}
		out = append(out, m[1])
	}
	m := regexp.MustCompile(`class="held">(.*?)</td>`).FindStringSubmatch(row)
	if m == nil {
		t.Fatalf("turnover row %s has no held cell:\n%s", title, row)
	}
	return append(out, m[1])
}

func TestOfficePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newNetEnv(t, db)
		netContains(t, "new office form", e.get("/offices/new?unit="+nid(e.province.ID)), `name="kind"`, `value="provincial"`)

		bad := url.Values{"unit_id": {nid(e.province.ID)}, "kind": {""}, "name_zh": {"云南省项目办公室"}, "name_en": {""}}
		en := e.postInvalid("/offices", "en", bad)
		netContains(t, "office form (en)", netElement(t, en, "err-kind", "span"), "Kind is required.")
		netContains(t, "office form (en)", netElement(t, en, "err-name_en", "span"), "Name (English) is required.")
		zh := e.postInvalid("/offices", "zh-CN,zh;q=0.9", bad)
		netContains(t, "office form (zh)", netElement(t, zh, "err-kind", "span"), "类别为必填项。")

		loc := e.post("/offices", url.Values{"unit_id": {nid(e.province.ID)}, "kind": {"provincial"}, "name_zh": {"云南省项目办公室"}, "name_en": {"Yunnan project office"}})
		oid := netID(t, loc)
		opath := "/offices/" + nid(oid)

		for _, p := range []url.Values{
			{"title": {"npc"}, "holder": {"Chen A"}, "funded_by": {"ILO-IPEC"}, "start_on": {"2012-01-01"}, "end_on": {"2012-03-31"}},
			{"title": {"npc"}, "holder": {"Chen B"}, "funded_by": {"ILO-IPEC"}, "start_on": {"2012-05-01"}},
			{"title": {"ppa"}, "holder": {"Liu C"}, "funded_by": {"ACWF"}, "start_on": {"2012-02-01"}, "note": {"part-time"}},
			{"title": {"cta"}, "holder": {"Dana D"}, "start_on": {"2012-01-01"}},
		} {
			e.post(opath+"/positions", p)
		}
		badPos := e.postInvalid(opath+"/positions", "en", url.Values{"title": {"npc"}, "holder": {"Chen E"}, "start_on": {"2012-06-01"}, "end_on": {"2012-05-01"}})
		netContains(t, "position ending before it starts", netElement(t, badPos, "err-position-end_on", "span"), "End cannot be before 2012-06-01.")
		netContains(t, "position form keeps input", badPos, `value="Chen E"`)

		page := e.get(opath + "?lang=en")
		pid := regexp.MustCompile(`<details id="position-(\d+)">\s*<summary>Liu C `).FindStringSubmatch(page)
		if pid == nil {
			t.Fatal("no change form for Liu C")
		}
		// Liu leaves at the end of February: the departure is recorded with an end date.
		e.post("/positions/"+pid[1], url.Values{"office_id": {nid(oid)}, "title": {"ppa"}, "holder": {"Liu C"}, "funded_by": {"ACWF"},
			"start_on": {"2012-02-01"}, "end_on": {"2012-02-29"}, "note": {"part-time"}})
		// An end before the start is refused on that position's form.
		refused := e.postInvalid("/positions/"+pid[1], "en", url.Values{"office_id": {nid(oid)}, "title": {"ppa"}, "holder": {"Liu C"}, "start_on": {"2012-02-01"}, "end_on": {"2012-01-15"}})
		netContains(t, "departure before start", netElement(t, refused, "err-position-"+pid[1]+"-end_on", "span"), "End cannot be before 2012-02-01.")
		netContains(t, "departure form opens", refused, `<details id="position-`+pid[1]+`" open>`)

		page = e.get(opath + "?lang=en&from=2012-01-01&to=2012-12-31")
		staff := netElement(t, page, "staff", "section")
		netContains(t, "staff", staff, `id="staff-npc"`, "Chen A", "Chen B", "ILO-IPEC", "2012-03-31", "part-time", "2012-02-29", "Provincial project assistant")
		netContains(t, "staff now", netElement(t, page, "office-staff-now", "a"), ">2")
		// 2012 is a leap year: Chen A 91 days, Chen B 245 to year end, npc vacant through April.
		for title, want := range map[string][]string{
			"npc": {"2", "1", "30", "168", "Chen B"},
			"ppa": {"1", "1", "337", "29", `<span class="muted">vacant</span>`},
			"cta": {"1", "0", "0", "366", "Dana D"},
		} {
			if got := turnoverCells(t, page, title); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("turnover %s: got %v, want %v", title, got, want)
			}
		}
		netContains(t, "total departures", netElement(t, page, "turnover-departures", "td"), ">2")
		netLacks(t, "turnover", netElement(t, page, "turnover-table", "table"), "turnover-npm")

		// The first quarter: Chen A's last day is the last day of the period, so the title counts as held then.
		page = e.get(opath + "?lang=zh&from=2012-01-01&to=2012-03-31")
		if got := turnoverCells(t, page, "npc"); strings.Join(got, "|") != "1|1|0|91|Chen A" {
			t.Errorf("Q1 npc turnover: %v", got)
		}
		netContains(t, "zh title label", page, "国家项目协调员", "省项目助理", "首席技术顾问")

		// Without a period the turnover runs from the earliest start to today.
		page = e.get(opath)
		netContains(t, "default period", netElement(t, page, "turnover-period", "form"), `name="from" value="2012-01-01"`)

		status, _, body := e.do(e.client, "GET", opath+"?lang=en&from=2012-12-31&to=2012-01-01", "", nil)
		if status != http.StatusBadRequest {
			t.Errorf("reversed period: status %d, want 400", status)
		}
		netContains(t, "reversed period", netElement(t, body, "err-to", "span"), "To cannot be before 2012-12-31.")
		netContains(t, "unit page", e.get("/units/"+nid(e.province.ID)), `href="/offices/`+nid(oid)+`"`)
	})
}

type netTurnover struct {
	From       string              `json:"from"`
	To         string              `json:"to"`
	Departures int                 `json:"departures"`
	Items      []org.TitleTurnover `json:"items"`
}

func TestOfficeAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newNetEnv(t, db)
		tok := e.token()
		var o org.Office
		if st := e.api(tok, "POST", "/api/v1/offices", map[string]any{"unit_id": e.province.ID, "kind": "provincial", "name_zh": "云南省项目办公室", "name_en": "Yunnan PO"}, &o); st != http.StatusCreated {
			t.Fatalf("create office: status %d", st)
		}
		var ae netAPIErr
		if st := e.api(tok, "POST", "/api/v1/offices", map[string]any{"unit_id": e.province.ID, "kind": "county", "name_zh": "x", "name_en": "x"}, &ae); st != http.StatusUnprocessableEntity || ae.Field != "kind" {
			t.Errorf("bad kind: status %d, %+v", st, ae)
		}
		var os netList[org.Office]
		if st := e.api(tok, "GET", "/api/v1/units/"+nid(e.province.ID)+"/offices", nil, &os); st != http.StatusOK || os.Total != 1 || os.Items[0].ID != o.ID {
			t.Fatalf("unit offices: status %d, %+v", st, os)
		}
		var first, second org.Position
		base := "/api/v1/offices/" + nid(o.ID)
		if st := e.api(tok, "POST", base+"/positions", map[string]any{"title": "ppc", "holder": "Zhang A", "funded_by": "ILO-IPEC", "start_on": "2012-01-01"}, &first); st != http.StatusCreated {
			t.Fatalf("add position: status %d", st)
		}
		if st := e.api(tok, "POST", base+"/positions", map[string]any{"title": "ppc", "holder": "Zhang B", "start_on": "2012-07-01"}, &second); st != http.StatusCreated {
			t.Fatalf("add position: status %d", st)
		}
		// A position PATCH changes only what it sends: recording the departure keeps the rest.
		var ended org.Position
		if st := e.api(tok, "PATCH", "/api/v1/positions/"+nid(first.ID), map[string]any{"end_on": "2012-06-15"}, &ended); st != http.StatusOK || ended.EndOn != "2012-06-15" || ended.FundedBy != "ILO-IPEC" || ended.Holder != "Zhang A" {
			t.Errorf("record departure: status %d, %+v", st, ended)
		}
		var ps netList[org.Position]
		if st := e.api(tok, "GET", base+"/positions", nil, &ps); st != http.StatusOK || ps.Total != 2 {
			t.Errorf("positions: status %d, %+v", st, ps)
		}
		if st := e.api(tok, "GET", base, nil, &o); st != http.StatusOK || o.Staff != 1 {
			t.Errorf("office: status %d, %+v", st, o)
		}

		var tv netTurnover
		if st := e.api(tok, "GET", base+"/turnover?from=2012-01-01&to=2012-12-31", nil, &tv); st != http.StatusOK {
			t.Fatalf("turnover: status %d", st)
		}
		// Zhang A: Jan 1 – Jun 15 (167 days); Zhang B: Jul 1 – Dec 31 (184 days); Jun 16–30 vacant.
		want := org.TitleTurnover{Title: "ppc", Holders: 2, Departures: 1, VacantDays: 15, MeanTenure: 175, HeldNow: true, CurrentName: "Zhang B"}
		if tv.Departures != 1 || len(tv.Items) != 1 || tv.Items[0] != want || tv.From != "2012-01-01" || tv.To != "2012-12-31" {
			t.Errorf("turnover: %+v, want one item %+v", tv, want)
		}
		tv = netTurnover{}
		if st := e.api(tok, "GET", base+"/turnover", nil, &tv); st != http.StatusOK || tv.From != "2012-01-01" || tv.To == "" {
			t.Errorf("default turnover period: status %d, %s–%s", st, tv.From, tv.To)
		}
		ae = netAPIErr{}
		if st := e.api(tok, "GET", base+"/turnover?from=2012-02-30", nil, &ae); st != http.StatusUnprocessableEntity || ae.Field != "from" {
			t.Errorf("bad period: status %d, %+v", st, ae)
		}
		if st := e.api(tok, "GET", "/api/v1/offices/999999/turnover", nil, &ae); st != http.StatusNotFound {
			t.Errorf("missing office: status %d", st)
		}
	})
}
