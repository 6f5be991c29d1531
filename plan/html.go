package plan

import (
	"bytes"

	"html/template"
	"image/color"
	"io"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// WriteHTML prints the report as one self-contained HTML page: the tables
// of the text report and charts drawn with gonum/plot as inline SVG
// (nothing is fetched from the network).
func (rep *Report) WriteHTML(w io.Writer) error {
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		return err
	}
	charts := []struct{ title, svg string }{}
	add := func(title string, p *plot.Plot, err error, width vg.Length) error {
		if err != nil {
			return err
		}
		svg, err := svgOf(p, width, 9*vg.Centimeter)
		if err != nil {
			return err
		}
		charts = append(charts, struct{ title, svg string }{title, svg})
		return nil
	}
	p, err := rep.costChart()
	if err := add("Cost per candidate against the LP lower bound", p, err, 18*vg.Centimeter); err != nil {
		return err
	}
	p, err = rep.recoveryChart()
	if p != nil || err != nil {
		if err := add("Recovery time per candidate and fault (seconds, box: quartiles, whiskers: range)", p, err, 22*vg.Centimeter); err != nil {
			return err
		}
	}
	for _, f := range rep.faultNames() {
		p, err := rep.pendingChart(f)
		if err := add("Pending pods over time under fault "+f+" (most over the runs, per minute)", p, err, 18*vg.Centimeter); err != nil {
			return err
		}
	}
	type chart struct {
		Title string
		SVG   template.HTML
	}
	data := struct {
		Plan   string
		Text   string
		Charts []chart
	}{Plan: rep.Plan, Text: text.String()}
	for _, c := range charts {
		data.Charts = append(data.Charts, chart{c.title, template.HTML(c.svg)}) // gonum/plot's own SVG output
	}
	return htmlPage.Execute(w, data)
}

var htmlPage = template.Must(template.New("plan").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>kubesim plan {{.Plan}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
pre{background:#f6f8fa;padding:1em;overflow-x:auto;font-size:12px;line-height:1.35}
figure{margin:1.5em 0} figcaption{font-weight:600;margin-bottom:.4em}
svg{max-width:100%;height:auto}
</style></head><body>
<h1>kubesim plan {{.Plan}}</h1>
{{range .Charts}}<figure><figcaption>{{.Title}}</figcaption>{{.SVG}}</figure>
{{end}}<h2>Report</h2>
<pre>{{.Text}}</pre>
</body></html>
`))

func svgOf(p *plot.Plot, w, h vg.Length) (string, error) {
	wt, err := p.WriterTo(w, h, "svg")
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return "", err
	}
	s := b.String()
	if i := strings.Index(s, "<svg"); i > 0 {
		s = s[i:]
	}
	return s, nil
}

func (rep *Report) costChart() (*plot.Plot, error) {
	p := plot.New()
	p.Y.Label.Text = "$ per hour"
	var cost, bound plotter.Values
	var names []string
	for _, c := range rep.Candidates {
		names = append(names, c.Name)
		cost = append(cost, c.CostPerHour)
		b := 0.0
		if c.Bound != nil {
			b = c.Bound.CostPerHour
		}
		bound = append(bound, b)
	}
	wdt := vg.Points(14)
	bc, err := plotter.NewBarChart(cost, wdt)
	if err != nil {
		return nil, err
	}
	bc.Color = color.RGBA{R: 66, G: 133, B: 244, A: 255}
	bc.Offset = -wdt / 2
	bb, err := plotter.NewBarChart(bound, wdt)
	if err != nil {
		return nil, err
	}
	bb.Color = color.RGBA{R: 170, G: 170, B: 170, A: 255}
	bb.Offset = wdt / 2
	p.Add(bc, bb)
	p.Legend.Add("cost", bc)
	p.Legend.Add("LP lower bound", bb)
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(40)
	p.Y.Max *= 1.25 // room for the legend above the bars
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	return p, nil
}

// recoveryChart is a box plot of the recovery times of each candidate
// under each fault (nil when no fault recovered anywhere).
func (rep *Report) recoveryChart() (*plot.Plot, error) {
	p := plot.New()
	p.Y.Label.Text = "seconds"
	var names []string
	x := 0.0
	for _, c := range rep.Candidates {
		for _, f := range rep.faultNames() {
			var vals plotter.Values
			for _, r := range rep.results {
				if r.Candidate == c.Name && r.Fault == f && r.RecoverySeconds != nil {
					vals = append(vals, *r.RecoverySeconds)
				}
			}
			if len(vals) == 0 {
				continue
			}
			b, err := plotter.NewBoxPlot(vg.Points(16), x, vals)
			if err != nil {
				return nil, err
			}
			b.FillColor = plotutil.Color(slices.Index(rep.faultNames(), f))
			p.Add(b)
			names = append(names, c.Name+"\n"+f)
			x++
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	p.NominalX(names...)
	return p, nil
}

// pendingChart draws, per candidate, the most pods Pending in each minute
// over the runs of one fault.
func (rep *Report) pendingChart(fault string) (*plot.Plot, error) {
	p := plot.New()
	p.X.Label.Text = "virtual minutes"
	p.Y.Label.Text = "pods Pending"
	p.Legend.Top = true
	for i, c := range rep.Candidates {
		var worst []int
		for _, r := range rep.results {
			if r.Candidate != c.Name || r.Fault != fault {
				continue
			}
			for m, n := range r.Pending {
				if m >= len(worst) {
					worst = append(worst, 0)
				}
				worst[m] = max(worst[m], n)
			}
		}
		pts := make(plotter.XYs, len(worst))
		for m, n := range worst {
			pts[m] = plotter.XY{X: float64(m), Y: float64(n)}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.5)
		l.Dashes = plotutil.Dashes(i)
		p.Add(l)
		p.Legend.Add(c.Name, l)
	}
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	return p, nil
}

// faultNames are the plan's fault entries, in plan order.
func (rep *Report) faultNames() []string {
	var out []string
	for _, r := range rep.results {
		if !slices.Contains(out, r.Fault) {
			out = append(out, r.Fault)
		}
	}
	return out
}
