package web

import (
	"context"
	"database/sql"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"html"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// uiAuditDynamic gives the values of the parameters of exported functions that flow into an
// audit.Record call's action or entity: callers outside the package (a handler passing a form
// value the function checks) cannot be followed, so the checked list is named here. A new such
// parameter makes TestUIAuditLabels fail until it is added.
var uiAuditDynamic = map[string][]string{
	"internal/beneficiaries.Respond.status": beneficiaries.RefStatuses,
}

// uiPkg is one directory's non-test Go files, parsed.
type uiPkg struct {
	dir   string
	fset  *token.FileSet
	files []*ast.File
	funcs map[string][]*ast.FuncDecl // by name (functions and methods alike)
	calls []uiCall                   // every call, with the function declaring it
}

type uiCall struct {
	call *ast.CallExpr
	in   *ast.FuncDecl
}

// uiParsePackages parses every package of the module (root is the module's directory).
func uiParsePackages(t *testing.T, root string) []*uiPkg {
	t.Helper()
	byDir := map[string]*uiPkg{}
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "vendor" || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		dir, _ := filepath.Rel(root, filepath.Dir(p))
		dir = filepath.ToSlash(dir)
		pkg := byDir[dir]
		if pkg == nil {
			pkg = &uiPkg{dir: dir, fset: token.NewFileSet(), funcs: map[string][]*ast.FuncDecl{}}
			byDir[dir] = pkg
			dirs = append(dirs, dir)
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(pkg.fset, p, src, 0)
		if err != nil {
			return err
		}
		pkg.files = append(pkg.files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []*uiPkg
	for _, dir := range dirs {
		pkg := byDir[dir]
		for _, f := range pkg.files {
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				pkg.funcs[fd.Name.Name] = append(pkg.funcs[fd.Name.Name], fd)
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					if c, ok := n.(*ast.CallExpr); ok {
						pkg.calls = append(pkg.calls, uiCall{c, fd})
					}
					return true
				})
			}
		}
		out = append(out, pkg)
	}
	return out
}

// uiCallee is the name a call calls (f(…), x.f(…)).
func uiCallee(c *ast.CallExpr) string {
	switch f := c.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

// uiParams lists fn's parameter names in order.
func uiParams(fn *ast.FuncDecl) []string {
	var out []string
	for _, f := range fn.Type.Params.List {
		if len(f.Names) == 0 {
			out = append(out, "_")
		}
		for _, n := range f.Names {
			out = append(out, n.Name)
		}
	}
	return out
}

// uiResolve lists the strings expr can hold inside fn: literals, locals assigned literals,
// parameters of unexported functions followed to their callers, concatenations. What it cannot
// follow is returned as unresolved.
func (pkg *uiPkg) resolve(expr ast.Expr, fn *ast.FuncDecl, depth int) (vals, unresolved []string) {
	where := func() string {
		return fmt.Sprintf("%s: %s", pkg.fset.Position(expr.Pos()), pkg.text(expr))
	}
	if depth > 6 {
		return nil, []string{where() + " (too deep)"}
	}
	switch x := expr.(type) {
	case *ast.BasicLit:
		if x.Kind == token.STRING {
			s, err := strconv.Unquote(x.Value)
			if err == nil {
				return []string{s}, nil
			}
		}
	case *ast.ParenExpr:
		return pkg.resolve(x.X, fn, depth)
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			l, lu := pkg.resolve(x.X, fn, depth)
			r, ru := pkg.resolve(x.Y, fn, depth)
			for _, a := range l {
				for _, b := range r {
					vals = append(vals, a+b)
				}
			}
			return vals, append(lu, ru...)
		}
	case *ast.Ident:
		if i := slices.Index(uiParams(fn), x.Name); i >= 0 {
			if ast.IsExported(fn.Name.Name) {
				key := pkg.dir + "." + fn.Name.Name + "." + x.Name
				if vs, ok := uiAuditDynamic[key]; ok {
					return vs, nil
				}
				return nil, []string{where() + fmt.Sprintf(" (a parameter of exported %s: list its values as %q in uiAuditDynamic)", fn.Name.Name, key)}
			}
			found := false
			for _, c := range pkg.calls {
				if uiCallee(c.call) != fn.Name.Name || len(c.call.Args) != len(uiParams(fn)) {
					continue
				}
				found = true
				v, u := pkg.resolve(c.call.Args[i], c.in, depth+1)
				vals, unresolved = append(vals, v...), append(unresolved, u...)
			}
			if !found {
				unresolved = append(unresolved, where()+" (no caller found)")
			}
			return vals, unresolved
		}
		found := false
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			switch s := n.(type) {
			case *ast.AssignStmt:
				if len(s.Lhs) != len(s.Rhs) {
					return true
				}
				for j, l := range s.Lhs {
					if id, ok := l.(*ast.Ident); ok && id.Name == x.Name {
						found = true
						v, u := pkg.resolve(s.Rhs[j], fn, depth+1)
						vals, unresolved = append(vals, v...), append(unresolved, u...)
					}
				}
			case *ast.ValueSpec:
				for j, id := range s.Names {
					if id.Name == x.Name && j < len(s.Values) {
						found = true
						v, u := pkg.resolve(s.Values[j], fn, depth+1)
						vals, unresolved = append(vals, v...), append(unresolved, u...)
					}
				}
			}
			return true
		})
		if found {
			return vals, unresolved
		}
	}
	return nil, []string{where()}
}

func (pkg *uiPkg) text(e ast.Expr) string {
	var b strings.Builder
	printer.Fprint(&b, pkg.fset, e)
	return b.String()
}

// uiAuditRecorded walks every audit.Record call of the module and returns the entities and
// actions it can write, each with a place that writes it.
func uiAuditRecorded(t *testing.T) (entities, actions map[string]string) {
	t.Helper()
	entities, actions = map[string]string{}, map[string]string{}
	calls := 0
	for _, pkg := range uiParsePackages(t, "../..") {
		for _, c := range pkg.calls {
			sel, ok := c.call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Record" {
				continue
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "audit" || len(c.call.Args) < 5 {
				continue
			}
			calls++
			at := pkg.fset.Position(c.call.Pos()).String()
			for _, arg := range []struct {
				expr ast.Expr
				into map[string]string
			}{{c.call.Args[3], actions}, {c.call.Args[4], entities}} {
				vals, unresolved := pkg.resolve(arg.expr, c.in, 0)
				for _, u := range unresolved {
					t.Errorf("%s: cannot tell what this audit.Record writes: %s", at, u)
				}
				for _, v := range vals {
					arg.into[v] = at
				}
			}
		}
	}
	if calls < 50 || len(entities) < 20 || len(actions) < 20 {
		t.Fatalf("found %d audit.Record calls, %d entities, %d actions: the walk no longer finds the calls", calls, len(entities), len(actions))
	}
	return entities, actions
}

// TestUIAuditLabels: every entity and action an audit.Record call can write is offered by the
// audit log's filters and has its label in both languages; nothing is offered that no call writes.
func TestUIAuditLabels(t *testing.T) {
	entities, actions := uiAuditRecorded(t)
	cats := fxCatalogs(t)
	for _, fam := range []struct {
		name, prefix string
		recorded     map[string]string
		listed       []string
	}{{"auditEntities", "entity.", entities, auditEntities}, {"auditActions", "audit.action.", actions, auditActions}} {
		for v, at := range fam.recorded {
			if !slices.Contains(fam.listed, v) {
				t.Errorf("%s: %q is recorded but not in %s", at, v, fam.name)
			}
		}
		for _, v := range fam.listed {
			if _, ok := fam.recorded[v]; !ok {
				t.Errorf("%s lists %q, which no audit.Record call writes", fam.name, v)
			}
		}
		for _, lang := range Langs {
			keys := fxAllKeys(cats, lang)
			seen := map[string]string{}
			for _, v := range fam.listed {
				if !keys[fam.prefix+v] {
					t.Errorf("%s%s has no label in the %s catalogs", fam.prefix, v, lang)
					continue
				}
				label := NewTr(lang).T(fam.prefix + v)
				if prev, dup := seen[label]; dup && fam.name == "auditEntities" {
					t.Errorf("%s: %q and %q share the label %q", lang, prev, v, label)
				}
				seen[label] = v
			}
		}
	}
}

// TestUIAuditView: a record's state reads as key: value lines, nested keys dotted, lists
// joined, times to the minute, and the lines a change touched marked.
func TestUIAuditView(t *testing.T) {
	v := auditView(audit.Entry{
		Before: `{"status":"sent","to":{"code":"JS"},"tags":["a","b"],"at":"2012-03-04T05:06:07Z","closed_on":null}`,
		After:  `{"status":"accepted","to":{"code":"JS"},"tags":["a","b"],"at":"2012-03-04T05:06:07Z","closed_on":"2012-05-01"}`,
	})
	got := func(ls []auditLine) string {
		var b strings.Builder
		for _, l := range ls {
			fmt.Fprintf(&b, "%s: %s", l.Key, l.Value)
			if l.Changed {
				b.WriteString(" *")
			}
			b.WriteString("\n")
		}
		return b.String()
	}
	if want := "status: sent *\nto.code: JS\ntags: a, b\nat: 2012-03-04 05:06\nclosed_on: — *\n"; got(v.Before) != want {
		t.Errorf("before:\n%s\nwant:\n%s", got(v.Before), want)
	}
	if want := "status: accepted *\nto.code: JS\ntags: a, b\nat: 2012-03-04 05:06\nclosed_on: 2012-05-01 *\n"; got(v.After) != want {
		t.Errorf("after:\n%s\nwant:\n%s", got(v.After), want)
	}
	if v := auditView(audit.Entry{After: `{"lines":[{"amount":5},{"amount":7}]}`}); got(v.After) != "lines[1].amount: 5\nlines[2].amount: 7\n" || v.Before != nil {
		t.Errorf("list of objects: %+v", v)
	}
}

var uiOptionRE = regexp.MustCompile(`<option value="([^"]*)"[^>]*>([^<]*)</option>`)

// uiSelectOptions returns value → text of the options of the select with id.
func uiSelectOptions(t *testing.T, body, id string) map[string]string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no select %s", id)
	}
	j := strings.Index(body[i:], "</select>")
	out := map[string]string{}
	for _, m := range uiOptionRE.FindAllStringSubmatch(body[i:i+j], -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// TestUIAuditPage: the audit log says every kind of record and every action in the reader's
// language, offers every kind in its filter, and shows before and after as lines.
func TestUIAuditPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		app := fxServer(t, db)
		n := fxNetwork(t, db)
		admin := fxUser(t, db, "ui_audit_admin", access.NationalAdmin, n.National.ID)
		if _, err := org.New(db).CloseUnit(ctx, access.System, n.AnhuiCity.ID, "2012-01-01"); err != nil {
			t.Fatal(err)
		}
		// Rows of kinds the fixture network does not make, as their services write them.
		if err := db.Tx(ctx, func(tx *sql.Tx) error {
			if err := audit.Record(ctx, tx, access.System, "referral_accepted", "referral", 41, n.AnhuiCity.ID,
				map[string]any{"status": "sent", "reason": "Moving to Nanjing"}, map[string]any{"status": "accepted", "reason": "Moving to Nanjing"}); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, access.System, "release", "tranche", 42, n.AnhuiCity.ID, nil, map[string]any{"amount": 125000, "released_on": "2012-02-01"}); err != nil {
				return err
			}
			return audit.Record(ctx, tx, access.System, "save", "data_values", 3, n.AnhuiCity.ID, nil, map[string]any{"count": 3})
		}); err != nil {
			t.Fatal(err)
		}
		b := app.fxLogin(t, admin.Username, fxPassword)
		for _, lang := range Langs {
			tr := NewTr(lang)
			r := b.get(t, "/admin/audit?limit=200&lang="+lang)
			pwWant(t, lang+": audit log", r, http.StatusOK, `id="audit-list"`)
			list := r.Body[strings.Index(r.Body, `id="audit-list"`):]
			for _, raw := range []string{">entity.", "audit.action.", `class="json"`, `{&#34;`} {
				if strings.Contains(list, raw) {
					t.Errorf("%s: the audit list shows raw %q", lang, raw)
				}
			}
			for _, w := range []struct{ action, entity string }{{"referral_accepted", "referral"}, {"release", "tranche"}, {"save", "data_values"},
				{"create", "partner"}, {"close", "unit"}, {"create", "user"}} {
				cell := fmt.Sprintf(`data-action="%s">%s</td><td class="audit-entity" data-entity="%s">%s`, w.action, fxHTML(tr.T("audit.action."+w.action)),
					w.entity, fxHTML(tr.T("entity."+w.entity)))
				if !strings.Contains(list, cell) {
					t.Errorf("%s: no row saying %s of %s: want %s", lang, w.action, w.entity, cell)
				}
			}
			// Keys read as the form's own labels, and a tranche's amount (kept in hundredths) as money.
			k := func(field string) string { return `<span class="k">` + fxHTML(tr.T("field."+field)) + `</span>: ` }
			for _, w := range []string{`<mark>` + k("status") + `sent</mark>`, `<mark>` + k("status") + `accepted</mark>`,
				k("reason") + `Moving to Nanjing</div>`, k("amount") + `1,250.00`, k("released_on") + `2012-02-01`} {
				if !strings.Contains(list, w) {
					t.Errorf("%s: before/after do not read %q", lang, w)
				}
			}
			kinds := uiSelectOptions(t, r.Body, "audit-entity")
			for _, e := range auditEntities {
				if kinds[e] != tr.T("entity."+e) {
					t.Errorf("%s: kind filter offers %q as %q, want %q", lang, e, kinds[e], tr.T("entity."+e))
				}
			}
			if len(kinds) != len(auditEntities)+1 {
				t.Errorf("%s: kind filter has %d options, want every kind and all", lang, len(kinds))
			}
			acts := uiSelectOptions(t, r.Body, "audit-action")
			for _, a := range auditActions {
				if acts[a] != tr.T("audit.action."+a) {
					t.Errorf("%s: action filter offers %q as %q", lang, a, acts[a])
				}
			}
		}
		// Filtering by a kind the old filter lacked.
		r := b.get(t, "/admin/audit?lang=en&entity=tranche")
		list := r.Body[strings.Index(r.Body, `id="audit-list"`):]
		if !strings.Contains(list, `data-entity="tranche"`) || strings.Contains(list, `data-entity="unit"`) ||
			!strings.Contains(r.Body, `<option value="tranche" selected>`) {
			t.Errorf("filtered to tranches:\n%s", fxSnippet(list))
		}
	})
}

// TestUIAuditViewReads: the audit page names a record's fields in the reader's language and
// writes a plan's money with its decimals, not as the hundredths it is stored in; other
// numbers and unknown keys stay as they are.
func TestUIAuditViewReads(t *testing.T) {
	e := audit.Entry{Entity: "report", Before: `{"status":"submitted"}`, After: `{"status":"approved","expenditure":{"19":1710000},"count":3}`}
	got := func(ls []auditLine) string {
		var b strings.Builder
		for _, l := range ls {
			fmt.Fprintf(&b, "%s: %s\n", l.Key, l.Value)
		}
		return b.String()
	}
	p := &Page{Tr: NewTr("en")}
	if want := "Status: approved\nExpenditure · 19: 17,100.00\ncount: 3\n"; got(p.AuditView(e).After) != want {
		t.Errorf("English:\n%s\nwant:\n%s", got(p.AuditView(e).After), want)
	}
	zh := &Page{Tr: NewTr("zh")}
	if v := zh.AuditView(e); !strings.HasPrefix(got(v.Before), NewTr("zh").T("field.status")+": submitted") || !v.Before[0].Changed {
		t.Errorf("Chinese before: %s %+v", got(v.Before), v.Before)
	}
	// A tranche's amount is money; a unit's is not a plan's, so a number stays a number.
	if v := p.AuditView(audit.Entry{Entity: "tranche", After: `{"amount":3500000}`}); got(v.After) != "Amount: 35,000.00\n" {
		t.Errorf("tranche: %s", got(v.After))
	}
	if v := p.AuditView(audit.Entry{Entity: "unit", After: `{"amount":35}`}); got(v.After) != "Amount: 35\n" {
		t.Errorf("unit: %s", got(v.After))
	}
}
