package wire_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/veltrix/veltrix"

// goList runs `go list` with args and returns its output lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the dependency test runs go list, and no go command is on PATH: %v", err)
	}
	out, err := exec.Command(goCmd, append([]string{"list"}, args...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// edgeForbidden are the packages an edge must not link: the coordinator's
// Raft and log stores (with everything below these paths), and the
// coordinator's own packages but this contract (these exact paths).
var edgeForbidden = []string{
	"github.com/hashicorp/raft",
	"github.com/hashicorp/raft-wal",
	"github.com/hashicorp/raft-boltdb",
	"go.etcd.io/bbolt",
	module + "/coordinator",
	module + "/coordinator/api",
	module + "/coordinator/cluster",
	module + "/coordinator/fsm",
}

func forbidden(dep string) bool {
	for _, f := range edgeForbidden {
		if dep == f || !strings.HasPrefix(f, module) && strings.HasPrefix(dep, f+"/") {
			return true
		}
	}
	return false
}

// TestEdgeLinksNoCoordinator keeps the edge's core, its coordinator link and
// the edge library (what veltrix-edge runs outside dev mode) free of the
// coordinator: they speak to it through this package only.
func TestEdgeLinksNoCoordinator(t *testing.T) {
	for _, pkg := range []string{module + "/edge/core", module + "/edge/link", module + "/edge"} {
		for _, dep := range goList(t, "-deps", pkg) {
			if forbidden(dep) {
				t.Errorf("%s links %s; an edge speaks to the coordinator through coordinator/wire only", pkg, dep)
			}
		}
	}
}

// testHelpers are the packages only tests may import; they may import
// testing themselves.
var testHelpers = map[string]bool{
	module + "/edge/internal/wstest":         true,
	module + "/coordinator/certfile/testpki": true,
	module + "/internal/browser/browsertest": true,
	module + "/internal/testkit":             true,
}

// TestNoProductionPackageImportsTesting: a production (non-test) package
// that imports testing, or a test helper, drags test code and its flags
// into the binaries.
func TestNoProductionPackageImportsTesting(t *testing.T) {
	lines := goList(t, "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"/...")
	if len(lines) < 10 {
		t.Fatalf("go list found only %d packages", len(lines))
	}
	for _, line := range lines {
		f := strings.Fields(line)
		if testHelpers[f[0]] {
			continue
		}
		for _, imp := range f[1:] {
			if imp == "testing" || testHelpers[imp] {
				t.Errorf("production package %s imports %s", f[0], imp)
			}
		}
	}
}
