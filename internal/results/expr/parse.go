package expr

import (
	"fmt"
	"strconv"
	"strings"
)

type nodeKind int

const (
	kindNum nodeKind = iota
	kindRef
	kindUnary  // op "-" or "not"; args[0]
	kindBinary // args[0] op args[1]
	kindCall   // op is the function name
)

type node struct {
	kind    nodeKind
	pos     int
	op      string
	num     float64
	ref     Ref
	args    []*node
	boolean bool // a condition rather than a number
}

// Binding powers, weakest first. Comparisons do not chain: a < b < c is a type error because
// a < b is a condition.
const (
	precOr = iota + 1
	precAnd
	precNot
	precCmp
	precAdd
	precMul
	precNeg
)

var binaryPrec = map[string]int{
	"or": precOr, "and": precAnd,
	"==": precCmp, "!=": precCmp, "<": precCmp, "<=": precCmp, ">": precCmp, ">=": precCmp,
	"+": precAdd, "-": precAdd, "*": precMul, "/": precMul,
}

type function struct {
	min, max  int  // argument count; max < 0 means any
	refs      bool // arguments must be references
	aggregate bool // arguments may hold a wildcard
	boolean   bool // returns a condition
}

var functions = map[string]function{
	"abs":    {min: 1, max: 1},
	"min":    {min: 1, max: -1, aggregate: true},
	"max":    {min: 1, max: -1, aggregate: true},
	"sum":    {min: 1, max: -1, aggregate: true},
	"count":  {min: 1, max: -1, refs: true, aggregate: true},
	"exists": {min: 1, max: 1, refs: true, aggregate: true, boolean: true},
	"prev":   {min: 1, max: 1, refs: true}, // folded into the reference's Prev flag
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 100

type parser struct {
	toks  []token
	i     int
	depth int
	terms int
}

func parse(src string) (*node, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	if toks[0].kind == tEOF {
		return nil, &SyntaxError{Pos: 0, Code: CodeEmpty, Msg: "empty expression"}
	}
	p := &parser{toks: toks}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, unexpected(t)
	}
	if err := checkWildcards(n, false); err != nil {
		return nil, err
	}
	return n, nil
}

// node counts every node made so that MaxTerms holds.
func (p *parser) node(n *node) (*node, error) {
	if p.terms++; p.terms > MaxTerms {
		return nil, &SyntaxError{Pos: n.pos, Code: CodeTooLong, Msg: fmt.Sprintf("expression has more than %d terms", MaxTerms)}
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func unexpected(t token) error {
	if t.kind == tEOF {
		return &SyntaxError{Pos: t.pos, Code: CodeUnexpectedEnd, Msg: "expression ends too early"}
	}
	return &SyntaxError{Pos: t.pos, Code: CodeUnexpectedToken, Msg: "unexpected " + describe(t)}
}

func describe(t token) string {
	switch t.kind {
	case tNum:
		return "number"
	case tRef:
		return "reference"
	}
	return fmt.Sprintf("%q", t.text)
}

// expr parses operators binding tighter than minPrec (Pratt).
func (p *parser) expr(minPrec int) (*node, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, &SyntaxError{Pos: p.peek().pos, Code: CodeTooDeep, Msg: "expression nested too deeply"}
	}
	defer func() { p.depth-- }()
	left, err := p.prefix()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		prec, ok := infixPrec(t)
		if !ok || prec <= minPrec {
			return left, nil
		}
		p.next()
		right, err := p.expr(prec)
		if err != nil {
			return nil, err
		}
		if left, err = binary(t, left, right); err != nil {
			return nil, err
		}
		if left, err = p.node(left); err != nil {
			return nil, err
		}
	}
}

// infixPrec is t's binding power if t is a binary operator.
func infixPrec(t token) (int, bool) {
	if t.kind == tOp || t.kind == tName && (t.text == "and" || t.text == "or") {
		p, ok := binaryPrec[t.text]
		return p, ok
	}
	return 0, false
}

func binary(t token, l, r *node) (*node, error) {
	n := &node{kind: kindBinary, pos: t.pos, op: t.text, args: []*node{l, r}}
	switch binaryPrec[t.text] {
	case precOr, precAnd:
		if !l.boolean || !r.boolean {
			return nil, mismatch(t.pos, "%q joins conditions, not numbers", t.text)
		}
		n.boolean = true
	case precCmp:
		if l.boolean || r.boolean {
			return nil, mismatch(t.pos, "%q compares numbers, not conditions", t.text)
		}
		n.boolean = true
	default:
		if l.boolean || r.boolean {
			return nil, mismatch(t.pos, "%q works on numbers, not conditions", t.text)
		}
	}
	return n, nil
}

func mismatch(pos int, format string, a ...any) error {
	return &SyntaxError{Pos: pos, Code: CodeTypeMismatch, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) prefix() (*node, error) {
	t := p.next()
	switch {
	case t.kind == tNum:
		return p.node(&node{kind: kindNum, pos: t.pos, num: t.num})
	case t.kind == tRef:
		return p.node(&node{kind: kindRef, pos: t.pos, ref: t.ref})
	case t.kind == tOp && t.text == "(":
		n, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tOp || c.text != ")" {
			if c.kind == tEOF {
				return nil, &SyntaxError{Pos: t.pos, Code: CodeUnclosedParen, Msg: "'(' is never closed"}
			}
			return nil, unexpected(c)
		}
		return n, nil
	case t.kind == tOp && t.text == "-":
		x, err := p.expr(precNeg - 1)
		if err != nil {
			return nil, err
		}
		if x.boolean {
			return nil, mismatch(t.pos, "'-' works on numbers, not conditions")
		}
		return p.node(&node{kind: kindUnary, pos: t.pos, op: "-", args: []*node{x}})
	case t.text == "not" && (t.kind == tOp || t.kind == tName):
		x, err := p.expr(precNot - 1)
		if err != nil {
			return nil, err
		}
		if !x.boolean {
			return nil, mismatch(t.pos, "'not' works on conditions, not numbers")
		}
		return p.node(&node{kind: kindUnary, pos: t.pos, op: "not", args: []*node{x}, boolean: true})
	case t.kind == tName && t.text != "and" && t.text != "or":
		if c := p.peek(); c.kind != tOp || c.text != "(" {
			return nil, &SyntaxError{Pos: t.pos, Code: CodeUnknownName, Msg: fmt.Sprintf("unknown name %q", t.text)}
		}
		return p.call(t)
	}
	return nil, unexpected(t)
}

func (p *parser) call(name token) (*node, error) {
	f, ok := functions[name.text]
	if !ok {
		return nil, &SyntaxError{Pos: name.pos, Code: CodeUnknownFunction, Msg: fmt.Sprintf("unknown function %q", name.text)}
	}
	open := p.next()
	var args []*node
	if c := p.peek(); c.kind == tOp && c.text == ")" {
		p.next()
	} else {
		for {
			a, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			c := p.next()
			if c.kind == tOp && c.text == "," {
				continue
			}
			if c.kind == tOp && c.text == ")" {
				break
			}
			if c.kind == tEOF {
				return nil, &SyntaxError{Pos: open.pos, Code: CodeUnclosedParen, Msg: "'(' is never closed"}
			}
			return nil, unexpected(c)
		}
	}
	wrong := func(msg string) error {
		return &SyntaxError{Pos: name.pos, Code: CodeWrongArguments, Msg: name.text + " " + msg}
	}
	switch {
	case len(args) < f.min && f.max == f.min:
		return nil, wrong("takes exactly one argument")
	case len(args) < f.min:
		return nil, wrong("needs at least one argument")
	case f.max >= 0 && len(args) > f.max:
		return nil, wrong("takes exactly one argument")
	}
	for _, a := range args {
		if f.refs && a.kind != kindRef {
			return nil, wrong("takes references such as #{CODE}")
		}
		if a.boolean {
			return nil, mismatch(a.pos, "%s takes numbers, not conditions", name.text)
		}
	}
	if name.text == "prev" {
		if args[0].ref.Prev {
			return nil, wrong("cannot be applied twice")
		}
		r := args[0].ref
		r.Prev = true
		return &node{kind: kindRef, pos: name.pos, ref: r}, nil
	}
	return p.node(&node{kind: kindCall, pos: name.pos, op: name.text, args: args, boolean: f.boolean})
}

// checkWildcards rejects set:* where it has no meaning: a wildcard stands for several values, so
// only a function that reduces a list can take it directly.
func checkWildcards(n *node, allowed bool) error {
	if n.kind == kindRef && n.ref.Wildcard != "" && !allowed {
		return &SyntaxError{Pos: n.pos, Code: CodeMisplacedWildcard, Msg: "a reference with '*' must be inside sum, min, max, count or exists"}
	}
	agg := n.kind == kindCall && functions[n.op].aggregate
	for _, a := range n.args {
		if err := checkWildcards(a, agg); err != nil {
			return err
		}
	}
	return nil
}

func renderString(n *node) string {
	var b strings.Builder
	render(&b, n)
	return b.String()
}

func prec(n *node) int {
	switch n.kind {
	case kindBinary:
		return binaryPrec[n.op]
	case kindUnary:
		if n.op == "not" {
			return precNot
		}
		return precNeg
	}
	return precNeg + 1
}

// render writes the canonical form. The right operand of a binary operator is parenthesised at
// equal precedence too, so the tree (and floating-point order of evaluation) survives a round trip.
func render(b *strings.Builder, n *node) {
	sub := func(x *node, paren bool) {
		if paren {
			b.WriteByte('(')
		}
		render(b, x)
		if paren {
			b.WriteByte(')')
		}
	}
	switch n.kind {
	case kindNum:
		b.WriteString(strconv.FormatFloat(n.num, 'f', -1, 64))
	case kindRef:
		b.WriteString(n.ref.Key())
	case kindUnary:
		b.WriteString(n.op)
		if n.op == "not" {
			b.WriteByte(' ')
		}
		sub(n.args[0], prec(n.args[0]) < prec(n))
	case kindBinary:
		p := prec(n)
		sub(n.args[0], prec(n.args[0]) < p)
		b.WriteString(" " + n.op + " ")
		sub(n.args[1], prec(n.args[1]) <= p)
	case kindCall:
		b.WriteString(n.op + "(")
		for i, a := range n.args {
			if i > 0 {
				b.WriteString(", ")
			}
			render(b, a)
		}
		b.WriteByte(')')
	}
}
