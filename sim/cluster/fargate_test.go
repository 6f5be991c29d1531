package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/cloud"
)

func newFargateCluster(t *testing.T) *Cluster {
	t.Helper()
	c, err := New(Config{Seed: 1, EtcdMembers: 1, Addons: true,
		NodeGroups:      []NodeGroup{{Name: "ng", InstanceType: "m5.large", Count: 1}},
		FargateProfiles: []cloud.FargateProfile{{Name: "jobs", Selectors: []cloud.FargateSelector{{Namespace: "batch", Labels: map[string]string{"tier": "jobs"}}}}}})
	require.NoError(t, err)
	t.Cleanup(c.Etcd.Close)
	err = apiservertest.Namespace(c.Client("test"), "batch")
	require.NoError(t, err)
	return c
}

func fargateTestPod(name string, labels map[string]string, cpu, mem string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "batch", Name: name, Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27", Resources: requests(cpu, mem)}}}}
}

func getPod(c *Cluster, name string) *corev1.Pod {
	o, ok := c.Store.Get("Pod", "batch", name)
	if !ok {
		return nil
	}
	return o.(*corev1.Pod)
}

// A pod a profile selects gets its own fargate-ip-… node sized by
// Fargate's table, bound by fargate-scheduler once the node is Ready; a
// pod without the profile's labels stays with the default scheduler; the
// node goes when the pod does, and the pod's time is billed at Fargate's
// vCPU and GB prices.
func TestFargateProfileRunsEachPodOnItsOwnNode(t *testing.T) {
	c := newFargateCluster(t)
	cl := c.Client("test")
	_, err := cl.Create(fargateTestPod("job", map[string]string{"tier": "jobs"}, "250m", "512Mi"))
	require.NoError(t, err)
	_, err = cl.Create(fargateTestPod("web", map[string]string{"tier": "web"}, "100m", "64Mi"))
	require.NoError(t, err)

	job := getPod(c, "job")
	require.Equal(t, cloud.FargateSchedulerName, job.Spec.SchedulerName, "the webhook hands it to fargate-scheduler")
	require.Equal(t, "jobs", job.Labels[cloud.LabelFargateProfile])
	require.Equal(t, corev1.DefaultSchedulerName, getPod(c, "web").Spec.SchedulerName)

	require.True(t, c.Engine.RunWhile(2*time.Minute, func() bool {
		p := getPod(c, "job")
		return p.Status.Phase != corev1.PodRunning
	}), "the Fargate pod runs within 2 minutes")
	job = getPod(c, "job")
	require.True(t, strings.HasPrefix(job.Spec.NodeName, "fargate-ip-"), job.Spec.NodeName)
	require.Equal(t, "0.25vCPU 1GB", job.Annotations[cloud.AnnotationCapacityProvisioned], "512Mi + 256Mi rounds up to 1GB")
	o, ok := c.Store.Get("Node", "", job.Spec.NodeName)
	require.True(t, ok)
	node := o.(*corev1.Node)
	require.Equal(t, "fargate", node.Labels[cloud.LabelComputeType])
	require.Equal(t, "jobs", node.Labels[cloud.LabelFargateProfile])
	require.Contains(t, node.Spec.Taints, corev1.Taint{Key: cloud.LabelComputeType, Value: "fargate", Effect: corev1.TaintEffectNoSchedule})
	require.Equal(t, "250m", node.Status.Allocatable.Cpu().String())
	require.Equal(t, "1Gi", node.Status.Allocatable.Memory().String())
	var onNode []string
	for _, p := range c.Store.List("Pod", "") {
		if p.(*corev1.Pod).Spec.NodeName == node.Name {
			onNode = append(onNode, p.GetName())
		}
	}
	require.Equal(t, []string{"job"}, onNode, "the add-on DaemonSets stay off Fargate nodes")
	require.Equal(t, "ng-1", getPod(c, "web").Spec.NodeName)

	in, ok := c.EC2.Instance(node.Name)
	require.True(t, ok)
	require.InDelta(t, 0.25*0.04048+1*0.004445, in.PricePerHour, 1e-12)
	require.Equal(t, cloud.FargateCapacityType, in.CapacityType)

	require.NoError(t, cl.Delete("Pod", "batch", "job", apiserver.DeleteOptions{}))
	name := node.Name
	require.True(t, c.Engine.RunWhile(c.Engine.Elapsed()+2*time.Minute, func() bool {
		_, ok := c.Store.Get("Node", "", name)
		return ok
	}), "the node goes with its pod")
	require.Contains(t, []cloud.InstanceState{cloud.ShuttingDown, cloud.Terminated}, in.State, "the micro-VM is stopped")
	sum := c.Cost.Summary()
	require.Greater(t, sum.ByCapacityType[cloud.FargateCapacityType], 0.0)
}

// A pod larger than Fargate's largest size stays Pending with a warning.
func TestFargateRefusesAPodTooLarge(t *testing.T) {
	c := newFargateCluster(t)
	_, err := c.Client("test").Create(fargateTestPod("huge", map[string]string{"tier": "jobs"}, "32", "1Gi"))
	require.NoError(t, err)
	c.Engine.RunUntil(c.Engine.Elapsed() + time.Minute)
	require.Equal(t, "", getPod(c, "huge").Spec.NodeName)
	var msgs []string
	for _, o := range c.Store.List("Event", "batch") {
		ev := o.(*corev1.Event)
		if ev.InvolvedObject.Name == "huge" {
			msgs = append(msgs, ev.Reason+": "+ev.Message)
		}
	}
	require.Len(t, msgs, 1)
	require.Contains(t, msgs[0], "FailedScheduling: Pod not supported on Fargate: requests of 32000m CPU")
	require.Len(t, c.Nodes(), 1, "no machine is started for it")
}
