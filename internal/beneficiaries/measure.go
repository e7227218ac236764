package beneficiaries

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// Zero (baseline) and end measurements (DOMAIN.md §4): an instrument is a form defined as
// data — questions with scored options — and a person's score on it is the sum of the scores
// of the options chosen, computed here and never typed in. The change between a person's
// baseline and end scores, summarised over a cohort with a confidence interval, is the
// programme's measured effect.

// Measurement kinds.
const (
	KindBaseline = "baseline"
	KindEnd      = "end"
)

// MeasurementKinds are the measurement kinds, in the order they are taken.
var MeasurementKinds = []string{KindBaseline, KindEnd}

// ChangeBys are the groupings the change between baseline and end can be shown by.
var ChangeBys = []string{"site", "province", "group"}

// Option is one answer a question offers, with its score.
type Option struct {
	Code    string  `json:"code"`
	LabelZH string  `json:"label_zh"`
	LabelEN string  `json:"label_en"`
	Score   float64 `json:"score"`
}

// Label is the option's label in lang.
func (o Option) Label(lang string) string { return pick(lang, o.LabelZH, o.LabelEN) }

// Question is one question of an instrument.
type Question struct {
	Code    string   `json:"code"`
	TextZH  string   `json:"text_zh"`
	TextEN  string   `json:"text_en"`
	Options []Option `json:"options"`
}

// Text is the question in lang.
func (q Question) Text(lang string) string { return pick(lang, q.TextZH, q.TextEN) }

// Option returns the question's option with a code.
func (q Question) Option(code string) (Option, bool) {
	for _, o := range q.Options {
		if o.Code == code {
			return o, true
		}
	}
	return Option{}, false
}

// Instrument is a measurement form. Measurements counts the measurements taken on it; an
// instrument in use can no longer be changed.
type Instrument struct {
	ID           int64      `json:"id"`
	Code         string     `json:"code"`
	NameZH       string     `json:"name_zh"`
	NameEN       string     `json:"name_en"`
	Questions    []Question `json:"questions"`
	Measurements int        `json:"measurements"`
	CreatedAt    time.Time  `json:"created_at"`
}

// Name is the instrument's name in lang.
func (in Instrument) Name(lang string) string { return pick(lang, in.NameZH, in.NameEN) }

// MaxScore is the highest score the instrument gives: the sum of each question's best option.
func (in Instrument) MaxScore() float64 {
	var sum float64
	for _, q := range in.Questions {
		best := math.Inf(-1)
		for _, o := range q.Options {
			best = max(best, o.Score)
		}
		if len(q.Options) > 0 {
			sum += best
		}
	}
	return sum
}

func (in *Instrument) normalise() {
	in.Code = strings.TrimSpace(in.Code)
	in.NameZH = strings.TrimSpace(in.NameZH)
	in.NameEN = strings.TrimSpace(in.NameEN)
	for i := range in.Questions {
		q := &in.Questions[i]
		q.Code, q.TextZH, q.TextEN = strings.TrimSpace(q.Code), strings.TrimSpace(q.TextZH), strings.TrimSpace(q.TextEN)
		for j := range q.Options {
			o := &q.Options[j]
			o.Code, o.LabelZH, o.LabelEN = strings.TrimSpace(o.Code), strings.TrimSpace(o.LabelZH), strings.TrimSpace(o.LabelEN)
		}
	}
}

// CheckInstrument validates an instrument. Failures on a question carry its position (1-based)
// as Row: field "questions" (code, text, unique code, at least two options) or "options" (an
// option's code, label, unique code, finite score).
func CheckInstrument(in Instrument) valid.Errors {
	var es valid.Errors
	if es.Required("code", in.Code) {
		es.MaxLen("code", in.Code, 32)
		if strings.ContainsAny(in.Code, " \t,;/") {
			es.Add("code", "code_chars")
		}
	}
	if es.Required("name_zh", in.NameZH) {
		es.MaxLen("name_zh", in.NameZH, 200)
	}
	if es.Required("name_en", in.NameEN) {
		es.MaxLen("name_en", in.NameEN, 200)
	}
	if len(in.Questions) == 0 {
		es.Add("questions", "required")
	}
	row := func(i int, field, rule string, param ...string) {
		e := valid.FieldError{Row: i + 1, Field: field, Rule: rule}
		if len(param) > 0 {
			e.Param = param[0]
		}
		es = append(es, e)
	}
	seen := map[string]bool{}
	for i, q := range in.Questions {
		switch {
		case q.Code == "":
			row(i, "questions", "required")
		case len([]rune(q.Code)) > 32:
			row(i, "questions", "max_len", "32")
		case seen[q.Code]:
			row(i, "questions", "unique", q.Code)
		}
		seen[q.Code] = true
		if q.TextZH == "" && q.TextEN == "" {
			row(i, "question_text", "required")
		}
		if len([]rune(q.TextZH)) > 1000 || len([]rune(q.TextEN)) > 1000 {
			row(i, "question_text", "max_len", "1000")
		}
		if len(q.Options) < 2 {
			row(i, "options", "min_options", "2")
		}
		opts := map[string]bool{}
		for _, o := range q.Options {
			switch {
			case o.Code == "":
				row(i, "options", "required")
			case len([]rune(o.Code)) > 32:
				row(i, "options", "max_len", "32")
			case opts[o.Code]:
				row(i, "options", "unique", o.Code)
			}
			opts[o.Code] = true
			if o.LabelZH == "" && o.LabelEN == "" {
				row(i, "option_label", "required")
			}
			if len([]rune(o.LabelZH)) > 300 || len([]rune(o.LabelEN)) > 300 {
				row(i, "option_label", "max_len", "300")
			}
			if math.IsNaN(o.Score) || math.IsInf(o.Score, 0) {
				row(i, "options", "number")
			}
		}
	}
	return es
}

// SaveInstrument creates an instrument or, by its code, replaces one no measurement uses yet.
func (s *Service) SaveInstrument(ctx context.Context, a access.Actor, in Instrument) (Instrument, error) {
	if err := a.Require(access.EditInstruments); err != nil {
		return Instrument{}, err
	}
	in.normalise()
	if err := CheckInstrument(in).Err(); err != nil {
		return Instrument{}, err
	}
	qs, err := json.Marshal(in.Questions)
	if err != nil {
		return Instrument{}, err
	}
	var out Instrument
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		old, err := instrumentBy(ctx, tx, `i.code = $1`, in.Code)
		switch {
		case errors.Is(err, store.ErrNotFound):
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO instruments (code, name_zh, name_en, questions, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
				in.Code, in.NameZH, in.NameEN, string(qs), store.Now()).Scan(&id); err != nil {
				if store.IsUnique(err) {
					return valid.New("code", "unique", in.Code)
				}
				return err
			}
			if out, err = instrumentBy(ctx, tx, `i.id = $1`, id); err != nil {
				return err
			}
			return audit.Record(ctx, tx, a, "create", "instrument", id, 0, nil, out)
		case err != nil:
			return err
		}
		if old.Measurements > 0 {
			return valid.New("code", "in_use", strconv.Itoa(old.Measurements))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE instruments SET name_zh = $1, name_en = $2, questions = $3 WHERE id = $4`,
			in.NameZH, in.NameEN, string(qs), old.ID); err != nil {
			return err
		}
		if out, err = instrumentBy(ctx, tx, `i.id = $1`, old.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "update", "instrument", old.ID, 0, old, out)
	})
	return out, err
}

const instrumentSelect = `SELECT i.id, i.code, i.name_zh, i.name_en, i.questions, i.created_at,
	(SELECT COUNT(*) FROM measurements m WHERE m.instrument_id = i.id) FROM instruments i`

func scanInstrument(sc interface{ Scan(...any) error }) (Instrument, error) {
	var in Instrument
	var qs string
	var n int64
	if err := sc.Scan(&in.ID, &in.Code, &in.NameZH, &in.NameEN, &qs, &in.CreatedAt, &n); err != nil {
		return Instrument{}, err
	}
	in.Measurements = int(n)
	if err := json.Unmarshal([]byte(qs), &in.Questions); err != nil {
		return Instrument{}, fmt.Errorf("instrument %s: questions: %w", in.Code, err)
	}
	return in, nil
}

func instrumentBy(ctx context.Context, q store.Queryer, cond string, arg any) (Instrument, error) {
	in, err := scanInstrument(q.QueryRowContext(ctx, instrumentSelect+` WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Instrument{}, fmt.Errorf("instrument %v: %w", arg, store.ErrNotFound)
	}
	return in, err
}

// Instruments lists the instruments by code. Instruments hold no personal data: anyone may
// read them.
func (s *Service) Instruments(ctx context.Context) ([]Instrument, error) {
	rows, err := s.db.R.QueryContext(ctx, instrumentSelect+` ORDER BY i.code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Instrument
	for rows.Next() {
		in, err := scanInstrument(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// Instrument returns an instrument by code.
func (s *Service) Instrument(ctx context.Context, code string) (Instrument, error) {
	return instrumentBy(ctx, s.db.R, `i.code = $1`, strings.TrimSpace(code))
}

// MeasurementInput is one measurement of one person on one instrument.
type MeasurementInput struct {
	CardID     int64             `json:"card_id"`
	Instrument string            `json:"instrument"` // the instrument's code
	Kind       string            `json:"kind"`       // baseline or end
	Date       string            `json:"date"`
	Answers    map[string]string `json:"answers"` // question code → option code
}

// Measurement is a stored measurement. Score is the sum of the chosen options' scores.
type Measurement struct {
	ID           int64             `json:"id"`
	CardID       int64             `json:"card_id"`
	Card         string            `json:"card"`
	InstrumentID int64             `json:"instrument_id"`
	Instrument   string            `json:"instrument"`
	NameZH       string            `json:"instrument_name_zh"`
	NameEN       string            `json:"instrument_name_en"`
	Kind         string            `json:"kind"`
	Date         string            `json:"date"`
	Answers      map[string]string `json:"answers"`
	Score        float64           `json:"score"`
	CreatedBy    string            `json:"created_by"`
}

// InstrumentName is the instrument's name in lang.
func (m Measurement) InstrumentName(lang string) string { return pick(lang, m.NameZH, m.NameEN) }

// ScoreAnswers checks a set of answers against the instrument and scores them. Every failure names
// field "answers" with the question's code as Param and its position (1-based) as Row:
// answer_missing (no answer), answer_option (not one of the question's options); answers to
// questions the instrument does not have are answer_unknown.
func ScoreAnswers(in Instrument, answers map[string]string) (float64, valid.Errors) {
	var es valid.Errors
	var score float64
	known := map[string]bool{}
	for i, q := range in.Questions {
		known[q.Code] = true
		a := strings.TrimSpace(answers[q.Code])
		if a == "" {
			es = append(es, valid.FieldError{Row: i + 1, Field: "answers", Rule: "answer_missing", Param: q.Code})
			continue
		}
		o, ok := q.Option(a)
		if !ok {
			es = append(es, valid.FieldError{Row: i + 1, Field: "answers", Rule: "answer_option", Param: q.Code})
			continue
		}
		score += o.Score
	}
	var extra []string
	for k := range answers {
		if !known[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range extra {
		es = append(es, valid.FieldError{Field: "answers", Rule: "answer_unknown", Param: k})
	}
	return score, es
}

// RecordMeasurement records a baseline or end measurement for a live card of the actor's
// scope. An end measurement needs the baseline on the same instrument, taken on or before it; a
// card has one of each kind per instrument, so recording again replaces it (audited with the
// state before and after).
func (s *Service) RecordMeasurement(ctx context.Context, a access.Actor, in MeasurementInput) (Measurement, error) {
	if err := a.Require(access.EditCards); err != nil {
		return Measurement{}, err
	}
	in.Instrument, in.Kind, in.Date = strings.TrimSpace(in.Instrument), strings.TrimSpace(in.Kind), strings.TrimSpace(in.Date)
	today := s.today()
	var es valid.Errors
	if in.CardID == 0 {
		es.Add("card_id", "required")
	}
	es.Required("instrument", in.Instrument)
	if es.Required("kind", in.Kind) {
		es.OneOf("kind", in.Kind, MeasurementKinds)
	}
	if es.Required("date", in.Date) && es.Date("date", in.Date) && in.Date > today {
		es.Add("date", "not_future", today)
	}
	if err := es.Err(); err != nil {
		return Measurement{}, err
	}
	var out Measurement
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.card(ctx, tx, a, in.CardID)
		if err != nil {
			return err
		}
		if c.Anonymised != "" || c.MergedInto != 0 {
			return valid.New("card", "anonymised")
		}
		if len(c.birth) == 10 && in.Date < c.birth {
			return valid.New("date", "before_birth")
		}
		inst, err := instrumentBy(ctx, tx, `i.code = $1`, in.Instrument)
		if errors.Is(err, store.ErrNotFound) {
			return valid.New("instrument", "not_found")
		}
		if err != nil {
			return err
		}
		score, es := ScoreAnswers(inst, in.Answers)
		if err := es.Err(); err != nil {
			return err
		}
		mine, err := measurementsOf(ctx, tx, `m.card_id = $1 AND m.instrument_id = $2`, c.ID, inst.ID)
		if err != nil {
			return err
		}
		var old *Measurement
		for i, m := range mine {
			switch {
			case m.Kind == in.Kind:
				old = &mine[i]
			case m.Kind == KindBaseline && in.Date < m.Date:
				return valid.New("date", "after_baseline", m.Date)
			case m.Kind == KindEnd && in.Date > m.Date:
				return valid.New("date", "before_end", m.Date)
			}
		}
		if in.Kind == KindEnd && !slices.ContainsFunc(mine, func(m Measurement) bool { return m.Kind == KindBaseline }) {
			return valid.New("kind", "needs_baseline")
		}
		answers := map[string]string{}
		for _, q := range inst.Questions {
			answers[q.Code] = strings.TrimSpace(in.Answers[q.Code])
		}
		js, err := json.Marshal(answers)
		if err != nil {
			return err
		}
		now := store.Now()
		var id int64
		if old != nil {
			id = old.ID
			_, err = tx.ExecContext(ctx, `UPDATE measurements SET taken_on = $1, answers = $2, score = $3, created_by = $4, created_at = $5 WHERE id = $6`,
				in.Date, string(js), score, a.PublicID, now, id)
		} else {
			err = tx.QueryRowContext(ctx, `INSERT INTO measurements (card_id, instrument_id, kind, taken_on, answers, score, created_by, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, c.ID, inst.ID, in.Kind, in.Date, string(js), score, a.PublicID, now).Scan(&id)
		}
		if err != nil {
			return err
		}
		got, err := measurementsOf(ctx, tx, `m.id = $1`, id)
		if err != nil {
			return err
		}
		out = got[0]
		if old != nil {
			return audit.Record(ctx, tx, a, "update", "measurement", id, c.SiteID, *old, out)
		}
		return audit.Record(ctx, tx, a, "create", "measurement", id, c.SiteID, nil, out)
	})
	return out, err
}

// Measurements lists a card's measurements, by instrument then kind.
func (s *Service) Measurements(ctx context.Context, a access.Actor, cardID int64) ([]Measurement, error) {
	if _, err := s.Card(ctx, a, cardID); err != nil {
		return nil, err
	}
	return measurementsOf(ctx, s.db.R, `m.card_id = $1`, cardID)
}

func measurementsOf(ctx context.Context, q store.Queryer, cond string, args ...any) ([]Measurement, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.id, m.card_id, c.number, m.instrument_id, i.code, i.name_zh, i.name_en, m.kind, m.taken_on, m.answers, m.score, m.created_by
		FROM measurements m JOIN cards c ON c.id = m.card_id JOIN instruments i ON i.id = m.instrument_id
		WHERE `+cond+` ORDER BY i.code, CASE m.kind WHEN 'baseline' THEN 0 ELSE 1 END, m.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Measurement
	for rows.Next() {
		var m Measurement
		var js string
		if err := rows.Scan(&m.ID, &m.CardID, &m.Card, &m.InstrumentID, &m.Instrument, &m.NameZH, &m.NameEN, &m.Kind, &m.Date, &js, &m.Score, &m.CreatedBy); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(js), &m.Answers); err != nil {
			return nil, fmt.Errorf("measurement %d: answers: %w", m.ID, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ChangeQuery asks for the change between baseline and end on an instrument among the people
// registered in a unit's subtree.
type ChangeQuery struct {
	UnitID     int64  `json:"unit_id"`
	Instrument string `json:"instrument"` // code
	By         string `json:"by"`         // site (default), province or group
}

// ChangeStats summarises the change of a cohort. The confidence interval is Student's t
// interval of the mean change (paired differences), defined from two people on (HasCI).
type ChangeStats struct {
	N            int     `json:"n"`
	MeanBaseline float64 `json:"mean_baseline"`
	MeanEnd      float64 `json:"mean_end"`
	MeanChange   float64 `json:"mean_change"`
	Improved     float64 `json:"improved"` // share whose end score is above their baseline, 0..1
	SD           float64 `json:"sd"`       // sample standard deviation of the change
	HasCI        bool    `json:"has_ci"`
	CILow        float64 `json:"ci_low"`
	CIHigh       float64 `json:"ci_high"`
	// Suppressed: fewer than MinCell people, or the next smallest group of a report where one
	// alone would be (see withholdChange): every figure is withheld (zero), N too.
	Suppressed bool `json:"suppressed"`
}

// ChangeRow is one group of the cohort: a site, a province or a target group (Key is its code),
// or the whole cohort (Key blank).
type ChangeRow struct {
	Key    string `json:"key"`
	UnitID int64  `json:"unit_id,omitempty"` // the site or province
	NameZH string `json:"name_zh,omitempty"`
	NameEN string `json:"name_en,omitempty"`
	ChangeStats
}

// Name is the row's unit name in lang (blank for target groups and the whole cohort).
func (r ChangeRow) Name(lang string) string { return pick(lang, r.NameZH, r.NameEN) }

// ChangeReport is the measured change in a unit's subtree.
type ChangeReport struct {
	UnitID     int64       `json:"unit_id"`
	Instrument Instrument  `json:"instrument"`
	By         string      `json:"by"`
	Rows       []ChangeRow `json:"rows"`    // by site or province code, or in the order of Groups
	Overall    ChangeRow   `json:"overall"` // everyone once
}

// Change measures the change from baseline to end on an instrument among the people registered
// at the sites of a unit's subtree who have both. By "group" a person counts under each of their
// target groups (people with none appear only in Overall). To an actor who may not see counts
// exactly (Exact) groups of fewer than MinCell people are withheld (withholdChange).
func (s *Service) Change(ctx context.Context, a access.Actor, q ChangeQuery) (ChangeReport, error) {
	if err := a.Require(access.ViewReach); err != nil {
		return ChangeReport{}, err
	}
	if q.By == "" {
		q.By = "site"
	}
	var es valid.Errors
	es.Required("instrument", q.Instrument)
	es.OneOf("by", q.By, ChangeBys)
	if err := es.Err(); err != nil {
		return ChangeReport{}, err
	}
	path, err := scopedUnit(ctx, s.db.R, a, q.UnitID)
	if err != nil {
		return ChangeReport{}, err
	}
	inst, err := s.Instrument(ctx, q.Instrument)
	if errors.Is(err, store.ErrNotFound) {
		return ChangeReport{}, valid.New("instrument", "not_found")
	}
	if err != nil {
		return ChangeReport{}, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT c.site_id, su.code, su.name_zh, su.name_en, c.province_id, pu.code, pu.name_zh, pu.name_en, c.groups, b.score, e.score
		FROM cards c JOIN org_units su ON su.id = c.site_id JOIN org_units pu ON pu.id = c.province_id
		JOIN measurements b ON b.card_id = c.id AND b.instrument_id = $1 AND b.kind = 'baseline'
		JOIN measurements e ON e.card_id = c.id AND e.instrument_id = $1 AND e.kind = 'end'
		WHERE su.path LIKE $2 AND c.merged_into IS NULL`, inst.ID, path+"%")
	if err != nil {
		return ChangeReport{}, err
	}
	defer rows.Close()
	type group struct {
		row   ChangeRow
		pairs [][2]float64
	}
	groups := map[string]*group{}
	var all [][2]float64
	put := func(r ChangeRow, p [2]float64) {
		g := groups[r.Key]
		if g == nil {
			g = &group{row: r}
			groups[r.Key] = g
		}
		g.pairs = append(g.pairs, p)
	}
	for rows.Next() {
		var site, prov ChangeRow
		var gs string
		var p [2]float64
		if err := rows.Scan(&site.UnitID, &site.Key, &site.NameZH, &site.NameEN, &prov.UnitID, &prov.Key, &prov.NameZH, &prov.NameEN, &gs, &p[0], &p[1]); err != nil {
			return ChangeReport{}, err
		}
		all = append(all, p)
		switch q.By {
		case "site":
			put(site, p)
		case "province":
			put(prov, p)
		default:
			for _, g := range analytics.SplitGroups(gs) {
				put(ChangeRow{Key: g}, p)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return ChangeReport{}, err
	}
	out := ChangeReport{UnitID: q.UnitID, Instrument: inst, By: q.By, Overall: ChangeRow{ChangeStats: SummariseChange(all)}}
	for _, g := range groups {
		g.row.ChangeStats = SummariseChange(g.pairs)
		out.Rows = append(out.Rows, g.row)
	}
	slices.SortFunc(out.Rows, func(x, y ChangeRow) int {
		if q.By == "group" {
			ix, iy := slices.Index(Groups, x.Key), slices.Index(Groups, y.Key)
			if ix != iy {
				if ix < 0 {
					return 1
				}
				if iy < 0 {
					return -1
				}
				return ix - iy
			}
		}
		return strings.Compare(x.Key, y.Key)
	})
	if !Exact(a) {
		withholdChange(&out)
	}
	return out, nil
}

// withholdChange withholds, as every count shown to someone who may not see counts exactly
// must be, the statistics of each group of fewer than MinCell people: its N, means, interval and
// share improved. Overall still counts them. Where exactly one group is withheld the next
// smallest goes with it, so the withheld one cannot be worked out from Overall and the rest;
// when there is no other group to take, Overall is withheld instead. An Overall of fewer than
// MinCell people is withheld too.
func withholdChange(rep *ChangeReport) {
	small := func(st ChangeStats) bool { return st.N > 0 && st.N < MinCell }
	withhold := func(st *ChangeStats) { *st = ChangeStats{Suppressed: true} }
	hidden, best := 0, -1
	for i := range rep.Rows {
		if small(rep.Rows[i].ChangeStats) {
			withhold(&rep.Rows[i].ChangeStats)
			hidden++
		}
	}
	if hidden == 1 {
		for i, r := range rep.Rows {
			if !r.Suppressed && r.N > 0 && (best < 0 || r.N < rep.Rows[best].N) {
				best = i
			}
		}
		if best >= 0 {
			withhold(&rep.Rows[best].ChangeStats)
		} else {
			withhold(&rep.Overall.ChangeStats)
		}
	}
	if small(rep.Overall.ChangeStats) {
		withhold(&rep.Overall.ChangeStats)
	}
}

// SummariseChange computes the figures of a cohort from its (baseline, end) score pairs. The
// 95% interval of the mean change is mean ± t(0.975, n-1) × sd / √n.
func SummariseChange(pairs [][2]float64) ChangeStats {
	st := ChangeStats{N: len(pairs)}
	if st.N == 0 {
		return st
	}
	n := float64(st.N)
	var improved int
	for _, p := range pairs {
		st.MeanBaseline += p[0]
		st.MeanEnd += p[1]
		st.MeanChange += p[1] - p[0]
		if p[1] > p[0] {
			improved++
		}
	}
	st.MeanBaseline /= n
	st.MeanEnd /= n
	st.MeanChange /= n
	st.Improved = float64(improved) / n
	st.CILow, st.CIHigh = st.MeanChange, st.MeanChange
	if st.N < 2 {
		return st
	}
	var ss float64
	for _, p := range pairs {
		d := p[1] - p[0] - st.MeanChange
		ss += d * d
	}
	st.SD = math.Sqrt(ss / (n - 1))
	half := TQuantile975(st.N-1) * st.SD / math.Sqrt(n)
	st.HasCI = true
	st.CILow, st.CIHigh = st.MeanChange-half, st.MeanChange+half
	return st
}

// t975 are Student's t 0.975 quantiles for 1..30 degrees of freedom (standard tables, 4 decimals).
var t975 = [...]float64{12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
	2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
	2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423}

// TQuantile975 is the 0.975 quantile of Student's t with df degrees of freedom, the factor of a
// two-sided 95% confidence interval: from the table for df 1..30; above, the Cornish-Fisher
// expansion around the normal quantile z = 1.959964, z + (z³+z)/(4df) + (5z⁵+16z³+3z)/(96df²),
// i.e. 1.959964 + 2.3723/df + 2.8224/df², within 0.0001 of the exact value from df 31 on (it
// gives 2.0394 at 31, 2.0003 at 60, 1.9799 at 120). df below 1 has no interval: +Inf.
func TQuantile975(df int) float64 {
	if df < 1 {
		return math.Inf(1)
	}
	if df <= len(t975) {
		return t975[df-1]
	}
	const z = 1.959964
	d := float64(df)
	return z + (z*z*z+z)/(4*d) + (5*math.Pow(z, 5)+16*z*z*z+3*z)/(96*d*d)
}
