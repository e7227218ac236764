package plans_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	netmail "net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/mail"
	"ting/internal/mail/mailtest"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// testLetter stands in for web.ReminderLetter: one line per notification, in the user's language.
func testLetter(lang string, ns []plans.Notification) (string, string) {
	var b strings.Builder
	for _, n := range ns {
		fmt.Fprintf(&b, "%s %s R%d %d\n", n.Kind, n.Intervention, n.Seq, n.Days)
	}
	if lang == "zh" {
		return fmt.Sprintf("报告提醒：%d 项", len(ns)), b.String()
	}
	return fmt.Sprintf("Report reminders: %d", len(ns)), b.String()
}

type remindWorld struct {
	world
	other                             org.Partner
	ag1, ag2, ag3, ag4, agOther       auth.User
	ahOfficer, jsOfficer, nat, natAdm auth.User
}

func setupRemind(t *testing.T, db *store.DB) remindWorld {
	t.Helper()
	ctx := context.Background()
	w := remindWorld{world: setupWorld(t, db)}
	w.other = must(org.New(db).CreatePartner(ctx, access.System, org.PartnerInput{Code: "AH-WH2", UnitID: w.hf.ID, Type: "womens_home",
		NameZH: "合肥第二妇女之家", NameEN: "Hefei Women's Home 2"}))(t)
	as := auth.New(db)
	user := func(name string, role access.Role, unit, partner int64, lang, email string) auth.User {
		t.Helper()
		u := must(as.CreateUser(ctx, access.System, auth.UserInput{Username: name, DisplayName: name, Password: "reminder-password-1", Role: role,
			UnitID: unit, PartnerID: partner, Lang: lang}))(t)
		if email != "" {
			if err := as.SetEmail(ctx, u.Actor(), u.ID, email); err != nil {
				t.Fatalf("e-mail of %s: %v", name, err)
			}
		}
		return u
	}
	w.ag1 = user("ag1", access.AgencyReporter, w.hf.ID, w.agency.ID, "zh", "ag1@example.org")
	w.ag2 = user("ag2", access.AgencyReporter, w.hf.ID, w.agency.ID, "en", "ag2@example.org")
	w.ag3 = user("ag3", access.AgencyReporter, w.hf.ID, w.agency.ID, "", "")
	w.ag4 = user("ag4", access.AgencyReporter, w.hf.ID, w.agency.ID, "", "ag4@example.org")
	if err := as.SetActive(ctx, access.System, w.ag4.ID, false); err != nil {
		t.Fatal(err)
	}
	w.agOther = user("agother", access.AgencyReporter, w.hf.ID, w.other.ID, "", "other@example.org")
	w.ahOfficer = user("ahofficer", access.ProvincialOfficer, w.ah.ID, 0, "zh", "ah@example.org")
	w.jsOfficer = user("jsofficer", access.ProvincialOfficer, w.js.ID, 0, "zh", "js@example.org")
	w.nat = user("natofficer", access.NationalOfficer, w.cn.ID, 0, "en", "nat@example.org")
	w.natAdm = user("natadmin", access.NationalAdmin, w.cn.ID, 0, "en", "admin@example.org")
	return w
}

// recipients lists, per user name, the notifications of a kind on a day.
func recipients(t *testing.T, db *store.DB, kind, day string) map[string]bool {
	t.Helper()
	rows, err := db.R.QueryContext(context.Background(), `SELECT u.username, n.emailed FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE n.kind = $1 AND n.day = $2 ORDER BY u.username`, kind, day)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		var emailed bool
		if err := rows.Scan(&name, &emailed); err != nil {
			t.Fatal(err)
		}
		out[name] = emailed
	}
	return out
}

func mailTo(t *testing.T, sink *mailtest.Sink) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	var dec mime.WordDecoder
	for _, m := range sink.Messages() {
		msg, err := netmail.ReadMessage(strings.NewReader(string(m.Data)))
		if err != nil {
			t.Fatalf("message: %v", err)
		}
		subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatalf("subject %q: %v", msg.Header.Get("Subject"), err)
		}
		for _, to := range m.To {
			out[to] = append(out[to], subject)
		}
	}
	return out
}

func TestRemindLateReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setupRemind(t, db)
		s := w.svc
		iv := must(s.CreateIntervention(ctx, w.anhui, apInput(w.world, "2011-01-01", "2011-12-31")))(t)
		r1 := must(s.Reports(ctx, w.national, iv.ID))(t)[0]
		sink := mailtest.Start(t, mailtest.Options{})
		m, err := mail.New(mail.SMTP{Addr: sink.Addr, From: "Ting <ting@example.org>"})
		if err != nil {
			t.Fatal(err)
		}
		opt := plans.RemindOptions{Letter: testLetter, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

		if _, err := s.Remind(ctx, "2011-06-20", m, plans.RemindOptions{}); err == nil {
			t.Fatal("e-mail without a letter was accepted")
		}
		// Report 1 (January-April) was due on 30 May with 10 days' grace: on 9 June it is not late.
		st := must(s.Remind(ctx, "2011-06-09", m, opt))(t)
		if st.Late != 0 || st.Created != 0 || len(sink.Messages()) != 0 {
			t.Fatalf("within the grace: %+v", st)
		}
		// On 20 June it is 21 days late: each active user of the agency is notified, and those
		// with an address get one e-mail in their language.
		st = must(s.Remind(ctx, "2011-06-20", m, opt))(t)
		if st.Late != 1 || st.Created != 3 || st.Emailed != 2 || st.Failed != 0 {
			t.Fatalf("first run: %+v", st)
		}
		if got := recipients(t, db, plans.NoticeLate, "2011-06-20"); fmt.Sprint(got) != "map[ag1:true ag2:true ag3:false]" {
			t.Fatalf("notified %v", got)
		}
		sent := mailTo(t, sink)
		if len(sent) != 2 || !slices.Equal(sent["ag1@example.org"], []string{"报告提醒：1 项"}) || !slices.Equal(sent["ag2@example.org"], []string{"Report reminders: 1"}) {
			t.Fatalf("e-mails %v", sent)
		}
		if body := string(sink.Messages()[0].Data); !strings.Contains(body, "report_late AP-AH-01 R1 21") {
			t.Fatalf("e-mail body:\n%s", body)
		}
		ns := must(s.Notifications(ctx, w.ag1.Actor(), false))(t)
		if len(ns) != 1 || ns[0].ReportID != r1.ID || ns[0].Days != 21 || ns[0].Due != "2011-05-30" || ns[0].Title("en") != "Life skills education" ||
			ns[0].Agency("zh") != "合肥妇女之家" || !ns[0].Emailed || ns[0].ReadAt != nil {
			t.Fatalf("ag1's notifications %+v", ns)
		}
		// The same day again: nothing new, nothing sent twice.
		st = must(s.Remind(ctx, "2011-06-20", m, opt))(t)
		if st.Late != 1 || st.Created != 0 || st.Emailed != 0 || len(sink.Messages()) != 2 {
			t.Fatalf("second run the same day: %+v, %d e-mails", st, len(sink.Messages()))
		}

		// The next day the mail server refuses recipients: the notifications are made, the
		// e-mails fail, and nothing is marked as e-mailed.
		sink.FailRcpt(true)
		st = must(s.Remind(ctx, "2011-06-21", m, opt))(t)
		if st.Created != 3 || st.Emailed != 0 || st.Failed != 2 {
			t.Fatalf("refused recipients: %+v", st)
		}
		if got := recipients(t, db, plans.NoticeLate, "2011-06-21"); fmt.Sprint(got) != "map[ag1:false ag2:false ag3:false]" {
			t.Fatalf("after the failure %v", got)
		}
		// ag2 reads hers in the application meanwhile; the next run e-mails only ag1.
		if err := s.MarkRead(ctx, w.ag2.Actor()); err != nil {
			t.Fatal(err)
		}
		if n := must(s.UnreadCount(ctx, w.ag2.Actor()))(t); n != 0 {
			t.Fatalf("ag2 unread after reading: %d", n)
		}
		if n := must(s.UnreadCount(ctx, w.ag1.Actor()))(t); n != 2 {
			t.Fatalf("ag1 unread: %d", n)
		}
		sink.FailRcpt(false)
		st = must(s.Remind(ctx, "2011-06-21", m, opt))(t)
		if st.Created != 0 || st.Emailed != 1 || st.Failed != 0 {
			t.Fatalf("retry: %+v", st)
		}
		if got := recipients(t, db, plans.NoticeLate, "2011-06-21"); fmt.Sprint(got) != "map[ag1:true ag2:false ag3:false]" {
			t.Fatalf("after the retry %v", got)
		}
		if sent := mailTo(t, sink); len(sent["ag1@example.org"]) != 2 || len(sent["ag2@example.org"]) != 1 || len(sink.Messages()) != 3 {
			t.Fatalf("e-mails after the retry %v", sent)
		}
		// Each user sees only their own notifications, and reading is per user.
		if ns := must(s.Notifications(ctx, w.ag2.Actor(), true))(t); len(ns) != 0 {
			t.Fatalf("ag2 unread %+v", ns)
		}
		if ns := must(s.Notifications(ctx, w.ag2.Actor(), false))(t); len(ns) != 2 || ns[0].Day != "2011-06-21" || ns[0].ReadAt == nil {
			t.Fatalf("ag2 all %+v", ns)
		}
		if ns := must(s.Notifications(ctx, w.agOther.Actor(), false))(t); len(ns) != 0 {
			t.Fatalf("another agency's user: %+v", ns)
		}
		if ns := must(s.Notifications(ctx, access.System, false))(t); len(ns) != 0 {
			t.Fatalf("the system actor: %+v", ns)
		}
		// Without a mailer only the notifications are made.
		st = must(s.Remind(ctx, "2011-06-22", nil, opt))(t)
		if st.Created != 3 || st.Emailed != 0 || len(sink.Messages()) != 3 {
			t.Fatalf("without a mailer: %+v", st)
		}
	})
}

// A late report of an agency without an active user reminds the officers of the office that
// reviews its reports (the plan's province), not another province's nor the national office.
func TestRemindLateAgencyWithoutUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setupRemind(t, db)
		paper := must(org.New(db).CreatePartner(ctx, access.System, org.PartnerInput{Code: "AH-WH3", UnitID: w.hf.ID, Type: "womens_home",
			NameZH: "合肥第三妇女之家", NameEN: "Hefei Women's Home 3"}))(t)
		in := apInput(w.world, "2011-01-01", "2011-12-31")
		in.AgencyID = paper.ID
		must(w.svc.CreateIntervention(ctx, w.anhui, in))(t)
		st := must(w.svc.Remind(ctx, "2011-06-20", nil, plans.RemindOptions{}))(t)
		if st.Late != 1 || st.Created != 1 {
			t.Fatalf("late report of an agency without users: %+v", st)
		}
		if got := recipients(t, db, plans.NoticeLate, "2011-06-20"); fmt.Sprint(got) != "map[ahofficer:false]" {
			t.Fatalf("notified %v", got)
		}
	})
}

// TestRemindReviewAndApproval: a submitted report waiting on review more than the wait
// reminds the province's officers (not another province's, not the national office); once
// reviewed and waiting on approval, the national officers.
func TestRemindReviewAndApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setupRemind(t, db)
		s := w.svc
		iv := must(s.CreateIntervention(ctx, w.anhui, apInput(w.world, "2011-01-01", "2011-12-31")))(t)
		r1 := must(s.Reports(ctx, w.national, iv.ID))(t)[0]
		ag := w.ag1.Actor()
		s.SetToday(func() string { return "2011-06-05" })
		must(s.SaveDraft(ctx, ag, r1.ID, plans.ReportDraft{Progress: "Trained 40 teachers."}))(t)
		must(s.Submit(ctx, ag, r1.ID, "k1"))(t)
		sink := mailtest.Start(t, mailtest.Options{})
		m, err := mail.New(mail.SMTP{Addr: sink.Addr, From: "ting@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		opt := plans.RemindOptions{Letter: testLetter, WaitDays: 14, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

		// Submitted on 5 June (before its grace ended): not late, and 14 days on 19 June are
		// not more than the wait.
		if st := must(s.Remind(ctx, "2011-06-19", m, opt))(t); st.Late != 0 || st.ToReview != 0 || st.Created != 0 {
			t.Fatalf("within the wait: %+v", st)
		}
		st := must(s.Remind(ctx, "2011-06-20", m, opt))(t)
		if st.ToReview != 1 || st.Created != 1 || st.Emailed != 1 {
			t.Fatalf("waiting on review: %+v", st)
		}
		if got := recipients(t, db, plans.NoticeReview, "2011-06-20"); fmt.Sprint(got) != "map[ahofficer:true]" {
			t.Fatalf("reviewers notified %v", got)
		}
		if sent := mailTo(t, sink); len(sent) != 1 || len(sent["ah@example.org"]) != 1 {
			t.Fatalf("e-mails %v", sent)
		}
		ns := must(s.Notifications(ctx, w.ahOfficer.Actor(), true))(t)
		if len(ns) != 1 || ns[0].Kind != plans.NoticeReview || ns[0].Since != "2011-06-05" || ns[0].Days != 15 {
			t.Fatalf("reviewer's notification %+v", ns)
		}
		// A longer wait setting holds the reminder back.
		if st := must(s.Remind(ctx, "2011-06-21", nil, plans.RemindOptions{WaitDays: 30}))(t); st.ToReview != 0 {
			t.Fatalf("with a 30-day wait: %+v", st)
		}

		must(s.Review(ctx, w.ahOfficer.Actor(), r1.ID, "Complete."))(t)
		// The review happened on 1 July by the programme's calendar.
		if _, err := db.W.ExecContext(ctx, `UPDATE report_events SET at = $1 WHERE report_id = $2 AND action = 'review'`,
			time.Date(2011, 7, 1, 9, 30, 0, 0, time.UTC), r1.ID); err != nil {
			t.Fatal(err)
		}
		if st := must(s.Remind(ctx, "2011-07-15", m, opt))(t); st.ToReview != 0 || st.ToApprove != 0 || st.Created != 0 {
			t.Fatalf("reviewed 14 days ago: %+v", st)
		}
		st = must(s.Remind(ctx, "2011-07-20", m, opt))(t)
		if st.ToApprove != 1 || st.Created != 1 || st.Emailed != 1 {
			t.Fatalf("waiting on approval: %+v", st)
		}
		if got := recipients(t, db, plans.NoticeApprove, "2011-07-20"); fmt.Sprint(got) != "map[natofficer:true]" {
			t.Fatalf("approvers notified %v", got)
		}
		ns = must(s.Notifications(ctx, w.nat.Actor(), false))(t)
		if len(ns) != 1 || ns[0].Since != "2011-07-01" || ns[0].Days != 19 || ns[0].Intervention != "AP-AH-01" || ns[0].Seq != 1 {
			t.Fatalf("approver's notification %+v", ns)
		}
		for _, u := range []auth.User{w.jsOfficer, w.natAdm, w.agOther} {
			if ns := must(s.Notifications(ctx, u.Actor(), false))(t); len(ns) != 0 {
				t.Errorf("%s was notified: %+v", u.Username, ns)
			}
		}
		must(s.Approve(ctx, w.nat.Actor(), r1.ID, ""))(t)
		if st := must(s.Remind(ctx, "2011-07-21", m, opt))(t); st.ToApprove != 0 || st.Created != 0 {
			t.Fatalf("after approval: %+v", st)
		}
	})
}

func TestSetEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setupRemind(t, db)
		as := auth.New(db)
		if err := as.SetEmail(ctx, w.ag3.Actor(), w.ag3.ID, "not an address"); rule(err) != "email" {
			t.Fatalf("bad address: %v", err)
		}
		if err := as.SetEmail(ctx, w.ag3.Actor(), w.ag3.ID, "Name <x@example.org>"); rule(err) != "email" {
			t.Fatalf("address with a name: %v", err)
		}
		if err := as.SetEmail(ctx, w.ag3.Actor(), w.ag1.ID, "x@example.org"); err == nil {
			t.Fatal("a reporter set another user's address")
		}
		if err := as.SetEmail(ctx, w.jsOfficer.Actor(), w.ag1.ID, "x@example.org"); err == nil {
			t.Fatal("another province set an address")
		}
		if err := as.SetEmail(ctx, w.ag3.Actor(), w.ag3.ID, " ag3@example.org "); err != nil {
			t.Fatal(err)
		}
		if e := must(as.Email(ctx, w.ag3.ID))(t); e != "ag3@example.org" {
			t.Fatalf("stored %q", e)
		}
		if err := as.SetEmail(ctx, w.ag3.Actor(), w.ag3.ID, ""); err != nil {
			t.Fatal(err)
		}
		if e := must(as.Email(ctx, w.ag3.ID))(t); e != "" {
			t.Fatalf("cleared %q", e)
		}
	})
}
