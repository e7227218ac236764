package web

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/template/parse"
	"unicode"

	"github.com/BurntSushi/toml"

	"ting/internal/access"
	"ting/internal/org"
)

// fxCatalog is one catalog file flattened to message id → texts (one text, or one per plural
// form).
type fxCatalog map[string][]string

// fxPluralKeys are go-i18n's reserved keys: a table holding one of them is a message, any
// other table nests ids ("a" = {"b" = "x"} is the id "a.b").
var fxPluralKeys = []string{"id", "description", "hash", "leftdelim", "rightdelim", "zero", "one", "two", "few", "many", "other"}

func fxFlatten(prefix string, m map[string]any, out fxCatalog) error {
	for k, v := range m {
		id := k
		if prefix != "" {
			id = prefix + "." + k
		}
		switch x := v.(type) {
		case string:
			out[id] = []string{x}
		case map[string]any:
			isMessage := false
			for rk := range x {
				if slices.Contains(fxPluralKeys, strings.ToLower(rk)) {
					isMessage = true
				}
			}
			if !isMessage {
				if err := fxFlatten(id, x, out); err != nil {
					return err
				}
				continue
			}
			var texts []string
			for _, form := range []string{"zero", "one", "two", "few", "many", "other"} {
				if s, ok := x[form].(string); ok {
					texts = append(texts, s)
				}
			}
			if _, ok := x["other"]; !ok {
				texts = append(texts, "") // a message without "other" is as good as empty
			}
			out[id] = texts
		default:
			return fmt.Errorf("%s: unexpected value %T", id, v)
		}
	}
	return nil
}

// fxCatalogs loads every i18n/<area>.<lang>.toml: area → lang → catalog.
func fxCatalogs(t *testing.T) map[string]map[string]fxCatalog {
	t.Helper()
	files, err := fs.Glob(catalogFS, "i18n/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no catalogs (%v)", err)
	}
	out := map[string]map[string]fxCatalog{}
	for _, f := range files {
		parts := strings.Split(strings.TrimSuffix(filepath.Base(f), ".toml"), ".")
		if len(parts) != 2 || !slices.Contains(Langs, parts[1]) {
			t.Errorf("%s: catalog files are named <area>.<lang>.toml with lang in %v", f, Langs)
			continue
		}
		b, err := catalogFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]any
		if err := toml.Unmarshal(b, &raw); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		c := fxCatalog{}
		if err := fxFlatten("", raw, c); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if out[parts[0]] == nil {
			out[parts[0]] = map[string]fxCatalog{}
		}
		out[parts[0]][parts[1]] = c
	}
	return out
}

// fxAllKeys merges the areas of one language.
func fxAllKeys(cats map[string]map[string]fxCatalog, lang string) map[string]bool {
	out := map[string]bool{}
	for _, byLang := range cats {
		for k := range byLang[lang] {
			out[k] = true
		}
	}
	return out
}

func TestCatalogsComplete(t *testing.T) {
	cats := fxCatalogs(t)
	areas := make([]string, 0, len(cats))
	for a := range cats {
		areas = append(areas, a)
	}
	sort.Strings(areas)
	for _, area := range areas {
		byLang := cats[area]
		for _, lang := range Langs {
			if byLang[lang] == nil {
				t.Errorf("i18n/%s.%s.toml is missing", area, lang)
			}
		}
		for _, lang := range Langs {
			for _, other := range Langs {
				if lang == other || byLang[lang] == nil || byLang[other] == nil {
					continue
				}
				for k := range byLang[lang] {
					if _, ok := byLang[other][k]; !ok {
						t.Errorf("%q is in i18n/%s.%s.toml but not in i18n/%s.%s.toml", k, area, lang, area, other)
					}
				}
			}
			for k, texts := range byLang[lang] {
				for _, s := range texts {
					if strings.TrimSpace(s) == "" {
						t.Errorf("i18n/%s.%s.toml: %q is empty", area, lang, k)
					}
				}
			}
		}
	}
	// One id, one area: go-i18n would silently keep whichever file loads last.
	for _, lang := range Langs {
		owner := map[string]string{}
		for _, area := range areas {
			for k := range cats[area][lang] {
				if prev, dup := owner[k]; dup {
					t.Errorf("%q is defined in both i18n/%s.%s.toml and i18n/%s.%s.toml", k, prev, lang, area, lang)
				}
				owner[k] = area
			}
		}
	}
}

// fxKeyUse is a message id used literally somewhere.
type fxKeyUse struct{ key, where string }

var (
	fxTemplateKey = regexp.MustCompile(`\.T\s+"([^"]+)"`)
	fxGoKeys      = []*regexp.Regexp{
		regexp.MustCompile(`\.T\(\s*"([^"]+)"\s*[,)]`),
		regexp.MustCompile(`\.flash\(\s*r\s*,\s*"([^"]+)"\s*\)`),
		// Error pages carry their text's id in Data and translate it in the template.
		regexp.MustCompile(`Data:\s*"([a-z_]+\.[a-z0-9_.]+)"`),
	}
)

func fxLineOf(src string, offset int) int { return strings.Count(src[:offset], "\n") + 1 }

// fxLiteralKeys finds the ids used literally in templates and in the package's Go code.
func fxLiteralKeys(t *testing.T) []fxKeyUse {
	t.Helper()
	var uses []fxKeyUse
	tmpls, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range tmpls {
		b, _ := templateFS.ReadFile(f)
		src := string(b)
		for _, m := range fxTemplateKey.FindAllStringSubmatchIndex(src, -1) {
			uses = append(uses, fxKeyUse{src[m[2]:m[3]], fmt.Sprintf("%s:%d", f, fxLineOf(src, m[0]))})
		}
	}
	gos, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range gos {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		for _, re := range fxGoKeys {
			for _, m := range re.FindAllStringSubmatchIndex(src, -1) {
				uses = append(uses, fxKeyUse{src[m[2]:m[3]], fmt.Sprintf("internal/web/%s:%d", f, fxLineOf(src, m[0]))})
			}
		}
	}
	if len(uses) < 50 {
		t.Fatalf("found only %d literal message ids: the patterns no longer match the code", len(uses))
	}
	return uses
}

func TestCatalogsCoverLiteralKeys(t *testing.T) {
	cats := fxCatalogs(t)
	for _, lang := range Langs {
		keys := fxAllKeys(cats, lang)
		for _, u := range fxLiteralKeys(t) {
			if !keys[u.key] {
				t.Errorf("%s: %q is not in any %s catalog", u.where, u.key, lang)
			}
		}
	}
}

// TestCatalogsCoverDynamicKeys checks the ids built at run time from the domain's lists.
func TestCatalogsCoverDynamicKeys(t *testing.T) {
	cats := fxCatalogs(t)
	families := map[string][]string{
		"change":      {"create", "rename", "move", "close"},
		"entity":      auditEntities,
		"api":         {"unauthorized", "not_found", "forbidden", "internal"},
		"ptype":       org.PartnerTypes,
		"tag":         org.KnownTags,
		"office":      org.OfficeKinds,
		"member_role": org.MemberRoles,
		"staff_title": org.StaffTitles,
	}
	for _, l := range org.Levels {
		families["level"] = append(families["level"], l.Key())
	}
	for _, typ := range org.PartnerTypes {
		families["sector"] = append(families["sector"], org.PartnerSectors[typ]...)
	}
	for _, r := range access.Roles {
		families["role"] = append(families["role"], string(r))
	}
	for _, lang := range Langs {
		keys := fxAllKeys(cats, lang)
		for fam, members := range families {
			if len(members) == 0 {
				t.Errorf("family %s has no members", fam)
			}
			for _, m := range members {
				if !keys[fam+"."+m] {
					t.Errorf("%q is not in any %s catalog", fam+"."+m, lang)
				}
			}
		}
	}
}

// TestCatalogsCoverValidation checks that every field and rule the domain code reports has
// its message, so an API error or form never shows a bare id.
func TestCatalogsCoverValidation(t *testing.T) {
	cats := fxCatalogs(t)
	pairs := regexp.MustCompile(`(?:valid\.New|\bes\.Add)\(\s*"([^"]+)"\s*,\s*"([^"]+)"`)
	helpers := regexp.MustCompile(`\bes\.(Required|MaxLen|Date|OneOf)\(\s*"([^"]+)"`)
	helperRule := map[string]string{"Required": "required", "MaxLen": "max_len", "Date": "date", "OneOf": "one_of"}
	// Failures built as literals (valid.FieldError{…, Rule: "x"}) and through row helpers
	// (rowErr(row, "field", "rule")) need their rule's message too.
	literals := regexp.MustCompile(`\bRule:\s*"([^"]+)"`)
	rowHelpers := regexp.MustCompile(`\brow(?:Err|Fail)\(\s*\w+\s*,\s*"([^"]+)"\s*,\s*"([^"]+)"`)
	need := map[string]string{} // key → where
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		src := string(b)
		where := func(off int) string {
			return fmt.Sprintf("internal/%s:%d", strings.TrimPrefix(filepath.ToSlash(p), "../"), fxLineOf(src, off))
		}
		for _, m := range pairs.FindAllStringSubmatchIndex(src, -1) {
			need["field."+src[m[2]:m[3]]] = where(m[0])
			need["rule."+src[m[4]:m[5]]] = where(m[0])
		}
		for _, m := range literals.FindAllStringSubmatchIndex(src, -1) {
			need["rule."+src[m[2]:m[3]]] = where(m[0])
		}
		for _, m := range rowHelpers.FindAllStringSubmatchIndex(src, -1) {
			need["field."+src[m[2]:m[3]]] = where(m[0])
			need["rule."+src[m[4]:m[5]]] = where(m[0])
		}
		for _, m := range helpers.FindAllStringSubmatchIndex(src, -1) {
			need["field."+src[m[4]:m[5]]] = where(m[0])
			need["rule."+helperRule[src[m[2]:m[3]]]] = where(m[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(need) < 20 {
		t.Fatalf("found only %d field and rule ids: the patterns no longer match the code", len(need))
	}
	for _, lang := range Langs {
		keys := fxAllKeys(cats, lang)
		for k, where := range need {
			if !keys[k] {
				t.Errorf("%s: %q is not in any %s catalog", where, k, lang)
			}
		}
	}
}

// ---- no hard-coded text in templates ----

// fxTextNode is a literal run of template text.
type fxTextNode struct {
	tree *parse.Tree
	node *parse.TextNode
}

func fxTextNodes(list *parse.ListNode, tree *parse.Tree, out *[]fxTextNode) {
	if list == nil {
		return
	}
	for _, n := range list.Nodes {
		switch x := n.(type) {
		case *parse.TextNode:
			*out = append(*out, fxTextNode{tree, x})
		case *parse.ListNode:
			fxTextNodes(x, tree, out)
		case *parse.IfNode:
			fxTextNodes(x.List, tree, out)
			fxTextNodes(x.ElseList, tree, out)
		case *parse.RangeNode:
			fxTextNodes(x.List, tree, out)
			fxTextNodes(x.ElseList, tree, out)
		case *parse.WithNode:
			fxTextNodes(x.List, tree, out)
			fxTextNodes(x.ElseList, tree, out)
		}
	}
}

// fxVisibleAttrs are the attributes a reader sees or hears.
var fxVisibleAttrs = []string{"placeholder", "title", "alt", "aria-label"}

var fxEntity = regexp.MustCompile(`&#?[0-9A-Za-z]+;`)

func fxHasWords(s string) bool {
	return strings.IndexFunc(fxEntity.ReplaceAllString(s, ""), unicode.IsLetter) >= 0
}

// fxMarkup follows HTML through a template's text nodes in source order (actions in between
// produce no literal text) and reports literal words outside tags and in visible attributes.
type fxMarkup struct {
	state    int
	quote    rune
	name     strings.Builder // tag or attribute name being read
	tag      string
	attr     string
	value    strings.Builder
	valueAt  string
	rawUntil string // inside <script> or <style>
	found    []string
}

const (
	fxText = iota
	fxTagName
	fxInTag
	fxAttrName
	fxAfterAttr
	fxBeforeValue
	fxQuoted
	fxUnquoted
	fxComment
)

func (m *fxMarkup) endValue() {
	if slices.Contains(fxVisibleAttrs, strings.ToLower(m.attr)) && fxHasWords(m.value.String()) {
		m.found = append(m.found, fmt.Sprintf("%s: %s=%q", m.valueAt, m.attr, m.value.String()))
	}
	m.value.Reset()
	m.state = fxInTag
}

func (m *fxMarkup) endTag() {
	m.state = fxText
	if t := strings.ToLower(m.tag); t == "script" || t == "style" {
		m.rawUntil = "</" + t
	}
}

func (m *fxMarkup) feed(text, where string) {
	var visible strings.Builder
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		rest := string(rs[i:])
		switch m.state {
		case fxText:
			if m.rawUntil != "" {
				if strings.HasPrefix(strings.ToLower(rest), m.rawUntil) {
					m.rawUntil = ""
					m.state, m.tag = fxTagName, ""
					m.name.Reset() // reads "/script", which ends the raw text
				}
				continue
			}
			switch {
			case strings.HasPrefix(rest, "<!--"):
				m.state = fxComment
				i += 3
			case r == '<':
				m.state = fxTagName
				m.name.Reset()
			default:
				visible.WriteRune(r)
			}
		case fxComment:
			if strings.HasPrefix(rest, "-->") {
				m.state = fxText
				i += 2
			}
		case fxTagName:
			switch {
			case r == '>':
				m.tag = m.name.String()
				m.endTag()
			case unicode.IsSpace(r):
				m.tag = m.name.String()
				m.state = fxInTag
			default:
				m.name.WriteRune(r)
			}
		case fxInTag, fxAfterAttr:
			switch {
			case r == '>':
				m.endTag()
			case unicode.IsSpace(r) || r == '/':
			case r == '=' && m.state == fxAfterAttr:
				m.state = fxBeforeValue
			default:
				m.name.Reset()
				m.name.WriteRune(r)
				m.state = fxAttrName
			}
		case fxAttrName:
			switch {
			case r == '=':
				m.attr, m.state = m.name.String(), fxBeforeValue
			case r == '>':
				m.endTag()
			case unicode.IsSpace(r):
				m.attr, m.state = m.name.String(), fxAfterAttr
			default:
				m.name.WriteRune(r)
			}
		case fxBeforeValue:
			m.valueAt = where
			switch {
			case r == '"' || r == '\'':
				m.quote, m.state = r, fxQuoted
			case r == '>':
				m.endTag()
			case unicode.IsSpace(r):
			default:
				m.state = fxUnquoted
				m.value.WriteRune(r)
			}
		case fxQuoted:
			if r == m.quote {
				m.endValue()
			} else {
				m.value.WriteRune(r)
			}
		case fxUnquoted:
			switch {
			case r == '>':
				m.endValue()
				m.endTag()
			case unicode.IsSpace(r):
				m.endValue()
			default:
				m.value.WriteRune(r)
			}
		}
	}
	if s := strings.TrimSpace(visible.String()); fxHasWords(s) {
		m.found = append(m.found, fmt.Sprintf("%s: %q", where, s))
	}
}

// fxHardCoded returns the words a template shows that do not come from a catalog.
func fxHardCoded(name, src string) ([]string, error) {
	tree := parse.New(name)
	tree.Mode = parse.SkipFuncCheck
	treeSet := map[string]*parse.Tree{}
	if _, err := tree.Parse(src, "{{", "}}", treeSet); err != nil {
		return nil, err
	}
	var nodes []fxTextNode
	for _, tr := range treeSet {
		fxTextNodes(tr.Root, tr, &nodes)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].node.Pos < nodes[j].node.Pos })
	var m fxMarkup
	for _, n := range nodes {
		loc, _ := n.tree.ErrorContext(n.node)
		m.feed(string(n.node.Text), loc)
	}
	return m.found, nil
}

func TestTemplatesHaveNoHardCodedText(t *testing.T) {
	// The checker itself must catch what it is for.
	for src, want := range map[string]int{
		`{{define "content"}}<p>Hello {{.Name}}</p>{{end}}`:                               1,
		`<input placeholder="Search" value="{{.Q}}">`:                                     1,
		`<a title="{{.T "x"}}" href="/a">{{.T "y"}}</a> · › – (1) #2: /`:                  0,
		`<img alt="logo{{.X}}"><span aria-label='{{.T "z"}}'>{{.N}}</span>`:               1,
		`<p>{{.T "a"}}</p><script>var x = "words";</script><!-- a comment --><p>请</p>`:    1,
		`<option value="{{.}}"{{if .S}} selected{{end}}>{{.T "o"}}</option>&nbsp;&times;`: 0,
	} {
		found, err := fxHardCoded("self-test", src)
		if err != nil {
			t.Fatalf("self-test %q: %v", src, err)
		}
		if len(found) != want {
			t.Errorf("self-test %q: found %q, want %d", src, found, want)
		}
	}

	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates (%v)", err)
	}
	// And on a real page, deep inside its branches.
	page, _ := templateFS.ReadFile("templates/unit_show.html")
	planted := strings.Replace(string(page), `{{range .Children}}<tr`, `{{range .Children}}<tr title="Child unit"`, 1)
	planted = strings.Replace(planted, `{{else}}<p class="muted">`, `{{else}}<p class="muted">Nothing here `, 1)
	if found, err := fxHardCoded("unit_show.html", planted); err != nil || len(found) != 2 {
		t.Errorf("planted two hard-coded texts in unit_show.html, found %q (%v)", found, err)
	}
	for _, f := range files {
		b, err := templateFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		found, err := fxHardCoded("internal/web/"+f, string(b))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, s := range found {
			t.Errorf("hard-coded text (use a catalog message): %s", s)
		}
	}
}
