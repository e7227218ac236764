package expr

import "math"

// number is a value that may be missing.
type number struct {
	v  float64
	ok bool
}

// truth is three-valued: a condition on a missing value is unknown, and the rule is skipped.
type truth int

const (
	unknown truth = iota
	no
	yes
)

type sides struct{ left, right number }

type evaluator struct {
	r       Resolver
	missing []Ref
	seen    map[string]bool
	// Each condition's value and each comparison's operands, to explain the outcome.
	truths map[*node]truth
	cmps   map[*node]sides
}

func newEval(r Resolver) *evaluator {
	return &evaluator{r: r, seen: map[string]bool{}, truths: map[*node]truth{}, cmps: map[*node]sides{}}
}

func finite(v float64) number {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return number{}
	}
	return number{v: v, ok: true}
}

func (e *evaluator) value(ref Ref) number {
	v, ok := e.r.Value(ref)
	if ok {
		if n := finite(v); n.ok {
			return n
		}
	}
	if k := ref.Key(); !e.seen[k] {
		e.seen[k] = true
		e.missing = append(e.missing, ref)
	}
	return number{}
}

// parts evaluates an aggregate's arguments, expanding wildcard references.
func (e *evaluator) parts(args []*node) []number {
	var out []number
	for _, a := range args {
		if a.kind != kindRef || a.ref.Wildcard == "" {
			out = append(out, e.num(a))
			continue
		}
		for _, r := range e.r.Expand(a.ref) {
			if r.Wildcard != "" {
				continue
			}
			r.Prev = a.ref.Prev
			out = append(out, e.value(r))
		}
	}
	return out
}

func (e *evaluator) num(n *node) number {
	switch n.kind {
	case kindNum:
		return number{v: n.num, ok: true}
	case kindRef:
		return e.value(n.ref)
	case kindUnary:
		if x := e.num(n.args[0]); x.ok {
			return number{v: -x.v, ok: true}
		}
		return number{}
	case kindBinary:
		l, r := e.num(n.args[0]), e.num(n.args[1])
		if !l.ok || !r.ok {
			return number{}
		}
		switch n.op {
		case "+":
			return finite(l.v + r.v)
		case "-":
			return finite(l.v - r.v)
		case "*":
			return finite(l.v * r.v)
		case "/":
			if r.v == 0 {
				return number{}
			}
			return finite(l.v / r.v)
		}
	case kindCall:
		if n.op == "abs" {
			if x := e.num(n.args[0]); x.ok {
				return number{v: math.Abs(x.v), ok: true}
			}
			return number{}
		}
		parts := e.parts(n.args)
		if n.op == "count" {
			c := 0
			for _, p := range parts {
				if p.ok {
					c++
				}
			}
			return number{v: float64(c), ok: true}
		}
		var acc number
		for _, p := range parts {
			switch {
			case !p.ok:
			case !acc.ok:
				acc = p
			case n.op == "sum":
				acc.v += p.v
			case n.op == "min":
				acc.v = math.Min(acc.v, p.v)
			case n.op == "max":
				acc.v = math.Max(acc.v, p.v)
			}
		}
		if acc.ok {
			return finite(acc.v)
		}
		return acc
	}
	return number{}
}

func (e *evaluator) cond(n *node) truth {
	t := e.cond1(n)
	e.truths[n] = t
	return t
}

func (e *evaluator) cond1(n *node) truth {
	switch n.kind {
	case kindUnary: // not
		switch e.cond(n.args[0]) {
		case yes:
			return no
		case no:
			return yes
		}
		return unknown
	case kindCall: // exists
		for _, p := range e.parts(n.args) {
			if p.ok {
				return yes
			}
		}
		return no
	case kindBinary:
		if n.op == "and" || n.op == "or" {
			// Both sides are always evaluated so Missing and the explanation see every value.
			l, r := e.cond(n.args[0]), e.cond(n.args[1])
			decisive := no
			if n.op == "or" {
				decisive = yes
			}
			switch {
			case l == decisive || r == decisive:
				return decisive
			case l == unknown || r == unknown:
				return unknown
			}
			return 3 - decisive // the other of yes and no
		}
		l, r := e.num(n.args[0]), e.num(n.args[1])
		e.cmps[n] = sides{l, r}
		if !l.ok || !r.ok {
			return unknown
		}
		if compare(n.op, l.v, r.v) {
			return yes
		}
		return no
	}
	return unknown
}

// compare treats numbers within a relative 1e-9 as equal: values entered as decimals should not
// break "total == sum of parts" through binary rounding (0.1 + 0.2 != 0.3).
func compare(op string, a, b float64) bool {
	eq := math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
	switch op {
	case "==":
		return eq
	case "!=":
		return !eq
	case "<":
		return a < b && !eq
	case "<=":
		return a < b || eq
	case ">":
		return a > b && !eq
	case ">=":
		return a > b || eq
	}
	return false
}

// explain finds the comparison that accounts for a rule's outcome: the rule itself if it is a
// comparison, otherwise (only when the rule failed) the first comparison that made it fail. The
// operator returned is the one that was violated: under "not" it is the comparison's negation.
func (e *evaluator) explain(root *node) (*node, string) {
	if _, ok := e.cmps[root]; ok {
		return root, root.op
	}
	if e.truths[root] != no {
		return nil, ""
	}
	return e.decider(root, no, false)
}

var negated = map[string]string{"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}

// decider walks down from n, which evaluated to want, through the operands that gave it that
// value, to the first comparison.
func (e *evaluator) decider(n *node, want truth, neg bool) (*node, string) {
	if e.truths[n] != want {
		return nil, ""
	}
	if _, ok := e.cmps[n]; ok {
		if neg {
			return n, negated[n.op]
		}
		return n, n.op
	}
	if n.kind == kindUnary {
		return e.decider(n.args[0], 3-want, !neg)
	}
	if n.kind == kindBinary {
		for _, a := range n.args {
			if c, op := e.decider(a, want, neg); c != nil {
				return c, op
			}
		}
	}
	return nil, ""
}
