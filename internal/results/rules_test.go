package results

import (
	"testing"
)

func ptr(v float64) *float64 { return &v }

func TestCheckValue(t *testing.T) {
	count := Indicator{Type: "count", Aggregation: "sum"}
	pct := Indicator{Type: "percent", Aggregation: "sum"}
	tests := []struct {
		name string
		ind  Indicator
		in   ValueInput
		rule string
		want float64
	}{
		{"count ok", count, ValueInput{Value: ptr(1774)}, "", 1774},
		{"count missing", count, ValueInput{}, "required", 0},
		{"count negative", count, ValueInput{Value: ptr(-1)}, "not_negative", 0},
		{"count fraction", count, ValueInput{Value: ptr(1.5)}, "whole_number", 0},
		{"percent direct", pct, ValueInput{Value: ptr(68)}, "", 68},
		{"percent over 100", pct, ValueInput{Value: ptr(101)}, "percent_range", 0},
		{"percent from parts", pct, ValueInput{Numerator: ptr(68), Denominator: ptr(200)}, "", 34},
		{"percent parts inverted", pct, ValueInput{Numerator: ptr(3), Denominator: ptr(2)}, "not_above", 0},
		{"zero denominator", pct, ValueInput{Numerator: ptr(0), Denominator: ptr(0)}, "positive", 0},
		{"numerator alone", pct, ValueInput{Numerator: ptr(1)}, "required", 0},
		{"ratio", Indicator{Type: "ratio", Aggregation: "sum"}, ValueInput{Numerator: ptr(3), Denominator: ptr(2)}, "", 1.5},
		{"yes", Indicator{Type: "yesno", Aggregation: "latest"}, ValueInput{Value: ptr(1)}, "", 1},
		{"yes no other", Indicator{Type: "yesno", Aggregation: "latest"}, ValueInput{Value: ptr(2)}, "yes_no", 0},
		{"text", Indicator{Type: "text", Aggregation: "latest"}, ValueInput{Text: " "}, "required", 0},
		{"formula is computed", Indicator{Type: "count", Aggregation: "formula"}, ValueInput{Value: ptr(1)}, "computed_indicator", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, es := CheckValue(tt.ind, tt.in)
			switch {
			case tt.rule == "" && len(es) > 0:
				t.Fatalf("unexpected %v", es)
			case tt.rule != "" && (len(es) != 1 || es[0].Rule != tt.rule):
				t.Fatalf("got %v, want %s", es, tt.rule)
			case tt.rule == "" && (out.Value == nil || *out.Value != tt.want):
				t.Fatalf("value %v, want %v", out.Value, tt.want)
			}
		})
	}
}

func TestStatusOf(t *testing.T) {
	has := func(v float64) Figure { return Figure{Value: v, Has: true, Values: 1} }
	tests := []struct {
		target    *float64
		actual    Figure
		direction string
		want      string
	}{
		{nil, has(5), "up", NoTarget},
		{ptr(100), Figure{}, "up", NoData},
		{ptr(100), has(84), "up", Behind},
		{ptr(100), has(85), "up", OnTrack},
		{ptr(100), has(115), "up", OnTrack},
		{ptr(100), has(116), "up", Ahead},
		{ptr(350), has(1774), "up", Ahead},
		{ptr(100), has(84), "down", Ahead},
		{ptr(100), has(120), "down", Behind},
		{ptr(0), has(0), "up", OnTrack},
		{ptr(0), has(3), "up", Ahead},
	}
	for _, tt := range tests {
		if got := StatusOf(tt.target, tt.actual, tt.direction, 0.15); got != tt.want {
			t.Errorf("StatusOf(%v, %v, %s) = %s, want %s", tt.target, tt.actual, tt.direction, got, tt.want)
		}
	}
}

func TestNormaliseCombo(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"sex:female", "sex:female"},
		{" sex : female , age:12-15 ", "age:12-15,sex:female"},
		{"age:25+,group:left_behind", "age:25+,group:left_behind"},
	}
	for _, tt := range tests {
		if got, err := NormaliseCombo(tt.in); err != nil || got != tt.want {
			t.Errorf("%q: %q %v", tt.in, got, err)
		}
	}
	for _, bad := range []string{"sex", "sex:", ":female", "sex:f,sex:m"} {
		if _, err := NormaliseCombo(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if !comboFits("age:12-15,sex:female", []string{"age", "sex"}) || comboFits("age:12-15,sex:female", []string{"age"}) {
		t.Error("comboFits")
	}
}

func TestCheckElementPlacement(t *testing.T) {
	do := &Element{Kind: "development_objective"}
	io := &Element{Kind: "immediate_objective"}
	tests := []struct {
		kind   string
		parent *Element
		rule   string
	}{
		{"development_objective", nil, ""},
		{"development_objective", do, "element_root"},
		{"immediate_objective", do, ""},
		{"immediate_objective", nil, "required"},
		{"output", io, ""},
		{"activity", io, "element_under"},
		{"goal", nil, "one_of"},
	}
	for _, tt := range tests {
		es := CheckElementPlacement(tt.kind, tt.parent)
		got := ""
		if len(es) > 0 {
			got = es[0].Rule
		}
		if got != tt.rule {
			t.Errorf("%s: %q, want %q", tt.kind, got, tt.rule)
		}
	}
}
