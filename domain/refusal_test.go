package domain_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/account"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/domain/studio"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/domain/unit"
)

// TestStateRefusalsAreBuiltWithAReason keeps the API's generic 409
// ("当前状态下不能进行此操作") unreachable by construction: outside its
// declaration, ErrInvalidState may only be the target of errors.Is. Every
// refusal by state is a domain.StateError (domain.Refusal), which carries
// the reason for users.
func TestStateRefusalsAreBuiltWithAReason(t *testing.T) {
	root := ".."
	var bad []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
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
		allowed := map[ast.Node]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				// errors.Is(err, domain.ErrInvalidState): matching is fine.
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Is" && len(n.Args) == 2 {
					allowed[n.Args[1]] = true
				}
			case *ast.BinaryExpr:
				// target == ErrInvalidState inside an Is method.
				if n.Op == token.EQL {
					allowed[n.X], allowed[n.Y] = true, true
				}
			case *ast.ValueSpec:
				for _, name := range n.Names {
					if name.Name == "ErrInvalidState" {
						allowed[name] = true
					}
				}
			}
			if allowed[n] {
				return false
			}
			switch n := n.(type) {
			case *ast.Ident:
				if n.Name == "ErrInvalidState" {
					bad = append(bad, fset.Position(n.Pos()).String())
				}
			case *ast.SelectorExpr:
				if n.Sel.Name == "ErrInvalidState" {
					bad = append(bad, fset.Position(n.Pos()).String())
					return false
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range bad {
		t.Errorf("%s: a state refusal built from ErrInvalidState has no reason for users; use domain.Refusal", p)
	}
}

// TestStateSentinelsNameTheirReason: every declared refusal by state has a
// Chinese reason of its own.
func TestStateSentinelsNameTheirReason(t *testing.T) {
	sentinels := map[string]error{
		"teacher.ErrNotRegistered":        teacher.ErrNotRegistered,
		"teacher.ErrAlreadyRegistered":    teacher.ErrAlreadyRegistered,
		"teacher.ErrCorrectionPending":    teacher.ErrCorrectionPending,
		"teacher.ErrCorrectionDecided":    teacher.ErrCorrectionDecided,
		"teacher.ErrTransferOpen":         teacher.ErrTransferOpen,
		"teacher.ErrNoOpenTransfer":       teacher.ErrNoOpenTransfer,
		"teacher.ErrUnitChangeInTransfer": teacher.ErrUnitChangeInTransfer,
		"account.ErrNotCreated":           account.ErrNotCreated,
		"account.ErrAlreadyCreated":       account.ErrAlreadyCreated,
		"account.ErrDisabled":             account.ErrDisabled,
		"account.ErrAlreadyLocked":        account.ErrAlreadyLocked,
		"account.ErrNotLocked":            account.ErrNotLocked,
		"unit.ErrNotRegistered":           unit.ErrNotRegistered,
		"unit.ErrAlreadyRegistered":       unit.ErrAlreadyRegistered,
		"registration.ErrNotRegistered":   registration.ErrNotRegistered,
		"credit.ErrNotHeld":               credit.ErrNotHeld,
		"studio.ErrClosed":                studio.ErrClosed,
	}
	seen := map[string]string{}
	for name, err := range sentinels {
		if !errors.Is(err, domain.ErrInvalidState) {
			t.Errorf("%s does not match ErrInvalidState", name)
		}
		var u interface{ UserMessage() string }
		if !errors.As(err, &u) {
			t.Errorf("%s has no reason for users", name)
			continue
		}
		msg := u.UserMessage()
		if msg == "" || msg == "当前状态下不能进行此操作" {
			t.Errorf("%s: reason %q is not specific", name, msg)
		}
		if other, ok := seen[msg]; ok {
			t.Errorf("%s and %s share the reason %q", name, other, msg)
		}
		seen[msg] = name
	}
}
