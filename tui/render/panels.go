package render

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/sim/store"
)

// panelTitle draws a panel's title bar (bold when the panel has focus).
func (f *frame) panelTitle(r Rect, title string, focused bool) {
	st := f.th.Title
	if focused {
		st = st.Bold(true).Underline(true)
		title = "▸" + strings.TrimPrefix(title, " ")
	}
	f.c.Fill(Rect{r.X, r.Y, r.W, 1}, ' ', st)
	f.c.Text(r.X, r.Y, r.W, title, st)
}

// SpeedText is "×10", "×0.25" or "×max".
func SpeedText(s float64) string {
	if math.IsInf(s, 1) {
		return "×max"
	}
	return "×" + strconv.FormatFloat(s, 'f', -1, 64)
}

// ClockText is virtual time to a tenth of a second: "3m12.4s".
func ClockText(d time.Duration) string {
	return d.Truncate(100 * time.Millisecond).String()
}

// drawHeader is one line: scenario, virtual time, speed or PAUSED, node
// and pod counts, etcd quorum and leader.
func (f *frame) drawHeader(r Rect) {
	v, th, c := f.v, f.th, f.c
	x := r.X
	put := func(s string, st tcell.Style) {
		x += c.Text(x, r.Y, r.X+r.W-x, s, st)
	}
	put(" kubesim ", th.Title)
	put(" "+v.Scenario+"  ", th.Bold)
	put(ClockText(v.Time)+" ", th.Bold)
	switch {
	case v.Stopped != "":
		put(" STOPPED ", th.Bad.Reverse(true))
	case Ended(v):
		put(" ENDED ", th.Warn.Reverse(true))
	case v.Paused:
		put(" PAUSED ", th.Warn.Reverse(true))
	case v.CatchingUp:
		put(" ▶ catching up… ", th.Warn)
	default:
		put(" ▶ ", th.Good)
	}
	put(" "+SpeedText(v.Speed)+"  ", th.Base)
	nodeSt := th.Good
	if v.Counts.NodesReady < v.Counts.Nodes {
		nodeSt = th.Bad
	}
	put(fmt.Sprintf("nodes %d/%d Ready", v.Counts.NodesReady, v.Counts.Nodes), nodeSt)
	put(fmt.Sprintf("  $%.3f/h", v.Counts.CostPerHour), th.Base)
	put(fmt.Sprintf("  pods %d Running", v.Counts.Running), th.Base)
	pendSt := th.Base
	if v.Counts.Pending > 0 {
		pendSt = th.Warn
	}
	put(fmt.Sprintf(" %d Pending", v.Counts.Pending), pendSt)
	if v.Counts.Failed > 0 {
		put(fmt.Sprintf(" %d Failed", v.Counts.Failed), th.Bad)
	}
	if v.Etcd.Quorum {
		put("  etcd ok, leader "+v.Etcd.Leader, th.Good)
	} else {
		put("  etcd NO QUORUM", th.Bad)
	}
}

// FooterKeys are the keys the footer lists, in order.
var FooterKeys = [][2]string{
	{"space", "pause"}, {".", "step"}, {"+/-", "speed"}, {":", "view"}, {"/", "filter"}, {"tab/arrows", "select"},
	{"f", "fail"}, {"r", "recover"}, {"c", "cordon"}, {"d", "drain"}, {"s", "scale"},
	{"x", "delete pod"}, {"y", "why"}, {"e", "etcd"}, {"w", "save"}, {"?", "help"}, {"q", "quit"},
}

// drawFooter shows the last message (if any), then the keys.
func (f *frame) drawFooter(r Rect, msg string, isErr bool) {
	th, c := f.th, f.c
	x := r.X
	if msg != "" {
		st := th.Action
		if isErr {
			st = th.Bad
		}
		msg = strings.ReplaceAll(msg, "\n", " · ")
		x += c.Text(x, r.Y, r.W, " "+msg+"  ", st)
	}
	for _, k := range FooterKeys {
		need := len([]rune(k[0])) + len(k[1]) + 3
		if x+need > r.X+r.W {
			break
		}
		x += c.Text(x, r.Y, need, " "+k[0], th.Key)
		x += c.Text(x, r.Y, need, " "+k[1]+" ", th.Dim)
	}
}

// drawPrompt is the footer while the user types a `:` command or a `/`
// filter, with what the prompt accepts.
func (f *frame) drawPrompt(r Rect, nav Nav) {
	th, c := f.th, f.c
	x := r.X + c.Text(r.X, r.Y, r.W, string(nav.Prompt)+nav.PromptText, th.Bold)
	c.Set(x, r.Y, ' ', th.Selected) // the cursor
	hint := "  enter: go · esc: cancel · nodes pods deploy ds sts events · ns NAME"
	if nav.Prompt == '/' {
		hint = "  a name, or labels (app=web) · enter: keep · esc: clear"
	}
	c.Text(x+1, r.Y, r.X+r.W-x-1, hint, th.Dim)
}

func (f *frame) drawEtcd(r Rect) {
	if r.H <= 0 {
		return
	}
	e := f.v.Etcd
	title := fmt.Sprintf(" etcd · quorum · leader %s", e.Leader)
	if !e.Quorum {
		title = " etcd · NO QUORUM: writes fail"
	}
	f.panelTitle(r, title, f.sel.Focus == FocusEtcd)
	x := r.X
	for _, m := range e.Members {
		glyph, st := '●', f.th.Good
		switch m.State {
		case "leader":
			glyph, st = '★', f.th.Good.Bold(true)
		case "down":
			glyph, st = '✗', f.th.Bad
		case "partitioned":
			glyph, st = '◌', f.th.Warn
		}
		if f.sel.Focus == FocusEtcd && m.Name == f.sel.Member {
			st = st.Reverse(true)
		}
		s := string(glyph) + m.Name
		n := f.c.Text(x, r.Y+1, r.X+r.W-x, s, st)
		f.hits = append(f.hits, Hit{R: Rect{x, r.Y + 1, n, 1}, Focus: FocusEtcd, Key: m.Name})
		x += n + 1
	}
}

// Age is kubectl's age of something that happened at virtual time t.
func Age(now, t time.Duration) string { return duration.HumanDuration(now - t) }

func (f *frame) drawPending(r Rect) {
	if r.H <= 0 {
		return
	}
	v, th := f.v, f.th
	focused := f.sel.Focus == FocusPending
	f.panelTitle(r, fmt.Sprintf(" Pending %d", len(v.Pending)), focused)
	rows := r.H - 1
	var why string
	if focused && len(v.Pending) > 0 {
		rows -= 2
	}
	if len(v.Pending) == 0 {
		f.c.Text(r.X+1, r.Y+1, r.W-1, "none: every pod is scheduled", th.Dim)
		return
	}
	first := scrollTo(v.Pending, f.sel.Pending, rows)
	for i := 0; i < rows && first+i < len(v.Pending); i++ {
		p := &v.Pending[first+i]
		y := r.Y + 1 + i
		m := PodMark(p)
		letter, _ := f.podStyles(p, m)
		f.c.Set(r.X, y, m.First, letter)
		age := Age(v.Time, p.Created)
		st := th.Base
		if focused && PodKey(p) == f.sel.Pending {
			st = th.Selected
			why = p.Reason
		}
		f.c.Fill(Rect{r.X + 1, y, r.W - 1, 1}, ' ', st)
		f.c.Text(r.X+2, y, r.W-3-len(age), p.Name, st)
		f.c.Text(r.X+r.W-len(age), y, len(age), age, st)
		f.hits = append(f.hits, Hit{R: Rect{r.X, y, r.W, 1}, Focus: FocusPending, Key: PodKey(p)})
	}
	if focused {
		if why == "" {
			why = "waiting for the scheduler"
		}
		lines := wrap("why: "+why, r.W, 2)
		for i, l := range lines {
			f.c.Text(r.X, r.Y+r.H-2+i, r.W, l, th.Warn)
		}
	}
}

// scrollTo returns the first row that keeps the selected pod visible.
func scrollTo(pods []live.PodView, key string, rows int) int {
	for i := range pods {
		if PodKey(&pods[i]) == key {
			return max(0, i-rows+1)
		}
	}
	return 0
}

// wrap cuts text into at most n lines of w cells, at spaces when it can.
// wrapIndented wraps each line to w columns, continuing it indented by
// indent (a chain's steps are long sentences; cut off they say nothing).
func wrapIndented(lines []string, w, indent int) []string {
	var out []string
	pad := strings.Repeat(" ", indent)
	for _, l := range lines {
		parts := wrap(l, w, 1)
		if len(parts) == 0 {
			out = append(out, l)
			continue
		}
		out = append(out, parts[0])
		rest := strings.TrimLeft(string([]rune(l)[len([]rune(parts[0])):]), " ")
		if rest != "" && w > indent+10 {
			for _, p := range wrap(rest, w-indent, 1000) {
				out = append(out, pad+p)
			}
		}
	}
	return out
}

func wrap(text string, w, n int) []string {
	var out []string
	rs := []rune(text)
	for len(rs) > 0 && len(out) < n {
		if len(rs) <= w {
			out = append(out, string(rs))
			break
		}
		cut := w
		for i := w; i > 0; i-- {
			if rs[i] == ' ' {
				cut = i
				break
			}
		}
		out = append(out, string(rs[:cut]))
		rs = []rune(strings.TrimLeft(string(rs[cut:]), " "))
	}
	return out
}

// KindShort is kubectl's short name of a kind ("deploy", "sts"), from the
// store's kind table.
func KindShort(kind string) string {
	if info, ok := store.LookupKind(kind); ok {
		return info.ShortName()
	}
	return strings.ToLower(kind)
}

func (f *frame) drawWorkloads(r Rect) {
	if r.H <= 0 {
		return
	}
	v, th := f.v, f.th
	focused := f.sel.Focus == FocusWorkloads
	f.panelTitle(r, fmt.Sprintf(" Workloads %d", len(v.Workloads)), focused)
	if r.H < 2 {
		return
	}
	cols := []string{"DES", "RDY", "AVL", "UTD"}
	cw := 4
	if r.W >= 2+16+4*11 {
		cols, cw = []string{"DESIRED", "READY", "AVAILABLE", "UP-TO-DATE"}, 11
	}
	nameW := r.W - 2 - len(cols)*cw
	f.c.Text(r.X+2, r.Y+1, nameW, "NAME", th.Header)
	for i, h := range cols {
		f.c.Text(r.X+2+nameW+i*cw+cw-len(h), r.Y+1, len(h), h, th.Header)
	}
	rows := r.H - 2
	first := 0
	for i := range v.Workloads {
		if WorkloadKey(&v.Workloads[i]) == f.sel.Workload {
			first = max(0, i-rows+1)
		}
	}
	for i := 0; i < rows && first+i < len(v.Workloads); i++ {
		w := &v.Workloads[first+i]
		y := r.Y + 2 + i
		st := th.Base
		if w.Ready < w.Desired || w.Available < w.Desired {
			st = th.Warn
		}
		if focused && WorkloadKey(w) == f.sel.Workload {
			st = th.Selected
		}
		f.c.Set(r.X, y, '█', Fg(f.owners[w.Kind+"/"+w.Name]))
		f.c.Fill(Rect{r.X + 1, y, r.W - 1, 1}, ' ', st)
		f.c.Text(r.X+2, y, nameW-1, KindShort(w.Kind)+"/"+w.Name, st)
		for j, n := range []int32{w.Desired, w.Ready, w.Available, w.UpToDate} {
			s := strconv.Itoa(int(n))
			f.c.Text(r.X+2+nameW+j*cw+cw-len(s), y, len(s), s, st)
		}
		f.hits = append(f.hits, Hit{R: Rect{r.X, y, r.W, 1}, Focus: FocusWorkloads, Key: WorkloadKey(w)})
	}
}

// drawEvents is `kubectl get events`: LAST SEEN, TYPE, REASON, OBJECT,
// MESSAGE, newest at the bottom; the session's own actions stand out.
func (f *frame) drawEvents(r Rect) {
	if r.H <= 0 {
		return
	}
	v, th := f.v, f.th
	f.panelTitle(r, fmt.Sprintf(" Events (%d)", len(v.Events)), false)
	if r.H < 2 {
		return
	}
	cols := []int{10, 8, 18, 34}
	if r.W < 110 {
		cols = []int{10, 8, 16, 26}
	}
	heads := []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}
	x := r.X
	for i, h := range heads {
		w := r.W - (x - r.X)
		if i < len(cols) {
			w = cols[i]
		}
		f.c.Text(x, r.Y+1, w-1, h, th.Header)
		x += w
	}
	rows := r.H - 2
	evs := v.Events
	if len(evs) > rows {
		evs = evs[len(evs)-rows:]
	}
	for i := range evs {
		e := &evs[i]
		y := r.Y + 2 + i
		st, tst := th.Base, th.Base
		switch e.Type {
		case "Warning":
			tst = th.Warn
		case "Failed":
			tst = th.Bad
		case "Action":
			st, tst = th.Action, th.Action
		}
		cells := []string{Age(v.Time, e.Time), e.Type, e.Reason, e.Object, e.Message}
		x := r.X
		for j, s := range cells {
			w := r.W - (x - r.X)
			if j < len(cols) {
				w = cols[j]
			}
			cs := st
			if j == 1 {
				cs = tst
			}
			f.c.Text(x, y, w-1, s, cs)
			x += w
		}
	}
}

// drawDetail shows the describe text of the selection, scrolled.
func (f *frame) drawDetail(r Rect, text string, why bool) {
	if r.H <= 0 {
		return
	}
	kind, _, name := f.sel.Subject(f.v)
	title := " Describe"
	if why {
		title = " Why"
	}
	switch {
	case kind != "":
		title += " " + strings.ToLower(kind) + "/" + name
	case name != "":
		title = " etcd member " + name
		text = etcdDetail(f.v, name)
	}
	f.panelTitle(r, title+"  ([ ] scroll)", false)
	sum := wrap(Summary(f.v, f.sel), r.W, 2)
	for i, l := range sum {
		if i < r.H-1 {
			f.c.Text(r.X, r.Y+1+i, r.W, l, f.th.Bold)
		}
	}
	r.Y += len(sum)
	r.H -= len(sum)
	lines := strings.Split(text, "\n")
	if why {
		lines = wrapIndented(lines, r.W, 11)
	}
	first := min(max(0, f.sel.Scroll), max(0, len(lines)-1))
	for i := 0; i < r.H-1 && first+i < len(lines); i++ {
		f.c.Text(r.X, r.Y+1+i, r.W, lines[first+i], f.th.Base)
	}
}

func etcdDetail(v *live.View, name string) string {
	for _, m := range v.Etcd.Members {
		if m.Name == name {
			action := "e: stop it (a crash of this member)"
			if m.State == "down" {
				action = "e: start it again"
			}
			return fmt.Sprintf("Name:    %s\nZone:    %s\nState:   %s\nLeader:  %s\nQuorum:  %t\n\n%s",
				m.Name, m.Zone, m.State, v.Etcd.Leader, v.Etcd.Quorum, action)
		}
	}
	return ""
}

// Summary is the first line of the detail pane: what matters about the
// selection at a glance, before the describe text.
func Summary(v *live.View, sel Selection) string {
	switch kind, _, _ := sel.Subject(v); kind {
	case "Node":
		n := sel.SelectedNode(v)
		if n == nil {
			return ""
		}
		s := fmt.Sprintf("%s · cpu %d%% · mem %d%% · %d pods · %s %s", NodeStatus(n),
			pct(n.Requested.MilliCPU, n.Allocatable.MilliCPU), pct(n.Requested.Memory, n.Allocatable.Memory), len(n.Pods), n.InstanceType, n.Zone)
		if len(n.Taints) > 0 {
			s += " · taints: " + strings.Join(n.Taints, ", ")
		}
		return s
	case "Pod":
		p := sel.SelectedPod(v)
		if p == nil {
			return ""
		}
		where := "not scheduled"
		if p.Node != "" {
			where = "on " + p.Node
		}
		s := fmt.Sprintf("%s · %s · %s · cpu %dm · mem %dMi · restarts %d", p.State, where, or(p.Owner, "no owner"),
			p.Requests.MilliCPU, p.Requests.Memory>>20, p.Restarts)
		if p.Reason != "" {
			s += " · " + p.Reason
		}
		return s
	}
	if w := sel.SelectedWorkload(v); w != nil && sel.Focus == FocusWorkloads {
		return fmt.Sprintf("%d desired · %d ready · %d available · %d up-to-date", w.Desired, w.Ready, w.Available, w.UpToDate)
	}
	return ""
}

func pct(a, b int64) int { return int(math.Round(frac(a, b) * 100)) }

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
