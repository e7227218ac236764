package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sort"
	"strings"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/valid"
)

// The OpenAPI document is assembled from openapi/*.json: 00_base.json holds the frame and each
// area adds its own file with "paths" and "components.schemas", so areas document their routes
// next to each other without editing one shared file.
//
//go:embed openapi/*.json
var openapiFS embed.FS

// OpenAPI returns the merged document.
func OpenAPI() (map[string]any, error) {
	files, err := fs.Glob(openapiFS, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var doc map[string]any
	for _, f := range files {
		b, err := openapiFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if doc == nil {
			doc = part
			continue
		}
		if err := mergeSection(doc, part, "paths"); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if c, ok := part["components"].(map[string]any); ok {
			if err := mergeSection(doc["components"].(map[string]any), c, "schemas"); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
		}
	}
	return doc, nil
}

// mergeSection copies part[key] entries into doc[key], refusing duplicates. Paths merge one
// operation at a time, so an area may add a method to a path another area documents
// (POST /api/v1/frameworks beside GET); the same operation twice is still refused.
func mergeSection(doc, part map[string]any, key string) error {
	src, _ := part[key].(map[string]any)
	if len(src) == 0 {
		return nil
	}
	dst, _ := doc[key].(map[string]any)
	if dst == nil {
		dst = map[string]any{}
		doc[key] = dst
	}
	for k, v := range src {
		prev, dup := dst[k]
		if !dup {
			dst[k] = v
			continue
		}
		have, ok1 := prev.(map[string]any)
		add, ok2 := v.(map[string]any)
		if key != "paths" || !ok1 || !ok2 {
			return fmt.Errorf("%s %q defined twice", key, k)
		}
		for op, def := range add {
			if _, twice := have[op]; twice {
				return fmt.Errorf("%s %q: %s defined twice", key, k, op)
			}
			have[op] = def
		}
	}
	return nil
}

// apiErrorBody is the one error shape of the JSON API. For validation failures errors lists
// every broken rule; code/message/field describe the first.
type apiErrorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Field   string         `json:"field,omitempty"`
	Errors  []apiFieldFail `json:"errors,omitempty"`
}

type apiFieldFail struct {
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
	Row     int    `json:"row,omitempty"`
}

// list is the paginated envelope of every collection.
type list[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

func newList[T any](items []T, total int, pg pager) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Total: total, Limit: pg.Limit, Offset: pg.Offset}
}

// writeAll answers a whole collection (no pagination) in the list envelope.
func writeAll[T any](w http.ResponseWriter, items []T) {
	writeJSON(w, http.StatusOK, newList(items, len(items), pager{Limit: len(items)}))
}

// apiAll serves GET of a whole collection the actor sees.
func apiAll[T any](s *Server, fetch func(context.Context, access.Actor) ([]T, error)) http.HandlerFunc {
	return s.api(func(w http.ResponseWriter, r *http.Request, a access.Actor) error {
		items, err := fetch(r.Context(), a)
		if err != nil {
			return err
		}
		writeAll(w, items)
		return nil
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func (s *Server) apiError(w http.ResponseWriter, r *http.Request, status int, code, field, message string) {
	tr := reqCtx(r).tr
	if message == "" {
		message = tr.T("api." + code)
	}
	writeJSON(w, status, apiErrorBody{Code: code, Message: message, Field: field})
}

// apiFail maps a domain error to the API's error shape.
func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	tr := reqCtx(r).tr
	if es, ok := valid.As(err); ok {
		body := apiErrorBody{Code: "validation", Message: tr.FieldError(es[0]), Field: es[0].Field}
		for _, e := range es {
			body.Errors = append(body.Errors, apiFieldFail{Field: e.Field, Rule: e.Rule, Message: tr.FieldError(e), Row: e.Row})
		}
		writeJSON(w, http.StatusUnprocessableEntity, body)
		return
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.apiError(w, r, http.StatusNotFound, "not_found", "", "")
	case errors.Is(err, access.ErrForbidden):
		s.apiError(w, r, http.StatusForbidden, "forbidden", "", "")
	default:
		s.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		s.apiError(w, r, http.StatusInternalServerError, "internal", "", "")
	}
}

// api wraps an API handler: it needs an actor (token or session) and answers JSON errors.
func (s *Server) api(h func(w http.ResponseWriter, r *http.Request, a access.Actor) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc := reqCtx(r)
		if rc.actor == nil {
			s.apiError(w, r, http.StatusUnauthorized, "unauthorized", "", "")
			return
		}
		if err := h(w, r, *rc.actor); err != nil {
			s.apiFail(w, r, err)
		}
	}
}

// decode reads a JSON body into v, refusing unknown fields and oversized bodies.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field := ""
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			field = ute.Field
		} else if strings.HasPrefix(err.Error(), "json: unknown field ") {
			field = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return valid.New(field, "unknown_field")
		}
		if field == "" {
			field = "body"
		}
		return valid.New(field, "json")
	}
	return nil
}

// apiGet serves GET …/{id}: the record fetch returns for the id, in the actor's scope.
func apiGet[T any](s *Server, fetch func(context.Context, access.Actor, int64) (T, error)) http.HandlerFunc {
	return s.api(func(w http.ResponseWriter, r *http.Request, a access.Actor) error {
		id, err := pathIDErr(r)
		if err != nil {
			return err
		}
		v, err := fetch(r.Context(), a, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	})
}

// apiListOf serves GET …/{id}/things: every record fetch lists under the id, as one page.
func apiListOf[T any](s *Server, fetch func(context.Context, access.Actor, int64) ([]T, error)) http.HandlerFunc {
	return s.api(func(w http.ResponseWriter, r *http.Request, a access.Actor) error {
		id, err := pathIDErr(r)
		if err != nil {
			return err
		}
		items, err := fetch(r.Context(), a, id)
		if err != nil {
			return err
		}
		writeAll(w, items)
		return nil
	})
}

// apiCreate serves POST of a new record: the JSON body decoded into In, answered 201.
func apiCreate[In, Out any](s *Server, create func(context.Context, access.Actor, In) (Out, error)) http.HandlerFunc {
	return s.api(func(w http.ResponseWriter, r *http.Request, a access.Actor) error {
		var in In
		if err := decode(r, &in); err != nil {
			return err
		}
		v, err := create(r.Context(), a, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, v)
		return nil
	})
}

// apiCreateUnder serves POST …/{id}/things: a new record under the id, answered 201.
func apiCreateUnder[In, Out any](s *Server, create func(context.Context, access.Actor, int64, In) (Out, error)) http.HandlerFunc {
	return s.api(func(w http.ResponseWriter, r *http.Request, a access.Actor) error {
		id, err := pathIDErr(r)
		if err != nil {
			return err
		}
		var in In
		if err := decode(r, &in); err != nil {
			return err
		}
		v, err := create(r.Context(), a, id, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, v)
		return nil
	})
}

func pathIDErr(r *http.Request) (int64, error) {
	id, ok := pathID(r, "id")
	if !ok {
		return 0, fmt.Errorf("id %q: %w", r.PathValue("id"), store.ErrNotFound)
	}
	return id, nil
}

func (s *Server) routesAPI() {
	s.handle("GET /api/v1/openapi.json", s.openapi)
	s.handle("GET /api/v1/me", s.api(s.apiMe))
	s.handle("GET /api/v1/units", s.api(s.apiUnits))
	s.handle("POST /api/v1/units", s.api(s.apiUnitCreate))
	s.handle("GET /api/v1/units/{id}", apiGet(s, s.org.Unit))
	s.handle("PATCH /api/v1/units/{id}", s.api(s.apiUnitUpdate))
	s.handle("POST /api/v1/units/{id}/move", s.api(s.apiUnitMove))
	s.handle("POST /api/v1/units/{id}/close", s.api(s.apiUnitClose))
	s.handle("GET /api/v1/units/{id}/children", apiListOf(s, s.org.Children))
	s.handle("GET /api/v1/units/{id}/history", apiListOf(s, s.org.History))
	s.handle("GET /api/v1/units/{id}/as-of/{date}", s.api(s.apiUnitAsOf))
	s.handle("GET /api/v1/partners", s.api(s.apiPartners))
	s.handle("POST /api/v1/partners", apiCreate(s, s.org.CreatePartner))
	s.handle("GET /api/v1/partners/{id}", apiGet(s, s.org.Partner))
	s.handle("PATCH /api/v1/partners/{id}", s.api(s.apiPartnerUpdate))
	s.handle("GET /api/v1/audit", s.api(s.apiAudit))
	s.routesAPICommittees()
	s.routesAPIOffices()
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	doc, err := OpenAPI()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

type meBody struct {
	Username    string      `json:"username"`
	DisplayName string      `json:"display_name"`
	Role        access.Role `json:"role"`
	Unit        org.Unit    `json:"unit"`
	Permissions []string    `json:"permissions"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	u, err := s.org.Unit(r.Context(), a, a.UnitID)
	if err != nil {
		return err
	}
	body := meBody{Username: a.Username, DisplayName: reqCtx(r).userName, Role: a.Role, Unit: u, Permissions: []string{}}
	for _, p := range []access.Permission{access.ViewNetwork, access.EditUnits, access.EditPartners, access.EditCommittees, access.EditOffices, access.ImportNetwork, access.ManageUsers, access.ViewAudit, access.ManageOwnTokens, access.ViewResults, access.EditResults, access.EnterValues} {
		if a.Can(p) {
			body.Permissions = append(body.Permissions, string(p))
		}
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *Server) apiUnits(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	pg := newPager(r, 100)
	q := org.UnitQuery{Search: r.URL.Query().Get("q"), RootID: queryInt(r, "root"), Limit: pg.Limit, Offset: pg.Offset,
		IncludeAll: r.URL.Query().Get("closed") == "true"}
	if l := r.URL.Query().Get("level"); l != "" {
		lv, ok := org.ParseLevel(l)
		if !ok {
			return valid.New("level", "level")
		}
		q.Level = lv
	}
	units, total, err := s.org.Units(r.Context(), a, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(units, total, pg))
	return nil
}

// unitBody accepts the level as its name or number.
type unitBody struct {
	Code      string          `json:"code"`
	Level     json.RawMessage `json:"level"`
	ParentID  int64           `json:"parent_id"`
	NameZH    string          `json:"name_zh"`
	NameEN    string          `json:"name_en"`
	Tags      []string        `json:"tags"`
	Effective string          `json:"effective"`
}

func (b unitBody) input() (org.UnitInput, error) {
	in := org.UnitInput{Code: b.Code, ParentID: b.ParentID, NameZH: b.NameZH, NameEN: b.NameEN, Tags: b.Tags, Effective: b.Effective}
	if len(b.Level) > 0 {
		lv, ok := org.ParseLevel(strings.Trim(string(b.Level), `"`))
		if !ok {
			return in, valid.New("level", "level")
		}
		in.Level = lv
	}
	return in, nil
}

func (s *Server) apiUnitCreate(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	var b unitBody
	if err := decode(r, &b); err != nil {
		return err
	}
	in, err := b.input()
	if err != nil {
		return err
	}
	u, err := s.org.CreateUnit(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) apiUnitUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	cur, err := s.org.Unit(r.Context(), a, id)
	if err != nil {
		return err
	}
	// PATCH: absent fields keep their current values.
	b := unitBody{Code: cur.Code, NameZH: cur.NameZH, NameEN: cur.NameEN, Tags: cur.Tags}
	if err := decode(r, &b); err != nil {
		return err
	}
	in, err := b.input()
	if err != nil {
		return err
	}
	u, err := s.org.UpdateUnit(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

type moveBody struct {
	ParentID  int64  `json:"parent_id"`
	Effective string `json:"effective"`
}

func (s *Server) apiUnitMove(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	var b moveBody
	if err := decode(r, &b); err != nil {
		return err
	}
	u, err := s.org.MoveUnit(r.Context(), a, id, b.ParentID, b.Effective)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

type closeBody struct {
	Effective string `json:"effective"`
}

func (s *Server) apiUnitClose(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	var b closeBody
	if err := decode(r, &b); err != nil {
		return err
	}
	u, err := s.org.CloseUnit(r.Context(), a, id, b.Effective)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// apiUnitAsOf returns the unit's children as they stood on the date.
func (s *Server) apiUnitAsOf(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	if _, err := s.org.Unit(r.Context(), a, id); err != nil {
		return err
	}
	vs, err := s.org.AsOf(r.Context(), a, id, r.PathValue("date"))
	if err != nil {
		return err
	}
	writeAll(w, vs)
	return nil
}

func (s *Server) apiPartners(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	pg := newPager(r, 100)
	q := r.URL.Query()
	ps, total, err := s.org.Partners(r.Context(), a, org.PartnerQuery{UnitID: queryInt(r, "unit"), RootID: queryInt(r, "root"), Type: q.Get("type"),
		Search: q.Get("q"), Limit: pg.Limit, Offset: pg.Offset, Inactive: q.Get("inactive") == "true"})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(ps, total, pg))
	return nil
}

func (s *Server) apiPartnerUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	cur, err := s.org.Partner(r.Context(), a, id)
	if err != nil {
		return err
	}
	active := cur.Active
	in := org.PartnerInput{Code: cur.Code, UnitID: cur.UnitID, Type: cur.Type, Sector: cur.Sector, NameZH: cur.NameZH, NameEN: cur.NameEN,
		Contact: cur.Contact, Notes: cur.Notes, Active: &active}
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.org.UpdatePartner(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	pg := newPager(r, 50)
	q := r.URL.Query()
	entries, total, err := audit.List(r.Context(), s.db, a, audit.Filter{Actor: q.Get("actor"), Entity: q.Get("entity"), EntityID: queryInt(r, "entity_id"),
		Action: q.Get("action"), Limit: pg.Limit, Offset: pg.Offset})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(entries, total, pg))
	return nil
}
