package render

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
)

// styleMap is the colours of a canvas as text: a row of symbols per row
// of cells (one symbol per distinct style, '.' for the default), then
// what each symbol means. Golden files of colour depths are made of it.
func styleMap(c *Canvas) string {
	const symbols = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789#$%&*+=@^~"
	sym := map[tcell.Style]byte{tcell.StyleDefault: '.'}
	var order []tcell.Style
	var b strings.Builder
	for y := 0; y < c.H; y++ {
		for x := 0; x < c.W; x++ {
			st := c.At(x, y).S
			s, ok := sym[st]
			if !ok {
				s = '?'
				if len(order) < len(symbols) {
					s = symbols[len(order)]
				}
				sym[st] = s
				order = append(order, st)
			}
			b.WriteByte(s)
		}
		b.WriteByte('\n')
	}
	for _, st := range order {
		fg, bg, attr := st.Decompose()
		fmt.Fprintf(&b, "%c fg=%s bg=%s attr=%s\n", sym[st], colourName(fg), colourName(bg), attrNames(attr))
	}
	return b.String()
}

// colourName names a colour without tcell's name table (a map: some
// colours have two names and it would pick either).
func colourName(c tcell.Color) string {
	switch {
	case c == tcell.ColorDefault:
		return "default"
	case !c.Valid():
		return "INVALID"
	case c.IsRGB():
		return fmt.Sprintf("#%06X", c.Hex())
	}
	return fmt.Sprintf("p%d", int(c-tcell.ColorValid))
}

func attrNames(a tcell.AttrMask) string {
	var out []string
	for _, x := range []struct {
		m tcell.AttrMask
		n string
	}{{tcell.AttrBold, "bold"}, {tcell.AttrDim, "dim"}, {tcell.AttrReverse, "reverse"}, {tcell.AttrUnderline, "underline"}} {
		if a&x.m != 0 {
			out = append(out, x.n)
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ",")
}
