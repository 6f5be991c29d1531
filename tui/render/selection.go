package render

import (
	"strings"

	"github.com/kubesim/kubesim/live"
)

// Focus is the panel the selection moves in (tab cycles through them).
type Focus int

// The panels, in tab order.
const (
	FocusNodes Focus = iota
	FocusPods
	FocusPending
	FocusWorkloads
	FocusEtcd
	numFocus
	// FocusList is a row of a list view (pods, workloads, events); its
	// hits' keys are row numbers. Tab does not reach it.
	FocusList = numFocus
)

func (f Focus) String() string {
	return [...]string{"nodes", "pods", "pending", "workloads", "etcd", "list"}[f]
}

// Selection is what the user points at, by name rather than by position,
// so it survives the view changing under it (pods come and go).
type Selection struct {
	Focus    Focus
	Node     string // the selected node (also the target of f/r/c/d)
	Pod      string // "namespace/name" of the selected pod on Node
	Pending  string // "namespace/name" of the selected pending pod
	Workload string // "Kind/namespace/name"
	Member   string // etcd member
	Scroll   int    // first line of the detail pane
}

// Hit is a clickable region of a frame and what it selects.
type Hit struct {
	R     Rect
	Focus Focus
	Key   string // node name, pod "ns/name", workload key or member name
	Node  string // the node of a pod block
}

// PodKey is how a selection names a pod.
func PodKey(p *live.PodView) string { return p.Namespace + "/" + p.Name }

// WorkloadKey is how a selection names a workload.
func WorkloadKey(w *live.WorkloadView) string { return w.Kind + "/" + w.Namespace + "/" + w.Name }

// Normalize points every part of the selection at something that exists in
// v (the first item when the old one is gone), so keys always have a target.
func (s Selection) Normalize(v *live.View) Selection {
	if v == nil {
		return s
	}
	node := findNode(v, s.Node)
	if node == nil && len(v.Nodes) > 0 {
		node = &v.Nodes[0]
		s.Node = node.Name
	}
	if node != nil && !hasPod(node.Pods, s.Pod) {
		s.Pod = ""
		if len(node.Pods) > 0 {
			s.Pod = PodKey(&node.Pods[0])
		}
	}
	if !hasPod(v.Pending, s.Pending) {
		s.Pending = ""
		if len(v.Pending) > 0 {
			s.Pending = PodKey(&v.Pending[0])
		}
	}
	if findWorkload(v, s.Workload) == nil {
		s.Workload = ""
		if len(v.Workloads) > 0 {
			s.Workload = WorkloadKey(&v.Workloads[0])
		}
	}
	found := false
	for _, m := range v.Etcd.Members {
		found = found || m.Name == s.Member
	}
	if !found {
		s.Member = ""
		if len(v.Etcd.Members) > 0 {
			s.Member = v.Etcd.Members[0].Name
		}
	}
	if s.Focus == FocusPods && s.Pod == "" {
		s.Focus = FocusNodes
	}
	return s
}

func findNode(v *live.View, name string) *live.NodeView {
	for i := range v.Nodes {
		if v.Nodes[i].Name == name {
			return &v.Nodes[i]
		}
	}
	return nil
}

func hasPod(pods []live.PodView, key string) bool { return findPod(pods, key) != nil }

func findPod(pods []live.PodView, key string) *live.PodView {
	if key == "" {
		return nil
	}
	for i := range pods {
		if PodKey(&pods[i]) == key {
			return &pods[i]
		}
	}
	return nil
}

func findWorkload(v *live.View, key string) *live.WorkloadView {
	for i := range v.Workloads {
		if WorkloadKey(&v.Workloads[i]) == key {
			return &v.Workloads[i]
		}
	}
	return nil
}

// SelectedPod returns the pod the selection points at (a pod on the
// selected node or a pending pod, depending on the focus), or nil.
func (s Selection) SelectedPod(v *live.View) *live.PodView {
	switch s.Focus {
	case FocusPods:
		if n := findNode(v, s.Node); n != nil {
			return findPod(n.Pods, s.Pod)
		}
	case FocusPending:
		return findPod(v.Pending, s.Pending)
	}
	return nil
}

// SelectedWorkload returns the selected workload, or nil.
func (s Selection) SelectedWorkload(v *live.View) *live.WorkloadView {
	return findWorkload(v, s.Workload)
}

// SelectedNode returns the selected node, or nil.
func (s Selection) SelectedNode(v *live.View) *live.NodeView { return findNode(v, s.Node) }

// Subject is the object the detail pane describes: kind, namespace, name
// ("" kind for an etcd member, which is not a Kubernetes object).
func (s Selection) Subject(v *live.View) (kind, ns, name string) {
	switch s.Focus {
	case FocusPods, FocusPending:
		if p := s.SelectedPod(v); p != nil {
			return "Pod", p.Namespace, p.Name
		}
	case FocusWorkloads:
		if w := s.SelectedWorkload(v); w != nil {
			return w.Kind, w.Namespace, w.Name
		}
	case FocusEtcd:
		return "", "", s.Member
	}
	if s.Node != "" {
		return "Node", "", s.Node
	}
	return "", "", ""
}

// NextFocus is tab: the next panel that has something to select
// (dir -1 for backtab).
func (s Selection) NextFocus(v *live.View, dir int) Selection {
	f := s.Focus
	for range numFocus {
		f = (f + Focus(dir) + numFocus) % numFocus
		if s.focusable(v, f) {
			break
		}
	}
	s.Focus = f
	s.Scroll = 0
	return s.Normalize(v)
}

func (s Selection) focusable(v *live.View, f Focus) bool {
	switch f {
	case FocusPods:
		n := findNode(v, s.Node)
		return n != nil && len(n.Pods) > 0
	case FocusPending:
		return len(v.Pending) > 0
	case FocusWorkloads:
		return len(v.Workloads) > 0
	case FocusEtcd:
		return len(v.Etcd.Members) > 0
	}
	return len(v.Nodes) > 0
}

// key returns the selection's name for a focus.
func (s Selection) key(f Focus) string {
	switch f {
	case FocusNodes:
		return s.Node
	case FocusPods:
		return s.Pod
	case FocusPending:
		return s.Pending
	case FocusWorkloads:
		return s.Workload
	case FocusEtcd:
		return s.Member
	}
	return ""
}

// Select points the selection at a hit (a click) and focuses its panel.
func (s Selection) Select(h Hit) Selection {
	s.Focus = h.Focus
	s.Scroll = 0
	switch h.Focus {
	case FocusNodes:
		if s.Node != h.Key {
			s.Pod = "" // Normalize picks the new node's first pod
		}
		s.Node = h.Key
	case FocusPods:
		s.Node, s.Pod = h.Node, h.Key
	case FocusPending:
		s.Pending = h.Key
	case FocusWorkloads:
		s.Workload = h.Key
	case FocusEtcd:
		s.Member = h.Key
	}
	return s
}

// Move moves the selection one step in a direction (dx, dy in -1..1)
// within its panel, using the frame's geometry: the nearest item whose
// centre lies that way. Lists (pending, workloads, etcd) step by order.
func (s Selection) Move(hits []Hit, dx, dy int) Selection {
	var cands []Hit
	cur := -1
	for _, h := range hits {
		if h.Focus != s.Focus || (s.Focus == FocusPods && h.Node != s.Node) {
			continue
		}
		if cur < 0 && h.Key == s.key(s.Focus) {
			cur = len(cands)
		}
		cands = append(cands, h)
	}
	if len(cands) == 0 {
		return s
	}
	if cur < 0 {
		return s.Select(cands[0])
	}
	if s.Focus != FocusNodes && s.Focus != FocusPods {
		i := cur + dx + dy
		if i < 0 || i >= len(cands) {
			return s
		}
		return s.Select(cands[i])
	}
	if best := nearest(cands, cur, dx, dy); best >= 0 {
		return s.Select(cands[best])
	}
	return s
}

// nearest finds the candidate closest to cands[cur] in direction (dx, dy),
// weighing drift across the direction double, so "down" prefers the box
// right below over one diagonally closer.
func nearest(cands []Hit, cur, dx, dy int) int {
	cx, cy := centre(cands[cur].R)
	best, bestD := -1, 0
	for i, h := range cands {
		if i == cur {
			continue
		}
		x, y := centre(h.R)
		along := (x-cx)*dx + (y-cy)*dy*2 // rows are about twice as tall as columns are wide
		if along <= 0 {
			continue
		}
		across := abs((x-cx)*dy) + abs((y-cy)*dx)*2
		if d := along + 2*across; best < 0 || d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

func centre(r Rect) (int, int) { return 2*r.X + r.W, 2*r.Y + r.H }

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// HitAt returns the hit under a cell, if any (the last drawn wins).
func HitAt(hits []Hit, x, y int) (Hit, bool) {
	for i := len(hits) - 1; i >= 0; i-- {
		if hits[i].R.Contains(x, y) {
			return hits[i], true
		}
	}
	return Hit{}, false
}

// OwnerName is the workload part of an owner ("Deployment/web" -> "web").
func OwnerName(owner string) (kind, name string) {
	kind, name, _ = strings.Cut(owner, "/")
	return kind, name
}
