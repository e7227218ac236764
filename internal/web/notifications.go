package web

import (
	"net/http"
	"strings"

	"ting/internal/access"
	"ting/internal/plans"
	"ting/internal/valid"
)

// Notifications: the signed-in user's reminders about reports (late, waiting on review or on
// approval), the address they are e-mailed to, and the text of those e-mails.

type notifyWeb struct {
	*Server
	svc *plans.Service
}

func (s *Server) routesNotifications() {
	h := &notifyWeb{Server: s, svc: s.plansService()}
	s.handle("GET /notifications", s.page(h.list))
	s.handle("POST /notifications/read", s.page(h.markRead))
	s.handle("POST /notifications/email", s.page(h.setEmail))
	s.handle("GET /api/v1/notifications", s.api(h.apiList))
}

// NotificationText says what a notification is about, in tr's language.
func NotificationText(tr Tr, n plans.Notification) string {
	report := n.ReportKind
	if tr.Has("report." + n.ReportKind) {
		report = tr.T("report." + n.ReportKind)
	}
	text := tr.T("notify."+n.Kind, "Code", n.Intervention, "Title", n.Title(tr.Lang), "Agency", n.Agency(tr.Lang), "Seq", n.Seq,
		"Report", report, "Due", n.Due, "Since", n.Since, "Days", n.Days)
	if office := n.InPlaceOf(tr.Lang); office != "" {
		sep := " " // Chinese sentences follow one another without a space
		if tr.Lang == "zh" {
			sep = ""
		}
		text += sep + tr.T("notify.in_place_of", "Office", office)
	}
	return text
}

// ReminderLetter writes one user's reminder e-mail in lang: plans.RemindOptions.Letter.
func ReminderLetter(lang string, ns []plans.Notification) (subject, body string) {
	tr := NewTr(lang)
	var b strings.Builder
	b.WriteString(tr.T("notify.mail_greeting") + "\n\n")
	for _, n := range ns {
		b.WriteString("· " + NotificationText(tr, n) + "\n")
	}
	b.WriteString("\n" + tr.T("notify.mail_footer") + "\n")
	return tr.T("notify.mail_subject", "N", len(ns)), b.String()
}

type notifyLine struct {
	plans.Notification
	Text string
}

type notifyData struct {
	Lines      []notifyLine
	UnreadOnly bool
	Unread     int
	Email      string
}

func (h *notifyWeb) list(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.renderList(w, r, a, http.StatusOK, nil)
}

func (h *notifyWeb) renderList(w http.ResponseWriter, r *http.Request, a access.Actor, status int, es valid.Errors) {
	tr := reqCtx(r).tr
	d := notifyData{UnreadOnly: r.URL.Query().Get("unread") == "1"}
	ns, err := h.svc.Notifications(r.Context(), a, d.UnreadOnly)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, n := range ns {
		d.Lines = append(d.Lines, notifyLine{Notification: n, Text: NotificationText(tr, n)})
	}
	if d.Unread, err = h.svc.UnreadCount(r.Context(), a); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Email, err = h.auth.Email(r.Context(), a.UserID); err != nil {
		h.fail(w, r, err)
		return
	}
	p := &Page{Title: tr.T("notify.title"), Data: d, Errors: es}
	if es != nil {
		p.Form = r.PostForm
	}
	h.render(w, r, status, "notifications", p)
}

func (h *notifyWeb) markRead(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := h.svc.MarkRead(r.Context(), a); err != nil {
		h.fail(w, r, err)
		return
	}
	h.flash(r, "notify.marked_read")
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
}

// setEmail stores the signed-in user's own address for e-mailed reminders.
func (h *notifyWeb) setEmail(w http.ResponseWriter, r *http.Request, a access.Actor) {
	r.ParseForm()
	err := h.auth.SetEmail(r.Context(), a, a.UserID, r.PostFormValue("email"))
	if es, ok := valid.As(err); ok {
		h.renderList(w, r, a, http.StatusUnprocessableEntity, es)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.flash(r, "flash.saved")
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
}

// apiNotification is a notification with its text in the caller's language.
type apiNotification struct {
	plans.Notification
	Message string `json:"message"`
}

// apiList serves the caller's notifications; ?unread=1 leaves out those already read.
func (h *notifyWeb) apiList(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	ns, err := h.svc.Notifications(r.Context(), a, r.URL.Query().Get("unread") == "1")
	if err != nil {
		return err
	}
	tr := reqCtx(r).tr
	out := make([]apiNotification, len(ns))
	for i, n := range ns {
		out[i] = apiNotification{Notification: n, Message: NotificationText(tr, n)}
	}
	writeAll(w, out)
	return nil
}
