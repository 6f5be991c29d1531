package runner

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/kubesim/kubesim/sim/cluster"
)

// LoadReport is one load's run: its traffic, the Ready pods that served
// it, and CPU saturation as latency pressure: the CPU its pods asked for
// and what throttling (limits, full nodes) let them have.
type LoadReport struct {
	Target        string  `json:"target"` // kind/namespace/name
	Curve         string  `json:"curve"`
	PeakRPS       float64 `json:"peakRPS"`
	MinReadyPods  int     `json:"minReadyPods"`
	PeakReadyPods int     `json:"peakReadyPods"`
	// CPUDemanded and CPUServed are core-hours over the run.
	CPUDemanded float64 `json:"cpuDemandedCoreHours"`
	CPUServed   float64 `json:"cpuServedCoreHours"`
	// SaturatedSeconds is how long more than 1% of the demand went
	// unserved; PeakUnserved the worst unserved share of one scrape.
	SaturatedSeconds float64 `json:"saturatedSeconds"`
	PeakUnserved     float64 `json:"peakUnserved"`
}

func loadReport(c *cluster.Cluster) []LoadReport {
	var out []LoadReport
	for _, st := range c.Metrics.Stats() {
		out = append(out, LoadReport{Target: strings.ToLower(st.Kind) + "/" + st.Namespace + "/" + st.Name, Curve: st.Curve.String(),
			PeakRPS: round3(st.PeakRPS), MinReadyPods: max(st.MinReadyPods, 0), PeakReadyPods: st.PeakReadyPods,
			CPUDemanded: round3(st.DemandMilliSeconds / 1000 / 3600), CPUServed: round3(st.ServedMilliSeconds / 1000 / 3600),
			SaturatedSeconds: st.Saturated.Seconds(), PeakUnserved: round3(st.PeakUnserved)})
	}
	return out
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// writeLoad prints the load block of the text report.
func writeLoad(w io.Writer, loads []LoadReport) {
	for _, l := range loads {
		fmt.Fprintf(w, "LOAD  %s: %s, peak %.1f/s, %d-%d ready pods\n", l.Target, l.Curve, l.PeakRPS, l.MinReadyPods, l.PeakReadyPods)
		pressure := "no CPU saturation"
		if l.SaturatedSeconds > 0 {
			pressure = fmt.Sprintf("CPU saturated %.0fs (worst %.0f%% of demand unserved): latency pressure", l.SaturatedSeconds, 100*l.PeakUnserved)
		}
		fmt.Fprintf(w, "  cpu %.3f core-hours asked, %.3f served; %s\n", l.CPUDemanded, l.CPUServed, pressure)
	}
}
