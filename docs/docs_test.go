package docs

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the repository root, one level above this package.
const repoRoot = ".."

// goPackages maps every directory holding non-test Go files to those files.
func goPackages(t *testing.T) map[string][]string {
	t.Helper()
	pkgs := map[string][]string{}
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && path != repoRoot && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" || name == "bin") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			pkgs[filepath.Dir(path)] = append(pkgs[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestEveryPackageHasDocComment(t *testing.T) {
	pkgs := goPackages(t)
	if _, ok := pkgs[filepath.Join(repoRoot, "protocol")]; !ok {
		t.Fatalf("the walk of %s did not find the protocol package", repoRoot)
	}
	fset := token.NewFileSet()
	for dir, files := range pkgs {
		documented := false
		for _, f := range files {
			af, err := parser.ParseFile(fset, f, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if af.Doc != nil && strings.TrimSpace(af.Doc.Text()) != "" {
				documented = true
				break
			}
		}
		if !documented {
			t.Errorf("package in %s has no package doc comment", dir)
		}
	}
}

// TestEverySubsystemHasReadme checks the top-level components and every
// package directly below them (edge/transport, coordinator/fsm, …) that is
// not a command.
func TestEverySubsystemHasReadme(t *testing.T) {
	for dir := range goPackages(t) {
		rel, err := filepath.Rel(repoRoot, dir)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(rel, string(filepath.Separator))
		if len(parts) > 2 || parts[0] == "docs" || (len(parts) == 2 && (parts[1] == "cmd" || parts[1] == "internal")) {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
			t.Errorf("%s has no README.md describing how data flows through it", rel)
		}
	}
}
