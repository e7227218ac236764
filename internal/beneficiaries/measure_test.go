package beneficiaries

import (
	"context"
	"errors"
	"math"
	"testing"

	"ting/internal/access"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// xInstrument is a two-question life-skills form: Q1 scores 0/1/2, Q2 scores 0/3.
func xInstrument() Instrument {
	return Instrument{Code: "LS", NameZH: "生活技能", NameEN: "Life skills", Questions: []Question{
		{Code: "Q1", TextZH: "你知道求助电话吗？", TextEN: "Do you know the hotline?", Options: []Option{
			{Code: "a", LabelEN: "No", Score: 0}, {Code: "b", LabelEN: "Heard of it", Score: 1}, {Code: "c", LabelEN: "Yes", Score: 2}}},
		{Code: "Q2", TextEN: "Would you check a job offer?", Options: []Option{
			{Code: "n", LabelZH: "不会", Score: 0}, {Code: "y", LabelZH: "会", Score: 3}}},
	}}
}

func TestCheckInstrument(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Instrument)
		want string
	}{
		{"valid", func(*Instrument) {}, ""},
		{"no questions", func(in *Instrument) { in.Questions = nil }, "questions:required"},
		{"code", func(in *Instrument) { in.Code = "L S" }, "code:code_chars"},
		{"names", func(in *Instrument) { in.NameZH, in.NameEN = "", "" }, "name_zh:required; name_en:required"},
		{"question code twice", func(in *Instrument) { in.Questions[1].Code = "Q1" }, "#2 questions:unique(Q1)"},
		{"question without text", func(in *Instrument) { in.Questions[0].TextZH, in.Questions[0].TextEN = "", "" }, "#1 question_text:required"},
		{"one option", func(in *Instrument) { in.Questions[1].Options = in.Questions[1].Options[:1] }, "#2 options:min_options(2)"},
		{"option code twice", func(in *Instrument) { in.Questions[0].Options[2].Code = "a" }, "#1 options:unique(a)"},
		{"option without label", func(in *Instrument) { in.Questions[1].Options[0].LabelZH = "" }, "#2 option_label:required"},
		{"score not a number", func(in *Instrument) { in.Questions[0].Options[0].Score = math.NaN() }, "#1 options:number"},
	}
	for _, tt := range tests {
		in := xInstrument()
		tt.edit(&in)
		if got := xFails(CheckInstrument(in).Err()); got != tt.want && !(tt.want == "" && got == "<nil>") {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestScoreAnswers(t *testing.T) {
	in := xInstrument()
	score, es := ScoreAnswers(in, map[string]string{"Q1": "c", "Q2": "y"})
	want := in.Questions[0].Options[2].Score + in.Questions[1].Options[1].Score
	if len(es) != 0 || score != want || score != in.MaxScore() {
		t.Fatalf("score %v (max %v), errors %v; want %v", score, in.MaxScore(), es, want)
	}
	_, es = ScoreAnswers(in, map[string]string{"Q1": "z", "Q9": "a"})
	if got := xFails(es.Err()); got != "#1 answers:answer_option(Q1); #2 answers:answer_missing(Q2); answers:answer_unknown(Q9)" {
		t.Fatalf("bad answers: %s", got)
	}
}

func TestMeasurements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := xFixture(t, db)
		s := w.svc
		if _, err := s.SaveInstrument(ctx, w.caseAH, xInstrument()); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("caseworker defining an instrument: %v", err)
		}
		draft := xInstrument()
		draft.NameEN = "Draft"
		first := xMust(s.SaveInstrument(ctx, w.national, draft))(t)
		// Not used yet: saving by the same code replaces it.
		inst := xMust(s.SaveInstrument(ctx, w.national, xInstrument()))(t)
		if inst.ID != first.ID || inst.NameEN != "Life skills" || len(inst.Questions) != 2 || inst.Questions[1].Options[1].Score != 3 {
			t.Fatalf("instrument %+v", inst)
		}
		list := xMust(s.Instruments(ctx))(t)
		if len(list) != 1 || list[0].Code != "LS" || list[0].Measurements != 0 {
			t.Fatalf("instruments %+v", list)
		}

		c := w.xCard(t, w.fd1, "1995")
		rec := func(kind, date string, answers map[string]string) (Measurement, error) {
			return s.RecordMeasurement(ctx, w.caseAH, MeasurementInput{CardID: c.ID, Instrument: "LS", Kind: kind, Date: date, Answers: answers})
		}
		low, high := map[string]string{"Q1": "a", "Q2": "n"}, map[string]string{"Q1": "b", "Q2": "y"}
		for _, tt := range []struct {
			name    string
			kind    string
			date    string
			answers map[string]string
			want    string
		}{
			{"kind", "middle", "2012-01-10", low, "kind:one_of(baseline, end)"},
			{"future", KindBaseline, "2012-07-01", low, "date:not_future(" + xToday + ")"},
			{"unanswered", KindBaseline, "2012-01-10", map[string]string{"Q1": "a"}, "#2 answers:answer_missing(Q2)"},
			{"not an option", KindBaseline, "2012-01-10", map[string]string{"Q1": "a", "Q2": "maybe"}, "#2 answers:answer_option(Q2)"},
			{"end first", KindEnd, "2012-05-10", high, "kind:needs_baseline"},
		} {
			if _, err := rec(tt.kind, tt.date, tt.answers); xFails(err) != tt.want {
				t.Errorf("%s: got %q, want %q", tt.name, xFails(err), tt.want)
			}
		}
		if _, err := s.RecordMeasurement(ctx, w.caseAH, MeasurementInput{CardID: c.ID, Instrument: "XX", Kind: KindBaseline, Date: "2012-01-10", Answers: low}); xFails(err) != "instrument:not_found" {
			t.Fatalf("unknown instrument: %v", err)
		}
		if _, err := s.RecordMeasurement(ctx, w.caseJS, MeasurementInput{CardID: c.ID, Instrument: "LS", Kind: KindBaseline, Date: "2012-01-10", Answers: low}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Jiangsu measuring an Anhui card: %v", err)
		}
		base := xMust(rec(KindBaseline, "2012-01-10", low))(t)
		if base.Score != 0 || base.Card != c.Number || base.Answers["Q2"] != "n" {
			t.Fatalf("baseline %+v", base)
		}
		if _, err := rec(KindEnd, "2012-01-09", high); xFails(err) != "date:after_baseline(2012-01-10)" {
			t.Fatalf("end before baseline: %v", xFails(err))
		}
		end := xMust(rec(KindEnd, "2012-05-10", high))(t)
		if want := inst.Questions[0].Options[1].Score + inst.Questions[1].Options[1].Score; end.Score != want {
			t.Fatalf("end score %v, want %v", end.Score, want)
		}
		if _, err := rec(KindBaseline, "2012-05-11", low); xFails(err) != "date:before_end(2012-05-10)" {
			t.Fatalf("baseline after the end: %v", xFails(err))
		}
		// Recording again replaces, audited with before and after.
		again := xMust(rec(KindBaseline, "2012-01-12", map[string]string{"Q1": "b", "Q2": "n"}))(t)
		if again.ID != base.ID || again.Score != inst.Questions[0].Options[1].Score || again.Date != "2012-01-12" {
			t.Fatalf("re-recorded baseline %+v", again)
		}
		if n := xCount(t, db, `SELECT COUNT(*) FROM measurements WHERE card_id = $1`, c.ID); n != 2 {
			t.Fatalf("%d measurements, want 2", n)
		}
		if n := xCount(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'measurement' AND entity_id = $1 AND action = 'update' AND before IS NOT NULL AND after IS NOT NULL`, base.ID); n != 1 {
			t.Fatalf("%d update audit rows", n)
		}
		ms := xMust(s.Measurements(ctx, w.caseAH, c.ID))(t)
		if len(ms) != 2 || ms[0].Kind != KindBaseline || ms[1].Kind != KindEnd {
			t.Fatalf("measurements %+v", ms)
		}
		// In use: the instrument can no longer change.
		if _, err := s.SaveInstrument(ctx, w.national, draft); xFails(err) != "code:in_use(2)" {
			t.Fatalf("changing an instrument in use: %v", xFails(err))
		}
		if got := xMust(s.Instrument(ctx, "LS"))(t); got.Measurements != 2 || got.NameEN != "Life skills" {
			t.Fatalf("instrument after refusal %+v", got)
		}
		// A duplicate's end taken before the kept card's baseline stays out of the merge: the
		// kept card's pair would read backwards. Its baseline-only sibling's end moves in.
		kept := w.xCard(t, w.fd1, "1996")
		dup := w.xCard(t, w.fd1, "1996")
		xMust(s.RecordMeasurement(ctx, w.caseAH, MeasurementInput{CardID: kept.ID, Instrument: "LS", Kind: KindBaseline, Date: "2012-03-01", Answers: low}))(t)
		xMust(s.RecordMeasurement(ctx, w.caseAH, MeasurementInput{CardID: dup.ID, Instrument: "LS", Kind: KindBaseline, Date: "2011-01-01", Answers: low}))(t)
		xMust(s.RecordMeasurement(ctx, w.caseAH, MeasurementInput{CardID: dup.ID, Instrument: "LS", Kind: KindEnd, Date: "2011-06-01", Answers: high}))(t)
		xMust(s.Merge(ctx, w.caseAH, kept.ID, dup.ID))(t)
		if ms := xMust(s.Measurements(ctx, w.caseAH, kept.ID))(t); len(ms) != 1 || ms[0].Kind != KindBaseline || ms[0].Date != "2012-03-01" {
			t.Errorf("kept card's measurements after merging an earlier pair: %+v", ms)
		}
		later := w.xCard(t, w.fd1, "1997")
		dup2 := w.xCard(t, w.fd1, "1997")
		xMust(s.RecordMeasurement(ctx, w.caseAH, MeasurementInput{CardID: later.ID, Instrument: "LS", Kind: KindBaseline, Date: "2012-01-01", Answers: low}))(t)
		xMust(s.RecordMeasurement(ctx, w.caseAH, MeasurementInput{CardID: dup2.ID, Instrument: "LS", Kind: KindBaseline, Date: "2011-01-01", Answers: low}))(t)
		xMust(s.RecordMeasurement(ctx, w.caseAH, MeasurementInput{CardID: dup2.ID, Instrument: "LS", Kind: KindEnd, Date: "2012-04-01", Answers: high}))(t)
		xMust(s.Merge(ctx, w.caseAH, later.ID, dup2.ID))(t)
		if ms := xMust(s.Measurements(ctx, w.caseAH, later.ID))(t); len(ms) != 2 || ms[0].Date != "2012-01-01" || ms[1].Kind != KindEnd || ms[1].Date != "2012-04-01" {
			t.Errorf("kept card's measurements after merging a later end: %+v", ms)
		}
	})
}

// TestChange measures the change on hand-computed data: in Anhui, c1 0→4 and c2 1→2 at fd1,
// c3 3→2 at fd2, c4 with a baseline only; in Jiangsu c5 0→5.
func TestChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := xFixture(t, db)
		s := w.svc
		xMust(s.SaveInstrument(ctx, w.national, xInstrument()))(t)
		c1 := w.xCard(t, w.fd1, "1995", "left_behind")
		c2 := w.xCard(t, w.fd1, "1994", "dropout", "left_behind")
		c3 := w.xCard(t, w.fd2, "1993", "dropout")
		c4 := w.xCard(t, w.fd2, "1992")
		c5 := w.xCard(t, w.bh1, "1995", "left_behind")
		answers := map[float64]map[string]string{0: {"Q1": "a", "Q2": "n"}, 1: {"Q1": "b", "Q2": "n"}, 2: {"Q1": "c", "Q2": "n"},
			3: {"Q1": "a", "Q2": "y"}, 4: {"Q1": "b", "Q2": "y"}, 5: {"Q1": "c", "Q2": "y"}}
		measure := func(a access.Actor, c Card, kind string, score float64) {
			t.Helper()
			m := xMust(s.RecordMeasurement(ctx, a, MeasurementInput{CardID: c.ID, Instrument: "LS", Kind: kind, Date: map[string]string{KindBaseline: "2012-01-05", KindEnd: "2012-06-05"}[kind], Answers: answers[score]}))(t)
			if m.Score != score {
				t.Fatalf("score %v, want %v", m.Score, score)
			}
		}
		for _, m := range []struct {
			c         Card
			base, end float64
		}{{c1, 0, 4}, {c2, 1, 2}, {c3, 3, 2}} {
			measure(w.caseAH, m.c, KindBaseline, m.base)
			measure(w.caseAH, m.c, KindEnd, m.end)
		}
		measure(w.caseAH, c4, KindBaseline, 5)
		measure(w.caseJS, c5, KindBaseline, 0)
		measure(w.caseJS, c5, KindEnd, 5)

		bySite := xMust(s.Change(ctx, w.caseAH, ChangeQuery{UnitID: w.fd.ID, Instrument: "LS"}))(t)
		if bySite.By != "site" || len(bySite.Rows) != 2 {
			t.Fatalf("by site %+v", bySite)
		}
		fd1, fd2, all := bySite.Rows[0], bySite.Rows[1], bySite.Overall
		// fd1: changes 4 and 1: mean 2.5, sd √4.5, half-width 12.7062 × √4.5/√2 = 19.0593.
		if fd1.UnitID != w.fd1.ID || fd1.N != 2 || fd1.MeanBaseline != 0.5 || fd1.MeanEnd != 3 || fd1.MeanChange != 2.5 || fd1.Improved != 1 ||
			!fd1.HasCI || !xNear(fd1.CILow, -16.5593) || !xNear(fd1.CIHigh, 21.5593) {
			t.Fatalf("fd1 %+v", fd1)
		}
		if fd2.UnitID != w.fd2.ID || fd2.N != 1 || fd2.MeanChange != -1 || fd2.Improved != 0 || fd2.HasCI {
			t.Fatalf("fd2 %+v", fd2)
		}
		// All: changes 4, 1, -1: mean 4/3, sd 2.5166, half-width 4.3027 × 2.5166/√3 = 6.2517.
		if all.N != 3 || !xNear(all.MeanBaseline, 4.0/3) || !xNear(all.MeanEnd, 8.0/3) || !xNear(all.MeanChange, 4.0/3) || !xNear(all.Improved, 2.0/3) ||
			!xNear(all.CILow, -4.9183) || !xNear(all.CIHigh, 7.5850) {
			t.Fatalf("overall %+v", all)
		}
		byGroup := xMust(s.Change(ctx, w.officerAH, ChangeQuery{UnitID: w.ah.ID, Instrument: "LS", By: "group"}))(t)
		if len(byGroup.Rows) != 2 || byGroup.Rows[0].Key != "left_behind" || byGroup.Rows[1].Key != "dropout" || byGroup.Overall.N != 3 {
			t.Fatalf("by group %+v", byGroup)
		}
		if lb, do := byGroup.Rows[0], byGroup.Rows[1]; lb.N != 2 || lb.MeanChange != 2.5 || do.N != 2 || do.MeanChange != 0 || do.Improved != 0.5 {
			t.Fatalf("left-behind %+v, dropout %+v", lb, do)
		}
		byProv := xMust(s.Change(ctx, w.national, ChangeQuery{UnitID: w.cn.ID, Instrument: "LS", By: "province"}))(t)
		if len(byProv.Rows) != 2 || byProv.Rows[0].UnitID != w.ah.ID || byProv.Rows[0].N != 3 || byProv.Rows[1].UnitID != w.js.ID ||
			byProv.Rows[1].MeanChange != 5 || byProv.Overall.N != 4 || byProv.Overall.MeanChange != 2.25 {
			t.Fatalf("by province %+v", byProv)
		}
		if _, err := s.Change(ctx, w.officerJS, ChangeQuery{UnitID: w.fd.ID, Instrument: "LS"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Jiangsu measuring Anhui: %v", err)
		}
		js := xMust(s.Change(ctx, w.officerJS, ChangeQuery{UnitID: w.js.ID, Instrument: "LS", By: "site"}))(t)
		if js.Overall.N != 1 || len(js.Rows) != 1 || js.Rows[0].UnitID != w.bh1.ID {
			t.Fatalf("Jiangsu %+v", js)
		}
		if _, err := s.Change(ctx, w.caseAH, ChangeQuery{UnitID: w.fd.ID, Instrument: "LS", By: "sex"}); xFails(err) != "by:one_of(site, province, group)" {
			t.Fatalf("by sex: %v", xFails(err))
		}
		if _, err := s.Change(ctx, w.caseAH, ChangeQuery{UnitID: w.fd.ID, Instrument: "XX"}); xFails(err) != "instrument:not_found" {
			t.Fatalf("unknown instrument: %v", xFails(err))
		}
	})
}

// TestSummariseChange checks the statistics on data worked by hand (t from the standard table).
func TestSummariseChange(t *testing.T) {
	forty := make([][2]float64, 40)
	for i := range forty {
		// changes -1, 0, 1, 2 ten times each: mean 0.5, sd √(50/39), t(39) = 2.0227.
		forty[i] = [2]float64{float64(i % 5), float64(i%5 + i%4 - 1)}
	}
	tests := []struct {
		name  string
		pairs [][2]float64
		want  ChangeStats
	}{
		{"empty", nil, ChangeStats{}},
		{"one person", [][2]float64{{3, 5}}, ChangeStats{N: 1, MeanBaseline: 3, MeanEnd: 5, MeanChange: 2, Improved: 1, CILow: 2, CIHigh: 2}},
		// changes 2, 3, 0, 3, -1: mean 1.4, sd √3.3 = 1.8166, t(4) = 2.7764, half-width 2.2556.
		{"five", [][2]float64{{10, 12}, {8, 11}, {9, 9}, {7, 10}, {11, 10}},
			ChangeStats{N: 5, MeanBaseline: 9, MeanEnd: 10.4, MeanChange: 1.4, Improved: 0.6, SD: 1.8166, HasCI: true, CILow: -0.8556, CIHigh: 3.6556}},
		{"no change", [][2]float64{{4, 4}, {2, 2}}, ChangeStats{N: 2, MeanBaseline: 3, MeanEnd: 3, HasCI: true}},
		{"forty", forty, ChangeStats{N: 40, MeanBaseline: 2, MeanEnd: 2.5, MeanChange: 0.5, Improved: 0.5, SD: 1.1323, HasCI: true, CILow: 0.1379, CIHigh: 0.8621}},
	}
	for _, tt := range tests {
		got := SummariseChange(tt.pairs)
		w := tt.want
		if got.N != w.N || got.HasCI != w.HasCI || !xNear(got.MeanBaseline, w.MeanBaseline) || !xNear(got.MeanEnd, w.MeanEnd) || !xNear(got.MeanChange, w.MeanChange) ||
			!xNear(got.Improved, w.Improved) || math.Abs(got.SD-w.SD) > 1e-3 || math.Abs(got.CILow-w.CILow) > 1e-3 || math.Abs(got.CIHigh-w.CIHigh) > 1e-3 {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, w)
		}
	}
}

func TestTQuantile975(t *testing.T) {
	// Exact quantiles (4 decimals) inside and beyond the table.
	for df, want := range map[int]float64{1: 12.7062, 2: 4.3027, 10: 2.2281, 30: 2.0423, 31: 2.0395, 39: 2.0227, 60: 2.0003, 120: 1.9799, 100000: 1.9600} {
		if got := TQuantile975(df); math.Abs(got-want) > 1e-4 {
			t.Errorf("t(%d) = %.5f, want %.4f", df, got, want)
		}
	}
	for df := 2; df <= 500; df++ {
		if TQuantile975(df) >= TQuantile975(df-1) {
			t.Fatalf("t not decreasing at df %d", df)
		}
	}
	if !math.IsInf(TQuantile975(0), 1) {
		t.Fatal("t(0) is defined")
	}
}
