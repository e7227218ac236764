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

// PartnerTypes are the kinds of organisation the programme works with (DOMAIN.md §1).
var PartnerTypes = []string{
	"womens_federation", "government", "school", "womens_home", "community_centre", "cso",
	"employer", "research", "media", "international", "trade_union",
}

// PartnerSectors lists, per type, the sectors a partner of that type may name. Types absent
// here take no sector.
var PartnerSectors = map[string][]string{
	"government": {"education", "labour", "public_security", "railways", "justice", "civil_affairs", "health", "transport", "other"},
	"school":     {"primary", "middle", "vocational", "university"},
}

// Partner is an organisation the programme works with, sited at an organisation unit.
type Partner struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	UnitID    int64     `json:"unit_id"`
	Type      string    `json:"type"`
	Sector    string    `json:"sector,omitempty"`
	NameZH    string    `json:"name_zh"`
	NameEN    string    `json:"name_en"`
	Contact   string    `json:"contact,omitempty"`
	Notes     string    `json:"notes,omitempty"`
	Active    bool      `json:"active"`
	UpdatedAt time.Time `json:"updated_at"`
	UnitPath  string    `json:"-"`
}

// Name returns the partner's name in lang.
func (p Partner) Name(lang string) string { return pick(lang, p.NameZH, p.NameEN) }

// PartnerInput is what a form, the API or an import supplies.
type PartnerInput struct {
	Code    string `json:"code"`
	UnitID  int64  `json:"unit_id"`
	Type    string `json:"type"`
	Sector  string `json:"sector"`
	NameZH  string `json:"name_zh"`
	NameEN  string `json:"name_en"`
	Contact string `json:"contact"`
	Notes   string `json:"notes"`
	Active  *bool  `json:"active,omitempty"`
}

func (in *PartnerInput) normalise() {
	for _, p := range []*string{&in.Code, &in.Type, &in.Sector, &in.NameZH, &in.NameEN, &in.Contact, &in.Notes} {
		*p = strings.TrimSpace(*p)
	}
	in.Type = strings.ToLower(in.Type)
	in.Sector = strings.ToLower(in.Sector)
}

// CheckPartnerInput validates a partner's own fields.
func CheckPartnerInput(in PartnerInput) valid.Errors {
	var es valid.Errors
	if es.Required("code", in.Code) {
		es.MaxLen("code", in.Code, 32)
		if strings.ContainsAny(in.Code, " \t,;/") {
			es.Add("code", "code_chars")
		}
	}
	if in.UnitID == 0 {
		es.Add("unit_id", "required")
	}
	if es.Required("type", in.Type) && es.OneOf("type", in.Type, PartnerTypes) {
		sectors := PartnerSectors[in.Type]
		switch {
		case in.Sector != "" && len(sectors) == 0:
			es.Add("sector", "no_sector_for_type")
		case in.Sector != "":
			es.OneOf("sector", in.Sector, sectors)
		}
	}
	if es.Required("name_zh", in.NameZH) {
		es.MaxLen("name_zh", in.NameZH, 100)
	}
	if es.Required("name_en", in.NameEN) {
		es.MaxLen("name_en", in.NameEN, 200)
	}
	es.MaxLen("contact", in.Contact, 300)
	es.MaxLen("notes", in.Notes, 4000)
	return es
}

const partnerCols = `p.id, p.code, p.unit_id, p.type, p.sector, p.name_zh, p.name_en, p.contact, p.notes, p.active, p.updated_at, u.path`

func scanPartner(sc interface{ Scan(...any) error }) (Partner, error) {
	var p Partner
	err := sc.Scan(&p.ID, &p.Code, &p.UnitID, &p.Type, &p.Sector, &p.NameZH, &p.NameEN, &p.Contact, &p.Notes, &p.Active, &p.UpdatedAt, &p.UnitPath)
	return p, err
}

// Partner returns one partner in the actor's scope.
func (s *Service) Partner(ctx context.Context, a access.Actor, id int64) (Partner, error) {
	return s.partnerIn(ctx, s.db.R, a, id)
}

func (s *Service) partnerIn(ctx context.Context, q store.Queryer, a access.Actor, id int64) (Partner, error) {
	if err := a.Require(access.ViewNetwork); err != nil {
		return Partner{}, err
	}
	p, err := scanPartner(q.QueryRowContext(ctx, "SELECT "+partnerCols+" FROM partners p JOIN org_units u ON u.id = p.unit_id WHERE p.id = $1", id))
	if errors.Is(err, sql.ErrNoRows) || err == nil && !a.Sees(p.UnitPath) {
		return Partner{}, fmt.Errorf("partner %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return Partner{}, fmt.Errorf("partner %d: %w", id, err)
	}
	return p, nil
}

// PartnerQuery filters a listing of partners.
type PartnerQuery struct {
	UnitID   int64 // only partners at this unit
	RootID   int64 // partners anywhere in this subtree
	Type     string
	Search   string
	Limit    int
	Offset   int
	Inactive bool // include inactive partners
}

// Partners lists partners in scope matching q, with the total count.
func (s *Service) Partners(ctx context.Context, a access.Actor, q PartnerQuery) ([]Partner, int, error) {
	if err := a.Require(access.ViewNetwork); err != nil {
		return nil, 0, err
	}
	where := "u.path LIKE $1"
	args := []any{a.PathPattern()}
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(cond, len(args))
	}
	if q.RootID != 0 {
		root, err := s.Unit(ctx, a, q.RootID)
		if err != nil {
			return nil, 0, err
		}
		add(" AND u.path LIKE $%d", root.Path+"%")
	}
	if q.UnitID != 0 {
		add(" AND p.unit_id = $%d", q.UnitID)
	}
	if q.Type != "" {
		add(" AND p.type = $%d", q.Type)
	}
	if !q.Inactive {
		where += " AND p.active = TRUE"
	}
	if t := strings.TrimSpace(q.Search); t != "" {
		args = append(args, "%"+strings.ToLower(t)+"%")
		n := len(args)
		where += fmt.Sprintf(" AND (LOWER(p.code) LIKE $%d OR LOWER(p.name_en) LIKE $%d OR p.name_zh LIKE $%d)", n, n, n)
	}
	from := " FROM partners p JOIN org_units u ON u.id = p.unit_id WHERE " + where
	var total int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*)"+from, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count partners: %w", err)
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	rows, err := s.db.R.QueryContext(ctx, fmt.Sprintf("SELECT %s%s ORDER BY u.path, p.code LIMIT %d OFFSET %d", partnerCols, from, q.Limit, q.Offset), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list partners: %w", err)
	}
	defer rows.Close()
	var out []Partner
	for rows.Next() {
		p, err := scanPartner(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// checkPartnerUnit resolves and checks the unit a partner is to sit at.
func (s *Service) checkPartnerUnit(ctx context.Context, tx *sql.Tx, a access.Actor, id int64) error {
	u, err := s.unitIn(ctx, tx, a, id)
	if errors.Is(err, store.ErrNotFound) {
		return valid.New("unit_id", "not_found")
	}
	if err != nil {
		return err
	}
	if u.Closed() {
		return valid.New("unit_id", "unit_closed", u.ClosedOn)
	}
	return nil
}

// CreatePartner adds a partner.
func (s *Service) CreatePartner(ctx context.Context, a access.Actor, in PartnerInput) (Partner, error) {
	var p Partner
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = s.CreatePartnerTx(ctx, tx, a, in)
		return err
	})
	return p, err
}

// CreatePartnerTx is CreatePartner inside the caller's transaction.
func (s *Service) CreatePartnerTx(ctx context.Context, tx *sql.Tx, a access.Actor, in PartnerInput) (Partner, error) {
	if err := a.Require(access.EditPartners); err != nil {
		return Partner{}, err
	}
	in.normalise()
	if es := CheckPartnerInput(in); es.Err() != nil {
		return Partner{}, es
	}
	if err := s.checkPartnerUnit(ctx, tx, a, in.UnitID); err != nil {
		return Partner{}, err
	}
	active := in.Active == nil || *in.Active
	now := store.Now()
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO partners (code, unit_id, type, sector, name_zh, name_en, contact, notes, active, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
		in.Code, in.UnitID, in.Type, in.Sector, in.NameZH, in.NameEN, in.Contact, in.Notes, active, now).Scan(&id)
	if store.IsUnique(err) {
		return Partner{}, valid.New("code", "unique", in.Code)
	}
	if err != nil {
		return Partner{}, fmt.Errorf("create partner: %w", err)
	}
	p, err := s.partnerIn(ctx, tx, a, id)
	if err != nil {
		return Partner{}, err
	}
	return p, audit.Record(ctx, tx, a, "create", "partner", id, p.UnitID, nil, p)
}

// UpdatePartner changes a partner's fields (including moving it to another unit in scope).
func (s *Service) UpdatePartner(ctx context.Context, a access.Actor, id int64, in PartnerInput) (Partner, error) {
	var after Partner
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		after, err = s.updatePartnerTx(ctx, tx, a, id, in)
		return err
	})
	return after, err
}

// updatePartnerTx is UpdatePartner in the caller's transaction.
func (s *Service) updatePartnerTx(ctx context.Context, tx *sql.Tx, a access.Actor, id int64, in PartnerInput) (Partner, error) {
	if err := a.Require(access.EditPartners); err != nil {
		return Partner{}, err
	}
	in.normalise()
	if es := CheckPartnerInput(in); es.Err() != nil {
		return Partner{}, es
	}
	before, err := s.partnerIn(ctx, tx, a, id)
	if err != nil {
		return Partner{}, err
	}
	if in.UnitID != before.UnitID {
		if err := s.checkPartnerUnit(ctx, tx, a, in.UnitID); err != nil {
			return Partner{}, err
		}
	}
	active := before.Active
	if in.Active != nil {
		active = *in.Active
	}
	_, err = tx.ExecContext(ctx, `UPDATE partners SET code = $1, unit_id = $2, type = $3, sector = $4, name_zh = $5, name_en = $6,
		contact = $7, notes = $8, active = $9, updated_at = $10 WHERE id = $11`,
		in.Code, in.UnitID, in.Type, in.Sector, in.NameZH, in.NameEN, in.Contact, in.Notes, active, store.Now(), id)
	if store.IsUnique(err) {
		return Partner{}, valid.New("code", "unique", in.Code)
	}
	if err != nil {
		return Partner{}, fmt.Errorf("update partner %d: %w", id, err)
	}
	after, err := s.partnerIn(ctx, tx, a, id)
	if err != nil {
		return Partner{}, err
	}
	return after, audit.Record(ctx, tx, a, "update", "partner", id, after.UnitID, before, after)
}

// PartnerTypeValid reports whether t is a known partner type.
func PartnerTypeValid(t string) bool { return slices.Contains(PartnerTypes, t) }
