package team_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/team"
)

// TestActivityTypesListsEveryConstant reads the package's source for every
// constant of type ActivityType and checks that ActivityTypes lists each
// one exactly once. Tests elsewhere (delivery's table of what an activity
// sets off) enumerate ActivityTypes, so a type declared but not listed
// would escape them.
func TestActivityTypesListsEveryConstant(t *testing.T) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), ".", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, file := range pkgs["team"].Files {
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "ActivityType" {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok {
						t.Fatalf("an ActivityType constant is not a string literal: %#v", v)
					}
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					declared = append(declared, s)
				}
			}
		}
	}
	if len(declared) == 0 {
		t.Fatal("found no ActivityType constants; the test no longer reads the package")
	}
	var listed []string
	for _, typ := range team.ActivityTypes() {
		listed = append(listed, string(typ))
	}
	slices.Sort(declared)
	slices.Sort(listed)
	if diff := cmp.Diff(declared, listed); diff != "" {
		t.Errorf("ActivityTypes() does not list exactly the declared ActivityType constants (-declared +listed):\n%s", diff)
	}
}
