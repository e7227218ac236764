package demo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/beneficiaries"
	"ting/internal/seal"
	"ting/internal/store"
)

// Zero and end measurements (seed 000: "a baseline (zero) and end measurement form" for each
// assisted girl, "recently developed or modified"). The demo defines the form as an instrument,
// a short test of what a girl or young woman knows of safe migration and her labour rights, and
// measures the girls and young women (12-24) who first came to a few Women's Homes and pilot
// schools in early 2012 — the form's first cohort — at their first service, and again, for
// those who came back, six to twelve weeks later, by AsOf. Their answers are drawn
// (deterministically, from each card's number) and scored as the service scores them; nothing
// the measured-change page shows is typed in: it is computed from these measurements.

// measureCode is the code of the demo's instrument.
const measureCode = "SAFE-MIG"

// safeMigration is the baseline and end form. Each question's best answer scores 2, a partly
// safe one 1, the rest (and "don't know") 0.
var safeMigration = beneficiaries.Instrument{
	Code:   measureCode,
	NameZH: "安全流动与劳动权益知识测评（基线/终期）",
	NameEN: "Safe migration and labour rights: baseline and end measurement",
	Questions: []beneficiaries.Question{
		{Code: "leaving", TextZH: "外出打工前，最重要的准备是什么？", TextEN: "What matters most before you leave home to work elsewhere?",
			Options: opts(
				"money", "带够钱就行", "Taking enough money", 0,
				"phone", "记下家人的电话", "Writing down my family's phone number", 1,
				"plan", "带好身份证和复印件，记下家人和求助电话，告诉家人去哪里、跟谁去", "Taking my ID card and a copy, noting my family's and help-line numbers, and telling my family where I am going and with whom", 2,
				"dk", "不知道", "Don't know", 0)},
		{Code: "offer", TextZH: "一个不认识的人介绍你去外地做高薪工作，要你马上跟他走，不要告诉家里人。你会怎么做？",
			TextEN: "A stranger offers you a well-paid job in another city and asks you to leave with him at once without telling your family. What do you do?",
			Options: opts(
				"go", "马上跟他走，机会难得", "Go at once: it is a rare chance", 0,
				"call", "先去，到了再给家里打电话", "Go, and phone home once I get there", 1,
				"check", "拒绝；先核实工作和中介，告诉家人或去妇女之家咨询", "Refuse; check the job and the agency first, and tell my family or ask the Women's Home", 2,
				"dk", "不知道", "Don't know", 0)},
		{Code: "age", TextZH: "在中国，参加一般工作的最低合法年龄是多少岁？", TextEN: "In China, what is the minimum legal age for ordinary work?",
			Options: opts(
				"14", "14岁", "14", 0,
				"16", "16岁", "16", 2,
				"18", "18岁", "18", 0,
				"dk", "不知道", "Don't know", 0)},
		{Code: "contract", TextZH: "开始工作后，用人单位应当在多长时间内和你签订书面劳动合同？",
			TextEN: "Once you start a job, within how long must the employer sign a written labour contract with you?",
			Options: opts(
				"month", "一个月内", "Within one month", 2,
				"probation", "试用期结束以后", "Only after the probation period", 0,
				"never", "口头说好就行，不用签", "Never: a spoken agreement is enough", 0,
				"dk", "不知道", "Don't know", 0)},
		{Code: "id_card", TextZH: "老板说要替你“保管”身份证，你应该怎么办？", TextEN: "Your boss says he will \"keep your ID card safe\" for you. What should you do?",
			Options: opts(
				"hand", "交给他，这是规矩", "Hand it over: that is the rule", 0,
				"later", "先交给他，以后再要回来", "Hand it over and ask for it back later", 0,
				"copy", "可以给复印件，原件自己保管", "Give him a copy and keep the original myself", 2,
				"dk", "不知道", "Don't know", 0)},
		{Code: "wages", TextZH: "老板拖欠工资，你可以向哪里求助？", TextEN: "Your employer does not pay your wages. Where can you turn for help?",
			Options: opts(
				"wait", "没有办法，只能等", "Nowhere: I can only wait", 0,
				"friends", "问老乡或朋友", "Friends or people from my home town", 1,
				"official", "劳动保障监察、劳动争议仲裁、12333热线或法律援助", "Labour inspection, labour dispute arbitration, the 12333 hotline or legal aid", 2,
				"dk", "不知道", "Don't know", 0)},
		{Code: "safety", TextZH: "工作中要接触化学品，单位却不发防护用品，你有什么权利？",
			TextEN: "Your work involves chemicals but the employer gives you no protective equipment. What are your rights?",
			Options: opts(
				"none", "没有权利，不想干就走人", "None: take it or leave", 0,
				"mask", "只能自己买口罩", "Only to buy a mask myself", 1,
				"refuse", "可以要求提供防护用品，并有权拒绝冒险作业", "To ask for protective equipment and to refuse to work at risk", 2,
				"dk", "不知道", "Don't know", 0)},
	},
}

// opts makes a question's options from (code, Chinese, English, score) quadruples.
func opts(v ...any) []beneficiaries.Option {
	var out []beneficiaries.Option
	for i := 0; i+3 < len(v); i += 4 {
		out = append(out, beneficiaries.Option{Code: v[i].(string), LabelZH: v[i+1].(string), LabelEN: v[i+2].(string), Score: float64(v[i+3].(int))})
	}
	return out
}

// measureSite is a site that used the form with its first 2012 cohort. The three numbers shape
// how its girls answer, not what any page shows: know is the chance of the best answer to a
// question at baseline, gain how much that chance grows by the end on average (each person's
// own gain varies around it, so some do not improve), back the share (per cent) who came back
// for the end measurement.
type measureSite struct {
	unit string
	most int // the site measured at most this many, the first to come
	know float64
	gain float64
	back int
}

// measureSites: Women's Homes and pilot schools in Anhui, Yunnan, Jiangsu and Hunan.
var measureSites = []measureSite{
	{unit: "AH-HF-FD-01", most: 150, know: 0.40, gain: 0.25, back: 70}, // Dianbu Women's Home
	{unit: "AH-CH-LJ", most: 300, know: 0.30, gain: 0.30, back: 85},    // Lujiang pilot schools
	{unit: "YN-KM-GD-01", most: 150, know: 0.35, gain: 0.10, back: 55}, // Guanshang Migrant Women's Home
	{unit: "YN-BN-MH", most: 300, know: 0.25, gain: 0.20, back: 80},    // Menghai pilot schools
	{unit: "JS-WX-BH-01", most: 200, know: 0.45, gain: 0.30, back: 65}, // Helie Women's Home
	{unit: "HN-YZ-NY-01", most: 150, know: 0.40, gain: 0.04, back: 60}, // Shunling Women's Home
}

// The cohort: first served in the first four months of 2012, aged 12-24 then; the end
// measurement follows the baseline by endAfter days and up to endSpread more, by AsOf.
const (
	cohortFrom = "2012-01-01"
	cohortTo   = "2012-04-30"
	endAfter   = 42
	endSpread  = 42
)

// measured is one person's measurements as drawn.
type measured struct {
	card          int64
	number        string
	baseline, end string // dates; end "" when she did not come back (or not yet)
	before, after map[string]string
}

// loadMeasures defines the instrument (through the service) and writes the cohort's
// measurements, unless the instrument already has some; it returns how many it wrote. Recording
// two thousand measurements one transaction each takes seconds on PostgreSQL, so they are written
// as people.go writes the cards: in one transaction of multi-row statements, each score computed
// by beneficiaries.ScoreAnswers on the stored instrument and each measurement meeting
// RecordMeasurement's rules (a live card, taken on or after birth and by AsOf, the end on or
// after the baseline), with one audit record per site.
func loadMeasures(ctx context.Context, db *store.DB, keys *seal.Keyring, l *loader) (int, error) {
	svc := beneficiaries.New(db, keys)
	svc.SetToday(func() string { return AsOf })
	inst, err := svc.Instrument(ctx, measureCode)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if inst, err = svc.SaveInstrument(ctx, access.System, safeMigration); err != nil {
			return 0, fmt.Errorf("instrument: %w", err)
		}
	case err != nil:
		return 0, err
	case inst.Measurements > 0:
		return 0, nil
	}
	sys := access.System.PublicID
	var rows [][]any
	type tally struct {
		site          int64
		note          string
		baseline, end int
	}
	var tallies []tally
	for _, ms := range measureSites {
		u, err := l.unitOf(ms.unit)
		if err != nil {
			return 0, err
		}
		got, err := drawMeasures(ctx, db, inst, ms, u.ID)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", ms.unit, err)
		}
		tl := tally{site: u.ID, note: "Zero and end measurements, " + inst.NameEN + ": girls and young women first served in early 2012."}
		for _, m := range got {
			for _, k := range []struct {
				kind, date string
				answers    map[string]string
			}{{beneficiaries.KindBaseline, m.baseline, m.before}, {beneficiaries.KindEnd, m.end, m.after}} {
				if k.date == "" {
					continue
				}
				score, es := beneficiaries.ScoreAnswers(inst, k.answers)
				if err := es.Err(); err != nil {
					return 0, fmt.Errorf("%s %s: %w", m.number, k.kind, err)
				}
				js, err := json.Marshal(k.answers)
				if err != nil {
					return 0, err
				}
				rows = append(rows, []any{m.card, inst.ID, k.kind, k.date, string(js), score, sys, registeredAt(k.date)})
			}
			tl.baseline++
			if m.end != "" {
				tl.end++
			}
		}
		tallies = append(tallies, tl)
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if err := insertRows(ctx, tx, db.Dialect, `INSERT INTO measurements (card_id, instrument_id, kind, taken_on, answers, score, created_by, created_at) VALUES `,
			rows, "", nil); err != nil {
			return err
		}
		for _, tl := range tallies {
			if err := audit.Record(ctx, tx, access.System, "create", "measurement", 0, tl.site, nil,
				map[string]any{"demo": tl.note, "instrument": measureCode, "baseline": tl.baseline, "end": tl.end}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// drawMeasures picks a site's cohort from its cards and services — girls and young women first
// served from cohortFrom to cohortTo, the first ms.most of them — and draws their answers.
func drawMeasures(ctx context.Context, db *store.DB, inst beneficiaries.Instrument, ms measureSite, site int64) ([]measured, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT c.id, c.number, c.birth_date, MIN(s.served_on) FROM cards c JOIN services s ON s.card_id = c.id
		WHERE c.site_id = $1 AND c.sex = 'F' AND c.merged_into IS NULL AND c.anonymised_on = ''
		GROUP BY c.id, c.number, c.birth_date HAVING MIN(s.served_on) >= $2 AND MIN(s.served_on) <= $3
		ORDER BY MIN(s.served_on), c.number`, site, cohortFrom, cohortTo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []measured
	for rows.Next() && len(out) < ms.most {
		var m measured
		var birth string
		if err := rows.Scan(&m.card, &m.number, &birth, &m.baseline); err != nil {
			return nil, err
		}
		if a := beneficiaries.AgeOn(birth, m.baseline); a < 12 || a > 24 {
			continue
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		m := &out[i]
		rng := rand.New(rand.NewPCG(hash(m.number), hash(m.number+"/"+measureCode)))
		know := clamp01(ms.know + rng.NormFloat64()*0.12)
		if m.before, err = answer(rng, inst, know); err != nil {
			return nil, err
		}
		gain := ms.gain + rng.NormFloat64()*0.12
		back := rng.IntN(100) < ms.back
		end := dateOf(m.baseline).AddDate(0, 0, endAfter+rng.IntN(endSpread+1)).Format(time.DateOnly)
		if !back || end > AsOf {
			continue
		}
		m.end = end
		if m.after, err = answer(rng, inst, clamp01(know+gain)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// answer draws one answer per question from a person who knows the best answer with chance
// know; otherwise she picks a partly safe answer half the time, if the question has one, or
// else any of the rest. The answers are checked as the service checks them.
func answer(rng *rand.Rand, inst beneficiaries.Instrument, know float64) (map[string]string, error) {
	out := map[string]string{}
	for _, q := range inst.Questions {
		var best, partly, rest []string
		top := 0.0
		for _, o := range q.Options {
			top = max(top, o.Score)
		}
		for _, o := range q.Options {
			switch {
			case o.Score == top:
				best = append(best, o.Code)
			case o.Score > 0:
				partly = append(partly, o.Code)
			default:
				rest = append(rest, o.Code)
			}
		}
		var from []string
		switch r := rng.Float64(); {
		case r < know:
			from = best
		case len(partly) > 0 && rng.IntN(2) == 0:
			from = partly
		default:
			from = rest
		}
		if len(from) == 0 {
			from = best
		}
		out[q.Code] = from[rng.IntN(len(from))]
	}
	_, es := beneficiaries.ScoreAnswers(inst, out)
	return out, es.Err()
}

func clamp01(x float64) float64 { return min(1, max(0, x)) }
