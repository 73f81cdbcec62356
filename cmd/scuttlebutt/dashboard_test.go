package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// dashboardScreenshot, if set, makes TestDashboardScreenshotForDocs run a
// larger cluster for a minute and save the dashboard's screenshot there
// (docs/dashboard.png is made this way):
//
//	go test ./cmd/scuttlebutt -run ScreenshotForDocs -args -dashboard-screenshot=$PWD/docs/dashboard.png
var dashboardScreenshot = flag.String("dashboard-screenshot", "", "save a screenshot of a dashboard of a larger cluster to this file")

// findChromium returns Debian's chromium, or "" when it is not installed.
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func TestDashboardServed(t *testing.T) {
	a := startTestAgent(t, "-id", "a")
	for path, typ := range map[string]string{
		"/": "text/html", "/dashboard/app.js": "text/javascript", "/dashboard/style.css": "text/css",
	} {
		resp, err := http.Get(a.url(path))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), typ), path)
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'", path)
	}
	status, body := httpDo(t, http.MethodGet, a.url("/dashboard/nope.js"), "")
	require.Equal(t, http.StatusNotFound, status)
	requireErrorJSON(t, body)
	// Nothing is fetched from elsewhere.
	for _, name := range []string{"index.html", "app.js", "style.css"} {
		data, err := dashboardFiles.ReadFile("dashboard/" + name)
		require.NoError(t, err)
		require.NotContains(t, string(data), "http://", name)
		require.NotContains(t, string(data), "https://", name)
	}
}

// TestDashboardInBrowser loads the dashboard of a three-agent ring in a
// real headless Chromium, and watches it follow the cluster: the three
// members, a key set through the API, an agent killed and convicted.
func TestDashboardInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	ring := startRing(t, []string{"node-a", "node-b", "node-c"}, "-http-write", "-set", "role=web")

	start := time.Now()
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1400, 760), chromedp.Navigate(ring[0].url("/"))), "loading the dashboard")
	waitFor := func(what, expr string) {
		t.Helper()
		actx, acancel := context.WithTimeout(ctx, 20*time.Second)
		defer acancel()
		_, err := chromedp.Run(actx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
		if err != nil {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#members').outerHTML`))
			t.Fatalf("the page never showed %s: %v\n%s", what, err, html)
		}
	}

	waitFor("three live members", `document.querySelectorAll('#members tbody tr[data-status="live"]').length === 3`)
	for _, id := range []string{"node-a", "node-b", "node-c"} {
		waitFor(id, `document.querySelector('#members tbody tr[data-id="`+id+`"]') !== null`)
	}
	waitFor("node-a as self", `document.querySelector('tr[data-id="node-a"]').classList.contains('self')`)
	waitFor("node-b's address", `document.querySelector('tr[data-id="node-b"] td.addr').textContent === '`+ring[1].gossipAddr()+`'`)

	status, body := httpDo(t, http.MethodPut, ring[1].url("/v1/keys/color"), "blue")
	require.Equal(t, http.StatusOK, status, body)
	waitFor("node-b's new key", `[...document.querySelectorAll('tr[data-id="node-b"] .kv')].some(e => e.textContent === 'color=blue')`)
	waitFor("the key change in the event log", `[...document.querySelectorAll('#events li[data-kind="key"]')].some(e => e.textContent.includes('node-b set color=blue'))`)

	require.NoError(t, ring[2].close()) // killed: no goodbye, convicted by silence
	waitFor("node-c dead", `document.querySelector('tr[data-id="node-c"]').dataset.status === 'dead'`)
	waitFor("node-c's death in the event log", `[...document.querySelectorAll('#events li[data-type="dead"]')].some(e => e.textContent.includes('node-c'))`)
	waitFor("the dead counter", `document.getElementById('c-dead').textContent === '1'`)
	waitFor("phi sparklines", `document.querySelector('tr[data-id="node-b"] canvas.spark').width > 0`)

	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "dashboard.png")
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	colors := countColors(t, shot)
	require.Greater(t, colors, 50, "the screenshot %s looks blank", path)
	t.Logf("dashboard followed the ring in %v; screenshot %s (%d colours)", time.Since(start).Round(time.Millisecond), path, colors)
}

// countColors counts the distinct colours of a PNG, sampling every other
// pixel.
func countColors(t *testing.T, shot []byte) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	colors := map[uint32]struct{}{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colors[(r>>8)<<16|(g>>8)<<8|bl>>8] = struct{}{}
		}
	}
	return len(colors)
}

// newBrowser starts a headless Chromium with the flags the machine's
// closed network needs and a fresh profile, or skips the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed (apt-get install chromium): skipping the browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 820),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// TestDashboardScreenshotForDocs makes the README's screenshot: a dozen
// agents at the default interval, one killed, after a minute of phi
// history. It runs only when -dashboard-screenshot is given.
func TestDashboardScreenshotForDocs(t *testing.T) {
	if *dashboardScreenshot == "" {
		t.Skip("run with -args -dashboard-screenshot=FILE to make the README's screenshot")
	}
	ctx := newBrowser(t)
	roles := []string{"api", "api", "api", "worker", "worker", "worker", "worker", "db", "db", "cache", "cache", "gateway"}
	var ring []*agent
	for i, role := range roles {
		args := []string{"-id", fmt.Sprintf("%s-%d", role, i+1), "-interval", "1s", "-acceptable-pause", "3s", "-first-heartbeat", "1s",
			"-http-write", "-set", "role=" + role, "-set", fmt.Sprintf("zone=eu-west-%d", i%3+1), "-set", fmt.Sprintf("version=1.%d.0", 4+i%2)}
		if i > 0 {
			args = append(args, "-join", ring[0].gossipAddr())
		}
		a := startTestAgent(t, args...)
		a.join()
		ring = append(ring, a)
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1400, 760), chromedp.Navigate(ring[0].url("/"))))
	time.Sleep(40 * time.Second) // phi history for the sparklines
	status, _ := httpDo(t, http.MethodPut, ring[3].url("/v1/keys/load"), "0.42")
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, ring[6].close())
	require.Eventually(t, func() bool { return len(ring[0].sb.DeadNodes()) == 1 }, 30*time.Second, 100*time.Millisecond)
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.getElementById('c-dead').textContent === '1' && document.querySelector('tr[data-status="dead"]') !== null`))
	require.NoError(t, err)
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.Greater(t, countColors(t, shot), 50)
	require.NoError(t, os.WriteFile(*dashboardScreenshot, shot, 0o644))
}
