package render

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gdamore/tcell/v2"

	"github.com/kubesim/kubesim/live"
)

// Mark is how a pod block shows its state: a first cell (a letter for
// states that are not plain Running), a fill, and a last cell that sets
// neighbouring blocks apart. Letters make the state readable without
// colour; the colour is the owning workload's.
type Mark struct {
	First, Fill, Last rune
	Letter            bool // First is a state letter (drawn on the owner colour)
	Alarm             bool // a failing state: the letter is drawn on red
}

// PodMark returns a pod's mark from its state word (kubectl's STATUS
// column, podutil.LineOf).
func PodMark(p *live.PodView) Mark {
	switch s := p.State; {
	case s == "Running":
		if p.Ready {
			return Mark{First: '█', Fill: '█', Last: '▌'}
		}
		return Mark{First: '▓', Fill: '▓', Last: '▌'}
	case s == "NotReady":
		return Mark{First: '▓', Fill: '▓', Last: '▌'}
	case s == "ContainerCreating", s == "PodInitializing":
		return Mark{First: 'C', Fill: '▒', Last: '▒', Letter: true}
	case initProgress(s):
		return Mark{First: 'I', Fill: '▒', Last: '▒', Letter: true}
	case s == "Pending", s == "SchedulingGated":
		return Mark{First: 'P', Fill: '░', Last: '░', Letter: true}
	case s == "Terminating":
		return Mark{First: 'T', Fill: '░', Last: '░', Letter: true}
	case s == "Completed", s == "Succeeded":
		return Mark{First: '·', Fill: '·', Last: '·'}
	case failing(strings.TrimPrefix(s, "Init:")):
		return Mark{First: '!', Fill: '▒', Last: '▒', Letter: true, Alarm: true}
	}
	return Mark{First: '?', Fill: '▒', Last: '▒', Letter: true}
}

// initProgress reports whether s is Init:N/M, init containers still
// running.
func initProgress(s string) bool {
	n, ok := strings.CutPrefix(s, "Init:")
	return ok && n != "" && n[0] >= '0' && n[0] <= '9'
}

// failing reports whether a container reason is a failure.
func failing(reason string) bool {
	switch reason {
	case "CrashLoopBackOff", "Error", "OOMKilled", "ImagePullBackOff", "ErrImagePull", "ContainerCannotRun",
		"CreateContainerConfigError", "CreateContainerError", "Failed", "Evicted", "RunContainerError":
		return true
	}
	return strings.HasPrefix(reason, "ExitCode:") || strings.HasPrefix(reason, "Signal:")
}

// podStyles returns the styles of a block's letter and of its fill.
func (f *frame) podStyles(p *live.PodView, m Mark) (letter, fill tcell.Style) {
	col, ok := f.owners[p.Owner]
	if !ok {
		col = tcell.ColorDefault
	}
	fill = Fg(col)
	if f.th.Colors < 8 {
		fill = tcell.StyleDefault
	}
	letter = fill
	if m.Letter {
		letter = tcell.StyleDefault.Background(col).Foreground(tcell.ColorBlack).Bold(true)
		if col == tcell.ColorDefault || f.th.Colors < 8 {
			letter = tcell.StyleDefault.Reverse(true).Bold(true)
		}
	}
	if m.Alarm {
		letter = f.th.Bad.Reverse(true)
	}
	return letter, fill
}

// drawPods fills a node's pod area (w x rows cells standing for the whole
// node) with its pods' blocks in order; what does not fit becomes "+N".
func (f *frame) drawPods(x, y, w, rows int, n *live.NodeView) {
	area := w * rows
	if area <= 0 {
		return
	}
	pos := 0
	for i := range n.Pods {
		p := &n.Pods[i]
		cells := podCells(p, n, area)
		if pos+cells > area {
			more := "+" + strconv.Itoa(len(n.Pods)-i)
			at := max(0, area-len(more))
			f.c.Text(x+at%w, y+at/w, len(more), more, f.th.Bold)
			return
		}
		f.drawBlock(x, y, w, pos, cells, p, n.Name)
		pos += cells
	}
}

// drawBlock draws one pod's block starting at cell pos of the area
// (wrapping at w) and records a hit for each row it spans.
func (f *frame) drawBlock(x, y, w, pos, cells int, p *live.PodView, node string) {
	m := PodMark(p)
	letter, fill := f.podStyles(p, m)
	if (!f.match.Empty() || f.nav.Namespace != "") && !f.nav.PodMatches(f.match, p) {
		// Filtered out: a faint outline keeps the node's packing readable.
		m = Mark{First: '·', Fill: '·', Last: '·'}
		letter, fill = f.th.Dim, f.th.Dim
	}
	key := PodKey(p)
	selected := f.sel.Focus == FocusPods && f.sel.Node == node && f.sel.Pod == key
	for i := 0; i < cells; i++ {
		r, st := m.Fill, fill
		switch {
		case i == 0 && (m.Letter || cells == 1):
			r, st = m.First, letter
			if cells == 1 && !m.Letter {
				r = m.Last
			}
		case i == cells-1:
			r = m.Last
		}
		if selected {
			st = st.Reverse(true).Underline(true)
		}
		at := pos + i
		f.c.Set(x+at%w, y+at/w, r, st)
	}
	for at := pos; at < pos+cells; {
		row := at / w
		end := min(pos+cells, (row+1)*w)
		f.hits = append(f.hits, Hit{R: Rect{X: x + at%w, Y: y + row, W: end - at, H: 1}, Focus: FocusPods, Key: key, Node: node})
		at = end
	}
}

// heatGlyphs are the request levels of the heat-map, eighths.
var heatGlyphs = []rune(" ▁▂▃▄▅▆▇█")

// HeatGlyph is one node of the heat-map: NotReady is X, otherwise a bar
// as high as its requests; cordoned nodes are drawn reversed.
func HeatGlyph(n *live.NodeView) rune {
	if n.Ready != "True" {
		return 'X'
	}
	l := nodeLoad(n)
	if l <= 0 {
		return '·'
	}
	return heatGlyphs[max(1, min(8, int(l*8+0.999)))]
}

// HeatTile is the text of a node's tile w cells wide: its request
// percentage when it fits ("74", "100"; "██" for a full node in two
// cells), X when NotReady, else the bar glyph.
func HeatTile(n *live.NodeView, w int) string {
	if w < 2 {
		return string(HeatGlyph(n))
	}
	if n.Ready != "True" {
		return fmt.Sprintf("%*s", w, "X")
	}
	pc := min(100, int(math.Round(nodeLoad(n)*100)))
	if pc >= 100 && w < 3 {
		return "██"
	}
	if w < len(percentTexts) {
		return percentTexts[w][max(0, pc)] // a frame of 200 tiles formats none
	}
	return fmt.Sprintf("%*d", w, pc)
}

// percentTexts[w][pc] is pc right-aligned in w cells, for the tile widths.
var percentTexts = func() (t [4][101]string) {
	for w := range t {
		for pc := range t[w] {
			t[w][pc] = fmt.Sprintf("%*d", w, pc)
		}
	}
	return t
}()

// heatStyle is a tile's style: the heat colour behind the digits (or as
// the glyph's colour), red for NotReady, underlined without a background
// when cordoned, reversed and bold when selected.
func (f *frame) heatStyle(n *live.NodeView, tile bool) tcell.Style {
	th := f.th
	heat := th.Heat(nodeLoad(n))
	st := Fg(heat)
	if tile && f.th.Colors >= 8 {
		st = tcell.StyleDefault.Background(heat).Foreground(tcell.ColorBlack)
	}
	if n.Ready != "True" {
		st = th.Bad
		if tile && f.th.Colors >= 8 {
			st = st.Reverse(true)
		}
	}
	if n.Unschedulable {
		st = Fg(heat).Underline(true)
		if !tile {
			st = th.Warn.Reverse(true)
		}
	}
	if n.Name == f.sel.Node {
		st = st.Reverse(!n.Unschedulable || tile).Bold(true).Underline(true)
	}
	return st
}

// drawHeat draws the heat-map and reports whether its tiles show numbers.
func (f *frame) drawHeat(body Rect, zones []zoneGroup) bool {
	v, th := f.v, f.th
	sel := f.sel.SelectedNode(v)
	zoomH := 0
	if sel != nil {
		zoomH = boxH(fitRows([]live.NodeView{*sel}, min(body.W, 60)-2))
	}
	p := planHeat(v.Nodes, zones, body.W, body.H)
	if sel != nil && body.H-p.Height-1 >= boxH(1) {
		zoomH = min(zoomH, body.H-p.Height-1)
	} else {
		zoomH = 0
	}
	for _, l := range p.Labels {
		f.c.Text(body.X+l.X, body.Y+l.Y, l.W, zones[l.Zone].Name, th.Bold)
	}
	tile := p.CellW >= 3
	for i := range v.Nodes {
		cell := p.Cells[i]
		if cell.W == 0 {
			continue
		}
		n := &v.Nodes[i]
		r := Rect{body.X + cell.X, body.Y + cell.Y, cell.W, 1}
		f.c.Text(r.X, r.Y, r.W, HeatTile(n, r.W), f.heatStyle(n, tile))
		f.hits = append(f.hits, Hit{R: Rect{r.X, r.Y, p.CellW, 1}, Focus: FocusNodes, Key: n.Name})
	}
	if p.Hidden > 0 {
		more := fmt.Sprintf("… %d more", p.Hidden)
		f.c.Text(body.X+body.W-len(more), body.Y+body.H-1, len(more), more, th.Bold)
	}
	if zoomH > 0 {
		w := min(body.W, 60)
		f.drawBox(Rect{body.X, body.Y + body.H - zoomH, w, zoomH}, sel, zoomH-boxChrome)
	}
	return tile
}

// drawLegend explains the glyphs in one line; in the heat-map it names
// the node under the pointer or the selected one first.
func (f *frame) drawLegend(r Rect, heat bool, wide bool) {
	text := "█ Running  ▓ not ready  C creating  P pending  T terminating  ! failing  +N more"
	if heat {
		text = "▁▂▃▄▅▆▇█ requests  X NotReady  reversed: cordoned  · empty"
		if wide {
			text = "NN: % of the node requested  X NotReady  underlined: cordoned"
		}
		name := f.hover
		if name == "" {
			name = f.sel.Node
		}
		if n := findNode(f.v, name); n != nil {
			x := f.c.Text(r.X, r.Y, r.W, fmt.Sprintf("%s %d%% ", n.Name, pct100(n)), f.th.Bold)
			r.X += x + 1
			r.W -= x + 1
		}
	}
	f.c.Text(r.X, r.Y, r.W, text, f.th.Dim)
}

func pct100(n *live.NodeView) int { return int(math.Round(nodeLoad(n) * 100)) }

// drawOwnerLegend shows each workload's colour and name in one line, as
// many as fit: what the colours of the pod blocks mean.
func (f *frame) drawOwnerLegend(r Rect) {
	x := r.X
	for i := range f.v.Workloads {
		w := &f.v.Workloads[i]
		s := w.Name
		if x+3+len(s) > r.X+r.W {
			if x < r.X+r.W {
				f.c.Text(x, r.Y, r.X+r.W-x, "…", f.th.Dim)
			}
			return
		}
		f.c.Set(x, r.Y, '█', Fg(f.owners[w.Kind+"/"+w.Name]))
		x += 1 + f.c.Text(x+1, r.Y, len(s)+1, " "+s, f.th.Base) + 1
	}
}
