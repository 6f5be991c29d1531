package kubelet

import (
	"maps"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
)

// TestSurelyDiffersAgreesWithSemanticEquality: the quick test flushPod
// runs before the reflective comparison never calls two statuses
// different that equality.Semantic calls equal, and catches the changes
// a kubelet write usually makes.
func TestSurelyDiffersAgreesWithSemanticEquality(t *testing.T) {
	at := metav1.NewTime(sim.Epoch)
	base := func() *corev1.PodStatus {
		return &corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: "10.0.0.7",
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: "containers with unready status: [app]", LastTransitionTime: at},
			},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", ContainerID: "containerd://1",
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at}}}},
		}
	}
	cases := map[string]struct {
		change  func(*corev1.PodStatus)
		differs bool // surelyDiffers must say so
	}{
		"same":                 {func(*corev1.PodStatus) {}, false},
		"time in another zone": {func(s *corev1.PodStatus) { s.Conditions[0].LastTransitionTime = metav1.NewTime(at.Local()) }, false},
		"nil and empty lists":  {func(s *corev1.PodStatus) { s.InitContainerStatuses = []corev1.ContainerStatus{} }, false},
		"later transition":     {func(s *corev1.PodStatus) { s.Conditions[0].LastTransitionTime = metav1.NewTime(at.Add(1)) }, false},
		"host IP":              {func(s *corev1.PodStatus) { s.HostIP = "10.0.0.1" }, false},
		"phase":                {func(s *corev1.PodStatus) { s.Phase = corev1.PodSucceeded }, true},
		"pod IP":               {func(s *corev1.PodStatus) { s.PodIP = "" }, true},
		"condition status":     {func(s *corev1.PodStatus) { s.Conditions[0].Status = corev1.ConditionTrue }, true},
		"condition message":    {func(s *corev1.PodStatus) { s.Conditions[0].Message = "" }, true},
		"one more condition":   {func(s *corev1.PodStatus) { s.Conditions = append(s.Conditions, s.Conditions[0]) }, true},
		"ready":                {func(s *corev1.PodStatus) { s.ContainerStatuses[0].Ready = true }, true},
		"restarted":            {func(s *corev1.PodStatus) { s.ContainerStatuses[0].RestartCount = 1 }, true},
		"terminated": {func(s *corev1.PodStatus) {
			s.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}}
		}, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a, b := base(), base()
			tc.change(b)
			got := surelyDiffers(a, b)
			require.Equal(t, tc.differs, got)
			if got {
				require.False(t, equality.Semantic.DeepEqual(a, b), "surelyDiffers said different, Semantic says equal")
			}
		})
	}
}

// The event messages built once per kubelet are the ones built each time.
func TestMessagesBuiltOnce(t *testing.T) {
	h := newHarness(t, true)
	for _, tc := range []struct {
		kind msgKind
		arg  string
		want string
	}{
		{msgCreated, "web", "Created container: web"},
		{msgStarted, "web", "Started container web"},
		{msgKilling, "web", "Stopping container web"},
		{msgKilling, "sidecar", "Stopping container sidecar"},
		{msgPresent, "nginx:1.27", `Container image "nginx:1.27" already present on machine`},
		{msgNotInitialized, "init", "containers with incomplete status: [init]"},
		{msgNotReady, "web", "containers with unready status: [web]"},
	} {
		require.Equal(t, tc.want, h.k.message(tc.kind, tc.arg))
		require.Equal(t, tc.want, h.k.message(tc.kind, tc.arg), "from the map")
	}
	require.Len(t, h.k.messages, 7)
}

// TestStatusWritesLeaveStoredPodsAlone: the kubelet builds each pod
// version it writes whole and the server stores it as it is. A version
// once stored must not change with the writes after it, of the same pod
// or of another; a status write that changes nothing stores nothing, and
// the version it built is kept empty for the next.
func TestStatusWritesLeaveStoredPodsAlone(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("web", nil)
	h.run(10 * time.Millisecond)
	pending := h.pod("web")
	require.Equal(t, corev1.PodPending, pending.Status.Phase)
	kept := pending.DeepCopy()
	require.Nil(t, h.k.spareVersion, "the version built was stored")

	h.runPod("web2", nil)
	h.run(5 * time.Second)
	running := h.pod("web")
	require.Equal(t, corev1.PodRunning, running.Status.Phase)
	require.Equal(t, corev1.PodRunning, h.pod("web2").Status.Phase)
	require.NotSame(t, pending, running)
	require.Equal(t, kept, pending, "a later write changed a stored status")

	h.k.markDirty(h.k.podOf(running))
	h.run(time.Millisecond)
	require.Same(t, running, h.pod("web"), "nothing changed: nothing written")
	require.NotNil(t, h.k.spareVersion)
	require.Equal(t, podVersion{}, *h.k.spareVersion, "the version not written holds nothing")
	h.k.markDirty(h.k.podOf(running))
	spare := h.k.spareVersion
	h.run(time.Millisecond)
	require.Same(t, spare, h.k.spareVersion, "built again for the next write")
}

// TestConditionTimesKeptAcrossWrites: the kubelet keeps each condition's
// last transition as a virtual time, not as the timestamp it reported
// (podState.condSince); every later write must report exactly the
// timestamp of the transition's first write, and a condition that changed
// the time of the write that changed it.
func TestConditionTimesKeptAcrossWrites(t *testing.T) {
	h := newHarness(t, true)
	h.run(1500 * time.Millisecond)
	h.runPod("probe", func(p *corev1.Pod) {
		p.Annotations = map[string]string{"sim.kubesim.io/ready-after": "12s"}
		p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{InitialDelaySeconds: 5, PeriodSeconds: 5, SuccessThreshold: 1}
	})
	const step = 100 * time.Millisecond
	var seen *corev1.Pod
	writes := 0
	last := map[corev1.PodConditionType]corev1.PodCondition{}
	for range 300 {
		h.run(step)
		p := h.pod("probe")
		if p == seen {
			continue
		}
		seen, writes = p, writes+1
		// Written during the step just run.
		from, to := sim.Epoch.Add(h.Engine.Elapsed()-step), sim.Epoch.Add(h.Engine.Elapsed())
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled {
				continue
			}
			if prev, ok := last[c.Type]; ok && prev.Status == c.Status {
				require.Equal(t, prev.LastTransitionTime, c.LastTransitionTime, "%s kept", c.Type)
			} else {
				require.True(t, c.LastTransitionTime.After(from) && !c.LastTransitionTime.After(to), "%s changed at %v", c.Type, c.LastTransitionTime)
			}
			last[c.Type] = c
		}
	}
	require.GreaterOrEqual(t, writes, 3, "Pending, Running, Ready")
	require.Equal(t, corev1.ConditionTrue, last[corev1.PodReady].Status)
}

// TestStatusSharesWhatDidNotChange: a status write builds the condition
// messages without the intermediate name lists, and shares what it need
// not copy: the node's hostIPs (one slice per kubelet), the common
// waiting states, and the stored pod's running state and podIPs when
// they did not change. Shared parts must read exactly as copies would.
func TestStatusSharesWhatDidNotChange(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("multi", func(p *corev1.Pod) {
		p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox:1.36", Command: []string{"sh", "-c", "sleep 2"}}}
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: "nginx:1.27"})
	})
	h.runPod("probe", func(p *corev1.Pod) {
		p.Annotations = map[string]string{"sim.kubesim.io/ready-after": "12s"}
		p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{InitialDelaySeconds: 5, PeriodSeconds: 5, SuccessThreshold: 1}
	})
	h.run(10 * time.Millisecond)
	multi := h.pod("multi")
	msg := func(p *corev1.Pod, typ corev1.PodConditionType) string {
		for _, c := range p.Status.Conditions {
			if c.Type == typ {
				return c.Message
			}
		}
		return "none"
	}
	require.Equal(t, "containers with incomplete status: [init]", msg(multi, corev1.PodInitialized))
	require.Equal(t, "containers with unready status: [web side]", msg(multi, corev1.PodReady))
	require.Equal(t, "containers with unready status: [web side]", msg(multi, corev1.ContainersReady))
	require.Same(t, waitingInitializing, multi.Status.ContainerStatuses[1].State.Waiting)
	require.Equal(t, []corev1.HostIP{{IP: h.k.nodeIP}}, multi.Status.HostIPs)
	require.Same(t, &multi.Status.HostIPs[0], &h.pod("probe").Status.HostIPs[0], "one hostIPs slice per node")
	require.Same(t, waitingCreating, h.pod("probe").Status.ContainerStatuses[0].State.Waiting)
	require.Equal(t, "containers with unready status: [web]", msg(h.pod("probe"), corev1.PodReady))
	require.Same(t, unsafe.StringData(h.k.message(msgNotReady, "web")), unsafe.StringData(msg(h.pod("probe"), corev1.PodReady)),
		"a message naming one container is the kubelet's shared one")

	// probe runs (unready), then turns Ready: the second write has the
	// first's running state and podIPs, in its own room (podVersion):
	// nothing in it keeps the first version alive.
	var running *corev1.Pod
	for range 300 {
		h.run(100 * time.Millisecond)
		p := h.pod("probe")
		if p.Status.Phase == corev1.PodRunning && running == nil {
			running = p
		}
		if len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].Ready {
			require.NotNil(t, running)
			require.NotSame(t, running, p)
			v := (*podVersion)(unsafe.Pointer(p))
			require.Equal(t, running.Status.ContainerStatuses[0].State.Running, p.Status.ContainerStatuses[0].State.Running)
			require.Same(t, &v.running, p.Status.ContainerStatuses[0].State.Running)
			require.Equal(t, running.Status.PodIPs, p.Status.PodIPs)
			require.Same(t, &v.ips[0], &p.Status.PodIPs[0])
			require.Equal(t, 1, cap(p.Status.PodIPs))
			require.Equal(t, p.Status.PodIP, p.Status.PodIPs[0].IP)
			require.Equal(t, "none", msg(p, "nothing"))
			require.Empty(t, msg(p, corev1.PodReady))
			multi = h.pod("multi")
			require.Equal(t, corev1.PodRunning, multi.Status.Phase)
			require.Empty(t, msg(multi, corev1.PodInitialized))
			return
		}
	}
	t.Fatal("probe never turned Ready")
}

// TestWatchEchoesFindTheirPodState: the watch brings back each version
// the kubelet's status writes stored, and each finds its podState among
// the written ones (takeWritten) rather than by UID, emptying its entry;
// a forgotten pod's entry is not used.
func TestWatchEchoesFindTheirPodState(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("a", nil)
	h.runPod("b", nil)
	for h.pod("b").Status.HostIP == "" {
		h.run(50 * time.Microsecond)
	}
	written := 0
	for _, w := range h.k.writtenPods {
		if w != nil {
			written++
		}
	}
	require.Equal(t, 2, written, "the Pending writes, their echoes not yet delivered")
	h.run(5 * time.Second)
	require.Equal(t, corev1.PodRunning, h.pod("a").Status.Phase)
	require.Equal(t, [len(h.k.writtenPods)]*corev1.Pod{}, h.k.writtenPods, "every echo came back")
	require.Equal(t, [len(h.k.writtenStates)]*podState{}, h.k.writtenStates, "every echo came back")

	a := h.pod("a")
	p := h.k.podOf(a)
	h.k.noteWritten(p, a)
	require.Same(t, p, h.k.takeWritten(a))
	require.Nil(t, h.k.takeWritten(a), "taken once")
	h.k.noteWritten(p, a)
	p.forget()
	require.Nil(t, h.k.takeWritten(a), "a forgotten pod")
}

// TestStatusListsCappedAtTheirLength: a status write cuts the conditions
// and container statuses of the usual pod from the room beside its Pod
// (podVersion) and makes the others' apart; either way each list's
// capacity is its length, as a list made for it, so that an append to a
// stored version's list copies it rather than writing into the memory
// beside it.
func TestStatusListsCappedAtTheirLength(t *testing.T) {
	for _, tc := range []struct {
		name       string
		containers []corev1.Container
		extraConds int // conditions of others' types beyond PodScheduled
		condsInRoom,
		ctrsInRoom bool
	}{
		{"one container", []corev1.Container{{Name: "web", Image: "nginx:1.27"}}, 0, true, true},
		{"two containers", []corev1.Container{{Name: "web", Image: "nginx:1.27"}, {Name: "log", Image: "nginx:1.27"}}, 0, true, false},
		{"a sixth condition", []corev1.Container{{Name: "web", Image: "nginx:1.27"}}, 1, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, true)
			h.runPod("web", func(p *corev1.Pod) { p.Spec.Containers = tc.containers })
			h.run(5 * time.Second)
			for range tc.extraConds {
				cur := h.pod("web").DeepCopy()
				cur.Status.Conditions = append(cur.Status.Conditions, corev1.PodCondition{Type: "example.com/gate", Status: corev1.ConditionTrue})
				_, err := h.Admin.UpdateStatus(cur)
				require.NoError(t, err)
				h.run(time.Second)
			}
			p := h.k.podOf(h.pod("web"))
			p.ctrs[0].ready = !p.ctrs[0].ready
			h.k.flushPod(p)
			st := &h.pod("web").Status
			require.Len(t, st.Conditions, 5+tc.extraConds)
			require.Len(t, st.ContainerStatuses, len(tc.containers))
			require.Equal(t, len(st.Conditions), cap(st.Conditions))
			require.Equal(t, len(st.ContainerStatuses), cap(st.ContainerStatuses))
			v := (*podVersion)(unsafe.Pointer(h.pod("web")))
			require.Equal(t, tc.condsInRoom, &st.Conditions[0] == &v.conds[0], "conditions in the version's room")
			require.Equal(t, tc.ctrsInRoom, &st.ContainerStatuses[0] == &v.ctrs[0], "container statuses in the version's room")
		})
	}
}

// TestQOSMemo: the memo gives qosClass for every spec, and answers from
// what it holds only a spec of one container (no init container) whose
// requests and limits are the maps it holds.
func TestQOSMemo(t *testing.T) {
	req := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}
	lim := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}
	one := func(req, lim corev1.ResourceList) *corev1.PodSpec {
		return &corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{Requests: req, Limits: lim}}}}
	}
	withInit := one(req, nil)
	withInit.InitContainers = []corev1.Container{{Name: "init", Resources: corev1.ResourceRequirements{Requests: req, Limits: lim}}}
	two := one(req, nil)
	two.Containers = append(two.Containers, corev1.Container{Name: "b", Resources: corev1.ResourceRequirements{Limits: lim}})
	tests := []struct {
		name string
		spec *corev1.PodSpec
		want corev1.PodQOSClass
		hit  bool // answered from the memo, as left by the row before
	}{
		{"first", one(req, nil), corev1.PodQOSBurstable, false},
		{"same lists", one(req, nil), corev1.PodQOSBurstable, true},
		{"same requests, limits added", one(req, lim), corev1.PodQOSGuaranteed, false},
		{"same lists again", one(req, lim), corev1.PodQOSGuaranteed, true},
		{"equal limits, another map", one(req, maps.Clone(lim)), corev1.PodQOSGuaranteed, false},
		{"an init container", withInit, corev1.PodQOSBurstable, false},
		{"two containers", two, corev1.PodQOSBurstable, false},
		{"no lists", one(nil, nil), corev1.PodQOSBestEffort, false},
		{"no lists again", one(nil, nil), corev1.PodQOSBestEffort, true},
	}
	var m qosMemo
	for _, tt := range tests {
		// A copy of the memo whose answer is marked: a spec answered from
		// it gets the mark, one computed does not.
		marked := m
		if marked.qos != "" {
			marked.qos = "marked"
		}
		if got := marked.of(tt.spec); (got == "marked") != tt.hit {
			t.Fatalf("%s: answered from the memo %v, want %v", tt.name, got == "marked", tt.hit)
		}
		require.Equal(t, tt.want, m.of(tt.spec), tt.name)
	}
}
