package expr

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tNum
	tRef
	tName
	tOp // operators and punctuation; text holds the canonical spelling
)

type token struct {
	kind tokKind
	pos  int
	text string // tName: lower-cased name; tOp: canonical operator
	num  float64
	ref  Ref
}

// Spellings accepted for operators, longest first so "<=" wins over "<". "=" and the Unicode
// signs are accepted because rules are typed by programme staff who write "total = sum" or paste
// "≤" from documents; the canonical form uses the ASCII operator.
var ops = []struct{ in, out string }{
	{"==", "=="}, {"!=", "!="}, {"<=", "<="}, {">=", ">="}, {"&&", "and"}, {"||", "or"},
	{"≤", "<="}, {"≥", ">="}, {"≠", "!="},
	{"=", "=="}, {"<", "<"}, {">", ">"}, {"!", "not"},
	{"+", "+"}, {"-", "-"}, {"*", "*"}, {"/", "/"}, {"(", "("}, {")", ")"}, {",", ","},
}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i >= len(src) {
			return append(toks, token{kind: tEOF, pos: i}), nil
		}
		c := src[i]
		switch {
		case c >= '0' && c <= '9':
			t, n, err := lexNumber(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = n
			continue
		case c == '#':
			t, n, err := lexRef(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = n
			continue
		}
		if r, _ := utf8.DecodeRuneInString(src[i:]); unicode.IsLetter(r) || r == '_' {
			j := i
			for j < len(src) {
				r, size := utf8.DecodeRuneInString(src[j:])
				if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
					break
				}
				j += size
			}
			toks = append(toks, token{kind: tName, pos: i, text: strings.ToLower(src[i:j])})
			i = j
			continue
		}
		matched := false
		for _, o := range ops {
			if strings.HasPrefix(src[i:], o.in) {
				toks = append(toks, token{kind: tOp, pos: i, text: o.out})
				i += len(o.in)
				matched = true
				break
			}
		}
		if !matched {
			return nil, &SyntaxError{Pos: i, Code: CodeBadCharacter, Msg: "unexpected character"}
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Decimal numbers only: no exponents, signs or hex, so that what a person reads is the value.
func lexNumber(src string, i int) (token, int, error) {
	j := i
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	if j < len(src) && src[j] == '.' {
		j++
		if j >= len(src) || !isDigit(src[j]) {
			return token{}, 0, &SyntaxError{Pos: i, Code: CodeBadNumber, Msg: "a decimal point must be followed by digits"}
		}
		for j < len(src) && isDigit(src[j]) {
			j++
		}
	}
	v, err := strconv.ParseFloat(src[i:j], 64)
	if err != nil {
		return token{}, 0, &SyntaxError{Pos: i, Code: CodeBadNumber, Msg: "number too large"}
	}
	return token{kind: tNum, pos: i, num: v}, j, nil
}

// lexRef reads #{CODE} or #{CODE|set:category,...}, with optional spaces between the parts.
func lexRef(src string, start int) (token, int, error) {
	fail := func(pos int, msg string) (token, int, error) {
		return token{}, 0, &SyntaxError{Pos: pos, Code: CodeBadReference, Msg: msg}
	}
	i := start + 1
	if i >= len(src) || src[i] != '{' {
		return fail(start, "a reference is written #{CODE}")
	}
	i++
	skip := func() {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
	}
	code := func(plus bool) string {
		j := i
		for j < len(src) {
			r, size := utf8.DecodeRuneInString(src[j:])
			if !isCodeRune(r) && !(plus && r == '+') {
				break
			}
			j += size
		}
		s := src[i:j]
		i = j
		return s
	}
	skip()
	ref := Ref{Indicator: code(false)}
	if ref.Indicator == "" {
		return fail(i, "missing indicator code in reference")
	}
	skip()
	combo := map[string]string{}
	if i < len(src) && src[i] == '|' {
		for {
			i++
			skip()
			setPos := i
			set := code(false)
			if set == "" {
				return fail(i, "missing category set code in reference")
			}
			skip()
			if i >= len(src) || src[i] != ':' {
				return fail(i, "expected ':' between category set and category")
			}
			i++
			skip()
			var cat string
			if i < len(src) && src[i] == '*' {
				cat = "*"
				i++
			} else if cat = code(true); cat == "" {
				return fail(i, "missing category code in reference")
			}
			if _, dup := combo[set]; dup || set == ref.Wildcard {
				return fail(setPos, "category set repeated in reference")
			}
			if cat == "*" {
				if ref.Wildcard != "" {
					return fail(setPos, "only one category set may be '*'")
				}
				ref.Wildcard = set
			} else {
				combo[set] = cat
			}
			skip()
			if i >= len(src) || src[i] != ',' {
				break
			}
		}
	}
	if i >= len(src) || src[i] != '}' {
		if i >= len(src) {
			return fail(start, "reference is not closed with '}'")
		}
		return fail(i, "unexpected character in reference")
	}
	ref.Combo = ComboKey(combo)
	return token{kind: tRef, pos: start, ref: ref}, i + 1, nil
}

func isCodeRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-'
}
