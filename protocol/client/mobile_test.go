package client

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

// TestMobileSurfaceIsBindable checks that the exported methods of Mobile and
// MobileHandler only use types gomobile binds: int64, float64, string, bool,
// error, MobileHandler and *Mobile.
func TestMobileSurfaceIsBindable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "mobile.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]bool{"int64": true, "float64": true, "string": true, "bool": true, "error": true, "MobileHandler": true, "*Mobile": true}
	check := func(where string, fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, field := range fl.List {
			typ := types(field.Type)
			if !ok[typ] {
				t.Errorf("%s uses %s, which gomobile cannot bind", where, typ)
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch d := n.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() {
				check(d.Name.Name, d.Type.Params)
				check(d.Name.Name, d.Type.Results)
			}
		case *ast.InterfaceType:
			for _, m := range d.Methods.List {
				if ft, isFn := m.Type.(*ast.FuncType); isFn {
					check(m.Names[0].Name, ft.Params)
					check(m.Names[0].Name, ft.Results)
				}
			}
		}
		return true
	})
}

func types(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.StarExpr:
		return "*" + types(x.X)
	}
	return "?"
}
