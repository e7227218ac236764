package org

import (
	"context"
	"fmt"

	"ting/internal/access"
)

// Committee is a steering committee at a unit of any level.
type Committee struct {
	ID            int64  `json:"id"`
	UnitID        int64  `json:"unit_id"`
	NameZH        string `json:"name_zh"`
	NameEN        string `json:"name_en"`
	EstablishedOn string `json:"established_on"`
	Members       int    `json:"members"` // current members
	Chair         string `json:"chair,omitempty"`
}

// Name returns the committee's name in lang.
func (c Committee) Name(lang string) string { return pick(lang, c.NameZH, c.NameEN) }

// Committees lists the committees at a unit in scope.
func (s *Service) Committees(ctx context.Context, a access.Actor, unitID int64) ([]Committee, error) {
	if _, err := s.Unit(ctx, a, unitID); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT c.id, c.unit_id, c.name_zh, c.name_en, c.established_on,
		(SELECT COUNT(*) FROM committee_members m WHERE m.committee_id = c.id AND m.until IS NULL),
		COALESCE((SELECT MIN(m.person_name) FROM committee_members m WHERE m.committee_id = c.id AND m.until IS NULL AND m.role = 'chair'), '')
		FROM committees c WHERE c.unit_id = $1 ORDER BY c.established_on, c.id`, unitID)
	if err != nil {
		return nil, fmt.Errorf("committees of unit %d: %w", unitID, err)
	}
	defer rows.Close()
	var out []Committee
	for rows.Next() {
		var c Committee
		if err := rows.Scan(&c.ID, &c.UnitID, &c.NameZH, &c.NameEN, &c.EstablishedOn, &c.Members, &c.Chair); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
