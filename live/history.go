package live

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
)

// SampleEvery is the virtual-time spacing of the history's samples.
const SampleEvery = 5 * time.Second

// Sample is the cluster's totals at one virtual time, for charts.
type Sample struct {
	T                                   time.Duration
	Running, Pending, Succeeded, Failed int
	CPURequested, CPUAllocatable        int64 // millicores
	MemRequested, MemAllocatable        int64 // bytes
	// Machines are the billed machines (EC2 instances and Fargate pods'
	// VMs) and CostPerHour their price per hour (USD).
	Machines    int
	CostPerHour float64
}

// history samples the cluster at the end of the first instant of every
// SampleEvery period. It runs inside the engine (an instant hook) but only
// reads, so it never changes the trace.
type history struct {
	c       *cluster.Cluster
	samples []Sample
	next    time.Duration
}

func newHistory(c *cluster.Cluster) *history {
	h := &history{c: c}
	c.Engine.OnInstantEnd(h.maybeSample)
	return h
}

func (h *history) maybeSample() {
	now := h.c.Engine.Elapsed()
	if now < h.next {
		return
	}
	h.samples = append(h.samples, takeSample(h.c, now))
	h.next = (now/SampleEvery + 1) * SampleEvery
}

func takeSample(c *cluster.Cluster, now time.Duration) Sample {
	s := Sample{T: now}
	for _, o := range c.Store.List("Pod", "") {
		p := o.(*corev1.Pod)
		switch p.Status.Phase {
		case corev1.PodRunning:
			s.Running++
		case corev1.PodSucceeded:
			s.Succeeded++
		case corev1.PodFailed:
			s.Failed++
		default:
			s.Pending++
		}
		if p.Spec.NodeName != "" && !podutil.IsTerminal(p) {
			r := podutil.PodRequests(p)
			s.CPURequested += r.MilliCPU
			s.MemRequested += r.Memory
		}
	}
	for _, o := range c.Store.List("Node", "") {
		a := podutil.NodeAllocatable(o.(*corev1.Node))
		s.CPUAllocatable += a.MilliCPU
		s.MemAllocatable += a.Memory
	}
	for _, in := range c.EC2.Instances() {
		if in.Billed() {
			s.Machines++
			s.CostPerHour += in.PricePerHour
		}
	}
	return s
}

// History returns the samples so far (a copy).
func (s *Session) History() []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sample(nil), s.hist.samples...)
}
