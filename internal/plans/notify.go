package plans

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/config"
	"ting/internal/store"
)

// Reminders: in-app notifications about reports that wait on someone — the agency's late
// reports, the provincial office's reviews, the national office's approvals — and, when a
// Mailer is given, one e-mail per person per run gathering theirs.

// Notification kinds.
const (
	NoticeLate    = "report_late"    // to the agency's users: a report is past its grace
	NoticeReview  = "report_review"  // to the plan's provincial officers: a submitted report waits on review
	NoticeApprove = "report_approve" // to the national officers: a reviewed report waits on approval
)

// NoticeKinds lists every kind, in the order a reminder lists them.
var NoticeKinds = []string{NoticeLate, NoticeReview, NoticeApprove}

// Notice is what a notification says about its report, kept as it was when it was created.
type Notice struct {
	Intervention string `json:"intervention_code"`
	TitleZH      string `json:"title_zh"`
	TitleEN      string `json:"title_en"`
	AgencyZH     string `json:"agency_name_zh"`
	AgencyEN     string `json:"agency_name_en"`
	Seq          int    `json:"seq"`
	ReportKind   string `json:"report_kind"`
	Due          string `json:"due_on"`
	Since        string `json:"since,omitempty"` // submitted or reviewed on, for reports waiting on an office
	Days         int    `json:"days"`            // days late, or days waiting
	// InPlaceOf names the office (the work plan's unit) that has no account to be reminded,
	// when the reminder went up to the nearest office above it that has one; "" otherwise.
	InPlaceOfZH string `json:"in_place_of_zh,omitempty"`
	InPlaceOfEN string `json:"in_place_of_en,omitempty"`
}

// InPlaceOf is the name, in lang, of the office the reminder stands in for ("" if none).
func (n Notice) InPlaceOf(lang string) string { return pick(lang, n.InPlaceOfZH, n.InPlaceOfEN) }

// Title is the intervention's title in lang.
func (n Notice) Title(lang string) string { return pick(lang, n.TitleZH, n.TitleEN) }

// Agency is the implementing agency's name in lang.
func (n Notice) Agency(lang string) string { return pick(lang, n.AgencyZH, n.AgencyEN) }

// Notification is one reminder to one user about one report on one day.
type Notification struct {
	ID       int64  `json:"id"`
	Kind     string `json:"kind"`
	ReportID int64  `json:"report_id"`
	Day      string `json:"day"`
	Notice
	Emailed   bool       `json:"emailed"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// Mailer sends one e-mail (internal/mail's SMTP implements it).
type Mailer interface {
	Send(ctx context.Context, to []string, subject, body string) error
}

// Letter writes one user's reminder e-mail in lang ("zh" or "en") from their notifications
// of the day. The texts live with the interface's catalogs (web.ReminderLetter).
type Letter func(lang string, ns []Notification) (subject, body string)

// RemindOptions configure a run of Remind.
type RemindOptions struct {
	// WaitDays: a report waiting on its reviewer or approver more than this many days is
	// reminded; below 1 takes config.DefaultRemindAfter.
	WaitDays int
	// Letter writes the e-mails; Remind refuses to send e-mail without one.
	Letter Letter
	// Log receives failed sends; nil logs to slog.Default().
	Log *slog.Logger
}

func (o RemindOptions) waitDays() int {
	if o.WaitDays < 1 {
		return config.DefaultRemindAfter
	}
	return o.WaitDays
}

func (o RemindOptions) log() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.Default()
}

// RemindStats says what one run of Remind did.
type RemindStats struct {
	Late      int `json:"late"`       // late reports found
	ToReview  int `json:"to_review"`  // submitted reports waiting on review too long
	ToApprove int `json:"to_approve"` // reviewed reports waiting on approval too long
	Created   int `json:"created"`    // notifications created (none on a second run the same day)
	Emailed   int `json:"emailed"`    // e-mails sent
	Failed    int `json:"failed"`     // e-mails that failed: their notifications are sent on the next run
}

// due is a notification to create for each recipient.
type due struct {
	kind       string
	reportID   int64
	notice     Notice
	recipients []int64
}

// Remind creates the day's notifications — one per recipient, report and kind, so running it
// again the same day adds nothing — and, when m is not nil, e-mails each user with an address
// one message with all of that day's notifications not yet e-mailed or read. A failed send is
// logged and its notifications stay un-e-mailed for the next run; it stops no other send.
// asOf "" is today.
func (s *Service) Remind(ctx context.Context, asOf string, m Mailer, opt RemindOptions) (RemindStats, error) {
	var st RemindStats
	if asOf == "" {
		asOf = s.today()
	}
	if _, err := parseDate(asOf); err != nil {
		return st, fmt.Errorf("remind: %w", err)
	}
	if m != nil && opt.Letter == nil {
		return st, errors.New("remind: e-mail needs RemindOptions.Letter")
	}
	dues, err := s.dueNotices(ctx, asOf, opt.waitDays(), &st)
	if err != nil {
		return st, fmt.Errorf("remind: %w", err)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		created, now := 0, store.Now()
		for _, d := range dues {
			params, err := json.Marshal(d.notice)
			if err != nil {
				return err
			}
			for _, u := range d.recipients {
				res, err := tx.ExecContext(ctx, `INSERT INTO notifications (user_id, kind, report_id, day, params, emailed, created_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, kind, report_id, day) DO NOTHING`,
					u, d.kind, d.reportID, asOf, string(params), false, now)
				if err != nil {
					return err
				}
				n, _ := res.RowsAffected()
				created += int(n)
			}
		}
		st.Created = created
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("remind: %w", err)
	}
	if m == nil {
		return st, nil
	}
	return st, s.mailReminders(ctx, asOf, m, opt, &st)
}

// dueNotices finds the reports to remind about on asOf and who is to be reminded.
func (s *Service) dueNotices(ctx context.Context, asOf string, waitDays int, st *RemindStats) ([]due, error) {
	people, err := s.remindable(ctx)
	if err != nil {
		return nil, err
	}
	var out []due
	late, err := s.LateReports(ctx, access.System, asOf)
	if err != nil {
		return nil, err
	}
	for _, l := range late {
		st.Late++
		var to []int64
		for _, p := range people {
			if p.partnerID == l.Intervention.AgencyID {
				to = append(to, p.id)
			}
		}
		n := noticeOf(l.Report, l.Intervention, "", l.DaysLate)
		// An agency with no active user (many Women's Homes report on paper) would hear
		// nothing: the office that reviews its reports is told instead, to chase it — or,
		// when that office has no account either, the nearest office above it that has one.
		if len(to) == 0 {
			var err error
			if to, err = s.upTheHierarchy(ctx, people, l.Intervention, &n, responsible); err != nil {
				return nil, err
			}
		}
		out = append(out, due{kind: NoticeLate, reportID: l.Report.ID, notice: n, recipients: to})
	}

	rows, err := s.db.R.QueryContext(ctx, `SELECT `+reportCols+` FROM reports r JOIN interventions i ON i.id = r.intervention_id
		WHERE r.status IN ($1, $2) ORDER BY i.code, r.seq`, StatusSubmitted, StatusReviewed)
	if err != nil {
		return nil, err
	}
	var waiting []Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		waiting = append(waiting, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ivs := map[int64]Intervention{}
	for _, r := range waiting {
		iv, ok := ivs[r.InterventionID]
		if !ok {
			if iv, err = s.intervention(ctx, s.db.R, access.System, r.InterventionID); err != nil {
				return nil, err
			}
			ivs[r.InterventionID] = iv
		}
		since := r.SubmittedOn
		if r.Status == StatusReviewed {
			if since, err = s.reviewedOn(ctx, r); err != nil {
				return nil, err
			}
		}
		if since == "" {
			continue
		}
		days, err := DaysBetween(since, asOf)
		if err != nil {
			return nil, err
		}
		if days <= waitDays {
			continue
		}
		d := due{reportID: r.ID, notice: noticeOf(r, iv, since, days)}
		switch r.Status {
		case StatusSubmitted:
			// The office of the plan's unit reviews: a province's officers, or the national
			// officers for a national plan; a province with no such account is stood in for by
			// the nearest office above it that has one (the national office reviews too).
			if d.recipients, err = s.upTheHierarchy(ctx, people, iv, &d.notice, reviewer); err != nil {
				return nil, err
			}
		case StatusReviewed:
			for _, p := range people {
				if p.partnerID == 0 && p.role == access.NationalOfficer && strings.HasPrefix(iv.unitPath, p.unitPath) {
					d.recipients = append(d.recipients, p.id)
				}
			}
		}
		if r.Status == StatusSubmitted {
			d.kind = NoticeReview
			st.ToReview++
		} else {
			d.kind = NoticeApprove
			st.ToApprove++
		}
		out = append(out, d)
	}
	return out, nil
}

// reviewer is an office account that reviews reports; responsible one that reviews or approves
// them (a late report is chased by either).
func reviewer(p person) bool { return p.partnerID == 0 && p.role.Has(access.ReviewReports) }

func responsible(p person) bool {
	return p.partnerID == 0 && (p.role.Has(access.ReviewReports) || p.role.Has(access.ApproveReports))
}

// upTheHierarchy finds who to remind about a report of iv: the accounts that pass ok at the
// plan's unit or, when there are none, at the nearest unit above it that has some (up to the
// national office). When the reminder goes up, n says in place of which office.
func (s *Service) upTheHierarchy(ctx context.Context, people []person, iv Intervention, n *Notice, ok func(person) bool) ([]int64, error) {
	ids := strings.Split(strings.Trim(iv.unitPath, "/"), "/")
	for i := len(ids) - 1; i >= 0; i-- {
		var to []int64
		for _, p := range people {
			if ok(p) && strconv.FormatInt(p.unitID, 10) == ids[i] {
				to = append(to, p.id)
			}
		}
		if len(to) == 0 {
			continue
		}
		if i < len(ids)-1 {
			u, err := s.org.Unit(ctx, access.System, iv.UnitID)
			if err != nil {
				return nil, err
			}
			n.InPlaceOfZH, n.InPlaceOfEN = u.NameZH, u.NameEN
		}
		return to, nil
	}
	return nil, nil
}

func noticeOf(r Report, iv Intervention, since string, days int) Notice {
	return Notice{Intervention: iv.Code, TitleZH: iv.TitleZH, TitleEN: iv.TitleEN, AgencyZH: iv.AgencyZH, AgencyEN: iv.AgencyEN,
		Seq: r.Seq, ReportKind: r.Kind, Due: r.Due, Since: since, Days: days}
}

// reviewedOn is the day of a reviewed report's latest review.
func (s *Service) reviewedOn(ctx context.Context, r Report) (string, error) {
	var at time.Time
	err := s.db.R.QueryRowContext(ctx, `SELECT at FROM report_events WHERE report_id = $1 AND to_status = $2 ORDER BY id DESC LIMIT 1`,
		r.ID, StatusReviewed).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return r.SubmittedOn, nil
	}
	if err != nil {
		return "", err
	}
	return at.UTC().Format(time.DateOnly), nil
}

// person is an active user who may be reminded.
type person struct {
	id        int64
	role      access.Role
	unitID    int64
	unitPath  string
	partnerID int64
}

func (s *Service) remindable(ctx context.Context) ([]person, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT us.id, us.role, us.unit_id, un.path, COALESCE(us.partner_id, 0) FROM users us
		JOIN org_units un ON un.id = us.unit_id WHERE us.active = $1 ORDER BY us.id`, true)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []person
	for rows.Next() {
		var p person
		if err := rows.Scan(&p.id, &p.role, &p.unitID, &p.unitPath, &p.partnerID); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// mailReminders sends each user with an address one e-mail with the day's notifications that
// are neither e-mailed nor read. Each user's notifications are claimed (marked e-mailed) before
// the send, so two runs at once never send the same one twice, and released if it fails.
func (s *Service) mailReminders(ctx context.Context, asOf string, m Mailer, opt RemindOptions, st *RemindStats) error {
	type recipient struct {
		id          int64
		email, lang string
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT DISTINCT u.id, u.email, u.lang FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE n.day = $1 AND n.emailed = $2 AND n.read_at IS NULL AND u.email <> '' AND u.active = $3 ORDER BY u.id`, asOf, false, true)
	if err != nil {
		return err
	}
	var rs []recipient
	for rows.Next() {
		var r recipient
		if err := rows.Scan(&r.id, &r.email, &r.lang); err != nil {
			rows.Close()
			return err
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range rs {
		if err := ctx.Err(); err != nil {
			return err
		}
		ns, err := s.claim(ctx, r.id, asOf)
		if err != nil {
			return err
		}
		if len(ns) == 0 {
			continue // another run took them
		}
		lang := r.lang
		if lang != "en" {
			lang = "zh"
		}
		subject, body := opt.Letter(lang, ns)
		if err := m.Send(ctx, []string{r.email}, subject, body); err != nil {
			st.Failed++
			opt.log().Warn("reminder e-mail not sent; it is retried on the next run", "user_id", r.id, "notifications", len(ns), "err", err)
			if err := s.release(ctx, ns); err != nil {
				opt.log().Error("reminder e-mail not sent and its notifications stay marked as sent", "user_id", r.id, "err", err)
			}
			continue
		}
		st.Emailed++
	}
	return nil
}

// claim marks a user's pending notifications of the day e-mailed and returns them in the
// order a reminder lists them.
func (s *Service) claim(ctx context.Context, userID int64, day string) ([]Notification, error) {
	var ns []Notification
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		ns = nil
		rows, err := tx.QueryContext(ctx, `UPDATE notifications SET emailed = $1 WHERE user_id = $2 AND day = $3 AND emailed = $4 AND read_at IS NULL
			RETURNING `+notificationCols, true, userID, day, false)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			n, err := scanNotification(rows)
			if err != nil {
				return err
			}
			ns = append(ns, n)
		}
		return rows.Err()
	})
	slices.SortFunc(ns, func(a, b Notification) int {
		if c := slices.Index(NoticeKinds, a.Kind) - slices.Index(NoticeKinds, b.Kind); c != 0 {
			return c
		}
		if c := strings.Compare(a.Intervention, b.Intervention); c != 0 {
			return c
		}
		return a.Seq - b.Seq
	})
	return ns, err
}

// release marks notifications un-e-mailed again after a failed send.
func (s *Service) release(ctx context.Context, ns []Notification) error {
	// The run's context may be what failed the send; releasing must still happen.
	ctx = context.WithoutCancel(ctx)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, n := range ns {
			if _, err := tx.ExecContext(ctx, `UPDATE notifications SET emailed = $1 WHERE id = $2`, false, n.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

const notificationCols = `id, kind, COALESCE(report_id, 0), day, params, emailed, read_at, created_at`

func scanNotification(sc interface{ Scan(...any) error }) (Notification, error) {
	var n Notification
	var params string
	var read sql.NullTime
	if err := sc.Scan(&n.ID, &n.Kind, &n.ReportID, &n.Day, &params, &n.Emailed, &read, &n.CreatedAt); err != nil {
		return n, err
	}
	if read.Valid {
		t := read.Time
		n.ReadAt = &t
	}
	if err := json.Unmarshal([]byte(params), &n.Notice); err != nil {
		return n, fmt.Errorf("notification %d: params: %w", n.ID, err)
	}
	return n, nil
}

// MaxNotifications is how many of their latest notifications a user is shown.
const MaxNotifications = 200

// Notifications lists the signed-in user's own notifications, newest first; unreadOnly
// leaves out those already read.
func (s *Service) Notifications(ctx context.Context, a access.Actor, unreadOnly bool) ([]Notification, error) {
	out := []Notification{}
	if a.UserID == 0 {
		return out, nil
	}
	cond := ""
	if unreadOnly {
		cond = " AND read_at IS NULL"
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+notificationCols+` FROM notifications WHERE user_id = $1`+cond+
		` ORDER BY day DESC, id DESC LIMIT $2`, a.UserID, MaxNotifications)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// UnreadCount is how many of the signed-in user's notifications are unread.
func (s *Service) UnreadCount(ctx context.Context, a access.Actor) (int, error) {
	if a.UserID == 0 {
		return 0, nil
	}
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, a.UserID).Scan(&n)
	return n, err
}

// MarkRead marks every notification of the signed-in user read.
func (s *Service) MarkRead(ctx context.Context, a access.Actor) error {
	if a.UserID == 0 {
		return nil
	}
	_, err := s.db.W.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL`, store.Now(), a.UserID)
	return err
}
