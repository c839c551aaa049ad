// Package browser drives headless Chromium for the tests and tools that
// look at Veltrix's pages (the demo page, the operator view, the bench
// reports): one browser process shared by the tabs of a test, viewport
// emulation (desktop and phone), checks that elements are on screen and not
// covered, and screenshots. Package browsertest adds what tests need on
// top (a browser per test, tabs, screenshots kept when a test fails).
//
// It is imported by tests and by the screenshots tool only, never by a
// production binary.
package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium is Debian's Chromium, installed by .ci/deps.
const Chromium = "/usr/bin/chromium"

// Viewport is a window size to emulate.
type Viewport struct {
	Name  string
	W, H  int64
	Scale float64 // device pixels per CSS pixel
	Phone bool    // mobile, touch, portrait
}

// The viewports the pages are checked at.
var (
	Desktop   = Viewport{Name: "desktop-1280x800", W: 1280, H: 800, Scale: 1}
	DesktopHD = Viewport{Name: "desktop-1920x1080", W: 1920, H: 1080, Scale: 1}
	Phone     = Viewport{Name: "phone-390x844", W: 390, H: 844, Scale: 2, Phone: true}
	Viewports = []Viewport{Desktop, DesktopHD, Phone}
)

// Emulate sets the tab's viewport to v.
func (v Viewport) Emulate() chromedp.Action[chromedp.Void] {
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(v.Scale)}
	if v.Phone {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	return chromedp.EmulateViewport(v.W, v.H, opts...)
}

// Start starts headless Chromium with its profile in dir and returns the
// browser's context (its first tab) and the function that ends it.
func Start(dir string) (context.Context, context.CancelFunc, error) {
	if _, err := os.Stat(Chromium); err != nil {
		return nil, nil, fmt.Errorf("cannot find Chromium at %s (make test installs it): %w", Chromium, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("hide-scrollbars", true), chromedp.UserDataDir(dir))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil { // start it now: tabs opened later share it
		cancelC()
		cancelA()
		return nil, nil, fmt.Errorf("cannot start Chromium: %w", err)
	}
	return ctx, func() { cancelC(); cancelA() }, nil
}

// Poll waits until the JavaScript expression is true in ctx's page.
func Poll(ctx context.Context, expr string, timeout time.Duration) error {
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		return fmt.Errorf("the page never satisfied %s: %w", expr, err)
	}
	return nil
}

// onScreen lists, for each selector, why its element is not on screen: no
// element, an empty box, a box reaching outside the viewport, or another
// element at its centre; and whether the page scrolls sideways.
const onScreen = `(sels) => {
  const W = innerWidth, H = innerHeight, out = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '');
  if (document.documentElement.scrollWidth > W) out.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' px wide in a ' + W + ' px viewport');
  for (const s of sels) {
    const el = document.querySelector(s);
    if (!el) { out.push(s + ': no such element'); continue; }
    const r = el.getBoundingClientRect();
    const box = Math.round(r.left) + ',' + Math.round(r.top) + ' ' + Math.round(r.width) + '×' + Math.round(r.height);
    if (r.width < 1 || r.height < 1) out.push(s + ': empty box ' + box);
    else if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5) out.push(s + ': box ' + box + ' reaches outside the ' + W + '×' + H + ' viewport');
    else {
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      if (!hit || !(hit === el || el.contains(hit))) out.push(s + ': covered at its centre by ' + (hit ? name(hit) : 'nothing'));
    }
  }
  return out;
}`

// OnScreen checks that the elements of the selectors are inside the
// viewport and not covered at their centre, and that the page does not
// scroll sideways; the error lists every problem.
func OnScreen(ctx context.Context, selectors ...string) error {
	arg, _ := json.Marshal(selectors)
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf("(%s)(%s)", onScreen, arg)))
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("not on screen:\n\t%s", strings.Join(problems, "\n\t"))
	}
	return nil
}

// Screenshot captures the viewport as PNG.
func Screenshot(ctx context.Context) ([]byte, error) {
	return chromedp.Run(ctx, chromedp.CaptureScreenshot())
}
