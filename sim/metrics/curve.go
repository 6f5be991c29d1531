// Package metrics is the load model and metrics-server: each workload
// with a load entry receives a traffic curve in requests per second,
// spread evenly over its Ready pods (as a Service spreads it over its
// ready endpoints) and turned into CPU use by a cost per request, with
// seeded noise per pod; CPU limits throttle a pod and a saturated node
// shares its cores out. Every scrape interval (15 s, metrics-server's
// --metric-resolution in its released manifest) the Server samples every
// running pod and node; the HPA reads those samples and `kubesim serve`
// serves them as metrics.k8s.io/v1beta1, so `kubectl top` sees what the
// HPA sees.
package metrics

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Curve is a traffic curve: requests per second at a virtual time.
type Curve interface {
	RPS(t time.Duration) float64
	// String describes the curve for reports and errors.
	String() string
}

// Constant is the same traffic all the time.
type Constant struct{ Rate float64 }

func (c Constant) RPS(time.Duration) float64 { return c.Rate }
func (c Constant) String() string            { return fmt.Sprintf("constant %g/s", c.Rate) }

// Step is From until At, To from then on.
type Step struct {
	From, To float64
	At       time.Duration
}

func (c Step) RPS(t time.Duration) float64 {
	if t < c.At {
		return c.From
	}
	return c.To
}
func (c Step) String() string { return fmt.Sprintf("step %g/s -> %g/s at %v", c.From, c.To, c.At) }

// Ramp is From until Start, then linear to To at End, then To.
type Ramp struct {
	From, To   float64
	Start, End time.Duration
}

func (c Ramp) RPS(t time.Duration) float64 {
	switch {
	case t <= c.Start:
		return c.From
	case t >= c.End:
		return c.To
	}
	f := float64(t-c.Start) / float64(c.End-c.Start)
	return c.From + f*(c.To-c.From)
}
func (c Ramp) String() string {
	return fmt.Sprintf("ramp %g/s -> %g/s from %v to %v", c.From, c.To, c.Start, c.End)
}

// Diurnal is a sine between Min and Max with a Period, at Max at PeakAt
// (and every period after), at Min half a period away.
type Diurnal struct {
	Min, Max       float64
	Period, PeakAt time.Duration
}

func (c Diurnal) RPS(t time.Duration) float64 {
	phase := 2 * math.Pi * float64(t-c.PeakAt) / float64(c.Period)
	return c.Min + (c.Max-c.Min)*(1+math.Cos(phase))/2
}
func (c Diurnal) String() string {
	return fmt.Sprintf("diurnal %g-%g/s, period %v, peak at %v", c.Min, c.Max, c.Period, c.PeakAt)
}

// Spike is Base, and Peak from At for For.
type Spike struct {
	Base, Peak float64
	At, For    time.Duration
}

func (c Spike) RPS(t time.Duration) float64 {
	if t >= c.At && t < c.At+c.For {
		return c.Peak
	}
	return c.Base
}
func (c Spike) String() string {
	return fmt.Sprintf("spike %g/s -> %g/s at %v for %v", c.Base, c.Peak, c.At, c.For)
}

// Point is one row of a replayed curve.
type Point struct {
	T    time.Duration
	Rate float64
}

// Replay interpolates linearly between recorded points (sorted by time),
// holding the first rate before the first point and the last after the
// last one.
type Replay struct {
	Source string // the file it came from, for reports
	Points []Point
}

func (c Replay) RPS(t time.Duration) float64 {
	p := c.Points
	if len(p) == 0 {
		return 0
	}
	i := sort.Search(len(p), func(i int) bool { return p[i].T > t })
	switch {
	case i == 0:
		return p[0].Rate
	case i == len(p):
		return p[len(p)-1].Rate
	}
	a, b := p[i-1], p[i]
	return a.Rate + (b.Rate-a.Rate)*float64(t-a.T)/float64(b.T-a.T)
}
func (c Replay) String() string {
	return fmt.Sprintf("replay of %s (%d points)", c.Source, len(c.Points))
}
