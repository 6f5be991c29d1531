package lab

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/internal/browsertest"
)

// The browser test drives the lab page (`kubesim lab start --web`) in a
// real headless Chromium, as web/'s browser tests drive the cluster page.
// It skips, saying so, only when no Chromium binary is found.

func browser(t *testing.T, limit time.Duration) context.Context {
	return browsertest.Start(t, limit, 1400, 900)
}

// TestLabPageInBrowser: the lab page shows the task (its Markdown
// rendered), a hint only when asked, the check results live beside the
// cluster's picture — they turn green by themselves when the learner's
// kubectl fixes the cluster, without counting as the learner's checks —
// and a reset from the page puts the lab back to its broken start.
func TestLabPageInBrowser(t *testing.T) {
	l, err := LoadLibrary("role-missing-verb")
	require.NoError(t, err)
	f := newLabFixture(t, l, Options{Paused: true})
	srv := httptest.NewServer(f.r.ControlHandler("page-token"))
	t.Cleanup(srv.Close)
	ctx := browser(t, 4*time.Minute)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/lab")))

	// The task, rendered.
	browsertest.WaitJS(t, ctx, "the title", `document.querySelector('#title').textContent === 'A deploy bot that is forbidden to deploy'`)
	require.True(t, browsertest.Eval[bool](t, ctx, `[...document.querySelectorAll('#task code')].some(c => c.textContent === 'ci/deployer')`), "inline code in the task")
	require.Contains(t, browsertest.Eval[string](t, ctx, `document.querySelector('#task pre').textContent`), "cannot patch resource")
	require.Contains(t, browsertest.Eval[string](t, ctx, `document.querySelector('#meta').textContent`), "troubleshooting · 5 points")

	// The cluster beside it: the web view in the frame, with the lab's nodes.
	browsertest.WaitJS(t, ctx, "the cluster's two nodes in the frame", `(() => { const d = document.querySelector('#cluster').contentDocument;
		return d && d.querySelectorAll('.node').length === 2 })()`)

	// Live checks: the permission is missing, the constraints hold.
	browsertest.WaitJS(t, ctx, "live check results", `document.querySelectorAll('#results .check').length === 5`)
	require.Equal(t, 1, browsertest.Eval[int](t, ctx, `document.querySelectorAll('#results .check.fail').length`))
	require.Equal(t, 4, browsertest.Eval[int](t, ctx, `[...document.querySelectorAll('#results .check.pass')].filter(c => c.textContent.includes('held from the start')).length`))
	first := browsertest.Eval[string](t, ctx, `document.querySelector('#results .check').textContent`)
	require.Contains(t, first, "ServiceAccount ci/deployer can patch deployments.apps in ci")
	require.Contains(t, first, "found: no (no Role")
	require.Equal(t, "0/5", browsertest.Eval[string](t, ctx, `document.querySelector('#score').textContent`))
	require.Zero(t, f.r.Status().Checks, "the page's live checks are not the learner's")

	// Hints only on request, one at a time.
	require.Zero(t, browsertest.Eval[int](t, ctx, `document.querySelectorAll('#hints .hint').length`))
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#hint"))))
	browsertest.WaitJS(t, ctx, "the first hint", `document.querySelectorAll('#hints .hint').length === 1`)
	require.Contains(t, browsertest.Eval[string](t, ctx, `document.querySelector('#hints .hint').textContent`), "Hint 1/3")
	require.Contains(t, browsertest.Eval[string](t, ctx, `document.querySelector('#hints .hint code').textContent`), "kubectl auth can-i")
	require.Len(t, f.r.Status().Hints, 1)

	// The learner fixes the Role with kubectl in a terminal; the page
	// turns green by itself.
	for _, s := range l.Solution {
		f.runStep(t, s)
	}
	browsertest.WaitJS(t, ctx, "every check passing, live", `document.querySelectorAll('#results .check.pass').length === 5 && document.querySelector('#score').textContent === '5/5'`)
	require.Contains(t, browsertest.Eval[string](t, ctx, `document.querySelector('#results .check').textContent`), `yes (RBAC: allowed by RoleBinding "deployer/ci"`)

	// The Check button counts.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#check"))))
	require.Eventually(t, func() bool { return f.r.Status().Checks == 1 }, time.Minute, 50*time.Millisecond)

	// Reset from the page: the Role is back as it was, the checks fail again.
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.confirm = () => true; document.querySelector('#reset').click()`)))
	browsertest.WaitJS(t, ctx, "the broken start again", `document.querySelectorAll('#results .check.fail').length === 1 && document.querySelector('#meta').textContent.includes('1 resets')`)
	require.Equal(t, 1, f.r.Status().Resets)
}
