package web

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"ting/internal/valid"
)

// Catalogs live in i18n/<area>.<lang>.toml; every key must exist in both languages (a test
// checks). Chinese is the default.
//
//go:embed i18n/*.toml
var catalogFS embed.FS

// Langs are the interface languages, default first.
var Langs = []string{"zh", "en"}

var (
	bundleOnce sync.Once
	bundle     *i18n.Bundle
	bundleErr  error
)

func loadBundle() (*i18n.Bundle, error) {
	bundleOnce.Do(func() {
		b := i18n.NewBundle(language.Chinese)
		b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
		files, _ := fs.Glob(catalogFS, "i18n/*.toml")
		for _, f := range files {
			if _, err := b.LoadMessageFileFS(catalogFS, f); err != nil {
				bundleErr = fmt.Errorf("load %s: %w", f, err)
				return
			}
		}
		bundle = b
	})
	return bundle, bundleErr
}

// Tr translates for one language.
type Tr struct {
	Lang string
	loc  *i18n.Localizer
}

// NewTr returns a translator for lang ("zh" or "en").
func NewTr(lang string) Tr {
	b, err := loadBundle()
	if err != nil {
		panic(err)
	}
	if lang != "en" {
		lang = "zh"
	}
	return Tr{Lang: lang, loc: i18n.NewLocalizer(b, lang)}
}

// T translates key; args are name/value pairs for the message's template
// (T("units.count", "N", 3)). A missing key renders as the key itself so it is seen, and
// TestCatalogsComplete keeps that from shipping.
func (t Tr) T(key string, args ...any) string {
	data := map[string]any{}
	for i := 0; i+1 < len(args); i += 2 {
		data[fmt.Sprint(args[i])] = args[i+1]
	}
	cfg := &i18n.LocalizeConfig{MessageID: key, TemplateData: data}
	if n, ok := data["Count"]; ok {
		cfg.PluralCount = n
	}
	s, err := t.loc.Localize(cfg)
	if err != nil {
		return key
	}
	return s
}

// Has reports whether key exists in the catalogue.
func (t Tr) Has(key string) bool {
	_, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: key})
	return err == nil
}

// ruleParamCodes names the rules whose parameter is a code the domain chose (a level, a
// report status, another field) and the catalogue family that says it. Every other
// parameter is a value — a username or unit code someone typed, a date, a number, a list —
// and is shown exactly as it is, even when it happens to spell a code ("national", "draft").
// A rule whose parameter is sometimes a code and sometimes a value (not_before: "start_on" or
// a date) is listed; a value there is never a bare identifier, so it finds no key.
var ruleParamCodes = map[string]string{
	"below_parent":        "level.",     // org: the parent's level
	"level_fixed":         "level.",     // org transfer: the unit's level
	"report_not_editable": "pw.status.", // plans: the report's status
	"report_transition":   "pw.status.", // plans: the report's status
	"not_before":          "field.",     // the other field (end_on not before start_on), or a date
	"not_above":           "field.",     // the other field (numerator not above denominator), or an amount
}

// oneOfLabels names, per field, the catalogue families (the prefixes the templates use to show
// the codes) that say the codes a one_of failure on that field lists, so the list reads
// "label (code)": what each means and what to type. A field name several domains share (a
// service's, a partner's and an indicator's type) names each family; the list is said by the
// family that knows most of its codes, and only when that is at least half of them, so a list
// from a vocabulary with no labels (a DHIS2 mapping's kinds) stays as codes. Fields absent here,
// and codes their family does not know, are shown as they are.
var oneOfLabels = map[string][]string{
	"sex":               {"sex."},
	"groups":            {"tgroup."},
	"status":            {"cstatus."},
	"service_type":      {"stype."},
	"type":              {"stype.", "ptype.", "indicator_type."},
	"purpose":           {"purpose."},
	"given_by":          {"giver."},
	"reason":            {"areason."},
	"kind":              {"mkind.", "office.", "element_kind."},
	"by":                {"changeby."},
	"contributor_level": {"level."},
	"role":              {"role.", "member_role."},
	"account_status":    {"users."},
	"tags":              {"tag."},
	"sector":            {"sector."},
	"title":             {"staff_title."},
	"aggregation":       {"aggregation."},
	"direction":         {"direction."},
	"frequency":         {"frequency."},
	"source":            {"value_source."},
	"lang":              {"lang."},
	"severity":          {"rule_severity."},
}

// oneOfParam is the list of codes a one_of failure on field names, each said "label (code)" in
// the reader's language when field's family has a label for it (see oneOfLabels).
func (t Tr) oneOfParam(field, list string) string {
	families := oneOfLabels[field]
	if len(families) == 0 || strings.TrimSpace(list) == "" {
		return list
	}
	codes := strings.Split(list, ",")
	for i, c := range codes {
		codes[i] = strings.TrimSpace(c)
	}
	known := func(family, code string) bool { return code != "" && t.Has(family+code) }
	best, most := "", 0
	for _, f := range families {
		n := 0
		for _, c := range codes {
			if known(f, c) {
				n++
			}
		}
		if n > most {
			best, most = f, n
		}
	}
	if most == 0 || 2*most < len(codes) {
		return list
	}
	items := make([]string, len(codes))
	for i, c := range codes {
		items[i] = c
		// A label that only repeats the code (English "error") is said once.
		if label := t.T(best + c); known(best, c) && label != c {
			items[i] = t.T("ui.oneof_item", "Label", label, "Code", c)
		}
	}
	return strings.Join(items, t.T("ui.oneof_sep"))
}

// fieldErrorParam is e's parameter as the reader sees it: a code said in their language when
// e's rule declares its parameter a code, the allowed codes with their labels for one_of,
// otherwise the parameter unchanged.
func (t Tr) fieldErrorParam(e valid.FieldError) string {
	if e.Rule == "one_of" {
		return t.oneOfParam(e.Field, e.Param)
	}
	if money, ok := ivMoneyParamText(e); ok {
		return money
	}
	family, ok := ruleParamCodes[e.Rule]
	if !ok || !isCodeLike(e.Param) || !t.Has(family+e.Param) {
		return e.Param
	}
	return t.T(family + e.Param)
}

// isCodeLike reports whether s is shaped like a catalogue code (lower case letters, digits
// and underscores, starting with a letter): dates, amounts and lists never are.
func isCodeLike(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// FieldError says a validation failure in the user's language, naming the field and the rule.
func (t Tr) FieldError(e valid.FieldError) string {
	field := t.T("field." + e.Field)
	msg := t.T("rule."+e.Rule, "Field", field, "Param", t.fieldErrorParam(e))
	if e.Row > 0 {
		return t.T("import.row_error", "Row", e.Row, "Message", msg)
	}
	return msg
}

// pickLang chooses the language: an explicit ?lang=, then the user's preference, then the
// lang cookie, then Accept-Language, then Chinese.
func pickLang(r *http.Request, userLang string) string {
	if l := r.URL.Query().Get("lang"); l == "zh" || l == "en" {
		return l
	}
	if userLang == "zh" || userLang == "en" {
		return userLang
	}
	if c, err := r.Cookie("lang"); err == nil && (c.Value == "zh" || c.Value == "en") {
		return c.Value
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	for _, tag := range tags {
		base, _ := tag.Base()
		switch base.String() {
		case "zh":
			return "zh"
		case "en":
			return "en"
		}
	}
	return "zh"
}

// other returns the language that is not lang, for the switcher.
func other(lang string) string {
	if lang == "en" {
		return "zh"
	}
	return "en"
}
