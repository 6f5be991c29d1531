package plan

import (
	"errors"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Demand is what the workload asks of the cluster, summed over the pods
// the scheduler has to place (DaemonSet pods are per-node overhead).
type Demand struct {
	MilliCPU, MemoryMiB, Pods float64
}

// Overhead is what every node gives to DaemonSet pods before anything else.
type Overhead = Demand

// Machine is an instance type's capacity for the LP: allocatable less the
// DaemonSet overhead, and its price.
type Machine struct {
	Type                      string
	PricePerHour              float64
	MilliCPU, MemoryMiB, Pods float64
}

// Bound is the LP relaxation's answer for one candidate's instance types.
type Bound struct {
	// CostPerHour is the least hourly cost of fractional nodes that hold
	// the demand: no real packing is cheaper.
	CostPerHour float64 `json:"costPerHour"`
	// Nodes is the least whole number of nodes any packing needs (the
	// node-count LP's optimum, rounded up).
	Nodes int `json:"nodes"`
	// Mix is the cost-optimal fractional node count per instance type.
	Mix map[string]float64 `json:"mix"`
}

// ErrInfeasible: no mix of the machines can hold the demand (a pod
// dimension no type offers after overhead).
var ErrInfeasible = errors.New("plan: the workload does not fit any mix of the candidate's instance types")

// LowerBound solves two LP relaxations of packing demand onto machines
// (any number of each, fractional): minimum cost, and minimum node count.
// Per resource r: Σ_t capacity_{t,r}·x_t ≥ demand_r, x ≥ 0.
func LowerBound(machines []Machine, d Demand) (Bound, error) {
	var usable []Machine
	for _, m := range machines {
		if m.MilliCPU > 0 && m.MemoryMiB > 0 && m.Pods > 0 {
			usable = append(usable, m)
		}
	}
	if d.MilliCPU <= 0 && d.MemoryMiB <= 0 && d.Pods <= 0 {
		return Bound{Mix: map[string]float64{}}, nil
	}
	if len(usable) == 0 {
		return Bound{}, ErrInfeasible
	}
	prices := make([]float64, len(usable))
	ones := make([]float64, len(usable))
	for i, m := range usable {
		prices[i], ones[i] = m.PricePerHour, 1
	}
	cost, x, err := solveCover(usable, d, prices)
	if err != nil {
		return Bound{}, err
	}
	nodes, _, err := solveCover(usable, d, ones)
	if err != nil {
		return Bound{}, err
	}
	b := Bound{CostPerHour: cost, Nodes: int(math.Ceil(nodes - 1e-9)), Mix: map[string]float64{}}
	for i, m := range usable {
		if x[i] > 1e-9 {
			b.Mix[m.Type] += x[i]
		}
	}
	return b, nil
}

// solveCover minimises c·x subject to the covering constraints, with
// gonum's simplex.
func solveCover(ms []Machine, d Demand, c []float64) (float64, []float64, error) {
	n := len(ms)
	// One row per resource the workload asks for, scaled by its demand so
	// the rows are of one magnitude: Σ_t cap_t/demand · x_t - s = 1, with
	// a surplus variable s ≥ 0 per row (the standard form Simplex takes:
	// A·y = b, y ≥ 0, y = [x, s]).
	var rows [][]float64
	for r, want := range []float64{d.MilliCPU, d.MemoryMiB, d.Pods} {
		if want <= 0 {
			continue
		}
		row := make([]float64, n)
		for i, m := range ms {
			row[i] = []float64{m.MilliCPU, m.MemoryMiB, m.Pods}[r] / want
		}
		rows = append(rows, row)
	}
	m := len(rows)
	a := mat.NewDense(m, n+m, nil)
	b := make([]float64, m)
	for r, row := range rows {
		for i, v := range row {
			a.Set(r, i, v)
		}
		a.Set(r, n+r, -1)
		b[r] = 1
	}
	cc := make([]float64, n+m)
	copy(cc, c)
	opt, x, err := lp.Simplex(cc, a, b, 0, nil)
	if err != nil {
		if errors.Is(err, lp.ErrInfeasible) {
			return 0, nil, ErrInfeasible
		}
		return 0, nil, err
	}
	return opt, x[:n], nil
}

// demandOf sums the requests of the pods the workload's controllers will
// create (Deployments, StatefulSets, ReplicaSets, bare Pods) plus the
// cluster add-ons' (CoreDNS); DaemonSets, the workload's and the add-ons'
// (kube-proxy, aws-node), are returned as per-node overhead.
func demandOf(objs []store.Object) (Demand, Overhead) {
	var d Demand
	var o Overhead
	add := func(acc *Demand, spec corev1.PodSpec, n int32) {
		r := podutil.PodRequests(&corev1.Pod{Spec: spec})
		acc.MilliCPU += float64(r.MilliCPU) * float64(n)
		acc.MemoryMiB += float64(r.Memory) / (1 << 20) * float64(n)
		acc.Pods += float64(n)
	}
	for _, obj := range objs {
		switch w := obj.(type) {
		case *appsv1.Deployment:
			add(&d, w.Spec.Template.Spec, deref(w.Spec.Replicas))
		case *appsv1.StatefulSet:
			add(&d, w.Spec.Template.Spec, deref(w.Spec.Replicas))
		case *appsv1.ReplicaSet:
			add(&d, w.Spec.Template.Spec, deref(w.Spec.Replicas))
		case *corev1.Pod:
			if w.Spec.NodeName == "" {
				add(&d, w.Spec, 1)
			}
		case *appsv1.DaemonSet:
			add(&o, w.Spec.Template.Spec, 1)
		}
	}
	return d, o
}

func deref(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

// machinesOf are the candidate's instance types with the overhead taken off.
func machinesOf(c Candidate, o Overhead, region string) []Machine {
	var types []string
	for _, g := range c.NodeGroups {
		if !slices.Contains(types, g.InstanceType) {
			types = append(types, g.InstanceType)
		}
	}
	var out []Machine
	for _, name := range types {
		t, ok := cloud.Lookup(name)
		if !ok {
			continue
		}
		a := t.Allocatable()
		price, err := cloud.Price(region, name, cloud.OnDemand)
		if err != nil {
			continue
		}
		out = append(out, Machine{Type: name, PricePerHour: price,
			MilliCPU:  float64(a.Cpu().MilliValue()) - o.MilliCPU,
			MemoryMiB: float64(a.Memory().Value())/(1<<20) - o.MemoryMiB,
			Pods:      float64(a.Pods().Value()) - o.Pods})
	}
	return out
}

// workloadObjects are the plan's workloads plus the EKS add-ons every
// generated scenario runs.
func (pl *Plan) workloadObjects() []store.Object {
	objs := cluster.Addons()
	for _, w := range pl.Workloads {
		objs = append(objs, w.Obj)
	}
	return objs
}
