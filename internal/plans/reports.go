package plans

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/valid"
)

// Report is one report an intervention's schedule owes, with what the agency wrote in it.
type Report struct {
	ID             int64           `json:"id"`
	InterventionID int64           `json:"intervention_id"`
	Intervention   string          `json:"intervention_code"`
	Seq            int             `json:"seq"`
	Kind           string          `json:"kind"`
	PeriodStart    string          `json:"period_start"`
	PeriodEnd      string          `json:"period_end"`
	Due            string          `json:"due_on"`
	GraceUntil     string          `json:"grace_until"`
	Status         string          `json:"status"`
	Progress       string          `json:"progress"`
	Challenges     string          `json:"challenges"`
	Lessons        string          `json:"lessons"`
	Practices      string          `json:"practices"`
	FirstSubmitted string          `json:"first_submitted_on,omitempty"`
	SubmittedOn    string          `json:"submitted_on,omitempty"`
	ApprovedOn     string          `json:"approved_on,omitempty"`
	Version        int             `json:"version"`
	Expenditure    map[int64]int64 `json:"expenditure"` // budget line id → hundredths
	Values         []ReportValue   `json:"values"`
	Events         []Event         `json:"events,omitempty"`
	Attachments    []Attachment    `json:"attachments,omitempty"`
	DaysLate       int             `json:"days_late"`
}

// Ref is how the report is cited as the source of a value: the intervention's code and seq.
func (r Report) Ref() string { return fmt.Sprintf("%s/R%d", r.Intervention, r.Seq) }

// ReportValue is an indicator value the report gives for a unit.
type ReportValue struct {
	Indicator string  `json:"indicator"`
	UnitID    int64   `json:"unit_id"`
	Combo     string  `json:"combo"`
	Value     float64 `json:"value"`
}

// Event is one transition of a report.
type Event struct {
	Action  string    `json:"action"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Comment string    `json:"comment,omitempty"`
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
}

// Attachment is a file attached to a report.
type Attachment struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

const reportCols = `r.id, r.intervention_id, i.code, r.seq, r.kind, r.period_start, r.period_end, r.due_on, r.grace_until, r.status,
	r.progress, r.challenges, r.lessons, r.practices, r.first_submitted_on, r.submitted_on, r.approved_on, r.version`

func scanReport(sc interface{ Scan(...any) error }) (Report, error) {
	var r Report
	err := sc.Scan(&r.ID, &r.InterventionID, &r.Intervention, &r.Seq, &r.Kind, &r.PeriodStart, &r.PeriodEnd, &r.Due, &r.GraceUntil, &r.Status,
		&r.Progress, &r.Challenges, &r.Lessons, &r.Practices, &r.FirstSubmitted, &r.SubmittedOn, &r.ApprovedOn, &r.Version)
	return r, err
}

func (r *Report) lateness(today string) {
	d, err := DaysLate(ReportDue{Due: r.Due, GraceUntil: r.GraceUntil}, r.FirstSubmitted, today)
	if err == nil {
		r.DaysLate = d
	}
}

// Reports lists an intervention's reports in order.
func (s *Service) Reports(ctx context.Context, a access.Actor, interventionID int64) ([]Report, error) {
	if _, err := s.Intervention(ctx, a, interventionID); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+reportCols+` FROM reports r JOIN interventions i ON i.id = r.intervention_id
		WHERE r.intervention_id = $1 ORDER BY r.seq`, interventionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Report{}
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		r.lateness(s.today())
		out = append(out, r)
	}
	return out, rows.Err()
}

// Report returns one report whole: expenditure, values, history and attachments.
func (s *Service) Report(ctx context.Context, a access.Actor, id int64) (Report, error) {
	r, _, err := s.report(ctx, s.db.R, a, id)
	return r, err
}

func (s *Service) report(ctx context.Context, q store.Queryer, a access.Actor, id int64) (Report, Intervention, error) {
	r, err := scanReport(q.QueryRowContext(ctx, `SELECT `+reportCols+` FROM reports r JOIN interventions i ON i.id = r.intervention_id WHERE r.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, Intervention{}, fmt.Errorf("report %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return r, Intervention{}, err
	}
	iv, err := s.intervention(ctx, q, a, r.InterventionID)
	if err != nil {
		return r, iv, fmt.Errorf("report %d: %w", id, err)
	}
	r.lateness(s.today())
	r.Expenditure = map[int64]int64{}
	rows, err := q.QueryContext(ctx, `SELECT budget_line_id, amount FROM report_expenditures WHERE report_id = $1`, id)
	if err != nil {
		return r, iv, err
	}
	for rows.Next() {
		var line, amount int64
		if err := rows.Scan(&line, &amount); err != nil {
			rows.Close()
			return r, iv, err
		}
		r.Expenditure[line] = amount
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT n.code, v.unit_id, v.combo, v.value FROM report_values v JOIN indicators n ON n.id = v.indicator_id
		WHERE v.report_id = $1 ORDER BY n.code, v.unit_id, v.combo`, id)
	if err != nil {
		return r, iv, err
	}
	for rows.Next() {
		var v ReportValue
		if err := rows.Scan(&v.Indicator, &v.UnitID, &v.Combo, &v.Value); err != nil {
			rows.Close()
			return r, iv, err
		}
		r.Values = append(r.Values, v)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT action, from_status, to_status, comment, actor, at FROM report_events WHERE report_id = $1 ORDER BY id`, id)
	if err != nil {
		return r, iv, err
	}
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.Action, &e.From, &e.To, &e.Comment, &e.Actor, &e.At); err != nil {
			rows.Close()
			return r, iv, err
		}
		r.Events = append(r.Events, e)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT id, name, content_type, size, sha256, uploaded_at FROM report_attachments WHERE report_id = $1 ORDER BY id`, id)
	if err != nil {
		return r, iv, err
	}
	defer rows.Close()
	for rows.Next() {
		var at Attachment
		if err := rows.Scan(&at.ID, &at.Name, &at.ContentType, &at.Size, &at.SHA256, &at.UploadedAt); err != nil {
			return r, iv, err
		}
		r.Attachments = append(r.Attachments, at)
	}
	return r, iv, rows.Err()
}

// ReportDraft is what an agency writes into a report.
type ReportDraft struct {
	Progress    string          `json:"progress"`
	Challenges  string          `json:"challenges"`
	Lessons     string          `json:"lessons"`
	Practices   string          `json:"practices"`
	Expenditure map[int64]int64 `json:"expenditure"` // budget line id → hundredths
	Values      []ReportValue   `json:"values"`
}

// mayFill reports whether the actor writes this intervention's reports: its agency's reporters.
func mayFill(a access.Actor, iv Intervention) error {
	if err := a.Require(access.FillReports); err != nil {
		return err
	}
	// A reporter writes for one agency; one without an agency (an account made before the
	// partner was required) writes for none.
	if a.PartnerID == 0 || a.PartnerID != iv.AgencyID {
		return access.ErrForbidden
	}
	return nil
}

// SaveDraft stores what the agency has written so far; a draft or a returned report can be edited.
func (s *Service) SaveDraft(ctx context.Context, a access.Actor, id int64, d ReportDraft) (Report, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, iv, err := s.report(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := mayFill(a, iv); err != nil {
			return err
		}
		if r.Status != StatusDraft && r.Status != StatusReturned {
			return valid.New("status", "report_not_editable", r.Status)
		}
		if es := s.checkDraft(ctx, tx, a, r, iv, d); es.Err() != nil {
			return es
		}
		return s.writeDraft(ctx, tx, a, r, iv, d)
	})
	if err != nil {
		return Report{}, err
	}
	return s.Report(ctx, a, id)
}

// checkDraft: narrative length, expenditure per line (not negative, and with the approved and
// pending reports before it not above the line's budget), values in the intervention's
// locations for its indicators.
func (s *Service) checkDraft(ctx context.Context, q store.Queryer, a access.Actor, r Report, iv Intervention, d ReportDraft) valid.Errors {
	var es valid.Errors
	for field, text := range map[string]string{"progress": d.Progress, "challenges": d.Challenges, "lessons": d.Lessons, "practices": d.Practices} {
		es.MaxLen(field, text, 20000)
	}
	spent, err := s.spentBefore(ctx, q, iv.ID, r.Seq)
	if err != nil {
		return valid.Errors{{Field: "expenditure", Rule: "unavailable"}}
	}
	for i, lid := range iv.LineIDs {
		amount, ok := d.Expenditure[lid]
		if !ok {
			continue
		}
		switch {
		case amount < 0:
			es = append(es, valid.FieldError{Row: i + 1, Field: "amount", Rule: "not_negative"})
		case spent[lid]+amount > iv.Lines[i].Amount:
			es = append(es, valid.FieldError{Row: i + 1, Field: "amount", Rule: "over_budget_line", Param: formatMoney(iv.Lines[i].Amount - spent[lid])})
		}
	}
	for lid := range d.Expenditure {
		if !slices.Contains(iv.LineIDs, lid) {
			es.Add("expenditure", "not_found")
			break
		}
	}
	allowed := map[string]bool{}
	for _, t := range iv.Indicators {
		allowed[t.Code] = true
	}
	// A value obeys its indicator's type as data entry does (a count whole, not negative, at
	// most results.MaxFigure; a percentage 0-100), so a draft cannot hold what approval would
	// refuse or write.
	inds := map[string]results.Indicator{}
	for i, v := range d.Values {
		switch {
		case !allowed[v.Indicator]:
			es = append(es, valid.FieldError{Row: i + 1, Field: "indicator", Rule: "not_contributed"})
		case !slices.Contains(iv.Locations, v.UnitID) && !s.inLocations(ctx, a, iv, v.UnitID):
			es = append(es, valid.FieldError{Row: i + 1, Field: "unit_id", Rule: "outside_locations"})
		case v.Value < 0:
			es = append(es, valid.FieldError{Row: i + 1, Field: "value", Rule: "not_negative"})
		default:
			ind, seen := inds[v.Indicator]
			if !seen {
				var err error
				if ind, err = s.results.IndicatorByCode(ctx, access.System, v.Indicator); err != nil {
					es = append(es, valid.FieldError{Row: i + 1, Field: "indicator", Rule: "not_found"})
					continue
				}
				inds[v.Indicator] = ind
			}
			if rule, param := results.CheckFigure(ind, v.Value); rule != "" {
				es = append(es, valid.FieldError{Row: i + 1, Field: "value", Rule: rule, Param: param})
			}
		}
	}
	return es
}

// inLocations: a value may be given for a location or any unit inside one.
func (s *Service) inLocations(ctx context.Context, a access.Actor, iv Intervention, unitID int64) bool {
	u, err := s.org.Unit(ctx, access.System, unitID)
	if err != nil {
		return false
	}
	for _, l := range iv.Locations {
		if lu, err := s.org.Unit(ctx, access.System, l); err == nil && strings.HasPrefix(u.Path, lu.Path) {
			return true
		}
	}
	return false
}

// spentBefore sums, per budget line, the expenditure of the intervention's earlier reports
// that are not drafts (submitted, reviewed, returned or approved).
func (s *Service) spentBefore(ctx context.Context, q store.Queryer, interventionID int64, seq int) (map[int64]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT e.budget_line_id, SUM(e.amount) FROM report_expenditures e JOIN reports r ON r.id = e.report_id
		WHERE r.intervention_id = $1 AND r.seq < $2 AND r.status <> $3 GROUP BY e.budget_line_id`, interventionID, seq, StatusDraft)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var lid, sum int64
		if err := rows.Scan(&lid, &sum); err != nil {
			return nil, err
		}
		out[lid] = sum
	}
	return out, rows.Err()
}

func (s *Service) writeDraft(ctx context.Context, tx *sql.Tx, a access.Actor, r Report, iv Intervention, d ReportDraft) error {
	if _, err := tx.ExecContext(ctx, `UPDATE reports SET progress = $1, challenges = $2, lessons = $3, practices = $4, version = version + 1, updated_at = $5 WHERE id = $6`,
		strings.TrimSpace(d.Progress), strings.TrimSpace(d.Challenges), strings.TrimSpace(d.Lessons), strings.TrimSpace(d.Practices), store.Now(), r.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM report_expenditures WHERE report_id = $1`, r.ID); err != nil {
		return err
	}
	for lid, amount := range d.Expenditure {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_expenditures (report_id, budget_line_id, amount) VALUES ($1, $2, $3)`, r.ID, lid, amount); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM report_values WHERE report_id = $1`, r.ID); err != nil {
		return err
	}
	ids := map[string]int64{}
	for _, t := range iv.Indicators {
		ids[t.Code] = t.IndicatorID
	}
	for _, v := range d.Values {
		combo, err := results.NormaliseCombo(v.Combo)
		if err != nil {
			return valid.New("combo", "combo")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_values (report_id, indicator_id, unit_id, combo, value) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (report_id, indicator_id, unit_id, combo) DO UPDATE SET value = excluded.value`, r.ID, ids[v.Indicator], v.UnitID, combo, v.Value); err != nil {
			return err
		}
	}
	return audit.Record(ctx, tx, a, "save", "report", r.ID, iv.UnitID, nil, d)
}

// ValuePeriod is the results period a report's values are recorded in: the calendar month in
// which the report's period ends (any range that contains that month counts them).
func ValuePeriod(r Report) string { return r.PeriodEnd[:7] }

// valueInputs turns a report's values into results values for the month its period ends.
func valueInputs(r Report, vals []ReportValue) []results.ValueInput {
	out := make([]results.ValueInput, 0, len(vals))
	for _, v := range vals {
		x := v.Value
		out = append(out, results.ValueInput{Indicator: v.Indicator, UnitID: v.UnitID, Period: ValuePeriod(r), Combo: v.Combo, Value: &x,
			Source: "report", SourceRef: r.Ref()})
	}
	return out
}

// Submit sends a draft or returned report for review. It checks everything approval will write
// (the values against the results framework's rules included), so errors come to the agency now.
// key identifies the attempt: submitting again with the same key (a double click, a retry on a
// bad connection) returns the report as it is and records nothing twice.
func (s *Service) Submit(ctx context.Context, a access.Actor, id int64, key string) (Report, error) {
	r, iv, err := s.report(ctx, s.db.R, a, id)
	if err != nil {
		return Report{}, err
	}
	if err := mayFill(a, iv); err != nil {
		return Report{}, err
	}
	if key != "" && r.Status == StatusSubmitted && s.submitKey(ctx, id) == key {
		return r, nil
	}
	var es valid.Errors
	es.Required("progress", r.Progress)
	if len(r.Values) > 0 {
		if _, err := s.results.CheckValues(ctx, a, valueInputs(r, r.Values)); err != nil {
			vs, ok := valid.As(err)
			if !ok {
				return Report{}, err
			}
			es = append(es, vs...)
		}
	}
	if es.Err() != nil {
		return Report{}, s.explainOverlaps(ctx, r, es)
	}
	today := s.today()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE reports SET status = $1, submitted_on = $2, submit_key = $3, version = version + 1, updated_at = $4,
			first_submitted_on = CASE WHEN first_submitted_on = '' THEN $2 ELSE first_submitted_on END
			WHERE id = $5 AND status IN ($6, $7)`, StatusSubmitted, today, key, store.Now(), id, StatusDraft, StatusReturned)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var status, k string
			if err := tx.QueryRowContext(ctx, "SELECT status, submit_key FROM reports WHERE id = $1", id).Scan(&status, &k); err != nil {
				return err
			}
			if status == StatusSubmitted && key != "" && k == key {
				return nil // a concurrent retry of this attempt got there first
			}
			return valid.New("status", "report_not_editable", status)
		}
		return s.event(ctx, tx, a, r, iv, "submit", r.Status, StatusSubmitted, "")
	})
	if err != nil {
		return Report{}, err
	}
	return s.Report(ctx, a, id)
}

func (s *Service) submitKey(ctx context.Context, id int64) string {
	var k string
	s.db.R.QueryRowContext(ctx, "SELECT submit_key FROM reports WHERE id = $1", id).Scan(&k)
	return k
}

func (s *Service) event(ctx context.Context, tx *sql.Tx, a access.Actor, r Report, iv Intervention, action, from, to, comment string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO report_events (report_id, action, from_status, to_status, comment, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		r.ID, action, from, to, comment, a.PublicID, s.now()); err != nil {
		return err
	}
	return audit.Record(ctx, tx, a, action, "report", r.ID, iv.UnitID, map[string]any{"status": from}, map[string]any{"status": to, "comment": comment})
}

// Review forwards a submitted report to the national office (provincial office, in scope).
func (s *Service) Review(ctx context.Context, a access.Actor, id int64, comment string) (Report, error) {
	return s.decide(ctx, a, id, access.ReviewReports, "review", []string{StatusSubmitted}, StatusReviewed, comment)
}

// Return sends a submitted or reviewed report back to the agency with comments; its history stays.
func (s *Service) Return(ctx context.Context, a access.Actor, id int64, comment string) (Report, error) {
	if strings.TrimSpace(comment) == "" {
		return Report{}, valid.New("comment", "required")
	}
	perm := access.ApproveReports
	if !a.Can(perm) {
		perm = access.ReviewReports
	}
	return s.decide(ctx, a, id, perm, "return", []string{StatusSubmitted, StatusReviewed}, StatusReturned, comment)
}

// Approve accepts a reviewed report (national office). Its indicator values become results
// values in the same transaction, and the tranche waiting on it becomes releasable.
func (s *Service) Approve(ctx context.Context, a access.Actor, id int64, comment string) (Report, error) {
	return s.decide(ctx, a, id, access.ApproveReports, "approve", []string{StatusReviewed}, StatusApproved, comment)
}

func (s *Service) decide(ctx context.Context, a access.Actor, id int64, perm access.Permission, action string, from []string, to, comment string) (Report, error) {
	if err := a.Require(perm); err != nil {
		return Report{}, err
	}
	var rep Report // as read in the transaction, to explain a refusal of its values
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, iv, err := s.report(ctx, tx, a, id)
		if err != nil {
			return err
		}
		rep = r
		if a.PartnerID != 0 {
			return access.ErrForbidden // agencies do not judge reports
		}
		if !slices.Contains(from, r.Status) {
			return valid.New("status", "report_transition", r.Status)
		}
		approved := ""
		if to == StatusApproved {
			approved = s.today()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET status = $1, approved_on = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND status = $5`,
			to, approved, store.Now(), id, r.Status); err != nil {
			return err
		}
		if to == StatusApproved && len(r.Values) > 0 {
			if err := s.recordValues(ctx, tx, a, r); err != nil {
				return err
			}
		}
		return s.event(ctx, tx, a, r, iv, action, r.Status, to, strings.TrimSpace(comment))
	})
	if es, ok := valid.As(err); ok && rep.ID != 0 {
		err = s.explainOverlaps(ctx, rep, es)
	}
	if err != nil {
		return Report{}, err
	}
	return s.Report(ctx, a, id)
}

// Overlap is a value already recorded in the results framework that a report's value would
// count a second time: the same indicator, unit and disaggregation for a period that contains
// the month the report's value is counted in (a provincial office's figure for January-April
// beside a report whose period ends in April). Numbers stay exact only if one of the two goes:
// the report leaves its figure blank, or the office that keeps the recorded value deletes it.
type Overlap struct {
	Row       int    `json:"row"`        // the report's value, 1-based in Report.Values
	Period    string `json:"period"`     // the recorded value's period key (2012T1)
	Source    string `json:"source"`     // how it was recorded: entry, import, dhis2 …
	SourceRef string `json:"source_ref"` // the source it cites
	// EnteredBy names the account that entered it ("" when it is not a user's, e.g. a
	// programme load); Office is that account's unit, or else the province of the value's unit:
	// the office to ask to delete it.
	EnteredBy string `json:"entered_by,omitempty"`
	OfficeZH  string `json:"office_name_zh"`
	OfficeEN  string `json:"office_name_en"`
}

// Office is the name, in lang, of the office that keeps the recorded value.
func (o Overlap) Office(lang string) string { return pick(lang, o.OfficeZH, o.OfficeEN) }

// OverlapError refuses a report's values that would double count recorded ones. It is
// valid.Errors (the rule report_value_overlaps on the field value of each such row, with the
// recorded value's period as Param, beside any other failures), with who holds each value.
type OverlapError struct {
	Errors   valid.Errors
	Overlaps []Overlap
}

func (e *OverlapError) Error() string { return e.Errors.Error() }
func (e *OverlapError) Unwrap() error { return e.Errors }

// explainOverlaps turns the results framework's period_overlaps failures of r's values (rows of
// valueInputs, in r.Values' order) into report_value_overlaps failures on the value, and says
// who recorded the value each overlaps. es is returned as it is when none is found.
func (s *Service) explainOverlaps(ctx context.Context, r Report, es valid.Errors) error {
	var out []Overlap
	for i, e := range es {
		if e.Rule != "period_overlaps" || e.Row < 1 || e.Row > len(r.Values) {
			continue
		}
		v := r.Values[e.Row-1]
		o := Overlap{Row: e.Row, Period: e.Param}
		var enteredBy string
		var unitPath string
		err := s.db.R.QueryRowContext(ctx, `SELECT d.source, d.source_ref, d.entered_by, u.path FROM data_values d JOIN indicators n ON n.id = d.indicator_id
			JOIN org_units u ON u.id = d.unit_id WHERE n.code = $1 AND d.unit_id = $2 AND d.combo = $3 AND d.period = $4`,
			v.Indicator, v.UnitID, v.Combo, e.Param).Scan(&o.Source, &o.SourceRef, &enteredBy, &unitPath)
		if errors.Is(err, sql.ErrNoRows) {
			continue // deleted since: the failure stands as the framework said it
		}
		if err != nil {
			return err
		}
		office := int64(0)
		var name string
		var unitID int64
		err = s.db.R.QueryRowContext(ctx, `SELECT display_name, unit_id FROM users WHERE public_id = $1`, enteredBy).Scan(&name, &unitID)
		switch {
		case err == nil:
			o.EnteredBy, office = name, unitID
		case !errors.Is(err, sql.ErrNoRows):
			return err
		default:
			// Not an account's: the values of a unit are kept by its province's office (the
			// second unit of its path), or the national office's above the provinces.
			ids := strings.Split(strings.Trim(unitPath, "/"), "/")
			if len(ids) > 1 {
				ids = ids[:2]
			}
			fmt.Sscan(ids[len(ids)-1], &office)
		}
		if u, err := s.org.Unit(ctx, access.System, office); err == nil {
			o.OfficeZH, o.OfficeEN = u.NameZH, u.NameEN
		}
		es[i].Field, es[i].Rule = "value", "report_value_overlaps"
		out = append(out, o)
	}
	if len(out) == 0 {
		return es
	}
	return &OverlapError{Errors: es, Overlaps: out}
}

// recordValues writes an approved report's values into the results framework. Where several
// approved reports give a value for the same indicator, unit, month and disaggregation (two
// interventions training teachers in one county), the stored value is their sum, citing each.
func (s *Service) recordValues(ctx context.Context, tx *sql.Tx, a access.Actor, r Report) error {
	var inputs []results.ValueInput
	for _, v := range r.Values {
		var sum float64
		var refs []string
		rows, err := tx.QueryContext(ctx, `SELECT v.value, i.code, r.seq FROM report_values v JOIN reports r ON r.id = v.report_id
			JOIN interventions i ON i.id = r.intervention_id JOIN indicators n ON n.id = v.indicator_id
			WHERE n.code = $1 AND v.unit_id = $2 AND v.combo = $3 AND (r.status = $4 OR r.id = $5) AND substr(r.period_end, 1, 7) = $6
			ORDER BY i.code, r.seq`, v.Indicator, v.UnitID, v.Combo, StatusApproved, r.ID, ValuePeriod(r))
		if err != nil {
			return err
		}
		for rows.Next() {
			var x float64
			var code string
			var seq int
			if err := rows.Scan(&x, &code, &seq); err != nil {
				rows.Close()
				return err
			}
			sum += x
			refs = append(refs, fmt.Sprintf("%s/R%d", code, seq))
		}
		rows.Close()
		in := valueInputs(r, []ReportValue{{Indicator: v.Indicator, UnitID: v.UnitID, Combo: v.Combo, Value: sum}})[0]
		in.SourceRef = strings.Join(refs, " + ")
		inputs = append(inputs, in)
	}
	_, err := s.results.SaveValuesTx(ctx, tx, a, inputs)
	return err
}

// Attachment limits.
const (
	MaxAttachment  = 10 << 20
	MaxAttachments = 20
)

// attachmentTypes are the files a report may carry, by the type sniffed from their content.
var attachmentTypes = map[string][]string{
	"application/pdf":           {".pdf"},
	"image/jpeg":                {".jpg", ".jpeg"},
	"image/png":                 {".png"},
	"application/zip":           {".docx", ".xlsx", ".pptx"}, // Office files are zip archives
	"application/x-ole":         {".doc", ".xls"},
	"text/plain; charset=utf-8": {".txt", ".csv"},
}

// Attach adds a file to a draft or returned report: at most MaxAttachment bytes, of a type
// whose content matches its extension.
func (s *Service) Attach(ctx context.Context, a access.Actor, id int64, name string, data []byte) (Attachment, error) {
	name = filepath.Base(strings.TrimSpace(name))
	ext := strings.ToLower(filepath.Ext(name))
	ctype := http.DetectContentType(data)
	if ctype == "application/octet-stream" && len(data) >= 8 && string(data[:4]) == "\xd0\xcf\x11\xe0" {
		ctype = "application/x-ole"
	}
	var es valid.Errors
	switch {
	case name == "" || name == ".":
		es.Add("file", "required")
	case len(data) == 0:
		es.Add("file", "empty_file")
	case len(data) > MaxAttachment:
		es.Add("file", "file_too_large", "10 MB")
	case !slices.Contains(attachmentTypes[ctype], ext):
		es.Add("file", "file_type", "PDF, JPG, PNG, DOC(X), XLS(X), PPTX, TXT, CSV")
	}
	if es.Err() != nil {
		return Attachment{}, es
	}
	sum := sha256.Sum256(data)
	at := Attachment{Name: name, ContentType: ctype, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, iv, err := s.report(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := mayFill(a, iv); err != nil {
			return err
		}
		if r.Status != StatusDraft && r.Status != StatusReturned {
			return valid.New("status", "report_not_editable", r.Status)
		}
		if len(r.Attachments) >= MaxAttachments {
			return valid.New("file", "too_many_files", fmt.Sprint(MaxAttachments))
		}
		at.UploadedAt = s.now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO report_attachments (report_id, name, content_type, size, sha256, data, uploaded_by, uploaded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, id, at.Name, at.ContentType, at.Size, at.SHA256, data, a.PublicID, at.UploadedAt).Scan(&at.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "attach", "report", id, iv.UnitID, nil, at)
	})
	return at, err
}

// AttachmentData returns an attachment's bytes to whoever may see its report.
func (s *Service) AttachmentData(ctx context.Context, a access.Actor, reportID, attachmentID int64) (Attachment, []byte, error) {
	if _, err := s.Report(ctx, a, reportID); err != nil {
		return Attachment{}, nil, err
	}
	var at Attachment
	var data []byte
	err := s.db.R.QueryRowContext(ctx, `SELECT id, name, content_type, size, sha256, uploaded_at, data FROM report_attachments WHERE id = $1 AND report_id = $2`,
		attachmentID, reportID).Scan(&at.ID, &at.Name, &at.ContentType, &at.Size, &at.SHA256, &at.UploadedAt, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return at, nil, fmt.Errorf("attachment %d: %w", attachmentID, store.ErrNotFound)
	}
	return at, data, err
}

// formatMoney writes hundredths as a decimal amount with two places.
func formatMoney(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}
