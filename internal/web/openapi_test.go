package web

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"ting/internal/store/storetest"
)

var fxHTTPMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// fxOpenAPIDoc returns the merged document after a JSON round trip, as a client sees it.
func fxOpenAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	doc, err := OpenAPI()
	if err != nil {
		t.Fatalf("OpenAPI(): %v", err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("the document is not valid JSON: %v", err)
	}
	return out
}

// fxResolve follows a local JSON pointer ("#/components/schemas/Unit").
func fxResolve(doc map[string]any, ref string) (any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	var cur any = doc
	for _, p := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		p = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// fxDeref resolves v when it is a {"$ref": …} object.
func fxDeref(doc map[string]any, v any) any {
	if m, ok := v.(map[string]any); ok {
		if ref, ok := m["$ref"].(string); ok {
			if r, ok := fxResolve(doc, ref); ok {
				return r
			}
		}
	}
	return v
}

func TestOpenAPIDocument(t *testing.T) {
	doc := fxOpenAPIDoc(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatal("the document has no paths")
	}
	param := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range paths {
		pi, ok := item.(map[string]any)
		if !ok {
			t.Errorf("%s: path item is not an object", path)
			continue
		}
		// Parameters declared for the whole path apply to each operation.
		declared := func(op map[string]any) map[string]bool {
			in := map[string]bool{}
			for _, list := range []any{pi["parameters"], op["parameters"]} {
				ps, _ := list.([]any)
				for _, p := range ps {
					if pm, ok := fxDeref(doc, p).(map[string]any); ok && pm["in"] == "path" {
						in[pm["name"].(string)] = true
					}
				}
			}
			return in
		}
		ops := 0
		for _, m := range fxHTTPMethods {
			v, ok := pi[m]
			if !ok {
				continue
			}
			ops++
			op, _ := v.(map[string]any)
			resp, _ := op["responses"].(map[string]any)
			if len(resp) == 0 {
				t.Errorf("%s %s: no responses", strings.ToUpper(m), path)
			}
			have := declared(op)
			for _, want := range param.FindAllStringSubmatch(path, -1) {
				if !have[want[1]] {
					t.Errorf("%s %s: path parameter {%s} is not declared", strings.ToUpper(m), path, want[1])
				}
			}
		}
		if ops == 0 {
			t.Errorf("%s: no operations", path)
		}
	}
	// Every $ref points at something in the document.
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				if _, ok := fxResolve(doc, ref); !ok {
					t.Errorf("%s: $ref %q points at nothing", where, ref)
				}
			}
			for k, c := range x {
				walk(where+"/"+k, c)
			}
		case []any:
			for _, c := range x {
				walk(where, c)
			}
		}
	}
	walk("#", doc)
}

// fxDocumentedOperations lists "METHOD /path" for every documented operation.
func fxDocumentedOperations(doc map[string]any) []string {
	var out []string
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		pi, _ := item.(map[string]any)
		for _, m := range fxHTTPMethods {
			if _, ok := pi[m]; ok {
				out = append(out, strings.ToUpper(m)+" "+path)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIMatchesRoutes holds the document and the router to the same set of operations, in
// both directions, whichever area added them.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	app := fxServer(t, storetest.SQLite(t))
	var registered []string
	for _, r := range app.srv.Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/") {
			registered = append(registered, r.Method+" "+r.Path)
		}
	}
	slices.Sort(registered)
	documented := fxDocumentedOperations(fxOpenAPIDoc(t))
	for _, r := range registered {
		if _, found := slices.BinarySearch(documented, r); !found {
			t.Errorf("route %s is registered but not documented in internal/web/openapi/*.json", r)
		}
	}
	for _, d := range documented {
		if _, found := slices.BinarySearch(registered, d); !found {
			t.Errorf("operation %s is documented but no such route is registered", d)
		}
	}
	if len(registered) == 0 {
		t.Fatal("no /api/v1 routes registered")
	}
}

func TestOpenAPIServed(t *testing.T) {
	app := fxServer(t, storetest.SQLite(t))
	r := app.fxBrowser(t).get(t, "/api/v1/openapi.json")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: status %d\n%s", r.Status, fxSnippet(r.Body))
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var served map[string]any
	r.json(t, &served)
	if want := fxOpenAPIDoc(t); !reflect.DeepEqual(served, want) {
		t.Error("the served document differs from web.OpenAPI()")
	}
}
