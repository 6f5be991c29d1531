// Package bench measures the simulator at scale through the path a user
// takes: a scenario of N nodes and D Deployments of R replicas, run by the
// same runner as `kubesim run` (the default control plane with its etcd
// members, the add-ons unless turned off, the scenario's duration after
// every pod is Running). It reports wall time, virtual time, events per
// second, peak RSS and where the time and the memory go per component.
// It lives outside sim/ because it reads the wall clock.
package bench

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing/fstest"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/internal/hugeheap"
	"github.com/kubesim/kubesim/internal/manifests"
	"github.com/kubesim/kubesim/internal/offload"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/runner"
	"github.com/kubesim/kubesim/sim/store"
)

// Config is one benchmark shape.
type Config struct {
	Nodes        int
	Deployments  int
	Replicas     int
	InstanceType string
	// EtcdMembers is the size of the etcd cluster (1, 3 or 5; 0 = the
	// scenario default, 3). PlainStore turns raft replication off (the
	// membership model stays), to compare against.
	EtcdMembers int
	PlainStore  bool
	// NoAddons turns the EKS add-ons (kube-proxy, aws-node, CoreDNS) off,
	// as `addons: false` in a scenario does.
	NoAddons bool
	// Duration is the scenario's virtual duration (default 30m); the run
	// goes on after every pod is Running until it ends.
	Duration time.Duration
	// Autoscaler, if set (ClusterAutoscaler or Karpenter), makes the
	// generated scenario the diurnal day of GenerateDiurnal: Nodes is then
	// the most nodes the autoscaler may run, Replicas is ignored and
	// Duration defaults to 24h.
	Autoscaler string
	// Scenario, if set, is a scenario file (or library name) to run
	// instead of the generated one; Nodes, Deployments, Replicas,
	// InstanceType, EtcdMembers, NoAddons and Duration are then ignored.
	Scenario string
	// Breakdown profiles the run (CPU and heap) and attributes the time
	// and the memory to components.
	Breakdown bool
	// CPUProfile and HeapProfile, if set, are files to write pprof
	// profiles to (the heap at the end of the run, before the report).
	CPUProfile, HeapProfile string
	// MemoryLimit, if positive, is the Go runtime's soft memory limit in
	// bytes for the run (debug.SetMemoryLimit, what GOMEMLIMIT sets): the
	// collector runs more often as the heap nears it, trading CPU for a
	// lower peak RSS. Zero leaves the process's limit as it is.
	MemoryLimit int64
}

func (cfg Config) withDefaults() Config {
	if cfg.InstanceType == "" {
		cfg.InstanceType = "m5.4xlarge"
	}
	if cfg.Duration == 0 {
		cfg.Duration = 30 * time.Minute
		if cfg.Autoscaler != "" {
			cfg.Duration = 24 * time.Hour
		}
	}
	return cfg
}

// Phase is the wall and CPU time of one part of the run.
type Phase struct {
	Name string
	Wall time.Duration
	// CPU is the process's CPU time (user and system, every goroutine)
	// in the phase: on a machine shared with other work the wall time
	// of a phase says little, its CPU time much more.
	CPU     time.Duration
	Virtual time.Duration // virtual time at its end
	Events  uint64        // engine events at its end (sim.Engine.Events)
}

// Share is one component's part of the CPU time or of the heap.
type Share struct {
	Component string
	Value     int64 // nanoseconds of CPU or bytes
}

// Result is what one run measured.
type Result struct {
	Config
	Name string
	// Pods is the pods expected Running (0 = unknown): the generated
	// Deployments' replicas, or for a scenario file what its t=0
	// workloads ask for (Scenario.WorkloadPods).
	Pods        int
	Running     int // the workloads' pods Running at the end (counted)
	PeakRunning int // the most of them Running at once
	PeakNodes   int // the most Node objects at once
	Wall        time.Duration
	CPU         time.Duration // user + system of the whole process
	AllRunning  time.Duration // virtual time when every expected pod was Running
	VirtualTime time.Duration
	Events      uint64 // engine events (sim.Engine.Events)
	Steps       uint64 // engine queue slots run (sim.Engine.Steps: a batch of events is one)
	TraceLines  int64
	PeakRSS     int64 // bytes
	// Allocs and AllocBytes are the heap allocations of the whole run
	// (objects and bytes; runtime.MemStats Mallocs and TotalAlloc), the
	// figure that CPU time on a busy machine hides.
	Allocs     uint64
	AllocBytes uint64
	HeapInUse  int64 // bytes, at the end of the run
	TraceHash  string
	Phases     []Phase
	CPUShares  []Share
	HeapShares []Share
}

// String is the one-paragraph summary followed by the breakdown.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d pods Running", r.Name, r.Running)
	switch {
	case r.Pods > 0 && r.AllRunning > 0:
		fmt.Fprintf(&b, " (all %d at %s virtual)", r.Pods, r.AllRunning.Round(time.Millisecond))
	case r.Pods > 0:
		fmt.Fprintf(&b, " (never all %d at once)", r.Pods)
	}
	if r.PeakNodes > 0 {
		fmt.Fprintf(&b, " (at most %d at once, on at most %d nodes)", r.PeakRunning, r.PeakNodes)
	}
	fmt.Fprintf(&b, "; %s virtual in %s wall (cpu %s); %d events (%d engine steps), %.0f events/s, %.0f pods/s; %d trace lines; peak RSS %d MiB; %s\n",
		r.VirtualTime, r.Wall.Round(time.Millisecond), r.CPU.Round(time.Millisecond), r.Events, r.Steps,
		float64(r.Events)/r.Wall.Seconds(), float64(r.Running)/r.Wall.Seconds(), r.TraceLines, r.PeakRSS>>20, r.TraceHash)
	if r.MemoryLimit > 0 {
		fmt.Fprintf(&b, "memory limit %d MiB (debug.SetMemoryLimit)\n", r.MemoryLimit>>20)
	}
	fmt.Fprintf(&b, "allocated: %d objects, %d MiB", r.Allocs, r.AllocBytes>>20)
	if r.Running > 0 {
		fmt.Fprintf(&b, " (%d objects, %d KiB per Running pod)", r.Allocs/uint64(r.Running), r.AllocBytes/uint64(r.Running)>>10)
	}
	b.WriteString("\n")
	b.WriteString("phases:\n")
	for _, p := range r.Phases {
		fmt.Fprintf(&b, "  %-28s %9s wall %9s cpu   to %s virtual, %d events\n", p.Name, p.Wall.Round(time.Millisecond), p.CPU.Round(time.Millisecond), p.Virtual, p.Events)
	}
	if len(r.CPUShares) > 0 {
		fmt.Fprintf(&b, "CPU by component (profile samples, all goroutines):\n")
		writeShares(&b, r.CPUShares, func(v int64) string { return time.Duration(v).Round(time.Millisecond).String() })
	}
	if len(r.HeapShares) > 0 {
		fmt.Fprintf(&b, "heap in use at the end by allocating component (%d MiB):\n", r.HeapInUse>>20)
		writeShares(&b, r.HeapShares, func(v int64) string { return strconv.FormatInt(v>>20, 10) + " MiB" })
	}
	return strings.TrimRight(b.String(), "\n")
}

func writeShares(b *strings.Builder, shares []Share, format func(int64) string) {
	var total int64
	for _, s := range shares {
		total += s.Value
	}
	for _, s := range shares {
		pct := 0.0
		if total > 0 {
			pct = 100 * float64(s.Value) / float64(total)
		}
		fmt.Fprintf(b, "  %-34s %10s %5.1f%%\n", s.Component, format(s.Value), pct)
	}
}

// Run runs one benchmark shape (or scenario file) to its end.
func Run(cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	res := Result{Config: cfg}
	start, cpu := time.Now(), cpuTime()
	var s *scenarios.Scenario
	var err error
	switch {
	case cfg.Scenario != "":
		s, err = scenarios.Resolve(cfg.Scenario)
		res.Name = cfg.Scenario
		if err == nil {
			res.Pods = s.WorkloadPods()
		}
	case cfg.Autoscaler != "":
		s, err = GenerateDiurnal(cfg)
		res.Name = fmt.Sprintf("diurnal %s day, %d Deployments with HPAs, up to %d nodes, %s", cfg.Autoscaler, cfg.Deployments, cfg.Nodes, cfg.Duration)
	default:
		s, err = Generate(cfg)
		res.Name = fmt.Sprintf("%d nodes / %d pods", cfg.Nodes, cfg.Deployments*cfg.Replicas)
		res.Pods = cfg.Deployments * cfg.Replicas
	}
	if err != nil {
		return res, err
	}
	// As `kubesim run` does, before the memory limit (the reserve is
	// freed at once) and before the allocation counters start.
	hugeheap.Reserve(hugeheap.ForPods(res.Pods))
	if cfg.MemoryLimit > 0 {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(cfg.MemoryLimit))
	}
	namespaces := workloadNamespaces(s)

	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	var cpuProf bytes.Buffer
	if cfg.Breakdown || cfg.CPUProfile != "" {
		if err := pprof.StartCPUProfile(&cpuProf); err != nil {
			return res, err
		}
	}
	var c *cluster.Cluster
	running, nodes := 0, 0
	// allRunning is when the expected pods were first all Running: the
	// end of the first phase, noted by the watch below as it happens so
	// that the run itself is not interrupted (a scenario's checks stop
	// the engine at their own times).
	var allRunning *Phase
	// As `kubesim run --report json` runs it.
	run, err := runner.Start(s, runner.Options{NoPlayByPlay: true, TraceOffload: offload.New(), Observe: func(cl *cluster.Cluster) {
		c = cl
		if cfg.PlainStore {
			c.Etcd.DisableReplication()
		}
		c.Store.Watch("Pod", 0, func(ev store.Event) {
			if !counted(ev.Object, namespaces) {
				return // the add-ons' pods (kube-system), DaemonSets' and Jobs'
			}
			now := ev.Object.(*corev1.Pod).Status.Phase == corev1.PodRunning
			was := ev.Old != nil && ev.Old.(*corev1.Pod).Status.Phase == corev1.PodRunning
			if ev.Type == store.Deleted {
				now = false
				was = ev.Object.(*corev1.Pod).Status.Phase == corev1.PodRunning
			}
			switch {
			case now && !was:
				running++
				res.PeakRunning = max(res.PeakRunning, running)
				if allRunning == nil && res.Pods > 0 && running >= res.Pods {
					allRunning = &Phase{Name: "until all pods Running", Wall: time.Since(start), CPU: cpuTime(), Virtual: c.Engine.Elapsed(), Events: c.Engine.Events()}
				}
			case was && !now:
				running--
			}
		})
		nodes = len(c.Store.List("Node", ""))
		res.PeakNodes = nodes
		c.Store.Watch("Node", 0, func(ev store.Event) {
			switch ev.Type {
			case store.Added:
				nodes++
				res.PeakNodes = max(res.PeakNodes, nodes)
			case store.Deleted:
				nodes--
			}
		})
	}})
	if err != nil {
		pprof.StopCPUProfile()
		return res, err
	}
	e := c.Engine
	cpu0 := cpu
	phase := func(name string, t0 time.Time) time.Time {
		now, used := time.Now(), cpuTime()
		res.Phases = append(res.Phases, Phase{Name: name, Wall: now.Sub(t0), CPU: used - cpu0, Virtual: e.Elapsed(), Events: e.Events()})
		cpu0 = used
		return now
	}
	t := phase("load + build cluster", start)
	// The rest of the run exactly as `kubesim run` does it.
	var heap bytes.Buffer
	var herr error
	rep, ferr := finish(run, func() {
		if allRunning != nil {
			// Split the run where the watch saw every pod Running.
			p := *allRunning
			p.Wall -= t.Sub(start)
			p.CPU -= cpu0
			res.Phases = append(res.Phases, p)
			res.AllRunning = p.Virtual
			t, cpu0 = start.Add(allRunning.Wall), allRunning.CPU
		}
		t = phase("steady state to the end", t)
		if cfg.Breakdown || cfg.HeapProfile != "" {
			runtime.GC()
			herr = pprof.Lookup("heap").WriteTo(&heap, 0)
			// The heap profile's collection and writing is the
			// benchmark's own work, in no phase (it made the report
			// phase of a --breakdown run look seconds longer).
			t, cpu0 = time.Now(), cpuTime()
		}
	})
	phase("report", t)
	if ferr == nil {
		ferr = herr
	}
	if cfg.Breakdown || cfg.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	res.Wall = time.Since(start)
	res.CPU = cpuTime()
	res.VirtualTime = e.Elapsed()
	res.Events, res.Steps = e.Events(), e.Steps()
	res.TraceLines = e.Trace().Len()
	res.PeakRSS = PeakRSS()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.Allocs, res.AllocBytes = ms.Mallocs-ms0.Mallocs, ms.TotalAlloc-ms0.TotalAlloc
	res.Running = running
	if rep != nil {
		res.TraceHash = rep.TraceHash
	}
	if err := writeFile(cfg.CPUProfile, cpuProf.Bytes()); err != nil {
		return res, err
	}
	if err := writeFile(cfg.HeapProfile, heap.Bytes()); err != nil {
		return res, err
	}
	if cfg.Breakdown {
		if res.CPUShares, err = shares(cpuProf.Bytes(), "cpu"); err != nil {
			return res, err
		}
		if res.HeapShares, err = shares(heap.Bytes(), "inuse_space"); err != nil {
			return res, err
		}
		for _, s := range res.HeapShares {
			res.HeapInUse += s.Value
		}
	}
	if ferr != nil {
		return res, ferr
	}
	if cfg.Scenario == "" && res.Pods > 0 && res.AllRunning == 0 {
		return res, fmt.Errorf("bench: only %d of %d pods Running after %s virtual", running, res.Pods, s.Duration)
	}
	return res, nil
}

// finish runs the scenario to its end; atEnd is called after the last
// event and before the report is built.
func finish(run *runner.Running, atEnd func()) (*runner.Report, error) {
	if len(run.Scenario.Expect) == 0 {
		// Nothing is checked at a given time: running to the end first
		// is what Finish would do.
		run.Cluster.Engine.RunUntil(run.Scenario.Duration)
		atEnd()
		return run.Finish()
	}
	rep, err := run.Finish()
	atEnd()
	return rep, err
}

// workloadNamespaces are the namespaces of the scenario's workloads
// (those without one go to "default", as kubectl apply puts them).
func workloadNamespaces(s *scenarios.Scenario) map[string]bool {
	out := map[string]bool{}
	for _, w := range s.Workloads {
		out[cmp.Or(w.Obj.GetNamespace(), "default")] = true
	}
	return out
}

// counted reports whether a pod is one of those WorkloadPods counts: in
// a workload's namespace, bare or controlled by a ReplicaSet, StatefulSet
// or ReplicationController.
func counted(pod store.Object, namespaces map[string]bool) bool {
	if !namespaces[pod.GetNamespace()] {
		return false
	}
	ref := podutil.ControllerOf(pod)
	return ref == nil || ref.Kind == "ReplicaSet" || ref.Kind == "StatefulSet" || ref.Kind == "ReplicationController"
}

func writeFile(name string, data []byte) error {
	if name == "" {
		return nil
	}
	return os.WriteFile(name, data, 0o644)
}

func shares(data []byte, valueType string) ([]Share, error) {
	p, err := parseProfile(data)
	if err != nil {
		return nil, err
	}
	by, err := p.byComponent(valueType)
	if err != nil {
		return nil, err
	}
	out := make([]Share, 0, len(by))
	for _, k := range slices.Sorted(maps.Keys(by)) {
		out = append(out, Share{Component: k, Value: by[k]})
	}
	slices.SortStableFunc(out, func(a, b Share) int {
		switch {
		case a.Value > b.Value:
			return -1
		case a.Value < b.Value:
			return 1
		}
		return 0
	})
	return out, nil
}

// Generate is the benchmark scenario: cfg.Nodes nodes of one instance
// type and cfg.Deployments Deployments of cfg.Replicas replicas (100m
// CPU, 128Mi each), created at t=0, for cfg.Duration.
func Generate(cfg Config) (*scenarios.Scenario, error) {
	cfg = cfg.withDefaults()
	var sc bytes.Buffer
	writeHeader(&sc, fmt.Sprintf("bench-%d-nodes", cfg.Nodes), cfg)
	fmt.Fprintf(&sc, "  nodeGroups:\n    - {name: worker, instanceType: %s, count: %d}\n", cfg.InstanceType, cfg.Nodes)
	if cfg.Deployments > 0 {
		sc.WriteString("workloads:\n  - file: deployments.yaml\n")
	}
	var m bytes.Buffer
	for i := 0; i < cfg.Deployments; i++ {
		m.WriteString(deployment("app-"+strconv.Itoa(i), cfg.Replicas, "{requests: {cpu: 100m, memory: 128Mi}}"))
	}
	fsys := fstest.MapFS{
		"bench/scenario.yaml":    {Data: sc.Bytes()},
		"bench/deployments.yaml": {Data: m.Bytes()},
	}
	return scenarios.Parse("bench/scenario.yaml", sc.Bytes(), fsys)
}

// writeHeader writes a generated scenario's name, duration and the
// cluster's control plane and add-ons, up to its node groups.
func writeHeader(w io.Writer, name string, cfg Config) {
	fmt.Fprintf(w, "name: %s\nduration: %s\ncluster:\n", name, cfg.Duration)
	if cfg.EtcdMembers != 0 {
		fmt.Fprintf(w, "  controlPlane: {etcdMembers: %d}\n", cfg.EtcdMembers)
	}
	fmt.Fprintf(w, "  addons: %t\n", !cfg.NoAddons)
}

// deployment is a Deployment of nginx pods with the given resources (a
// flow-style YAML mapping), as a document of a multi-document file.
func deployment(name string, replicas int, resources string) string {
	return "---\n" + manifests.Deployment(name, replicas, "{name: app, image: nginx:1.27, resources: "+resources+"}")
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PeakRSS is the process's peak resident set size in bytes (VmHWM).
func PeakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmHWM:") {
				f := strings.Fields(line)
				if len(f) >= 2 {
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					return kb << 10
				}
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		return ru.Maxrss << 10
	}
	return 0
}
