package web

import (
	"strconv"
	"strings"
	"testing"

	"ting/internal/beneficiaries"
)

// TestUIBirthRangeMessage: a birth year out of range is said as a range, naming the field and
// both bounds, in both languages; a malformed one still gets the format message.
func TestUIBirthRangeMessage(t *testing.T) {
	const today = "2012-06-15"
	for _, lang := range Langs {
		tr := NewTr(lang)
		for _, birth := range []string{"1800", "1899-12-31"} {
			in := beneficiaries.CardInput{SiteID: 1, Sex: "F", Birth: birth, Status: "working", Name: "李梅", Guardian: "李华"}
			e, _ := beneficiaries.CheckCard(in, today).For("birth")
			got := tr.FieldError(e)
			for _, want := range []string{tr.T("field.birth"), strconv.Itoa(beneficiaries.MinBirthYear), today} {
				if !strings.Contains(got, want) {
					t.Errorf("%s: %q says %q, want it to name %q", lang, birth, got, want)
				}
			}
			if got == tr.T("rule.birth_format", "Field", tr.T("field.birth")) || strings.Contains(got, "YYYY") {
				t.Errorf("%s: %q is said as a format failure: %q", lang, birth, got)
			}
		}
		in := beneficiaries.CardInput{SiteID: 1, Sex: "F", Birth: "1800-02-30", Status: "working", Name: "李梅", Guardian: "李华"}
		e, _ := beneficiaries.CheckCard(in, today).For("birth")
		if got, want := tr.FieldError(e), tr.T("rule.birth_format", "Field", tr.T("field.birth")); got != want {
			t.Errorf("%s: a malformed date says %q, want %q", lang, got, want)
		}
	}
}
