package web

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
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

// fieldErrorParam is e's parameter as the reader sees it: a code said in their language when
// e's rule declares its parameter a code, otherwise the parameter unchanged.
func (t Tr) fieldErrorParam(e valid.FieldError) string {
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
