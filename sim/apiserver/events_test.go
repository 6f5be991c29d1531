package apiserver_test

import (
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
)

func events(f *fixture, ns string) []*corev1.Event {
	var out []*corev1.Event
	for _, o := range f.Store.List("Event", ns) {
		out = append(out, o.(*corev1.Event))
	}
	return out
}

func TestEventFields(t *testing.T) {
	f := newFixture(t, 1)
	f.node("node-1")
	pod := f.create(newPod("p")).(*corev1.Pod)
	f.advance(5 * time.Second)
	f.Server.Client("kubelet/node-1").Event(pod, corev1.EventTypeNormal, "Pulled", `Container image "nginx:1.27" already present on machine`)

	evs := events(f, "default")
	require.Len(t, evs, 1)
	ev := evs[0]
	now := metav1.NewTime(sim.Epoch.Add(5 * time.Second))
	require.Equal(t, corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: "default", Name: "p",
		UID: pod.UID, ResourceVersion: pod.ResourceVersion}, ev.InvolvedObject)
	require.Equal(t, "default", ev.Namespace)
	require.Equal(t, "Pulled", ev.Reason)
	require.Equal(t, `Container image "nginx:1.27" already present on machine`, ev.Message)
	require.Equal(t, corev1.EventTypeNormal, ev.Type)
	require.Equal(t, int32(1), ev.Count)
	require.Equal(t, corev1.EventSource{Component: "kubelet"}, ev.Source)
	require.Equal(t, "kubelet", ev.ReportingController)
	require.True(t, ev.FirstTimestamp.Equal(&now))
	require.True(t, ev.LastTimestamp.Equal(&now))
	require.True(t, ev.CreationTimestamp.Equal(&now))
	require.Regexp(t, uidRE, string(ev.UID))
	require.Regexp(t, `^p\.[0-9a-f]+$`, ev.Name)

	last := f.last()
	require.Equal(t, "kubelet/node-1", last.Component)
	require.Equal(t, "event", last.Verb)
	require.Equal(t, "Event", last.Kind)
	require.Equal(t, `Normal Pulled: Container image "nginx:1.27" already present on machine`, last.Summary)
}

func TestEventSourceComponent(t *testing.T) {
	tests := []struct{ client, want string }{
		{"kubelet/node-1", "kubelet"},
		{"default-scheduler", "default-scheduler"},
		{"deployment-controller", "deployment-controller"},
		{"a/b/c", "a"},
	}
	for _, tc := range tests {
		f := newFixture(t, 1)
		pod := f.create(newPod("p"))
		f.Server.Client(tc.client).Event(pod, corev1.EventTypeWarning, "R", "m")
		evs := events(f, "default")
		require.Len(t, evs, 1)
		require.Equal(t, tc.want, evs[0].Source.Component, tc.client)
	}
}

func TestEventDedup(t *testing.T) {
	f := newFixture(t, 1)
	pod := f.create(newPod("p"))
	kubelet := f.Server.Client("kubelet/node-1")
	kubelet.Event(pod, corev1.EventTypeWarning, "BackOff", "Back-off restarting failed container")
	first := events(f, "default")[0]

	steps := []struct {
		at      time.Duration
		count   int32
		summary string
	}{
		{10 * time.Second, 2, "Warning BackOff x2: Back-off restarting failed container"},
		{40 * time.Second, 3, "Warning BackOff x3: Back-off restarting failed container"},
	}
	for _, s := range steps {
		f.Engine.RunUntil(s.at)
		rev := f.Store.Rev()
		kubelet.Event(pod, corev1.EventTypeWarning, "BackOff", "Back-off restarting failed container")
		evs := events(f, "default")
		require.Len(t, evs, 1)
		ev := evs[0]
		require.Equal(t, first.Name, ev.Name)
		require.Equal(t, first.UID, ev.UID)
		require.Equal(t, s.count, ev.Count)
		require.True(t, ev.FirstTimestamp.Time.Equal(sim.Epoch), "first timestamp kept")
		require.True(t, ev.LastTimestamp.Time.Equal(sim.Epoch.Add(s.at)))
		require.Equal(t, rev+1, f.Store.Rev())
		require.Equal(t, "event", f.last().Verb)
		require.Equal(t, s.summary, f.last().Summary)
	}
	// The earlier version in the store is untouched (objects are immutable).
	require.Equal(t, int32(1), first.Count)

	// Anything different is a new event.
	variants := []struct {
		name string
		emit func()
	}{
		{"other message", func() { kubelet.Event(pod, corev1.EventTypeWarning, "BackOff", "other") }},
		{"other reason", func() { kubelet.Event(pod, corev1.EventTypeWarning, "Failed", "Back-off restarting failed container") }},
		{"other type", func() { kubelet.Event(pod, corev1.EventTypeNormal, "BackOff", "Back-off restarting failed container") }},
		{"other component", func() {
			f.Server.Client("kubelet/node-2").Event(pod, corev1.EventTypeWarning, "BackOff", "Back-off restarting failed container")
		}},
	}
	for i, v := range variants {
		v.emit()
		require.Len(t, events(f, "default"), i+2, v.name)
	}
}

func TestEventForClusterScopedObject(t *testing.T) {
	f := newFixture(t, 1)
	node := f.create(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}})
	f.Server.Client("node-controller").Event(node, corev1.EventTypeNormal, "RegisteredNode", "Node node-1 event: Registered Node node-1 in Controller")
	evs := events(f, "default")
	require.Len(t, evs, 1)
	require.Equal(t, "default", evs[0].Namespace)
	require.Equal(t, "", evs[0].InvolvedObject.Namespace)
	require.Equal(t, "Node", evs[0].InvolvedObject.Kind)
	require.Equal(t, "node-1", evs[0].InvolvedObject.Name)
}

// Events are still written into a namespace being deleted: admission
// exempts them, so the last events of its pods are not lost.
func TestEventInTerminatingNamespace(t *testing.T) {
	f := newFixture(t, 1)
	require.NoError(t, apiservertest.Namespace(f.Admin, "team"))
	p := newPod("p")
	p.Namespace = "team"
	pod := f.create(p)
	require.NoError(t, f.Admin.Delete("Namespace", "", "team", apiserver.DeleteOptions{}))
	f.Server.Client("kubelet/n1").Event(pod, corev1.EventTypeNormal, "Killing", "Stopping container app")
	evs := events(f, "team")
	require.Len(t, evs, 1)
	require.Equal(t, "Killing", evs[0].Reason)
}

// Events at the same instant about the same object never collide on name.
func TestEventNamesAreUnique(t *testing.T) {
	f := newFixture(t, 1)
	pod := f.create(newPod("p"))
	c := f.Server.Client("x")
	for _, r := range []string{"A", "B", "C", "D"} {
		c.Event(pod, corev1.EventTypeNormal, r, "same instant")
	}
	evs := events(f, "default")
	require.Len(t, evs, 4)
	seen := map[string]bool{}
	for _, e := range evs {
		require.False(t, seen[e.Name])
		seen[e.Name] = true
	}
}

// A ReplicaSet creating 100 pods writes what client-go's correlator lets
// through: the first nine "Created pod" events, then one aggregate event
// ("(combined from similar events): ...") counting the later ones, until
// the spam filter's burst of 25 writes about the ReplicaSet is spent; the
// filter refills one write per five minutes, and the count it then writes
// includes the dropped ones.
func TestEventAggregationAndSpamFilter(t *testing.T) {
	f := newFixture(t, 1)
	rs := f.create(newPod("rs")) // any object stands for the owner
	c := f.Server.Client("replicaset-controller")
	for i := 0; i < 100; i++ {
		c.Event(rs, corev1.EventTypeNormal, "SuccessfulCreate", fmt.Sprintf("Created pod: rs-%d", i))
	}
	evs := events(f, "default")
	require.Len(t, evs, 10)
	var agg *corev1.Event
	for _, e := range evs {
		if strings.HasPrefix(e.Message, "(combined from similar events): ") {
			require.Nil(t, agg, "one aggregate event")
			agg = e
		} else {
			require.EqualValues(t, 1, e.Count, e.Message)
		}
	}
	require.NotNil(t, agg)
	require.EqualValues(t, 16, agg.Count, "writes 10 to 25 of the burst")
	require.Equal(t, "(combined from similar events): Created pod: rs-24", agg.Message)

	f.Engine.RunUntil(5 * time.Minute)
	c.Event(rs, corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: rs-100")
	got, ok := f.Store.Get("Event", "default", agg.Name)
	require.True(t, ok)
	require.EqualValues(t, 92, got.(*corev1.Event).Count, "the dropped events are counted")
	require.Equal(t, "(combined from similar events): Created pod: rs-100", got.(*corev1.Event).Message)
	require.Len(t, events(f, "default"), 10)

	// Ten minutes without a similar event start the aggregation afresh;
	// the scheduler (events/v1) neither aggregates nor filters.
	f.Engine.RunUntil(16 * time.Minute)
	c.Event(rs, corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: rs-101")
	require.Len(t, events(f, "default"), 11)
	sched := f.Server.Client("default-scheduler")
	for i := 0; i < 40; i++ {
		sched.Event(rs, corev1.EventTypeNormal, "Scheduled", fmt.Sprintf("Successfully assigned default/rs-%d to node-1", i))
	}
	require.Len(t, events(f, "default"), 51)
}

// processCPU is the process's user and system CPU time so far, all
// threads (the collector's included): on a shared machine a benchmark's
// wall time says little, its CPU time more.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The kubelet's three events about each new pod (as at scale: every pod
// is new, so nothing aggregates), a hundred pods an instant as a run
// writes them (each instant's writes then go to the log). Besides the
// bytes and objects allocated (B/op, allocs/op) and the CPU time of all
// threads, the collector's included (cpu-ns/op), all per pod (three
// events), it reports the bytes per event still held once they are
// written: the store's (encoding, entry, key, expiry) and the recorder's
// (its correlator's records).
func BenchmarkEventKubeletPodStart(b *testing.B) {
	w := apiservertest.NewWorld(1, "default") // the trace not kept, as in a run
	kubelet := w.Server.Client("kubelet/node-1")
	pods := make([]*corev1.Pod, b.N)
	for i := range pods {
		p := newPod(fmt.Sprintf("web-7d9f8c6b5-%06d", i))
		p.Namespace, p.UID, p.ResourceVersion = "default", types.UID(fmt.Sprintf("6f1c4a2e-0000-4000-8000-%012d", i)), "1234"
		pods[i] = p
	}
	for i := 0; i < len(pods); i += 100 {
		batch := pods[i:min(i+100, len(pods))]
		w.Engine.At(time.Duration(i+1)*time.Millisecond, "pods start", func() {
			for _, p := range batch {
				kubelet.Event(p, corev1.EventTypeNormal, "Pulled", `Container image "nginx:1.27" already present on machine`)
				kubelet.Event(p, corev1.EventTypeNormal, "Created", "Created container: app")
				kubelet.Event(p, corev1.EventTypeNormal, "Started", "Started container app")
			}
		})
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	w.Engine.RunUntil(time.Duration(len(pods)+1) * time.Millisecond)
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(3*b.N), "kept-B/event")
	require.Equal(b, 3*b.N, w.Store.Len("Event"))
	runtime.KeepAlive(w)
	runtime.KeepAlive(pods)
}

// An event written again about the same object counts on the stored one
// (Get, copy, Update: the recount path of a ReplicaSet's aggregated
// "Created pod" events and of a kubelet's repeats): each op is one
// recount, twenty events about each pod (the first creates it), within
// the spam filter's burst.
func BenchmarkEventRecount(b *testing.B) {
	w := apiservertest.NewWorld(1, "default")
	kubelet := w.Server.Client("kubelet/node-1")
	const per = 20
	pods := make([]*corev1.Pod, b.N/(per-1)+1)
	for i := range pods {
		p := newPod(fmt.Sprintf("web-7d9f8c6b5-%06d", i))
		p.Namespace, p.UID, p.ResourceVersion = "default", types.UID(fmt.Sprintf("6f1c4a2e-0000-4000-8000-%012d", i)), "1234"
		pods[i] = p
	}
	for i, p := range pods {
		w.Engine.At(time.Duration(i+1)*time.Millisecond, "pod events", func() {
			for range per {
				kubelet.Event(p, corev1.EventTypeNormal, "Pulled", `Container image "nginx:1.27" already present on machine`)
			}
		})
	}
	b.ReportAllocs()
	b.ResetTimer()
	w.Engine.RunUntil(time.Duration(len(pods)+1) * time.Millisecond)
	b.StopTimer()
	require.Equal(b, len(pods), w.Store.Len("Event"))
	ev, ok := w.Store.Get("Event", "default", w.Store.List("Event", "default")[0].GetName())
	require.True(b, ok)
	require.Equal(b, int32(per), ev.(*corev1.Event).Count)
}

// An event's trace summary is its type, reason and message, with " xN"
// once counted again and the aggregate prefix when aggregated; the line
// written without a kept record (as in a run) says the same as the one
// written with it.
func TestEventTraceSummary(t *testing.T) {
	var lines [2][]string
	for i, keep := range []bool{true, false} {
		w := apiservertest.NewWorld(1, "default")
		var out strings.Builder
		w.Engine.Trace().SetWriter(&out)
		if keep {
			w.Engine.Trace().Keep()
		}
		pod, err := w.Admin.Create(newPod("p"))
		require.NoError(t, err)
		kubelet, rs := w.Server.Client("kubelet/node-1"), w.Server.Client("replicaset-controller")
		kubelet.Event(pod, corev1.EventTypeNormal, "Pulled", `Image "a" present`)
		kubelet.Event(pod, corev1.EventTypeNormal, "Pulled", `Image "a" present`)
		for j := range 11 {
			rs.Event(pod, corev1.EventTypeNormal, "SuccessfulCreate", fmt.Sprintf("Created pod: p-%d", j))
		}
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if strings.Contains(l, `"v":"event"`) {
				lines[i] = append(lines[i], l[strings.Index(l, `"s":`):])
			}
		}
	}
	require.Equal(t, lines[0], lines[1])
	require.Equal(t, []string{
		`"s":"Normal Pulled: Image \"a\" present"}`,
		`"s":"Normal Pulled x2: Image \"a\" present"}`,
	}, lines[0][:2])
	require.Equal(t, `"s":"Normal SuccessfulCreate x2: (combined from similar events): Created pod: p-10"}`, lines[0][len(lines[0])-1])
}
