package web

import (
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// An indicator counting the people served (aggregation reach) has no values: on the drill-down
// its figure says it is the different people on the beneficiary cards and links, for the unit
// and for each unit below, to the reach page that lists them (which shows the same figure); the
// values page says so and links there too; the trend shows the people served per year and per
// half-year; the export leaves the values counted empty and says what the figure is counted from.
func TestReachIndicatorDrillLinksTheCards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := resSetup(t, db)
		n := x.net
		svc, sys := results.New(db), access.System
		fw, err := svc.NewVersion(ctx, sys, x.fw.ID)
		if err != nil {
			t.Fatal(err)
		}
		serv, err := svc.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "SERV", FrameworkCode: "FXLF", ElementCode: "O1.1", NameZH: "接受服务的人数",
			NameEN: "People receiving services", Type: "count", Aggregation: "reach"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Approve(ctx, sys, fw.ID); err != nil {
			t.Fatal(err)
		}
		b := beneficiaries.New(db, fxKeys(t))
		b.SetToday(func() string { return "2012-12-31" })
		// A is served in Hefei in 2011 and again in 2012, B in Hefei in the second half of 2011,
		// C in Nanjing in the first half of 2011.
		for _, p := range []struct {
			name  string
			site  org.Unit
			dates []string
		}{{"A", n.AnhuiCity, []string{"2011-03-10", "2012-02-01"}}, {"B", n.AnhuiCity, []string{"2011-09-05"}}, {"C", n.JiangsuCity, []string{"2011-05-01"}}} {
			c, err := b.Register(ctx, sys, beneficiaries.CardInput{SiteID: p.site.ID, Sex: "F", Birth: "1995", Status: "other", Name: p.name, Guardian: "G"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range p.dates {
				if _, err := b.AddService(ctx, sys, beneficiaries.ServiceInput{CardID: c.ID, SiteID: p.site.ID, Type: "counselling", Date: d}); err != nil {
					t.Fatal(err)
				}
			}
		}
		reachURL := func(unit int64) string {
			return "/reach?" + url.Values{"unit": {itoa(unit)}, "from": {"2011-03"}, "to": {"2012-02"}}.Encode()
		}
		drillQ := url.Values{"indicator": {itoa(serv.ID)}, "unit": {itoa(n.National.ID)}, "period": {"LOP"}}.Encode()
		r := x.nat.get(t, "/results/progress/drill?lang=en&"+drillQ)
		if r.Status != http.StatusOK {
			t.Fatalf("drill: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		own := r.Body[strings.Index(r.Body, `id="own-actual"`):]
		own = own[:strings.Index(own, "</dd>")]
		if !strings.Contains(own, `<a href="`+html.EscapeString(reachURL(n.National.ID))+`">3</a>`) || !strings.Contains(own, "different people served") ||
			regexp.MustCompile(`from \d+ values`).MatchString(own) {
			t.Errorf("the nation's figure does not say it counts people from the cards, or link to them:\n%s", own)
		}
		for code, want := range map[string]struct {
			unit   int64
			figure string
		}{"FXAH34": {n.Anhui.ID, "2"}, fxJSCode: {n.Jiangsu.ID, "1"}} {
			row := r.Body[strings.Index(r.Body, `id="drill-row-`+code+`"`):]
			row = row[:strings.Index(row, "</tr>")]
			if got := resCellText(t, r.Body, "drill-row-"+code, "actual"); got != want.figure || !strings.Contains(row, `href="`+html.EscapeString(reachURL(want.unit))+`"`) {
				t.Errorf("%s: %q, row\n%s", code, got, row)
			}
		}
		// The trend, by year and by half-year: people served in each (A in both years).
		bars := regexp.MustCompile(`<text[^>]*font-size="12">([^<]*)</text>`)
		trend := func(q string) []string {
			t.Helper()
			body := x.nat.get(t, "/results/progress/drill?lang=en&"+q).Body
			if strings.Contains(body[strings.Index(body, `id="trend"`):], "no data") {
				t.Errorf("trend (%s) says no data", q)
			}
			var out []string
			for _, m := range bars.FindAllStringSubmatch(body, -1) {
				out = append(out, m[1])
			}
			return out
		}
		if got := strings.Join(trend(drillQ), " "); got != "3 1" {
			t.Errorf("trend by year %q, want 3 1", got)
		}
		if got := strings.Join(trend(drillQ+"&trend=half"), " "); got != "2 1 1" {
			t.Errorf("trend by half-year %q, want 2 1 1", got)
		}
		// The reach page the figure links to shows the same figure.
		if got := x.nat.get(t, reachURL(n.National.ID)+"&lang=en").Body; !strings.Contains(got, `<strong id="reach-figure">3</strong>`) {
			t.Errorf("the reach page linked from the figure does not show 3:\n%s", fxSnippet(got))
		}
		// The values page: no values, and the way to the people.
		for lang, text := range map[string]string{"en": "no entered values", "zh": "没有录入数值"} {
			v := x.nat.get(t, "/results/values?lang="+lang+"&"+drillQ)
			if v.Status != http.StatusOK || !strings.Contains(v.Body, `id="values-reach"`) || !strings.Contains(v.Body, text) ||
				!strings.Contains(v.Body, `href="`+html.EscapeString(reachURL(n.National.ID))+`" id="values-reach-link"`) || strings.Contains(v.Body, `id="no-values"`) {
				t.Errorf("values page of a reach indicator (%s): %d\n%s", lang, v.Status, fxSnippet(v.Body))
			}
		}
		// The progress table's link beside the figure leads to the people too.
		p := x.nat.get(t, "/results/progress?lang=en&"+url.Values{"framework": {"FXLF"}, "unit": {itoa(n.National.ID)}, "period": {"LOP"}}.Encode())
		row := p.Body[strings.Index(p.Body, `id="progress-row-SERV"`):]
		if row = row[:strings.Index(row, "</tr>")]; !strings.Contains(row, `class="values-link" href="`+html.EscapeString(reachURL(n.National.ID))+`">people<`) {
			t.Errorf("progress row of a reach indicator:\n%s", row)
		}
		// The export: no "values counted" for people, and what each figure is counted from.
		r = x.nat.get(t, "/results/progress.csv?lang=en&"+url.Values{"framework": {"FXLF"}, "unit": {itoa(n.National.ID)}, "period": {"LOP"}}.Encode())
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		byCode := map[string][]string{}
		for _, rec := range recs[1:] {
			byCode[rec[2]] = rec
		}
		if s := byCode["SERV"]; len(s) != 11 || s[6] != "3" || s[7] != "" || s[10] != "beneficiary cards (different people served)" {
			t.Errorf("CSV row of the reach indicator %q", s)
		}
		if recs[0][10] != "Figure counted from" || byCode["DM"][10] != "stored values" {
			t.Errorf("CSV header %q, DM row %q", recs[0], byCode["DM"])
		}
	})
}
