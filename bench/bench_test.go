package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/store"

	"github.com/kubesim/kubesim/sim/runner"
)

func benchmark(b *testing.B, cfg Config) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		res, err := Run(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.Wall.Seconds(), "wall-s")
		b.ReportMetric(float64(res.Events)/res.Wall.Seconds(), "events/s")
		b.ReportMetric(float64(res.PeakRSS>>20), "peakRSS-MiB")
		b.ReportMetric(res.AllRunning.Seconds(), "allRunning-virtual-s")
		if res.Running > 0 {
			b.ReportMetric(float64(res.Allocs)/float64(res.Running), "allocs/pod")
			b.ReportMetric(float64(res.AllocBytes)/float64(res.Running), "B/pod")
		}
		b.Log(res)
	}
}

// BenchmarkCluster1000Nodes30000Pods: 300 Deployments x 100 replicas,
// the user's path: three etcd members, 30 minutes of virtual time.
func BenchmarkCluster1000Nodes30000Pods(b *testing.B) {
	benchmark(b, Config{Nodes: 1000, Deployments: 300, Replicas: 100, Duration: 30 * time.Minute})
}

// BenchmarkCluster5000Nodes150000Pods: the upstream scalability envelope,
// 1,500 Deployments x 100 replicas on m5.4xlarge nodes.
func BenchmarkCluster5000Nodes150000Pods(b *testing.B) {
	benchmark(b, Config{Nodes: 5000, Deployments: 1500, Replicas: 100, Duration: 30 * time.Minute})
}

// TestBenchRunsWhatRunRuns: the benchmark is the user's path, so its
// trace is the one `kubesim run` produces for the same scenario.
func TestBenchRunsWhatRunRuns(t *testing.T) {
	cfg := Config{Nodes: 12, Deployments: 3, Replicas: 10, Duration: 2 * time.Minute, Breakdown: true}
	res, err := Run(cfg)
	require.NoError(t, err)
	require.Equal(t, 30, res.Running)
	require.Positive(t, res.AllRunning)
	require.Equal(t, 2*time.Minute, res.VirtualTime)

	s, err := Generate(cfg)
	require.NoError(t, err)
	require.Equal(t, 3, s.Cluster.ControlPlane.EtcdMembers, "the default control plane")
	require.True(t, s.Cluster.Addons)
	rep, err := runner.Run(s, runner.Options{})
	require.NoError(t, err)
	require.Equal(t, rep.TraceHash, res.TraceHash)
	require.Equal(t, rep.Events, res.TraceLines)
	require.Positive(t, res.Allocs)
	require.Greater(t, res.AllocBytes, res.Allocs, "bytes, not objects")
	require.Contains(t, res.String(), "per Running pod")

	// A run this small has few CPU samples: only check they are
	// attributed to components by name, not to raw function names.
	require.NotEmpty(t, res.CPUShares)
	for _, sh := range append(res.CPUShares, res.HeapShares...) {
		require.NotContains(t, sh.Component, ".", "a component, not a function: %v", sh)
	}
	require.NotEmpty(t, res.HeapShares)
	require.Positive(t, res.HeapInUse)
}

func TestComponentOfStack(t *testing.T) {
	for _, tc := range []struct {
		stack []string
		want  string
	}{
		{[]string{"runtime.mallocgc", "k8s.io/api/core/v1.(*Pod).DeepCopy", module + "sim/scheduler.(*Scheduler).cycle", module + "sim.(*Engine).Step"}, "scheduler"},
		{[]string{"runtime.memmove", module + "sim/store.(*Store).record.Keys[go.shape.map[string]map[string][]*github.com/kubesim/kubesim/sim/store.watcher]"}, "store+watch"},
		{[]string{"runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker"}, "gc"},
		{[]string{"sync.(*Mutex).Lock", "github.com/hashicorp/raft.(*Raft).runFSM"}, "etcd/raft"},
		{[]string{module + "sim/controllers/replicaset.(*Controller).sync"}, "controllers"},
		{[]string{module + "sim.(*Trace).Add"}, "engine+trace"},
		{[]string{module + "sim/workqueue.(*Queue).Add"}, "controllers"},
		{[]string{module + "sim/kubelet/images.(*Shell).Run"}, "kubelets"},
		{[]string{module + "scenarios.(*parser).cluster"}, "scenario load"},
		{[]string{module + "sim/runner.(*Runner).check"}, "runner (timeline, checks, report)"},
		{[]string{module + "sim/network.(*Proxy).Route"}, "network"},
		{[]string{module + "sim/store/storetest.Seed"}, "store/storetest"},
		{[]string{module + "plan.(*Plan).header"}, "plan"},
		{[]string{"runtime.futex"}, "other"},
	} {
		require.Equal(t, tc.want, component(tc.stack), "%v", tc.stack)
	}
}

// TestBenchScenarioFilePhases: a scenario file gets the phase "until all
// pods Running" too (its workloads' replicas are the pods expected), and
// noting it does not change the run: the trace and the verdicts are
// those of `kubesim run`.
func TestBenchScenarioFilePhases(t *testing.T) {
	s, err := scenarios.Resolve("node-failure")
	require.NoError(t, err)
	require.NotEmpty(t, s.Expect, "a scenario whose checks stop the engine at their own times")
	res, err := Run(Config{Scenario: "node-failure"})
	require.NoError(t, err)
	require.Equal(t, 6, res.Pods, "two Deployments of 3 replicas")
	require.Positive(t, res.AllRunning)
	var names []string
	for _, p := range res.Phases {
		names = append(names, p.Name)
	}
	require.Equal(t, []string{"load + build cluster", "until all pods Running", "steady state to the end", "report"}, names)
	require.Equal(t, res.AllRunning, res.Phases[1].Virtual)
	require.Contains(t, res.String(), "(all 6 at ")

	rep, err := runner.Run(s, runner.Options{})
	require.NoError(t, err)
	require.Equal(t, rep.TraceHash, res.TraceHash)
	require.True(t, rep.Passed())
}

func TestExpectedPodsCountsReplicasNotDaemonSetsOrJobs(t *testing.T) {
	obj := func(o store.Object) scenarios.Object { return scenarios.Object{Obj: o} }
	meta := func(ns, name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: ns, Name: name} }
	s := &scenarios.Scenario{Workloads: []scenarios.Object{
		obj(&appsv1.Deployment{ObjectMeta: meta("", "web"), Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](5)}}),
		obj(&appsv1.StatefulSet{ObjectMeta: meta("db", "pg")}), // replicas unset: 1
		obj(&appsv1.ReplicaSet{ObjectMeta: meta("", "rs"), Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](0)}}),
		obj(&corev1.ReplicationController{ObjectMeta: meta("", "rc"), Spec: corev1.ReplicationControllerSpec{Replicas: ptr.To[int32](2)}}),
		obj(&corev1.Pod{ObjectMeta: meta("", "bare")}),
		obj(&appsv1.DaemonSet{ObjectMeta: meta("", "agent")}),
		obj(&batchv1.Job{ObjectMeta: meta("batch", "once")}),
	}}
	require.Equal(t, 5+1+0+2+1, s.WorkloadPods())
	ns := workloadNamespaces(s)
	require.Equal(t, map[string]bool{"default": true, "db": true, "batch": true}, ns)

	pod := func(ns, ownerKind string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: meta(ns, "p")}
		if ownerKind != "" {
			p.OwnerReferences = []metav1.OwnerReference{{Kind: ownerKind, Name: "o", Controller: ptr.To(true)}}
		}
		return p
	}
	require.True(t, counted(pod("default", "ReplicaSet"), ns))
	require.True(t, counted(pod("db", "StatefulSet"), ns))
	require.True(t, counted(pod("default", ""), ns))
	require.False(t, counted(pod("default", "DaemonSet"), ns))
	require.False(t, counted(pod("batch", "Job"), ns))
	require.False(t, counted(pod("kube-system", "ReplicaSet"), ns), "the add-ons' pods")
}

// BenchmarkEtcdStatus is the etcd block of the report at the end of a
// run of 300 nodes / 9,000 pods (the members' content hash): the report
// phase's wall time is mostly this.
func BenchmarkEtcdStatus(b *testing.B) {
	s, err := Generate(Config{Nodes: 300, Deployments: 90, Replicas: 100, Duration: 5 * time.Minute, NoAddons: true})
	require.NoError(b, err)
	run, err := runner.Start(s, runner.Options{NoPlayByPlay: true})
	require.NoError(b, err)
	c := run.Cluster
	defer c.Etcd.Close()
	c.Engine.RunUntil(s.Duration)
	_, err = c.Etcd.Status()
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Etcd.Status(); err != nil {
			b.Fatal(err)
		}
	}
}
