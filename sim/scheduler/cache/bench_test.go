package cache_test

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"

	. "github.com/kubesim/kubesim/sim/scheduler/cache"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

// BenchmarkAddRemovePods accounts 30,000 pods of 300 apps (two labels
// each, one labels map per app, as pods made from one template share
// theirs) on 1,000 nodes, then forgets them: the label and namespace
// indexes' cost per pod.
func BenchmarkAddRemovePods(b *testing.B) {
	const nodes, apps, per = 1000, 300, 100
	var pods []*corev1.Pod
	for a := range apps {
		labels := map[string]string{"app": fmt.Sprint("app-", a), "pod-template-hash": "abc12"}
		for i := range per {
			p := st.Pod(fmt.Sprintf("app-%d-%d", a, i)).Node(fmt.Sprint("n-", (a*per+i)%nodes)).Obj()
			p.Labels = labels
			pods = append(pods, p)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c := New()
		for n := range nodes {
			c.AddNode(st.Node(fmt.Sprint("n-", n), "16", "64Gi", 110).Obj())
		}
		for _, p := range pods {
			c.AddPod(p)
		}
		for _, p := range pods {
			c.RemovePod(p)
		}
	}
}
