package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestUIRulesGetTheirParam finds every failure raised in code as valid.New(field, rule) or
// es.Add(field, rule), with no parameter, whose message names its parameter: such a message
// reads "Year “” is already in use." (as creating a work plan for a year already planned did).
func TestUIRulesGetTheirParam(t *testing.T) {
	en := NewTr("en")
	fset := token.NewFileSet()
	var checked int
	err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "New" && sel.Sel.Name != "Add" {
				return true
			}
			lit, ok := call.Args[1].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			rule, _ := strconv.Unquote(lit.Value)
			// The message as a failure without a parameter renders it: the field is named, the
			// parameter is not.
			msg := en.T("rule."+rule, "Field", "F")
			if msg == "rule."+rule {
				return true
			}
			checked++
			if strings.Contains(msg, "<no value>") {
				t.Errorf("%s: rule %q raised without the parameter its message names: %q", fset.Position(call.Pos()), rule, msg)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Errorf("only %d calls checked: the walk misses the code", checked)
	}
}
