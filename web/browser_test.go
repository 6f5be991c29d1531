package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/internal/browsertest"
	"github.com/kubesim/kubesim/internal/manifests"
	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/scenarios"
)

// The browser tests drive the page in a real headless Chromium (Debian's
// package chromium). They skip, saying so, only when no binary is found.

// browser starts a fresh headless Chromium; the context ends with the test
// (or after limit).
func browser(t *testing.T, limit time.Duration) context.Context {
	return browsertest.Start(t, limit, 1600, 1200)
}

// serve runs a session of the scenario source at the given speed.
func serve(t *testing.T, src string, speed float64) (*Server, string) {
	t.Helper()
	sc, err := scenarios.Parse("e2e.yaml", []byte(src), nil)
	require.NoError(t, err)
	sess, err := live.New(sc, live.Options{Speed: speed, Tick: 20 * time.Millisecond})
	require.NoError(t, err)
	sess.Start()
	return serveSession(t, sess)
}

// serveSession serves a started session on a test server.
func serveSession(t *testing.T, sess *live.Session) (*Server, string) {
	t.Helper()
	srv := New(sess, Options{LoopbackOnly: true, Throttle: 50 * time.Millisecond})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		start := time.Now()
		srv.Close()
		ts.Close()
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("closing the server took %s", d)
		}
	})
	return srv, ts.URL + "/"
}

var e2eScenario = manifests.SmallCluster("web-e2e") + "workloads:\n" + manifests.InScenario(manifests.Deployment("web", 6, "{name: nginx, image: nginx:1.27, resources: {requests: {cpu: 200m, memory: 128Mi}}}"))

const runningWeb = `.pod[data-owner="Deployment/web"][data-state="Running"]`

// TestBrowserFailANodeAndTravelBack is the teacher's demo: fail a node by
// clicking it, watch its pods come back elsewhere after the eviction
// window, then scrub back to before the failure and resume.
func TestBrowserFailANodeAndTravelBack(t *testing.T) {
	ctx := browser(t, 5*time.Minute) // generous: the machine may be busy
	// A day long: however long the browser takes to start, the session
	// is still running (not paused at its end) when the node fails.
	srv, url := serve(t, strings.Replace(e2eScenario, "duration: 30m", "duration: 24h", 1), 100)
	sess := srv.Session()

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url)))
	browsertest.WaitJS(t, ctx, "three nodes in three zones", `document.querySelectorAll('.zone .node').length === 3 && document.querySelectorAll('.zone').length === 3`)
	browsertest.WaitJS(t, ctx, "six web pods running", fmt.Sprintf(`document.querySelectorAll('%s').length === 6`, runningWeb))
	victim := browsertest.Eval[string](t, ctx, fmt.Sprintf(`document.querySelector('%s').dataset.node`, runningWeb))
	onVictim := browsertest.Eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('.node[data-node="%s"] %s').length`, victim, runningWeb))
	require.Positive(t, onVictim)

	// Click the node (its header, not a pod), then "Fail node" in the drawer.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`.node[data-node="%s"] .node-name`, victim))),
		chromedp.WaitVisible(chromedp.CSS(`#drawer button[data-action="fail"]`)),
	))
	require.Equal(t, victim, browsertest.Eval[string](t, ctx, `document.querySelector('#drawer').dataset.name`))
	browsertest.WaitJS(t, ctx, "the node's YAML in the drawer", `document.querySelector('#drawer-yaml').textContent.includes('kind: Node')`)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#drawer button[data-action="fail"]`))))
	require.Eventually(t, func() bool { return len(sess.Recorded()) == 1 }, 5*time.Second, 20*time.Millisecond)
	failedAt := sess.Recorded()[0].At
	require.Equal(t, "fail", sess.Recorded()[0].Command.Verb)
	require.Equal(t, victim, sess.Recorded()[0].Command.Node)
	// The eviction window is minutes of virtual time: watch it at x1000
	// rather than depend on how fast this machine runs x100.
	sess.SetSpeed(1000)

	browsertest.WaitJS(t, ctx, "the node NotReady", fmt.Sprintf(`document.querySelector('.node[data-node="%s"]').classList.contains('notready')`, victim))
	// The drawer, still open on the node, tells why: the failure, then
	// the lifecycle controller after its grace period.
	browsertest.WaitJS(t, ctx, "the node's chain of causes in the drawer", `(() => { const w = document.querySelector('#drawer-why').textContent;
		return w.includes('chaos') && w.includes('node-monitor-grace-period'); })()`)
	// After the 300s not-ready toleration the pods are evicted and come
	// back on the other nodes; the old ones stay Terminating on the dead node.
	browsertest.WaitJS(t, ctx, "six web pods running on the other nodes", fmt.Sprintf(
		`document.querySelectorAll('.node:not([data-node="%s"]) %s').length === 6 && document.querySelectorAll('.node[data-node="%s"] .pod[data-owner="Deployment/web"][data-state="Terminating"]').length === %d`,
		victim, runningWeb, victim, onVictim))
	evictedAt := sess.Snapshot().Time
	sess.SetSpeed(100) // back to the demo's pace
	require.Greater(t, evictedAt-failedAt, 5*time.Minute, "pods wait out the eviction window")
	require.Contains(t, browsertest.Eval[string](t, ctx, `document.querySelector('#events').textContent`), "NodeNotReady")

	screenshot(t, ctx, "after-failure.png")

	// Scrub back to before the failure: the node is Ready again, paused.
	back := int((failedAt - 10*time.Second).Seconds())
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const s = document.querySelector('#scrubber'); s.value = '%d';
		  s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); })()`, back))))
	browsertest.WaitJS(t, ctx, "the past on screen", fmt.Sprintf(
		`Number(document.querySelector('#time').dataset.seconds) === %d && document.querySelector('#runstate').textContent === 'paused' && !document.querySelector('.node[data-node="%s"]').classList.contains('notready') && document.querySelectorAll('%s').length === 6`,
		back, victim, runningWeb))
	require.Equal(t, time.Duration(back)*time.Second, sess.Snapshot().Time)
	require.Empty(t, sess.Recorded(), "the failure lay after the rewind point")
	require.Zero(t, browsertest.Eval[int](t, ctx, `document.querySelectorAll('.pod[data-state="Terminating"]').length`))

	// Resume from there (the drawer closed: it covers the right side).
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#drawer-close`)), chromedp.Click(chromedp.CSS(`#resume`))))
	browsertest.WaitJS(t, ctx, "time moving again", fmt.Sprintf(`Number(document.querySelector('#time').dataset.seconds) > %d`, back+5))
	screenshot(t, ctx, "after-rewind.png")
}

// screenshot saves the page, once its animations settled, into the test's
// temporary directory (and KUBESIM_SCREENSHOTS, if set, to look at).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	defer func(start time.Time) { t.Logf("screenshot %s: %s", name, time.Since(start)) }(time.Now())
	time.Sleep(time.Second)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(shot, []byte("\x89PNG")), "a PNG image")
	require.Greater(t, len(shot), 10000, "a picture, not a blank page")
	require.NoError(t, os.WriteFile(filepath.Join(t.TempDir(), name), shot, 0o644))
	if dir := os.Getenv("KUBESIM_SCREENSHOTS"); dir != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), shot, 0o644))
	}
}

const hostile = `<img src=x onerror=alert(1)>`

// TestBrowserHostileStringsShowAsText puts HTML in every place a user
// controls (an annotation, an image name that reaches events, a label
// value the API server refuses and echoes, a manifest) and checks it is
// shown as text and never parsed.
func TestBrowserHostileStringsShowAsText(t *testing.T) {
	ctx := browser(t, 5*time.Minute) // generous: the machine may be busy
	src := strings.Replace(e2eScenario, "metadata: {labels: {app: web}}", `metadata:
            labels: {app: web}
            annotations: {note: "`+hostile+`"}`, 1)
	src = strings.Replace(src, "image: nginx:1.27", `image: "`+hostile+`"`, 1)
	srv, url := serve(t, src, 30)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.Evaluate[chromedp.Void](`window.__alerts = 0; window.alert = () => { window.__alerts++; }`),
	))
	browsertest.WaitJS(t, ctx, "web pods on nodes", `document.querySelectorAll('.pod[data-owner="Deployment/web"]').length > 0`)
	browsertest.WaitJS(t, ctx, "the hostile image in the event stream", fmt.Sprintf(`document.querySelector('#events').textContent.includes(%q)`, hostile))

	// The pod's drawer: the annotation in its YAML, as text.
	clickUntil(t, ctx, `.pod[data-owner="Deployment/web"]`, `document.querySelector('#drawer').dataset.kind === 'Pod'`)
	browsertest.WaitJS(t, ctx, "the pod's YAML", `document.querySelector('#drawer-yaml').textContent.includes('kind: Pod')`)
	require.Contains(t, browsertest.Eval[string](t, ctx, `document.querySelector('#drawer-yaml').textContent`), "note: <img src=x onerror=alert(1)>")

	// A label value the API server refuses: its message echoes the value.
	manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: evil\n  labels: {x: \"" + hostile + "\"}\n"
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#drawer-close`)),
		chromedp.SetValue(chromedp.CSS(`#manifest`), manifest),
		chromedp.Click(chromedp.CSS(`#apply`)),
	))
	browsertest.WaitJS(t, ctx, "the refusal shown", `!document.querySelector('#message').hidden || document.querySelector('#apply-errors').children.length > 0`)
	shown := browsertest.Eval[string](t, ctx, `document.querySelector('#message').textContent + document.querySelector('#apply-errors').textContent`)
	require.Contains(t, shown, hostile, "the refusal names the value, as text")

	require.Zero(t, browsertest.Eval[int](t, ctx, `document.querySelectorAll('img').length`), "no element was created from data")
	require.Zero(t, browsertest.Eval[int](t, ctx, `window.__alerts`), "no script ran")
	require.Contains(t, browsertest.Eval[string](t, ctx, `document.querySelector('#events').innerHTML`), "&lt;img src=x onerror=alert(1)&gt;", "escaped in the DOM")
	_ = srv
}

// clickUntil clicks the first element matching sel until done holds, as
// a person clicks again when a click missed: a click is aimed at where
// the element was when it was found, and the map may re-lay its tiles in
// between (pods of a failing image change state every back-off).
func clickUntil(t *testing.T, ctx context.Context, sel, done string) {
	t.Helper()
	for try := 1; ; try++ {
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))))
		for start := time.Now(); time.Since(start) < 15*time.Second; time.Sleep(50 * time.Millisecond) {
			if browsertest.Eval[bool](t, ctx, "!!("+done+")") {
				return
			}
		}
		require.Less(t, try, 3, "clicked %s three times and still not %s", sel, done)
		t.Logf("click %d on %s missed (%s); clicking again", try, sel, done)
	}
}

// TestBrowserCompactMapNamesPodsOnDemand: a view whose pods come without
// names (a big cluster's, here forced on three nodes) is drawn as the
// map, and pointing at a pod asks for its node's pods and opens the
// right pod's drawer.
func TestBrowserCompactMapNamesPodsOnDemand(t *testing.T) {
	sc, err := scenarios.Parse("e2e.yaml", []byte(e2eScenario), nil)
	require.NoError(t, err)
	sess, err := live.New(sc, live.Options{Paused: true, Tick: 20 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, sess.RunFor(2*time.Minute))
	sess.Start()
	srv := New(sess, Options{LoopbackOnly: true, CompactNodes: 2})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); ts.Close() })

	ctx := browser(t, 3*time.Minute)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/")))
	browsertest.WaitJS(t, ctx, "the map of 3 nodes", `document.querySelector('#map') && document.querySelector('#map').dataset.nodes === '3'`)
	require.Equal(t, "compact", browsertest.Eval[string](t, ctx, `document.body.dataset.mode`))
	// The first tile's first pod, as the map drew it: no name yet.
	node := browsertest.Eval[string](t, ctx, `map.tiles[0].node.name`)
	require.Empty(t, browsertest.Eval[string](t, ctx, `map.tiles[0].node.pods[0].name || ''`), "compact pods carry no name")
	var want string
	for _, n := range sess.Snapshot().Nodes {
		if n.Name == node {
			want = n.Pods[0].Name
		}
	}
	require.NotEmpty(t, want)
	require.True(t, browsertest.Eval[bool](t, ctx, `(() => {
	  const t = map.tiles[0], r = map.canvas.getBoundingClientRect();
	  return map.canvas.dispatchEvent(new MouseEvent('click', { clientX: r.left + t.px + 1, clientY: r.top + t.py + 1, bubbles: true }));
	})()`))
	browsertest.WaitJS(t, ctx, "the pod's drawer", fmt.Sprintf(`document.querySelector('#drawer-yaml').textContent.includes('name: ' + %q)`, want))
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#drawer-close`))))

	// A node's drawer outlines its tile, repainted alone (not the whole
	// map) in the picture a full redraw paints.
	tile := browsertest.Eval[string](t, ctx, `map.tiles[2].node.name`)
	repaints := browsertest.Eval[int](t, ctx, `(() => {
	  const n = map.repaints || 0, t = map.tiles[2], r = map.canvas.getBoundingClientRect();
	  map.canvas.dispatchEvent(new MouseEvent('click', { clientX: r.left + t.x + 2, clientY: r.top + t.y + 2, bubbles: true }));
	  return (map.repaints || 0) - n;
	})()`)
	require.Equal(t, 1, repaints, "opening the drawer repainted the tiles in place")
	browsertest.WaitJS(t, ctx, "the node's drawer", fmt.Sprintf(`document.querySelector('#drawer-yaml').textContent.includes('name: ' + %q)`, tile))
	require.True(t, browsertest.Eval[bool](t, ctx, `(() => {
	  const inPlace = mapPicture();
	  drawMap(state.view, null);
	  return map.selected === map.tiles[2].node.name && mapPicture() === inPlace;
	})()`), "the outlined tile repainted in place is the full redraw's picture")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#drawer-close`))))

	// A change to one node repaints its tile alone, and the picture is
	// the one a full redraw paints.
	other := browsertest.Eval[string](t, ctx, `map.tiles[1].node.name`)
	before := browsertest.Eval[int](t, ctx, `map.repaints || 0`)
	_, err = sess.Do(live.Command{Verb: "cordon", Node: other})
	require.NoError(t, err)
	browsertest.WaitJS(t, ctx, "the cordoned tile repainted", fmt.Sprintf(`(map.repaints || 0) > %d && map.byName.get(%q).node.unschedulable`, before, other))
	require.True(t, browsertest.Eval[bool](t, ctx, `(() => {
	  const inPlace = mapPicture();
	  drawMap(state.view, null);
	  return mapPicture() === inPlace;
	})()`), "repainting in place gives the full redraw's picture")

	// The events table, kept row by row as its window slides, shows the
	// view's newest 150 events with their ages.
	_, err = sess.Do(live.Command{Verb: "uncordon", Node: other})
	require.NoError(t, err)
	for _, replicas := range []int32{12, 18, 6} { // each step adds dozens of events: the window slides
		_, err = sess.Do(live.Command{Verb: "scale", Kind: "deployment", Namespace: "default", Name: "web", Replicas: replicas})
		require.NoError(t, err)
		require.NoError(t, sess.RunFor(time.Minute))
		latest := sess.Snapshot()
		browsertest.WaitJS(t, ctx, "the newest view", fmt.Sprintf(`Number(document.body.dataset.version) >= %d`, latest.Version))
		require.True(t, browsertest.Eval[bool](t, ctx, `(() => {
		  const v = state.view, evs = v.events.slice(-150);
		  const rows = [...document.querySelectorAll('#events tbody tr')];
		  return evs.length > 0 && rows.length === evs.length && rows.every((tr, i) => tr.children[0].textContent === fmtDur(v.time - evs[i].t) &&
		    tr.children[2].textContent === evs[i].reason && tr.children[3].textContent === evs[i].object);
		})()`), "the events table is the view's newest events (%d replicas)", replicas)
		// The page's events, the first view's followed by each delta's new
		// ones, are the session's newest.
		var want []string
		for _, e := range latest.Events[max(0, len(latest.Events)-150):] {
			want = append(want, fmt.Sprintf("%.3f %s %s", e.Time.Seconds(), e.Reason, e.Object))
		}
		require.Equal(t, want, browsertest.Eval[[]string](t, ctx, `state.view.events.slice(-150).map((e) => e.t.toFixed(3) + ' ' + e.reason + ' ' + e.object)`),
			"the page's events are the session's (%d replicas)", replicas)
	}
	require.Greater(t, len(sess.Snapshot().Events), 150, "more events than the table shows")
}

// TestBrowserLivePillTellsTheTruth: the pill says "catching up…" while a
// cluster of 3,000 starting pods runs behind ×1000, "live" once it keeps
// up (at ×5), and "stalled" when the server goes quiet (no snapshot, no ping for
// 12 s).
func TestBrowserLivePillTellsTheTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 3,000 pods")
	}
	ctx := browser(t, 4*time.Minute)
	pill := `document.querySelector('#conn').dataset.status`

	sc, err := scenarios.Parse("busy.yaml", []byte(manifests.ScaleScenario("scale-60", 60, 30, 100)), nil)
	require.NoError(t, err)
	sess, err := live.New(sc, live.Options{Speed: 1000, Paused: true, Tick: 20 * time.Millisecond})
	require.NoError(t, err)
	sess.Start()
	_, url := serveSession(t, sess)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url)))
	browsertest.WaitJS(t, ctx, "the first view", `document.body.dataset.version`)
	sess.Resume() // 3,000 pods start at once: the simulation falls behind ×1000
	browsertest.WaitJS(t, ctx, "catching up", pill+` === 'catching up…'`)
	require.Eventually(t, func() bool { return sess.Snapshot().Counts.Running == 3000 }, 3*time.Minute, 50*time.Millisecond)
	sess.SetSpeed(live.DefaultSpeed) // a pace the machine keeps, however busy
	browsertest.WaitJS(t, ctx, "live once the cluster keeps up", pill+` === 'live'`)

	// A server that sends nothing more: a paused session, no pings.
	quiet, err := live.New(loadDemo(t), live.Options{Paused: true})
	require.NoError(t, err)
	quiet.Start()
	srv := New(quiet, Options{LoopbackOnly: true, KeepAlive: time.Hour})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); ts.Close() })
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/")))
	browsertest.WaitJS(t, ctx, "live while paused", pill+` === 'live'`)
	browsertest.WaitJS(t, ctx, "stalled after 12 s of silence", pill+` === 'stalled'`)
}

func loadDemo(t *testing.T) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.LoadLibrary("demo")
	require.NoError(t, err)
	return sc
}
