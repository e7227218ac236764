package web

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net/http"
	netmail "net/mail"
	"net/url"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/mail"
	"ting/internal/mail/mailtest"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestNotifications: a late report notifies the agency's user, whose reminder e-mail arrives in
// Chinese; the notifications page and API show it with a link to the report, in both
// languages; marking all read empties the unread list; another province's officer sees
// nothing; the e-mail address is set from the page, with a bad one refused by name.
func TestNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sys := access.System
		cn := fxUnit(t, db, "NTCN", org.National, 0, "全国通知测试", "National Notify", "2010-01-01")
		ah := fxUnit(t, db, "NTAH", org.Provincial, cn.ID, "安徽通知测试省", "Anhui Notify", "2010-01-01")
		hf := fxUnit(t, db, "NTAH-HF", org.Municipal, ah.ID, "合肥通知测试市", "Hefei Notify", "2010-01-01")
		js := fxUnit(t, db, "NTJS", org.Provincial, cn.ID, "江苏通知测试省", "Jiangsu Notify", "2010-01-01")
		agency, err := org.New(db).CreatePartner(ctx, sys, org.PartnerInput{Code: "NT-WH", UnitID: hf.ID, Type: "womens_home",
			NameZH: "合肥通知妇女之家", NameEN: "Hefei Notify Women's Home"})
		if err != nil {
			t.Fatal(err)
		}
		as := auth.New(db)
		reporter, err := as.CreateUser(ctx, sys, auth.UserInput{Username: "ntreporter", DisplayName: "NT reporter", Password: fxPassword,
			Role: access.AgencyReporter, UnitID: hf.ID, PartnerID: agency.ID, Lang: "zh"})
		if err != nil {
			t.Fatal(err)
		}
		if err := as.SetEmail(ctx, reporter.Actor(), reporter.ID, "reporter@example.org"); err != nil {
			t.Fatal(err)
		}
		jsUser := fxUser(t, db, "ntjs", access.ProvincialOfficer, js.ID)

		svc := plans.New(db)
		wp, err := svc.CreateWorkPlan(ctx, sys, plans.WorkPlanInput{UnitID: ah.ID, Year: 2011, TitleZH: "安徽2011年计划", TitleEN: "Anhui plan 2011"})
		if err != nil {
			t.Fatal(err)
		}
		iv, err := svc.CreateIntervention(ctx, sys, plans.InterventionPlan{WorkPlanID: wp.ID, Code: "AP-NT-01", TitleZH: "生活技能教育", TitleEN: "Life skills education",
			AgencyID: agency.ID, GraceDays: 10, Locations: []int64{hf.ID},
			Rules: plans.InterventionInput{Format: plans.ActionProgramme, StartOn: "2011-01-01", EndOn: "2011-12-31", AdvanceShare: 3000,
				Budget: []plans.BudgetLine{{Item: "Training", Currency: "CNY", Amount: 9_000_000}}}})
		if err != nil {
			t.Fatal(err)
		}
		reps, err := svc.Reports(ctx, sys, iv.ID)
		if err != nil {
			t.Fatal(err)
		}
		r1 := itoa(reps[0].ID)

		// Report 1 was due on 30 May 2011; on 20 June it is 21 days late.
		sink := mailtest.Start(t, mailtest.Options{})
		m, err := mail.New(mail.SMTP{Addr: sink.Addr, From: "Ting <ting@example.org>"})
		if err != nil {
			t.Fatal(err)
		}
		st, err := svc.Remind(ctx, "2011-06-20", m, plans.RemindOptions{Letter: ReminderLetter, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil || st.Created != 1 || st.Emailed != 1 {
			t.Fatalf("remind: %+v %v", st, err)
		}
		msgs := sink.Messages()
		if len(msgs) != 1 || msgs[0].To[0] != "reporter@example.org" {
			t.Fatalf("e-mails %+v", msgs)
		}
		msg, err := netmail.ReadMessage(strings.NewReader(string(msgs[0].Data)))
		if err != nil {
			t.Fatal(err)
		}
		var dec mime.WordDecoder
		subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || subject != NewTr("zh").T("notify.mail_subject", "N", 1) || !strings.Contains(subject, "报告提醒") {
			t.Fatalf("subject %q (%v)", subject, err)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil || !strings.Contains(string(body), "合肥通知妇女之家：AP-NT-01“生活技能教育”第 1 期报告（技术与财务进度报告）应于 2011-05-30 提交，已逾期 21 天。") {
			t.Fatalf("body (%v):\n%s", err, body)
		}

		app := fxServer(t, db)
		ag := app.fxLogin(t, "ntreporter", fxPassword)
		agAPI := app.fxBearer(t, fxToken(t, db, reporter))
		r := ag.get(t, "/notifications?lang=zh")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `href="/plans/reports/`+r1+`"`) || !strings.Contains(r.Body, "已逾期 21 天") ||
			!strings.Contains(r.Body, `class="unread"`) || !strings.Contains(r.Body, `id="mark-read"`) || !strings.Contains(r.Body, `value="reporter@example.org"`) {
			t.Fatalf("notifications page: status %d\n%s", r.Status, r.Body)
		}
		if r := ag.get(t, "/notifications?lang=en"); !strings.Contains(r.Body, "Hefei Notify Women&#39;s Home: report 1 (Technical and financial progress report) of AP-NT-01 “Life skills education” was due on 2011-05-30 and is 21 days late.") {
			t.Fatalf("English page:\n%s", r.Body)
		}
		var got struct {
			Items []struct {
				ID       int64  `json:"id"`
				Kind     string `json:"kind"`
				ReportID int64  `json:"report_id"`
				Days     int    `json:"days"`
				Code     string `json:"intervention_code"`
				Message  string `json:"message"`
			}
			Total int
		}
		agAPI.get(t, "/api/v1/notifications?lang=en").json(t, &got)
		if got.Total != 1 || got.Items[0].ReportID != reps[0].ID || got.Items[0].Kind != plans.NoticeLate || got.Items[0].Days != 21 ||
			got.Items[0].Code != "AP-NT-01" || !strings.HasSuffix(got.Items[0].Message, "is 21 days late.") {
			t.Fatalf("API: %+v", got)
		}

		// Every page's header counts the unread notifications, until they are read.
		if r := ag.get(t, "/plans?lang=en"); !strings.Contains(r.Body, `id="unread-count"`) || !strings.Contains(r.Body, `aria-label="Unread: 1"`) {
			t.Fatalf("header without the unread count:\n%s", fxSnippet(r.Body))
		}
		if r := ag.postForm(t, "/notifications/read", url.Values{}); r.Status != http.StatusSeeOther || r.location() != "/notifications" {
			t.Fatalf("mark read: status %d to %q", r.Status, r.location())
		}
		got.Items, got.Total = nil, 0
		agAPI.get(t, "/api/v1/notifications?unread=1").json(t, &got)
		if r := ag.get(t, "/plans"); strings.Contains(r.Body, `id="unread-count"`) {
			t.Fatal("the header still counts notifications that were read")
		}
		if got.Total != 0 {
			t.Fatalf("unread after marking read: %+v", got)
		}
		agAPI.get(t, "/api/v1/notifications").json(t, &got)
		if got.Total != 1 {
			t.Fatalf("all after marking read: %+v", got)
		}
		if r := ag.get(t, "/notifications?unread=1&lang=en"); !strings.Contains(r.Body, `id="no-notifications"`) || strings.Contains(r.Body, `id="mark-read"`) {
			t.Fatalf("unread page after marking read:\n%s", r.Body)
		}
		if r := ag.get(t, "/notifications?lang=en"); !strings.Contains(r.Body, `class="read"`) || strings.Contains(r.Body, `class="unread"`) {
			t.Fatalf("page after marking read:\n%s", r.Body)
		}

		// Another province's officer has none of them.
		jsAPI := app.fxBearer(t, fxToken(t, db, jsUser))
		got.Items, got.Total = nil, 0
		jsAPI.get(t, "/api/v1/notifications").json(t, &got)
		if got.Total != 0 {
			t.Fatalf("Jiangsu officer's notifications: %+v", got)
		}
		if r := app.fxLogin(t, "ntjs", fxPassword).get(t, "/notifications?lang=en"); r.Status != http.StatusOK || strings.Contains(r.Body, "AP-NT-01") ||
			!strings.Contains(r.Body, `id="no-notifications"`) {
			t.Fatalf("Jiangsu officer's page: status %d\n%s", r.Status, r.Body)
		}

		// The address is the user's own to set; a bad one is refused naming the field.
		if r := ag.postForm(t, "/notifications/email?lang=en", url.Values{"email": {"reporter at example"}}); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, "E-mail address is not a valid e-mail address") || !strings.Contains(r.Body, `value="reporter at example"`) {
			t.Fatalf("bad address: status %d\n%s", r.Status, r.Body)
		}
		if r := ag.postForm(t, "/notifications/email", url.Values{"email": {"new@example.org"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("set address: status %d\n%s", r.Status, r.Body)
		}
		if e, err := as.Email(ctx, reporter.ID); err != nil || e != "new@example.org" {
			t.Fatalf("stored address %q (%v)", e, err)
		}
		if r := app.fxBrowser(t).get(t, "/notifications"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
			t.Fatalf("signed out: status %d to %q", r.Status, r.location())
		}
		if r := app.fxBrowser(t).get(t, "/api/v1/notifications"); r.Status != http.StatusUnauthorized {
			t.Fatalf("API signed out: status %d", r.Status)
		}
	})
}

// TestReminderLetterTexts: every notification kind has its text in both languages, and the
// letter uses the user's language.
func TestReminderLetterTexts(t *testing.T) {
	n := plans.Notification{ReportID: 7, Day: "2011-06-20", Notice: plans.Notice{Intervention: "AP-X", TitleZH: "标题", TitleEN: "Title",
		AgencyZH: "机构", AgencyEN: "Agency", Seq: 2, ReportKind: plans.FinalReport, Due: "2011-05-30", Since: "2011-06-01", Days: 19}}
	for _, lang := range Langs {
		tr := NewTr(lang)
		for _, kind := range plans.NoticeKinds {
			n.Kind = kind
			text := NotificationText(tr, n)
			if text == "notify."+kind || !strings.Contains(text, "AP-X") || !strings.Contains(text, "19") || !strings.Contains(text, tr.T("report.final")) {
				t.Errorf("%s %s: %q", lang, kind, text)
			}
		}
		subject, body := ReminderLetter(lang, []plans.Notification{n, n})
		if subject != tr.T("notify.mail_subject", "N", 2) || strings.Count(body, "AP-X") != 2 || !strings.Contains(body, tr.T("notify.mail_footer")) {
			t.Errorf("%s letter %q:\n%s", lang, subject, body)
		}
	}
	if s, _ := ReminderLetter("en", []plans.Notification{n}); !strings.HasPrefix(s, "Ting: reminders") {
		t.Errorf("English subject %q", s)
	}
	// The catalogs hold the texts (and no kind is missing from either language).
	for _, lang := range Langs {
		b, err := fs.ReadFile(catalogFS, "i18n/notify."+lang+".toml")
		if err != nil {
			t.Fatal(err)
		}
		var c map[string]string
		if err := toml.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		for _, kind := range plans.NoticeKinds {
			if c["notify."+kind] == "" {
				t.Errorf("notify.%s.toml has no text for %s", lang, kind)
			}
		}
	}
}
