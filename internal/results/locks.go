package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// Lock closes a period for a unit's subtree: once reports are approved and figures published,
// no value in the period may be entered, changed or deleted there until it is unlocked.
type Lock struct {
	UnitID     int64     `json:"unit_id"`
	UnitCode   string    `json:"unit_code"`
	UnitNameZH string    `json:"unit_name_zh"`
	UnitNameEN string    `json:"unit_name_en"`
	Period     string    `json:"period"`
	LockedBy   string    `json:"locked_by"`
	LockedAt   time.Time `json:"locked_at"`
}

// UnitName is the unit's name in lang.
func (l Lock) UnitName(lang string) string { return pickLang(lang, l.UnitNameZH, l.UnitNameEN) }

type lockSpan struct {
	unit                     int64
	path, period, start, end string
}

type lockSet []lockSpan

// covering returns the lock that closes period p at a unit with the given path, if any: a
// lock on the unit or an ancestor whose period overlaps p.
func (ls lockSet) covering(path string, p Period) (string, bool) {
	l, ok := ls.lock(path, p)
	return l.period, ok
}

func (ls lockSet) lock(path string, p Period) (lockSpan, bool) {
	for _, l := range ls {
		if strings.HasPrefix(path, l.path) && p.Start <= l.end && p.End >= l.start {
			return l, true
		}
	}
	return lockSpan{}, false
}

func (s *Service) locks(ctx context.Context, q store.Queryer) (lockSet, error) {
	rows, err := q.QueryContext(ctx, `SELECT l.unit_id, u.path, l.period, l.period_start, l.period_end FROM period_locks l JOIN org_units u ON u.id = l.unit_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out lockSet
	for rows.Next() {
		var l lockSpan
		if err := rows.Scan(&l.unit, &l.path, &l.period, &l.start, &l.end); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// LockPeriod locks a period (any kind but life of project) for a unit's subtree.
func (s *Service) LockPeriod(ctx context.Context, a access.Actor, unitID int64, period string) error {
	return s.setLock(ctx, a, unitID, period, true)
}

// UnlockPeriod lifts a lock.
func (s *Service) UnlockPeriod(ctx context.Context, a access.Actor, unitID int64, period string) error {
	return s.setLock(ctx, a, unitID, period, false)
}

func (s *Service) setLock(ctx context.Context, a access.Actor, unitID int64, period string, lock bool) error {
	if err := a.Require(access.EditResults); err != nil {
		return err
	}
	p, err := ParsePeriod(period)
	if err != nil || p.Kind == LifeOfProj {
		return valid.New("period", "period")
	}
	if _, err := s.org.Unit(ctx, a, unitID); errors.Is(err, store.ErrNotFound) {
		return valid.New("unit_id", "not_found")
	} else if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if lock {
			res, err = tx.ExecContext(ctx, `INSERT INTO period_locks (unit_id, period, period_start, period_end, locked_by, locked_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (unit_id, period) DO NOTHING`, unitID, p.Key, p.Start, p.End, a.PublicID, store.Now())
		} else {
			res, err = tx.ExecContext(ctx, "DELETE FROM period_locks WHERE unit_id = $1 AND period = $2", unitID, p.Key)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already so: nothing to record
		}
		action := "unlock"
		if lock {
			action = "lock"
		}
		return audit.Record(ctx, tx, a, action, "period", unitID, unitID, nil, map[string]any{"period": p.Key})
	})
}

// Locks lists the locks on units the actor sees, newest first.
func (s *Service) Locks(ctx context.Context, a access.Actor) ([]Lock, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT l.unit_id, u.code, u.name_zh, u.name_en, u.path, l.period, l.locked_by, l.locked_at
		FROM period_locks l JOIN org_units u ON u.id = l.unit_id ORDER BY l.locked_at DESC, u.path, l.period`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Lock{}
	for rows.Next() {
		var l Lock
		var path string
		if err := rows.Scan(&l.UnitID, &l.UnitCode, &l.UnitNameZH, &l.UnitNameEN, &path, &l.Period, &l.LockedBy, &l.LockedAt); err != nil {
			return nil, err
		}
		if a.Sees(path) {
			out = append(out, l)
		}
	}
	return out, rows.Err()
}

// Locked reports the lock, if any, that closes period p at a unit: the locked period and the
// unit it was set on (the unit itself or an ancestor).
func (s *Service) Locked(ctx context.Context, a access.Actor, unitID int64, p Period) (period string, lockUnit int64, ok bool, err error) {
	u, err := s.org.Unit(ctx, a, unitID)
	if err != nil {
		return "", 0, false, err
	}
	ls, err := s.locks(ctx, s.db.R)
	if err != nil {
		return "", 0, false, err
	}
	l, ok := ls.lock(u.Path, p)
	return l.period, l.unit, ok, nil
}

// DeleteValue removes one stored value, in scope and outside locked periods; the rollups
// lose its contribution in the same transaction. The audit row keeps what was deleted.
func (s *Service) DeleteValue(ctx context.Context, a access.Actor, id int64) error {
	if err := a.Require(access.EnterValues); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var path, period, combo, text, source, ref string
		var indID, unitID int64
		var v, n, d sql.NullFloat64
		var legacy bool
		err := tx.QueryRowContext(ctx, `SELECT u.path, v.indicator_id, v.unit_id, v.period, v.combo, v.value, v.numerator, v.denominator, v.legacy,
			v.text_value, v.source, v.source_ref FROM data_values v JOIN org_units u ON u.id = v.unit_id WHERE v.id = $1`, id).
			Scan(&path, &indID, &unitID, &period, &combo, &v, &n, &d, &legacy, &text, &source, &ref)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.Sees(path)) {
			return fmt.Errorf("value %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		p, err := ParsePeriod(period)
		if err != nil {
			return err
		}
		ls, err := s.locks(ctx, tx)
		if err != nil {
			return err
		}
		if l, ok := ls.covering(path, p); ok {
			return valid.New("period", "period_locked", l)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM data_values WHERE id = $1", id); err != nil {
			return err
		}
		if !legacy {
			ds := rollDeltas{}
			ds.add(path, indID, combo, p, aggOf(nullable(v), nullable(n), nullable(d)), -1)
			if err := ds.apply(ctx, tx); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, "delete", "data_value", id, unitID, map[string]any{"indicator_id": indID, "period": period, "combo": combo,
			"value": nullable(v), "numerator": nullable(n), "denominator": nullable(d), "text": text, "source": source, "source_ref": ref}, nil)
	})
}
