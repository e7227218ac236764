// Package results owns the results framework: logical frameworks and their versions,
// indicators with disaggregations, targets, indicator values with their provenance, and the
// roll-up of values through the network into the targets-versus-progress table. Figures are
// always computed from stored values, never typed in as totals. It must not import the web layer.
package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/valid"
)

// ElementKinds are the levels of a logical framework, top-down.
var ElementKinds = []string{"development_objective", "immediate_objective", "output", "activity"}

// Framework statuses.
const (
	Draft      = "draft"
	Approved   = "approved"
	Superseded = "superseded"
)

// Framework is one version of a logical framework.
type Framework struct {
	ID         int64     `json:"id"`
	Code       string    `json:"code"`
	Version    int       `json:"version"`
	UnitID     int64     `json:"unit_id"`
	ParentCode string    `json:"parent_code,omitempty"` // the national framework a provincial one links to
	NameZH     string    `json:"name_zh"`
	NameEN     string    `json:"name_en"`
	Status     string    `json:"status"`
	ApprovedAt time.Time `json:"approved_at,omitzero"`
	UnitPath   string    `json:"-"`
}

// Name returns the framework's name in lang.
func (f Framework) Name(lang string) string { return pickLang(lang, f.NameZH, f.NameEN) }

func pickLang(lang, zh, en string) string {
	if lang == "zh" && zh != "" || en == "" {
		return zh
	}
	return en
}

// Element is one node of a framework: objective, output or activity.
type Element struct {
	ID          int64  `json:"id"`
	FrameworkID int64  `json:"framework_id"`
	ParentCode  string `json:"parent_code,omitempty"`
	Kind        string `json:"kind"`
	Code        string `json:"code"`
	NameZH      string `json:"name_zh"`
	NameEN      string `json:"name_en"`
	LinksTo     string `json:"links_to,omitempty"` // code of the national element a provincial one serves
	Position    int    `json:"position"`
}

// Name returns the element's name in lang.
func (e Element) Name(lang string) string { return pickLang(lang, e.NameZH, e.NameEN) }

// Service is the results framework's storage and rules.
type Service struct {
	db    *store.DB
	org   *org.Service
	today func() string
}

// New returns a Service on db.
func New(db *store.DB) *Service {
	return &Service{db: db, org: org.New(db), today: func() string { return store.Now().Format(time.DateOnly) }}
}

// SetToday fixes the date the service treats as today (a value may not be for a period that
// has not begun by then): the demonstration is seen as of its evaluation. The network's
// rules, which the service applies through org, take the same day.
func (s *Service) SetToday(f func() string) {
	s.today = f
	s.org.SetToday(f)
}

// FrameworkInput creates a framework.
type FrameworkInput struct {
	Code       string `json:"code"`
	UnitID     int64  `json:"unit_id"`
	ParentCode string `json:"parent_code"`
	NameZH     string `json:"name_zh"`
	NameEN     string `json:"name_en"`
}

const frameworkCols = `f.id, f.code, f.version, f.unit_id, f.parent_code, f.name_zh, f.name_en, f.status, f.approved_at, u.path`

func scanFramework(sc interface{ Scan(...any) error }) (Framework, error) {
	var f Framework
	var at sql.NullTime
	err := sc.Scan(&f.ID, &f.Code, &f.Version, &f.UnitID, &f.ParentCode, &f.NameZH, &f.NameEN, &f.Status, &at, &f.UnitPath)
	f.ApprovedAt = at.Time
	return f, err
}

func (s *Service) frameworkIn(ctx context.Context, q store.Queryer, a access.Actor, cond string, args ...any) (Framework, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return Framework{}, err
	}
	f, err := scanFramework(q.QueryRowContext(ctx, "SELECT "+frameworkCols+" FROM frameworks f JOIN org_units u ON u.id = f.unit_id WHERE "+cond, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Framework{}, fmt.Errorf("framework: %w", store.ErrNotFound)
	}
	if err != nil {
		return Framework{}, err
	}
	// A framework is visible to everyone whose scope it covers and to everyone below it:
	// provincial officers work under the national framework.
	if !a.Sees(f.UnitPath) && !strings.HasPrefix(a.UnitPath, f.UnitPath) {
		return Framework{}, fmt.Errorf("framework %d: %w", f.ID, store.ErrNotFound)
	}
	return f, nil
}

// Framework returns one framework version.
func (s *Service) Framework(ctx context.Context, a access.Actor, id int64) (Framework, error) {
	return s.frameworkIn(ctx, s.db.R, a, "f.id = $1", id)
}

// Current returns the framework with code in force: the latest approved version, or the
// draft when none is approved yet.
func (s *Service) Current(ctx context.Context, a access.Actor, code string) (Framework, error) {
	f, err := s.frameworkIn(ctx, s.db.R, a, "f.code = $1 AND f.status = 'approved' ORDER BY f.version DESC LIMIT 1", code)
	if errors.Is(err, store.ErrNotFound) {
		return s.frameworkIn(ctx, s.db.R, a, "f.code = $1 ORDER BY f.version DESC LIMIT 1", code)
	}
	return f, err
}

// Frameworks lists the latest version of every framework the actor can see.
func (s *Service) Frameworks(ctx context.Context, a access.Actor) ([]Framework, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+frameworkCols+` FROM frameworks f JOIN org_units u ON u.id = f.unit_id
		WHERE f.version = (SELECT MAX(g.version) FROM frameworks g WHERE g.code = f.code) ORDER BY u.path, f.code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Framework
	for rows.Next() {
		f, err := scanFramework(rows)
		if err != nil {
			return nil, err
		}
		if a.Sees(f.UnitPath) || strings.HasPrefix(a.UnitPath, f.UnitPath) {
			out = append(out, f)
		}
	}
	return out, rows.Err()
}

// CheckFrameworkInput validates a framework's fields.
func CheckFrameworkInput(in FrameworkInput) valid.Errors {
	var es valid.Errors
	if es.Required("code", in.Code) {
		es.MaxLen("code", in.Code, 32)
		if strings.ContainsAny(in.Code, " \t,;/|#{}") {
			es.Add("code", "code_chars")
		}
	}
	if in.UnitID == 0 {
		es.Add("unit_id", "required")
	}
	es.Required("name_zh", in.NameZH)
	es.Required("name_en", in.NameEN)
	return es
}

// CreateFramework starts version 1 of a framework, as a draft, at a unit in scope. A
// provincial framework names the national framework it links to in ParentCode.
func (s *Service) CreateFramework(ctx context.Context, a access.Actor, in FrameworkInput) (Framework, error) {
	if err := a.Require(access.EditResults); err != nil {
		return Framework{}, err
	}
	in.Code, in.NameZH, in.NameEN, in.ParentCode = strings.TrimSpace(in.Code), strings.TrimSpace(in.NameZH), strings.TrimSpace(in.NameEN), strings.TrimSpace(in.ParentCode)
	if es := CheckFrameworkInput(in); es.Err() != nil {
		return Framework{}, es
	}
	var f Framework
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.org.Unit(ctx, a, in.UnitID); errors.Is(err, store.ErrNotFound) {
			return valid.New("unit_id", "not_found")
		} else if err != nil {
			return err
		}
		var exists int
		tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM frameworks WHERE code = $1", in.Code).Scan(&exists)
		if exists > 0 {
			return valid.New("code", "unique", in.Code)
		}
		if in.ParentCode != "" {
			if _, err := s.frameworkIn(ctx, tx, a, "f.code = $1 LIMIT 1", in.ParentCode); err != nil {
				return valid.New("parent_code", "not_found")
			}
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO frameworks (code, version, unit_id, parent_code, name_zh, name_en, status, created_at)
			VALUES ($1, 1, $2, $3, $4, $5, 'draft', $6) RETURNING id`, in.Code, in.UnitID, in.ParentCode, in.NameZH, in.NameEN, store.Now()).Scan(&id); err != nil {
			return fmt.Errorf("create framework: %w", err)
		}
		var err error
		if f, err = s.frameworkIn(ctx, tx, a, "f.id = $1", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "create", "framework", id, in.UnitID, nil, f)
	})
	return f, err
}

// editable loads a framework version for a change to its elements: only drafts change.
func (s *Service) editable(ctx context.Context, tx *sql.Tx, a access.Actor, id int64) (Framework, error) {
	if err := a.Require(access.EditResults); err != nil {
		return Framework{}, err
	}
	f, err := s.frameworkIn(ctx, tx, a, "f.id = $1", id)
	if err != nil {
		return Framework{}, err
	}
	if !a.Sees(f.UnitPath) {
		return Framework{}, access.ErrForbidden
	}
	if f.Status != Draft {
		return Framework{}, valid.New("framework", "framework_not_draft", fmt.Sprint(f.Version))
	}
	return f, nil
}

// ElementInput adds an element to a draft framework.
type ElementInput struct {
	ParentCode string `json:"parent_code"`
	Kind       string `json:"kind"`
	Code       string `json:"code"`
	NameZH     string `json:"name_zh"`
	NameEN     string `json:"name_en"`
	LinksTo    string `json:"links_to"`
	Position   int    `json:"position"`
}

// CheckElementPlacement: the development objective is the root; every other kind sits under
// the kind just above it.
func CheckElementPlacement(kind string, parent *Element) valid.Errors {
	var es valid.Errors
	k := slices.Index(ElementKinds, kind)
	switch {
	case k < 0:
		es.Add("kind", "one_of", strings.Join(ElementKinds, ", "))
	case k == 0 && parent != nil:
		es.Add("parent_code", "element_root")
	case k > 0 && parent == nil:
		es.Add("parent_code", "required")
	case k > 0 && slices.Index(ElementKinds, parent.Kind) != k-1:
		es.Add("parent_code", "element_under", ElementKinds[k-1])
	}
	return es
}

// AddElement adds an element to a draft framework.
func (s *Service) AddElement(ctx context.Context, a access.Actor, frameworkID int64, in ElementInput) (Element, error) {
	in.Code, in.NameZH, in.NameEN = strings.TrimSpace(in.Code), strings.TrimSpace(in.NameZH), strings.TrimSpace(in.NameEN)
	in.ParentCode, in.LinksTo, in.Kind = strings.TrimSpace(in.ParentCode), strings.TrimSpace(in.LinksTo), strings.TrimSpace(in.Kind)
	var es valid.Errors
	if es.Required("code", in.Code) && strings.ContainsAny(in.Code, " \t,;/|#{}") {
		es.Add("code", "code_chars")
	}
	es.Required("name_zh", in.NameZH)
	es.Required("name_en", in.NameEN)
	if es.Err() != nil {
		return Element{}, es
	}
	var e Element
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.editable(ctx, tx, a, frameworkID)
		if err != nil {
			return err
		}
		var parent *Element
		if in.ParentCode != "" {
			p, err := s.element(ctx, tx, frameworkID, in.ParentCode)
			if err != nil {
				return valid.New("parent_code", "not_found")
			}
			parent = &p
		}
		if es := CheckElementPlacement(in.Kind, parent); es.Err() != nil {
			return es
		}
		if in.LinksTo != "" {
			if f.ParentCode == "" {
				return valid.New("links_to", "links_need_parent")
			}
			nat, err := s.frameworkIn(ctx, tx, access.System, "f.code = $1 ORDER BY f.version DESC LIMIT 1", f.ParentCode)
			if err != nil {
				return err
			}
			if _, err := s.element(ctx, tx, nat.ID, in.LinksTo); err != nil {
				return valid.New("links_to", "not_found")
			}
		}
		e = Element{FrameworkID: frameworkID, ParentCode: in.ParentCode, Kind: in.Kind, Code: in.Code, NameZH: in.NameZH, NameEN: in.NameEN, LinksTo: in.LinksTo, Position: in.Position}
		err = tx.QueryRowContext(ctx, `INSERT INTO framework_elements (framework_id, parent_code, kind, code, name_zh, name_en, links_to, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, frameworkID, e.ParentCode, e.Kind, e.Code, e.NameZH, e.NameEN, e.LinksTo, e.Position).Scan(&e.ID)
		if store.IsUnique(err) {
			return valid.New("code", "unique", in.Code)
		}
		if err != nil {
			return fmt.Errorf("add element: %w", err)
		}
		return audit.Record(ctx, tx, a, "create", "framework_element", e.ID, f.UnitID, nil, e)
	})
	return e, err
}

func (s *Service) element(ctx context.Context, q store.Queryer, frameworkID int64, code string) (Element, error) {
	list, err := s.queryElements(ctx, q, "framework_id = $1 AND code = $2", frameworkID, code)
	if err != nil {
		return Element{}, err
	}
	if len(list) == 0 {
		return Element{}, store.ErrNotFound
	}
	return list[0], nil
}

func (s *Service) queryElements(ctx context.Context, q store.Queryer, cond string, args ...any) ([]Element, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, framework_id, parent_code, kind, code, name_zh, name_en, links_to, position
		FROM framework_elements WHERE `+cond+` ORDER BY position, code`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Element
	for rows.Next() {
		var e Element
		if err := rows.Scan(&e.ID, &e.FrameworkID, &e.ParentCode, &e.Kind, &e.Code, &e.NameZH, &e.NameEN, &e.LinksTo, &e.Position); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Elements lists a framework version's elements in tree order (parents before children).
func (s *Service) Elements(ctx context.Context, a access.Actor, frameworkID int64) ([]Element, error) {
	if _, err := s.Framework(ctx, a, frameworkID); err != nil {
		return nil, err
	}
	all, err := s.queryElements(ctx, s.db.R, "framework_id = $1", frameworkID)
	if err != nil {
		return nil, err
	}
	return treeOrder(all), nil
}

// treeOrder sorts elements depth-first from the root(s), keeping sibling order.
func treeOrder(all []Element) []Element {
	kids := map[string][]Element{}
	for _, e := range all {
		kids[e.ParentCode] = append(kids[e.ParentCode], e)
	}
	var out []Element
	var walk func(code string)
	walk = func(code string) {
		for _, e := range kids[code] {
			out = append(out, e)
			walk(e.Code)
		}
	}
	walk("")
	return out
}

// Approve puts a draft version in force; the version it replaces becomes superseded.
func (s *Service) Approve(ctx context.Context, a access.Actor, frameworkID int64) (Framework, error) {
	var f Framework
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.editable(ctx, tx, a, frameworkID)
		if err != nil {
			return err
		}
		var n int
		tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM framework_elements WHERE framework_id = $1", frameworkID).Scan(&n)
		if n == 0 {
			return valid.New("framework", "framework_empty")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE frameworks SET status = 'superseded' WHERE code = $1 AND status = 'approved'", before.Code); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE frameworks SET status = 'approved', approved_at = $1 WHERE id = $2", store.Now(), frameworkID); err != nil {
			return err
		}
		if f, err = s.frameworkIn(ctx, tx, a, "f.id = $1", frameworkID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "approve", "framework", frameworkID, f.UnitID, before, f)
	})
	return f, err
}

// NewVersion opens the next draft of an approved framework with a copy of its elements.
// Values entered so far keep pointing at the version they were entered under.
func (s *Service) NewVersion(ctx context.Context, a access.Actor, frameworkID int64) (Framework, error) {
	if err := a.Require(access.EditResults); err != nil {
		return Framework{}, err
	}
	var f Framework
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.frameworkIn(ctx, tx, a, "f.id = $1", frameworkID)
		if err != nil {
			return err
		}
		if !a.Sees(cur.UnitPath) {
			return access.ErrForbidden
		}
		var latest int
		tx.QueryRowContext(ctx, "SELECT MAX(version) FROM frameworks WHERE code = $1", cur.Code).Scan(&latest)
		if latest != cur.Version || cur.Status == Draft {
			return valid.New("framework", "framework_has_draft", fmt.Sprint(latest))
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO frameworks (code, version, unit_id, parent_code, name_zh, name_en, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7) RETURNING id`, cur.Code, cur.Version+1, cur.UnitID, cur.ParentCode, cur.NameZH, cur.NameEN, store.Now()).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO framework_elements (framework_id, parent_code, kind, code, name_zh, name_en, links_to, position)
			SELECT $1, parent_code, kind, code, name_zh, name_en, links_to, position FROM framework_elements WHERE framework_id = $2`, id, cur.ID); err != nil {
			return err
		}
		if f, err = s.frameworkIn(ctx, tx, a, "f.id = $1", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "new_version", "framework", id, f.UnitID, cur, f)
	})
	return f, err
}
