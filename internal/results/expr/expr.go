// Package expr is the small language of validation rules and formula indicators: rules such as
// `#{W1|sex:female} <= #{W1}` and formulas such as `100 * #{NUM} / #{DEN}` are stored as text and
// parsed, checked and evaluated here. It is pure: it reads values only through a Resolver and
// knows nothing of the database, periods or units.
//
// A reference without a value is missing. Missing values never make a rule fail: arithmetic with a
// missing operand is missing, a comparison with a missing side is skipped, and/or/not follow
// three-valued (Kleene) logic. The aggregates sum, min and max ignore missing parts and are
// missing only when every part is; count counts the parts that have a value. Division by zero,
// and any result that is not a finite number, is missing too.
package expr

import (
	"fmt"
	"slices"
	"strings"
)

// Ref is a reference to one stored value (or, with Wildcard, to every category of one set).
type Ref struct {
	Indicator string
	// Combo is the normalised disaggregation: "set:category" pairs sorted by set code and joined
	// by commas ("age:12-15,sex:female"); "" is the indicator's total. Build it with ComboKey.
	Combo string
	// Wildcard is the category set written as `set:*`; Resolver.Expand replaces it by each
	// category of the set. It appears only inside sum, min, max, count and exists.
	Wildcard string
	// Prev is the same value in the previous period.
	Prev bool
}

// Key is the reference's canonical source text, e.g. `#{W1|age:12-15,sex:female}` or
// `prev(#{W1|sex:*})`; two references are the same if and only if their keys are equal.
func (r Ref) Key() string {
	var b strings.Builder
	if r.Prev {
		b.WriteString("prev(")
	}
	b.WriteString("#{")
	b.WriteString(r.Indicator)
	if r.Combo != "" || r.Wildcard != "" {
		pairs := r.pairs()
		if r.Wildcard != "" {
			pairs = append(pairs, [2]string{r.Wildcard, "*"})
			slices.SortFunc(pairs, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
		}
		b.WriteByte('|')
		for i, p := range pairs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(p[0] + ":" + p[1])
		}
	}
	b.WriteByte('}')
	if r.Prev {
		b.WriteByte(')')
	}
	return b.String()
}

// String is Key, so references print as they are written.
func (r Ref) String() string { return r.Key() }

// Categories returns the fixed part of the disaggregation as set code → category code.
func (r Ref) Categories() map[string]string {
	m := map[string]string{}
	for _, p := range r.pairs() {
		m[p[0]] = p[1]
	}
	return m
}

// With returns the reference narrowed to category of set; when set is the wildcard set the
// result is concrete. Resolvers use it to expand wildcards.
func (r Ref) With(set, category string) Ref {
	m := r.Categories()
	m[set] = category
	r.Combo = ComboKey(m)
	if r.Wildcard == set {
		r.Wildcard = ""
	}
	return r
}

func (r Ref) pairs() [][2]string {
	if r.Combo == "" {
		return nil
	}
	var out [][2]string
	for p := range strings.SplitSeq(r.Combo, ",") {
		set, cat, _ := strings.Cut(p, ":")
		out = append(out, [2]string{set, cat})
	}
	return out
}

// ComboKey normalises a disaggregation (set code → category code) to the form used in Ref.Combo.
func ComboKey(m map[string]string) string {
	sets := make([]string, 0, len(m))
	for s := range m {
		sets = append(sets, s)
	}
	slices.Sort(sets)
	var b strings.Builder
	for i, s := range sets {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s + ":" + m[s])
	}
	return b.String()
}

// Resolver supplies values to Eval. Value reports false when the reference has no value.
// Expand lists the concrete references a wildcard reference stands for (use Ref.With);
// Eval gives them the Prev flag of the wildcard reference and ignores any still holding a
// wildcard.
type Resolver interface {
	Value(ref Ref) (float64, bool)
	Expand(ref Ref) []Ref
}

// SyntaxError is a rejected expression. Code is stable, for callers to translate; Msg is English.
type SyntaxError struct {
	Pos  int // byte offset in the source
	Code string
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("expr: %s at byte %d", e.Msg, e.Pos)
}

// Codes of SyntaxError.
const (
	CodeEmpty             = "empty"              // nothing but spaces
	CodeTooLong           = "too_long"           // more than MaxTerms numbers, references and operators
	CodeTooDeep           = "too_deep"           // parentheses, calls or unary operators nested over 100 deep
	CodeBadCharacter      = "bad_character"      // a byte that starts no token (or invalid UTF-8)
	CodeBadNumber         = "bad_number"         // "1." or a number too large
	CodeBadReference      = "bad_reference"      // malformed #{...}
	CodeUnexpectedToken   = "unexpected_token"   // a token where it cannot stand
	CodeUnexpectedEnd     = "unexpected_end"     // the expression stops half-way
	CodeUnclosedParen     = "unclosed_paren"     // "(" without ")"; Pos is the "("
	CodeUnknownFunction   = "unknown_function"   // name( with an unknown name
	CodeUnknownName       = "unknown_name"       // a bare word that is no keyword
	CodeWrongArguments    = "wrong_arguments"    // wrong number or kind of arguments
	CodeTypeMismatch      = "type_mismatch"      // a number where a condition is needed or the reverse
	CodeMisplacedWildcard = "misplaced_wildcard" // set:* outside sum/min/max/count/exists
	CodeNotARule          = "not_a_rule"         // ParseRule of a numeric expression
	CodeNotAFormula       = "not_a_formula"      // ParseFormula of a condition
)

// MaxTerms bounds the size of an expression (numbers, references, operators and calls); rules
// are a line or two. It counts terms rather than bytes so the canonical form, which adds spaces,
// is never rejected where its source was accepted.
const MaxTerms = 1000

// Expr is a parsed, type-checked expression. It is immutable and safe for concurrent use.
type Expr struct {
	root *node
}

// Parse parses a rule or a formula.
func Parse(src string) (*Expr, error) {
	root, err := parse(src)
	if err != nil {
		return nil, err
	}
	return &Expr{root: root}, nil
}

// ParseRule parses a validation rule: the expression must be a condition.
func ParseRule(src string) (*Expr, error) {
	e, err := Parse(src)
	if err != nil {
		return nil, err
	}
	if !e.root.boolean {
		return nil, &SyntaxError{Pos: 0, Code: CodeNotARule, Msg: "a rule must be a comparison or condition"}
	}
	return e, nil
}

// ParseFormula parses a formula indicator: the expression must be a number.
func ParseFormula(src string) (*Expr, error) {
	e, err := Parse(src)
	if err != nil {
		return nil, err
	}
	if e.root.boolean {
		return nil, &SyntaxError{Pos: 0, Code: CodeNotAFormula, Msg: "a formula must compute a number, not a condition"}
	}
	return e, nil
}

// IsRule reports whether the expression is a condition (a rule) rather than a number (a formula).
func (e *Expr) IsRule() bool { return e.root.boolean }

// String is the canonical form: normalised spacing, operators, names and combos, and only the
// parentheses needed. Parsing it again gives the same expression.
func (e *Expr) String() string {
	var b strings.Builder
	render(&b, e.root)
	return b.String()
}

// Refs lists the references the expression reads, each once, in order of appearance. Wildcard
// references are listed as written; callers expand them to load the values.
func (e *Expr) Refs() []Ref {
	var out []Ref
	seen := map[string]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if n.kind == kindRef {
			if k := n.ref.Key(); !seen[k] {
				seen[k] = true
				out = append(out, n.ref)
			}
		}
		for _, a := range n.args {
			walk(a)
		}
	}
	walk(e.root)
	return out
}

// Result is the outcome of a rule.
type Result struct {
	Pass    bool // the rule holds
	Skipped bool // the rule could not be decided because a value it needs is missing
	// Op, Left and Right describe the comparison that explains the outcome, so a message can say
	// "female (120) must be <= total (100)": the top-level comparison, or for a failed rule the
	// first comparison that made it fail, found through and/or/not. Op is then the condition that
	// was violated (under "not", the negation of the operator written: "not a > b" gives "<=").
	// Op is "" when there is no such comparison. Left and Right are 0 when their side is missing.
	// LeftText and RightText are the sides' canonical source text.
	Op                  string
	Left, Right         float64
	LeftText, RightText string
	// Missing lists the concrete references that were read and had no value, each once.
	Missing []Ref
}

// Eval checks a rule. A formula (numeric expression) is not a rule: the result is Skipped.
func (e *Expr) Eval(r Resolver) Result {
	ev := newEval(r)
	if !e.root.boolean {
		ev.num(e.root)
		return Result{Skipped: true, Missing: ev.missing}
	}
	t := ev.cond(e.root)
	res := Result{Pass: t == yes, Skipped: t == unknown, Missing: ev.missing}
	if c, op := ev.explain(e.root); c != nil {
		s := ev.cmps[c]
		res.Op = op
		res.Left, res.Right = s.left.v, s.right.v
		res.LeftText, res.RightText = renderString(c.args[0]), renderString(c.args[1])
	}
	return res
}

// EvalNumber computes a formula; false means the result is missing (or e is a rule).
func (e *Expr) EvalNumber(r Resolver) (float64, bool) {
	if e.root.boolean {
		return 0, false
	}
	v := newEval(r).num(e.root)
	return v.v, v.ok
}
