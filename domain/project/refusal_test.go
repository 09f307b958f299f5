package project

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStatusRefusalsNameWhatIsRefused: every StatusRefusal in the code
// refuses something the user's message names (发布成绩, 推荐, ...), not a
// generic "不能进行此操作".
func TestStatusRefusalsNameWhatIsRefused(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	calls := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "StatusRefusal" || len(call.Args) != 1 {
				return true
			}
			calls++
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok {
				t.Errorf("%s: StatusRefusal with a computed argument", fset.Position(call.Pos()))
				return true
			}
			doing, _ := strconv.Unquote(lit.Value)
			if _, ok := refusedDoings[doing]; !ok {
				t.Errorf("%s: StatusRefusal(%q) has no Chinese name in refusedDoings", fset.Position(call.Pos()), doing)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Fatal("no StatusRefusal call found")
	}
	p := &Project{status: StatusDraft}
	for doing := range refusedDoings {
		msg := p.StatusRefusal(doing).(interface{ UserMessage() string }).UserMessage()
		if strings.Contains(msg, "不能进行此操作") || !strings.Contains(msg, refusedDoings[doing]) {
			t.Errorf("StatusRefusal(%q) = %q", doing, msg)
		}
	}
}
