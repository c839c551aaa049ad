package browser_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/veltrix/veltrix/internal/browser"
	"github.com/veltrix/veltrix/internal/browser/browsertest"
)

// TestMain ends the Chromium the tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.StopShared()
	os.Exit(code)
}

// page has an element on screen, one reaching past the right edge, one
// covered at its centre by another, and a flag set a moment after load. A
// phone lays out a page without the viewport meta at 980 CSS px.
const page = `<!doctype html><html><head><meta name="viewport" content="width=device-width"><style>
body { margin: 0 }
div { position: fixed; width: 100px; height: 50px }
#in { left: 10px; top: 10px }
#off { left: calc(100vw - 40px); top: 100px }
#under { left: 10px; top: 200px }
#cover { left: 0; top: 190px; width: 200px; height: 100px; z-index: 2 }
</style></head><body>
<div id="in"></div><div id="off"></div><div id="under"></div><div id="cover" class="a b"></div>
<script>setTimeout(() => { window.ready = true }, 50)</script>
</body></html>`

// open serves page on loopback and loads it in a tab at v.
func open(t *testing.T, v browser.Viewport) context.Context {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(srv.Close)
	ctx := browsertest.Tab(t, browsertest.Shared(t), v)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// OnScreen passes an element inside the viewport and names, with the
// reason, each element off the edge, covered or missing.
func TestOnScreen(t *testing.T) {
	ctx := open(t, browser.Desktop)
	if err := browser.OnScreen(ctx, "#in", "#cover"); err != nil {
		t.Fatalf("elements inside the viewport: %v", err)
	}
	for sel, want := range map[string]string{
		"#off":   "#off: box 1240,100 100×50 reaches outside the 1280×800 viewport",
		"#under": "#under: covered at its centre by div#cover.a.b",
		"#none":  "#none: no such element",
	} {
		err := browser.OnScreen(ctx, "#in", sel)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("OnScreen(%s) = %v, want an error with %q", sel, err, want)
		} else if strings.Contains(err.Error(), "#in") {
			t.Errorf("OnScreen(%s) also blames #in: %v", sel, err)
		}
	}
}

// Each viewport sets the window's size and pixel ratio, and a screenshot
// is a PNG of the viewport in device pixels.
func TestViewportsAndScreenshots(t *testing.T) {
	for _, v := range browser.Viewports {
		t.Run(v.Name, func(t *testing.T) {
			ctx := open(t, v)
			got, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[innerWidth, innerHeight, devicePixelRatio]`))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 || got[0] != float64(v.W) || got[1] != float64(v.H) || got[2] != v.Scale {
				t.Fatalf("window [width height ratio] %v, want [%d %d %g]", got, v.W, v.H, v.Scale)
			}
			shot, err := browser.Screenshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("screenshot is not a PNG: %v", err)
			}
			w, h := int(float64(v.W)*v.Scale), int(float64(v.H)*v.Scale)
			if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
				t.Fatalf("screenshot %d×%d, want %d×%d", b.Dx(), b.Dy(), w, h)
			}
		})
	}
}

// Poll waits for a condition that becomes true and reports, naming it, one
// that never does.
func TestPoll(t *testing.T) {
	ctx := open(t, browser.Desktop)
	if err := browser.Poll(ctx, `window.ready === true`, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	err := browser.Poll(ctx, `window.never === true`, 100*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "window.never === true") {
		t.Fatalf("a condition never met: %v", err)
	}
}
