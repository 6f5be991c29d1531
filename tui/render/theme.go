package render

import "github.com/gdamore/tcell/v2"

// Theme holds the styles of one terminal's colour depth. Each depth gets
// its own owner palette: tcell would map 256-colour entries down to 16 on
// its own, but distinct colours could then collapse into one, and owners
// must stay apart. Every colour is a valid tcell colour: palette entries
// are tcell.PaletteColor (a bare number is not a colour to tcell and
// draws as the terminal's default), true colours tcell.NewRGBColor.
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

// TrueColor is the colour count tcell reports for a 24-bit terminal.
const TrueColor = 1 << 24

var (
	// owners256 are xterm palette entries chosen far apart in hue; no red
	// (red means failing) and no greys.
	owners256 = palette(39, 208, 141, 77, 220, 45, 205, 43, 112, 75, 180, 99)
	// ownersRGB are the same hues as 24-bit colours, a little softened.
	ownersRGB = []tcell.Color{
		tcell.NewRGBColor(0x3a, 0x9b, 0xf0), tcell.NewRGBColor(0xf5, 0x9a, 0x1f), tcell.NewRGBColor(0xb0, 0x8c, 0xf5),
		tcell.NewRGBColor(0x4c, 0xbf, 0x5a), tcell.NewRGBColor(0xf2, 0xcc, 0x2e), tcell.NewRGBColor(0x2c, 0xd4, 0xe6),
		tcell.NewRGBColor(0xf0, 0x62, 0xb4), tcell.NewRGBColor(0x1f, 0xa8, 0x8f), tcell.NewRGBColor(0x9a, 0xd1, 0x3b),
		tcell.NewRGBColor(0x6f, 0x86, 0xd9), tcell.NewRGBColor(0xd2, 0xa6, 0x79), tcell.NewRGBColor(0x8e, 0x4b, 0xd6),
	}
	owners16 = []tcell.Color{tcell.ColorLime, tcell.ColorBlue, tcell.ColorFuchsia, tcell.ColorAqua, tcell.ColorYellow,
		tcell.ColorGreen, tcell.ColorPurple, tcell.ColorTeal, tcell.ColorOlive, tcell.ColorNavy}
	owners8 = []tcell.Color{tcell.ColorGreen, tcell.ColorNavy, tcell.ColorPurple, tcell.ColorTeal, tcell.ColorOlive}
)

func palette(idx ...int) []tcell.Color {
	out := make([]tcell.Color, len(idx))
	for i, n := range idx {
		out[i] = tcell.PaletteColor(n)
	}
	return out
}

// NewTheme returns the styles for a terminal with that many colours
// (tcell's Screen.Colors: 0 or 1 monochrome, 8, 16, 256, or TrueColor).
func NewTheme(colors int) *Theme {
	def := tcell.StyleDefault
	t := &Theme{Colors: colors, Base: def, Dim: def.Dim(true), Bold: def.Bold(true),
		Selected: def.Reverse(true), Header: def.Bold(true).Underline(true), Key: def.Bold(true)}
	red, yellow, green, cyan := tcell.ColorMaroon, tcell.ColorOlive, tcell.ColorGreen, tcell.ColorTeal
	switch {
	case colors > 256:
		t.owners = ownersRGB
		red, yellow = tcell.NewRGBColor(0xe0, 0x20, 0x20), tcell.NewRGBColor(0xf2, 0xcc, 0x2e)
		green, cyan = tcell.NewRGBColor(0x4c, 0xbf, 0x5a), tcell.NewRGBColor(0x2c, 0xd4, 0xe6)
		t.heat = [4]tcell.Color{green, yellow, tcell.NewRGBColor(0xff, 0x87, 0x00), red}
	case colors >= 256:
		t.owners = owners256
		red, yellow, green, cyan = tcell.ColorRed, tcell.ColorYellow, tcell.ColorGreen, tcell.ColorAqua
		t.heat = [4]tcell.Color{tcell.ColorGreen, tcell.ColorYellow, tcell.PaletteColor(208), tcell.ColorRed}
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

// Owners is the number of distinct workload colours before they repeat.
func (t *Theme) Owners() int { return len(t.owners) }

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
