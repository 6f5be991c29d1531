package tui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/kubesim/kubesim/tui/render"
)

// board is the one widget of the main screen: it asks render for the
// frame and copies its cells; keys and clicks go back to the App.
type board struct {
	*tview.Box
	a *App
	// runes holds each non-ASCII rune drawn so far as a string (the
	// renderer uses a few dozen): tcell's SetContent builds a string per
	// cell, 12,000 allocations a frame at 200×60; Put with a string kept
	// here allocates none. Draw runs on the UI goroutine only.
	runes map[rune]string
}

func newBoard(a *App) *board { return &board{Box: tview.NewBox(), a: a, runes: map[rune]string{}} }

// ascii holds the printable ASCII runes; a one-rune string of one is a
// slice of it.
const ascii = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"

// text is the string of one rune, without allocating after its first use.
func (b *board) text(r rune) string {
	if r >= ' ' && r <= '~' {
		return ascii[r-' ' : r-' '+1]
	}
	s, ok := b.runes[r]
	if !ok {
		s = string(r)
		b.runes[r] = s
	}
	return s
}

// Draw renders the whole screen at the widget's size.
func (b *board) Draw(screen tcell.Screen) {
	x, y, w, h := b.GetInnerRect()
	f := b.a.render(w, h, screen.Colors())
	c := f.Canvas
	for j := 0; j < c.H; j++ {
		row := c.Cells[j*c.W : (j+1)*c.W]
		for i, cell := range row {
			screen.Put(x+i, y+j, b.text(cell.R), cell.S)
		}
	}
}

// InputHandler maps keys to the App.
func (b *board) InputHandler() func(*tcell.EventKey, func(tview.Primitive)) {
	return b.WrapInputHandler(func(ev *tcell.EventKey, _ func(tview.Primitive)) {
		b.a.key(ev)
	})
}

// MouseHandler selects what a left click lands on.
func (b *board) MouseHandler() func(tview.MouseAction, *tcell.EventMouse, func(tview.Primitive)) (bool, tview.Primitive) {
	return b.WrapMouseHandler(func(action tview.MouseAction, ev *tcell.EventMouse, setFocus func(tview.Primitive)) (bool, tview.Primitive) {
		mx, my := ev.Position()
		if !b.InRect(mx, my) {
			return false, nil
		}
		x, y, _, _ := b.GetInnerRect()
		if action == tview.MouseMove {
			b.a.hoverAt(mx-x, my-y)
			return true, nil
		}
		setFocus(b)
		if action != tview.MouseLeftClick {
			return action == tview.MouseLeftDown, nil
		}
		b.a.click(mx-x, my-y)
		return true, nil
	})
}

// centered shows a primitive in the middle of the screen, at most w x h.
type centered struct {
	*tview.Box
	p    tview.Primitive
	w, h int
}

func newCentered(p tview.Primitive, w, h int) *centered {
	return &centered{Box: tview.NewBox(), p: p, w: w, h: h}
}

func (c *centered) Draw(screen tcell.Screen) {
	x, y, w, h := c.GetRect()
	pw, ph := min(c.w, w), min(c.h, h)
	c.p.SetRect(x+(w-pw)/2, y+(h-ph)/2, pw, ph)
	c.p.Draw(screen)
}

func (c *centered) InputHandler() func(*tcell.EventKey, func(tview.Primitive)) {
	return c.p.InputHandler()
}

func (c *centered) MouseHandler() func(tview.MouseAction, *tcell.EventMouse, func(tview.Primitive)) (bool, tview.Primitive) {
	return c.p.MouseHandler()
}

func (c *centered) Focus(delegate func(tview.Primitive)) { delegate(c.p) }

func (c *centered) HasFocus() bool { return c.p.HasFocus() }

// newHelp is the `?` screen; any key but scrolling closes it.
func newHelp(a *App) *tview.TextView {
	tv := tview.NewTextView().SetDynamicColors(false).SetText(render.HelpText())
	tv.SetBorder(true).SetTitle(" help · any key closes · ↑↓ scroll ")
	tv.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		switch ev.Key() {
		case tcell.KeyUp, tcell.KeyDown, tcell.KeyPgUp, tcell.KeyPgDn:
			return ev
		}
		a.closeModal()
		return nil
	})
	return tv
}
