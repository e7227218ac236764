package expr

import (
	"errors"
	"hash/fnv"
	"reflect"
	"slices"
	"testing"
)

// hashed answers every reference with a value derived from its key, so results are repeatable:
// about a fifth are missing, some are zero (to reach division by zero), some negative or huge.
type hashed struct{}

func (hashed) Value(ref Ref) (float64, bool) {
	h := fnv.New64a()
	h.Write([]byte(ref.Key()))
	n := h.Sum64()
	switch n % 10 {
	case 0, 1:
		return 0, false
	case 2:
		return 0, true
	case 3:
		return -float64(n % 1000), true
	case 4:
		return 1.7e308, true
	}
	return float64(n%100000) / 100, true
}

func (hashed) Expand(ref Ref) []Ref {
	h := fnv.New64a()
	h.Write([]byte(ref.Wildcard))
	var out []Ref
	for i := range h.Sum64() % 4 {
		out = append(out, ref.With(ref.Wildcard, string(rune('a'+i))))
	}
	return out
}

var codes = []string{CodeEmpty, CodeTooLong, CodeTooDeep, CodeBadCharacter, CodeBadNumber,
	CodeBadReference, CodeUnexpectedToken, CodeUnexpectedEnd, CodeUnclosedParen,
	CodeUnknownFunction, CodeUnknownName, CodeWrongArguments, CodeTypeMismatch,
	CodeMisplacedWildcard}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"#{W1|sex:female} <= #{W1}",
		"#{W1} == sum(#{W1|sex:*})",
		"#{W1|age:12-15,sex:female} <= #{W1|sex:female}",
		"sum(#{W1|sex:female,age:*}) <= #{W1|sex:female}",
		"#{P1} >= 0 and #{P1} <= 100",
		"abs(#{W1} - prev(#{W1})) <= 0.5 * prev(#{W1})",
		"not exists(#{W1}) or count(#{W1|sex:*}) == 2",
		"100 * #{NUM} / #{DEN}",
		"#{A} + #{B} - min(#{C}, 0) * max(#{D|age:*}, 1)",
		"#{T} = sum(#{T|age:0-11}, #{T|age:12-15}, #{T|age:16-17}, #{T|age:18+})",
		"#{W1} ≤ 1.5 * prev(#{W1}) && #{W1} ≥ 0.5 * prev(#{W1}) || !exists(prev(#{W1}))",
		"#{受益人|性别:女} <= #{受益人}",
		"#{指标.1} ≠ 0",
		"总数 > 0",
		"#{A|民族:*}",
		"((((#{A}))))",
		"- - -1",
		"1 / 0 == 1 / 0",
		"#{A\xff} > 0",
		"#{A} > \xc3\x28",
		"#{A|sex:f,sex:m}",
		"sum(",
		"#{",
		"#{A|",
		"0.1 + 0.2 == 0.3",
		"99999999999999999999999999999999999999 * 99999999999999999999999999999999999999 > 0",
		"",
		"\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T %v is not a *SyntaxError", src, err, err)
			}
			if se.Pos < 0 || se.Pos > len(src) || !slices.Contains(codes, se.Code) || se.Msg == "" {
				t.Fatalf("Parse(%q) = %+v: position, code or message out of range", src, se)
			}
			return
		}
		s := e.String()
		again, err := Parse(s)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", s, src, err)
		}
		if again.String() != s {
			t.Fatalf("canonical form not stable: %q -> %q", s, again.String())
		}
		if again.IsRule() != e.IsRule() || !reflect.DeepEqual(again.Refs(), e.Refs()) {
			t.Fatalf("canonical %q changes kind or references of %q", s, src)
		}
		for _, ref := range e.Refs() {
			k := ref.Key()
			if ref.Wildcard != "" {
				k = "sum(" + k + ")"
			}
			if r, err := Parse(k); err != nil || !reflect.DeepEqual(r.Refs(), []Ref{ref}) {
				t.Fatalf("reference key %q does not parse back to %+v: %v", k, ref, err)
			}
		}
		res := e.Eval(hashed{})
		if res.Pass && res.Skipped {
			t.Fatalf("%q both passed and was skipped", s)
		}
		if !reflect.DeepEqual(again.Eval(hashed{}), res) {
			t.Fatalf("canonical %q evaluates differently from %q", s, src)
		}
		v, ok := e.EvalNumber(hashed{})
		if v2, ok2 := again.EvalNumber(hashed{}); v2 != v || ok2 != ok {
			t.Fatalf("canonical %q computes %v,%v; %q computes %v,%v", s, v2, ok2, src, v, ok)
		}
		if ok && e.IsRule() {
			t.Fatalf("EvalNumber of rule %q gave a number", s)
		}
	})
}
