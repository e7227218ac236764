package web

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// biFixture is the two-province fixture network with a results framework, an Action Programme
// in Anhui whose first report is approved (and a Letter of Exchange whose report is not), and a
// Mini Programme in Jiangsu with an approved report, all in the first half of 2011.
type biFixture struct {
	app             *fxApp
	net             fxNet
	nat, ah, js     *fxClient
	natAPI, ahAPI   *fxClient
	ap              plans.Intervention
	advance, first  plans.StoredTranche
	query, natQuery string
}

const (
	biNarrativeZH = "在合肥四所学校培训了四十名教师。"
	biNarrativeEN = "Trained forty teachers in four Hefei schools."
	biPendingText = "Exchange visit report awaiting approval."
	biJiangsuText = "江苏测试雇主签署了行为守则。"
)

func biSetup(t *testing.T, db *store.DB) biFixture {
	t.Helper()
	ctx := context.Background()
	sys := access.System
	x := biFixture{app: fxServer(t, db), net: fxNetwork(t, db)}
	n := x.net
	nat := fxUser(t, db, "fxbi_national", access.NationalOfficer, n.National.ID)
	ahUser := fxUser(t, db, "fxbi_anhui", access.ProvincialOfficer, n.Anhui.ID)
	jsUser := fxUser(t, db, "fxbi_jiangsu", access.ProvincialOfficer, n.Jiangsu.ID)
	x.nat, x.ah, x.js = x.app.fxLogin(t, nat.Username, fxPassword), x.app.fxLogin(t, ahUser.Username, fxPassword), x.app.fxLogin(t, jsUser.Username, fxPassword)
	x.natAPI, x.ahAPI = x.app.fxBearer(t, fxToken(t, db, nat)), x.app.fxBearer(t, fxToken(t, db, ahUser))

	rs := results.New(db)
	fw, err := rs.CreateFramework(ctx, sys, results.FrameworkInput{Code: "FXBI", UnitID: n.National.ID, NameZH: "测试逻辑框架", NameEN: "Fixture logframe"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []results.ElementInput{
		{Kind: "development_objective", Code: "DO", NameZH: "发展目标", NameEN: "Development objective"},
		{Kind: "immediate_objective", ParentCode: "DO", Code: "IO1", NameZH: "目标一", NameEN: "Objective one"},
		{Kind: "output", ParentCode: "IO1", Code: "O1.1", NameZH: "教师培训产出", NameEN: "Teachers trained output"},
	} {
		if _, err := rs.AddElement(ctx, sys, fw.ID, e); err != nil {
			t.Fatal(err)
		}
	}
	tch, err := rs.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "FXBI-TCH", FrameworkCode: "FXBI", ElementCode: "O1.1", NameZH: "受培训教师", NameEN: "Teachers trained",
		Type: "count", Aggregation: "sum"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Approve(ctx, sys, fw.ID); err != nil {
		t.Fatal(err)
	}
	if err := rs.SetTarget(ctx, sys, tch.ID, n.Anhui.ID, "2011S1", 50, ""); err != nil {
		t.Fatal(err)
	}

	o := org.New(db)
	ahAgency, err := o.CreatePartner(ctx, sys, org.PartnerInput{Code: "FXBI-AH-WH", UnitID: n.AnhuiCity.ID, Type: "womens_home", NameZH: "合肥测试妇女之家", NameEN: "Hefei Fixture Women's Home"})
	if err != nil {
		t.Fatal(err)
	}
	ahOfficer := access.Actor{PublicID: "fxbi_ah", Role: access.ProvincialOfficer, UnitID: n.Anhui.ID, UnitPath: n.Anhui.Path}
	jsOfficer := access.Actor{PublicID: "fxbi_js", Role: access.ProvincialOfficer, UnitID: n.Jiangsu.ID, UnitPath: n.Jiangsu.Path}
	natOfficer := access.Actor{PublicID: "fxbi_nat", Role: access.NationalOfficer, UnitID: n.National.ID, UnitPath: n.National.Path}
	ahAgent := access.Actor{PublicID: "fxbi_ahag", Role: access.AgencyReporter, UnitID: n.AnhuiCity.ID, UnitPath: n.AnhuiCity.Path, PartnerID: ahAgency.ID}
	jsAgent := access.Actor{PublicID: "fxbi_jsag", Role: access.AgencyReporter, UnitID: n.JiangsuCity.ID, UnitPath: n.JiangsuCity.Path, PartnerID: n.Partner.ID}

	svc := plans.New(db)
	at := func(day string) { svc.SetToday(func() string { return day }) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	at("2011-01-10")
	ahPlan, err := svc.CreateWorkPlan(ctx, ahOfficer, plans.WorkPlanInput{UnitID: n.Anhui.ID, Year: 2011, TitleZH: "安徽测试工作计划", TitleEN: "Anhui fixture work plan"})
	must(err)
	jsPlan, err := svc.CreateWorkPlan(ctx, jsOfficer, plans.WorkPlanInput{UnitID: n.Jiangsu.ID, Year: 2011, TitleZH: "江苏测试工作计划", TitleEN: "Jiangsu fixture work plan"})
	must(err)
	create := func(a access.Actor, plan plans.WorkPlan, agency, loc int64, code, zh, en, format, start, end string, budget int64) plans.Intervention {
		t.Helper()
		iv, err := svc.CreateIntervention(ctx, a, plans.InterventionPlan{WorkPlanID: plan.ID, Code: code, TitleZH: zh, TitleEN: en, AgencyID: agency,
			Locations: []int64{loc}, Indicators: []plans.TargetInput{{Code: "FXBI-TCH"}},
			Rules: plans.InterventionInput{Format: format, StartOn: start, EndOn: end, AdvanceShare: 3000,
				Budget: []plans.BudgetLine{{Item: "Training", Currency: "CNY", Amount: budget}}}})
		must(err)
		return iv
	}
	x.ap = create(ahOfficer, ahPlan, ahAgency.ID, n.AnhuiCity.ID, "FXBI-AP-01", "生活技能教育测试项目", "Life skills fixture programme",
		plans.ActionProgramme, "2011-01-01", "2011-12-31", 12_000_000)
	loe := create(ahOfficer, ahPlan, ahAgency.ID, n.AnhuiCity.ID, "FXBI-LOE-02", "交流测试项目", "Exchange fixture", plans.LetterOfExchange, "2011-04-01", "2011-05-15", 500_000)
	mp := create(jsOfficer, jsPlan, n.Partner.ID, n.JiangsuCity.ID, fxJSCode+"-MP", "江苏测试小型项目", "Jiangsu fixture mini programme",
		plans.MiniProgramme, "2011-01-01", "2011-04-30", 2_000_000)
	ts, err := svc.Tranches(ctx, natOfficer, x.ap.ID)
	must(err)
	x.advance, x.first = ts[0], ts[1]
	at("2011-01-20") // a release is dated no later than the day it is recorded
	_, err = svc.Release(ctx, natOfficer, x.advance.ID, "2011-01-20", "FXBI-PAY-1")
	must(err)

	report := func(a access.Actor, iv plans.Intervention, d plans.ReportDraft) plans.Report {
		t.Helper()
		reps, err := svc.Reports(ctx, a, iv.ID)
		must(err)
		_, err = svc.SaveDraft(ctx, a, reps[0].ID, d)
		must(err)
		_, err = svc.Submit(ctx, a, reps[0].ID, "k")
		must(err)
		return reps[0]
	}
	at("2011-05-20")
	r1 := report(ahAgent, x.ap, plans.ReportDraft{Progress: biNarrativeZH + "\n" + biNarrativeEN, Challenges: "教师流动。",
		Expenditure: map[int64]int64{x.ap.LineIDs[0]: 2_500_000}, Values: []plans.ReportValue{{Indicator: "FXBI-TCH", UnitID: n.AnhuiCity.ID, Value: 40}}})
	rj := report(jsAgent, mp, plans.ReportDraft{Progress: biJiangsuText})
	_, err = svc.Review(ctx, ahOfficer, r1.ID, "")
	must(err)
	_, err = svc.Review(ctx, jsOfficer, rj.ID, "")
	must(err)
	at("2011-06-05")
	_, err = svc.Approve(ctx, natOfficer, r1.ID, "")
	must(err)
	_, err = svc.Approve(ctx, natOfficer, rj.ID, "")
	must(err)
	report(ahAgent, loe, plans.ReportDraft{Progress: biPendingText})
	_, _, err = svc.ImportContributions(ctx, ahOfficer, n.Anhui.ID, plans.ContributionTable{From: "2011-01-01", To: "2011-06-30", Currency: "CNY", WholeUnits: true,
		Rows:  []plans.ContributionRow{{Category: "venue", Amounts: map[string]int64{plans.LocalLevel: 350_00}}},
		Rates: []plans.Rate{{Currency: "CNY", PerUSD: "6.5", On: "2011-06-30"}}}, "fixture", false)
	must(err)
	x.query = url.Values{"unit": {itoa(n.Anhui.ID)}, "half": {"2011S1"}, "framework": {"FXBI"}}.Encode()
	x.natQuery = url.Values{"unit": {itoa(n.National.ID)}, "half": {"2011S1"}, "framework": {"FXBI"}}.Encode()
	return x
}

// TestBiannualPage shows Anhui's report for the first half of 2011 as a printable page in both
// languages: the approved report's narrative under its output, not the unapproved one, money,
// withheld funds and contributions; nothing of Jiangsu; bad parameters said in words.
func TestBiannualPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := biSetup(t, db)
		r := x.ah.get(t, "/plans/biannual?lang=en&"+x.query)
		if r.Status != http.StatusOK {
			t.Fatalf("page: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		for _, want := range []string{`id="biannual-title">Provincial progress report<`, "Anhui Fixture Province", "2011 January–June",
			`<h3>O1.1 Teachers trained output</h3>`, `id="extract-FXBI-AP-01/R1"`, biNarrativeEN, "教师流动。", "approved 2011-06-05",
			`id="biannual-pending"`, "FXBI-LOE-02/R1", "120,000.00", "FXBI-PAY-1", "36,000.00", "Approved, not yet paid", "350.00",
			"@media print", "break-before: page", `href="/plans/biannual.pdf?framework=FXBI&amp;half=2011S1&amp;unit=`, `href="/plans/biannual.xlsx?framework=FXBI&amp;half=2011S1&amp;unit=`, `id="section-inkind"`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if strings.Contains(r.Body, biPendingText) {
			t.Error("the page shows the narrative of a report that is not approved")
		}
		if leaks := fxLeaks(r.Body, append(slices.Clone(fxJiangsuMarkers), biJiangsuText)); len(leaks) > 0 {
			t.Errorf("Anhui's report shows Jiangsu's %q", leaks)
		}
		// In Chinese, with the half's target and the 40 teachers of the approved report.
		r = x.ah.get(t, "/plans/biannual?lang=zh&"+x.query)
		for _, want := range []string{"省级项目进展报告", "2011年上半年", biNarrativeZH, "一、目标与进展", "五、实物配套投入"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("the Chinese page lacks %q", want)
			}
		}
		if !regexp.MustCompile(`<td class="num">50</td><td class="num">40</td><td class="num">80%</td>`).MatchString(r.Body) {
			t.Errorf("the progress table lacks target 50, actual 40, 80%%\n%s", fxSnippet(r.Body[strings.Index(r.Body, "biannual-progress"):]))
		}
		// The national report covers both provinces.
		r = x.nat.get(t, "/plans/biannual?lang=en&"+x.natQuery)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "Biannual progress report") || !strings.Contains(r.Body, biJiangsuText) || !strings.Contains(r.Body, biNarrativeEN) {
			t.Errorf("national report: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		// Another province's report is not found; a city or a quarter is refused in words.
		q := url.Values{"unit": {itoa(x.net.Jiangsu.ID)}, "half": {"2011S1"}}.Encode()
		for _, path := range []string{"/plans/biannual?" + q, "/plans/biannual.xlsx?" + q, "/plans/biannual.pdf?" + q} {
			if r := x.ah.get(t, path); r.Status != http.StatusNotFound || strings.Contains(r.Body, biJiangsuText) {
				t.Errorf("Anhui reading %s: status %d", path, r.Status)
			}
		}
		r = x.ah.get(t, "/plans/biannual?lang=en&unit="+itoa(x.net.AnhuiCity.ID)+"&half=2011S1")
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "progress reports are made for the national office or a province") {
			t.Errorf("a city's report: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		r = x.ah.get(t, "/plans/biannual.xlsx?lang=zh&half=2011Q1")
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "2011S1（1–6月）") {
			t.Errorf("a quarter: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
	})
}

// TestBiannualAPI reads the same report as JSON, scope-checked.
func TestBiannualAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := biSetup(t, db)
		r := x.ahAPI.get(t, "/api/v1/biannual?"+x.query)
		if r.Status != http.StatusOK {
			t.Fatalf("API: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		var c plans.Consolidated
		r.json(t, &c)
		if c.Half != "2011S1" || c.Unit.ID != x.net.Anhui.ID || len(c.Outputs) != 1 || c.Outputs[0].Element.Code != "O1.1" ||
			len(c.Outputs[0].Extracts) != 1 || c.Outputs[0].Extracts[0].Ref != "FXBI-AP-01/R1" || len(c.Pending) != 1 {
			t.Errorf("report %+v", c)
		}
		if len(c.Disbursements) != 1 || c.Disbursements[0].Amount != x.advance.Amount || len(c.Progress) != 1 || c.Progress[0].HalfActual.Value != 40 ||
			c.InKind.Total != 350_00 {
			t.Errorf("figures: disbursements %+v, progress %+v, in kind %+v", c.Disbursements, c.Progress, c.InKind)
		}
		if leaks := fxLeaks(r.Body, append(slices.Clone(fxJiangsuMarkers), biJiangsuText)); len(leaks) > 0 {
			t.Errorf("Anhui's report shows Jiangsu's %q", leaks)
		}
		if r := x.ahAPI.get(t, "/api/v1/biannual?unit="+itoa(x.net.Jiangsu.ID)+"&half=2011S1"); r.Status != http.StatusNotFound {
			t.Errorf("Anhui reading Jiangsu by API: status %d", r.Status)
		}
		r = x.ahAPI.get(t, "/api/v1/biannual?half=2011-06", "Accept-Language", "en")
		var e apiErrorBody
		if r.json(t, &e); r.Status != http.StatusUnprocessableEntity || len(e.Errors) != 1 || e.Errors[0].Field != "half" || e.Errors[0].Rule != "half_year" {
			t.Errorf("a month: status %d %+v", r.Status, e)
		}
		r = x.natAPI.get(t, "/api/v1/biannual?"+x.natQuery)
		if r.json(t, &c); r.Status != http.StatusOK || len(c.Outputs) != 1 || len(c.Outputs[0].Extracts) != 2 || len(c.Disbursements) != 1 {
			t.Errorf("national report by API: status %d, %+v", r.Status, c.Outputs)
		}
	})
}

// TestBiannualXLSX downloads the workbook: a sheet per section, money as numbers.
func TestBiannualXLSX(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := biSetup(t, db)
		r := x.ah.get(t, "/plans/biannual.xlsx?lang=en&"+x.query)
		if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Disposition"), "progress-report-FXAH34-2011S1.xlsx") {
			t.Fatalf("xlsx: status %d %v", r.Status, r.Header)
		}
		f, err := excelize.OpenReader(strings.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if got := strings.Join(f.GetSheetList(), ","); got != "Progress,Narratives,Finance,Withheld,In kind" {
			t.Fatalf("sheets %s", got)
		}
		find := func(sheet string, match func(row []string) bool) []string {
			rows, err := f.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				if match(row) {
					return row
				}
			}
			return nil
		}
		if row := find("Narratives", func(row []string) bool { return slices.Contains(row, "FXBI-AP-01/R1") }); row == nil ||
			!strings.Contains(strings.Join(row, "|"), biNarrativeEN) || row[0] != "O1.1 Teachers trained output" {
			t.Errorf("narrative row %q", row)
		}
		if row := find("Narratives", func(row []string) bool { return strings.Contains(strings.Join(row, "|"), biPendingText) }); row != nil {
			t.Errorf("the unapproved report's narrative is in the workbook: %q", row)
		}
		row := find("Finance", func(row []string) bool { return len(row) > 0 && strings.HasPrefix(row[0], "FXBI-AP-01") })
		if row == nil || row[3] != "120000" || row[4] != "36000" || row[6] != "25000" {
			t.Errorf("finance row %q", row)
		}
		// The cells are numbers, not text.
		rows, _ := f.GetRows("Finance")
		for i, rw := range rows {
			if len(rw) > 0 && strings.HasPrefix(rw[0], "FXBI-AP-01") {
				cell, _ := excelize.CoordinatesToCellName(4, i+1)
				if typ, _ := f.GetCellType("Finance", cell); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
					t.Errorf("the budget is stored as text (%v)", typ)
				}
			}
		}
		if row := find("In kind", func(row []string) bool { return len(row) > 0 && row[0] == "Training/meeting venue" }); row == nil || row[3] != "350" {
			t.Errorf("in-kind row %q", row)
		}
	})
}

// TestBiannualPDF downloads the PDF in Chinese and reads its text back through the embedded
// font's ToUnicode map. Without a CJK TrueType font (fonts-wqy-microhei) it checks only the
// message that names the setting and the package; CI must have the font.
func TestBiannualPDF(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := biSetup(t, db)
		if _, err := biFont(); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("CI=true but no CJK TrueType font for PDFs (%v): install %s", err, biFontPackage)
			}
			t.Logf("no CJK TrueType font, PDF content not checked: %v", err)
		} else {
			r := x.ah.get(t, "/plans/biannual.pdf?lang=zh&"+x.query)
			if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(r.Body, "%PDF-") {
				t.Fatalf("pdf: status %d %v\n%s", r.Status, r.Header, fxSnippet(r.Body))
			}
			text, embedded := biPDFText(t, []byte(r.Body))
			if !embedded {
				t.Error("the PDF embeds no TrueType font")
			}
			for _, want := range []string{"省级项目进展报告", "安徽测试省", "2011年上半年", "一、目标与进展", "O1.1 教师培训产出", "受培训教师",
				"120,000.00", "FXBI-PAY-1", "全职人员工资", "第 1 页"} {
				if !strings.Contains(text, want) {
					t.Errorf("the PDF's text lacks %q", want)
				}
			}
			// The narrative wraps over lines; its words are all there, and the unapproved one's are not.
			flat := strings.ReplaceAll(text, "\n", "")
			if !strings.Contains(flat, biNarrativeZH) || !strings.Contains(strings.ReplaceAll(flat, " ", ""), strings.ReplaceAll(biNarrativeEN, " ", "")) {
				t.Errorf("the PDF lacks the approved narrative:\n%s", text)
			}
			if strings.Contains(flat, biPendingText) {
				t.Error("the PDF shows an unapproved report's narrative")
			}
		}

		// A font setting that names no usable font: the PDF route says what to install, in the
		// reader's language; the page and the workbook still work.
		bad := filepath.Join(t.TempDir(), "not-a-font.ttf")
		if err := os.WriteFile(bad, []byte("this is not a font file at all"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv(biFontEnv, bad)
		for lang, want := range map[string]string{"zh": "请管理员安装 Debian 软件包 fonts-wqy-microhei", "en": "install the Debian package fonts-wqy-microhei"} {
			r := x.ah.get(t, "/plans/biannual.pdf?lang="+lang+"&"+x.query)
			if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, want) || !strings.Contains(r.Body, "TING_PDF_FONT") {
				t.Errorf("PDF without a font (%s): status %d\n%s", lang, r.Status, fxSnippet(r.Body))
			}
		}
		if r := x.ah.get(t, "/plans/biannual.xlsx?"+x.query); r.Status != http.StatusOK {
			t.Errorf("xlsx without a PDF font: status %d", r.Status)
		}
	})
}

// TestBiannualFontFace checks the reading of font files: a collection's TrueType face is
// rewritten as a font of its own; CFF-outlined fonts and other files are refused.
func TestBiannualFontFace(t *testing.T) {
	if _, err := biTrueTypeFace([]byte("OTTO\x00\x01\x00\x00\x00\x00\x00\x00")); err == nil || !strings.Contains(err.Error(), "CFF") {
		t.Errorf("a CFF font: %v", err)
	}
	if _, err := biTrueTypeFace([]byte("%PDF-1.4 not a font")); err == nil {
		t.Error("a PDF taken for a font")
	}
	// A collection of one face with two tables, the second shared bytes after the first.
	face := func(tag string, off uint32, data string) []byte {
		b := []byte(tag)
		b = append(b, 0, 0, 0, 0, byte(off>>24), byte(off>>16), byte(off>>8), byte(off), 0, 0, 0, byte(len(data)))
		return b
	}
	hdr := []byte{0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0}
	ttc := append([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10"), hdr...)
	body := 16 + 12 + 32
	ttc = append(ttc, face("cmap", uint32(body), "CMAP")...)
	ttc = append(ttc, face("glyf", uint32(body+4), "GLYFS")...)
	ttc = append(ttc, "CMAPGLYFS"...)
	out, err := biTrueTypeFace(ttc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out[:4], []byte{0, 1, 0, 0}) || len(out) != 12+32+4+5 {
		t.Fatalf("face %q", out)
	}
	off := func(i int) int { b := out[12+16*i+8:]; return int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3]) }
	if string(out[off(0):off(0)+4]) != "CMAP" || string(out[off(1):off(1)+5]) != "GLYFS" || off(1)%4 != 0 {
		t.Errorf("tables at %d and %d: %q", off(0), off(1), out)
	}
	if fonts := biFontCandidates; fonts[0] != "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc" || !strings.Contains(biFontPackage, "wqy-microhei") {
		t.Errorf("the first font looked for is %s", fonts[0])
	}
}

// biPDFText extracts the text a PDF draws: the glyph ids of its TJ strings mapped back to
// characters through the fonts' ToUnicode CMaps, one line per string. embedded reports whether
// a TrueType font program is embedded.
func biPDFText(t *testing.T, pdf []byte) (text string, embedded bool) {
	t.Helper()
	var streams [][]byte
	re := regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`)
	for _, m := range re.FindAllSubmatch(pdf, -1) {
		if zr, err := zlib.NewReader(bytes.NewReader(m[1])); err == nil {
			if b, err := io.ReadAll(zr); err == nil {
				streams = append(streams, b)
				continue
			}
		}
		streams = append(streams, m[1])
	}
	toUnicode := map[uint64]string{}
	hexRune := func(h string) string {
		b, err := hex.DecodeString(h)
		if err != nil || len(b)%2 != 0 {
			return ""
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return string(utf16.Decode(u))
	}
	ranges := regexp.MustCompile(`<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>`)
	for _, s := range streams {
		if !bytes.Contains(s, []byte("beginbfrange")) {
			continue
		}
		for _, m := range ranges.FindAllSubmatch(s, -1) {
			lo, _ := strconv.ParseUint(string(m[1]), 16, 32)
			hi, _ := strconv.ParseUint(string(m[2]), 16, 32)
			first := []rune(hexRune(string(m[3])))
			if len(first) != 1 || hi < lo || hi-lo > 0xFFFF {
				continue
			}
			for g := lo; g <= hi; g++ {
				toUnicode[g] = string(first[0] + rune(g-lo))
			}
		}
	}
	if len(toUnicode) == 0 {
		t.Fatal("the PDF has no ToUnicode map")
	}
	tj := regexp.MustCompile(`(?s)\[(.*?)\]\s*TJ`)
	glyphs := regexp.MustCompile(`<([0-9A-Fa-f]+)>`)
	var lines []string
	for _, s := range streams {
		for _, m := range tj.FindAllSubmatch(s, -1) {
			var b strings.Builder
			for _, g := range glyphs.FindAllSubmatch(m[1], -1) {
				for i := 0; i+4 <= len(g[1]); i += 4 {
					id, _ := strconv.ParseUint(string(g[1][i:i+4]), 16, 32)
					b.WriteString(toUnicode[id])
				}
			}
			lines = append(lines, b.String())
		}
	}
	return strings.Join(lines, "\n"), bytes.Contains(pdf, []byte("/FontFile2"))
}

// TestBiannualDynamicKeys checks the message ids the report builds from the domain's codes.
func TestBiannualDynamicKeys(t *testing.T) {
	keys := []string{}
	for _, s := range []string{plans.StatusDraft, plans.StatusSubmitted, plans.StatusReviewed, plans.StatusReturned, plans.StatusApproved} {
		keys = append(keys, "biannual.status."+s)
	}
	for _, s := range []string{plans.WaitNotSubmitted, plans.WaitReturned, plans.WaitInReview, plans.WaitRelease} {
		keys = append(keys, "withheld."+s)
	}
	for _, s := range []string{plans.BurnNotStarted, plans.BurnBehind, plans.BurnOnTrack, plans.BurnAhead, plans.BurnOverspent} {
		keys = append(keys, "burn."+s)
	}
	for _, s := range []string{plans.ProgressReport, plans.FinalReport} {
		keys = append(keys, "report."+s)
	}
	for _, s := range []string{results.OnTrack, results.Behind, results.Ahead, results.NoTarget, results.NoData} {
		keys = append(keys, "progress_status."+s)
	}
	for _, lang := range Langs {
		tr := NewTr(lang)
		for _, k := range keys {
			if !tr.Has(k) {
				t.Errorf("%q is not in the %s catalogs", k, lang)
			}
		}
	}
}
