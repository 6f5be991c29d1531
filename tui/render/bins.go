package render

import (
	"math"
	"sort"

	"github.com/kubesim/kubesim/live"
)

// Bin geometry. A box is a node: top border with name and status, a CPU
// and a memory request bar, PodRows rows of pod blocks, bottom border.
const (
	minBoxW    = 22
	maxBoxW    = 48
	maxPodRows = 8
	boxChrome  = 4 // borders and the two bars
)

// zoneGroup is the nodes of one zone, as indexes into View.Nodes.
type zoneGroup struct {
	Name  string
	Nodes []int
}

// groupZones groups nodes by zone, zones sorted by name, nodes in view
// order (group, then index).
func groupZones(nodes []live.NodeView) []zoneGroup {
	idx := map[string]int{}
	var zones []zoneGroup
	for i := range nodes {
		z := nodes[i].Zone
		if z == "" {
			z = "(no zone)"
		}
		j, ok := idx[z]
		if !ok {
			j = len(zones)
			idx[z] = j
			zones = append(zones, zoneGroup{Name: z})
		}
		zones[j].Nodes = append(zones[j].Nodes, i)
	}
	sort.SliceStable(zones, func(a, b int) bool { return zones[a].Name < zones[b].Name })
	return zones
}

// share is the fraction of its node a pod takes: the larger of its CPU
// and memory request fractions (the one that limits packing).
func share(p *live.PodView, n *live.NodeView) float64 {
	s := 0.0
	if a := n.Allocatable.MilliCPU; a > 0 {
		s = float64(p.Requests.MilliCPU) / float64(a)
	}
	if a := n.Allocatable.Memory; a > 0 {
		s = math.Max(s, float64(p.Requests.Memory)/float64(a))
	}
	return s
}

// podCells is the size of a pod's block in a pod area of `area` cells
// standing for the whole node: proportional to its share, at least one.
func podCells(p *live.PodView, n *live.NodeView, area int) int {
	return max(1, int(math.Round(share(p, n)*float64(area))))
}

func cellsNeeded(n *live.NodeView, area int) int {
	total := 0
	for i := range n.Pods {
		total += podCells(&n.Pods[i], n, area)
	}
	return total
}

// fitRows is the fewest pod rows at which every node's blocks fit in a
// box of inner width innerW (maxPodRows if some never fit: it overflows).
func fitRows(nodes []live.NodeView, innerW int) int {
	for r := 2; r < maxPodRows; r++ {
		ok := true
		for i := range nodes {
			if cellsNeeded(&nodes[i], innerW*r) > innerW*r {
				ok = false
				break
			}
		}
		if ok {
			return r
		}
	}
	return maxPodRows
}

// label is a zone heading.
type label struct {
	X, Y, W int
	Zone    int
}

// binPlan places every node's box (Boxes is indexed like View.Nodes),
// relative to the panel's content origin.
type binPlan struct {
	BoxW, PodRows int
	Flat          bool // one grid without zone headings (zones in the boxes)
	Boxes         []Rect
	Labels        []label
	Height        int
}

func boxH(podRows int) int { return boxChrome + podRows }

// planBins lays the boxes out in w x h, or reports that they do not fit
// (then the panel shows the heat-map). Zones side by side come first, as
// columns; if there are too many zones, zones are stacked as sections;
// then one flat grid. The pod rows shrink before giving up.
func planBins(nodes []live.NodeView, zones []zoneGroup, w, h int) (binPlan, bool) {
	if len(nodes) == 0 {
		return binPlan{}, true
	}
	colW, colK := zoneColumns(zones, w)
	secK := max(1, min(w/minBoxW, len(nodes)))
	secW := min(w/secK, maxBoxW)
	colRows, secRows := 0, 0
	if colK > 0 {
		colRows = fitRows(nodes, min(colW/colK, maxBoxW)-2)
	}
	if secW >= minBoxW {
		secRows = fitRows(nodes, secW-2)
	}
	flatK := max(1, min(w/minBoxW, len(nodes)))
	flatW := min(w/flatK, maxBoxW)
	flatRows := 0
	if flatW >= minBoxW {
		flatRows = fitRows(nodes, flatW-2)
	}
	for r := max(colRows, secRows, flatRows); r >= 1; r-- {
		if colK > 0 && r <= colRows {
			if p := columnsPlan(zones, colW, colK, r); p.Height <= h {
				return p, true
			}
		}
		if secW >= minBoxW && r <= secRows {
			if p := sectionsPlan(zones, len(nodes), w, secK, secW, r); p.Height <= h {
				return p, true
			}
		}
		if flatW >= minBoxW && r <= flatRows {
			if p := flatPlan(zones, len(nodes), flatK, flatW, r); p.Height <= h {
				return p, true
			}
		}
	}
	return binPlan{}, false
}

// zoneColumns returns each zone column's width and boxes per row, or 0
// boxes when the zones cannot stand side by side.
func zoneColumns(zones []zoneGroup, w int) (colW, k int) {
	if len(zones) == 0 || len(zones)*minBoxW > w {
		return 0, 0
	}
	colW = w / len(zones)
	most := 0
	for _, z := range zones {
		most = max(most, len(z.Nodes))
	}
	return colW, max(1, min(colW/minBoxW, most))
}

func columnsPlan(zones []zoneGroup, colW, k, podRows int) binPlan {
	bw := min(colW/k, maxBoxW)
	p := binPlan{BoxW: bw, PodRows: podRows}
	p.Boxes = make([]Rect, total(zones))
	bh := boxH(podRows)
	for zi, z := range zones {
		x0 := zi * colW
		p.Labels = append(p.Labels, label{X: x0, Y: 0, W: colW - 1, Zone: zi})
		for j, ni := range z.Nodes {
			p.Boxes[ni] = Rect{X: x0 + (j%k)*bw, Y: 1 + (j/k)*bh, W: bw, H: bh}
		}
		p.Height = max(p.Height, 1+ceilDiv(len(z.Nodes), k)*bh)
	}
	return p
}

func sectionsPlan(zones []zoneGroup, n, w, k, bw, podRows int) binPlan {
	p := binPlan{BoxW: bw, PodRows: podRows}
	p.Boxes = make([]Rect, n)
	bh := boxH(podRows)
	y := 0
	for zi, z := range zones {
		p.Labels = append(p.Labels, label{X: 0, Y: y, W: w, Zone: zi})
		y++
		for j, ni := range z.Nodes {
			p.Boxes[ni] = Rect{X: (j % k) * bw, Y: y + (j/k)*bh, W: bw, H: bh}
		}
		y += ceilDiv(len(z.Nodes), k) * bh
	}
	p.Height = y
	return p
}

// flatPlan is one grid of boxes in zone order, for when a heading per
// zone costs too many rows (a small terminal).
func flatPlan(zones []zoneGroup, n, k, bw, podRows int) binPlan {
	p := binPlan{BoxW: bw, PodRows: podRows, Flat: true}
	p.Boxes = make([]Rect, n)
	bh := boxH(podRows)
	j := 0
	for _, z := range zones {
		for _, ni := range z.Nodes {
			p.Boxes[ni] = Rect{X: (j % k) * bw, Y: (j / k) * bh, W: bw, H: bh}
			j++
		}
	}
	p.Height = ceilDiv(n, k) * bh
	return p
}

func total(zones []zoneGroup) int {
	n := 0
	for _, z := range zones {
		n += len(z.Nodes)
	}
	return n
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// heatPlan places one tile per node in rows after a zone label: the
// compact view for clusters whose boxes do not fit. Wide tiles (3 or 4
// cells) print the node's request percentage on its heat colour; narrow
// ones (2 cells with a gap, or 1) fall back to a bar glyph.
type heatPlan struct {
	LabelW, CellW int
	Cells         []Rect // indexed like View.Nodes; zero W = not shown
	Labels        []label
	Height        int
	Hidden        int // nodes that did not fit at all
}

// heatWidths are the tile widths tried, widest (most legible) first.
var heatWidths = []int{4, 3, 2, 1}

func planHeat(nodes []live.NodeView, zones []zoneGroup, w, h int) heatPlan {
	lw := 0
	for _, z := range zones {
		lw = max(lw, len(z.Name))
	}
	lw = min(lw, 14) + 1
	var p heatPlan
	for _, cw := range heatWidths {
		p = heatLayout(nodes, zones, lw, cw, w, h)
		if p.Hidden == 0 {
			return p
		}
	}
	return p
}

func heatLayout(nodes []live.NodeView, zones []zoneGroup, lw, cw, w, h int) heatPlan {
	p := heatPlan{LabelW: lw, CellW: cw, Cells: make([]Rect, len(nodes))}
	per := max(1, (w-lw)/cw)
	y := 0
	for zi, z := range zones {
		if y < h {
			p.Labels = append(p.Labels, label{X: 0, Y: y, W: lw - 1, Zone: zi})
		}
		for j, ni := range z.Nodes {
			row := y + j/per
			if row >= h {
				p.Hidden++
				continue
			}
			p.Cells[ni] = Rect{X: lw + (j%per)*cw, Y: row, W: max(1, cw-1), H: 1}
		}
		y += ceilDiv(len(z.Nodes), per)
	}
	p.Height = min(y, h)
	return p
}
