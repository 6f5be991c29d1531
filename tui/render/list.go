package render

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gdamore/tcell/v2"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/sim/store"
)

// Mode is the view the body of the screen shows (`:` switches).
type Mode int

// The views.
const (
	ModeNodes     Mode = iota // the nodes as bins (or the heat-map) with the side panels
	ModePods                  // `kubectl get pods`
	ModeWorkloads             // Deployments, DaemonSets, StatefulSets and ReplicationControllers
	ModeEvents                // `kubectl get events`
)

func (m Mode) String() string { return [...]string{"nodes", "pods", "workloads", "events"}[m] }

// Nav is the k9s-style navigation state: the view, the `/` filter, the
// namespace, the selected row of a list view, and an open prompt.
type Nav struct {
	Mode      Mode
	Filter    string // a name substring, or a label selector (app=web, tier!=db)
	Namespace string // "" for all namespaces
	Row       int    // selected row of a list view
	// Prompt is ':' or '/' while the user types a command or a filter.
	Prompt     rune
	PromptText string
	// Kind narrows the workloads view to one kind ("" for all).
	Kind string
}

// Matcher is a compiled filter: a label selector when the text is one
// (it has =, != or a set operator), else a case-insensitive substring of
// the name.
type Matcher struct {
	sel  labels.Selector
	text string
}

// NewMatcher compiles a filter; an empty one matches everything.
func NewMatcher(filter string) Matcher {
	filter = strings.TrimSpace(filter)
	if strings.ContainsAny(filter, "=!()") || strings.Contains(filter, " in ") || strings.Contains(filter, " notin ") {
		if s, err := labels.Parse(filter); err == nil {
			return Matcher{sel: s}
		}
	}
	return Matcher{text: strings.ToLower(filter)}
}

// IsLabels reports whether the filter is a label selector.
func (m Matcher) IsLabels() bool { return m.sel != nil }

// Empty reports whether the filter matches everything.
func (m Matcher) Empty() bool { return m.sel == nil && m.text == "" }

// Match tests a name (and its labels, for a selector; extra strings are
// searched by a text filter too).
func (m Matcher) Match(name string, lbls map[string]string, extra ...string) bool {
	if m.sel != nil {
		return m.sel.Matches(labels.Set(lbls))
	}
	if m.text == "" || strings.Contains(strings.ToLower(name), m.text) {
		return true
	}
	for _, e := range extra {
		if strings.Contains(strings.ToLower(e), m.text) {
			return true
		}
	}
	return false
}

// PodMatches reports whether a pod passes the namespace and the filter.
func (n Nav) PodMatches(m Matcher, p *live.PodView) bool {
	return (n.Namespace == "" || p.Namespace == n.Namespace) && m.Match(p.Name, p.Labels)
}

// Pods are every pod of the view that passes the namespace and the
// filter, sorted like kubectl (namespace, then name).
func (n Nav) Pods(v *live.View) []*live.PodView {
	m := NewMatcher(n.Filter)
	var out []*live.PodView
	add := func(p *live.PodView) {
		if n.PodMatches(m, p) {
			out = append(out, p)
		}
	}
	for i := range v.Nodes {
		for j := range v.Nodes[i].Pods {
			add(&v.Nodes[i].Pods[j])
		}
	}
	for i := range v.Pending {
		add(&v.Pending[i])
	}
	slices.SortFunc(out, podOrder)
	return out
}

// podOrder orders pods as their keys "namespace/name" sort (etcd's order,
// which kubectl shows) without building the keys: a frame of the pods
// view sorts thousands, and the concatenations were most of its
// allocations. Namespaces hold no '/', so when two differ the one that is
// a prefix of the other compares as if followed by '/'.
func podOrder(a, b *live.PodView) int {
	an, bn := a.Namespace, b.Namespace
	if an == bn {
		return strings.Compare(a.Name, b.Name)
	}
	n := min(len(an), len(bn))
	if c := strings.Compare(an[:n], bn[:n]); c != 0 {
		return c
	}
	if len(an) < len(bn) {
		return cmp.Compare('/', bn[n])
	}
	return cmp.Compare(an[n], '/')
}

// Workloads are the workloads that pass the kind, namespace and filter
// (a label filter matches none: workload labels are not in the view).
func (n Nav) Workloads(v *live.View) []*live.WorkloadView {
	m := NewMatcher(n.Filter)
	var out []*live.WorkloadView
	for i := range v.Workloads {
		w := &v.Workloads[i]
		if (n.Kind == "" || w.Kind == n.Kind) && (n.Namespace == "" || w.Namespace == n.Namespace) && m.Match(w.Name, nil) {
			out = append(out, w)
		}
	}
	return out
}

// Events are the events whose object, reason or message matches the filter.
func (n Nav) Events(v *live.View) []*live.EventView {
	m := NewMatcher(n.Filter)
	var out []*live.EventView
	for i := range v.Events {
		e := &v.Events[i]
		if m.Match(e.Object, nil, e.Reason, e.Message, e.Type) {
			out = append(out, e)
		}
	}
	return out
}

// Rows is the number of rows of the current list view.
func (n Nav) Rows(v *live.View) int {
	switch n.Mode {
	case ModePods:
		return len(n.Pods(v))
	case ModeWorkloads:
		return len(n.Workloads(v))
	case ModeEvents:
		return len(n.Events(v))
	}
	return 0
}

// Namespaces are the namespaces that have pods or workloads, sorted.
func Namespaces(v *live.View) []string {
	seen := map[string]bool{}
	for i := range v.Nodes {
		for j := range v.Nodes[i].Pods {
			seen[v.Nodes[i].Pods[j].Namespace] = true
		}
	}
	for i := range v.Pending {
		seen[v.Pending[i].Namespace] = true
	}
	for i := range v.Workloads {
		seen[v.Workloads[i].Namespace] = true
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	slices.Sort(out)
	return out
}

// viewModes are the kinds that have a view. What may follow `:` is any
// name kubectl accepts for them (the store's kind table: "po", "deploy",
// "statefulsets"), as k9s accepts them, or "workloads"/"wl".
var viewModes = map[string]Mode{
	"Node": ModeNodes, "Pod": ModePods, "Event": ModeEvents,
	"Deployment": ModeWorkloads, "DaemonSet": ModeWorkloads, "StatefulSet": ModeWorkloads, "ReplicationController": ModeWorkloads,
}

// viewOf resolves a view name to its mode and, for a workload kind, the
// kind it filters on.
func viewOf(word string) (mode Mode, kind string, ok bool) {
	if word == "workloads" || word == "wl" {
		return ModeWorkloads, "", true
	}
	info, found := store.LookupResource(word)
	if !found {
		return 0, "", false
	}
	mode, ok = viewModes[info.Kind]
	if mode == ModeWorkloads {
		kind = info.Kind
	}
	return mode, kind, ok
}

// Command applies a `:` command: a view name, or `ns [NAME]` to switch
// namespace (no name or "all": every namespace). It returns the new state
// or an error saying what is accepted.
func (n Nav) Command(v *live.View, text string) (Nav, error) {
	f := strings.Fields(text)
	if len(f) == 0 {
		return n, nil
	}
	word := strings.ToLower(f[0])
	if word == "ns" || word == "namespace" || word == "namespaces" {
		switch {
		case len(f) == 1 || f[1] == "all" || f[1] == "-A":
			n.Namespace = ""
		case slices.Contains(Namespaces(v), f[1]):
			n.Namespace = f[1]
		default:
			return n, fmt.Errorf("no namespace %q (have: %s)", f[1], strings.Join(Namespaces(v), ", "))
		}
		n.Row = 0
		return n, nil
	}
	mode, kind, ok := viewOf(word)
	if !ok {
		return n, fmt.Errorf("unknown view %q: try nodes, pods, deploy, ds, sts, workloads, events or ns NAME", f[0])
	}
	if n.Mode != mode || n.Kind != kind {
		n.Row = 0
	}
	n.Mode, n.Kind = mode, kind
	if len(f) > 1 && (f[1] == "-A" || f[1] == "all") {
		n.Namespace = ""
	}
	return n, nil
}

// ListSelection maps the selected row of a list view onto a Selection, so
// the describe pane and the keys (x deletes the pod, s scales the
// workload) act on it.
func (n Nav) ListSelection(v *live.View, s Selection) Selection {
	switch n.Mode {
	case ModePods:
		pods := n.Pods(v)
		if len(pods) == 0 {
			return s
		}
		p := pods[max(0, min(n.Row, len(pods)-1))]
		if p.Node != "" {
			s.Focus, s.Node, s.Pod = FocusPods, p.Node, PodKey(p)
		} else {
			s.Focus, s.Pending = FocusPending, PodKey(p)
		}
	case ModeWorkloads:
		ws := n.Workloads(v)
		if len(ws) == 0 {
			return s
		}
		s.Focus, s.Workload = FocusWorkloads, WorkloadKey(ws[max(0, min(n.Row, len(ws)-1))])
	}
	return s
}

// column is one column of a list view.
type column struct {
	head  string
	w     int  // width; 0 = the rest
	right bool // right-aligned
	drop  int  // on a narrow screen, columns with a higher drop go first (0: never)
}

// minFlexW is the least room the flexible column (the name) keeps before
// optional columns are dropped.
const minFlexW = 22

// fitColumns drops optional columns, highest drop first, until the
// flexible one has minFlexW cells; it returns the kept column indexes.
func fitColumns(cols []column, w int) []int {
	keep := make([]bool, len(cols))
	for i := range keep {
		keep[i] = true
	}
	for {
		fixed := 0
		worst := -1
		for i, c := range cols {
			if !keep[i] {
				continue
			}
			fixed += c.w + 1
			if c.drop > 0 && (worst < 0 || c.drop > cols[worst].drop) {
				worst = i
			}
		}
		if w-1-fixed >= minFlexW || worst < 0 {
			break
		}
		keep[worst] = false
	}
	var out []int
	for i, k := range keep {
		if k {
			out = append(out, i)
		}
	}
	return out
}

// drawList draws the current list view as a k9s-style table: a title
// with the view, namespace, filter and count, a header row, and the rows
// with the selected one reversed.
func (f *frame) drawList(r Rect, nav Nav) {
	v, th := f.v, f.th
	var cols []column
	// n rows; rowAt builds row i and its style (0 normal, 1 warn, 2 bad)
	// when it is drawn: a view of thousands of pods shows a screenful.
	var n int
	var rowAt func(i int) ([]string, int)
	ns := nav.Namespace
	title := ""
	switch nav.Mode {
	case ModePods:
		pods := nav.Pods(v)
		title = "Pods"
		if ns == "" {
			cols = append(cols, column{head: "NAMESPACE", w: 12, drop: 3})
		}
		cols = append(cols, column{head: "NAME", w: 0}, column{head: "READY", w: 5, right: true}, column{head: "STATUS", w: 17},
			column{head: "RESTARTS", w: 8, right: true, drop: 2}, column{head: "AGE", w: 5, right: true, drop: 1}, column{head: "NODE", w: 16, drop: 4})
		n = len(pods)
		rowAt = func(i int) ([]string, int) {
			p := pods[i]
			row := []string{}
			if ns == "" {
				row = append(row, p.Namespace)
			}
			node := p.Node
			if node == "" {
				node = "<none>"
			}
			row = append(row, p.Name, fmt.Sprintf("%d/%d", p.ContainersReady, p.Containers), p.State,
				strconv.Itoa(int(p.Restarts)), Age(v.Time, p.Created), node)
			st := 0
			switch m := PodMark(p); {
			case m.Alarm:
				st = 2
			case p.State != "Running" || !p.Ready:
				st = 1
			}
			return row, st
		}
	case ModeWorkloads:
		title = "Workloads"
		if nav.Kind != "" {
			title = nav.Kind + "s"
		}
		if ns == "" {
			cols = append(cols, column{head: "NAMESPACE", w: 14, drop: 1})
		}
		cols = append(cols, column{head: "NAME", w: 0}, column{head: "READY", w: 9, right: true},
			column{head: "UP-TO-DATE", w: 11, right: true}, column{head: "AVAILABLE", w: 10, right: true})
		ws := nav.Workloads(v)
		n = len(ws)
		rowAt = func(i int) ([]string, int) {
			w := ws[i]
			row := []string{}
			if ns == "" {
				row = append(row, w.Namespace)
			}
			name := w.Name
			if nav.Kind == "" {
				name = KindShort(w.Kind) + "/" + w.Name
			}
			row = append(row, name, fmt.Sprintf("%d/%d", w.Ready, w.Desired), strconv.Itoa(int(w.UpToDate)), strconv.Itoa(int(w.Available)))
			st := 0
			if w.Ready < w.Desired || w.Available < w.Desired {
				st = 1
			}
			return row, st
		}
	case ModeEvents:
		title = "Events"
		ns = "" // events name their object; the view carries no namespace
		cols = []column{{head: "LAST SEEN", w: 9}, {head: "TYPE", w: 7, drop: 1}, {head: "REASON", w: 18}, {head: "OBJECT", w: 28, drop: 2}, {head: "MESSAGE", w: 0}}
		evs := nav.Events(v)
		n = len(evs)
		rowAt = func(i int) ([]string, int) {
			e := evs[i]
			st := 0
			switch e.Type {
			case "Warning":
				st = 1
			case "Failed":
				st = 2
			}
			return []string{Age(v.Time, e.Time), e.Type, e.Reason, e.Object, e.Message}, st
		}
	}
	scope := ns
	if scope == "" {
		scope = "all"
	}
	title = fmt.Sprintf(" %s(%s)[%d]", title, scope, n)
	if nav.Filter != "" {
		kind := "name"
		if NewMatcher(nav.Filter).IsLabels() {
			kind = "labels"
		}
		title += fmt.Sprintf(" </%s> by %s", nav.Filter, kind)
	}
	f.panelTitle(r, title+"   esc: back to nodes", true)
	if r.H < 3 {
		return
	}
	// Optional columns go on a narrow screen; the flexible column takes
	// what the others leave.
	kept := fitColumns(cols, r.W)
	fixed := 0
	for _, i := range kept {
		fixed += cols[i].w + 1
	}
	for i := range cols {
		if cols[i].w == 0 {
			cols[i].w = max(8, r.W-1-fixed)
		}
	}
	drawRow := func(y int, cells []string, st func(int) tcell.Style) {
		x := r.X + 1
		for _, i := range kept {
			c := cols[i]
			if i >= len(cells) {
				break
			}
			s := cells[i]
			w := min(c.w, r.X+r.W-x)
			if w <= 0 {
				break
			}
			if c.right && len([]rune(s)) < w {
				f.c.Text(x+w-len([]rune(s)), y, len([]rune(s)), s, st(i))
			} else {
				f.c.Text(x, y, w, s, st(i))
			}
			x += c.w + 1
		}
	}
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.head
	}
	drawRow(r.Y+1, heads, func(int) tcell.Style { return th.Header })
	visible := r.H - 2
	sel := max(0, min(nav.Row, n-1))
	first := max(0, sel-visible+1)
	for i := 0; i < visible && first+i < n; i++ {
		ri := first + i
		y := r.Y + 2 + i
		row, style := rowAt(ri)
		base := [...]tcell.Style{th.Base, th.Warn, th.Bad}[style]
		if ri == sel {
			base = th.Selected
			f.c.Fill(Rect{r.X, y, r.W, 1}, ' ', base)
		}
		drawRow(y, row, func(int) tcell.Style { return base })
		f.hits = append(f.hits, Hit{R: Rect{r.X, y, r.W, 1}, Focus: FocusList, Key: strconv.Itoa(ri)})
	}
	if n == 0 {
		msg := "nothing matches"
		if nav.Filter == "" && nav.Namespace != "" {
			msg = "nothing in namespace " + nav.Namespace
		}
		f.c.Text(r.X+1, r.Y+2, r.W-1, msg+" (esc clears the filter, :ns switches namespace)", th.Dim)
	}
}
