package render

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/tui/render/rendertest"
)

var update = flag.Bool("update", false, "rewrite the golden snapshots in testdata/")

func TestPodMark(t *testing.T) {
	for _, tc := range []struct {
		state  string
		ready  bool
		first  rune
		letter bool
		alarm  bool
	}{
		{"Running", true, '█', false, false},
		{"Running", false, '▓', false, false},
		{"ContainerCreating", false, 'C', true, false},
		{"Pending", false, 'P', true, false},
		{"Terminating", false, 'T', true, false},
		{"CrashLoopBackOff", false, '!', true, true},
		{"OOMKilled", false, '!', true, true},
		{"Completed", false, '·', false, false},
		{"NotReady", false, '▓', false, false},
		{"Init:0/2", false, 'I', true, false},
		{"Init:CrashLoopBackOff", false, '!', true, true},
		{"Init:ExitCode:3", false, '!', true, true},
		{"Signal:9", false, '!', true, true},
		{"SchedulingGated", false, 'P', true, false},
		{"Unknown", false, '?', true, false},
		{"SomethingNew", false, '?', true, false},
	} {
		t.Run(tc.state, func(t *testing.T) {
			m := PodMark(&live.PodView{State: tc.state, Ready: tc.ready})
			require.Equal(t, string(tc.first), string(m.First))
			require.Equal(t, tc.letter, m.Letter)
			require.Equal(t, tc.alarm, m.Alarm)
		})
	}
}

func TestPodCellsAreProportionalToRequests(t *testing.T) {
	n := rendertest.Node("n", "z", "True", false)
	for _, tc := range []struct {
		name      string
		req       live.PodView
		area, out int
	}{
		{"half the cpu", rendertest.Pod("d", "a", "n", "", "Running", true, rendertest.Res(965, 0)), 40, 20},
		{"memory dominates", rendertest.Pod("d", "a", "n", "", "Running", true, rendertest.Res(10, 7*1024/4)), 40, 10},
		{"no requests still shows", rendertest.Pod("d", "a", "n", "", "Running", true, rendertest.Res(0, 0)), 40, 1},
		{"whole node", rendertest.Pod("d", "a", "n", "", "Running", true, rendertest.Res(1930, 0)), 44, 44},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.out, podCells(&tc.req, &n, tc.area))
		})
	}
}

func TestHeatGlyph(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    live.NodeView
		want rune
	}{
		{"not ready", rendertest.Node("n", "z", "False", false, rendertest.Pod("d", "a", "n", "", "Running", true, rendertest.Res(1930, 0))), 'X'},
		{"unknown is not ready", rendertest.Node("n", "z", "Unknown", false), 'X'},
		{"empty", rendertest.Node("n", "z", "True", false), '·'},
		{"full", rendertest.Node("n", "z", "True", false, rendertest.Pod("d", "a", "n", "", "Running", true, rendertest.Res(1930, 0))), '█'},
		{"a third", rendertest.Node("n", "z", "True", false, rendertest.Pod("d", "a", "n", "", "Running", true, rendertest.Res(643, 0))), '▃'},
		{"a sliver rounds up", rendertest.Node("n", "z", "True", false, rendertest.Pod("d", "a", "n", "", "Running", true, rendertest.Res(5, 0))), '▁'},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, string(tc.want), string(HeatGlyph(&tc.n)))
		})
	}
}

// TestPlanBins checks the three box layouts and the fallback: boxes stay
// inside the area and never overlap.
func TestPlanBins(t *testing.T) {
	three := rendertest.FixtureView().Nodes
	for _, tc := range []struct {
		name     string
		nodes    []live.NodeView
		w, h     int
		fits     bool
		flat     bool
		labels   int
		minPodRs int
	}{
		{"zones as columns", three, 120, 30, true, false, 3, 2},
		{"small terminal: one flat grid", three, 49, 16, true, true, 0, 1},
		{"narrow and tall: zones stacked", three, 30, 40, true, false, 3, 2},
		{"200 nodes do not fit in boxes", rendertest.BigView(200, 15).Nodes, 140, 40, false, false, 0, 0},
		{"12 nodes on a big screen", rendertest.BigView(12, 10).Nodes, 200, 45, true, false, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := planBins(tc.nodes, groupZones(tc.nodes), tc.w, tc.h)
			require.Equal(t, tc.fits, ok)
			if !ok {
				return
			}
			require.Equal(t, tc.flat, p.Flat)
			require.Len(t, p.Labels, tc.labels)
			require.GreaterOrEqual(t, p.PodRows, tc.minPodRs)
			require.LessOrEqual(t, p.Height, tc.h)
			for i, a := range p.Boxes {
				require.True(t, a.X >= 0 && a.Y >= 0 && a.X+a.W <= tc.w && a.Y+a.H <= tc.h, "box %d %+v outside %dx%d", i, a, tc.w, tc.h)
				require.GreaterOrEqual(t, a.W, minBoxW)
				for j, b := range p.Boxes[:i] {
					overlap := a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
					require.False(t, overlap, "boxes %d and %d overlap", i, j)
				}
			}
		})
	}
}

func TestPlanHeatFitsAFewHundredNodes(t *testing.T) {
	v := rendertest.BigView(300, 1)
	zones := groupZones(v.Nodes)
	p := planHeat(v.Nodes, zones, 60, 20)
	require.Zero(t, p.Hidden)
	require.Len(t, p.Labels, 3)
	seen := map[Rect]bool{}
	for _, c := range p.Cells {
		require.Equal(t, 1, c.W)
		require.False(t, seen[c], "two nodes in one cell")
		seen[c] = true
	}
	tiny := planHeat(v.Nodes, zones, 30, 3)
	require.Positive(t, tiny.Hidden, "what does not fit is counted, not drawn over")
}

// colourDepths are the terminals a theme is made for.
var colourDepths = []struct {
	name   string
	colors int
	max    int // highest palette index the terminal has (-1: RGB)
}{{"8", 8, 7}, {"16", 16, 15}, {"256", 256, 255}, {"truecolour", TrueColor, -1}}

// rgbDistance is the Euclidean distance of two colours in RGB space.
func rgbDistance(a, b tcell.Color) float64 {
	ar, ag, ab := a.RGB()
	br, bg, bb := b.RGB()
	return math.Sqrt(float64((ar-br)*(ar-br) + (ag-bg)*(ag-bg) + (ab-bb)*(ab-bb)))
}

// TestThemeColoursAreValidAndApartAtEveryDepth: every workload colour is
// a colour tcell will draw (Valid), within what the terminal has, and far
// from its neighbours in the cycle (workloads are coloured in order, so
// neighbours sit side by side on the nodes).
func TestThemeColoursAreValidAndApartAtEveryDepth(t *testing.T) {
	for _, d := range colourDepths {
		t.Run(d.name, func(t *testing.T) {
			th := NewTheme(d.colors)
			n := th.Owners()
			require.GreaterOrEqual(t, n, 5, "enough colours to tell workloads apart")
			inDepth := func(what string, c tcell.Color) {
				require.True(t, c.Valid(), "%s %v is not a valid tcell colour", what, c)
				if d.max < 0 {
					require.True(t, c.IsRGB(), "%s is a 24-bit colour", what)
					return
				}
				require.False(t, c.IsRGB(), "%s is a palette entry", what)
				require.LessOrEqual(t, int(c-tcell.ColorValid), d.max, "%s within the terminal's palette", what)
			}
			seen := map[tcell.Color]bool{}
			for i := range n {
				c := th.Owner(i)
				inDepth(fmt.Sprintf("owner %d", i), c)
				require.False(t, seen[c], "owner colours are distinct")
				seen[c] = true
				next := th.Owner(i + 1)
				require.Greater(t, rgbDistance(c, next), 100.0, "owners %d (%v) and %d (%v) look alike", i, c, (i+1)%n, next)
				require.Greater(t, rgbDistance(c, th.Heat(1)), 100.0, "owner %d looks like the alarm red", i)
			}
			for _, f := range []float64{0, 0.75, 0.92, 1} {
				inDepth(fmt.Sprintf("heat %.2f", f), th.Heat(f))
			}
			if d.colors >= 16 {
				require.NotEqual(t, th.Heat(0.75), th.Heat(0.92), "a node at 90%% looks different from one at 70%%")
				require.NotEqual(t, th.Heat(0.92), th.Heat(1), "a full node looks different from one at 90%%")
			}
			for _, st := range []tcell.Style{th.Good, th.Warn, th.Bad, th.Title, th.Action} {
				fg, bg, _ := st.Decompose()
				for _, c := range []tcell.Color{fg, bg} {
					if c != tcell.ColorDefault {
						require.True(t, c.Valid())
						if d.max >= 0 {
							require.LessOrEqual(t, int(c-tcell.ColorValid), d.max)
						}
					}
				}
			}
		})
	}
	mono := NewTheme(0)
	require.Equal(t, tcell.ColorDefault, mono.Owner(3))
}

func TestSelectionNormalizeAndMove(t *testing.T) {
	v := rendertest.FixtureView()
	s := Selection{Node: "gone", Pod: "x/y"}.Normalize(v)
	require.Equal(t, "general-1", s.Node, "a vanished node falls back to the first")
	require.Equal(t, "kube-system/kube-proxy-a", s.Pod)
	require.Equal(t, "default/big-1", s.Pending)
	require.Equal(t, "etcd-1", s.Member)

	c := NewCanvas(120, 36)
	f := Render(c, Input{View: v, Sel: s})
	s = s.Move(f.Hits, 1, 0)
	require.Equal(t, "general-2", s.Node, "right moves to the next zone's node")
	s = s.Move(f.Hits, 1, 0)
	require.Equal(t, "general-3", s.Node)
	s = s.Move(f.Hits, 1, 0)
	require.Equal(t, "general-3", s.Node, "nothing further right: stay")
	s = s.NextFocus(v, 1)
	require.Equal(t, FocusPods, s.Focus)
	require.Equal(t, "kube-system/kube-proxy-c", s.Pod)
	s = s.Move(f.Hits, 1, 0)
	require.Equal(t, "default/redis-0", s.Pod)
	kind, ns, name := s.Subject(v)
	require.Equal(t, []string{"Pod", "default", "redis-0"}, []string{kind, ns, name})
	s = s.NextFocus(v, 1)
	require.Equal(t, FocusPending, s.Focus)
	require.Equal(t, "default/big-1", PodKey(s.SelectedPod(v)))
	s = s.NextFocus(v, 1).Move(f.Hits, 0, 1)
	require.Equal(t, FocusWorkloads, s.Focus)
	require.Equal(t, "Deployment/default/big", s.Workload)

	h, ok := HitAt(f.Hits, f.Layout.Etcd.X+9, f.Layout.Etcd.Y+1)
	require.True(t, ok)
	require.Equal(t, Hit{R: h.R, Focus: FocusEtcd, Key: "etcd-2"}, h, "a click on the second member selects it")
}

// TestGolden snapshots whole screens of the fixture as text.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		sel  Selection
	}{
		{"80x24-nodes", 80, 24, Selection{}},
		{"120x36-pending", 120, 36, Selection{Focus: FocusPending}},
		{"120x36-pod", 120, 36, Selection{Focus: FocusPods, Node: "general-1", Pod: "default/api-1"}},
		{"100x30-compact", 100, 30, Selection{Node: "node-7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := rendertest.FixtureView()
			if strings.HasSuffix(tc.name, "compact") {
				v = rendertest.BigView(150, 12)
			}
			c := NewCanvas(tc.w, tc.h)
			Render(c, Input{View: v, Sel: tc.sel.Normalize(v), Detail: "Name:  (describe text)\nStatus:  Running", Message: "fail general-2"})
			got := c.String()
			requireGolden(t, tc.name, got)
		})
	}
}

// TestListViews: the k9s-style views list what passes the namespace and
// the filter, by name or by label selector, with kubectl's columns.
func TestListViews(t *testing.T) {
	v := rendertest.FixtureView()
	names := func(pods []*live.PodView) []string {
		var out []string
		for _, p := range pods {
			out = append(out, p.Name)
		}
		return out
	}
	all := Nav{Mode: ModePods}
	require.Len(t, all.Pods(v), 10, "every pod, on a node or pending")
	require.Equal(t, "default", all.Pods(v)[0].Namespace, "sorted by namespace then name")
	require.Equal(t, []string{"web-7d9c-1", "web-7d9c-2", "web-7d9c-3", "web-7d9c-4"}, names(Nav{Filter: "web"}.Pods(v)))
	require.Equal(t, []string{"redis-0"}, names(Nav{Filter: "app=redis"}.Pods(v)), "a label selector")
	require.Len(t, Nav{Filter: "app!=web"}.Pods(v), 6)
	require.Len(t, Nav{Filter: "app in (api,big)"}.Pods(v), 2)
	require.Equal(t, []string{"kube-proxy-a", "kube-proxy-b", "kube-proxy-c"}, names(Nav{Namespace: "kube-system"}.Pods(v)))
	require.Equal(t, []string{"default", "kube-system"}, Namespaces(v))

	n, err := all.Command(v, "deploy")
	require.NoError(t, err)
	require.Equal(t, ModeWorkloads, n.Mode)
	require.Len(t, n.Workloads(v), 3, "deploy lists Deployments only")
	n, err = n.Command(v, "ns kube-system")
	require.NoError(t, err)
	require.Equal(t, "kube-system", n.Namespace)
	require.Empty(t, n.Workloads(v))
	n, err = n.Command(v, "ns")
	require.NoError(t, err)
	require.Empty(t, n.Namespace, ":ns alone is every namespace")
	_, err = n.Command(v, "ns nope")
	require.ErrorContains(t, err, "default, kube-system")
	_, err = n.Command(v, "bogus")
	require.ErrorContains(t, err, "try nodes, pods")
	require.Len(t, Nav{Filter: "BackOff"}.Events(v), 1, "events match on their reason and message too")

	sel := Nav{Mode: ModePods, Filter: "big"}.ListSelection(v, Selection{})
	require.Equal(t, FocusPending, sel.Focus, "a pending pod's row selects it in the pending queue")
	require.Equal(t, "default/big-1", sel.Pending)
	sel = Nav{Mode: ModePods, Filter: "redis"}.ListSelection(v, Selection{})
	require.Equal(t, Selection{Focus: FocusPods, Node: "general-3", Pod: "default/redis-0"}, sel)

	c := NewCanvas(160, 30)
	Render(c, Input{View: v, Sel: sel.Normalize(v), Nav: Nav{Mode: ModePods}})
	text := c.String()
	for _, col := range []string{"NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE"} {
		require.Contains(t, c.Row(2), col)
	}
	require.Contains(t, text, "Pods(all)[10]")
	require.Regexp(t, `api-1 +0/1 +CrashLoopBackOff +0 +`, text)
	require.Regexp(t, `big-1 +0/1 +Pending .*<none>`, text)

	c.Reset(80, 30)
	Render(c, Input{View: v, Nav: Nav{Mode: ModePods, Filter: "app=web", Prompt: '/', PromptText: "app=web"}})
	require.Contains(t, c.Row(1), "Pods(all)[4] </app=web> by labels")
	require.Contains(t, c.Row(29), "/app=web")

	c.Reset(120, 36)
	Render(c, Input{View: v, Nav: Nav{Filter: "redis"}})
	f := Render(c, Input{View: v, Nav: Nav{Filter: "redis"}})
	b := hitRect(t, f, FocusNodes, "general-1")
	pods := c.Region(Rect{b.X + 1, b.Y + 3, b.W - 2, b.H - 4})
	require.NotContains(t, pods, "█", "on the nodes view, pods the filter hides are faint dots")
	require.Contains(t, pods, "·")
	b = hitRect(t, f, FocusNodes, "general-3")
	require.Contains(t, c.Region(Rect{b.X + 1, b.Y + 3, b.W - 2, b.H - 4}), "█", "the pod it matches stays")
}

// TestGoldenListViews snapshots the list views at the two sizes.
func TestGoldenListViews(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		nav  Nav
	}{
		{"80x24-pods", 80, 24, Nav{Mode: ModePods}},
		{"200x60-pods-ns", 200, 60, Nav{Mode: ModePods, Namespace: "default", Row: 2}},
		{"80x24-deploy", 80, 24, Nav{Mode: ModeWorkloads, Kind: "Deployment"}},
		{"200x60-events-filter", 200, 60, Nav{Mode: ModeEvents, Filter: "general-2"}},
		{"200x60-heat-1000", 200, 60, Nav{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := rendertest.FixtureView()
			if strings.Contains(tc.name, "heat") {
				v = rendertest.BigView(1000, 12)
			}
			c := NewCanvas(tc.w, tc.h)
			sel := tc.nav.ListSelection(v, Selection{}).Normalize(v)
			Render(c, Input{View: v, Sel: sel, Nav: tc.nav, Detail: "Name:  (describe text)"})
			got := c.String()
			requireGolden(t, tc.name, got)
		})
	}
}

// requireGolden compares got with testdata/<name>.golden (rewriting the
// file first under -update).
func requireGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	require.Equal(t, string(want), got)
}

// TestGoldenColours snapshots the fixture's screen with its colours at
// every colour depth, at the smallest supported terminal and a big one:
// the text, then a map of the styles. No cell may carry an invalid
// colour (tcell would draw it in the terminal's default).
func TestGoldenColours(t *testing.T) {
	for _, d := range colourDepths {
		for _, sz := range [][2]int{{80, 24}, {200, 60}} {
			name := fmt.Sprintf("colours-%s-%dx%d", d.name, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				v := rendertest.FixtureView()
				c := NewCanvas(sz[0], sz[1])
				Render(c, Input{View: v, Sel: Selection{Focus: FocusPods, Node: "general-1", Pod: "default/web-7d9c-1"}.Normalize(v),
					Detail: "Name:  web-7d9c-1\nStatus:  Running", Theme: NewTheme(d.colors)})
				got := c.String() + "\n" + styleMap(c)
				require.NotContains(t, got, "INVALID")
				requireGolden(t, name, got)
			})
		}
	}
}

func TestRenderShowsStatesAndReasons(t *testing.T) {
	v := rendertest.FixtureView()
	c := NewCanvas(120, 36)
	f := Render(c, Input{View: v, Sel: Selection{Focus: FocusPending}.Normalize(v)})
	text := c.String()
	require.False(t, f.Compact)
	require.Contains(t, text, "NotReady", "the failed node says so")
	require.Contains(t, text, "Cordoned", "a cordoned node says so (SchedulingDisabled in a wider box)")
	require.NotContains(t, text, "PAUSED", "the fixture is running")
	require.Contains(t, text, "why: 0/3 nodes are available", "the selected pending pod shows the scheduler's reason")
	require.Contains(t, text, "FailedScheduling")
	box := c.Region(hitRect(t, f, FocusNodes, "general-2"))
	require.Contains(t, box, "T", "the Terminating pod is marked")
	box1 := c.Region(hitRect(t, f, FocusNodes, "general-1"))
	require.Contains(t, box1, "C", "the ContainerCreating pod is marked")
	require.Contains(t, box1, "!", "the crashing pod is marked")

	bad := f.Canvas.At(hitRect(t, f, FocusPods, "default/api-1").X, hitRect(t, f, FocusPods, "default/api-1").Y)
	fg, bg, _ := bad.S.Decompose()
	require.Equal(t, '!', bad.R)
	require.True(t, fg == tcell.ColorRed || bg == tcell.ColorRed, "a crash is red")
	web := f.Canvas.At(hitRect(t, f, FocusPods, "default/web-7d9c-1").X, hitRect(t, f, FocusPods, "default/web-7d9c-1").Y)
	wfg, _, _ := web.S.Decompose()
	require.Equal(t, owners256[2], wfg, "web is the third workload: its colour")

	v.Paused = true
	c.Reset(c.W, c.H)
	Render(c, Input{View: v})
	require.Contains(t, c.Row(0), "PAUSED")

	v.Paused, v.CatchingUp = false, true
	c.Reset(c.W, c.H)
	Render(c, Input{View: v})
	require.Contains(t, c.Row(0), "catching up…", "a cluster behind its speed says so, not frozen")

	v.Paused, v.Stopped = true, "livelock: deployment-controller repeats on key default/web"
	c.Reset(c.W, c.H)
	Render(c, Input{View: v})
	require.Contains(t, c.Row(0), "STOPPED")
	require.Contains(t, c.String(), "the simulation stopped itself: livelock", "the reason in the footer")
}

func hitRect(t *testing.T, f Frame, focus Focus, key string) Rect {
	t.Helper()
	for _, h := range f.Hits {
		if h.Focus == focus && h.Key == key {
			return h.R
		}
	}
	t.Fatalf("no hit for %s %s", focus, key)
	return Rect{}
}

func TestRenderAnySizeWithoutPanic(t *testing.T) {
	for _, v := range []*live.View{rendertest.FixtureView(), rendertest.BigView(200, 15), rendertest.BigView(1, 40), {}} {
		for _, sz := range [][2]int{{0, 0}, {1, 1}, {10, 5}, {40, 12}, {80, 24}, {200, 60}, {300, 100}} {
			c := NewCanvas(sz[0], sz[1])
			require.NotPanics(t, func() { Render(c, Input{View: v, Sel: Selection{Focus: FocusPods}.Normalize(v)}) })
		}
	}
	c := NewCanvas(10, 2)
	f := Render(c, Input{})
	require.Contains(t, c.String(), "starting")
	require.Empty(t, f.Hits)
}

func TestHelpListsEveryKey(t *testing.T) {
	h := HelpText()
	for _, k := range FooterKeys {
		first := k[0]
		if f := strings.Fields(strings.ReplaceAll(k[0], "/", " ")); len(f) > 0 {
			first = f[0]
		}
		require.Contains(t, h, "\n  "+first, "help explains %q", k[0])
	}
}

func TestWrapAndText(t *testing.T) {
	require.Equal(t, []string{"0/3 nodes", "are", "available"}, wrap("0/3 nodes are available", 9, 3))
	require.Equal(t, []string{"abc"}, wrap("abc", 10, 2))
	c := NewCanvas(6, 1)
	require.Equal(t, 6, c.Text(0, 0, 6, "general-1", tcell.StyleDefault))
	require.Equal(t, "gener…", c.Row(0))
}
