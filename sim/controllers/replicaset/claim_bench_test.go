package replicaset

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
)

// BenchmarkSyncAfterPodChange is a sync of one of 300 ReplicaSets of 100
// running pods after one of its pods lost or regained readiness, in
// turn through all of them (the pods are cold, as at scale): a
// ReplicaSet's sync per pod event is the controller's main cost. Each op
// writes the pod too. go test -bench SyncAfterPodChange -benchmem.
func BenchmarkSyncAfterPodChange(b *testing.B) {
	const sets, replicas = 300, 100
	w := fake.New(1)
	for i := range sets {
		if _, err := w.Admin.Create(newRS(fmt.Sprintf("web%03d", i), replicas)); err != nil {
			b.Fatal(err)
		}
	}
	c := New(w.Engine, w.Server.Client(Name), controllerutil.DefaultConfig())
	c.Start()
	for i := range 20 {
		w.AddNode(fmt.Sprintf("n%02d", i), nil)
	}
	w.RunScheduler()
	w.RunKubelet()
	w.Run(time.Minute)
	if _, avail := w.CountPods(nil); avail != sets*replicas {
		b.Fatalf("%d pods available, want %d", avail, sets*replicas)
	}
	pods := map[string][]string{}
	for _, p := range w.Pods() {
		rs := p.OwnerReferences[0].Name
		pods[rs] = append(pods[rs], p.Name)
	}
	i := 0
	for b.Loop() {
		rs, n := fmt.Sprintf("web%03d", i%sets), i/sets%replicas
		i++
		o, _ := w.Store.Get("Pod", "default", pods[rs][n])
		p := o.(*corev1.Pod).DeepCopy()
		for j := range p.Status.Conditions {
			if p.Status.Conditions[j].Type == corev1.PodReady {
				p.Status.Conditions[j].Status = map[corev1.ConditionStatus]corev1.ConditionStatus{
					corev1.ConditionTrue: corev1.ConditionFalse, corev1.ConditionFalse: corev1.ConditionTrue}[p.Status.Conditions[j].Status]
			}
		}
		if _, err := w.Admin.UpdateStatus(p); err != nil {
			b.Fatal(err)
		}
		if err := c.sync("default/" + rs); err != nil {
			b.Fatal(err)
		}
	}
}
