package expr

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// values is a Resolver over a fixed table keyed by Ref.Key, with category sets for wildcards.
type values struct {
	v    map[string]float64
	sets map[string][]string
}

func (s values) Value(ref Ref) (float64, bool) {
	v, ok := s.v[ref.Key()]
	return v, ok
}

func (s values) Expand(ref Ref) []Ref {
	var out []Ref
	for _, c := range s.sets[ref.Wildcard] {
		out = append(out, ref.With(ref.Wildcard, c))
	}
	return out
}

var sets = map[string][]string{"sex": {"female", "male"}, "age": {"0-11", "12-15", "16-17", "18+"}}

func TestParseCanonical(t *testing.T) {
	tests := []struct{ src, want string }{
		{"1", "1"},
		{"0.50", "0.5"},
		{"007", "7"},
		{"#{W1}", "#{W1}"},
		{"#{ W1 }", "#{W1}"},
		{"#{W1|sex:female}", "#{W1|sex:female}"},
		{"#{W1 | sex : female , age : 12-15}", "#{W1|age:12-15,sex:female}"},
		{"#{W1|age:18+,sex:male}", "#{W1|age:18+,sex:male}"},
		{"sum(#{ind.2_b-3|sex:*})", "sum(#{ind.2_b-3|sex:*})"},
		{"sum(#{W1|sex:*,age:12-15})", "sum(#{W1|age:12-15,sex:*})"},
		{"#{指标1|性别:女}", "#{指标1|性别:女}"},
		{"#{A}+#{B}*2", "#{A} + #{B} * 2"},
		{"(#{A}+#{B})*2", "(#{A} + #{B}) * 2"},
		{"((#{A}))", "#{A}"},
		{"1-(2-3)", "1 - (2 - 3)"},
		{"(1-2)-3", "1 - 2 - 3"},
		{"1+(2+3)", "1 + (2 + 3)"},
		{"1/(2*3)", "1 / (2 * 3)"},
		{"-#{A}*2", "-#{A} * 2"},
		{"-(#{A}*2)", "-(#{A} * 2)"},
		{"3--5", "3 - -5"},
		{"- - 5", "--5"},
		{"100*#{NUM}/#{DEN}", "100 * #{NUM} / #{DEN}"},
		{"#{F}<=#{T}", "#{F} <= #{T}"},
		{"#{F} ≤ #{T}", "#{F} <= #{T}"},
		{"#{F} ≥ 0", "#{F} >= 0"},
		{"#{F} ≠ 0", "#{F} != 0"},
		{"#{T} = sum(#{T|sex:*})", "#{T} == sum(#{T|sex:*})"},
		{"#{A}<1&&#{B}>2||!exists(#{C})", "#{A} < 1 and #{B} > 2 or not exists(#{C})"},
		{"#{A}<1 AND (#{B}>2 OR #{C}>3)", "#{A} < 1 and (#{B} > 2 or #{C} > 3)"},
		{"not (#{A} < 1 and #{B} < 1)", "not (#{A} < 1 and #{B} < 1)"},
		{"not not #{A} < 1", "not not #{A} < 1"},
		{"(not #{A} < 1) and #{B} < 1", "not #{A} < 1 and #{B} < 1"},
		{"Abs( #{A}-prev( #{A} ) )<=0.5*PREV(#{A})", "abs(#{A} - prev(#{A})) <= 0.5 * prev(#{A})"},
		{"sum(prev(#{A|sex:*}),3)", "sum(prev(#{A|sex:*}), 3)"},
		{"min(#{A},#{B},1)+max(#{A|age:*})+count(#{A},prev(#{B|sex:*}))", "min(#{A}, #{B}, 1) + max(#{A|age:*}) + count(#{A}, prev(#{B|sex:*}))"},
		{"exists(#{A|sex:*})", "exists(#{A|sex:*})"},
		{"\t#{A}\r\n>\n0 ", "#{A} > 0"},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.src, got, tt.want)
			continue
		}
		again, err := Parse(tt.want)
		if err != nil || again.String() != tt.want {
			t.Errorf("canonical %q does not round-trip: %v %v", tt.want, again, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		src  string
		code string
		pos  int
	}{
		{"", CodeEmpty, 0},
		{"   \n", CodeEmpty, 0},
		{"#{A} $ 1", CodeBadCharacter, 5},
		{"#{A} > 1\xff", CodeBadCharacter, 8},
		{"#{A} > １", CodeBadCharacter, 7},
		{"1. + 2", CodeBadNumber, 0},
		{"1" + strings.Repeat("0", 400), CodeBadNumber, 0},
		{"#A", CodeBadReference, 0},
		{"1 + #", CodeBadReference, 4},
		{"#{}", CodeBadReference, 2},
		{"#{A", CodeBadReference, 0},
		{"#{A|}", CodeBadReference, 4},
		{"#{A|sex}", CodeBadReference, 7},
		{"#{A|sex:}", CodeBadReference, 8},
		{"#{A|sex:f,sex:m}", CodeBadReference, 10},
		{"#{A|sex:*,age:*}", CodeBadReference, 10},
		{"#{A|sex:*,sex:f}", CodeBadReference, 10},
		{"#{A B}", CodeBadReference, 4},
		{"#{A+B}", CodeBadReference, 3},
		{"#{A} > 1 2", CodeUnexpectedToken, 9},
		{"#{A} > )", CodeUnexpectedToken, 7},
		{"(#{A} > 1))", CodeUnexpectedToken, 10},
		{"(1 2)", CodeUnexpectedToken, 3},
		{"* 2", CodeUnexpectedToken, 0},
		{"and #{A}", CodeUnexpectedToken, 0},
		{"sum(1 2)", CodeUnexpectedToken, 6},
		{"#{A} >", CodeUnexpectedEnd, 6},
		{"1 +", CodeUnexpectedEnd, 3},
		{"(1 + 2", CodeUnclosedParen, 0},
		{"1 + (2 * (3", CodeUnclosedParen, 9},
		{"sum(#{A}, #{B}", CodeUnclosedParen, 3},
		{"avg(#{A})", CodeUnknownFunction, 0},
		{"#{A} <= 总数", CodeUnknownName, 8},
		{"total > 1", CodeUnknownName, 0},
		{"abs()", CodeWrongArguments, 0},
		{"abs(1, 2)", CodeWrongArguments, 0},
		{"sum()", CodeWrongArguments, 0},
		{"1 + count(1)", CodeWrongArguments, 4},
		{"exists(#{A} + 1)", CodeWrongArguments, 0},
		{"prev(1)", CodeWrongArguments, 0},
		{"prev(prev(#{A}))", CodeWrongArguments, 0},
		{"#{A} < 1 < 2", CodeTypeMismatch, 9},
		{"#{A} + (#{B} > 1)", CodeTypeMismatch, 5},
		{"#{A} and #{B} > 1", CodeTypeMismatch, 5},
		{"not #{A}", CodeTypeMismatch, 0},
		{"-(#{A} > 1)", CodeTypeMismatch, 0},
		{"sum(#{A} > 1)", CodeTypeMismatch, 9},
		{"#{A|sex:*} > 1", CodeMisplacedWildcard, 0},
		{"abs(#{A|sex:*})", CodeMisplacedWildcard, 4},
		{"sum(#{A|sex:*} + 1)", CodeMisplacedWildcard, 4},
		{"prev(#{A|sex:*}) > 1", CodeMisplacedWildcard, 0},
		{strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200), CodeTooDeep, 100},
		{strings.Repeat("1+", 600) + "1", CodeTooLong, 999},
	}
	for _, tt := range tests {
		_, err := Parse(tt.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want *SyntaxError %s", tt.src, err, tt.code)
			continue
		}
		if se.Code != tt.code || se.Pos != tt.pos {
			t.Errorf("Parse(%q) = %s at %d (%s), want %s at %d", tt.src, se.Code, se.Pos, se.Msg, tt.code, tt.pos)
		}
		if se.Msg == "" || !strings.Contains(se.Error(), se.Msg) {
			t.Errorf("Parse(%q): message %q not in %q", tt.src, se.Msg, se.Error())
		}
	}
}

func TestParseRuleAndFormula(t *testing.T) {
	if _, err := ParseRule("#{A} + 1"); code(err) != CodeNotARule {
		t.Errorf("ParseRule of a number: %v", err)
	}
	if _, err := ParseFormula("#{A} > 1"); code(err) != CodeNotAFormula {
		t.Errorf("ParseFormula of a condition: %v", err)
	}
	if _, err := ParseRule("#{A} >"); code(err) != CodeUnexpectedEnd {
		t.Errorf("ParseRule passes syntax errors through: %v", err)
	}
	r, err := ParseRule("exists(#{A})")
	if err != nil || !r.IsRule() {
		t.Errorf("ParseRule(exists) = %v, %v", r, err)
	}
	f, err := ParseFormula("100 * #{NUM} / #{DEN}")
	if err != nil || f.IsRule() {
		t.Errorf("ParseFormula = %v, %v", f, err)
	}
}

func code(err error) string {
	var se *SyntaxError
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

func TestEvalRule(t *testing.T) {
	// W1 is 100 in total with female 40, male 70 (so the parts exceed the total); age 12-15
	// female is 10; the previous period's total is 50. D has no values at all. Z is zero.
	vals := values{sets: sets, v: map[string]float64{
		"#{W1}":                         100,
		"#{W1|sex:female}":              40,
		"#{W1|sex:male}":                70,
		"#{W1|age:12-15,sex:female}":    10,
		"#{W1|age:18+}":                 60,
		"prev(#{W1})":                   50,
		"prev(#{W1|sex:female})":        20,
		"#{P}":                          101.5,
		"#{Z}":                          0,
		"#{DEC}":                        0.3,
		"#{DEC|sex:female}":             0.1,
		"#{DEC|sex:male}":               0.2,
		"#{NAN}":                        math.NaN(),
		"#{INF}":                        math.Inf(1),
		"#{BIG}":                        math.MaxFloat64,
		"#{PART|sex:female}":            5,
		"#{PART}":                       5,
		"#{W2|age:0-11}":                3,
		"#{W2|age:12-15}":               4,
		"#{W2}":                         7,
		"#{W3|age:0-11,sex:female}":     1,
		"#{W3|age:12-15,sex:female}":    2,
		"#{W3|age:12-15,sex:male}":      4,
		"prev(#{W3|age:0-11,sex:male})": 8,
	}}
	tests := []struct {
		rule          string
		pass, skipped bool
	}{
		// the rules
		{"#{W1|sex:female} <= #{W1}", true, false},
		{"#{W1|sex:male} <= #{W1}", true, false},
		{"#{W1} == sum(#{W1|sex:*})", false, false},
		{"#{W2} == sum(#{W2|age:*})", true, false},
		{"#{P} <= 100", false, false},
		{"#{W1} >= 0 and #{W1} <= 1000", true, false},
		{"abs(#{W1} - prev(#{W1})) <= prev(#{W1})", true, false},
		{"abs(#{W1} - prev(#{W1})) <= 0.5 * prev(#{W1})", false, false},
		{"#{W1} <= 1.5 * prev(#{W1})", false, false},
		// missing values skip, never fail
		{"#{D|sex:female} <= #{D}", false, true},
		{"#{D|sex:female} <= #{W1}", false, true},
		{"#{W1} <= #{D}", false, true},
		{"#{D} + 1 > 0", false, true},
		{"-#{D} < 0", false, true},
		{"abs(#{D}) >= 0", false, true},
		{"#{D} * 0 == 0", false, true},
		{"prev(#{W2}) <= #{W2}", false, true},
		// sum: missing parts count as 0, all missing is missing
		{"sum(#{PART|sex:*}) == 5", true, false},
		{"sum(#{PART|sex:female}, #{PART|sex:male}) == #{PART}", true, false},
		{"sum(#{D|sex:*}) >= 0", false, true},
		{"sum(#{D}, #{D|sex:female}) >= 0", false, true},
		{"sum(#{D}, 0) == 0", true, false},
		{"#{W1} == sum(#{D|sex:*})", false, true},
		// min/max ignore missing parts like sum
		{"min(#{D}, #{W1}) == 100", true, false},
		{"max(#{W1|sex:*}) == 70", true, false},
		{"min(#{W1|sex:*}) == 40", true, false},
		{"max(#{D|sex:*}) > 0", false, true},
		{"min(3, 1, 2) == 1 and max(3, 1, 2) == 3", true, false},
		// count and exists never go missing
		{"count(#{W1|sex:*}) == 2", true, false},
		{"count(#{D|sex:*}) == 0", true, false},
		{"count(#{W1}, #{D}, prev(#{W1})) == 2", true, false},
		{"exists(#{W1})", true, false},
		{"exists(#{D})", false, false},
		{"exists(#{D|sex:*})", false, false},
		{"exists(#{PART|sex:*})", true, false},
		{"not exists(#{D}) or #{D} >= 0", true, false},
		{"exists(#{D}) and #{D} >= 0", false, false},
		// wildcards within a combination, and with prev
		{"sum(#{W3|age:12-15,sex:*}) == 6", true, false},
		{"sum(#{W3|age:*,sex:female}) == 3", true, false},
		{"sum(prev(#{W3|age:*,sex:male})) == 8", true, false},
		{"count(prev(#{W1|sex:*})) == 1", true, false},
		{"sum(#{W1|age:*}) == 60", true, false},
		// combos are order-insensitive
		{"#{W1|sex:female,age:12-15} == 10", true, false},
		// division by zero and non-finite values are missing
		{"#{W1} / #{Z} > 0", false, true},
		{"#{W1} / 0 <= 1", false, true},
		{"#{Z} / #{W1} == 0", true, false},
		{"#{NAN} == #{NAN}", false, true},
		{"#{INF} > 0", false, true},
		{"#{BIG} * 10 > 0", false, true},
		{"#{BIG} + #{BIG} > 0", false, true},
		{"sum(#{BIG}, #{BIG}) > 0", false, true},
		// precedence
		{"1 + 2 * 3 == 7", true, false},
		{"(1 + 2) * 3 == 9", true, false},
		{"10 - 4 - 3 == 3", true, false},
		{"10 - (4 - 3) == 9", true, false},
		{"12 / 3 / 2 == 2", true, false},
		{"-2 * 3 == -6", true, false},
		{"- 2 - -3 == 1", true, false},
		{"1 < 2 or 2 < 1 and 2 < 1", true, false},
		{"(1 < 2 or 2 < 1) and 2 < 1", false, false},
		{"not 1 < 2 or 1 < 2", true, false},
		{"not (1 < 2 or 1 < 2)", false, false},
		// comparisons, with a tolerance for decimal rounding
		{"#{DEC} == sum(#{DEC|sex:*})", true, false},
		{"0.1 + 0.2 == 0.3", true, false},
		{"0.1 + 0.2 <= 0.3 and 0.1 + 0.2 >= 0.3", true, false},
		{"0.1 + 0.2 != 0.3", false, false},
		{"0.1 + 0.2 > 0.3", false, false},
		{"0.3 < 0.1 + 0.2", false, false},
		{"1 < 1.001", true, false},
		{"1 != 1.000001", true, false},
		{"1 == 1", true, false},
		{"1 != 2", true, false},
		{"2 > 1 and 2 >= 2 and 1 <= 1 and 1 < 2", true, false},
		// three-valued logic
		{"#{D} > 0 and 1 > 2", false, false},
		{"#{D} > 0 and 1 < 2", false, true},
		{"#{D} > 0 or 1 < 2", true, false},
		{"#{D} > 0 or 1 > 2", false, true},
		{"not #{D} > 0", false, true},
		{"#{D} > 0 and #{D} < 0", false, true},
	}
	for _, tt := range tests {
		e, err := ParseRule(tt.rule)
		if err != nil {
			t.Errorf("ParseRule(%q): %v", tt.rule, err)
			continue
		}
		got := e.Eval(vals)
		if got.Pass != tt.pass || got.Skipped != tt.skipped {
			t.Errorf("%s: pass %v skipped %v, want pass %v skipped %v", tt.rule, got.Pass, got.Skipped, tt.pass, tt.skipped)
		}
		if got.Pass && got.Skipped {
			t.Errorf("%s: both pass and skipped", tt.rule)
		}
	}
}

func TestEvalExplains(t *testing.T) {
	vals := values{sets: sets, v: map[string]float64{
		"#{W1}": 100, "#{W1|sex:female}": 120, "#{W1|sex:male}": 30,
	}}
	tests := []struct {
		rule string
		want Result
	}{
		{"#{W1|sex:female} <= #{W1}", Result{Op: "<=", Left: 120, Right: 100, LeftText: "#{W1|sex:female}", RightText: "#{W1}"}},
		{"#{W1|sex:male} <= #{W1}", Result{Pass: true, Op: "<=", Left: 30, Right: 100, LeftText: "#{W1|sex:male}", RightText: "#{W1}"}},
		{"#{W1} == sum(#{W1|sex:*})", Result{Op: "==", Left: 100, Right: 150, LeftText: "#{W1}", RightText: "sum(#{W1|sex:*})"}},
		{"#{W1} >= 0 and #{W1|sex:female} <= #{W1}", Result{Op: "<=", Left: 120, Right: 100, LeftText: "#{W1|sex:female}", RightText: "#{W1}"}},
		// an "or" that holds does not explain the failure; the failing comparison beside it does
		{"(#{W1} < 0 or #{W1} > 0) and #{W1|sex:female} <= #{W1}", Result{Op: "<=", Left: 120, Right: 100, LeftText: "#{W1|sex:female}", RightText: "#{W1}"}},
		// under "not" the violated condition is the negation of what is written
		{"not #{W1|sex:female} > #{W1}", Result{Op: "<=", Left: 120, Right: 100, LeftText: "#{W1|sex:female}", RightText: "#{W1}"}},
		{"not (#{W1} > 0 and #{W1|sex:male} < 50)", Result{Op: "<=", Left: 100, Right: 0, LeftText: "#{W1}", RightText: "0"}},
		// a passing compound rule needs no explanation
		{"#{W1} > 0 and #{W1|sex:male} < 50", Result{Pass: true}},
		{"exists(#{W1}) and not exists(#{W1|sex:female})", Result{}},
		// a skipped comparison reports what was missing
		{"#{W1|age:18+} <= #{W1}", Result{Skipped: true, Op: "<=", Right: 100, LeftText: "#{W1|age:18+}", RightText: "#{W1}",
			Missing: []Ref{{Indicator: "W1", Combo: "age:18+"}}}},
		{"sum(#{W1|age:*}) <= #{W1}", Result{Skipped: true, Op: "<=", Right: 100, LeftText: "sum(#{W1|age:*})", RightText: "#{W1}",
			Missing: []Ref{{Indicator: "W1", Combo: "age:0-11"}, {Indicator: "W1", Combo: "age:12-15"}, {Indicator: "W1", Combo: "age:16-17"}, {Indicator: "W1", Combo: "age:18+"}}}},
		{"prev(#{W1}) <= #{W1} and prev(#{W1}) >= 0", Result{Skipped: true, Missing: []Ref{{Indicator: "W1", Prev: true}}}},
	}
	for _, tt := range tests {
		e, err := ParseRule(tt.rule)
		if err != nil {
			t.Fatalf("ParseRule(%q): %v", tt.rule, err)
		}
		if got := e.Eval(vals); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.rule, got, tt.want)
		}
	}
}

func TestEvalNumber(t *testing.T) {
	vals := values{sets: sets, v: map[string]float64{
		"#{A}": 3, "#{B}": 4, "#{NUM}": 25, "#{DEN}": 200, "#{Z}": 0,
		"#{A|sex:female}": 1, "#{A|sex:male}": 2, "prev(#{A})": 2,
	}}
	tests := []struct {
		formula string
		want    float64
		ok      bool
	}{
		{"#{A} + #{B}", 7, true},
		{"100 * #{NUM} / #{DEN}", 12.5, true},
		{"#{NUM} / #{Z}", 0, false},
		{"#{A} + #{MISSING}", 0, false},
		{"sum(#{A}, #{MISSING})", 3, true},
		{"sum(#{A|sex:*}) / #{A}", 1, true},
		{"#{A} - prev(#{A})", 1, true},
		{"abs(prev(#{A}) - #{A})", 1, true},
		{"count(#{A}, #{B}, #{MISSING})", 2, true},
		{"max(#{A}, #{B}) - min(#{A}, #{B})", 1, true},
		{"-#{A}", -3, true},
		{"-#{MISSING}", 0, false},
		{"2.5", 2.5, true},
	}
	for _, tt := range tests {
		e, err := ParseFormula(tt.formula)
		if err != nil {
			t.Fatalf("ParseFormula(%q): %v", tt.formula, err)
		}
		got, ok := e.EvalNumber(vals)
		if ok != tt.ok || (ok && math.Abs(got-tt.want) > 1e-12) {
			t.Errorf("%s = %v, %v; want %v, %v", tt.formula, got, ok, tt.want, tt.ok)
		}
		if r := e.Eval(vals); !r.Skipped || r.Pass {
			t.Errorf("Eval of formula %s = %+v, want skipped", tt.formula, r)
		}
	}
	r, _ := ParseRule("#{A} > 0")
	if v, ok := r.EvalNumber(vals); ok {
		t.Errorf("EvalNumber of a rule = %v, true", v)
	}
}

func TestRefs(t *testing.T) {
	e, err := Parse("#{B|sex:female,age:12-15} + sum(#{A|sex:*}, prev(#{A|sex:*}), #{B|age:12-15,sex:female}) + abs(prev(#{B})) / #{A} - #{B} > count(#{A})")
	if err != nil {
		t.Fatal(err)
	}
	want := []Ref{
		{Indicator: "B", Combo: "age:12-15,sex:female"},
		{Indicator: "A", Wildcard: "sex"},
		{Indicator: "A", Wildcard: "sex", Prev: true},
		{Indicator: "B", Prev: true},
		{Indicator: "A"},
		{Indicator: "B"},
	}
	if got := e.Refs(); !reflect.DeepEqual(got, want) {
		t.Errorf("Refs() =\n%+v\nwant\n%+v", got, want)
	}
	if n, _ := Parse("1 < 2"); len(n.Refs()) != 0 {
		t.Errorf("Refs of a constant rule = %v", n.Refs())
	}
}

func TestRef(t *testing.T) {
	r := Ref{Indicator: "W1", Combo: ComboKey(map[string]string{"sex": "female", "age": "12-15"})}
	if r.Combo != "age:12-15,sex:female" {
		t.Errorf("ComboKey = %q", r.Combo)
	}
	if ComboKey(nil) != "" {
		t.Errorf("ComboKey(nil) = %q", ComboKey(nil))
	}
	if got := r.Categories(); !reflect.DeepEqual(got, map[string]string{"sex": "female", "age": "12-15"}) {
		t.Errorf("Categories = %v", got)
	}
	if got := (Ref{Indicator: "W1"}).Categories(); len(got) != 0 {
		t.Errorf("Categories of a total = %v", got)
	}
	w := Ref{Indicator: "W1", Combo: "age:12-15", Wildcard: "sex", Prev: true}
	if w.Key() != "prev(#{W1|age:12-15,sex:*})" {
		t.Errorf("Key = %q", w.Key())
	}
	if w := (Ref{Indicator: "W1", Combo: "sex:f", Wildcard: "age"}); w.Key() != "#{W1|age:*,sex:f}" {
		t.Errorf("Key = %q", w.Key())
	}
	c := w.With("sex", "male")
	if c != (Ref{Indicator: "W1", Combo: "age:12-15,sex:male", Prev: true}) {
		t.Errorf("With = %+v", c)
	}
	if c.Key() != "prev(#{W1|age:12-15,sex:male})" {
		t.Errorf("With key = %q", c.Key())
	}
	// Every key is itself a valid expression that lists that very reference.
	for _, ref := range []Ref{r, w, c, {Indicator: "X"}} {
		src := ref.Key()
		if ref.Wildcard != "" {
			src = "sum(" + src + ")"
		}
		e, err := Parse(src)
		if err != nil || !reflect.DeepEqual(e.Refs(), []Ref{ref}) {
			t.Errorf("Parse(%q) refs = %v, %v", src, e.Refs(), err)
		}
	}
}

// This expander forgets Prev and hands back the wildcard itself; Eval must restore the one and
// ignore the other.
type selfExpander struct{ values }

func (s selfExpander) Expand(ref Ref) []Ref {
	return []Ref{ref, {Indicator: ref.Indicator, Combo: "sex:female"}}
}

func TestExpandKeepsPrevAndDropsWildcards(t *testing.T) {
	vals := selfExpander{values{v: map[string]float64{"prev(#{A|sex:female})": 4, "#{A|sex:female}": 9}}}
	e, _ := Parse("sum(prev(#{A|sex:*}))")
	if v, ok := e.EvalNumber(vals); !ok || v != 4 {
		t.Errorf("sum(prev(...)) = %v, %v; want 4", v, ok)
	}
}
