// Package render turns a live.View into a grid of styled cells: the whole
// terminal screen of the TUI as data. It is pure (no tview, no clock, no
// session), so every panel can be tested on fixtures and snapshotted as
// text; the tview layer only copies the cells to the terminal and maps
// clicks back through the hit list the render returns.
package render

import (
	"strings"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"
)

// Rect is a screen rectangle in cells.
type Rect struct{ X, Y, W, H int }

// Contains reports whether the cell (x, y) is inside r.
func (r Rect) Contains(x, y int) bool {
	return x >= r.X && y >= r.Y && x < r.X+r.W && y < r.Y+r.H
}

// Cell is one terminal cell. Every rune the renderer uses is one column
// wide, so a cell holds exactly one rune.
type Cell struct {
	R rune
	S tcell.Style
}

// Canvas is a W x H grid of cells, row-major. Writes outside it are
// clipped, so panels never need to check bounds themselves.
type Canvas struct {
	W, H  int
	Cells []Cell
}

// NewCanvas returns a blank canvas.
func NewCanvas(w, h int) *Canvas {
	c := &Canvas{}
	c.Reset(w, h)
	return c
}

// Reset resizes and blanks the canvas, reusing its buffer (a frame at 30
// redraws a second should not allocate a new screen each time).
func (c *Canvas) Reset(w, h int) {
	w, h = max(w, 0), max(h, 0)
	c.W, c.H = w, h
	if cap(c.Cells) < w*h {
		c.Cells = make([]Cell, w*h)
	}
	c.Cells = c.Cells[:w*h]
	for i := range c.Cells {
		c.Cells[i] = Cell{R: ' ', S: tcell.StyleDefault}
	}
}

// Set writes one cell.
func (c *Canvas) Set(x, y int, r rune, s tcell.Style) {
	if x < 0 || y < 0 || x >= c.W || y >= c.H {
		return
	}
	c.Cells[y*c.W+x] = Cell{R: r, S: s}
}

// At returns a cell (a blank one outside the canvas).
func (c *Canvas) At(x, y int) Cell {
	if x < 0 || y < 0 || x >= c.W || y >= c.H {
		return Cell{R: ' '}
	}
	return c.Cells[y*c.W+x]
}

// Style restyles a cell, keeping its rune.
func (c *Canvas) Style(x, y int, s tcell.Style) {
	if x < 0 || y < 0 || x >= c.W || y >= c.H {
		return
	}
	c.Cells[y*c.W+x].S = s
}

// Fill paints a rectangle with one rune.
func (c *Canvas) Fill(r Rect, ch rune, s tcell.Style) {
	for y := r.Y; y < r.Y+r.H; y++ {
		for x := r.X; x < r.X+r.W; x++ {
			c.Set(x, y, ch, s)
		}
	}
}

// Text writes s at (x, y) in at most w cells, ending with '…' when it
// had to cut, and returns the number of cells written.
func (c *Canvas) Text(x, y, w int, s string, st tcell.Style) int {
	if w <= 0 {
		return 0
	}
	n := 0
	for i, r := range s {
		if n == w-1 && i+utf8.RuneLen(r) < len(s) {
			c.Set(x+n, y, '…', st)
			return n + 1
		}
		if r == '\t' || r == '\n' {
			r = ' '
		}
		c.Set(x+n, y, r, st)
		n++
	}
	return n
}

// Row returns the runes of row y, trailing blanks removed.
func (c *Canvas) Row(y int) string {
	var b strings.Builder
	for x := 0; x < c.W; x++ {
		b.WriteRune(c.At(x, y).R)
	}
	return strings.TrimRight(b.String(), " ")
}

// String is the canvas as text, one line per row: the golden snapshots.
func (c *Canvas) String() string {
	var b strings.Builder
	for y := 0; y < c.H; y++ {
		b.WriteString(c.Row(y))
		b.WriteByte('\n')
	}
	return b.String()
}

// Region returns the text of a rectangle, rows joined by newlines.
func (c *Canvas) Region(r Rect) string {
	var b strings.Builder
	for y := r.Y; y < r.Y+r.H; y++ {
		for x := r.X; x < r.X+r.W; x++ {
			b.WriteRune(c.At(x, y).R)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
