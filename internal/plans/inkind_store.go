package plans

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// SetRate records an exchange rate on its date.
func (s *Service) SetRate(ctx context.Context, a access.Actor, r Rate) error {
	if err := requireNational(a); err != nil {
		return err
	}
	if es := r.Check(); es.Err() != nil {
		return es
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		return s.setRate(ctx, tx, a, r)
	})
}

func (s *Service) setRate(ctx context.Context, tx *sql.Tx, a access.Actor, r Rate) error {
	if r.Currency == "USD" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO exchange_rates (currency, on_date, per_usd) VALUES ($1, $2, $3)
		ON CONFLICT (currency, on_date) DO UPDATE SET per_usd = excluded.per_usd`, r.Currency, r.On, r.PerUSD); err != nil {
		return err
	}
	return audit.Record(ctx, tx, a, "set", "exchange_rate", 0, 0, nil, r)
}

// requireNational: exchange rates serve the whole programme, so only the national office
// (an actor bound to the root unit) records them.
func requireNational(a access.Actor) error {
	if err := a.Require(access.EditPlans); err != nil {
		return err
	}
	if strings.Count(a.UnitPath, "/") > 2 {
		return access.ErrForbidden
	}
	return nil
}

// Rates lists the recorded exchange rates, by currency and date.
func (s *Service) Rates(ctx context.Context) ([]Rate, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT currency, on_date, per_usd FROM exchange_rates ORDER BY currency, on_date`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Rate{}
	for rows.Next() {
		var r Rate
		if err := rows.Scan(&r.Currency, &r.On, &r.PerUSD); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ImportContributions checks a contributions table (its stated subtotals and converted totals
// against what Ting computes) and, unless dryRun, stores its cells for the unit and period with
// its rates, replacing what the unit had for that period — all or nothing. The differences are
// reported either way: Ting keeps the amounts of the cells, not the stated sums.
func (s *Service) ImportContributions(ctx context.Context, a access.Actor, unitID int64, t ContributionTable, sourceRef string, dryRun bool) ([]Difference, int, error) {
	if err := a.Require(access.EditPlans); err != nil {
		return nil, 0, err
	}
	u, err := s.org.Unit(ctx, a, unitID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, valid.New("unit_id", "not_found")
	} else if err != nil {
		return nil, 0, err
	}
	var es valid.Errors
	if es.Required("from", t.From) && es.Date("from", t.From) && es.Required("to", t.To) && es.Date("to", t.To) && t.To < t.From {
		es.Add("to", "not_before", "from")
	}
	if es.Err() != nil {
		return nil, 0, es
	}
	diffs, err := CheckContributionTable(t)
	if err != nil {
		return nil, 0, err
	}
	if t.Currency != "CNY" {
		return diffs, 0, valid.New("currency", "one_of", "CNY")
	}
	cells := 0
	for _, r := range t.Rows {
		cells += len(r.Amounts)
	}
	if dryRun {
		return diffs, cells, nil
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM contributions WHERE unit_id = $1 AND period_start = $2 AND period_end = $3`, unitID, t.From, t.To); err != nil {
			return err
		}
		now := store.Now()
		for _, r := range t.Rows {
			for level, amount := range r.Amounts {
				if _, err := tx.ExecContext(ctx, `INSERT INTO contributions (unit_id, category, level, period_start, period_end, amount, source_ref, created_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, unitID, r.Category, level, t.From, t.To, amount, strings.TrimSpace(sourceRef), now); err != nil {
					return err
				}
			}
		}
		// The table's rates check its own arithmetic; they become the programme's rates only
		// when the national office imports it.
		if requireNational(a) == nil {
			for _, r := range t.Rates {
				if r.On == "" {
					r.On = t.To
				}
				if err := s.setRate(ctx, tx, a, r); err != nil {
					return err
				}
			}
		}
		return audit.Record(ctx, tx, a, "import", "contributions", unitID, u.ID, nil, map[string]any{"from": t.From, "to": t.To, "cells": cells,
			"differences": len(diffs), "source_ref": sourceRef})
	})
	if err != nil {
		return nil, 0, err
	}
	return diffs, cells, nil
}

// ContributionSummary is the in-kind contributions of a subtree over a period, as Annex A lays
// them out: per category and contributor level, the level totals, the total, and the total
// converted at the latest rate recorded on or before the period's end.
type ContributionSummary struct {
	From, To   string                      `json:"-"`
	Cells      map[string]map[string]int64 `json:"cells"` // category → level → RMB hundredths
	Levels     map[string]int64            `json:"levels"`
	Categories map[string]int64            `json:"categories"`
	Total      int64                       `json:"total"`
	Converted  map[string]int64            `json:"converted"` // currency → hundredths
	Rates      []Rate                      `json:"rates"`
}

// Contributions sums the contributions recorded in the unit's subtree for periods within
// [from, to].
func (s *Service) Contributions(ctx context.Context, a access.Actor, unitID int64, from, to string) (ContributionSummary, error) {
	if err := a.Require(access.ViewPlans); err != nil {
		return ContributionSummary{}, err
	}
	u, err := s.org.Unit(ctx, a, unitID)
	if err != nil {
		return ContributionSummary{}, err
	}
	sum := ContributionSummary{From: from, To: to, Cells: map[string]map[string]int64{}, Levels: map[string]int64{}, Categories: map[string]int64{}, Converted: map[string]int64{}}
	rows, err := s.db.R.QueryContext(ctx, `SELECT c.category, c.level, SUM(c.amount) FROM contributions c JOIN org_units u ON u.id = c.unit_id
		WHERE u.path LIKE $1 AND c.period_start >= $2 AND c.period_end <= $3 GROUP BY c.category, c.level`, u.Path+"%", from, to)
	if err != nil {
		return sum, err
	}
	for rows.Next() {
		var cat, level string
		var v int64
		if err := rows.Scan(&cat, &level, &v); err != nil {
			rows.Close()
			return sum, err
		}
		if sum.Cells[cat] == nil {
			sum.Cells[cat] = map[string]int64{}
		}
		sum.Cells[cat][level] = v
		sum.Levels[level] += v
		sum.Categories[cat] += v
		sum.Total += v
	}
	rows.Close()
	rates, err := s.Rates(ctx)
	if err != nil {
		return sum, err
	}
	cny, ok := RateOn(rates, "CNY", to)
	if !ok {
		return sum, nil
	}
	sum.Rates = append(sum.Rates, cny)
	currencies := map[string]bool{"USD": true}
	for _, r := range rates {
		currencies[r.Currency] = true
	}
	for cur := range currencies {
		if cur == "CNY" {
			continue
		}
		target := Rate{Currency: "USD"}
		if cur != "USD" {
			if target, ok = RateOn(rates, cur, to); !ok {
				continue
			}
			sum.Rates = append(sum.Rates, target)
		}
		v, err := Convert(sum.Total, cny, target)
		if err != nil {
			return sum, fmt.Errorf("convert to %s: %w", cur, err)
		}
		sum.Converted[cur] = v
	}
	return sum, nil
}
