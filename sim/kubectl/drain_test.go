package kubectl

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// drainFixture: node n1 runs two ReplicaSet pods of app=web, a DaemonSet
// pod and a mirror pod; n2 is empty.
func drainFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.node("n1")
	f.node("n2")
	f.create(&appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "ds", Namespace: "kube-system"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "tmpl"}},
			Template: f.deployment("tmpl", 0).Spec.Template,
		},
	})
	web := map[string]string{"app": "web"}
	f.pod("web-1", podOpts{node: "n1", ownerKind: "ReplicaSet", ownerName: "web-rs", labels: web, ready: true})
	f.pod("web-2", podOpts{node: "n1", ownerKind: "ReplicaSet", ownerName: "web-rs", labels: web, ready: true})
	f.pod("ds-1", podOpts{ns: "kube-system", node: "n1", ownerKind: "DaemonSet", ownerName: "ds", ready: true})
	f.pod("kube-proxy-n1", podOpts{ns: "kube-system", node: "n1", mirror: true, ready: true})
	f.fakeKubelet(2 * time.Second)
	return f
}

func TestDrain(t *testing.T) {
	f := drainFixture(t)
	out, err := f.run("drain n1 --ignore-daemonsets")
	require.NoError(t, err)
	require.Equal(t, "node/n1 cordoned\n"+
		"Warning: ignoring DaemonSet-managed Pods: kube-system/ds-1\n"+
		"evicting pod default/web-1\n"+
		"evicting pod default/web-2\n", out)
	require.True(t, f.getNode("n1").Spec.Unschedulable)
	require.Zero(t, f.dones, "Done is never called from inside Run")

	f.Engine.RunWhile(time.Minute, func() bool { return f.dones == 0 })
	require.Equal(t, 1, f.dones)
	require.NoError(t, f.doneErr)
	require.Equal(t, "pod/web-1 evicted\npod/web-2 evicted\nnode/n1 drained\n", f.doneOut)
	require.Equal(t, 2*time.Second, f.Engine.Elapsed(), "drained once the kubelet removed the pods")
	_, ok := f.Store.Get("Pod", "kube-system", "ds-1")
	require.True(t, ok, "DaemonSet pods stay")
	_, ok = f.Store.Get("Pod", "kube-system", "kube-proxy-n1")
	require.True(t, ok, "mirror pods stay")
}

func TestDrainEmptyNode(t *testing.T) {
	f := drainFixture(t)
	out, err := f.run("drain no/n2")
	require.NoError(t, err)
	require.Equal(t, "node/n2 cordoned\n", out)
	f.Engine.RunUntil(0)
	require.Equal(t, 1, f.dones)
	require.Equal(t, "node/n2 drained\n", f.doneOut)
}

func TestDrainRefusals(t *testing.T) {
	tests := []struct {
		name, line, want string
		setup            func(f *fixture)
	}{
		{name: "daemonset", line: "drain n1",
			want: `error: unable to drain node "n1" due to error:cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): kube-system/ds-1, continuing command...` +
				"\nThere are pending nodes to be drained:\n n1\ncannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): kube-system/ds-1"},
		{name: "unmanaged and local storage", line: "drain n1 --ignore-daemonsets",
			setup: func(f *fixture) {
				f.pod("bare", podOpts{node: "n1"})
				f.pod("scratch", podOpts{node: "n1", ownerKind: "ReplicaSet", ownerName: "x", emptyDir: true})
			},
			want: `error: unable to drain node "n1" due to error:[cannot delete Pods that declare no controller (use --force to override): default/bare, ` +
				`cannot delete Pods with local storage (use --delete-emptydir-data to override): default/scratch], continuing command...` +
				"\nThere are pending nodes to be drained:\n n1\n" +
				"[cannot delete Pods that declare no controller (use --force to override): default/bare, cannot delete Pods with local storage (use --delete-emptydir-data to override): default/scratch]"},
		{name: "missing node", line: "drain nope", want: `Error from server (NotFound): nodes "nope" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := drainFixture(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			_, err := f.run(tt.line)
			require.EqualError(t, err, tt.want)
			f.Engine.RunUntil(time.Minute)
			require.Zero(t, f.dones)
			_, ok := f.Store.Get("Pod", "default", "web-1")
			require.True(t, ok, "nothing is evicted when drain refuses")
		})
	}
}

func TestDrainForceWarns(t *testing.T) {
	f := drainFixture(t)
	f.pod("bare", podOpts{node: "n1"})
	out, err := f.run("drain n1 --ignore-daemonsets --force")
	require.NoError(t, err)
	require.Contains(t, out, "Warning: deleting Pods that declare no controller: default/bare; ignoring DaemonSet-managed Pods: kube-system/ds-1\n")
	require.Contains(t, out, "evicting pod default/bare\n")
	f.Engine.RunUntil(time.Minute)
	require.Equal(t, 1, f.dones)
	require.Equal(t, "pod/bare evicted\npod/web-1 evicted\npod/web-2 evicted\nnode/n1 drained\n", f.doneOut)
}

const pdbRetry = `error when evicting pods/"%s" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.` + "\n"

func retryLines(pods ...string) string {
	s := ""
	for _, p := range pods {
		s += "evicting pod default/" + p + "\n" + sprintf(pdbRetry, p)
	}
	return s
}

func TestDrainBlockedByPDB(t *testing.T) {
	f := drainFixture(t)
	f.pdb("web", map[string]string{"app": "web"}, 2)
	var progress string
	f.env.Progress = func(s string) { progress += s }

	out, err := f.run("drain n1 --ignore-daemonsets")
	require.NoError(t, err)
	require.Equal(t, "node/n1 cordoned\nWarning: ignoring DaemonSet-managed Pods: kube-system/ds-1\n"+retryLines("web-1", "web-2"), out)

	// The budget opens at 12 s: the retries at 5 s and 10 s fail, the one
	// at 15 s succeeds.
	f.Engine.At(12*time.Second, "test/relax-pdb", func() {
		o, _ := f.Store.Get("PodDisruptionBudget", "default", "web")
		p := o.(*policyv1.PodDisruptionBudget).DeepCopy()
		zero := intstr.FromInt(0)
		p.Spec.MinAvailable = &zero
		_, err := f.Admin.Update(p)
		require.NoError(t, err)
	})
	f.Engine.RunWhile(time.Minute, func() bool { return f.dones == 0 })
	require.Equal(t, 1, f.dones)
	require.NoError(t, f.doneErr)
	want := retryLines("web-1", "web-2") + retryLines("web-1", "web-2") +
		"evicting pod default/web-1\nevicting pod default/web-2\npod/web-1 evicted\npod/web-2 evicted\nnode/n1 drained\n"
	require.Equal(t, want, f.doneOut)
	require.Equal(t, want, progress, "Progress streams the same output")
	require.Equal(t, 17*time.Second, f.Engine.Elapsed(), "evicted at 15 s, gone 2 s later")
}

func TestDrainTimeout(t *testing.T) {
	f := drainFixture(t)
	f.pdb("web", map[string]string{"app": "web"}, 2)
	_, err := f.run("drain n1 --ignore-daemonsets --timeout=12s")
	require.NoError(t, err)
	f.Engine.RunUntil(time.Minute)
	require.Equal(t, 1, f.dones)
	require.Equal(t, retryLines("web-1", "web-2")+retryLines("web-1", "web-2")+
		"evicting pod default/web-1\nevicting pod default/web-2\n", f.doneOut)
	agg := `[error when evicting pods/"web-1" -n "default": global timeout reached: 12s, error when evicting pods/"web-2" -n "default": global timeout reached: 12s]`
	require.EqualError(t, f.doneErr, `There are pending pods in node "n1" when an error occurred: `+agg+"\npod/web-1\npod/web-2\n"+
		`error: unable to drain node "n1" due to error:`+agg+", continuing command...\nThere are pending nodes to be drained:\n n1\n"+agg)
	require.True(t, f.getNode("n1").Spec.Unschedulable, "the node stays cordoned")
}

func TestDrainWaitTimeout(t *testing.T) {
	// No kubelet: the evicted pod stays Terminating and the wait for it
	// to go times out.
	f := newFixture(t)
	f.node("n1")
	f.pod("web-1", podOpts{node: "n1", ownerKind: "ReplicaSet", ownerName: "rs", ready: true})
	_, err := f.run("drain n1 --timeout=3500ms")
	require.NoError(t, err)
	f.Engine.RunWhile(time.Minute, func() bool { return f.dones == 0 })
	require.Equal(t, 1, f.dones)
	require.Equal(t, 3500*time.Millisecond, f.Engine.Elapsed(), "the wait ends at the deadline, not at the next poll")
	require.ErrorContains(t, f.doneErr, `error when waiting for pod "web-1" in namespace "default" to terminate: context deadline exceeded`)
}

func TestDrainDisableEviction(t *testing.T) {
	f := drainFixture(t)
	f.pdb("web", map[string]string{"app": "web"}, 2)
	out, err := f.run("drain n1 --ignore-daemonsets --disable-eviction --grace-period=1")
	require.NoError(t, err)
	require.NotContains(t, out, "evicting")
	o, _ := f.Store.Get("Pod", "default", "web-1")
	require.EqualValues(t, 1, *o.GetDeletionGracePeriodSeconds(), "deleted with --grace-period, ignoring the PDB")
	f.Engine.RunUntil(time.Minute)
	require.Equal(t, "pod/web-1 deleted\npod/web-2 deleted\nnode/n1 drained\n", f.doneOut)
}
