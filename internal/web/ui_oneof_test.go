package web

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/valid"
)

// TestUIOneOfLabels: a one_of failure lists each allowed code with its label in the reader's
// language, "label (code)", so a person filling a spreadsheet sees what each means and what to
// type; the services import report says it so too.
func TestUIOneOfLabels(t *testing.T) {
	types := strings.Join(beneficiaries.ServiceTypes, ", ")
	for _, lang := range Langs {
		tr := NewTr(lang)
		item := func(family, code string) string {
			return tr.T("ui.oneof_item", "Label", tr.T(family+code), "Code", code)
		}
		for _, c := range []struct {
			e    valid.FieldError
			want []string
		}{
			{valid.FieldError{Field: "type", Rule: "one_of", Param: types}, []string{item("stype.", "life_skills"), item("stype.", "legal_aid"), item("stype.", "peer_support")}},
			{valid.FieldError{Field: "groups", Rule: "one_of", Param: strings.Join(beneficiaries.Groups, ", ")}, []string{item("tgroup.", "left_behind"), item("tgroup.", "parent")}},
			{valid.FieldError{Field: "sex", Rule: "one_of", Param: "F, M"}, []string{item("sex.", "F"), item("sex.", "M")}},
			{valid.FieldError{Field: "status", Rule: "one_of", Param: strings.Join(beneficiaries.Statuses, ", ")}, []string{item("cstatus.", "in_school")}},
			{valid.FieldError{Field: "type", Rule: "one_of", Param: strings.Join(org.PartnerTypes, ", ")}, []string{item("ptype.", "school")}},
			{valid.FieldError{Field: "type", Rule: "one_of", Param: strings.Join(results.IndicatorTypes, ", ")}, []string{item("indicator_type.", "percent")}},
			{valid.FieldError{Row: 4, Field: "contributor_level", Rule: "one_of", Param: "national, provincial, local"}, []string{item("level.", "national"), item("level.", "local")}},
		} {
			got := tr.FieldError(c.e)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s: %+v says %q, want %q in it", lang, c.e, got, w)
				}
			}
		}
		// The whole list, in order, each code once, with the language's separator.
		want := make([]string, len(beneficiaries.ServiceTypes))
		for i, c := range beneficiaries.ServiceTypes {
			want[i] = item("stype.", c)
		}
		msg := tr.T("rule.one_of", "Field", tr.T("field.service_type"), "Param", strings.Join(want, tr.T("ui.oneof_sep")))
		if got := ServicesImportMessage(tr, valid.FieldError{Row: 3, Field: "type", Rule: "one_of", Param: types}); got != msg {
			t.Errorf("%s: services import says %q, want %q", lang, got, msg)
		}
		if l := svcImportLine(tr, valid.FieldError{Row: 3, Field: "type", Rule: "one_of", Param: types}); l.Message != msg {
			t.Errorf("%s: services import report says %q, want %q", lang, l.Message, msg)
		}
		// A code with no label stays as it is; a list from a vocabulary with no labels, or a
		// field with none, is shown unchanged.
		if got := tr.FieldError(valid.FieldError{Field: "sex", Rule: "one_of", Param: "F, M, X"}); !strings.Contains(got, item("sex.", "M")+tr.T("ui.oneof_sep")+"X") {
			t.Errorf("%s: an unlabelled code: %q", lang, got)
		}
		for _, e := range []valid.FieldError{
			{Field: "kind", Rule: "one_of", Param: strings.Join(results.MappingKinds, ", ")},
			{Field: "by", Rule: "one_of", Param: strings.Join(beneficiaries.Breakdowns, ", ")},
			{Field: "format", Rule: "one_of", Param: "json, csv, adx"},
			{Field: "type", Rule: "one_of", Param: ""},
		} {
			if got, want := tr.FieldError(e), tr.T("rule.one_of", "Field", tr.T("field."+e.Field), "Param", e.Param); got != want {
				t.Errorf("%s: %+v says %q, want %q", lang, e, got, want)
			}
		}
		// A label that only repeats its code is said once: "error, warning" in English,
		// "错误（error）、警告（warning）" in Chinese.
		sev := tr.FieldError(valid.FieldError{Field: "severity", Rule: "one_of", Param: "error, warning"})
		if want := map[string]string{"en": "error, warning", "zh": item("rule_severity.", "error") + tr.T("ui.oneof_sep") + item("rule_severity.", "warning")}[lang]; !strings.Contains(sev, want) {
			t.Errorf("%s: severity list %q, want %q in it", lang, sev, want)
		}
		// Only one_of lists: another rule's parameter that spells a code is left alone.
		if got := tr.FieldError(valid.FieldError{Field: "type", Rule: "unique", Param: "health"}); strings.Contains(got, tr.T("stype.health")) {
			t.Errorf("%s: a typed value is said as a service type: %q", lang, got)
		}
	}
}

// uiOneOfCall is one one_of failure the domain code can report: its field and the expression
// listing the allowed codes, as written.
type uiOneOfCall struct{ field, list, where string }

// uiOneOfArgs splits the arguments of the call whose text starts at src[i] (just after its
// opening parenthesis) at top-level commas, up to its closing parenthesis or brace.
func uiOneOfArgs(src string, i int) []string {
	var args []string
	depth, start := 0, i
	for ; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '(', '{', '[':
			depth++
		case ')', '}', ']':
			if depth == 0 {
				return append(args, strings.TrimSpace(src[start:i]))
			}
			depth--
		case ',':
			if depth == 0 {
				args = append(args, strings.TrimSpace(src[start:i]))
				start = i + 1
			}
		}
	}
	return args
}

// uiOneOfCalls finds the one_of failures in the module's Go code: es.OneOf(field, s, list),
// and the one_of rule added by hand (es.Add, valid.New, row helpers, literals).
func uiOneOfCalls(t *testing.T) []uiOneOfCall {
	t.Helper()
	helper := regexp.MustCompile(`\.OneOf\(`)
	byHand := regexp.MustCompile(`"([A-Za-z_]+)"\s*,\s*"one_of"\s*,`)
	literal := regexp.MustCompile(`Field:\s*"([A-Za-z_]+)"\s*,\s*Rule:\s*"one_of"\s*,\s*Param:`)
	var calls []uiOneOfCall
	err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || strings.Contains(p, "/valid/") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		src, pkg := string(b), filepath.Base(filepath.Dir(p))
		add := func(field, list string, at int) {
			if m := regexp.MustCompile(`^strings\.Join\((.+),\s*", "\)$`).FindStringSubmatch(list); m != nil {
				list = m[1]
			}
			if !strings.HasPrefix(list, `"`) && !strings.HasPrefix(list, "[]") && !strings.Contains(strings.SplitN(list, "(", 2)[0], ".") {
				list = pkg + "." + list
			}
			calls = append(calls, uiOneOfCall{field, list, p + ":" + strconv.Itoa(strings.Count(src[:at], "\n")+1)})
		}
		for _, m := range helper.FindAllStringIndex(src, -1) {
			if args := uiOneOfArgs(src, m[1]); len(args) == 3 {
				add(strings.Trim(args[0], `"`), args[2], m[0])
			}
		}
		for _, m := range byHand.FindAllStringSubmatchIndex(src, -1) {
			if args := uiOneOfArgs(src, m[1]); len(args) == 1 {
				add(src[m[2]:m[3]], args[0], m[0])
			}
		}
		for _, m := range literal.FindAllStringSubmatchIndex(src, -1) {
			if args := uiOneOfArgs(src, m[1]); len(args) == 1 {
				add(src[m[2]:m[3]], args[0], m[0])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 30 {
		t.Fatalf("found only %d one_of failures: the patterns no longer match the code", len(calls))
	}
	return calls
}

// TestUIOneOfCodesHaveLabels: every code a one_of failure lists for a field oneOfLabels names
// has its label in both languages, in one family of that field, so the list is said in full;
// the lists that have no labels by design are shown as codes. Every field oneOfLabels names
// is one some failure lists.
func TestUIOneOfCodesHaveLabels(t *testing.T) {
	var contributorLevels, roles, sectors []string
	for _, l := range plans.ContributorLevels {
		contributorLevels = append(contributorLevels, l.Code)
	}
	for _, r := range access.Roles {
		roles = append(roles, string(r))
	}
	for _, ss := range org.PartnerSectors {
		for _, s := range ss {
			if !slices.Contains(sectors, s) {
				sectors = append(sectors, s)
			}
		}
	}
	// The lists the one_of failures name, as the code writes them (qualified by package).
	lists := map[string][]string{
		"beneficiaries.Sexes":            beneficiaries.Sexes,
		"beneficiaries.Groups":           beneficiaries.Groups,
		"beneficiaries.Statuses":         beneficiaries.Statuses,
		"beneficiaries.ServiceTypes":     beneficiaries.ServiceTypes,
		"beneficiaries.Purposes":         beneficiaries.Purposes,
		"beneficiaries.Givers":           beneficiaries.Givers,
		"beneficiaries.AccessReasons":    beneficiaries.AccessReasons,
		"beneficiaries.MeasurementKinds": beneficiaries.MeasurementKinds,
		"beneficiaries.ChangeBys":        beneficiaries.ChangeBys,
		"beneficiaries.Breakdowns":       beneficiaries.Breakdowns,
		"org.PartnerTypes":               org.PartnerTypes,
		"org.sectors":                    sectors,
		"org.OfficeKinds":                org.OfficeKinds,
		"org.StaffTitles":                org.StaffTitles,
		"org.MemberRoles":                org.MemberRoles,
		"org.KnownTags":                  org.KnownTags,
		"results.IndicatorTypes":         results.IndicatorTypes,
		"results.Aggregations":           results.Aggregations,
		"results.Directions":             results.Directions,
		"results.Frequencies":            results.Frequencies,
		"results.ElementKinds":           results.ElementKinds,
		"results.MappingKinds":           results.MappingKinds,
		"results.Sources":                results.Sources,
		"results.Severities":             results.Severities,
		"plans.levelCodes()":             contributorLevels,
		"auth.roleNames()":               roles,
		"auth.UserStatuses":              auth.UserStatuses,
		"d.Kinds":                        {string(org.UnitsFile), string(org.PartnersFile)},
		`[]string{"zh", "en"}`:           {"zh", "en"},
		`"zh, en"`:                       {"zh", "en"},
	}
	// Lists with no labels by design, on a field another vocabulary labels: shown as codes.
	unlabelled := []string{"results.MappingKinds", "beneficiaries.Breakdowns", "d.Kinds"}
	seen := map[string]bool{}
	for _, c := range uiOneOfCalls(t) {
		families, ok := oneOfLabels[c.field]
		if !ok {
			continue
		}
		seen[c.field] = true
		codes, ok := lists[c.list]
		if !ok {
			t.Errorf("%s: one_of on %q lists %s: add it to this test", c.where, c.field, c.list)
			continue
		}
		param := strings.Join(codes, ", ")
		for _, lang := range Langs {
			tr := NewTr(lang)
			got := tr.oneOfParam(c.field, param)
			if slices.Contains(unlabelled, c.list) {
				if got != param {
					t.Errorf("%s: %s on %q is said %q, want the codes as they are", lang, c.list, c.field, got)
				}
				continue
			}
			var family string
			for _, f := range families {
				if !slices.ContainsFunc(codes, func(code string) bool { return !tr.Has(f + code) }) {
					family = f
					break
				}
			}
			if family == "" {
				for _, code := range codes {
					if !slices.ContainsFunc(families, func(f string) bool { return tr.Has(f + code) }) {
						t.Errorf("%s: %s (%s on %q): no label for %q in any of %v", lang, c.where, c.list, c.field, code, families)
					}
				}
				continue
			}
			want := make([]string, len(codes))
			for i, code := range codes {
				if want[i] = code; tr.T(family+code) != code {
					want[i] = tr.T("ui.oneof_item", "Label", tr.T(family+code), "Code", code)
				}
			}
			if w := strings.Join(want, tr.T("ui.oneof_sep")); got != w {
				t.Errorf("%s: %s on %q is said %q, want %q", lang, c.list, c.field, got, w)
			}
		}
	}
	for field := range oneOfLabels {
		if !seen[field] {
			t.Errorf("oneOfLabels names %q, which no one_of failure lists", field)
		}
	}
}
