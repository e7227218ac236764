package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/valid"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Page is what every template receives. Templates reach the translator through .T and the
// records through .Data.
type Page struct {
	Tr
	Title   string
	Actor   *access.Actor
	User    string
	Path    string
	Query   url.Values
	Flash   string
	Errors  valid.Errors
	Form    url.Values
	Data    any
	Unread  int // the signed-in user's unread notifications, for the header
	CSRF    string
	Version string
	// back is, on a page answering a POST, the page the form was on (path and query): the
	// language switch leads there, since the POST's own address may have no page to GET.
	back *url.URL
}

// FieldErr returns the translated failure for field, or "".
func (p *Page) FieldErr(field string) string {
	if e, ok := p.Errors.For(field); ok {
		return p.FieldError(e)
	}
	return ""
}

// ErrorList returns every failure, translated.
func (p *Page) ErrorList() []string {
	out := make([]string, len(p.Errors))
	for i, e := range p.Errors {
		out[i] = p.FieldError(e)
	}
	return out
}

// PeriodLabel says a period key (2011S1, 2012-03, LOP) in the reader's language, as the results
// pages say periods; a key that is not a period's is shown as it is.
func (p *Page) PeriodLabel(key string) string {
	per, err := results.ParsePeriod(key)
	if err != nil {
		return key
	}
	return resPeriodLabel(p.Tr, per)
}

// Can reports whether the signed-in actor holds permission perm.
func (p *Page) Can(perm string) bool { return p.Actor != nil && p.Actor.Can(access.Permission(perm)) }

// AtOffice reports whether the reader is bound to the national office or a province: the
// units progress reports are made for.
func (p *Page) AtOffice() bool {
	return p.Actor != nil && strings.Count(strings.Trim(p.Actor.UnitPath, "/"), "/") <= 1
}

// Val returns the submitted form value for name, or def when the form was not submitted.
func (p *Page) Val(name string, def any) string {
	if p.Form != nil {
		return p.Form.Get(name)
	}
	if def == nil {
		return ""
	}
	return fmt.Sprint(def)
}

// SwitchLang is the URL of the current page in the other language: a page that was got keeps
// its whole query with lang swapped; a page answering a POST (a form sent back with its
// failures) leads to the page the form was on, since the POST's address cannot be got.
func (p *Page) SwitchLang() string {
	target, query := p.Path, p.Query
	if p.back != nil {
		target, query = p.back.Path, p.back.Query()
	}
	if target == "" {
		target = "/"
	}
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("lang", other(p.Lang))
	return (&url.URL{Path: target, RawQuery: q.Encode()}).String()
}

// OtherLang is the language the switcher offers.
func (p *Page) OtherLang() string { return other(p.Lang) }

var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04")
	},
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	},
	"treeArgs":  func(p *Page, n treeNode) treeArgs { return treeArgs{Page: p, Node: n} },
	"pagerArgs": func(p *Page, pg pager, base string) pagerArgs { return pagerArgs{Page: p, Pager: pg, Base: base} },
	"levelKey":  func(l org.Level) string { return l.Key() },
	"levelNum":  func(l org.Level) int { return int(l) },
	"static":    func(name string) string { return statics.path(name) },
	"pageHref":  func(base string, pg pager, off int) string { return pg.href(base, off) },
	// hasTag: checked state of a tag box, from the submitted form when there is one.
	"hasTag": func(p *Page, current []string, tag string) bool {
		if p.Form != nil {
			return slices.Contains(p.Form["tags"], tag)
		}
		return slices.Contains(current, tag)
	},
	"query": func(base string, kv ...any) string {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if v := fmt.Sprint(kv[i+1]); v != "" && v != "0" {
				q.Set(fmt.Sprint(kv[i]), v)
			}
		}
		if len(q) == 0 {
			return base
		}
		return base + "?" + q.Encode()
	},
}

// auditEntities are the kinds of record the audit log names: every entity an audit.Record call
// writes, by area (TestUIAuditLabels walks the calls and fails on one missing here). Each has
// its label, entity.<kind>, in every catalog.
var auditEntities = []string{
	// the network
	"unit", "partner", "committee", "committee_member", "meeting", "office", "staff_position", "import",
	// accounts
	"user", "api_token",
	// results
	"framework", "framework_element", "indicator", "category_set", "target", "data_values", "data_value", "period",
	"validation_rule", "dhis2_mapping",
	// plans and money
	"work_plan", "intervention", "report", "tranche", "contributions", "exchange_rate",
	// beneficiaries
	"card", "cards", "services", "service", "feedback", "instrument", "measurement", "referral",
}

// auditActions are the actions the audit log records, each with its label audit.action.<action>
// in every catalog (TestUIAuditLabels walks the audit.Record calls).
var auditActions = []string{
	"create", "update", "delete", "save", "set", "import", "map",
	// units
	"rename", "move", "close",
	// accounts
	"activate", "deactivate", "lock", "reset_password", "change_password", "set_email", "revoke",
	// results
	"approve", "new_version", "unlock",
	// plans
	"submit", "review", "return", "attach", "release",
	// beneficiaries
	"merge", "distinct", "erase", "retention", "consent", "withdraw_consent", "refer", "refer_override_consent",
	"referral_sent", "referral_accepted", "referral_rejected", "referral_completed",
}

// AuditEntity is the label of an audit entity, or the code itself for one this version does
// not know (a row written by a later one).
func (p *Page) AuditEntity(code string) string {
	if p.Has("entity." + code) {
		return p.T("entity." + code)
	}
	return code
}

// AuditAction is the label of an audit action, or the code itself for one this version does
// not know.
func (p *Page) AuditAction(code string) string {
	if p.Has("audit.action." + code) {
		return p.T("audit.action." + code)
	}
	return code
}

// auditOption is one choice of the audit filter.
type auditOption struct{ Code, Label string }

// auditOptions labels codes and sorts them by label in the reader's language; current, when
// not among them (typed into the URL), is kept so the filter still shows it.
func (p *Page) auditOptions(codes []string, current string, label func(string) string) []auditOption {
	out := make([]auditOption, 0, len(codes)+1)
	for _, c := range codes {
		out = append(out, auditOption{c, label(c)})
	}
	if current != "" && !slices.Contains(codes, current) {
		out = append(out, auditOption{current, label(current)})
	}
	tag := language.English
	if p.Lang == "zh" {
		tag = language.Chinese
	}
	col := collate.New(tag)
	slices.SortStableFunc(out, func(a, b auditOption) int { return col.CompareString(a.Label, b.Label) })
	return out
}

// AuditEntityOptions are the choices of the audit log's kind filter: every kind it records.
func (p *Page) AuditEntityOptions(current string) []auditOption {
	return p.auditOptions(auditEntities, current, p.AuditEntity)
}

// AuditActionOptions are the choices of the audit log's action filter.
func (p *Page) AuditActionOptions(current string) []auditOption {
	return p.auditOptions(auditActions, current, p.AuditAction)
}

// auditLine is one "key: value" line of a record's state before or after a change.
type auditLine struct {
	Key, Value string
	Changed    bool // the change touched it (only marked when there is a before and an after)
}

// auditState is an audit row's before and after, as lines.
type auditState struct{ Before, After []auditLine }

// auditView turns an audit row's JSON before and after into lines a reader can scan: nested
// objects flatten to dotted keys, lists of plain values join with commas, times shorten, and
// when both sides exist the lines the change touched are marked.
func auditView(e audit.Entry) auditState {
	v := auditState{Before: auditLines(e.Before), After: auditLines(e.After)}
	if v.Before == nil || v.After == nil {
		return v
	}
	was := map[string]string{}
	for _, l := range v.Before {
		was[l.Key] = l.Value
	}
	now := map[string]string{}
	for i, l := range v.After {
		now[l.Key] = l.Value
		if old, ok := was[l.Key]; !ok || old != l.Value {
			v.After[i].Changed = true
		}
	}
	for i, l := range v.Before {
		if cur, ok := now[l.Key]; !ok || cur != l.Value {
			v.Before[i].Changed = true
		}
	}
	return v
}

// auditMoney are the fields, in the records of auditMoneyKinds, that hold money in hundredths
// (plans.Intervention, Tranche, ReportDraft): at any depth of a key (expenditure.19 is line 19's
// expenditure), read with two decimals as the plans pages read them.
var (
	auditMoney      = map[string]bool{"amount": true, "budget": true, "expenditure": true, "released_before": true, "released_half": true, "released_to_date": true}
	auditMoneyKinds = map[string]bool{"tranche": true, "report": true, "intervention": true, "work_plan": true}
)

// AuditView is auditView as the reader reads it: each part of a key that names a field is
// the field's label in the reader's language, and money is written with its decimals.
func (p *Page) AuditView(e audit.Entry) auditState {
	v := auditView(e)
	relabel := func(lines []auditLine) {
		for i, l := range lines {
			parts := strings.Split(l.Key, ".")
			money := false
			for j, part := range parts {
				name, index, _ := strings.Cut(part, "[")
				money = money || auditMoney[name]
				if name != "" && p.Has("field."+name) {
					parts[j] = p.T("field." + name)
					if index != "" {
						parts[j] += "[" + index
					}
				}
			}
			lines[i].Key = strings.Join(parts, " · ")
			if n, err := strconv.ParseInt(l.Value, 10, 64); err == nil && money && auditMoneyKinds[e.Entity] {
				lines[i].Value = ivMoney(n)
			}
		}
	}
	relabel(v.Before)
	relabel(v.After)
	return v
}

// jsonNode is a JSON value with its object keys in their written order.
type jsonNode struct {
	scalar any // string, json.Number, bool or nil, when neither object nor list
	object bool
	keys   []string
	vals   []jsonNode
	list   bool
	items  []jsonNode
}

func readJSON(dec *json.Decoder) (jsonNode, error) {
	tok, err := dec.Token()
	if err != nil {
		return jsonNode{}, err
	}
	switch tok {
	case json.Delim('{'):
		n := jsonNode{object: true}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return n, err
			}
			v, err := readJSON(dec)
			if err != nil {
				return n, err
			}
			n.keys, n.vals = append(n.keys, fmt.Sprint(k)), append(n.vals, v)
		}
		_, err := dec.Token()
		return n, err
	case json.Delim('['):
		n := jsonNode{list: true}
		for dec.More() {
			v, err := readJSON(dec)
			if err != nil {
				return n, err
			}
			n.items = append(n.items, v)
		}
		_, err := dec.Token()
		return n, err
	}
	return jsonNode{scalar: tok}, nil
}

// auditLines flattens one side of an audit row; nil when there is none. Text that is not JSON
// is shown as one line.
func auditLines(s string) []auditLine {
	if strings.TrimSpace(s) == "" || s == "null" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	root, err := readJSON(dec)
	if err != nil {
		return []auditLine{{Value: s}}
	}
	var out []auditLine
	flattenJSON("", root, &out)
	if len(out) == 0 {
		out = []auditLine{{Value: "—"}}
	}
	return out
}

func flattenJSON(key string, n jsonNode, out *[]auditLine) {
	switch {
	case n.object:
		if len(n.keys) == 0 && key != "" {
			*out = append(*out, auditLine{Key: key, Value: "—"})
		}
		for i, k := range n.keys {
			if key != "" {
				k = key + "." + k
			}
			flattenJSON(k, n.vals[i], out)
		}
	case n.list:
		plain := true
		parts := make([]string, 0, len(n.items))
		for _, it := range n.items {
			if it.object || it.list {
				plain = false
				break
			}
			parts = append(parts, jsonScalar(it.scalar))
		}
		if plain {
			v := strings.Join(parts, ", ")
			if v == "" {
				v = "—"
			}
			*out = append(*out, auditLine{Key: key, Value: v})
			return
		}
		for i, it := range n.items {
			flattenJSON(fmt.Sprintf("%s[%d]", key, i+1), it, out)
		}
	default:
		*out = append(*out, auditLine{Key: key, Value: jsonScalar(n.scalar)})
	}
}

// jsonScalar says one plain JSON value: nothing as a dash, a timestamp to the minute.
func jsonScalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil && len(x) > len(time.DateOnly) {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04")
		}
		if x == "" {
			return "—"
		}
		return x
	default:
		return fmt.Sprint(x)
	}
}

type treeArgs struct {
	Page *Page
	Node treeNode
}

type pagerArgs struct {
	Page  *Page
	Pager pager
	Base  string
}

// templates parses layout.html with each page template into its own set.
func parseTemplates() (map[string]*template.Template, error) {
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		files := []string{"templates/layout.html", p}
		partials, _ := fs.Glob(templateFS, "templates/_*.html")
		files = append(files, partials...)
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		out[name] = t
	}
	return out, nil
}

// render writes page name with status. Output is buffered so a template error becomes a 500
// rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	t, ok := s.tmpl[name]
	if !ok {
		s.serverError(w, r, fmt.Errorf("no template %q", name))
		return
	}
	s.fillPage(r, p)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.serverError(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	out := buf.Bytes()
	if p.Actor != nil {
		var forms bool
		if out, forms = onceForms(out); forms && w.Header().Get("Cache-Control") == "" {
			// A page with forms is not kept: the back button fetches it again, with fresh keys,
			// rather than showing a form whose key was spent on another entry.
			w.Header().Set("Cache-Control", "no-store")
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", p.Lang)
	w.WriteHeader(status)
	w.Write(out)
}

// nameDemoActors names, in names (public id → the name a page shows, as
// results.EnteredByNames gives it: the id itself when no account has it), the ids among ids the
// demonstration acts under when it has no login of its own for a role: "demo:agency:<partner
// code>", "demo:office:<unit code>" and "demo:national-office" (demo's cast). No account
// carries them, so unnamed they would show as written; they read as the partner or office they
// stand for, marked as the demo's. Names are read as the system, as a recorded value's office
// is: whoever sees the record may read who acted on it. An id whose partner or office is gone
// stays as it is.
func (s *Server) nameDemoActors(ctx context.Context, tr Tr, names map[string]string, ids []string) {
	tried := map[string]bool{}
	for _, id := range ids {
		rest, demo := strings.CutPrefix(id, "demo:")
		if n, ok := names[id]; !demo || tried[id] || ok && n != id {
			continue
		}
		tried[id] = true
		name := ""
		kind, code, _ := strings.Cut(rest, ":")
		switch kind {
		case "agency":
			ps, _, err := s.org.Partners(ctx, access.System, org.PartnerQuery{Search: code, Inactive: true, Limit: 1000})
			if err == nil {
				for _, p := range ps {
					if p.Code == code {
						name = p.Name(tr.Lang)
					}
				}
			}
		case "office":
			if u, err := s.org.UnitByCode(ctx, access.System, code); err == nil {
				name = u.Name(tr.Lang)
			}
		case "national-office":
			if us, _, err := s.org.Units(ctx, access.System, org.UnitQuery{Level: org.National, Limit: 1}); err == nil && len(us) > 0 {
				name = us[0].Name(tr.Lang)
			}
		}
		if name != "" {
			names[id] = tr.T("actor.demo", "Name", name)
		}
	}
}

func (s *Server) fillPage(r *http.Request, p *Page) {
	rc := reqCtx(r)
	p.Tr = rc.tr
	p.Path = r.URL.Path
	p.Query = r.URL.Query()
	p.Version = s.version
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		p.back = s.formPage(r)
	}
	if rc.actor != nil {
		p.Actor = rc.actor
		p.User = rc.userName
		if n, err := s.plansService().UnreadCount(r.Context(), *rc.actor); err == nil {
			p.Unread = n
		}
	}
	if p.Flash == "" {
		p.Flash = s.popFlash(r)
	}
}

// formPage is, for a request that sent a form, the page the form was on: the Referer's path
// and query when it is this site's and a page that can be got; else the posted path when a
// page can be got there; else the home page.
func (s *Server) formPage(r *http.Request) *url.URL {
	if ref, ok := sameSiteReferer(r); ok && s.canGet(ref.Path) {
		return ref
	}
	if s.canGet(r.URL.Path) {
		return &url.URL{Path: r.URL.Path}
	}
	return &url.URL{Path: "/"}
}

// canGet reports whether a GET route serves path.
func (s *Server) canGet(path string) bool {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return false
	}
	_, pattern := s.mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: path}})
	return pattern != ""
}
