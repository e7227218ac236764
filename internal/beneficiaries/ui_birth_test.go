package beneficiaries

import (
	"testing"

	"ting/internal/valid"
)

// TestUIBirthRange: a well-formed birth date or year before MinBirthYear is out of range, not
// badly written; a malformed one keeps the format failure; one after today is in the future.
func TestUIBirthRange(t *testing.T) {
	const today = "2012-06-15"
	for _, c := range []struct {
		birth string
		want  valid.FieldError // Field "" : no failure on birth
	}{
		{"1800", valid.FieldError{Field: "birth", Rule: "birth_range", Param: today}},
		{"1899", valid.FieldError{Field: "birth", Rule: "birth_range", Param: today}},
		{"0000", valid.FieldError{Field: "birth", Rule: "birth_range", Param: today}},
		{"1800-03-04", valid.FieldError{Field: "birth", Rule: "birth_range", Param: today}},
		{"1899-12-31", valid.FieldError{Field: "birth", Rule: "birth_range", Param: today}},
		{"1800-02-30", valid.FieldError{Field: "birth", Rule: "birth_format"}},
		{"18x0", valid.FieldError{Field: "birth", Rule: "birth_format"}},
		{"+180", valid.FieldError{Field: "birth", Rule: "birth_format"}},
		{"180", valid.FieldError{Field: "birth", Rule: "birth_format"}},
		{"1800/03/04", valid.FieldError{Field: "birth", Rule: "birth_format"}},
		{"2013", valid.FieldError{Field: "birth", Rule: "not_future", Param: today}},
		{"2012-06-16", valid.FieldError{Field: "birth", Rule: "not_future", Param: today}},
		{"1900", valid.FieldError{Field: "birth", Rule: "too_old", Param: "110"}},
		{"1990-05-01", valid.FieldError{}},
		{"1990", valid.FieldError{}},
	} {
		in := CardInput{SiteID: 1, Sex: "F", Birth: c.birth, Status: "working", Name: "李梅", Guardian: "李华"}
		es := CheckCard(in, today)
		got, ok := es.For("birth")
		if c.want.Field == "" {
			if ok {
				t.Errorf("%q: %+v, want no failure", c.birth, got)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%q: %+v (ok %v), want %+v", c.birth, got, ok, c.want)
		}
	}
	// The year itself: from MinBirthYear on, and well-formed only.
	for birth, want := range map[string]bool{"1900": true, "1900-01-01": true, "1899": false, "1899-12-31": false, "1800": false, "19x0": false, "2001-02-29": false} {
		if _, ok := BirthYear(birth); ok != want {
			t.Errorf("BirthYear(%q) ok %v, want %v", birth, ok, want)
		}
	}
}
