package org

import (
	"context"
	"fmt"

	"ting/internal/access"
)

// OfficeKinds: the national office and provincial project offices.
var OfficeKinds = []string{"national", "provincial"}

// Office is a project office at a unit.
type Office struct {
	ID     int64  `json:"id"`
	UnitID int64  `json:"unit_id"`
	Kind   string `json:"kind"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	Staff  int    `json:"staff"` // positions currently held
}

// Name returns the office's name in lang.
func (o Office) Name(lang string) string { return pick(lang, o.NameZH, o.NameEN) }

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
