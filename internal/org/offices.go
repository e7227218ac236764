package org

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
	"ting/internal/store"
	"ting/internal/valid"
)

// OfficeKinds: the national office and provincial project offices.
var OfficeKinds = []string{"national", "provincial"}

// StaffTitles are the positions of project offices (seed 001 §2.3 and §5.2): chief technical
// adviser, national project coordinator, national project manager, national programme officer,
// technical consultant, administrative assistant, translator, provincial project coordinator
// and provincial project assistant.
var StaffTitles = []string{"cta", "npc", "npm", "npo", "technical_consultant", "admin", "translator", "ppc", "ppa"}

// Office is a project office at a unit.
type Office struct {
	ID       int64  `json:"id"`
	UnitID   int64  `json:"unit_id"`
	Kind     string `json:"kind"`
	NameZH   string `json:"name_zh"`
	NameEN   string `json:"name_en"`
	Staff    int    `json:"staff"` // positions currently held
	UnitPath string `json:"-"`
}

// Name returns the office's name in lang.
func (o Office) Name(lang string) string { return pick(lang, o.NameZH, o.NameEN) }

// Position is one person holding one title at an office over [StartOn, EndOn].
type Position struct {
	ID       int64  `json:"id"`
	OfficeID int64  `json:"office_id"`
	Title    string `json:"title"`
	Holder   string `json:"holder"`
	FundedBy string `json:"funded_by,omitempty"`
	StartOn  string `json:"start_on"`
	EndOn    string `json:"end_on,omitempty"`
	Note     string `json:"note,omitempty"`
}

// OfficeInput creates an office.
type OfficeInput struct {
	UnitID int64  `json:"unit_id"`
	Kind   string `json:"kind"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
}

// CheckOfficeInput validates an office's fields.
func CheckOfficeInput(in OfficeInput) valid.Errors {
	var es valid.Errors
	if in.UnitID == 0 {
		es.Add("unit_id", "required")
	}
	if es.Required("kind", in.Kind) {
		es.OneOf("kind", in.Kind, OfficeKinds)
	}
	if es.Required("name_zh", in.NameZH) {
		es.MaxLen("name_zh", in.NameZH, 100)
	}
	if es.Required("name_en", in.NameEN) {
		es.MaxLen("name_en", in.NameEN, 200)
	}
	return es
}

// PositionInput adds or edits a staff position.
type PositionInput struct {
	Title    string `json:"title"`
	Holder   string `json:"holder"`
	FundedBy string `json:"funded_by"`
	StartOn  string `json:"start_on"`
	EndOn    string `json:"end_on"`
	Note     string `json:"note"`
}

// CheckPositionInput validates a position's fields.
func CheckPositionInput(in PositionInput) valid.Errors {
	var es valid.Errors
	if es.Required("title", in.Title) {
		es.OneOf("title", in.Title, StaffTitles)
	}
	if es.Required("holder", in.Holder) {
		es.MaxLen("holder", in.Holder, 100)
	}
	es.MaxLen("funded_by", in.FundedBy, 200)
	es.MaxLen("note", in.Note, 1000)
	if es.Required("start_on", in.StartOn) && es.Date("start_on", in.StartOn) && es.Date("end_on", in.EndOn) && in.EndOn != "" && in.EndOn < in.StartOn {
		es.Add("end_on", "not_before", in.StartOn)
	}
	return es
}

func (s *Service) officeIn(ctx context.Context, q store.Queryer, a access.Actor, id int64) (Office, error) {
	if err := a.Require(access.ViewNetwork); err != nil {
		return Office{}, err
	}
	var o Office
	err := q.QueryRowContext(ctx, `SELECT o.id, o.unit_id, o.kind, o.name_zh, o.name_en, u.path,
		(SELECT COUNT(*) FROM staff_positions p WHERE p.office_id = o.id AND p.end_on IS NULL)
		FROM project_offices o JOIN org_units u ON u.id = o.unit_id WHERE o.id = $1`, id).
		Scan(&o.ID, &o.UnitID, &o.Kind, &o.NameZH, &o.NameEN, &o.UnitPath, &o.Staff)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !a.Sees(o.UnitPath) {
		return Office{}, fmt.Errorf("office %d: %w", id, store.ErrNotFound)
	}
	return o, err
}

// Office returns one office in scope.
func (s *Service) Office(ctx context.Context, a access.Actor, id int64) (Office, error) {
	return s.officeIn(ctx, s.db.R, a, id)
}

// Offices lists the project offices at a unit in scope.
func (s *Service) Offices(ctx context.Context, a access.Actor, unitID int64) ([]Office, error) {
	if _, err := s.Unit(ctx, a, unitID); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT o.id, o.unit_id, o.kind, o.name_zh, o.name_en,
		(SELECT COUNT(*) FROM staff_positions p WHERE p.office_id = o.id AND p.end_on IS NULL)
		FROM project_offices o WHERE o.unit_id = $1 ORDER BY o.id`, unitID)
	if err != nil {
		return nil, fmt.Errorf("offices of unit %d: %w", unitID, err)
	}
	defer rows.Close()
	var out []Office
	for rows.Next() {
		var o Office
		if err := rows.Scan(&o.ID, &o.UnitID, &o.Kind, &o.NameZH, &o.NameEN, &o.Staff); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// CreateOffice opens a project office at a unit in scope.
func (s *Service) CreateOffice(ctx context.Context, a access.Actor, in OfficeInput) (Office, error) {
	if err := a.Require(access.EditOffices); err != nil {
		return Office{}, err
	}
	in.Kind, in.NameZH, in.NameEN = strings.TrimSpace(in.Kind), strings.TrimSpace(in.NameZH), strings.TrimSpace(in.NameEN)
	if es := CheckOfficeInput(in); es.Err() != nil {
		return Office{}, es
	}
	var o Office
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkPartnerUnit(ctx, tx, a, in.UnitID); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_offices (unit_id, kind, name_zh, name_en, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			in.UnitID, in.Kind, in.NameZH, in.NameEN, store.Now()).Scan(&id); err != nil {
			return fmt.Errorf("create office: %w", err)
		}
		var err error
		if o, err = s.officeIn(ctx, tx, a, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "create", "office", id, o.UnitID, nil, o)
	})
	return o, err
}

const positionCols = `id, office_id, title, holder, funded_by, start_on, COALESCE(end_on, ''), note`

func scanPositions(rows *sql.Rows) ([]Position, error) {
	defer rows.Close()
	var out []Position
	for rows.Next() {
		var p Position
		if err := rows.Scan(&p.ID, &p.OfficeID, &p.Title, &p.Holder, &p.FundedBy, &p.StartOn, &p.EndOn, &p.Note); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Staff lists every position ever held at an office, by title then start date.
func (s *Service) Staff(ctx context.Context, a access.Actor, officeID int64) ([]Position, error) {
	if _, err := s.Office(ctx, a, officeID); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+positionCols+" FROM staff_positions WHERE office_id = $1 ORDER BY start_on, id", officeID)
	if err != nil {
		return nil, err
	}
	ps, err := scanPositions(rows)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(ps, func(x, y Position) int {
		return slices.Index(StaffTitles, x.Title) - slices.Index(StaffTitles, y.Title)
	})
	return ps, nil
}

func normPosition(in *PositionInput) {
	for _, p := range []*string{&in.Title, &in.Holder, &in.FundedBy, &in.StartOn, &in.EndOn, &in.Note} {
		*p = strings.TrimSpace(*p)
	}
}

// Position returns one staff position, if its office is in scope.
func (s *Service) Position(ctx context.Context, a access.Actor, id int64) (Position, error) {
	p, err := queryOne(ctx, s.db.R, scanPositions, "position", id, "SELECT "+positionCols+" FROM staff_positions WHERE id = $1")
	if err != nil {
		return Position{}, err
	}
	if _, err := s.Office(ctx, a, p.OfficeID); err != nil {
		return Position{}, fmt.Errorf("position %d: %w", id, store.ErrNotFound)
	}
	return p, nil
}

// AddPosition records that someone took up a title at an office.
func (s *Service) AddPosition(ctx context.Context, a access.Actor, officeID int64, in PositionInput) (Position, error) {
	if err := a.Require(access.EditOffices); err != nil {
		return Position{}, err
	}
	normPosition(&in)
	if es := CheckPositionInput(in); es.Err() != nil {
		return Position{}, es
	}
	var p Position
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		o, err := s.officeIn(ctx, tx, a, officeID)
		if err != nil {
			return err
		}
		p = Position{OfficeID: officeID, Title: in.Title, Holder: in.Holder, FundedBy: in.FundedBy, StartOn: in.StartOn, EndOn: in.EndOn, Note: in.Note}
		if err := tx.QueryRowContext(ctx, `INSERT INTO staff_positions (office_id, title, holder, funded_by, start_on, end_on, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, officeID, p.Title, p.Holder, p.FundedBy, p.StartOn, nullStr(p.EndOn), p.Note).Scan(&p.ID); err != nil {
			return fmt.Errorf("add position: %w", err)
		}
		return audit.Record(ctx, tx, a, "create", "staff_position", p.ID, o.UnitID, nil, p)
	})
	return p, err
}

// UpdatePosition edits a position; setting EndOn records a departure.
func (s *Service) UpdatePosition(ctx context.Context, a access.Actor, id int64, in PositionInput) (Position, error) {
	if err := a.Require(access.EditOffices); err != nil {
		return Position{}, err
	}
	normPosition(&in)
	if es := CheckPositionInput(in); es.Err() != nil {
		return Position{}, es
	}
	var after Position
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := queryOne(ctx, tx, scanPositions, "position", id, "SELECT "+positionCols+" FROM staff_positions WHERE id = $1")
		if err != nil {
			return err
		}
		o, err := s.officeIn(ctx, tx, a, before.OfficeID)
		if err != nil {
			return err
		}
		after = Position{ID: id, OfficeID: before.OfficeID, Title: in.Title, Holder: in.Holder, FundedBy: in.FundedBy, StartOn: in.StartOn, EndOn: in.EndOn, Note: in.Note}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_positions SET title = $1, holder = $2, funded_by = $3, start_on = $4, end_on = $5, note = $6 WHERE id = $7`,
			after.Title, after.Holder, after.FundedBy, after.StartOn, nullStr(after.EndOn), after.Note, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "update", "staff_position", id, o.UnitID, before, after)
	})
	return after, err
}

// TitleTurnover summarises one title at one office over a period.
type TitleTurnover struct {
	Title       string `json:"title"`
	Holders     int    `json:"holders"`      // people who held it at some time in the period
	Departures  int    `json:"departures"`   // holders who left within the period
	VacantDays  int    `json:"vacant_days"`  // days in the period with nobody holding it
	MeanTenure  int    `json:"mean_tenure"`  // mean days in post of those holders (to the period end if still there)
	HeldNow     bool   `json:"held_now"`     // someone holds it at the end of the period
	CurrentName string `json:"current_name"` // who, if anyone
}

// Turnover computes per-title turnover over [from, to] (inclusive dates) from an office's
// positions. Titles never held in the period are omitted. It is a pure function.
func Turnover(ps []Position, from, to string) []TitleTurnover {
	start, err1 := time.Parse(time.DateOnly, from)
	end, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil || end.Before(start) {
		return nil
	}
	days := int(end.Sub(start).Hours()/24) + 1
	var out []TitleTurnover
	for _, title := range StaffTitles {
		t := TitleTurnover{Title: title}
		covered := make([]bool, days)
		tenure := 0
		for _, p := range ps {
			if p.Title != title {
				continue
			}
			ps, err := time.Parse(time.DateOnly, p.StartOn)
			if err != nil {
				continue
			}
			pe := end
			if p.EndOn != "" {
				if pe, err = time.Parse(time.DateOnly, p.EndOn); err != nil {
					continue
				}
			}
			if pe.Before(start) || ps.After(end) {
				continue
			}
			t.Holders++
			if p.EndOn != "" && !pe.After(end) {
				t.Departures++
			}
			if !pe.Before(end) { // still in post on the last day of the period
				t.HeldNow, t.CurrentName = true, p.Holder
			}
			tenureEnd := pe
			if tenureEnd.After(end) {
				tenureEnd = end
			}
			tenure += int(tenureEnd.Sub(ps).Hours()/24) + 1
			lo, hi := ps, pe
			if lo.Before(start) {
				lo = start
			}
			if hi.After(end) {
				hi = end
			}
			for d := int(lo.Sub(start).Hours() / 24); d <= int(hi.Sub(start).Hours()/24); d++ {
				covered[d] = true
			}
		}
		if t.Holders == 0 {
			continue
		}
		for _, c := range covered {
			if !c {
				t.VacantDays++
			}
		}
		t.MeanTenure = tenure / t.Holders
		out = append(out, t)
	}
	return out
}
