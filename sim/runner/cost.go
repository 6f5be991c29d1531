package runner

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cost"
)

// CostReport is the report's cost block: USD, on the region's prices.
type CostReport struct {
	Region string `json:"region"`
	// Total is what the machines cost over the run (per-second billing
	// from running to terminated).
	Total float64 `json:"total"`
	// PerHour is the price per hour of the machines running at the end;
	// AveragePerHour is Total over the run's length.
	PerHour        float64 `json:"perHour"`
	AveragePerHour float64 `json:"averagePerHour"`
	NodeHours      float64 `json:"nodeHours"`
	// PerMonth is PerHour over 730 hours (AWS's month).
	PerMonth       float64            `json:"perMonth"`
	ByInstanceType map[string]float64 `json:"byInstanceType"`
	ByCapacityType map[string]float64 `json:"byCapacityType"`
	// ByWorkload charges each workload its pods' share of their nodes'
	// price (mean of cpu and memory requests over allocatable); Idle is
	// the rest.
	ByWorkload []WorkloadCost `json:"byWorkload"`
	Idle       float64        `json:"idle"`
	// Utilization samples the cluster over time.
	Utilization []UtilizationSample `json:"utilization"`
}

// WorkloadCost is one workload's charge.
type WorkloadCost struct {
	Kind      string  `json:"kind"`
	Namespace string  `json:"namespace"`
	Name      string  `json:"name"`
	Cost      float64 `json:"cost"`
}

// UtilizationSample is the cluster at one moment: machines, their price
// per hour, and requested over allocatable cpu and memory.
type UtilizationSample struct {
	Seconds        float64 `json:"t"`
	Nodes          int     `json:"nodes"`
	PerHour        float64 `json:"perHour"`
	CPURequested   float64 `json:"cpuRequested"` // cores
	CPUUsed        float64 `json:"cpuUsed"`      // cores (metrics-server)
	CPUAllocatable float64 `json:"cpuAllocatable"`
	MemRequested   float64 `json:"memoryRequestedGiB"`
	MemAllocatable float64 `json:"memoryAllocatableGiB"`
}

// sampleInterval keeps a run's utilisation series near 300 points, at
// least one a minute.
func sampleInterval(d time.Duration) time.Duration {
	return max(time.Minute, (d / 300).Truncate(time.Minute))
}

func cents(x float64) float64 { return math.Round(x*10000) / 10000 }

// costReport builds the cost block from the cluster's meter.
func costReport(c *cluster.Cluster) *CostReport {
	s := c.Cost.Summary()
	r := &CostReport{Region: s.Region, Total: cents(s.Total), PerHour: cents(s.PerHour), AveragePerHour: cents(s.AveragePerHour),
		NodeHours: math.Round(s.NodeHours*1000) / 1000, PerMonth: math.Round(s.PerHour*730*100) / 100, Idle: cents(s.Idle),
		ByInstanceType: map[string]float64{}, ByCapacityType: map[string]float64{}}
	for k, v := range s.ByInstanceType { // copying into a map: order irrelevant
		r.ByInstanceType[k] = cents(v)
	}
	for k, v := range s.ByCapacityType {
		r.ByCapacityType[k] = cents(v)
	}
	for _, w := range slices.SortedFunc(maps.Keys(s.ByWorkload), func(a, b cost.Workload) int {
		if d := s.ByWorkload[b] - s.ByWorkload[a]; d != 0 {
			return cmpFloat(d)
		}
		return cmp.Compare(a.Namespace+"/"+a.Kind+"/"+a.Name, b.Namespace+"/"+b.Kind+"/"+b.Name)
	}) {
		r.ByWorkload = append(r.ByWorkload, WorkloadCost{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name, Cost: cents(s.ByWorkload[w])})
	}
	for _, x := range c.Cost.Samples() {
		r.Utilization = append(r.Utilization, UtilizationSample{Seconds: x.T.Seconds(), Nodes: x.Nodes, PerHour: cents(x.PerHour),
			CPURequested: float64(x.CPURequested) / 1000, CPUUsed: float64(x.CPUUsed) / 1000, CPUAllocatable: float64(x.CPUAllocatable) / 1000,
			MemRequested: gib(x.MemRequested), MemAllocatable: gib(x.MemAllocatable)})
	}
	return r
}

func gib(b int64) float64 { return math.Round(float64(b)/(1<<30)*1000) / 1000 }

func cmpFloat(d float64) int {
	if d > 0 {
		return 1
	}
	return -1
}

// writeCost prints the cost block of the text report.
func writeCost(w io.Writer, r *CostReport) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "COST  $%.4f over the run (%.3f node-hours, %s), $%.4f/h now ($%.2f/month), $%.4f/h on average\n",
		r.Total, r.NodeHours, r.Region, r.PerHour, r.PerMonth, r.AveragePerHour)
	for _, t := range slices.Sorted(maps.Keys(r.ByInstanceType)) {
		fmt.Fprintf(w, "  %-14s $%.4f\n", t, r.ByInstanceType[t])
	}
	for _, t := range slices.Sorted(maps.Keys(r.ByCapacityType)) {
		fmt.Fprintf(w, "  %-14s $%.4f\n", t, r.ByCapacityType[t])
	}
	for i, wl := range r.ByWorkload {
		if i == 5 {
			fmt.Fprintf(w, "  ... %d more workloads\n", len(r.ByWorkload)-5)
			break
		}
		fmt.Fprintf(w, "  %s/%s/%s $%.4f\n", wl.Namespace, kindLower(wl.Kind), wl.Name, wl.Cost)
	}
	fmt.Fprintf(w, "  idle $%.4f\n", r.Idle)
}

func kindLower(k string) string {
	b := []byte(k)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
