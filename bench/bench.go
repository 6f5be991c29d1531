// Package bench measures the simulator at scale: a cluster of N nodes and
// D Deployments of R replicas is created at t=0 and run until every pod is
// Running. It reports wall time, virtual time, events per second and peak
// RSS. It lives outside sim/ because it reads the wall clock.
package bench

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/store"
)

// Config is one benchmark shape.
type Config struct {
	Nodes        int
	Deployments  int
	Replicas     int
	InstanceType string
	// EtcdMembers is the size of the raft cluster under the store (1, 3
	// or 5); 0 runs the plain store without raft.
	EtcdMembers int
	// Limit bounds the virtual time the run may take.
	Limit time.Duration
	// CPUProfile and HeapProfile, if set, are files to write pprof
	// profiles to (the heap while the cluster is still alive).
	CPUProfile, HeapProfile string
}

// Result is what one run measured.
type Result struct {
	Config
	Pods        int
	Wall        time.Duration
	Setup       time.Duration
	VirtualTime time.Duration
	Events      uint64
	TraceLines  int64
	PeakRSS     int64 // bytes
	TraceHash   string
}

func (r Result) String() string {
	backend := "plain store"
	if r.EtcdMembers > 0 {
		backend = fmt.Sprintf("%d etcd members", r.EtcdMembers)
	}
	return fmt.Sprintf("%d nodes / %d pods (%s): all Running at %s virtual after %s wall (setup %s); %d events, %.0f events/s; %d trace lines; peak RSS %d MiB",
		r.Nodes, r.Pods, backend, r.VirtualTime.Round(time.Millisecond), r.Wall.Round(time.Millisecond), r.Setup.Round(time.Millisecond),
		r.Events, float64(r.Events)/r.Wall.Seconds(), r.TraceLines, r.PeakRSS>>20)
}

// Run builds the cluster and runs it until every pod is Running.
func Run(cfg Config) (Result, error) {
	if cfg.InstanceType == "" {
		cfg.InstanceType = "m5.4xlarge"
	}
	if cfg.Limit == 0 {
		cfg.Limit = time.Hour
	}
	res := Result{Config: cfg, Pods: cfg.Deployments * cfg.Replicas}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return res, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	c, err := cluster.New(cluster.Config{Seed: 1, EtcdMembers: cfg.EtcdMembers,
		NodeGroups: []cluster.NodeGroup{{Name: "worker", InstanceType: cfg.InstanceType, Count: cfg.Nodes}}})
	if err != nil {
		return res, err
	}
	defer c.Etcd.Close()
	if cfg.EtcdMembers == 0 {
		c.Etcd.DisableReplication()
	}
	running := 0
	c.Store.Watch("Pod", 0, func(ev store.Event) {
		now := ev.Object.(*corev1.Pod).Status.Phase == corev1.PodRunning
		was := ev.Old != nil && ev.Old.(*corev1.Pod).Status.Phase == corev1.PodRunning
		if ev.Type == store.Deleted {
			now = false
			was = ev.Object.(*corev1.Pod).Status.Phase == corev1.PodRunning
		}
		switch {
		case now && !was:
			running++
		case was && !now:
			running--
		}
	})
	kc := c.Client("bench")
	for i := 0; i < cfg.Deployments; i++ {
		if _, err := kc.Create(deployment(i, cfg.Replicas)); err != nil {
			return res, err
		}
	}
	res.Setup = time.Since(start)
	done := c.Engine.RunWhile(cfg.Limit, func() bool { return running < res.Pods })
	res.Wall = time.Since(start)
	res.VirtualTime = c.Engine.Elapsed()
	res.Events = c.Engine.Steps()
	res.TraceLines = c.Engine.Trace().Len()
	res.TraceHash = c.Engine.Trace().Hash()
	res.PeakRSS = PeakRSS()
	if cfg.HeapProfile != "" {
		f, err := os.Create(cfg.HeapProfile)
		if err != nil {
			return res, err
		}
		runtime.GC()
		err = pprof.WriteHeapProfile(f)
		f.Close()
		if err != nil {
			return res, err
		}
	}
	runtime.KeepAlive(c)
	if err := c.Etcd.Err(); err != nil {
		return res, err
	}
	if !done {
		return res, fmt.Errorf("bench: only %d of %d pods Running after %s virtual", running, res.Pods, cfg.Limit)
	}
	return res, nil
}

func deployment(i, replicas int) *appsv1.Deployment {
	name := "app-" + strconv.Itoa(i)
	l := map[string]string{"app": name}
	r := int32(replicas)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &r,
			Selector: &metav1.LabelSelector{MatchLabels: l},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: l},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "nginx:1.27",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi"),
					}},
				}}},
			},
		},
	}
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
