package render

import (
	"fmt"
	"math"
	"strconv"

	"github.com/gdamore/tcell/v2"

	"github.com/kubesim/kubesim/live"
)

// frame carries what every panel needs while drawing one frame.
type frame struct {
	c      *Canvas
	v      *live.View
	sel    Selection
	th     *Theme
	owners map[string]tcell.Color
	hits   []Hit
	// zoneInBox puts the zone in each box's bottom border (flat grid).
	zoneInBox bool
	// hover is the node under the mouse pointer, if any.
	hover string
	nav   Nav
	match Matcher
}

// ownerColors gives each workload its colour, in the view's order
// (stable across frames); bare pods get the default colour.
func ownerColors(v *live.View, th *Theme) map[string]tcell.Color {
	m := make(map[string]tcell.Color, len(v.Workloads))
	for i := range v.Workloads {
		w := &v.Workloads[i]
		k := w.Kind + "/" + w.Name
		if _, ok := m[k]; !ok {
			m[k] = th.Owner(i)
		}
	}
	return m
}

// NodeStatus is the STATUS column of `kubectl get nodes`.
func NodeStatus(n *live.NodeView) string {
	s := "Ready"
	if n.Ready != "True" {
		s = "NotReady"
	}
	if n.Unschedulable {
		s += ",SchedulingDisabled"
	}
	return s
}

// frac is requested/allocatable, 0 when there is nothing allocatable.
func frac(req, alloc int64) float64 {
	if alloc <= 0 {
		return 0
	}
	return float64(req) / float64(alloc)
}

// nodeLoad is the larger of the CPU and memory request fractions.
func nodeLoad(n *live.NodeView) float64 {
	return max(frac(n.Requested.MilliCPU, n.Allocatable.MilliCPU), frac(n.Requested.Memory, n.Allocatable.Memory))
}

// drawNodes draws the node panel: bins when they fit, else the heat-map
// with the selected node zoomed in below it.
func (f *frame) drawNodes(r Rect) bool {
	v := f.v
	zones := groupZones(v.Nodes)
	ready, cordoned := 0, 0
	for i := range v.Nodes {
		if v.Nodes[i].Ready == "True" {
			ready++
		}
		if v.Nodes[i].Unschedulable {
			cordoned++
		}
	}
	title := fmt.Sprintf(" Nodes %d · %d Ready", len(v.Nodes), ready)
	if cordoned > 0 {
		title += fmt.Sprintf(" · %d cordoned", cordoned)
	}
	body := Rect{r.X, r.Y + 1, r.W, r.H - 1}
	legend := body.H >= 8
	if legend {
		body.H--
	}
	owners := body.H >= 12 && len(v.Workloads) > 0 && f.th.Colors >= 8
	if owners {
		body.H--
	}
	plan, ok := planBins(v.Nodes, zones, body.W, body.H)
	if !ok {
		title += " · heat-map (% of each node requested)"
	}
	f.panelTitle(r, title, f.sel.Focus == FocusNodes || f.sel.Focus == FocusPods)
	wide := false
	if ok {
		f.drawBins(body, zones, plan)
	} else {
		wide = f.drawHeat(body, zones)
	}
	if owners {
		f.drawOwnerLegend(Rect{r.X, body.Y + body.H, r.W, 1})
	}
	if legend {
		f.drawLegend(Rect{r.X, r.Y + r.H - 1, r.W, 1}, !ok, wide)
	}
	return ok
}

func (f *frame) zoneLabel(x, y, w int, z zoneGroup) {
	ready := 0
	for _, i := range z.Nodes {
		if f.v.Nodes[i].Ready == "True" {
			ready++
		}
	}
	st := f.th.Bold
	if ready < len(z.Nodes) {
		st = f.th.Bad
	}
	f.c.Text(x, y, w, fmt.Sprintf("%s  %d/%d Ready", z.Name, ready, len(z.Nodes)), st)
}

func (f *frame) drawBins(body Rect, zones []zoneGroup, p binPlan) {
	f.zoneInBox = p.Flat
	for _, l := range p.Labels {
		f.zoneLabel(body.X+l.X, body.Y+l.Y, l.W, zones[l.Zone])
	}
	for i := range f.v.Nodes {
		b := p.Boxes[i]
		b.X += body.X
		b.Y += body.Y
		f.drawBox(b, &f.v.Nodes[i], p.PodRows)
	}
}

// drawBox draws one node as a bin.
func (f *frame) drawBox(b Rect, n *live.NodeView, podRows int) {
	th, c := f.th, f.c
	selected := n.Name == f.sel.Node
	border := th.Border
	switch {
	case n.Ready != "True":
		border = th.Bad
	case n.Unschedulable:
		border = th.Warn
	case selected:
		border = th.BorderSel
	}
	drawFrame(c, b, border, selected)
	f.hits = append(f.hits, Hit{R: b, Focus: FocusNodes, Key: n.Name})
	inner := b.W - 2
	status, stStyle := NodeStatus(n), th.Good
	if n.Ready != "True" {
		stStyle = th.Bad
	} else if n.Unschedulable {
		stStyle = th.Warn
	}
	if len(status)+len(n.Name)+4 > inner {
		status = shortStatus(n)
	}
	nameW := max(1, inner-len(status)-3)
	nameStyle := th.Bold
	if selected {
		nameStyle = th.Selected.Bold(true)
	}
	c.Text(b.X+1, b.Y, nameW, " "+n.Name+" ", nameStyle)
	c.Text(b.X+b.W-2-len(status), b.Y, len(status)+1, " "+status, stStyle)
	f.bar(b.X+1, b.Y+1, inner, "cpu", frac(n.Requested.MilliCPU, n.Allocatable.MilliCPU))
	f.bar(b.X+1, b.Y+2, inner, "mem", frac(n.Requested.Memory, n.Allocatable.Memory))
	f.drawPods(b.X+1, b.Y+3, inner, podRows, n)
	foot := fmt.Sprintf(" %d pods", len(n.Pods))
	extra := n.InstanceType
	if f.zoneInBox {
		extra = n.Zone
	}
	if extra != "" && len(foot)+len(extra)+4 <= inner {
		foot += " · " + extra
	}
	c.Text(b.X+1, b.Y+b.H-1, inner, foot+" ", th.Dim)
}

// shortStatus fits a status in a narrow box.
func shortStatus(n *live.NodeView) string {
	switch {
	case n.Ready != "True" && n.Unschedulable:
		return "NotReady,Cordon"
	case n.Ready != "True":
		return "NotReady"
	case n.Unschedulable:
		return "Cordoned"
	}
	return "Ready"
}

// drawFrame draws a box border, heavy when selected (visible without colour).
func drawFrame(c *Canvas, b Rect, st tcell.Style, heavy bool) {
	h, v, tl, tr, bl, br := '─', '│', '┌', '┐', '└', '┘'
	if heavy {
		h, v, tl, tr, bl, br = '━', '┃', '┏', '┓', '┗', '┛'
	}
	for x := b.X + 1; x < b.X+b.W-1; x++ {
		c.Set(x, b.Y, h, st)
		c.Set(x, b.Y+b.H-1, h, st)
	}
	for y := b.Y + 1; y < b.Y+b.H-1; y++ {
		c.Set(b.X, y, v, st)
		c.Set(b.X+b.W-1, y, v, st)
	}
	c.Set(b.X, b.Y, tl, st)
	c.Set(b.X+b.W-1, b.Y, tr, st)
	c.Set(b.X, b.Y+b.H-1, bl, st)
	c.Set(b.X+b.W-1, b.Y+b.H-1, br, st)
}

// bar draws "cpu ██████░░░░  62%" in w cells, coloured by heat.
func (f *frame) bar(x, y, w int, name string, fr float64) {
	c := f.c
	c.Text(x, y, 4, name+" ", f.th.Dim)
	pct := strconv.Itoa(int(math.Round(fr*100))) + "%"
	bw := w - 4 - 5
	if bw < 1 {
		return
	}
	full := int(math.Round(fr * float64(bw)))
	st := Fg(f.th.Heat(fr))
	for i := 0; i < bw; i++ {
		if i < full {
			c.Set(x+4+i, y, '█', st)
		} else {
			c.Set(x+4+i, y, '░', f.th.Dim)
		}
	}
	c.Text(x+w-len(pct), y, len(pct), pct, st)
}
