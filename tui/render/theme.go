package render

import "github.com/gdamore/tcell/v2"

// Theme holds the styles of one terminal's colour depth. Colours are
// palette entries, never RGB, and each depth gets its own owner palette:
// tcell would map 256-colour entries down to 16 on its own, but distinct
// colours could then collapse into one, and owners must stay apart.
type Theme struct {
	Colors int

	Base, Dim, Bold   tcell.Style
	Title, Header     tcell.Style
	Selected          tcell.Style
	Good, Warn, Bad   tcell.Style
	Action, Key       tcell.Style
	Border, BorderSel tcell.Style

	owners []tcell.Color
	heat   [4]tcell.Color
}

var (
	owners256 = []tcell.Color{39, 208, 141, 77, 220, 45, 205, 112, 75, 180, 99, 43}
	owners16  = []tcell.Color{tcell.ColorLime, tcell.ColorBlue, tcell.ColorFuchsia, tcell.ColorAqua, tcell.ColorYellow,
		tcell.ColorGreen, tcell.ColorPurple, tcell.ColorTeal, tcell.ColorOlive, tcell.ColorNavy}
	owners8 = []tcell.Color{tcell.ColorGreen, tcell.ColorNavy, tcell.ColorPurple, tcell.ColorTeal, tcell.ColorOlive}
)

// NewTheme returns the styles for a terminal with that many colours
// (tcell's Screen.Colors: 0 or 1 monochrome, 8, 16, 256 or more).
func NewTheme(colors int) *Theme {
	def := tcell.StyleDefault
	t := &Theme{Colors: colors, Base: def, Dim: def.Dim(true), Bold: def.Bold(true),
		Selected: def.Reverse(true), Header: def.Bold(true).Underline(true), Key: def.Bold(true)}
	red, yellow, green, cyan := tcell.ColorMaroon, tcell.ColorOlive, tcell.ColorGreen, tcell.ColorTeal
	switch {
	case colors >= 256:
		t.owners = owners256
		red, yellow, green, cyan = tcell.ColorRed, tcell.ColorYellow, tcell.ColorGreen, tcell.ColorAqua
		t.heat = [4]tcell.Color{tcell.ColorGreen, tcell.ColorYellow, 208, tcell.ColorRed}
	case colors >= 16:
		t.owners = owners16
		red, yellow, green, cyan = tcell.ColorRed, tcell.ColorYellow, tcell.ColorGreen, tcell.ColorAqua
		t.heat = [4]tcell.Color{tcell.ColorGreen, tcell.ColorOlive, tcell.ColorYellow, tcell.ColorRed}
	case colors >= 8:
		t.owners = owners8
		t.heat = [4]tcell.Color{tcell.ColorGreen, tcell.ColorOlive, tcell.ColorOlive, tcell.ColorMaroon}
	default: // monochrome: glyphs and reverse video carry everything
		t.heat = [4]tcell.Color{tcell.ColorDefault, tcell.ColorDefault, tcell.ColorDefault, tcell.ColorDefault}
		t.Good, t.Warn, t.Bad, t.Action = def, def.Bold(true), def.Bold(true).Underline(true), def.Bold(true)
		t.Title, t.Border, t.BorderSel = def.Reverse(true), def, def.Bold(true)
		return t
	}
	t.Good = def.Foreground(green)
	t.Warn = def.Foreground(yellow)
	t.Bad = def.Foreground(red).Bold(true)
	t.Action = def.Foreground(cyan).Bold(true)
	t.Title = def.Background(tcell.ColorNavy).Foreground(tcell.ColorWhite).Bold(true)
	t.Border = def.Foreground(tcell.ColorGray)
	t.BorderSel = def.Foreground(tcell.ColorWhite).Bold(true)
	if colors < 16 {
		t.Title = def.Background(tcell.ColorNavy).Foreground(tcell.ColorSilver).Bold(true)
		t.Border = def
		t.BorderSel = def.Bold(true)
	}
	return t
}

// Owner is the colour of the i-th workload (cycling through the palette).
func (t *Theme) Owner(i int) tcell.Color {
	if len(t.owners) == 0 || i < 0 {
		return tcell.ColorDefault
	}
	return t.owners[i%len(t.owners)]
}

// Heat is the colour of a request fraction: green, then yellow from 70%,
// orange from 90%, red when full.
func (t *Theme) Heat(frac float64) tcell.Color {
	switch {
	case frac >= 0.98:
		return t.heat[3]
	case frac >= 0.9:
		return t.heat[2]
	case frac >= 0.7:
		return t.heat[1]
	}
	return t.heat[0]
}

// Fg is a foreground colour on the default background.
func Fg(c tcell.Color) tcell.Style { return tcell.StyleDefault.Foreground(c) }
