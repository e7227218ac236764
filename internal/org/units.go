// Package org owns the programme network: organisation units in five levels with effective-dated
// history, partners, steering committees with their meetings, and project offices with their
// staff. Every read and write takes an access.Actor and is confined to the actor's subtree here,
// not in the handlers. It must not import the web layer.
package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// Level is an administrative layer of the five-layer network.
type Level int

const (
	National Level = iota + 1
	Provincial
	Municipal
	County
	Community
)

// Levels lists the five levels top-down.
var Levels = []Level{National, Provincial, Municipal, County, Community}

var levelKeys = map[Level]string{National: "national", Provincial: "provincial", Municipal: "municipal", County: "county", Community: "community"}

// Key is the level's stable name ("provincial"), used in files, the API and message keys.
func (l Level) Key() string { return levelKeys[l] }

// ParseLevel accepts a level's key or its number.
func ParseLevel(s string) (Level, bool) {
	s = strings.TrimSpace(strings.ToLower(s))
	for l, k := range levelKeys {
		if k == s || strconv.Itoa(int(l)) == s {
			return l, true
		}
	}
	return 0, false
}

// Tags a unit may carry. Provinces are sending or receiving, pilot or light-touch.
var KnownTags = []string{"sending", "receiving", "pilot", "light"}

// Unit is an organisation unit as it stands today.
type Unit struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	Level     Level     `json:"level"`
	ParentID  int64     `json:"parent_id,omitempty"`
	Path      string    `json:"-"`
	NameZH    string    `json:"name_zh"`
	NameEN    string    `json:"name_en"`
	Tags      []string  `json:"tags"`
	OpenedOn  string    `json:"opened_on"`
	ClosedOn  string    `json:"closed_on,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Name returns the unit's name in lang ("zh" or "en").
func (u Unit) Name(lang string) string { return pick(lang, u.NameZH, u.NameEN) }

// Closed reports whether the unit has been closed.
func (u Unit) Closed() bool { return u.ClosedOn != "" }

// HasTag reports whether the unit carries tag t.
func (u Unit) HasTag(t string) bool { return slices.Contains(u.Tags, t) }

func pick(lang, zh, en string) string {
	if lang == "zh" && zh != "" || en == "" {
		return zh
	}
	return en
}

// UnitInput is what a form, the API or an import supplies to create or change a unit.
type UnitInput struct {
	Code     string   `json:"code"`
	Level    Level    `json:"level"`
	ParentID int64    `json:"parent_id"`
	NameZH   string   `json:"name_zh"`
	NameEN   string   `json:"name_en"`
	Tags     []string `json:"tags"`
	// Effective is the date the change takes effect (YYYY-MM-DD); empty means today.
	Effective string `json:"effective"`
}

// Version is one state of a unit over [ValidFrom, ValidTo).
type Version struct {
	UnitID    int64     `json:"unit_id"`
	ValidFrom string    `json:"valid_from"`
	ValidTo   string    `json:"valid_to,omitempty"`
	Code      string    `json:"code"`
	Level     Level     `json:"level"`
	ParentID  int64     `json:"parent_id,omitempty"`
	NameZH    string    `json:"name_zh"`
	NameEN    string    `json:"name_en"`
	Tags      []string  `json:"tags"`
	Closed    bool      `json:"closed"`
	Change    string    `json:"change"`
	Actor     string    `json:"-"`
	ChangedAt time.Time `json:"changed_at"`
}

// Name returns the version's name in lang.
func (v Version) Name(lang string) string { return pick(lang, v.NameZH, v.NameEN) }

// Service is the network's storage and rules.
type Service struct {
	db    *store.DB
	today func() string
}

// New returns a Service on db.
func New(db *store.DB) *Service {
	return &Service{db: db, today: func() string { return time.Now().UTC().Format(time.DateOnly) }}
}

// SetToday fixes the date the network's rules treat as today (an effective date may not lie
// after it; a meeting may not be held after it): the demonstration is seen as of its
// evaluation.
func (s *Service) SetToday(f func() string) { s.today = f }

// DB exposes the handle for sibling packages' tests.
func (s *Service) DB() *store.DB { return s.db }

const unitCols = `id, code, level, COALESCE(parent_id, 0), path, name_zh, name_en, tags, opened_on, COALESCE(closed_on, ''), updated_at`

func scanUnit(sc interface{ Scan(...any) error }) (Unit, error) {
	var u Unit
	var tags string
	err := sc.Scan(&u.ID, &u.Code, &u.Level, &u.ParentID, &u.Path, &u.NameZH, &u.NameEN, &tags, &u.OpenedOn, &u.ClosedOn, &u.UpdatedAt)
	u.Tags = splitTags(tags)
	return u, err
}

func splitTags(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func queryUnits(ctx context.Context, q store.Queryer, query string, args ...any) ([]Unit, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Unit
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Unit returns one unit in the actor's scope.
func (s *Service) Unit(ctx context.Context, a access.Actor, id int64) (Unit, error) {
	return s.unitIn(ctx, s.db.R, a, id)
}

func (s *Service) unitIn(ctx context.Context, q store.Queryer, a access.Actor, id int64) (Unit, error) {
	if err := a.Require(access.ViewNetwork); err != nil {
		return Unit{}, err
	}
	u, err := scanUnit(q.QueryRowContext(ctx, "SELECT "+unitCols+" FROM org_units WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) || err == nil && !a.Sees(u.Path) {
		return Unit{}, fmt.Errorf("unit %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return Unit{}, fmt.Errorf("unit %d: %w", id, err)
	}
	return u, nil
}

// UnitByCode returns the unit with the given code, if in scope.
func (s *Service) UnitByCode(ctx context.Context, a access.Actor, code string) (Unit, error) {
	var id int64
	code = strings.TrimSpace(code)
	err := s.db.R.QueryRowContext(ctx, "SELECT id FROM org_units WHERE code = $1", code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) && strings.ToUpper(code) != code {
		// Codes are written in capitals; one typed in small letters still finds its unit.
		err = s.db.R.QueryRowContext(ctx, "SELECT id FROM org_units WHERE code = $1", strings.ToUpper(code)).Scan(&id)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return Unit{}, fmt.Errorf("unit %q: %w", code, store.ErrNotFound)
	}
	if err != nil {
		return Unit{}, err
	}
	return s.Unit(ctx, a, id)
}

// Children returns the unit's current children (open and closed), in scope.
func (s *Service) Children(ctx context.Context, a access.Actor, id int64) ([]Unit, error) {
	if _, err := s.Unit(ctx, a, id); err != nil {
		return nil, err
	}
	return queryUnits(ctx, s.db.R, "SELECT "+unitCols+" FROM org_units WHERE parent_id = $1 ORDER BY code", id)
}

// Ancestors returns the unit's ancestors from the top down to its parent, limited to those
// the actor sees.
func (s *Service) Ancestors(ctx context.Context, a access.Actor, u Unit) ([]Unit, error) {
	var out []Unit
	for _, part := range strings.Split(strings.Trim(u.Path, "/"), "/") {
		id, _ := strconv.ParseInt(part, 10, 64)
		if id == 0 || id == u.ID {
			continue
		}
		p, err := s.Unit(ctx, a, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// UnitQuery filters a listing of units.
type UnitQuery struct {
	Level      Level
	Search     string // matches code or either name, case-insensitively
	RootID     int64  // restrict to this subtree (within scope)
	IncludeAll bool   // include closed units
	Limit      int
	Offset     int
}

// Units lists units in the actor's scope matching q, ordered by path, with the total count.
func (s *Service) Units(ctx context.Context, a access.Actor, q UnitQuery) ([]Unit, int, error) {
	if err := a.Require(access.ViewNetwork); err != nil {
		return nil, 0, err
	}
	pattern := a.PathPattern()
	if q.RootID != 0 {
		root, err := s.Unit(ctx, a, q.RootID)
		if err != nil {
			return nil, 0, err
		}
		pattern = root.Path + "%"
	}
	where := "path LIKE $1"
	args := []any{pattern}
	if q.Level != 0 {
		args = append(args, int(q.Level))
		where += fmt.Sprintf(" AND level = $%d", len(args))
	}
	if !q.IncludeAll {
		where += " AND closed_on IS NULL"
	}
	if t := strings.TrimSpace(q.Search); t != "" {
		args = append(args, "%"+strings.ToLower(t)+"%")
		n := len(args)
		where += fmt.Sprintf(" AND (LOWER(code) LIKE $%d OR LOWER(name_en) LIKE $%d OR name_zh LIKE $%d)", n, n, n)
	}
	var total int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM org_units WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count units: %w", err)
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	list, err := queryUnits(ctx, s.db.R, fmt.Sprintf("SELECT %s FROM org_units WHERE %s ORDER BY level, code LIMIT %d OFFSET %d",
		unitCols, where, q.Limit, q.Offset), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list units: %w", err)
	}
	return list, total, nil
}

// CheckUnitInput validates the fields of a unit on their own; rules that need the parent are
// in CheckPlacement.
func CheckUnitInput(in UnitInput) valid.Errors {
	var es valid.Errors
	if es.Required("code", in.Code) {
		es.MaxLen("code", in.Code, 32)
		if strings.ContainsAny(in.Code, " \t,;/") {
			es.Add("code", "code_chars")
		}
	}
	if in.Level < National || in.Level > Community {
		es.Add("level", "level")
	}
	if es.Required("name_zh", in.NameZH) {
		es.MaxLen("name_zh", in.NameZH, 100)
	}
	if es.Required("name_en", in.NameEN) {
		es.MaxLen("name_en", in.NameEN, 200)
	}
	for _, t := range in.Tags {
		if !slices.Contains(KnownTags, t) {
			es.Add("tags", "one_of", strings.Join(KnownTags, ", "))
			break
		}
	}
	if slices.Contains(in.Tags, "sending") && slices.Contains(in.Tags, "receiving") {
		es.Add("tags", "tags_exclusive", "sending, receiving")
	}
	if slices.Contains(in.Tags, "pilot") && slices.Contains(in.Tags, "light") {
		es.Add("tags", "tags_exclusive", "pilot, light")
	}
	es.Date("effective", in.Effective)
	return es
}

// CheckPlacement applies the hierarchy rules: only the national level has no parent; a child
// sits below its parent's level; an open unit cannot sit under a closed one.
func CheckPlacement(level Level, parent *Unit) valid.Errors {
	var es valid.Errors
	switch {
	case parent == nil && level != National:
		es.Add("parent_id", "required")
	case parent != nil && level == National:
		es.Add("level", "national_no_parent")
	case parent != nil && level <= parent.Level:
		es.Add("level", "below_parent", parent.Level.Key())
	case parent != nil && parent.Closed():
		es.Add("parent_id", "parent_closed")
	}
	return es
}

// CheckEffective decides how a change dated effective relates to the unit's latest version,
// which started on lastFrom: the same day amends that version, a later day starts a new one,
// an earlier day or a future day is refused.
func CheckEffective(effective, lastFrom, today string) (amend bool, es valid.Errors) {
	switch {
	case effective > today:
		es.Add("effective", "not_future", today)
	case effective < lastFrom:
		es.Add("effective", "after_last_change", lastFrom)
	}
	return effective == lastFrom, es
}

func normTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func (in *UnitInput) normalise(today string) {
	in.Code = strings.TrimSpace(in.Code)
	in.NameZH = strings.TrimSpace(in.NameZH)
	in.NameEN = strings.TrimSpace(in.NameEN)
	in.Tags = normTags(in.Tags)
	in.Effective = strings.TrimSpace(in.Effective)
	if in.Effective == "" {
		in.Effective = today
	}
}

// CreateUnit adds a unit under in.ParentID. Only a national administrator may create a root.
func (s *Service) CreateUnit(ctx context.Context, a access.Actor, in UnitInput) (Unit, error) {
	var u Unit
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = s.CreateUnitTx(ctx, tx, a, in)
		return err
	})
	return u, err
}

// CreateUnitTx is CreateUnit inside the caller's transaction (used by imports).
func (s *Service) CreateUnitTx(ctx context.Context, tx *sql.Tx, a access.Actor, in UnitInput) (Unit, error) {
	if err := a.Require(access.EditUnits); err != nil {
		return Unit{}, err
	}
	in.normalise(s.today())
	es := CheckUnitInput(in)
	if es.Err() != nil {
		return Unit{}, es
	}
	var parent *Unit
	if in.ParentID != 0 {
		p, err := s.unitIn(ctx, tx, a, in.ParentID)
		if errors.Is(err, store.ErrNotFound) {
			return Unit{}, valid.New("parent_id", "not_found")
		}
		if err != nil {
			return Unit{}, err
		}
		parent = &p
	} else if a.UnitPath != "/" {
		return Unit{}, access.ErrForbidden
	}
	if es := CheckPlacement(in.Level, parent); es.Err() != nil {
		return Unit{}, es
	}
	if parent != nil && in.Effective < parent.OpenedOn {
		return Unit{}, valid.New("effective", "after_parent_opened", parent.OpenedOn)
	}
	if in.Effective > s.today() {
		return Unit{}, valid.New("effective", "not_future", s.today())
	}
	now := store.Now()
	var parentArg any
	if parent != nil {
		parentArg = parent.ID
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO org_units (code, level, parent_id, path, name_zh, name_en, tags, opened_on, created_at, updated_at)
		VALUES ($1, $2, $3, '', $4, $5, $6, $7, $8, $8) RETURNING id`,
		in.Code, int(in.Level), parentArg, in.NameZH, in.NameEN, strings.Join(in.Tags, ","), in.Effective, now).Scan(&id)
	if store.IsUnique(err) {
		return Unit{}, valid.New("code", "unique", in.Code)
	}
	if err != nil {
		return Unit{}, fmt.Errorf("create unit: %w", err)
	}
	path := "/" + strconv.FormatInt(id, 10) + "/"
	if parent != nil {
		path = parent.Path + strconv.FormatInt(id, 10) + "/"
	}
	if _, err := tx.ExecContext(ctx, "UPDATE org_units SET path = $1 WHERE id = $2", path, id); err != nil {
		return Unit{}, err
	}
	u := Unit{ID: id, Code: in.Code, Level: in.Level, ParentID: in.ParentID, Path: path, NameZH: in.NameZH, NameEN: in.NameEN,
		Tags: in.Tags, OpenedOn: in.Effective, UpdatedAt: now}
	if err := insertVersion(ctx, tx, a, u, in.Effective, "create"); err != nil {
		return Unit{}, err
	}
	return u, audit.Record(ctx, tx, a, "create", "unit", id, id, nil, u)
}

func insertVersion(ctx context.Context, tx *sql.Tx, a access.Actor, u Unit, from, change string) error {
	var parent any
	if u.ParentID != 0 {
		parent = u.ParentID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO org_unit_versions (unit_id, valid_from, code, level, parent_id, name_zh, name_en, tags, closed, change, actor, changed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		u.ID, from, u.Code, int(u.Level), parent, u.NameZH, u.NameEN, strings.Join(u.Tags, ","), u.Closed(), change, a.PublicID, store.Now())
	if err != nil {
		return fmt.Errorf("record version of unit %d: %w", u.ID, err)
	}
	return nil
}

// lastVersionFrom returns the start date of the unit's open version.
func lastVersionFrom(ctx context.Context, tx *sql.Tx, id int64) (string, error) {
	var from string
	err := tx.QueryRowContext(ctx, "SELECT valid_from FROM org_unit_versions WHERE unit_id = $1 AND valid_to IS NULL", id).Scan(&from)
	if err != nil {
		return "", fmt.Errorf("current version of unit %d: %w", id, err)
	}
	return from, nil
}

// change applies an effective-dated change to unit id in its own transaction.
func (s *Service) change(ctx context.Context, a access.Actor, id int64, effective, kind string, mutate func(tx *sql.Tx, u *Unit) error) (Unit, error) {
	var after Unit
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		after, err = s.changeTx(ctx, tx, a, id, effective, kind, mutate)
		return err
	})
	return after, err
}

// changeTx applies an effective-dated change to unit id in the caller's transaction (imports
// commit many together): mutate edits a copy of the unit, and the open version is amended (same
// day) or closed and followed by a new one.
func (s *Service) changeTx(ctx context.Context, tx *sql.Tx, a access.Actor, id int64, effective, kind string, mutate func(tx *sql.Tx, u *Unit) error) (Unit, error) {
	if err := a.Require(access.EditUnits); err != nil {
		return Unit{}, err
	}
	before, err := s.unitIn(ctx, tx, a, id)
	if err != nil {
		return Unit{}, err
	}
	if before.Path == a.UnitPath && a.UnitPath != "/" {
		return Unit{}, access.ErrForbidden
	}
	if before.Closed() {
		return Unit{}, valid.New("effective", "unit_closed", before.ClosedOn)
	}
	effective = strings.TrimSpace(effective)
	if effective == "" {
		effective = s.today()
	}
	var es valid.Errors
	if !es.Date("effective", effective) {
		return Unit{}, es
	}
	lastFrom, err := lastVersionFrom(ctx, tx, id)
	if err != nil {
		return Unit{}, err
	}
	amend, es := CheckEffective(effective, lastFrom, s.today())
	if es.Err() != nil {
		return Unit{}, es
	}
	after := before
	if err := mutate(tx, &after); err != nil {
		return Unit{}, err
	}
	after.UpdatedAt = store.Now()
	var closed, parent any
	if after.ClosedOn != "" {
		closed = after.ClosedOn
	}
	if after.ParentID != 0 {
		parent = after.ParentID
	}
	_, err = tx.ExecContext(ctx, `UPDATE org_units SET code = $1, level = $2, parent_id = $3, path = $4, name_zh = $5, name_en = $6,
		tags = $7, closed_on = $8, updated_at = $9 WHERE id = $10`,
		after.Code, int(after.Level), parent, after.Path, after.NameZH, after.NameEN, strings.Join(after.Tags, ","), closed, after.UpdatedAt, id)
	if store.IsUnique(err) {
		return Unit{}, valid.New("code", "unique", after.Code)
	}
	if err != nil {
		return Unit{}, fmt.Errorf("%s unit %d: %w", kind, id, err)
	}
	if amend {
		_, err = tx.ExecContext(ctx, "DELETE FROM org_unit_versions WHERE unit_id = $1 AND valid_to IS NULL", id)
	} else {
		_, err = tx.ExecContext(ctx, "UPDATE org_unit_versions SET valid_to = $1 WHERE unit_id = $2 AND valid_to IS NULL", effective, id)
	}
	if err != nil {
		return Unit{}, err
	}
	if err := insertVersion(ctx, tx, a, after, effective, kind); err != nil {
		return Unit{}, err
	}
	return after, audit.Record(ctx, tx, a, kind, "unit", id, id, before, after)
}

// UpdateUnit renames a unit or changes its code or tags from the effective date on.
func (s *Service) UpdateUnit(ctx context.Context, a access.Actor, id int64, in UnitInput) (Unit, error) {
	in.normalise(s.today())
	return s.change(ctx, a, id, in.Effective, "rename", func(tx *sql.Tx, u *Unit) error {
		in.Level, in.ParentID = u.Level, u.ParentID
		if es := CheckUnitInput(in); es.Err() != nil {
			return es
		}
		u.Code, u.NameZH, u.NameEN, u.Tags = in.Code, in.NameZH, in.NameEN, in.Tags
		return nil
	})
}

// MoveUnit puts a unit (and its subtree) under a new parent from the effective date on.
func (s *Service) MoveUnit(ctx context.Context, a access.Actor, id, newParent int64, effective string) (Unit, error) {
	return s.change(ctx, a, id, effective, "move", func(tx *sql.Tx, u *Unit) error {
		return s.moveTo(ctx, tx, a, u, newParent)
	})
}

// moveTo puts u and its subtree under newParent; the descendants' paths are re-rooted, their
// versions are unchanged (their parent is the same).
func (s *Service) moveTo(ctx context.Context, tx *sql.Tx, a access.Actor, u *Unit, newParent int64) error {
	p, err := s.unitIn(ctx, tx, a, newParent)
	if errors.Is(err, store.ErrNotFound) {
		return valid.New("parent_id", "not_found")
	}
	if err != nil {
		return err
	}
	if strings.HasPrefix(p.Path, u.Path) {
		return valid.New("parent_id", "not_own_subtree")
	}
	if p.ID == u.ParentID {
		return valid.New("parent_id", "same_parent")
	}
	if es := CheckPlacement(u.Level, &p); es.Err() != nil {
		return es
	}
	oldPath := u.Path
	u.ParentID = p.ID
	u.Path = p.Path + strconv.FormatInt(u.ID, 10) + "/"
	if _, err = tx.ExecContext(ctx, `UPDATE org_units SET path = $1 || substr(path, $2) WHERE path LIKE $3 AND id <> $4`,
		u.Path, len(oldPath)+1, oldPath+"%", u.ID); err != nil {
		return err
	}
	for _, h := range moveHooks {
		if err := h(ctx, tx, s.db.Dialect, *u, oldPath); err != nil {
			return err
		}
	}
	return nil
}

// MoveHook keeps data derived from the hierarchy exact when a unit moves; it runs in the
// move's transaction, after the subtree's paths changed (u.Path is the new one).
type MoveHook func(ctx context.Context, tx *sql.Tx, d store.Dialect, u Unit, oldPath string) error

var moveHooks []MoveHook

// OnMove registers a hook. Packages register from init, before any move can run.
func OnMove(h MoveHook) { moveHooks = append(moveHooks, h) }

// CloseUnit closes a unit from the effective date. Its open children must be closed first.
func (s *Service) CloseUnit(ctx context.Context, a access.Actor, id int64, effective string) (Unit, error) {
	return s.change(ctx, a, id, effective, "close", func(tx *sql.Tx, u *Unit) error {
		var open int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM org_units WHERE parent_id = $1 AND closed_on IS NULL", id).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return valid.New("effective", "open_children", strconv.Itoa(open))
		}
		u.ClosedOn = effective
		if u.ClosedOn == "" {
			u.ClosedOn = s.today()
		}
		return nil
	})
}

const versionCols = `unit_id, valid_from, COALESCE(valid_to, ''), code, level, COALESCE(parent_id, 0), name_zh, name_en, tags, closed, change, actor, changed_at`

func queryVersions(ctx context.Context, q store.Queryer, query string, args ...any) ([]Version, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		var tags string
		if err := rows.Scan(&v.UnitID, &v.ValidFrom, &v.ValidTo, &v.Code, &v.Level, &v.ParentID, &v.NameZH, &v.NameEN, &tags, &v.Closed, &v.Change, &v.Actor, &v.ChangedAt); err != nil {
			return nil, err
		}
		v.Tags = splitTags(tags)
		out = append(out, v)
	}
	return out, rows.Err()
}

// History returns every version of a unit, oldest first.
func (s *Service) History(ctx context.Context, a access.Actor, id int64) ([]Version, error) {
	if _, err := s.Unit(ctx, a, id); err != nil {
		return nil, err
	}
	return queryVersions(ctx, s.db.R, "SELECT "+versionCols+" FROM org_unit_versions WHERE unit_id = $1 ORDER BY valid_from, id", id)
}

// AsOf returns the children of parent as they stood on date (YYYY-MM-DD): the units whose
// version valid that day names parent, with that day's names and codes. parent 0 asks for the
// roots. Closed units are included with Closed set; units not yet opened are absent.
func (s *Service) AsOf(ctx context.Context, a access.Actor, parent int64, date string) ([]Version, error) {
	if err := a.Require(access.ViewNetwork); err != nil {
		return nil, err
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return nil, valid.New("as_of", "date")
	}
	cond := "v.parent_id IS NULL"
	args := []any{date, a.PathPattern()}
	if parent != 0 {
		cond = "v.parent_id = $3"
		args = append(args, parent)
	}
	return queryVersions(ctx, s.db.R, `SELECT v.unit_id, v.valid_from, COALESCE(v.valid_to, ''), v.code, v.level, COALESCE(v.parent_id, 0),
		v.name_zh, v.name_en, v.tags, v.closed, v.change, v.actor, v.changed_at
		FROM org_unit_versions v JOIN org_units u ON u.id = v.unit_id
		WHERE v.valid_from <= $1 AND (v.valid_to IS NULL OR v.valid_to > $1) AND u.path LIKE $2 AND `+cond+`
		ORDER BY v.code`, args...)
}

// Counts returns, for each level, how many open units the actor's scope holds.
func (s *Service) Counts(ctx context.Context, a access.Actor) (map[Level]int, error) {
	if err := a.Require(access.ViewNetwork); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT level, COUNT(*) FROM org_units WHERE path LIKE $1 AND closed_on IS NULL GROUP BY level", a.PathPattern())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[Level]int{}
	for rows.Next() {
		var l Level
		var n int
		if err := rows.Scan(&l, &n); err != nil {
			return nil, err
		}
		out[l] = n
	}
	return out, rows.Err()
}
