package browsertest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
	"ting/internal/web"
)

// The people of an intervention's cycle, beside the fixture's: the national project officer,
// who returns, approves and releases, and the reporter of Anhui's Women's Federation, the
// implementing agency. Anhui's provincial officer (anhuiUser) plans and reviews.
const (
	nationalUser = "national" // national_officer at the national unit
	agencyUser   = "agency"   // agency_reporter bound to AH-WF
)

// planToday is the date the server judges plans on: after the first 4-month period of an
// Action Programme started on 1 January 2011 has been reported on, and before its grace ends,
// so the report is not late.
const planToday = "2011-06-10"

// The Action Programme the test creates.
const (
	apCode   = "AP-AH-01"
	apStart  = "2011-01-01"
	apShort  = "2011-05-31" // five months: refused
	apEnd    = "2011-12-31" // twelve months
	apLine1  = "Teacher training"
	apLine2  = "Awareness materials"
	apAmount = int64(4_800_000) // line 1, hundredths
	apOther  = int64(1_200_000) // line 2
)

// submitGate makes a double click a real double submission: while armed, the first POST to a
// report's submit address is held until the second arrives, so both reach the domain together
// whatever the timing of the browser, and neither is cut short when the browser gives up on
// the first. It counts the submissions that arrived and those that were answered.
type submitGate struct {
	mu      sync.Mutex
	armed   bool
	arrived int
	done    int
	second  chan struct{}
}

var submitPath = regexp.MustCompile(`^/plans/reports/\d+/submit$`)

func (g *submitGate) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed, g.arrived, g.done, g.second = true, 0, 0, make(chan struct{})
}

func (g *submitGate) disarm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed = false
}

func (g *submitGate) counts() (arrived, done int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.arrived, g.done
}

// await waits, up to the step timeout, until the counts satisfy ok; the caller checks them.
func (g *submitGate) await(t *testing.T, ok func(arrived, done int) bool) {
	t.Helper()
	for deadline := time.Now().Add(stepTimeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok(g.counts()) {
			return
		}
	}
}

func (g *submitGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		held := g.armed && r.Method == http.MethodPost && submitPath.MatchString(r.URL.Path)
		var n int
		var second chan struct{}
		if held {
			g.arrived++
			n, second = g.arrived, g.second
		}
		g.mu.Unlock()
		if !held {
			next.ServeHTTP(w, r)
			return
		}
		switch n {
		case 1:
			select {
			case <-second:
			case <-time.After(5 * time.Second): // no second click came; the test reports it
			}
		case 2:
			close(second)
		}
		// The browser abandons the first request when the second click navigates again; the
		// server must still carry it out, as it would with a real user's connection.
		next.ServeHTTP(w, r.WithContext(context.WithoutCancel(r.Context())))
		g.mu.Lock()
		g.done++
		g.mu.Unlock()
	})
}

// plansEnv is env with the plans set-up: the agency (its partner id) and the submit gate.
type plansEnv struct {
	*env
	agencyID int64
	gate     *submitGate
}

// seedPlans adds the national officer and the agency's reporter, and returns the agency.
func seedPlans(t *testing.T, db *store.DB, fx fixture) int64 {
	t.Helper()
	ctx := context.Background()
	ps, _, err := org.New(db).Partners(ctx, access.System, org.PartnerQuery{UnitID: fx.anhui.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ps, func(p org.Partner) bool { return p.Code == "AH-WF" })
	if i < 0 {
		t.Fatalf("fixture partner AH-WF not found among %v", ps)
	}
	users := auth.New(db)
	for _, u := range []auth.UserInput{
		{Username: nationalUser, DisplayName: "National project officer", Password: password, Role: access.NationalOfficer, UnitID: fx.national.ID},
		{Username: agencyUser, DisplayName: "Women's Federation reporter", Password: password, Role: access.AgencyReporter, UnitID: fx.anhui.ID, PartnerID: ps[i].ID},
	} {
		if _, err := users.CreateUser(ctx, access.System, u); err != nil {
			t.Fatalf("create user %s: %v", u.Username, err)
		}
	}
	return ps[i].ID
}

// withPlansBrowser is withBrowser on a server that judges plans as of planToday, with the
// plans' people and the submit gate in front of the server.
func withPlansBrowser(t *testing.T, fn func(t *testing.T, e *plansEnv)) {
	exe := chromiumPath(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := buildFixture(t, db)
		agency := seedPlans(t, db, fx)
		srv, err := web.New(db, web.Options{Logger: slog.New(slog.NewTextHandler(t.Output(), nil)), Version: "test",
			Today: func() string { return planToday }})
		if err != nil {
			t.Fatal(err)
		}
		gate := &submitGate{}
		ts := httptest.NewServer(gate.wrap(srv.Handler()))
		t.Cleanup(ts.Close)
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium")),
			chromedp.WindowSize(1280, 900),
			chromedp.Flag("accept-lang", "zh-CN,zh"),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		t.Cleanup(cancelAlloc)
		browser, cancelBrowser := chromedp.NewContext(allocCtx)
		t.Cleanup(cancelBrowser)
		if err := chromedp.Do(browser); err != nil {
			t.Fatalf("start %s: %v", exe, err)
		}
		fn(t, &plansEnv{env: &env{base: ts.URL, fx: fx, browser: browser}, agencyID: agency, gate: gate})
	})
}

// count is how many elements match sel.
func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	return run(t, ctx, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}

// idAfter reads the id at the end of the current page's path (/plans/interventions/7 → 7),
// which must be prefix followed by the id.
func idAfter(t *testing.T, ctx context.Context, prefix string) int64 {
	t.Helper()
	loc := location(t, ctx)
	u, err := url.Parse(loc)
	if err != nil || !strings.HasPrefix(u.Path, prefix) {
		t.Fatalf("at %s, want a page under %s", loc, prefix)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(u.Path, prefix), 10, 64)
	if err != nil {
		t.Fatalf("at %s, want a page under %s with an id: %v", loc, prefix, err)
	}
	return id
}

// moneyText writes hundredths as the pages do: thousands separators and two decimals.
func moneyText(v int64) string {
	whole := strconv.FormatInt(v/100, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s.%02d", b.String(), v%100)
}

// moneyPlain writes hundredths as a user types them and as the domain gives a rule's parameter:
// no separators.
func moneyPlain(v int64) string { return fmt.Sprintf("%d.%02d", v/100, v%100) }

// halfOf is the half-year key (2011S1) of a date.
func halfOf(date string) string {
	if date[5:7] <= "06" {
		return date[:4] + "S1"
	}
	return date[:4] + "S2"
}

// fourMonthly lists the reporting periods of an Action Programme as the seeds describe them:
// four calendar months each from the start, the last one ending with the programme.
func fourMonthly(t *testing.T, start, end string) [][2]string {
	t.Helper()
	s, err := time.Parse(time.DateOnly, start)
	if err != nil {
		t.Fatal(err)
	}
	e, err := time.Parse(time.DateOnly, end)
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for k := 0; ; k++ {
		from, to := s.AddDate(0, 4*k, 0), s.AddDate(0, 4*(k+1), -1)
		if from.After(e) {
			return out
		}
		if to.After(e) {
			to = e
		}
		out = append(out, [2]string{from.Format(time.DateOnly), to.Format(time.DateOnly)})
	}
}

// TestPlansCycle runs an Action Programme through its whole cycle in the pages: Anhui's
// officer (in English) creates it, first refused at five months with the rule beside the end
// date, then for twelve, and sees its 4-monthly schedule; the agency's reporter (in Chinese)
// overspends a budget line and is told beside that line, corrects it and double-clicks submit,
// which is still one submission; the province reviews, the national office returns it with a
// comment the agency reads, the agency resubmits, the province reviews again, the national
// office approves; the tranche that waited on the report becomes releasable and is released
// into the ledger, and the half-year's biannual report shows the report's narrative and the
// release.
func TestPlansCycle(t *testing.T) {
	withPlansBrowser(t, func(t *testing.T, e *plansEnv) {
		en, zh := web.NewTr("en"), web.NewTr("zh")
		ap, ok := plans.FormatByCode(plans.ActionProgramme)
		if !ok {
			t.Fatal("no Action Programme format")
		}
		schedule, err := plans.Schedule(plans.ActionProgramme, apStart, apEnd, plans.DefaultGraceDays)
		if err != nil {
			t.Fatal(err)
		}
		tranches, err := plans.TranchePlan(plans.ActionProgramme, apAmount+apOther, plans.DefaultAdvanceShare, schedule)
		if err != nil {
			t.Fatal(err)
		}
		first := schedule[0]
		ti := slices.IndexFunc(tranches, func(x plans.Tranche) bool { return x.ReportSeq == first.Seq })
		if ti < 0 {
			t.Fatalf("no tranche waits on report %d: %+v", first.Seq, tranches)
		}
		tranche := tranches[ti]
		half := halfOf(first.PeriodEnd)
		if halfOf(planToday) != half {
			t.Fatalf("scenario: today %s and report 1 ending %s fall in different halves", planToday, first.PeriodEnd)
		}

		// ---- Anhui's officer plans the Action Programme ----
		prov := e.tab(t)
		e.mustLogin(t, prov, "en", anhuiUser)
		clickTo(t, prov, `nav.main a[href="/plans"]`, 200)
		do(t, prov, "fill the work plan form",
			chromedp.SendKeys(chromedp.ID("plan-title_zh"), "安徽省2011年工作计划"),
			chromedp.SendKeys(chromedp.ID("plan-title_en"), "Anhui work plan 2011"),
		)
		if got := value(t, prov, "#plan-year"); got != planToday[:4] {
			t.Errorf("work plan year offered = %q, want this year %s", got, planToday[:4])
		}
		clickTo(t, prov, "#plan-create", 200)
		planID := idAfter(t, prov, "/plans/")
		if got := text(t, prov, "#plan-title"); got != "Anhui work plan 2011" {
			t.Fatalf("work plan heading = %q", got)
		}

		do(t, prov, "fill the intervention form (five months)",
			chromedp.SendKeys(chromedp.ID("in-code"), apCode),
			chromedp.SendKeys(chromedp.ID("in-title_zh"), "安徽省流出地预防行动项目"),
			chromedp.SendKeys(chromedp.ID("in-title_en"), "Prevention in Anhui's sending communities"),
			chromedp.SetValue(chromedp.ID("in-format"), plans.ActionProgramme),
			chromedp.SetValue(chromedp.ID("in-agency_id"), strconv.FormatInt(e.agencyID, 10)),
			chromedp.SetValue(chromedp.ID("in-start_on"), apStart),
			chromedp.SetValue(chromedp.ID("in-end_on"), apShort),
			chromedp.SetValue(chromedp.ID("in-locations"), strconv.FormatInt(e.fx.hefei.ID, 10)),
			chromedp.SendKeys(chromedp.ID("in-budget_item_1"), apLine1),
			chromedp.SendKeys(chromedp.ID("in-amount_1"), moneyPlain(apAmount)),
			chromedp.SendKeys(chromedp.ID("in-budget_item_2"), apLine2),
			chromedp.SendKeys(chromedp.ID("in-amount_2"), moneyPlain(apOther)),
		)
		clickTo(t, prov, "#iv-create", 422)
		refusal := en.FieldError(valid.FieldError{Field: "end_on", Rule: "duration_range", Param: fmt.Sprintf("%d-%d", ap.MinMonths, ap.MaxMonths)})
		if got := text(t, prov, "#err-end_on"); got != refusal {
			t.Errorf("message beside the end date = %q, want %q", got, refusal)
		}
		if got := run(t, prov, "label of the message", chromedp.Evaluate[string](`document.getElementById('err-end_on').closest('label').htmlFor`)); got != "in-end_on" {
			t.Errorf("the duration message sits in the label of %q, want in-end_on", got)
		}
		if n := count(t, prov, "#iv-form .field-error"); n != 1 {
			t.Errorf("%d messages on the form, want only the duration's", n)
		}
		for sel, want := range map[string]string{"#in-code": apCode, "#in-end_on": apShort, "#in-format": plans.ActionProgramme,
			"#in-budget_item_1": apLine1, "#in-amount_1": moneyPlain(apAmount), "#in-locations": strconv.FormatInt(e.fx.hefei.ID, 10)} {
			if got := value(t, prov, sel); got != want {
				t.Errorf("%s after the refusal = %q, want the typed %q", sel, got, want)
			}
		}

		do(t, prov, "twelve months", chromedp.SetValue(chromedp.ID("in-end_on"), apEnd))
		clickTo(t, prov, "#iv-create", 200)
		ivID := idAfter(t, prov, "/plans/interventions/")
		ivPath := "/plans/interventions/" + strconv.FormatInt(ivID, 10)
		if got := text(t, prov, "#iv-format"); got != ap.Name("en") {
			t.Errorf("format = %q, want %q", got, ap.Name("en"))
		}
		if got := text(t, prov, "#iv-budget"); got != moneyText(apAmount+apOther)+" CNY" {
			t.Errorf("budget = %q", got)
		}

		// The schedule: a report every four months, the last one the final report.
		periods := fourMonthly(t, apStart, apEnd)
		if len(periods) != len(schedule) {
			t.Fatalf("the rules give %d reports, four-monthly periods are %d: %+v", len(schedule), len(periods), schedule)
		}
		if n := count(t, prov, "#schedule-table tbody tr"); n != len(periods) {
			t.Errorf("schedule shows %d reports, want %d", n, len(periods))
		}
		for i, p := range periods {
			row := fmt.Sprintf("#report-%d", i+1)
			if got, want := text(t, prov, row+" .period"), p[0]+" – "+p[1]; got != want {
				t.Errorf("report %d period = %q, want %q", i+1, got, want)
			}
			kind := plans.ProgressReport
			if i == len(periods)-1 {
				kind = plans.FinalReport
			}
			if got, want := text(t, prov, row+" td:nth-child(2)"), en.T("report."+kind); got != want {
				t.Errorf("report %d kind = %q, want %q", i+1, got, want)
			}
			if got := text(t, prov, row+" .due"); got != schedule[i].Due {
				t.Errorf("report %d due = %q, want %q", i+1, got, schedule[i].Due)
			}
			if got := text(t, prov, row+" .badge"); got != en.T("pw.status.draft") {
				t.Errorf("report %d status = %q, want draft", i+1, got)
			}
		}
		trRow := fmt.Sprintf("#tranche-%d", tranche.Seq)
		if got := text(t, prov, trRow+" td:nth-child(3)"); got != moneyText(tranche.Amount)+" CNY" {
			t.Errorf("tranche %d amount = %q, want %s CNY", tranche.Seq, got, moneyText(tranche.Amount))
		}
		if got := text(t, prov, trRow+" .releasable"); got != en.T("pw.no") {
			t.Errorf("tranche %d releasable before its report = %q, want No", tranche.Seq, got)
		}
		reportHref := run(t, prov, "report 1 link", chromedp.Evaluate[string](`document.querySelector('#report-1 a').getAttribute('href')`))
		if !regexp.MustCompile(`^/plans/reports/\d+$`).MatchString(reportHref) {
			t.Fatalf("report 1 links to %q", reportHref)
		}

		// ---- The agency opens its first report, in Chinese ----
		ag := e.tab(t)
		e.mustLogin(t, ag, "zh", agencyUser)
		clickTo(t, ag, `nav.main a[href="/plans"]`, 200)
		clickTo(t, ag, fmt.Sprintf(`#plans-table a[href="/plans/%d"]`, planID), 200)
		clickTo(t, ag, fmt.Sprintf(`#iv-%s a[href=%q]`, apCode, ivPath), 200)
		clickTo(t, ag, "#report-1 a", 200)
		if loc := location(t, ag); loc != e.url(reportHref) {
			t.Fatalf("agency at %s, want report 1 at %s", loc, reportHref)
		}
		if got := htmlLang(t, ag); got != "zh-CN" {
			t.Errorf("agency's page lang = %q, want zh-CN", got)
		}
		if got := text(t, ag, "#report-period"); got != first.PeriodStart+" – "+first.PeriodEnd {
			t.Errorf("report period = %q", got)
		}

		progress := "合肥市12所学校的240名教师完成了预防拐卖培训。"
		lessons := "家长参与提高了学生的出勤率。"
		over := apAmount + 50_000 // 500 yuan over the line
		line1, line2 := "#line-1 input", "#line-2 input"
		do(t, ag, "write the report, overspending line 1",
			chromedp.SendKeys(chromedp.ID("in-progress"), progress),
			chromedp.SendKeys(chromedp.ID("in-lessons"), lessons),
			chromedp.SendKeys(chromedp.CSS(line1), moneyPlain(over)),
			chromedp.SendKeys(chromedp.CSS(line2), "3200"),
		)
		clickTo(t, ag, "#report-save", 422)
		overMsg := zh.FieldError(valid.FieldError{Row: 1, Field: "amount", Rule: "over_budget_line", Param: moneyPlain(apAmount)})
		if got := text(t, ag, "#line-1 .field-error"); got != overMsg {
			t.Errorf("message beside line 1 = %q, want %q", got, overMsg)
		}
		if n := count(t, ag, "#line-2 .field-error"); n != 0 {
			t.Errorf("line 2, within its budget, has %d messages", n)
		}
		for sel, want := range map[string]string{line1: moneyPlain(over), line2: "3200", "#in-progress": progress, "#in-lessons": lessons} {
			if got := value(t, ag, sel); got != want {
				t.Errorf("%s after the refused save = %q, want the typed %q", sel, got, want)
			}
		}
		spent1 := int64(1_560_000)
		do(t, ag, "correct line 1", chromedp.SetValue(chromedp.CSS(line1), moneyPlain(spent1)))
		clickTo(t, ag, "#report-save", 200)
		if got := text(t, ag, ".flash"); got != zh.T("pw.draft_saved") {
			t.Errorf("after saving, flash = %q", got)
		}
		if got := value(t, ag, line1); got != moneyPlain(spent1) {
			t.Errorf("saved line 1 shown as %q", got)
		}

		// A double click on submit: two submissions reach the server, one is recorded.
		// The second click comes once the first submission is on its way, as a user's second
		// click does on a slow connection (clicks a few milliseconds apart are one submission
		// in Chromium before any request leaves).
		// Element queries wait while a page loads, so the clicks go to the button's place on
		// the screen, which the page keeps until the answer comes.
		type point struct {
			X float64 `json:"x"`
			Y float64 `json:"y"`
		}
		do(t, ag, "scroll to submit", chromedp.ScrollIntoView(chromedp.ID("report-submit")))
		at := run(t, ag, "place of submit", chromedp.Evaluate[point](
			`(() => { const r = document.getElementById('report-submit').getBoundingClientRect(); return {x: r.x + r.width/2, y: r.y + r.height/2}; })()`))
		e.gate.arm()
		do(t, ag, "click submit", chromedp.MouseClickXY(at.X, at.Y))
		e.gate.await(t, func(arrived, _ int) bool { return arrived >= 1 })
		do(t, ag, "click submit again", chromedp.MouseClickXY(at.X, at.Y))
		do(t, ag, "wait for the submitted report", chromedp.WaitVisible(chromedp.CSS("#report-status.submitted")))
		e.gate.await(t, func(arrived, done int) bool { return arrived >= 2 && done == arrived })
		e.gate.disarm()
		arrived, done := e.gate.counts()
		if arrived != 2 || done != 2 {
			t.Fatalf("the double click sent %d submissions (%d answered), want 2 both answered", arrived, done)
		}
		e.open(t, ag, reportHref, 200) // after both answers, so no flash of the other is pending
		if got := text(t, ag, "#report-status"); got != zh.T("pw.status.submitted") {
			t.Errorf("status after submitting = %q", got)
		}
		if n := count(t, ag, "#history-table tr.event-submit"); n != 1 {
			t.Errorf("history holds %d submissions after a double click, want 1", n)
		}
		if n := count(t, ag, "#report-form"); n != 0 {
			t.Error("a submitted report is still offered for editing")
		}

		// ---- The province reviews ----
		review := func(comment string) {
			t.Helper()
			e.open(t, prov, ivPath, 200)
			clickTo(t, prov, "#report-1 a", 200)
			if got := text(t, prov, "#report-status"); got != en.T("pw.status.submitted") {
				t.Fatalf("province sees status %q, want submitted", got)
			}
			if n := count(t, prov, "#approve-form"); n != 0 {
				t.Error("the province is offered approval")
			}
			do(t, prov, "review comment", chromedp.SendKeys(chromedp.ID("review-comment"), comment))
			clickTo(t, prov, "#review", 200)
			if got := text(t, prov, ".flash"); got != en.T("pw.decided.review") {
				t.Errorf("after review, flash = %q", got)
			}
			if got := text(t, prov, "#report-status"); got != en.T("pw.status.reviewed") {
				t.Errorf("after review, status = %q", got)
			}
		}
		review("Checked against the training attendance lists.")

		// ---- The national office returns it ----
		nat := e.tab(t)
		e.mustLogin(t, nat, "en", nationalUser)
		e.open(t, nat, reportHref, 200)
		if got := text(t, nat, "#report-status"); got != en.T("pw.status.reviewed") {
			t.Fatalf("national office sees status %q, want reviewed", got)
		}
		comment := "Please add the number of parents reached in Hefei."
		do(t, nat, "return comment", chromedp.SendKeys(chromedp.ID("return-comment-input"), comment))
		clickTo(t, nat, "#return", 200)
		if got := text(t, nat, ".flash"); got != en.T("pw.decided.return") {
			t.Errorf("after return, flash = %q", got)
		}
		if got := text(t, nat, "#report-status"); got != en.T("pw.status.returned") {
			t.Errorf("after return, status = %q", got)
		}

		// ---- The agency reads the comment and resubmits ----
		e.open(t, ag, reportHref, 200)
		if got := text(t, ag, "#report-status"); got != zh.T("pw.status.returned") {
			t.Errorf("agency sees status %q, want 已退回", got)
		}
		if got := text(t, ag, "#return-comment strong"); got != zh.T("pw.returned_with") {
			t.Errorf("return notice = %q, want %q", got, zh.T("pw.returned_with"))
		}
		if got := text(t, ag, "#return-text"); got != comment {
			t.Errorf("comment shown to the agency = %q, want %q", got, comment)
		}
		if got := value(t, ag, "#in-progress"); got != progress {
			t.Errorf("the returned report's narrative = %q, want what was submitted", got)
		}
		progress += "另有180名家长参加了社区宣传会。"
		do(t, ag, "answer the comment", chromedp.SetValue(chromedp.ID("in-progress"), progress))
		clickTo(t, ag, "#report-submit", 200)
		if got := text(t, ag, ".flash"); got != zh.T("pw.submitted") {
			t.Errorf("after resubmitting, flash = %q", got)
		}
		if got := text(t, ag, "#report-status"); got != zh.T("pw.status.submitted") {
			t.Errorf("after resubmitting, status = %q", got)
		}

		// ---- The province reviews again; the national office approves ----
		review("The parents are now counted.")
		e.open(t, nat, ivPath, 200)
		if got := text(t, nat, trRow+" .releasable"); got != en.T("pw.no") {
			t.Errorf("tranche %d releasable before approval = %q, want No", tranche.Seq, got)
		}
		if n := count(t, nat, fmt.Sprintf("#release-%d", tranche.Seq)); n != 0 {
			t.Errorf("tranche %d offers a release before its report is approved", tranche.Seq)
		}
		e.open(t, nat, reportHref, 200)
		if got := text(t, nat, "#narrative"); !strings.Contains(got, progress) {
			t.Errorf("national office reads %q, want the resubmitted narrative", got)
		}
		screenshot(t, nat, "screenshot-report.png")
		clickTo(t, nat, "#approve", 200)
		if got := text(t, nat, ".flash"); got != en.T("pw.decided.approve") {
			t.Errorf("after approval, flash = %q", got)
		}
		if got := text(t, nat, "#report-status"); got != en.T("pw.status.approved") {
			t.Errorf("after approval, status = %q", got)
		}
		var history []string
		for _, c := range run(t, nat, "history", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#history-table tbody tr')].map(r => r.className)`)) {
			history = append(history, strings.TrimPrefix(c, "event-"))
		}
		if want := []string{"submit", "review", "return", "submit", "review", "approve"}; !slices.Equal(history, want) {
			t.Errorf("history = %v, want %v", history, want)
		}
		if got := text(t, nat, "#history-table"); !strings.Contains(got, comment) {
			t.Errorf("history %q does not keep the return comment", got)
		}

		// ---- The tranche becomes releasable and is released ----
		e.open(t, nat, ivPath, 200)
		if got := text(t, nat, trRow+" .releasable"); got != en.T("pw.yes") {
			t.Fatalf("tranche %d releasable after approval = %q, want Yes", tranche.Seq, got)
		}
		form := fmt.Sprintf("#release-%d", tranche.Seq)
		if got := value(t, nat, form+` input[name="released_on"]`); got != planToday {
			t.Errorf("release date offered = %q, want today %s", got, planToday)
		}
		ref := "ILO-AH-2011-017"
		do(t, nat, "release reference", chromedp.SendKeys(chromedp.CSS(form+` input[name="reference"]`), ref))
		clickTo(t, nat, form+` button[type="submit"]`, 200)
		if got := text(t, nat, ".flash"); got != en.T("pw.released") {
			t.Errorf("after release, flash = %q", got)
		}
		if got := text(t, nat, trRow+" .released"); got != planToday {
			t.Errorf("tranche %d released on %q, want %s", tranche.Seq, got, planToday)
		}
		if got := text(t, nat, trRow+" .reference"); got != ref {
			t.Errorf("tranche %d reference = %q", tranche.Seq, got)
		}
		if got := text(t, nat, trRow+" .releasable"); got != en.T("pw.no") {
			t.Errorf("tranche %d still releasable after its release: %q", tranche.Seq, got)
		}

		clickTo(t, nat, `#plans-nav a[href="/plans/ledger"]`, 200)
		if n := count(t, nat, "#ledger-table tbody tr"); n != 1 {
			t.Errorf("ledger has %d lines, want the one release", n)
		}
		ledger := text(t, nat, "#ledger-table tbody")
		for _, want := range []string{planToday, apCode, fmt.Sprintf("%d · %s", tranche.Seq, en.T("pw.tranche."+tranche.Kind)), moneyText(tranche.Amount) + " CNY", ref} {
			if !strings.Contains(ledger, want) {
				t.Errorf("ledger %q does not show %q", ledger, want)
			}
		}
		if got := text(t, nat, "#ledger-total-CNY"); got != moneyText(tranche.Amount)+" CNY" {
			t.Errorf("ledger total = %q", got)
		}

		// ---- The biannual report of the half shows the narrative and the release ----
		e.open(t, nat, fmt.Sprintf("/plans/biannual?unit=%d&half=%s", e.fx.anhui.ID, half), 200)
		extract := fmt.Sprintf(`[id="extract-%s/R%d"]`, apCode, first.Seq)
		got := text(t, nat, extract)
		for _, want := range []string{apCode, progress, lessons, en.T("report." + first.Kind)} {
			if !strings.Contains(got, want) {
				t.Errorf("biannual extract %q does not show %q", got, want)
			}
		}
		if p := text(t, nat, "#biannual-pending"); strings.Contains(p, fmt.Sprintf("%s/R%d", apCode, first.Seq)) {
			t.Errorf("the approved report is still listed as pending: %q", p)
		}
		disb := text(t, nat, "#biannual-disbursements tbody")
		for _, want := range []string{planToday, apCode, moneyText(tranche.Amount), ref} {
			if !strings.Contains(disb, want) {
				t.Errorf("biannual disbursements %q do not show %q", disb, want)
			}
		}
		if n := count(t, nat, "#biannual-disbursements tbody tr"); n != 1 {
			t.Errorf("biannual disbursements list %d releases, want 1", n)
		}
	})
}
