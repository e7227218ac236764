package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/org"
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

// Can reports whether the signed-in actor holds permission perm.
func (p *Page) Can(perm string) bool { return p.Actor != nil && p.Actor.Can(access.Permission(perm)) }

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

// SwitchLang is the URL of the current page in the other language.
func (p *Page) SwitchLang() string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = v
	}
	q.Set("lang", other(p.Lang))
	return p.Path + "?" + q.Encode()
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
	"withOffset": func(base string, off int) string {
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		return fmt.Sprintf("%s%soffset=%d", base, sep, off)
	},
	// hasTag: checked state of a tag box, from the submitted form when there is one.
	"hasTag": func(p *Page, current []string, tag string) bool {
		if p.Form != nil {
			return slices.Contains(p.Form["tags"], tag)
		}
		return slices.Contains(current, tag)
	},
	"auditEntities": func() []string { return auditEntities },
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

// auditEntities are the kinds of record the audit log names.
var auditEntities = []string{"unit", "partner", "committee", "committee_member", "meeting", "office", "staff_position", "user", "api_token", "import"}

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
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", p.Lang)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) fillPage(r *http.Request, p *Page) {
	rc := reqCtx(r)
	p.Tr = rc.tr
	p.Path = r.URL.Path
	p.Query = r.URL.Query()
	p.Version = s.version
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
