package web

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// pwFixture is the two-province network with a national framework holding one indicator, and
// the people of an intervention's cycle: Jiangsu's provincial officer, the national officer,
// the reporter of Jiangsu's agency (the fixture partner) and, to be kept out, Anhui's officer.
type pwFixture struct {
	app                         *fxApp
	db                          *store.DB
	net                         fxNet
	js, nat, ag, ah             *fxClient // browsers
	jsAPI, natAPI, agAPI, ahAPI *fxClient // tokens
}

func pwSetup(t *testing.T, db *store.DB) pwFixture {
	t.Helper()
	ctx := context.Background()
	x := pwFixture{app: fxServer(t, db), db: db, net: fxNetwork(t, db)}
	rs := results.New(db)
	fw, err := rs.CreateFramework(ctx, access.System, results.FrameworkInput{Code: "PWLF", UnitID: x.net.National.ID, NameZH: "计划测试框架", NameEN: "Plans fixture logframe"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.AddElement(ctx, access.System, fw.ID, results.ElementInput{Kind: "development_objective", Code: "DO", NameZH: "目标", NameEN: "Objective"}); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.CreateIndicator(ctx, access.System, results.IndicatorInput{Code: "PW-TCH", FrameworkCode: "PWLF", ElementCode: "DO", NameZH: "受训教师",
		NameEN: "Teachers trained", Type: "count", Aggregation: "sum"}); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Approve(ctx, access.System, fw.ID); err != nil {
		t.Fatal(err)
	}
	js := fxUser(t, db, "pw_jiangsu", access.ProvincialOfficer, x.net.Jiangsu.ID)
	nat := fxUser(t, db, "pw_national", access.NationalOfficer, x.net.National.ID)
	ah := fxUser(t, db, "pw_anhui", access.ProvincialOfficer, x.net.Anhui.ID)
	ag, err := auth.New(db).CreateUser(ctx, access.System, auth.UserInput{Username: "pw_agency", DisplayName: "PW agency reporter", Password: fxPassword,
		Role: access.AgencyReporter, UnitID: x.net.JiangsuCity.ID, PartnerID: x.net.Partner.ID})
	if err != nil {
		t.Fatal(err)
	}
	x.js, x.nat, x.ag, x.ah = x.app.fxLogin(t, js.Username, fxPassword), x.app.fxLogin(t, nat.Username, fxPassword), x.app.fxLogin(t, ag.Username, fxPassword),
		x.app.fxLogin(t, ah.Username, fxPassword)
	x.jsAPI, x.natAPI, x.agAPI, x.ahAPI = x.app.fxBearer(t, fxToken(t, db, js)), x.app.fxBearer(t, fxToken(t, db, nat)), x.app.fxBearer(t, fxToken(t, db, ag)),
		x.app.fxBearer(t, fxToken(t, db, ah))
	return x
}

// pwIDAfter reads the id at the end of a redirect's location (/plans/interventions/7 → 7).
func pwIDAfter(t *testing.T, r fxResp, prefix string) int64 {
	t.Helper()
	loc := r.location()
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, prefix) {
		t.Fatalf("want a redirect to %s…: status %d, location %q\n%s", prefix, r.Status, loc, fxSnippet(r.Body))
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, prefix), 10, 64)
	if err != nil {
		t.Fatalf("location %q: %v", loc, err)
	}
	return id
}

var pwKeyRE = regexp.MustCompile(`name="key" value="([0-9a-f]{32})"`)

// pwKey is the idempotency key of the submit form on a rendered report page.
func pwKey(t *testing.T, body string) string {
	t.Helper()
	m := pwKeyRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no submit key on the page\n%s", fxSnippet(body))
	}
	return m[1]
}

func pwWant(t *testing.T, what string, r fxResp, status int, wants ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.Status, status, fxSnippet(r.Body))
	}
	for _, w := range wants {
		if !strings.Contains(r.Body, w) {
			t.Fatalf("%s: the page does not say %q\n%s", what, w, r.Body)
		}
	}
}

// pwMultipart builds a multipart body with fields and one file.
func pwMultipart(t *testing.T, fields url.Values, file, name string, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if file != "" {
		fw, err := mw.CreateFormFile(file, name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// TestPlansCycle runs an Action Programme through the pages and the API: refused at five
// months with the rule beside its end date, its 4-monthly schedule, the agency's draft refused
// for overspending a line (beside that line), a double submission that is one, the province's
// review, the national office's return with a comment the agency sees, resubmission, approval,
// the tranche released into the ledger — with Anhui's officer kept out throughout.
func TestPlansCycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := pwSetup(t, db)
		n := x.net
		today := time.Now().UTC().Format(time.DateOnly)

		// A work plan for Jiangsu; a missing title is said beside its input.
		r := x.js.postForm(t, "/plans?lang=en", url.Values{"unit_id": {itoa(n.Jiangsu.ID)}, "year": {"2011"}, "title_zh": {"江苏2011年工作计划"}})
		pwWant(t, "plan without English title", r, http.StatusUnprocessableEntity, `id="err-title_en"`, "Title (English) is required.")
		planID := pwIDAfter(t, x.js.postForm(t, "/plans", url.Values{"unit_id": {itoa(n.Jiangsu.ID)}, "year": {"2011"}, "title_zh": {"江苏2011年工作计划"},
			"title_en": {"Jiangsu work plan 2011"}}), "/plans/")
		pwWant(t, "plans list", x.js.get(t, "/plans?lang=en"), http.StatusOK, `id="plan-`+itoa(planID)+`"`, "Jiangsu work plan 2011")
		r = x.js.get(t, fmt.Sprintf("/plans/%d?lang=en", planID))
		pwWant(t, "plan page", r, http.StatusOK, `id="iv-form"`, `value="`+itoa(n.Partner.ID)+`"`, `value="`+itoa(n.JiangsuCity.ID)+`"`, "Action Programme (AP)")

		// A 5-month Action Programme, and a budget line whose amount is not one: both said
		// beside their inputs, the line by the row the user typed it in (row 2 left blank).
		ivForm := url.Values{"code": {"AP-JS-01"}, "title_zh": {"生活技能教育"}, "title_en": {"Life skills education"}, "format": {plans.ActionProgramme},
			"agency_id": {itoa(n.Partner.ID)}, "start_on": {"2011-01-01"}, "end_on": {"2011-05-31"}, "advance_share": {"30"}, "grace_days": {"10"},
			"locations": {itoa(n.JiangsuCity.ID)}, "indicator_1": {"PW-TCH"}, "target_1": {"120"},
			"budget_item_1": {"Training"}, "amount_1": {"90,000"}, "currency_1": {"CNY"},
			"budget_item_3": {"Materials"}, "amount_3": {"30,000.x"}, "currency_3": {"USD"}}
		ivPath := fmt.Sprintf("/plans/%d/interventions", planID)
		for lang, msgs := range map[string][]string{
			"en": {"End: this agreement format must run 12-36 months", "Row 3: Amount must be an amount", "Row 3: Currency: all budget lines of an intervention are in one currency (CNY)."},
			"zh": {"结束日期：该协议形式的期限须为 12-36 个月", "第 3 行：金额须为金额"},
		} {
			r = x.js.postForm(t, ivPath+"?lang="+lang, ivForm)
			pwWant(t, lang+": 5-month Action Programme", r, http.StatusUnprocessableEntity, append(msgs, `id="err-end_on"`, `id="err-amount_3"`, `id="err-currency_3"`, `value="Materials"`)...)
			if i, j := strings.Index(r.Body, `id="err-end_on"`), strings.Index(r.Body, `name="end_on"`); j < 0 || i < j || i-j > 400 {
				t.Fatalf("%s: the duration message is not beside the end date", lang)
			}
		}
		ivForm.Set("end_on", "2011-12-31")
		ivForm.Set("amount_3", "30,000")
		ivForm.Set("currency_3", "CNY")
		ivID := pwIDAfter(t, x.js.postForm(t, ivPath, ivForm), "/plans/interventions/")

		// Its schedule: reports every four months from the start, the last one final.
		schedule, err := plans.Schedule(plans.ActionProgramme, "2011-01-01", "2011-12-31", 10)
		if err != nil || len(schedule) != 3 {
			t.Fatalf("schedule %+v %v", schedule, err)
		}
		r = x.js.get(t, fmt.Sprintf("/plans/interventions/%d?lang=en", ivID))
		wants := []string{"Technical and financial progress report", "Final report", "120,000.00 CNY", `id="tranches-table"`}
		for _, s := range schedule {
			wants = append(wants, fmt.Sprintf(`id="report-%d"`, s.Seq), s.PeriodStart+" – "+s.PeriodEnd, `<td class="due">`+s.Due+`</td>`)
		}
		pwWant(t, "intervention page", r, http.StatusOK, wants...)
		var iv plans.Intervention
		x.agAPI.get(t, fmt.Sprintf("/api/v1/interventions/%d", ivID)).json(t, &iv)
		if len(iv.LineIDs) != 2 || iv.Lines[1].Item != "Materials" || iv.Budget != 12_000_000 || iv.AdvanceShare != 3000 || iv.GraceDays != 10 {
			t.Fatalf("intervention by API: %+v", iv)
		}
		var reps struct{ Items []plans.Report }
		x.agAPI.get(t, fmt.Sprintf("/api/v1/interventions/%d/reports", ivID)).json(t, &reps)
		if len(reps.Items) != 3 || reps.Items[0].PeriodEnd != schedule[0].PeriodEnd {
			t.Fatalf("reports by API: %+v", reps)
		}
		rep := reps.Items[0]
		repPath := fmt.Sprintf("/plans/reports/%d", rep.ID)

		// Anhui's officer reaches none of it.
		for _, p := range []string{fmt.Sprintf("/plans/%d", planID), fmt.Sprintf("/plans/interventions/%d", ivID), repPath} {
			if r := x.ah.get(t, p); r.Status != http.StatusNotFound {
				t.Fatalf("Anhui's officer on %s: status %d", p, r.Status)
			}
		}
		for _, p := range []string{fmt.Sprintf("/api/v1/interventions/%d", ivID), fmt.Sprintf("/api/v1/reports/%d", rep.ID), fmt.Sprintf("/api/v1/interventions/%d/tranches", ivID)} {
			if r := x.ahAPI.get(t, p); r.Status != http.StatusNotFound {
				t.Fatalf("Anhui's officer on %s: status %d", p, r.Status)
			}
		}
		if r := x.ahAPI.sendJSON(t, http.MethodPut, fmt.Sprintf("/api/v1/reports/%d/draft", rep.ID), plans.ReportDraft{Progress: "x"}); r.Status != http.StatusNotFound {
			t.Fatalf("Anhui's officer writing Jiangsu's report: status %d", r.Status)
		}

		// The agency's draft spends a cent more than the materials line: refused beside the line.
		exp2, exp1 := ivExpenseInput(iv.LineIDs[1]), ivExpenseInput(iv.LineIDs[0])
		val := ivValueInput(iv.Indicators[0].IndicatorID, n.JiangsuCity.ID)
		r = x.ag.get(t, repPath+"?lang=en")
		pwWant(t, "report page", r, http.StatusOK, `id="report-form"`, `name="`+exp2+`"`, `name="`+val+`"`, `id="report-submit"`)
		draft := url.Values{"progress": {"Trained 40 teachers in Nanjing."}, "challenges": {"Teacher turnover."}, exp1: {"25,000"}, exp2: {"30,000.01"}, val: {"40"}}
		for lang, msg := range map[string]string{"en": "Row 2: Amount: with the earlier reports this exceeds the budget line; 30,000.00 remains.",
			"zh": "第 2 行：金额：加上此前各期报告已超出该预算项；尚余 30,000.00。"} {
			r = x.ag.postForm(t, repPath+"/draft?lang="+lang, draft)
			pwWant(t, lang+": overspent line", r, http.StatusUnprocessableEntity, msg, `id="err-`+exp2+`"`, `value="30,000.01"`)
		}
		draft.Set(exp2, "")
		if r := x.ag.postForm(t, repPath+"/draft", draft); r.Status != http.StatusSeeOther {
			t.Fatalf("corrected draft: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		// An attachment: a PDF, served back as a download; a file whose content lies about its
		// type is refused.
		pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
		b, ct := pwMultipart(t, nil, "file", "training-list.pdf", pdf)
		if r := x.ag.do(t, http.MethodPost, repPath+"/attachments", b, ct); r.Status != http.StatusSeeOther {
			t.Fatalf("attach: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		b, ct = pwMultipart(t, nil, "file", "photo.png", []byte("MZ not a picture"))
		pwWant(t, "a file whose type lies", x.ag.do(t, http.MethodPost, repPath+"/attachments?lang=en", b, ct), http.StatusUnprocessableEntity, `id="err-file"`)
		var full plans.Report
		x.agAPI.get(t, fmt.Sprintf("/api/v1/reports/%d", rep.ID)).json(t, &full)
		if len(full.Attachments) != 1 || full.Expenditure[iv.LineIDs[0]] != 2_500_000 || len(full.Values) != 1 || full.Values[0].Value != 40 {
			t.Fatalf("the draft as stored: %+v", full)
		}
		for _, c := range []*fxClient{x.js, x.agAPI} {
			path := fmt.Sprintf("%s/attachments/%d", repPath, full.Attachments[0].ID)
			if c == x.agAPI {
				path = fmt.Sprintf("/api/v1/reports/%d/attachments/%d", rep.ID, full.Attachments[0].ID)
			}
			r = c.get(t, path)
			if r.Status != http.StatusOK || r.Body != string(pdf) || r.Header.Get("Content-Type") != "application/pdf" ||
				!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") || r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("download %s: status %d, headers %v", path, r.Status, r.Header)
			}
		}
		if r := x.ah.get(t, fmt.Sprintf("%s/attachments/%d", repPath, full.Attachments[0].ID)); r.Status != http.StatusNotFound {
			t.Fatalf("Anhui downloading Jiangsu's attachment: status %d", r.Status)
		}

		// Submitted twice with the form's key (a double click): one submission.
		page := x.ag.get(t, repPath)
		key := pwKey(t, page.Body)
		draft.Set("key", key)
		for i := 0; i < 2; i++ {
			if r := x.ag.postForm(t, repPath+"/submit", draft); r.Status != http.StatusSeeOther || r.location() != repPath {
				t.Fatalf("submission %d: status %d to %q\n%s", i+1, r.Status, r.location(), fxSnippet(r.Body))
			}
		}
		// And a retry through the API with the same key is the same submission again.
		if r := x.agAPI.sendJSON(t, http.MethodPost, fmt.Sprintf("/api/v1/reports/%d/submit", rep.ID), nil, "Idempotency-Key", key); r.Status != http.StatusOK {
			t.Fatalf("API retry: status %d %s", r.Status, r.Body)
		}
		if r := x.agAPI.sendJSON(t, http.MethodPost, fmt.Sprintf("/api/v1/reports/%d/submit?lang=en", rep.ID), map[string]string{"key": "another-click"}); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, "report_not_editable") {
			t.Fatalf("a different submission: status %d %s", r.Status, r.Body)
		}
		x.natAPI.get(t, fmt.Sprintf("/api/v1/reports/%d", rep.ID)).json(t, &full)
		if full.Status != plans.StatusSubmitted || len(full.Events) != 1 || full.FirstSubmitted != today {
			t.Fatalf("after the double submission: %s, %d events", full.Status, len(full.Events))
		}

		// The province reviews; the national office returns it, first without the comment.
		pwWant(t, "report for the province", x.js.get(t, repPath+"?lang=en"), http.StatusOK, `id="review"`, `id="return"`)
		if strings.Contains(x.js.get(t, repPath).Body, `id="approve"`) {
			t.Fatal("the province is offered approval")
		}
		if r := x.js.postForm(t, repPath+"/review", url.Values{"comment": {"Complete."}}); r.Status != http.StatusSeeOther {
			t.Fatalf("review: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		pwWant(t, "report for the nation", x.nat.get(t, repPath), http.StatusOK, `id="approve"`, `id="return"`)
		for lang, msg := range map[string]string{"en": "Comment is required.", "zh": "意见为必填项。"} {
			pwWant(t, lang+": return without comment", x.nat.postForm(t, repPath+"/return?lang="+lang, url.Values{"comment": {" "}}), http.StatusUnprocessableEntity,
				`id="err-comment"`, msg)
		}
		comment := "Name the schools the teachers come from."
		if r := x.nat.postForm(t, repPath+"/return", url.Values{"comment": {comment}}); r.Status != http.StatusSeeOther {
			t.Fatalf("return: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		// The agency sees why, above its form, and resubmits.
		page = x.ag.get(t, repPath+"?lang=en")
		pwWant(t, "returned report", page, http.StatusOK, `id="return-comment"`, comment, `id="report-status">returned<`, `id="report-form"`)
		draft.Set("progress", "Trained 40 teachers from 4 Nanjing schools.")
		draft.Set("key", pwKey(t, page.Body))
		if r := x.ag.postForm(t, repPath+"/submit", draft); r.Status != http.StatusSeeOther {
			t.Fatalf("resubmission: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		if r := x.jsAPI.sendJSON(t, http.MethodPost, fmt.Sprintf("/api/v1/reports/%d/review", rep.ID), nil); r.Status != http.StatusOK {
			t.Fatalf("review by API: status %d %s", r.Status, r.Body)
		}
		if r := x.jsAPI.sendJSON(t, http.MethodPost, fmt.Sprintf("/api/v1/reports/%d/approve", rep.ID), nil); r.Status != http.StatusForbidden {
			t.Fatalf("the province approving: status %d %s", r.Status, r.Body)
		}
		r = x.natAPI.sendJSON(t, http.MethodPost, fmt.Sprintf("/api/v1/reports/%d/approve", rep.ID), map[string]string{"comment": "Approved."})
		if r.Status != http.StatusOK {
			t.Fatalf("approve by API: status %d %s", r.Status, r.Body)
		}
		r.json(t, &full)
		actions := []string{}
		for _, e := range full.Events {
			actions = append(actions, e.Action)
		}
		if full.Status != plans.StatusApproved || strings.Join(actions, ",") != "submit,review,return,submit,review,approve" || full.Events[2].Comment != comment {
			t.Fatalf("history: %s %v", full.Status, actions)
		}
		pwWant(t, "history on the page", x.ag.get(t, repPath+"?lang=en"), http.StatusOK, `id="history-table"`, comment, "Returned", "FX pw_national")

		// The tranche waiting on report 1 is releasable; the national office releases it once.
		var ts struct{ Items []plans.StoredTranche }
		x.natAPI.get(t, fmt.Sprintf("/api/v1/interventions/%d/tranches", ivID)).json(t, &ts)
		var tr1 plans.StoredTranche
		var total int64
		for _, tr := range ts.Items {
			total += tr.Amount
			if tr.ReportSeq == 1 {
				tr1 = tr
			}
		}
		if total != iv.Budget || !tr1.Releasable || tr1.ID == 0 {
			t.Fatalf("tranches %+v", ts.Items)
		}
		pwWant(t, "intervention page for the nation", x.nat.get(t, fmt.Sprintf("/plans/interventions/%d", ivID)), http.StatusOK,
			fmt.Sprintf(`action="/plans/tranches/%d/release?_once=`, tr1.ID))
		if strings.Contains(x.js.get(t, fmt.Sprintf("/plans/interventions/%d", ivID)).Body, "/release") {
			t.Fatal("the province is offered a release form")
		}
		// Released the day it is recorded: not before the report's approval (today), not after today.
		release := url.Values{"intervention_id": {itoa(ivID)}, "released_on": {today}, "reference": {"PAY-0042"}}
		if r := x.js.postForm(t, fmt.Sprintf("/plans/tranches/%d/release", tr1.ID), release); r.Status != http.StatusForbidden {
			t.Fatalf("the province releasing: status %d", r.Status)
		}
		if r := x.nat.postForm(t, fmt.Sprintf("/plans/tranches/%d/release", tr1.ID), release); r.Status != http.StatusSeeOther {
			t.Fatalf("release: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		pwWant(t, "second release", x.nat.postForm(t, fmt.Sprintf("/plans/tranches/%d/release?lang=en", tr1.ID), release), http.StatusUnprocessableEntity,
			"Tranche was already released on "+today+".")
		pwWant(t, "ledger page", x.nat.get(t, "/plans/ledger?lang=en"), http.StatusOK, fmt.Sprintf(`id="ledger-%d"`, tr1.ID), "PAY-0042", ivMoney(tr1.Amount)+" CNY")
		var ledger struct{ Items []plans.Disbursement }
		x.jsAPI.get(t, "/api/v1/ledger?from="+today+"&to="+today).json(t, &ledger)
		if len(ledger.Items) != 1 || ledger.Items[0].Reference != "PAY-0042" || ledger.Items[0].Amount != tr1.Amount {
			t.Fatalf("ledger by API: %+v", ledger)
		}
		if r := x.ahAPI.get(t, "/api/v1/ledger"); strings.Contains(r.Body, "PAY-0042") {
			t.Fatalf("Anhui sees Jiangsu's ledger: %s", r.Body)
		}
		// Spending: what report 1 spent, against the budget; the intervention is over, so
		// spending lags time.
		pwWant(t, "spending", x.nat.get(t, fmt.Sprintf("/plans/interventions/%d?lang=en", ivID)), http.StatusOK,
			`id="spending-spent">25,000.00 CNY`, `id="burn-status">Spending behind time<`, `id="spending-released">`+ivMoney(tr1.Amount))

		// Reports 2 and 3 are late today, by province and agency; their tranches are withheld.
		r = x.nat.get(t, "/plans/late?lang=en")
		wants = []string{fxJSEN, fxJSPartnerEN}
		for _, rp := range reps.Items[1:] {
			d, err := plans.DaysLate(plans.ReportDue{Due: rp.Due, GraceUntil: rp.GraceUntil}, "", today)
			if err != nil {
				t.Fatal(err)
			}
			wants = append(wants, fmt.Sprintf(`id="late-%d"`, rp.ID), fmt.Sprintf(`<td class="num days">%d</td>`, d))
		}
		pwWant(t, "late reports", r, http.StatusOK, wants...)
		if r := x.ah.get(t, "/plans/late"); strings.Contains(r.Body, "AP-JS-01") {
			t.Fatal("Anhui sees Jiangsu's late reports")
		}
		var held struct{ Items []plans.HeldFunds }
		x.natAPI.get(t, "/api/v1/withheld").json(t, &held)
		// The rest of the budget is withheld as planned; the final tranche is held at what its
		// settlement would pay (nothing approved, so nothing).
		var heldSum, planned int64
		for _, h := range held.Items {
			heldSum += h.Amount
			planned += h.Tranche.Amount
		}
		if len(held.Items) != 3 || planned != iv.Budget-tr1.Amount || heldSum != planned-held.Items[2].Tranche.Amount || held.Items[2].Amount != 0 {
			t.Fatalf("withheld: %+v", held.Items)
		}
		pwWant(t, "withheld page", x.nat.get(t, "/plans/withheld?lang=en"), http.StatusOK, "Report not submitted", "Approved, not yet paid",
			`id="withheld-total-CNY">`+ivMoney(heldSum)+" CNY")
		pwWant(t, "a bad date", x.nat.get(t, "/plans/withheld?lang=en&as_of=2011-13-01"), http.StatusUnprocessableEntity, "As of date")
	})
}

// pwAnnexA is seed 001 Annex A as printed, comma separated.
const pwAnnexA = ",National ACWF (RMB),Provincial Partners (Provincial WF and provincial departments) (RMB),Local Partners (Local WFs and governments) (RMB),Subtotal (RMB)\n" +
	"Full time staff salary,\"150,000\",\"851,400\",\"761,000\",\"1,762,400\"\n" +
	"Time input of part time staff and partners,,\"777,900\",\"547,400\",\"1,325,300\"\n" +
	"Office rental,\"200,000\",\"392,100\",\"125,400\",\"717,500\"\n" +
	"Utilities,\"12,500\",\"148,700\",\"817,780\",\"978,980\"\n" +
	"Communication,\"7,500\",\"44,700\",\"43,680\",\"95,880\"\n" +
	"Local transportation,\"20,000\",\"76,110\",\"174,230\",\"270,340\"\n" +
	"Training/Meeting Venue,,\"95,430\",\"235,520\",\"330,950\"\n" +
	"Publicity/newsletter/media,,\"205,700\",\"119,340\",\"325,040\"\n" +
	"Incidental Costs,,\"120,000\",\"59,700\",\"179,700\"\n" +
	"Others (including training and education support to target groups),,\"46,500\",\"226,592\",\"273,092\"\n" +
	"Sub-total in RMB,\"390,000\",\"2,758,540\",\"3,110,642\",\"6,259,182\"\n" +
	",,,Total in RMB,\"6,259,182\"\n" +
	",,,Total in US$,\"993,206\"\n" +
	",,,Total in CAN$,\"947,533\"\n"

var pwTableRE = regexp.MustCompile(`name="table" value="([^"]*)"`)

// TestPlansContributions imports Annex A through the page: the dry run lists the one stated
// figure that disagrees (the CAN$ total, two digits swapped) and stores nothing; confirmed, the
// summary shows RMB 6,259,182 and, with the rate of the review's date, the dollar total. A bad
// cell is named by row and cell; the API takes the same table as JSON; Anhui cannot read the
// national summary.
func TestPlansContributions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := pwSetup(t, db)
		n := x.net
		parsed, err := plans.ParseContributionTable(strings.NewReader(pwAnnexA))
		if err != nil {
			t.Fatal(err)
		}
		cells := 0
		for _, row := range parsed.Rows {
			cells += len(row.Amounts)
		}
		fields := url.Values{"unit_id": {itoa(n.National.ID)}, "from": {"2010-01-01"}, "to": {"2012-06-30"}, "rate_cny": {"6.302"}, "rate_cur_1": {"CAD"},
			"rate_val_1": {"0.9812"}, "rate_on": {"2012-09-01"}, "source_ref": {"Annex A"}, "dry_run": {"1"}}
		b, ct := pwMultipart(t, fields, "file", "annex-a.csv", []byte(pwAnnexA))
		r := x.nat.do(t, http.MethodPost, "/plans/contributions?lang=en", b, ct)
		pwWant(t, "dry run", r, http.StatusOK, `id="import-diffs"`, "Converted total", `<td class="num stated">947,533</td>`,
			`<td class="num computed">974,533</td>`, `<td class="num delta">-27,000</td>`, "nothing was imported")
		if strings.Count(r.Body, `class="num stated"`) != 1 {
			t.Fatalf("the dry run lists more than the CAN$ total:\n%s", r.Body)
		}
		var stored int
		db.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM contributions").Scan(&stored)
		if stored != 0 {
			t.Fatalf("a dry run stored %d cells", stored)
		}
		m := pwTableRE.FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no confirmation form:\n%s", r.Body)
		}
		confirm := url.Values{"unit_id": {itoa(n.National.ID)}, "from": {"2010-01-01"}, "to": {"2012-06-30"}, "source_ref": {"Annex A"}, "table": {html.UnescapeString(m[1])}}
		pwWant(t, "import", x.nat.postForm(t, "/plans/contributions?lang=zh", confirm), http.StatusOK, fmt.Sprintf("已导入%d个单元格", cells), `id="inkind-total">6,259,182<`)
		// The rates are dated after the period: a summary to the year's end converts at them.
		total := int64(6_259_182_00)
		usd, err := plans.Convert(total, plans.Rate{Currency: "CNY", PerUSD: "6.302"}, plans.Rate{Currency: "USD", PerUSD: "1"})
		if err != nil {
			t.Fatal(err)
		}
		r = x.nat.get(t, fmt.Sprintf("/plans/contributions?lang=en&unit=%d&from=2010-01-01&to=2012-12-31", n.National.ID))
		pwWant(t, "summary", r, http.StatusOK, `id="inkind-total">6,259,182<`, `<td class="num subtotal">1,762,400</td>`, `id="inkind-converted-USD"`, ivAmount(usd))
		var sum ivSummaryBody
		x.natAPI.get(t, fmt.Sprintf("/api/v1/contributions?unit=%d&to=2012-12-31", n.National.ID)).json(t, &sum)
		if sum.Total != total || sum.Levels[plans.LocalLevel] != 3_110_642_00 || sum.Converted["USD"] != usd {
			t.Fatalf("summary by API: %+v", sum)
		}
		// A bad cell, by row and cell, in both languages.
		bad := strings.Replace(pwAnnexA, `"12,500"`, `"12,5OO"`, 1)
		b, ct = pwMultipart(t, fields, "file", "annex-a.csv", []byte(bad))
		pwWant(t, "bad cell", x.nat.do(t, http.MethodPost, "/plans/contributions?lang=en", b, ct), http.StatusUnprocessableEntity,
			"Row 5: Amount in cell B5 must be an amount")
		b, ct = pwMultipart(t, fields, "file", "annex-a.csv", []byte(bad))
		pwWant(t, "bad cell (zh)", x.nat.do(t, http.MethodPost, "/plans/contributions?lang=zh", b, ct), http.StatusUnprocessableEntity,
			"第 5 行：单元格B5中的金额")
		// The API: the same file as an upload, and the table as JSON.
		fields.Set("dry_run", "true")
		b, ct = pwMultipart(t, fields, "file", "annex-a.csv", []byte(pwAnnexA))
		var ans ivImportAnswer
		r = x.natAPI.do(t, http.MethodPost, "/api/v1/contributions", b, ct)
		if r.json(t, &ans); r.Status != http.StatusOK || ans.Cells != cells || len(ans.Differences) != 1 || ans.Differences[0].Currency != "CAD" {
			t.Fatalf("API upload: status %d %+v", r.Status, ans)
		}
		r = x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/contributions", map[string]any{"unit_id": n.National.ID, "table": ans.Table, "dry_run": true})
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `"kind":"converted"`) {
			t.Fatalf("API JSON: status %d %s", r.Status, r.Body)
		}
		if r := x.ahAPI.get(t, fmt.Sprintf("/api/v1/contributions?unit=%d", n.National.ID)); r.Status != http.StatusNotFound {
			t.Fatalf("Anhui reading the national summary: status %d", r.Status)
		}
		// Rates are the national office's to record.
		if r := x.ahAPI.sendJSON(t, http.MethodPost, "/api/v1/rates", plans.Rate{Currency: "CNY", PerUSD: "6.5", On: "2012-12-31"}); r.Status != http.StatusForbidden {
			t.Fatalf("a province recording a rate: status %d", r.Status)
		}
		if r := x.natAPI.sendJSON(t, http.MethodPost, "/api/v1/rates", plans.Rate{Currency: "CNY", PerUSD: "6.5", On: "2012-12-31"}); r.Status != http.StatusCreated {
			t.Fatalf("recording a rate: status %d %s", r.Status, r.Body)
		}
		var rates struct{ Items []plans.Rate }
		x.ahAPI.get(t, "/api/v1/rates").json(t, &rates)
		if len(rates.Items) != 3 {
			t.Fatalf("rates %+v", rates.Items)
		}
	})
}
