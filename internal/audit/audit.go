// Package audit writes and reads the audit log: every change to the programme's records, with
// the actor's opaque id, the time, the entity and its state before and after. Rows are written
// inside the caller's transaction so a change and its audit row commit or fail together.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/store"
)

// Record writes one audit row in tx. before and after are marshalled to JSON (nil stays NULL).
func Record(ctx context.Context, tx *sql.Tx, a access.Actor, action, entity string, id int64, unitID int64, before, after any) error {
	b, err := marshal(before)
	if err != nil {
		return err
	}
	af, err := marshal(after)
	if err != nil {
		return err
	}
	var unit any
	if unitID != 0 {
		unit = unitID
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, entity, entity_id, unit_id, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, store.Now(), a.PublicID, action, entity, id, unit, b, af)
	if err != nil {
		return fmt.Errorf("audit %s %s %d: %w", action, entity, id, err)
	}
	return nil
}

func marshal(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: marshal: %w", err)
	}
	return string(b), nil
}

// Entry is one audit row as read back.
type Entry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Entity   string    `json:"entity"`
	EntityID int64     `json:"entity_id"`
	UnitID   int64     `json:"unit_id,omitempty"`
	Before   string    `json:"before,omitempty"`
	After    string    `json:"after,omitempty"`
}

// Filter narrows a listing. Zero values match everything.
type Filter struct {
	Actor    string
	Entity   string
	EntityID int64
	Action   string
	From, To time.Time // To is exclusive
	Limit    int
	Offset   int
}

// List returns entries matching f, newest first, and the total number that match.
func List(ctx context.Context, db *store.DB, a access.Actor, f Filter) ([]Entry, int, error) {
	if err := a.Require(access.ViewAudit); err != nil {
		return nil, 0, err
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	// An administrator reads the entries of their own area; entries of no unit (the
	// programme's own configuration: indicators, instruments, rates, rules) only if their area is
	// the whole network.
	add(`(unit_id IN (SELECT id FROM org_units WHERE path LIKE $%[1]d)
		OR (unit_id IS NULL AND EXISTS (SELECT 1 FROM org_units r WHERE r.parent_id IS NULL AND r.path LIKE $%[1]d)))`, a.PathPattern())
	if f.Actor != "" {
		add("actor = $%d", f.Actor)
	}
	if f.Entity != "" {
		add("entity = $%d", f.Entity)
	}
	if f.EntityID != 0 {
		add("entity_id = $%d", f.EntityID)
	}
	if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if !f.From.IsZero() {
		add("at >= $%d", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("at < $%d", f.To.UTC())
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log"+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count audit: %w", err)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	q := fmt.Sprintf(`SELECT id, at, actor, action, entity, entity_id, COALESCE(unit_id, 0),
		COALESCE(CAST(before AS TEXT), ''), COALESCE(CAST(after AS TEXT), '')
		FROM audit_log%s ORDER BY id DESC LIMIT %d OFFSET %d`, cond, f.Limit, f.Offset)
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Entity, &e.EntityID, &e.UnitID, &e.Before, &e.After); err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}
