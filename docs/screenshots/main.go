// Command screenshots takes the README's screenshots from the real pages
// (make screenshots): it starts the dev system (an in-process coordinator,
// the demo hunt, an edge and a crowd of simulated players, as make run
// does, on loopback ports of its own), opens the player page at 1280×800 and
// on a 390×844 phone and the operators' live view in headless Chromium, and
// writes docs/player-desktop.png, docs/player-phone.png and
// docs/operator-view.png.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/edge"
	"github.com/veltrix/veltrix/edge/dev"
	"github.com/veltrix/veltrix/internal/browser"
)

const adminToken = "dev-admin-token"

func main() {
	out := flag.String("out", "docs", "directory to write the PNGs into")
	crowd := flag.Int("crowd", 150, "simulated players")
	flag.Parse()
	if err := run(*out, *crowd); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(out string, crowd int) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "veltrix-screenshots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	d, err := dev.Start(dev.Options{DataDir: filepath.Join(tmp, "data"), Listen: "127.0.0.1:0", AdminToken: adminToken, Crowd: crowd,
		Edge: edge.Config{LoadEvery: 500 * time.Millisecond}})
	if err != nil {
		return err
	}
	defer d.Close()
	b, stop, err := browser.Start(filepath.Join(tmp, "chromium"))
	if err != nil {
		return err
	}
	defer stop()
	page, err := playerPage(d)
	if err != nil {
		return err
	}
	phone := browser.Phone
	phone.Scale = 1 // small PNGs
	for _, shot := range []struct {
		file string
		v    browser.Viewport
	}{{"player-desktop.png", browser.Desktop}, {"player-phone.png", phone}} {
		if err := shoot(b, shot.v, page, filepath.Join(out, shot.file), playerReady); err != nil {
			return fmt.Errorf("%s: %w", shot.file, err)
		}
	}
	live := d.Coordinator.URL() + "/live#token=" + adminToken
	return shoot(b, browser.Desktop, live, filepath.Join(out, "operator-view.png"), liveReady)
}

// playerPage is the player page for a player standing 60 m south-west of
// the demo hunt's treasure nearest its centre.
func playerPage(d *dev.Dev) (string, error) {
	h, err := wire.NewClient([]string{d.Coordinator.URL()}, adminToken, nil).Hunt(context.Background(), d.Hunt)
	if err != nil {
		return "", err
	}
	if len(h.Treasures) == 0 {
		return "", errors.New("the demo hunt has no treasures")
	}
	best, bestD := h.Treasures[0], math.Inf(1)
	for _, t := range h.Treasures {
		if dd := math.Hypot(float64(t.Lat)/1e7-dev.Center[0], float64(t.Lng)/1e7-dev.Center[1]); dd < bestD {
			best, bestD = t, dd
		}
	}
	tok, err := d.Token(7)
	if err != nil {
		return "", err
	}
	lat := float64(best.Lat)/1e7 - 45/111320.0
	lng := float64(best.Lng)/1e7 - 40/(111320*math.Cos(lat*math.Pi/180))
	return fmt.Sprintf("%s/?token=%s&hunt=%d&lat=%.7f&lng=%.7f&transport=ws", d.Edge.URL(), url.QueryEscape(tok), d.Hunt, lat, lng), nil
}

// playerReady waits for the page to play, then walks a few steps (a trail).
func playerReady(ctx context.Context) error {
	if err := browser.Poll(ctx, `document.querySelector('#state').textContent === 'connected' && document.querySelector('#hint').textContent.includes('°')`, 30*time.Second); err != nil {
		return err
	}
	for _, k := range []string{kb.ArrowUp, kb.ArrowUp, kb.ArrowRight, kb.ArrowUp, kb.ArrowRight, kb.ArrowUp} {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(k)); err != nil {
			return err
		}
	}
	return browser.Poll(ctx, `document.querySelector('#hunt').textContent.includes('left')`, 30*time.Second)
}

// liveReady waits until the live view shows the crowd on the map.
func liveReady(ctx context.Context) error {
	return browser.Poll(ctx, `[...document.querySelectorAll('#hunts .legend')].some((l) => /(^|\D)[1-9][0-9]* players in/.test(l.textContent))`, 30*time.Second)
}

// shoot opens url at v, waits for ready, and writes a screenshot to path,
// recompressed.
func shoot(b context.Context, v browser.Viewport, url, path string, ready func(context.Context) error) error {
	ctx, cancel := chromedp.NewContext(b)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, time.Minute)
	defer cancelT()
	if err := chromedp.Do(ctx, v.Emulate(), chromedp.Navigate(url)); err != nil {
		return err
	}
	if err := ready(ctx); err != nil {
		return err
	}
	raw, err := browser.Screenshot(ctx)
	if err != nil {
		return err
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return err
	}
	fmt.Printf("%s: %d KiB\n", path, buf.Len()>>10)
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
