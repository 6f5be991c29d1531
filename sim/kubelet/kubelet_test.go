package kubelet

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/cloud"
)

type harness struct {
	*apiservertest.World
	t testing.TB
	k *Kubelet
}

// newHarness is one m5.large node, node-1, whose kubelet has started
// (ready or not), with the trace kept for the tests to read.
func newHarness(t *testing.T, ready bool) *harness {
	spec := cloud.NodeSpec{Name: "node-1", Group: "general", Zone: "us-east-1a", InstanceType: "m5.large", Index: 1}
	return newNodeHarness(t, 1, spec, ready, true)
}

// newNodeHarness is an engine seeded with seed, an API server with the
// default and node-lease namespaces, and the started kubelet of the node
// spec describes.
func newNodeHarness(tb testing.TB, seed uint64, spec cloud.NodeSpec, ready, keepTrace bool) *harness {
	w := apiservertest.NewWorld(seed, "default", NodeLeaseNamespace)
	if keepTrace {
		w.Engine.Trace().Keep()
	}
	k := New(w.Engine, w.Server.Client("kubelet/"+spec.Name), spec, Config{})
	if t, ok := tb.(*testing.T); ok { // not in benchmarks
		// Every test of the package checks the running working set total
		// and the node's image list after every event.
		w.Engine.AfterStep = func() {
			checkRunningWS(t, k)
			checkMemos(t, k)
			checkQuiet(t, k)
			if k.imageListValid {
				require.Equal(t, k.buildNodeImages(), k.imageList, "at %v", k.now())
			}
		}
	}
	k.Start(ready)
	return &harness{World: w, t: tb, k: k}
}

// checkMemos: what the kubelet remembers to skip a lookup is what the
// lookup would find: the last image's entry (ensureImage), the podState of
// each pod version its status writes stored (takeWritten), the last
// message of each kind (message).
func checkMemos(t *testing.T, k *Kubelet) {
	if im := k.lastImage.im; im != nil {
		require.Same(t, k.images[im.ref], im, "the last image's entry")
		require.Equal(t, k.imageKeys[k.lastImage.name], im.ref, "the last image's key")
	}
	for i, w := range k.writtenPods {
		if p := k.writtenStates[i]; (w == nil) != (p == nil) {
			t.Fatalf("written entry %d: pod %p, podState %p", i, w, p)
		}
		if w != nil && !k.writtenStates[i].deleted {
			require.Same(t, k.podOf(w), k.writtenStates[i], "the podState of a written version")
		}
	}
	for kind, m := range k.lastMsg {
		if m.msg != "" {
			require.Same(t, unsafe.StringData(k.messages[msgKey{msgKind(kind), m.arg}]), unsafe.StringData(m.msg), "the last message of a kind")
		}
	}
}

// checkQuiet: while the status ticks are the engine's no-ops (rest), a
// tick would find nothing to do until the same time: whatever changed
// what it reads woke the kubelet.
func checkQuiet(t *testing.T, k *Kubelet) {
	if !k.quiet || k.statusTimer.At() >= k.node.quietUntil {
		return
	}
	until, ok := k.quietUntil()
	require.True(t, ok, "at %v: the quiet status tick at %v has something to do", k.now(), k.statusTimer.At())
	require.Equal(t, k.node.quietUntil, until, "at %v: the quiet status ticks' end", k.now())
}

func (h *harness) run(d time.Duration) { h.Engine.RunUntil(h.Engine.Elapsed() + d) }

func (h *harness) runPod(name string, mutate func(*corev1.Pod)) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
	}
	if mutate != nil {
		mutate(pod)
	}
	_, err := h.Admin.Create(pod)
	require.NoError(h.t, err)
	require.NoError(h.t, h.Admin.Bind("default", name, h.k.name))
}

func (h *harness) pod(name string) *corev1.Pod {
	o, ok := h.Store.Get("Pod", "default", name)
	if !ok {
		return nil
	}
	return o.(*corev1.Pod)
}

type event struct {
	at  time.Duration
	msg string // "Type Reason: message"
}

// events are the pod's events in order (repeats included, as the trace
// shows them).
func (h *harness) events(name string) []event {
	var out []event
	for _, r := range h.Engine.Trace().Records() {
		if r.Verb == "event" && strings.HasPrefix(r.Name, name+".") {
			msg := r.Summary
			if i := strings.Index(msg, " x"); i > 0 && strings.Contains(msg[:strings.Index(msg, ":")], " x") {
				msg = msg[:i] + msg[strings.Index(msg, ":"):]
			}
			out = append(out, event{r.T, msg})
		}
	}
	return out
}

func (h *harness) eventTimes(name, prefix string) []time.Duration {
	var out []time.Duration
	for _, e := range h.events(name) {
		if strings.HasPrefix(e.msg, prefix) {
			out = append(out, e.at)
		}
	}
	return out
}

func (h *harness) requireEvent(name, msg string) {
	h.t.Helper()
	for _, e := range h.events(name) {
		if e.msg == msg {
			return
		}
	}
	h.t.Fatalf("no event %q; have:\n%v", msg, h.events(name))
}

func ready(p *corev1.Pod) (bool, time.Time) {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue, c.LastTransitionTime.Time
		}
	}
	return false, time.Time{}
}

func TestRegistersNodeAndLease(t *testing.T) {
	h := newHarness(t, true)
	o, ok := h.Store.Get("Node", "", "node-1")
	require.True(t, ok)
	n := o.(*corev1.Node)
	require.Equal(t, corev1.ConditionTrue, cond(n, corev1.NodeReady).Status)
	require.Equal(t, "KubeletReady", cond(n, corev1.NodeReady).Reason)
	require.Equal(t, "kubelet is posting ready status", cond(n, corev1.NodeReady).Message)
	require.Equal(t, "KubeletHasSufficientMemory", cond(n, corev1.NodeMemoryPressure).Reason)
	require.Equal(t, "1930m", n.Status.Allocatable.Cpu().String())

	lease := h.lease()
	require.Equal(t, "node-1", *lease.Spec.HolderIdentity)
	require.Equal(t, int32(40), *lease.Spec.LeaseDurationSeconds)
	require.Equal(t, n.UID, lease.OwnerReferences[0].UID)

	// The lease is renewed every ~10 s; the node status is not rewritten
	// every heartbeat (only on change or every 5 min).
	h.run(2 * time.Minute)
	renewals, statuses := 0, 0
	for _, r := range h.Engine.Trace().Records() {
		switch {
		case r.Kind == "Lease":
			renewals++
		case r.Kind == "Node" && r.Verb == "status":
			statuses++
		}
	}
	require.InDelta(t, 12, renewals, 1.5)
	require.Equal(t, 0, statuses)
	require.WithinDuration(t, sim.Epoch.Add(2*time.Minute), h.lease().Spec.RenewTime.Time, 11*time.Second)
	h.run(4 * time.Minute)
	statuses = 0
	for _, r := range h.Engine.Trace().Records() {
		if r.Kind == "Node" && r.Verb == "status" {
			statuses++
		}
	}
	require.Equal(t, 1, statuses, "one report after nodeStatusReportFrequency")
}

// Renewals move only renewTime of the Lease the kubelet wrote; a Lease
// someone else changed in between (a label, an acquireTime) is written
// whole again, as the kubelet's Update always did.
func TestLeaseRenewalKeepsTheKubeletsLease(t *testing.T) {
	h := newHarness(t, true)
	h.run(30 * time.Second)
	before := h.lease()
	require.Nil(t, before.Spec.AcquireTime, "the first renewal's Update cleared it")
	h.run(10 * time.Second)
	after := h.lease()
	require.True(t, before.Spec.RenewTime.Before(after.Spec.RenewTime))
	cp := before.DeepCopy()
	cp.Spec.RenewTime, cp.ResourceVersion = after.Spec.RenewTime, after.ResourceVersion
	require.Equal(t, cp, after, "only renewTime (and the resourceVersion) moved")

	other := after.DeepCopy()
	other.Labels = map[string]string{"by": "someone-else"}
	other.Spec.AcquireTime = other.Spec.RenewTime
	_, err := h.Admin.Update(other)
	require.NoError(t, err)
	h.run(11 * time.Second)
	again := h.lease()
	require.Empty(t, again.Labels, "the kubelet wrote its whole Lease again")
	require.Nil(t, again.Spec.AcquireTime)
	require.True(t, after.Spec.RenewTime.Before(again.Spec.RenewTime))
}

func (h *harness) lease() *coordinationv1.Lease {
	o, ok := h.Store.Get("Lease", NodeLeaseNamespace, "node-1")
	require.True(h.t, ok)
	return o.(*coordinationv1.Lease)
}

func cond(n *corev1.Node, typ corev1.NodeConditionType) corev1.NodeCondition {
	for _, c := range n.Status.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return corev1.NodeCondition{}
}

func TestNewNodeBecomesReady(t *testing.T) {
	h := newHarness(t, false)
	n, _ := h.Store.Get("Node", "", "node-1")
	c := cond(n.(*corev1.Node), corev1.NodeReady)
	require.Equal(t, corev1.ConditionFalse, c.Status)
	require.Equal(t, "KubeletNotReady", c.Reason)
	require.Contains(t, c.Message, "container runtime network not ready")
	h.run(9 * time.Second)
	n, _ = h.Store.Get("Node", "", "node-1")
	require.Equal(t, corev1.ConditionFalse, cond(n.(*corev1.Node), corev1.NodeReady).Status)
	h.run(12 * time.Second)
	n, _ = h.Store.Get("Node", "", "node-1")
	require.Equal(t, corev1.ConditionTrue, cond(n.(*corev1.Node), corev1.NodeReady).Status)
}

func TestPodLifecycle(t *testing.T) {
	h := newHarness(t, true)
	h.run(time.Second)
	t0 := h.Engine.Elapsed()
	h.runPod("web", nil)
	h.run(10 * time.Millisecond)
	p := h.pod("web")
	require.Equal(t, corev1.PodPending, p.Status.Phase)
	require.Equal(t, "ContainerCreating", p.Status.ContainerStatuses[0].State.Waiting.Reason)
	require.NotNil(t, p.Status.StartTime)
	require.Equal(t, corev1.PodQOSBestEffort, p.Status.QOSClass)

	h.run(5 * time.Second)
	p = h.pod("web")
	require.Equal(t, corev1.PodRunning, p.Status.Phase)
	ok, at := ready(p)
	require.True(t, ok)
	pulled := h.eventTimes("web", "Normal Pulled")
	require.Len(t, pulled, 1)
	require.Less(t, at.Sub(sim.Epoch), pulled[0]+time.Second, "ready within pull + 1s")
	require.Less(t, at.Sub(sim.Epoch)-t0, 4*time.Second)

	cs := p.Status.ContainerStatuses[0]
	require.True(t, cs.Ready)
	require.True(t, *cs.Started)
	require.NotNil(t, cs.State.Running)
	require.Equal(t, "docker.io/library/nginx:1.27", cs.Image)
	require.Regexp(t, `^docker.io/library/nginx@sha256:[0-9a-f]{64}$`, cs.ImageID)
	require.Regexp(t, `^containerd://[0-9a-f]{64}$`, cs.ContainerID)
	require.Regexp(t, `^100\.64\.1\.\d+$`, p.Status.PodIP)
	require.Equal(t, "192.168.0.5", p.Status.HostIP)
	var types []corev1.PodConditionType
	for _, c := range p.Status.Conditions {
		require.Equal(t, corev1.ConditionTrue, c.Status, c.Type)
		types = append(types, c.Type)
	}
	require.Equal(t, []corev1.PodConditionType{corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled}, types)

	evs := h.events("web")
	require.Len(t, evs, 4)
	require.Equal(t, `Normal Pulling: Pulling image "nginx:1.27"`, evs[0].msg)
	require.Regexp(t, `^Normal Pulled: Successfully pulled image "nginx:1.27" in [0-9.]+m?s \([0-9.]+m?s including waiting\). Image size: \d+ bytes\.$`, evs[1].msg)
	require.Equal(t, "Normal Created: Created container: web", evs[2].msg)
	require.Equal(t, "Normal Started: Started container web", evs[3].msg)

	// Two status writes: Pending, then Running+Ready.
	writes := 0
	for _, r := range h.Engine.Trace().Records() {
		if r.Kind == "Pod" && r.Verb == "status" && r.Name == "web" {
			writes++
		}
	}
	require.Equal(t, 2, writes)

	// A second pod with the same image: no pull.
	h.runPod("web2", nil)
	h.run(2 * time.Second)
	h.requireEvent("web2", `Normal Pulled: Container image "nginx:1.27" already present on machine`)
	ok, _ = ready(h.pod("web2"))
	require.True(t, ok)
	require.NotEqual(t, h.pod("web").Status.PodIP, h.pod("web2").Status.PodIP)

	// The node reports the image at its next status post.
	h.run(11 * time.Second)
	n, _ := h.Store.Get("Node", "", "node-1")
	require.Len(t, n.(*corev1.Node).Status.Images, 1)
	require.Contains(t, n.(*corev1.Node).Status.Images[0].Names, "docker.io/library/nginx:1.27")
}

func TestAdmissionRejectsOversizedPod(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("big", func(p *corev1.Pod) {
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3")}
	})
	h.run(time.Second)
	p := h.pod("big")
	require.Equal(t, corev1.PodFailed, p.Status.Phase)
	require.Equal(t, "OutOfcpu", p.Status.Reason)
	require.Equal(t, "Pod was rejected: Node didn't have enough resource: cpu, requested: 3000, used: 0, capacity: 1930", p.Status.Message)
	h.requireEvent("big", "Warning OutOfcpu: Node didn't have enough resource: cpu, requested: 3000, used: 0, capacity: 1930")
}

func TestImagePullBackOff(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("bad", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "nginx:1.999" })
	h.run(2 * time.Second)
	p := h.pod("bad")
	require.Equal(t, corev1.PodPending, p.Status.Phase)
	w := p.Status.ContainerStatuses[0].State.Waiting
	require.Equal(t, "ImagePullBackOff", w.Reason)
	require.Contains(t, w.Message, `Back-off pulling image "nginx:1.999": ErrImagePull: rpc error: code = NotFound`)
	h.requireEvent("bad", `Warning Failed: Failed to pull image "nginx:1.999": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.999": failed to resolve reference "docker.io/library/nginx:1.999": docker.io/library/nginx:1.999: not found`)
	h.requireEvent("bad", "Warning Failed: Error: ErrImagePull")
	h.requireEvent("bad", `Normal BackOff: Back-off pulling image "nginx:1.999"`)
	h.requireEvent("bad", "Warning Failed: Error: ImagePullBackOff")

	h.run(12 * time.Minute)
	pulls := h.eventTimes("bad", "Normal Pulling")
	require.GreaterOrEqual(t, len(pulls), 7)
	var gaps []time.Duration
	for i := 1; i < len(pulls); i++ {
		gaps = append(gaps, (pulls[i] - pulls[i-1]).Round(time.Second))
	}
	// Each gap is the back-off plus the failing pull's ~1 s.
	for i, want := range []time.Duration{10, 20, 40, 80, 160, 300} {
		require.InDelta(t, float64(want*time.Second), float64(gaps[i]), float64(2*time.Second), "gap %d: %v", i, gaps)
	}
}

func TestCrashLoopBackOff(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("crash", func(p *corev1.Pod) {
		p.Spec.Containers[0].Image = "busybox:1.36"
		p.Spec.Containers[0].Command = []string{"sh", "-c", "exit 1"}
	})
	h.run(30 * time.Second)
	p := h.pod("crash")
	require.Equal(t, corev1.PodRunning, p.Status.Phase)
	cs := p.Status.ContainerStatuses[0]
	require.Equal(t, "CrashLoopBackOff", cs.State.Waiting.Reason)
	require.Regexp(t, `^back-off (10|20)s restarting failed container=web pod=crash_default\(.+\)$`, cs.State.Waiting.Message)
	require.Equal(t, int32(1), cs.LastTerminationState.Terminated.ExitCode)
	require.Equal(t, "Error", cs.LastTerminationState.Terminated.Reason)
	h.requireEvent("crash", "Warning BackOff: Back-off restarting failed container web in pod crash_default("+string(p.UID)+")")

	h.run(15 * time.Minute)
	starts := h.eventTimes("crash", "Normal Started")
	require.GreaterOrEqual(t, len(starts), 8)
	var gaps []time.Duration
	for i := 1; i < len(starts); i++ {
		gaps = append(gaps, starts[i]-starts[i-1])
	}
	for i, want := range []time.Duration{0, 10, 20, 40, 80, 160, 300} {
		require.InDelta(t, float64(want*time.Second+time.Second), float64(gaps[i]), float64(time.Second), "gap %d: %v", i, gaps)
	}
	require.Equal(t, int32(len(starts)-1), h.pod("crash").Status.ContainerStatuses[0].RestartCount)
}

func TestRestartPolicies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		policy  corev1.RestartPolicy
		command string
		phase   corev1.PodPhase
	}{
		{"never-ok", corev1.RestartPolicyNever, "sleep 5", corev1.PodSucceeded},
		{"never-fail", corev1.RestartPolicyNever, "sleep 5; exit 3", corev1.PodFailed},
		{"onfailure-ok", corev1.RestartPolicyOnFailure, "true", corev1.PodSucceeded},
		{"onfailure-fail", corev1.RestartPolicyOnFailure, "false", corev1.PodRunning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, true)
			h.runPod("job", func(p *corev1.Pod) {
				p.Spec.RestartPolicy = tc.policy
				p.Spec.Containers[0].Image = "busybox"
				p.Spec.Containers[0].Command = []string{"sh", "-c", tc.command}
			})
			h.run(20 * time.Second)
			p := h.pod("job")
			require.Equal(t, tc.phase, p.Status.Phase)
			if tc.phase == corev1.PodSucceeded || tc.phase == corev1.PodFailed {
				term := p.Status.ContainerStatuses[0].State.Terminated
				require.NotNil(t, term)
				r, _ := ready(p)
				require.False(t, r)
			}
		})
	}
}

func TestOOMKilled(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("hog", func(p *corev1.Pod) {
		p.Annotations = map[string]string{"sim.kubesim.io/memory": "300Mi"}
		p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")}
	})
	h.run(20 * time.Second)
	cs := h.pod("hog").Status.ContainerStatuses[0]
	require.Equal(t, "OOMKilled", cs.LastTerminationState.Terminated.Reason)
	require.Equal(t, int32(137), cs.LastTerminationState.Terminated.ExitCode)
	require.GreaterOrEqual(t, cs.RestartCount, int32(1))
}

func TestInitContainersRunFirst(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("init", func(p *corev1.Pod) {
		p.Spec.InitContainers = []corev1.Container{
			{Name: "wait", Image: "busybox", Command: []string{"sleep", "5"}},
			{Name: "setup", Image: "busybox", Command: []string{"true"}},
		}
	})
	h.run(3 * time.Second)
	p := h.pod("init")
	require.Equal(t, corev1.PodPending, p.Status.Phase)
	require.NotNil(t, p.Status.InitContainerStatuses[0].State.Running)
	require.Equal(t, "PodInitializing", p.Status.ContainerStatuses[0].State.Waiting.Reason)
	h.run(10 * time.Second)
	p = h.pod("init")
	require.Equal(t, corev1.PodRunning, p.Status.Phase)
	require.Equal(t, "Completed", p.Status.InitContainerStatuses[1].State.Terminated.Reason)
	started := h.eventTimes("init", "Normal Started")
	require.Len(t, started, 3)
	require.GreaterOrEqual(t, started[1]-started[0], 5*time.Second)
}

func TestReadinessProbeDelaysReady(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("probe", func(p *corev1.Pod) {
		p.Annotations = map[string]string{"sim.kubesim.io/ready-after": "12s"}
		p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{InitialDelaySeconds: 5, PeriodSeconds: 5, SuccessThreshold: 1}
	})
	h.run(10 * time.Second)
	p := h.pod("probe")
	require.Equal(t, corev1.PodRunning, p.Status.Phase)
	r, _ := ready(p)
	require.False(t, r)
	h.run(10 * time.Second)
	r, at := ready(h.pod("probe"))
	require.True(t, r)
	started := h.eventTimes("probe", "Normal Started")[0]
	d := at.Sub(sim.Epoch) - started
	require.GreaterOrEqual(t, d, 12*time.Second)
	require.LessOrEqual(t, d, 17*time.Second)
}

func TestGracefulTermination(t *testing.T) {
	for _, tc := range []struct {
		name    string
		image   string
		command []string
		min     time.Duration
		max     time.Duration
	}{
		{"nginx stops fast", "nginx:1.27", nil, 0, time.Second},
		{"sleep waits for SIGKILL", "busybox", []string{"sleep", "3600"}, 30 * time.Second, 30*time.Second + 100*time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, true)
			h.runPod("term", func(p *corev1.Pod) {
				p.Spec.Containers[0].Image = tc.image
				p.Spec.Containers[0].Command = tc.command
			})
			h.run(10 * time.Second)
			require.Equal(t, corev1.PodRunning, h.pod("term").Status.Phase)
			t0 := h.Engine.Elapsed()
			require.NoError(t, h.Admin.Delete("Pod", "default", "term", apiserver.DeleteOptions{}))
			h.run(time.Second)
			h.requireEvent("term", "Normal Killing: Stopping container web")
			h.Engine.RunWhile(t0+time.Minute, func() bool { return h.pod("term") != nil })
			require.Nil(t, h.pod("term"))
			d := h.Engine.Elapsed() - t0
			require.GreaterOrEqual(t, d, tc.min)
			require.LessOrEqual(t, d, tc.max)
			require.Zero(t, h.k.used.Pods, "resources released")
		})
	}
}

func TestFailStopsHeartbeatsAndRecoverResumes(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("web", nil)
	h.run(10 * time.Second)
	rv := h.lease().ResourceVersion
	h.k.Fail()
	failedAt := h.Engine.Elapsed()
	writes := h.Engine.Trace().Len()
	h.run(2 * time.Minute)
	require.Equal(t, writes, h.Engine.Trace().Len(), "no API writes from a dead kubelet")
	require.Equal(t, rv, h.lease().ResourceVersion)

	// The pod is deleted while the node is down: gone on recovery. Another
	// pod still exists: it restarts.
	h.k.Recover()
	h.run(time.Second)
	require.Greater(t, h.lease().Spec.RenewTime.Time, sim.Epoch.Add(failedAt+time.Minute))
	h.run(20 * time.Second)
	p := h.pod("web")
	require.Equal(t, corev1.PodRunning, p.Status.Phase)
	cs := p.Status.ContainerStatuses[0]
	require.Equal(t, int32(1), cs.RestartCount)
	require.Equal(t, "Unknown", cs.LastTerminationState.Terminated.Reason)
	r, _ := ready(p)
	require.True(t, r)
	n, _ := h.Store.Get("Node", "", "node-1")
	require.Equal(t, corev1.ConditionTrue, cond(n.(*corev1.Node), corev1.NodeReady).Status)
}

func TestRecoverForgetsDeletedPods(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("web", nil)
	h.run(10 * time.Second)
	h.k.Fail()
	zero := int64(0)
	require.NoError(t, h.Admin.Delete("Pod", "default", "web", apiserver.DeleteOptions{GracePeriodSeconds: &zero}))
	h.k.Recover()
	h.run(time.Minute)
	require.Nil(t, h.pod("web"))
	require.Empty(t, h.k.pods)
	require.Zero(t, h.k.used.Pods)
}

func TestPartition(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("web", func(p *corev1.Pod) {
		p.Annotations = map[string]string{"sim.kubesim.io/crash-after": "20s"}
	})
	h.run(5 * time.Second)
	h.k.Partition(true)
	writes := h.Engine.Trace().Len()
	h.run(time.Minute)
	require.Equal(t, writes, h.Engine.Trace().Len(), "nothing reaches the API server")
	// Containers kept running (and crashing) meanwhile.
	require.Greater(t, h.k.pods["default/web"].ctrs[0].restarts, int32(0))
	// A pod deleted during the partition is stopped once it heals.
	require.NoError(t, h.Admin.Delete("Pod", "default", "web", apiserver.DeleteOptions{}))
	h.k.Partition(false)
	h.run(time.Second)
	require.Greater(t, h.lease().Spec.RenewTime.Time, sim.Epoch.Add(time.Minute))
	h.run(time.Minute)
	require.Nil(t, h.pod("web"))
}

func TestDeterministic(t *testing.T) {
	hash := func() string {
		h := newHarness(t, false)
		for _, n := range []string{"a", "b", "c"} {
			h.runPod(n, nil)
		}
		h.run(5 * time.Minute)
		return h.Engine.Trace().Hash()
	}
	require.Equal(t, hash(), hash())
}

// TestReassertsPodStatusAfterNodeControllerMarkedItNotReady: when the node
// controller marked the node and its pods NotReady (for instance while
// etcd had no quorum and the kubelet's writes failed), the kubelet puts
// its own view back within a status period, pods included.
func TestReassertsPodStatusAfterNodeControllerMarkedItNotReady(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("web", nil)
	h.run(10 * time.Second)
	nc := h.Admin.Server().Client("node-lifecycle-controller")
	n, _ := h.Store.Get("Node", "", "node-1")
	node := n.(*corev1.Node).DeepCopy()
	for i := range node.Status.Conditions {
		node.Status.Conditions[i].Status = corev1.ConditionUnknown
	}
	_, err := nc.UpdateStatus(node)
	require.NoError(t, err)
	pod := h.pod("web").DeepCopy()
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			pod.Status.Conditions[i].Status = corev1.ConditionFalse
		}
	}
	_, err = nc.UpdateStatus(pod)
	require.NoError(t, err)
	r, _ := ready(h.pod("web"))
	require.False(t, r)

	h.run(11 * time.Second)
	r, _ = ready(h.pod("web"))
	require.True(t, r, "the kubelet re-asserts the pod's Ready condition")
	n, _ = h.Store.Get("Node", "", "node-1")
	require.Equal(t, corev1.ConditionTrue, cond(n.(*corev1.Node), corev1.NodeReady).Status)
}

// A kubelet whose status ticks are quiet (rest) learns of a write of its
// Node by someone else at once: the node controller's Unknown is put
// right by the next tick, as by a tick that read the Node.
func TestQuietKubeletRepostsAnOverwrittenNodeStatus(t *testing.T) {
	h := newHarness(t, true)
	h.run(time.Minute)
	require.True(t, h.k.quiet, "a ready node with nothing to do rests")
	n := h.node().DeepCopy()
	for i := range n.Status.Conditions {
		n.Status.Conditions[i].Status = corev1.ConditionUnknown
	}
	_, err := h.Admin.Server().Client("node-lifecycle-controller").UpdateStatus(n)
	require.NoError(t, err)
	require.False(t, h.k.quiet, "woken by the write")
	h.run(h.k.cfg.StatusInterval)
	require.Equal(t, corev1.ConditionTrue, cond(h.node(), corev1.NodeReady).Status)
}

// TestStoredReadyFollowsEveryVersion: storedReadyDiffers remembers the
// Ready status of the Node version it read last; a new version written
// by someone else is read again, whether it keeps Ready (a label) or
// changes it.
func TestStoredReadyFollowsEveryVersion(t *testing.T) {
	h := newHarness(t, true)
	h.run(10 * time.Second)
	require.False(t, h.k.storedReadyDiffers())
	require.False(t, h.k.storedReadyDiffers(), "the same version, remembered")
	nc := h.Admin.Server().Client("node-lifecycle-controller")
	write := func(change func(*corev1.Node)) {
		n, _ := h.Store.Get("Node", "", "node-1")
		node := n.(*corev1.Node).DeepCopy()
		change(node)
		_, err := nc.UpdateStatus(node)
		require.NoError(t, err)
	}
	write(func(n *corev1.Node) { n.Status.Conditions[0].Message = "touched" })
	require.False(t, h.k.storedReadyDiffers(), "a new version, still Ready")
	write(func(n *corev1.Node) {
		for i := range n.Status.Conditions {
			n.Status.Conditions[i].Status = corev1.ConditionUnknown
		}
	})
	require.True(t, h.k.storedReadyDiffers(), "a new version, no longer Ready")
	require.True(t, h.k.storedReadyDiffers())
}

// bigNode is the node the benchmarks load with 200 pods: 64 CPUs,
// 256 GiB, room for 250 pods.
func bigNode() cloud.NodeSpec {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("64"), corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods: resource.MustParse("250"),
	}
	return cloud.NodeSpec{Name: "big", Zone: "us-east-1a", Capacity: capacity, Allocatable: capacity}
}

// BenchmarkKubelet200Pods: one kubelet takes 200 pods from binding to
// Running and Ready, then keeps heartbeating for 10 virtual minutes.
func BenchmarkKubelet200Pods(b *testing.B) {
	spec := bigNode()
	for i := 0; i < b.N; i++ {
		h := newNodeHarness(b, uint64(i), spec, true, false)
		for j := 0; j < 200; j++ {
			h.runPod("web-"+strconv.Itoa(j), func(p *corev1.Pod) {
				p.Labels = map[string]string{"app": "web"}
				p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}
			})
		}
		h.run(10 * time.Minute)
		running := 0
		for _, o := range h.Store.List("Pod", "default") {
			if o.(*corev1.Pod).Status.Phase == corev1.PodRunning {
				running++
			}
		}
		if running != 200 {
			b.Fatalf("%d pods running", running)
		}
	}
}

// TestNodeStatusPostsLeaveTheTemplateAlone: every node status post shares
// the registration object's capacity, allocatable and addresses
// (nodeStatus); neither the posts nor anything they store may change the
// template or a status stored before.
func TestNodeStatusPostsLeaveTheTemplateAlone(t *testing.T) {
	h := newHarness(t, false)
	tmpl := h.k.node.tmpl.DeepCopy()
	o, _ := h.Store.Get("Node", "", "node-1")
	first, firstCopy := o.(*corev1.Node), o.(*corev1.Node).DeepCopy()
	h.runPod("web", nil) // a pull: the image list changes
	h.run(12 * time.Minute)
	o, _ = h.Store.Get("Node", "", "node-1")
	last := o.(*corev1.Node)
	require.NotSame(t, first, last, "the status was posted")
	require.Equal(t, corev1.ConditionTrue, cond(last, corev1.NodeReady).Status)
	require.NotEmpty(t, last.Status.Images)
	require.Equal(t, tmpl, h.k.node.tmpl, "a post changed the template")
	require.Equal(t, firstCopy, first, "a post changed a stored status")
	require.Equal(t, tmpl.Status.Capacity, last.Status.Capacity)
	require.Equal(t, tmpl.Status.Allocatable, last.Status.Allocatable)
	require.Equal(t, tmpl.Status.Addresses, last.Status.Addresses)
}
