package web

import (
	"testing"

	"ting/internal/results"
)

// Every syntax error of the rule language has its message in both languages; the generic
// catalog test cannot see these because the rule names are built from the error codes.
func TestExpressionErrorMessages(t *testing.T) {
	for _, lang := range Langs {
		tr := NewTr(lang)
		for _, code := range results.ExpressionRules {
			key := "rule." + results.ExpressionRule(code)
			if !tr.Has(key) {
				t.Errorf("%s: %s missing", lang, key)
			}
		}
	}
}
