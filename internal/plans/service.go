package plans

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
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/valid"
)

// Storage of work plans, interventions, their reports and money. The rules above (formats,
// schedules, tranches, contribution tables) stay pure; the Service stores what they decide and
// enforces who may do what, in scope, in one transaction per change with its audit row.

// Service stores plans, reports and funding.
type Service struct {
	db      *store.DB
	org     *org.Service
	results *results.Service
	today   func() string
}

// New returns the service over db.
func New(db *store.DB) *Service {
	return &Service{db: db, org: org.New(db), results: results.New(db), today: func() string { return time.Now().UTC().Format(time.DateOnly) }}
}

// SetToday fixes the date the service treats as today (tests, the demo's "as of").
func (s *Service) SetToday(f func() string) {
	s.today = f
	s.org.SetToday(f)
	s.results.SetToday(f)
}

// Today is the date lateness is measured against.
func (s *Service) Today() string { return s.today() }

// now is the time a report's history and attachments record: the clock's time of day on the
// service's today. In production the two agree; where today is fixed (the demonstration plays
// its 2010-2012 reports on their days, tests their own), the history shows those days in the
// order the steps were taken, rather than the day the programme was loaded. The audit log keeps
// the real time of every write.
func (s *Service) now() time.Time {
	t := store.Now()
	day, err := time.Parse(time.DateOnly, s.today())
	if err != nil {
		return t
	}
	return day.Add(t.Sub(t.Truncate(24 * time.Hour)))
}

// WorkPlan is a province's (or the national office's) plan for a year.
type WorkPlan struct {
	ID         int64     `json:"id"`
	UnitID     int64     `json:"unit_id"`
	UnitCode   string    `json:"unit_code"`
	UnitNameZH string    `json:"unit_name_zh"`
	UnitNameEN string    `json:"unit_name_en"`
	Year       int       `json:"year"`
	TitleZH    string    `json:"title_zh"`
	TitleEN    string    `json:"title_en"`
	CreatedAt  time.Time `json:"created_at"`
	unitPath   string
}

// Title is the plan's title in lang.
func (w WorkPlan) Title(lang string) string { return pick(lang, w.TitleZH, w.TitleEN) }

// UnitName is its unit's name in lang.
func (w WorkPlan) UnitName(lang string) string { return pick(lang, w.UnitNameZH, w.UnitNameEN) }

func pick(lang, zh, en string) string {
	if lang == "en" && en != "" {
		return en
	}
	if zh == "" {
		return en
	}
	return zh
}

// WorkPlanInput creates a work plan.
type WorkPlanInput struct {
	UnitID  int64  `json:"unit_id"`
	Year    int    `json:"year"`
	TitleZH string `json:"title_zh"`
	TitleEN string `json:"title_en"`
}

// CreateWorkPlan records a work plan for a unit (national or provincial) and year.
func (s *Service) CreateWorkPlan(ctx context.Context, a access.Actor, in WorkPlanInput) (WorkPlan, error) {
	if err := a.Require(access.EditPlans); err != nil {
		return WorkPlan{}, err
	}
	var es valid.Errors
	if in.Year < 2000 || in.Year > 2100 {
		es.Add("year", "year")
	}
	es.Required("title_zh", in.TitleZH)
	es.Required("title_en", in.TitleEN)
	u, err := s.org.Unit(ctx, a, in.UnitID)
	if errors.Is(err, store.ErrNotFound) {
		es.Add("unit_id", "not_found")
	} else if err != nil {
		return WorkPlan{}, err
	} else if u.Level != org.National && u.Level != org.Provincial {
		es.Add("unit_id", "plan_unit")
	}
	if es.Err() != nil {
		return WorkPlan{}, es
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO work_plans (unit_id, year, title_zh, title_en, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			in.UnitID, in.Year, strings.TrimSpace(in.TitleZH), strings.TrimSpace(in.TitleEN), store.Now()).Scan(&id)
		if store.IsUnique(err) {
			return valid.New("year", "unique", strconv.Itoa(in.Year))
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "create", "work_plan", id, in.UnitID, nil, in)
	})
	if err != nil {
		return WorkPlan{}, err
	}
	return s.WorkPlan(ctx, a, id)
}

const workPlanCols = `w.id, w.unit_id, u.code, u.name_zh, u.name_en, u.path, w.year, w.title_zh, w.title_en, w.created_at`

func scanWorkPlan(sc interface{ Scan(...any) error }) (WorkPlan, error) {
	var w WorkPlan
	err := sc.Scan(&w.ID, &w.UnitID, &w.UnitCode, &w.UnitNameZH, &w.UnitNameEN, &w.unitPath, &w.Year, &w.TitleZH, &w.TitleEN, &w.CreatedAt)
	return w, err
}

// WorkPlan returns one plan in scope.
func (s *Service) WorkPlan(ctx context.Context, a access.Actor, id int64) (WorkPlan, error) {
	if err := a.Require(access.ViewPlans); err != nil {
		return WorkPlan{}, err
	}
	w, err := scanWorkPlan(s.db.R.QueryRowContext(ctx, `SELECT `+workPlanCols+` FROM work_plans w JOIN org_units u ON u.id = w.unit_id WHERE w.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !s.seesPlan(a, w.unitPath)) {
		return WorkPlan{}, fmt.Errorf("work plan %d: %w", id, store.ErrNotFound)
	}
	return w, err
}

// seesPlan: a plan is visible in its unit's subtree and above it (the national office sees every
// province's plans; a province sees the national plan it works under).
func (s *Service) seesPlan(a access.Actor, unitPath string) bool {
	return a.Sees(unitPath) || strings.HasPrefix(a.UnitPath, unitPath)
}

// WorkPlans lists the plans the actor sees, by year and unit.
func (s *Service) WorkPlans(ctx context.Context, a access.Actor) ([]WorkPlan, error) {
	if err := a.Require(access.ViewPlans); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+workPlanCols+` FROM work_plans w JOIN org_units u ON u.id = w.unit_id ORDER BY w.year DESC, u.path`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []WorkPlan{}
	for rows.Next() {
		w, err := scanWorkPlan(rows)
		if err != nil {
			return nil, err
		}
		if s.seesPlan(a, w.unitPath) {
			out = append(out, w)
		}
	}
	return out, rows.Err()
}

// Intervention is an intervention plan: one agreement with an implementing agency.
type Intervention struct {
	ID           int64        `json:"id"`
	WorkPlanID   int64        `json:"work_plan_id"`
	UnitID       int64        `json:"unit_id"` // the work plan's unit
	UnitCode     string       `json:"unit_code"`
	Code         string       `json:"code"`
	Format       string       `json:"format"`
	TitleZH      string       `json:"title_zh"`
	TitleEN      string       `json:"title_en"`
	AgencyID     int64        `json:"agency_id"`
	AgencyZH     string       `json:"agency_name_zh"`
	AgencyEN     string       `json:"agency_name_en"`
	StartOn      string       `json:"start_on"`
	EndOn        string       `json:"end_on"`
	Currency     string       `json:"currency"`
	Budget       int64        `json:"budget"`        // hundredths
	AdvanceShare int          `json:"advance_share"` // basis points
	GraceDays    int          `json:"grace_days"`
	Lines        []BudgetLine `json:"budget_lines"`
	LineIDs      []int64      `json:"budget_line_ids"`
	Locations    []int64      `json:"locations"`
	Indicators   []Target     `json:"indicators"`
	unitPath     string
}

// Title is the intervention's title in lang.
func (i Intervention) Title(lang string) string { return pick(lang, i.TitleZH, i.TitleEN) }

// Agency is the implementing agency's name in lang.
func (i Intervention) Agency(lang string) string { return pick(lang, i.AgencyZH, i.AgencyEN) }

// Target is an indicator an intervention contributes to, with its own target.
type Target struct {
	IndicatorID int64    `json:"indicator_id"`
	Code        string   `json:"code"`
	Target      *float64 `json:"target"`
}

// InterventionPlan is what creating an intervention needs.
type InterventionPlan struct {
	WorkPlanID int64  `json:"work_plan_id"`
	Code       string `json:"code"`
	TitleZH    string `json:"title_zh"`
	TitleEN    string `json:"title_en"`
	AgencyID   int64  `json:"agency_id"`
	// GraceDays after each due date before a report counts as late; 0 takes DefaultGraceDays.
	GraceDays  int               `json:"grace_days"`
	Locations  []int64           `json:"locations"`
	Indicators []TargetInput     `json:"indicators"`
	Rules      InterventionInput `json:"rules"`
}

// TargetInput names an indicator by code with the intervention's own target.
type TargetInput struct {
	Code   string   `json:"code"`
	Target *float64 `json:"target"`
}

// DefaultGraceDays is the grace after a report's due date when a plan sets none.
const DefaultGraceDays = 15

// DefaultAdvanceShare is the share paid at launch the forms propose (basis points).
const DefaultAdvanceShare = 3000

// CreateIntervention records an intervention plan with its budget, locations and indicators,
// generates its report schedule and its tranche plan — all in one transaction.
func (s *Service) CreateIntervention(ctx context.Context, a access.Actor, in InterventionPlan) (Intervention, error) {
	if err := a.Require(access.EditPlans); err != nil {
		return Intervention{}, err
	}
	es := CheckIntervention(in.Rules)
	if es.Required("code", in.Code) && strings.ContainsAny(in.Code, " \t/\\?#") {
		es.Add("code", "code_chars")
	}
	es.Required("title_zh", in.TitleZH)
	es.Required("title_en", in.TitleEN)
	if in.GraceDays < 0 || in.GraceDays > 365 {
		es.Add("grace_days", "range", "0-365")
	}
	if in.GraceDays == 0 {
		in.GraceDays = DefaultGraceDays
	}
	wp, err := s.WorkPlan(ctx, a, in.WorkPlanID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !a.Sees(wp.unitPath)) {
		es.Add("work_plan_id", "not_found")
	} else if err != nil {
		return Intervention{}, err
	}
	if in.AgencyID == 0 {
		es.Add("agency_id", "required")
	} else if p, err := s.org.Partner(ctx, a, in.AgencyID); errors.Is(err, store.ErrNotFound) {
		es.Add("agency_id", "not_found")
	} else if err != nil {
		return Intervention{}, err
	} else if wp.unitPath != "" && !strings.HasPrefix(p.UnitPath, wp.unitPath) && !strings.HasPrefix(wp.unitPath, p.UnitPath) {
		es.Add("agency_id", "outside_plan")
	}
	if len(in.Locations) == 0 {
		es.Add("locations", "required")
	}
	for i, id := range in.Locations {
		u, err := s.org.Unit(ctx, a, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && wp.unitPath != "" && !strings.HasPrefix(u.Path, wp.unitPath)) {
			es = append(es, valid.FieldError{Row: i + 1, Field: "locations", Rule: "outside_plan"})
		} else if err != nil {
			return Intervention{}, err
		}
	}
	var targets []Target
	for i, t := range in.Indicators {
		ind, err := s.results.IndicatorByCode(ctx, a, t.Code)
		if errors.Is(err, store.ErrNotFound) {
			es = append(es, valid.FieldError{Row: i + 1, Field: "indicators", Rule: "not_found"})
			continue
		} else if err != nil {
			return Intervention{}, err
		}
		if t.Target != nil {
			if rule, param := results.CheckFigure(ind, *t.Target); rule != "" {
				es = append(es, valid.FieldError{Row: i + 1, Field: "target", Rule: rule, Param: param})
			}
		}
		targets = append(targets, Target{IndicatorID: ind.ID, Code: ind.Code, Target: t.Target})
	}
	if es.Err() != nil {
		return Intervention{}, es
	}
	var budget int64
	for _, l := range in.Rules.Budget {
		budget += l.Amount
	}
	schedule, err := Schedule(in.Rules.Format, in.Rules.StartOn, in.Rules.EndOn, in.GraceDays)
	if err != nil {
		return Intervention{}, err
	}
	tranches, err := TranchePlan(in.Rules.Format, budget, in.Rules.AdvanceShare, schedule)
	if err != nil {
		return Intervention{}, err
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Now()
		err := tx.QueryRowContext(ctx, `INSERT INTO interventions (work_plan_id, code, format, title_zh, title_en, agency_id, start_on, end_on, currency, budget,
			advance_share, grace_days, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
			in.WorkPlanID, strings.TrimSpace(in.Code), in.Rules.Format, strings.TrimSpace(in.TitleZH), strings.TrimSpace(in.TitleEN), in.AgencyID,
			in.Rules.StartOn, in.Rules.EndOn, in.Rules.Budget[0].Currency, budget, in.Rules.AdvanceShare, in.GraceDays, now).Scan(&id)
		if store.IsUnique(err) {
			return valid.New("code", "unique", strings.TrimSpace(in.Code))
		}
		if err != nil {
			return err
		}
		for i, l := range in.Rules.Budget {
			if _, err := tx.ExecContext(ctx, `INSERT INTO budget_lines (intervention_id, position, item, amount) VALUES ($1, $2, $3, $4)`, id, i, strings.TrimSpace(l.Item), l.Amount); err != nil {
				return err
			}
		}
		for _, u := range dedupe(in.Locations) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO intervention_locations (intervention_id, unit_id) VALUES ($1, $2)`, id, u); err != nil {
				return err
			}
		}
		for _, t := range targets {
			if _, err := tx.ExecContext(ctx, `INSERT INTO intervention_indicators (intervention_id, indicator_id, target) VALUES ($1, $2, $3)
				ON CONFLICT (intervention_id, indicator_id) DO UPDATE SET target = excluded.target`, id, t.IndicatorID, t.Target); err != nil {
				return err
			}
		}
		for _, r := range schedule {
			if _, err := tx.ExecContext(ctx, `INSERT INTO reports (intervention_id, seq, kind, period_start, period_end, due_on, grace_until, status, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, r.Seq, r.Kind, r.PeriodStart, r.PeriodEnd, r.Due, r.GraceUntil, StatusDraft, now); err != nil {
				return err
			}
		}
		for _, t := range tranches {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tranches (intervention_id, seq, kind, amount, report_seq, due_on, grace_until) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				id, t.Seq, t.Kind, t.Amount, t.ReportSeq, t.Due, t.GraceUntil); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, "create", "intervention", id, wp.UnitID, nil, in)
	})
	if err != nil {
		return Intervention{}, err
	}
	return s.Intervention(ctx, a, id)
}

func dedupe(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

const interventionCols = `i.id, i.work_plan_id, w.unit_id, u.code, u.path, i.code, i.format, i.title_zh, i.title_en, i.agency_id, p.name_zh, p.name_en,
	i.start_on, i.end_on, i.currency, i.budget, i.advance_share, i.grace_days`

const interventionFrom = ` FROM interventions i JOIN work_plans w ON w.id = i.work_plan_id JOIN org_units u ON u.id = w.unit_id JOIN partners p ON p.id = i.agency_id`

func scanIntervention(sc interface{ Scan(...any) error }) (Intervention, error) {
	var i Intervention
	err := sc.Scan(&i.ID, &i.WorkPlanID, &i.UnitID, &i.UnitCode, &i.unitPath, &i.Code, &i.Format, &i.TitleZH, &i.TitleEN, &i.AgencyID, &i.AgencyZH, &i.AgencyEN,
		&i.StartOn, &i.EndOn, &i.Currency, &i.Budget, &i.AdvanceShare, &i.GraceDays)
	return i, err
}

// seesIntervention: an agency's reporters see their agency's interventions; everyone else
// those of work plans in their scope (and above it, as for plans).
func seesIntervention(a access.Actor, i Intervention) bool {
	if a.PartnerID != 0 {
		return a.PartnerID == i.AgencyID
	}
	return a.Sees(i.unitPath) || strings.HasPrefix(a.UnitPath, i.unitPath)
}

// Intervention returns one intervention with its budget lines, locations and indicators.
func (s *Service) Intervention(ctx context.Context, a access.Actor, id int64) (Intervention, error) {
	return s.intervention(ctx, s.db.R, a, id)
}

func (s *Service) intervention(ctx context.Context, q store.Queryer, a access.Actor, id int64) (Intervention, error) {
	if err := a.Require(access.ViewPlans); err != nil {
		return Intervention{}, err
	}
	i, err := scanIntervention(q.QueryRowContext(ctx, `SELECT `+interventionCols+interventionFrom+` WHERE i.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !seesIntervention(a, i)) {
		return Intervention{}, fmt.Errorf("intervention %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return Intervention{}, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, item, amount FROM budget_lines WHERE intervention_id = $1 ORDER BY position`, id)
	if err != nil {
		return i, err
	}
	for rows.Next() {
		var l BudgetLine
		var lid int64
		if err := rows.Scan(&lid, &l.Item, &l.Amount); err != nil {
			rows.Close()
			return i, err
		}
		l.Currency = i.Currency
		i.Lines, i.LineIDs = append(i.Lines, l), append(i.LineIDs, lid)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT unit_id FROM intervention_locations WHERE intervention_id = $1 ORDER BY unit_id`, id)
	if err != nil {
		return i, err
	}
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return i, err
		}
		i.Locations = append(i.Locations, u)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT t.indicator_id, n.code, t.target FROM intervention_indicators t JOIN indicators n ON n.id = t.indicator_id
		WHERE t.intervention_id = $1 ORDER BY n.code`, id)
	if err != nil {
		return i, err
	}
	defer rows.Close()
	for rows.Next() {
		var t Target
		var v sql.NullFloat64
		if err := rows.Scan(&t.IndicatorID, &t.Code, &v); err != nil {
			return i, err
		}
		if v.Valid {
			t.Target = &v.Float64
		}
		i.Indicators = append(i.Indicators, t)
	}
	return i, rows.Err()
}

// Interventions lists the interventions the actor sees, optionally of one work plan.
func (s *Service) Interventions(ctx context.Context, a access.Actor, workPlanID int64) ([]Intervention, error) {
	if err := a.Require(access.ViewPlans); err != nil {
		return nil, err
	}
	cond, args := "", []any{}
	if workPlanID != 0 {
		if _, err := s.WorkPlan(ctx, a, workPlanID); err != nil {
			return nil, err
		}
		cond, args = " WHERE i.work_plan_id = $1", []any{workPlanID}
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+interventionCols+interventionFrom+cond+` ORDER BY i.start_on, i.code`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Intervention{}
	for rows.Next() {
		i, err := scanIntervention(rows)
		if err != nil {
			return nil, err
		}
		if seesIntervention(a, i) {
			out = append(out, i)
		}
	}
	return out, rows.Err()
}
