package live

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/store/storetest"
)

func TestDescribeLikeKubectl(t *testing.T) {
	s := newSession(t, "unschedulable-pod")
	require.NoError(t, s.RunFor(time.Minute))
	v := s.Snapshot()
	node := v.Nodes[0]
	d := s.Describe("Node", "", node.Name)
	require.Regexp(t, `^Name:\s+`+node.Name+`\n`, d)
	for _, want := range []string{"Taints:", "Conditions:", "Ready", "Allocatable:",
		"Non-terminated Pods:", "Allocated resources:", "cpu ", "Events:"} {
		require.Contains(t, d, want)
	}
	require.Regexp(t, `\n  cpu\s+\S+ \(\d+%\)`, d, "requests as a share of allocatable")

	require.NotEmpty(t, v.Pending)
	p := v.Pending[0]
	d = s.Describe("Pod", p.Namespace, p.Name)
	require.Regexp(t, `\nNode:\s+<none>\n`, d)
	require.Contains(t, d, "FailedScheduling", "the scheduler's event explains why it is pending")
	require.Contains(t, d, "default-scheduler")
	require.Regexp(t, `\nStatus:\s+Pending\n`, d)

	running := node.Pods[0]
	d = s.Describe("Pod", running.Namespace, running.Name)
	require.Regexp(t, `\nNode:\s+`+node.Name+`/\d+\.\d+`, d, "node/hostIP")
	require.Regexp(t, `\n    State:\s+Running\n`, d)

	for _, w := range v.Workloads {
		d = s.Describe(w.Kind, w.Namespace, w.Name)
		require.True(t, strings.HasPrefix(d, "Name:"), "%s/%s: %s", w.Kind, w.Name, d)
	}
	require.Equal(t, `Error from server (NotFound): nodes "nope" not found`, s.Describe("Node", "", "nope"))
}

// TestEveryKindDescribesAndDetails: the TUI's describe pane
// (Session.Describe) and the web drawer (Session.Detail) show an object
// of every kind the store holds, not just the workload kinds.
func TestEveryKindDescribesAndDetails(t *testing.T) {
	s := newSession(t, "node-failure")
	require.NoError(t, s.RunFor(10*time.Second))
	for _, kind := range store.Kinds() {
		if kind == "Event" {
			continue // events are the Events table, not an object to open
		}
		obj, err := storetest.Sample(kind)
		require.NoError(t, err, kind)
		var cerr error
		s.With(func(c *cluster.Cluster) { _, cerr = c.Client("test").Create(obj) })
		require.NoError(t, cerr, kind)
		ns := obj.GetNamespace()
		out := s.Describe(kind, ns, "sample")
		require.Regexp(t, `^Name:\s+sample\n`, out, kind)
		require.Contains(t, out, "Events:", kind)
		if ns != "" {
			require.Regexp(t, `\nNamespace:\s+`+ns+`\n`, out, kind)
		}
		d, err := s.Detail(kind, ns, "sample")
		require.NoError(t, err, kind)
		info, _ := store.LookupKind(kind)
		require.Contains(t, d.YAML, "apiVersion: "+info.GroupVersion.String()+"\n", kind)
		require.Contains(t, d.YAML, "kind: "+kind+"\n", kind)
	}
}

// TestDescribeStorageKinds: StorageClass, PVC and PV in kubectl's layout.
func TestDescribeStorageKinds(t *testing.T) {
	s := newSession(t, "node-failure")
	require.NoError(t, s.RunFor(10*time.Second))
	out := s.Describe("StorageClass", "", "gp3")
	require.Regexp(t, `IsDefaultClass:\s+Yes\n`, out)
	require.Regexp(t, `Provisioner:\s+ebs.csi.aws.com\n`, out)
	require.Regexp(t, `VolumeBindingMode:\s+WaitForFirstConsumer\n`, out)
	_, err := s.Do(Command{Verb: "apply", Manifest: `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 4Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: db}
spec:
  containers: [{name: db, image: nginx:1.27, volumeMounts: [{name: d, mountPath: /data}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
`})
	require.NoError(t, err)
	require.NoError(t, s.RunFor(60*time.Second))
	out = s.Describe("PersistentVolumeClaim", "default", "data")
	require.Regexp(t, `StorageClass:\s+gp3\n`, out)
	require.Regexp(t, `Status:\s+Bound\n`, out)
	require.Regexp(t, `Capacity:\s+4Gi\n`, out)
	require.Regexp(t, `Access Modes:\s+RWO\n`, out)
	require.Regexp(t, `Used By:\s+db\n`, out)
	require.Regexp(t, `Normal\s+ProvisioningSucceeded`, out)
	vol := regexpFind(t, `Volume:\s+(pvc-\S+)\n`, out)
	out = s.Describe("PersistentVolume", "", vol)
	require.Regexp(t, `Claim:\s+default/data\n`, out)
	require.Regexp(t, `Reclaim Policy:\s+Delete\n`, out)
	require.Regexp(t, `Status:\s+Bound\n`, out)
}

func regexpFind(t *testing.T, pattern, s string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	require.NotNil(t, m, "%s in:\n%s", pattern, s)
	return m[1]
}

func TestDetail(t *testing.T) {
	s := newSession(t, "node-failure")
	require.NoError(t, s.RunFor(3*time.Minute)) // general-1 failed at 2m: NotReady by now
	pod := s.Snapshot().Nodes[1].Pods[0]
	for _, tc := range []struct {
		kind, ns, name string
		yaml           []string
		condition      string // a condition type that must be there
		reason         string // an event reason that must be there
	}{
		{"Node", "", "general-1", []string{"apiVersion: v1", "kind: Node", "name: general-1"}, "Ready", "NodeNotReady"},
		{"Node", "ignored", "general-2", []string{"kind: Node"}, "MemoryPressure", "RegisteredNode"},
		{"Pod", pod.Namespace, pod.Name, []string{"kind: Pod", "name: " + pod.Name, "nodeName: general-2"}, "PodScheduled", "Scheduled"},
		{"Deployment", "", "web", []string{"apiVersion: apps/v1", "kind: Deployment"}, "Available", "ScalingReplicaSet"},
	} {
		d, err := s.Detail(tc.kind, tc.ns, tc.name)
		require.NoError(t, err, tc.name)
		for _, y := range tc.yaml {
			require.Contains(t, d.YAML, y, tc.name)
		}
		var types, reasons []string
		for _, c := range d.Conditions {
			types = append(types, c.Type)
		}
		for _, e := range d.Events {
			reasons = append(reasons, e.Reason)
			require.Contains(t, e.Object, "/"+tc.name, "only the object's own events")
		}
		require.Contains(t, types, tc.condition, tc.name)
		require.Contains(t, reasons, tc.reason, tc.name)
		for i := 1; i < len(d.Events); i++ {
			require.LessOrEqual(t, d.Events[i-1].Time, d.Events[i].Time, "oldest first")
		}
	}
	d, err := s.Detail("Node", "", "general-1")
	require.NoError(t, err)
	for _, c := range d.Conditions {
		if c.Type == "Ready" {
			require.Equal(t, "Unknown", c.Status, "the failed node stopped posting status")
			require.Greater(t, c.LastTransition, 2*time.Minute)
		}
	}

	_, err = s.Detail("Pod", "default", "nope")
	require.ErrorIs(t, err, ErrNoObject)
	_, err = s.Detail("Gadget", "", "x")
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrNoObject)
	_, err = s.Detail("Event", "default", "x")
	require.Error(t, err)
}

// TestEventIndexKeptFromTheStart: the session indexes events by involved
// object as they are written, so a drawer's first open finds a node's
// events without indexing the whole store then (438 ms at 200 nodes).
func TestEventIndexKeptFromTheStart(t *testing.T) {
	s := newSession(t, "node-failure")
	require.NoError(t, s.RunFor(3*time.Minute))
	var n int
	s.With(func(c *cluster.Cluster) {
		n = len(c.Store.ByIndex("Event", eventObjectIndex, "default/Node/general-1")) // before any Detail call
	})
	require.Positive(t, n, "general-1's events are indexed before any drawer asked")
	d, err := s.Detail("Node", "", "general-1")
	require.NoError(t, err)
	require.Len(t, d.Events, n, "the drawer reads the index")
}

func TestEtcdMembers(t *testing.T) {
	s := newSession(t, "demo")
	require.NoError(t, s.RunFor(30*time.Second))
	_, err := s.Do(Command{Verb: "etcd-stop", Member: "etcd-3"})
	require.NoError(t, err)
	require.NoError(t, s.RunFor(10*time.Second))
	ms, err := s.EtcdMembers()
	require.NoError(t, err)
	require.Len(t, ms, 3)
	require.Equal(t, "leader", ms[0].State)
	require.Equal(t, "down", ms[2].State)
	require.NotEmpty(t, ms[0].Zone)
	require.Positive(t, ms[0].AppliedIndex)
	require.Greater(t, ms[0].AppliedIndex, ms[2].AppliedIndex, "the stopped member fell behind")
	require.NoError(t, s.RunFor(time.Minute))

	plain := newSession(t, "demo") // the same story, nobody looking
	require.NoError(t, plain.RunFor(30*time.Second))
	_, err = plain.Do(Command{Verb: "etcd-stop", Member: "etcd-3"})
	require.NoError(t, err)
	require.NoError(t, plain.RunFor(70*time.Second))
	require.Equal(t, plain.Snapshot().TraceHash, s.Snapshot().TraceHash, "reading the status changes nothing")
}

// TestExplainInASession: the node-failure story is told for a live
// session's replacement pod, and again after travelling back in time
// (the rebuilt cluster has its own recorder), and an unknown object gets
// a sentence, not a panic.
func TestExplainInASession(t *testing.T) {
	s := newSession(t, "node-failure")
	require.NoError(t, s.RunFor(9*time.Minute))
	replacement := func() PodView {
		var newest PodView
		for _, n := range s.Snapshot().Nodes {
			for _, p := range n.Pods {
				if strings.HasPrefix(p.Name, "web-") && p.Created > newest.Created {
					newest = p
				}
			}
		}
		require.Greater(t, newest.Created, 7*time.Minute, "a replacement pod exists after the eviction")
		return newest
	}
	pod := replacement()
	text := s.ExplainText("Pod", pod.Namespace, pod.Name)
	for _, want := range []string{"chaos fail node/", "ready=Unknown", "unreachable:NoExecute", "taint-eviction-controller delete pod/", "replicaset", "bind pod/" + pod.Name, "tolerationSeconds"} {
		require.Contains(t, text, want, "%q in the chain:\n%s", want, text)
	}

	require.NoError(t, s.Rewind(8*time.Minute+30*time.Second))
	require.NoError(t, s.RunFor(30*time.Second))
	pod = replacement()
	require.Contains(t, s.ExplainText("Pod", pod.Namespace, pod.Name), "unreachable:NoExecute", "after a rewind")

	require.Equal(t, "nothing recorded about pod/nope in the recent trace", s.ExplainText("Pod", "default", "nope"))
}

// TestConditionsOfEveryKind: a detail lists the status conditions of any
// kind that has them (a Job's, as the API serves it, here), their
// transitions in virtual time.
func TestConditionsOfEveryKind(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	job := `{"kind": "Job", "status": {"succeeded": 1, "conditions": [
	  {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached", "lastProbeTime": "2026-01-01T00:01:30Z", "lastTransitionTime": "2026-01-01T00:01:30Z"},
	  {"type": "Complete", "status": "True", "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods"}]}}`
	conds, err := conditionsOf([]byte(job), start)
	require.NoError(t, err)
	require.Equal(t, []ConditionView{
		{Type: "SuccessCriteriaMet", Status: "True", Reason: "CompletionsReached", LastTransition: 90 * time.Second},
		{Type: "Complete", Status: "True", Reason: "CompletionsReached", Message: "Reached expected number of succeeded pods"},
	}, conds)
}
