// Package browsertest is internal/browser for tests: a Chromium per test,
// a tab per viewport, and screenshots kept as artefacts (under the system's
// temporary directory, the path printed) when a test fails.
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/veltrix/veltrix/internal/browser"
)

// ForTest starts Chromium for t, ended at t's cleanup.
func ForTest(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel, err := browser.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return ctx
}

// shared is the test binary's Chromium (Shared).
var shared struct {
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
	dir    string
}

// Shared returns the test binary's Chromium, started at its first use and
// shared by every test's tabs (one browser start per package, not per
// test). The package's TestMain ends it with StopShared after m.Run.
func Shared(t testing.TB) context.Context {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.ctx != nil && shared.ctx.Err() == nil {
		return shared.ctx
	}
	dir, err := os.MkdirTemp("", "veltrix-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel, err := browser.Start(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatal(err)
	}
	shared.ctx, shared.cancel, shared.dir = ctx, cancel, dir
	return ctx
}

// StopShared ends the shared Chromium, if it started, and removes its
// profile.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cancel != nil {
		shared.cancel()
		_ = os.RemoveAll(shared.dir)
		shared.ctx, shared.cancel = nil, nil
	}
}

// Tab opens a new tab of the browser at v, closed at t's cleanup; actions
// in it time out after a minute.
func Tab(t testing.TB, b context.Context, v browser.Viewport) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b)
	ctx, cancelT := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(func() { cancelT(); cancel() })
	if err := chromedp.Do(ctx, v.Emulate()); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// Artefacts is a directory of screenshots for a test: kept, with its path
// printed, when the test fails; removed when it passes.
type Artefacts struct {
	Dir string
	t   testing.TB
}

// NewArtefacts makes the directory under the system's temporary directory.
func NewArtefacts(t testing.TB) *Artefacts {
	t.Helper()
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	dir, err := os.MkdirTemp("", "veltrix-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("screenshots kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	return &Artefacts{Dir: dir, t: t}
}

// Shoot saves a screenshot of ctx's page as name.png and returns its path.
func (a *Artefacts) Shoot(ctx context.Context, name string) string {
	a.t.Helper()
	png, err := browser.Screenshot(ctx)
	if err != nil {
		a.t.Errorf("cannot take screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(a.Dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		a.t.Errorf("cannot save screenshot: %v", err)
	}
	return path
}
