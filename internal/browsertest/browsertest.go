// Package browsertest drives pages in a real headless Chromium for the
// browser tests of the web page and the lab page. A test skips, saying
// so, only when no Chromium binary is found.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromiumPath finds Chromium: $KUBESIM_CHROMIUM, else the usual names on
// PATH ("" when there is none).
func chromiumPath() string {
	for _, p := range []string{os.Getenv("KUBESIM_CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// Start starts a fresh headless Chromium with a window of width×height;
// the context ends with the test (or after limit).
func Start(t *testing.T, limit time.Duration, width, height int) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skip("no chromium binary found (install it: apt-get install -y chromium; or set KUBESIM_CHROMIUM)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, limit)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx), "start chromium")
	return ctx
}

// WaitJS polls a JavaScript boolean expression in the page, from the
// test's side, for up to a minute and a half (generous: a busy machine
// renders slowly; what the pages wait for is virtual time).
func WaitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond)) }()
	for {
		// !!: an expression that is null before the page has built what
		// it names (querySelector) means "not yet", not an error.
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		require.NoError(t, err, "waiting for %s: %s", what, expr)
		if ok {
			return
		}
		if time.Since(start) > 90*time.Second {
			// What a person would see, to tell why from the log alone.
			seen, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 3000)`))
			t.Fatalf("waiting for %s: still false after %s: %s\nthe page shows:\n%s", what, time.Since(start).Round(time.Second), expr, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Eval evaluates a JavaScript expression in the page.
func Eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}
