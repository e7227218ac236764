package web

import (
	"strings"
	"testing"

	"ting/internal/plans"
)

// TestNotificationInPlaceOf: a reminder that went up past an office with no account (Guizhou
// in the demonstration) says, in both languages, whose reminder it stands in for; one that did
// not says nothing of it.
func TestNotificationInPlaceOf(t *testing.T) {
	n := plans.Notification{Kind: plans.NoticeLate, Notice: plans.Notice{Intervention: "AP-GZ-04", TitleZH: "贵州妇女之家", TitleEN: "Women's Homes in Guizhou",
		AgencyZH: "贵州省妇联", AgencyEN: "Guizhou Women's Federation", Seq: 3, ReportKind: plans.ProgressReport, Due: "2012-01-30", Days: 152,
		InPlaceOfZH: "贵州省", InPlaceOfEN: "Guizhou"}}
	for lang, want := range map[string]string{"en": "is 152 days late. Guizhou has no office account to follow this up, so you are reminded in its place.",
		"zh": "已逾期 152 天。贵州省项目办没有可接收提醒的账户，因此由您代为跟进。"} {
		if got := NotificationText(NewTr(lang), n); !strings.HasSuffix(got, want) {
			t.Errorf("%s: %q, want it to end %q", lang, got, want)
		}
		_, body := ReminderLetter(lang, []plans.Notification{n})
		if !strings.Contains(body, want) {
			t.Errorf("%s: the e-mail does not say it:\n%s", lang, body)
		}
	}
	n.InPlaceOfZH, n.InPlaceOfEN = "", ""
	if got := NotificationText(NewTr("en"), n); strings.Contains(got, "in its place") {
		t.Errorf("a reminder at its own office: %q", got)
	}
}
