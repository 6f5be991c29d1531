package persistentvolume_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/cluster"
)

// TestWaitForFirstConsumerBindsThePodAfterTheVolume: a claim of the
// default gp3 class (WaitForFirstConsumer) waits for its pod; the
// scheduler picks the pod's node and annotates the claim, the EBS CSI
// driver provisions the volume in that node's zone, and only once the
// claim is bound is the pod bound to the node (VolumeBinding's PreBind
// waits), so the Scheduled event follows ProvisioningSucceeded.
func TestWaitForFirstConsumerBindsThePodAfterTheVolume(t *testing.T) {
	c, err := cluster.New(cluster.Config{Seed: 3, Addons: true, NodeGroups: []cluster.NodeGroup{{Name: "general", InstanceType: "m5.large", Count: 3}}})
	require.NoError(t, err)
	c.Etcd.DisableReplication()
	t.Cleanup(c.Etcd.Close)
	c.Engine.Trace().Keep()
	kc := c.Client("test")
	_, err = kc.Create(&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("5Gi")}}}})
	require.NoError(t, err)
	c.Engine.RunUntil(c.Engine.Elapsed() + 10*time.Second)
	o, _ := c.Store.Get("PersistentVolumeClaim", "default", "data")
	require.Equal(t, corev1.ClaimPending, o.(*corev1.PersistentVolumeClaim).Status.Phase, "no consumer yet")

	_, err = kc.Create(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "db"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "db", Image: "nginx:1.27"}},
			Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}}})
	require.NoError(t, err)
	c.Engine.RunUntil(c.Engine.Elapsed() + time.Second)
	o, _ = c.Store.Get("Pod", "default", "db")
	require.Empty(t, o.(*corev1.Pod).Spec.NodeName, "assumed, not bound: the volume is being provisioned")
	o, _ = c.Store.Get("PersistentVolumeClaim", "default", "data")
	selected := o.GetAnnotations()["volume.kubernetes.io/selected-node"]
	require.NotEmpty(t, selected)

	c.Engine.RunUntil(c.Engine.Elapsed() + time.Minute)
	o, _ = c.Store.Get("Pod", "default", "db")
	pod := o.(*corev1.Pod)
	require.Equal(t, selected, pod.Spec.NodeName)
	require.Equal(t, corev1.PodRunning, pod.Status.Phase)

	at := map[string]time.Duration{}
	for _, r := range c.Engine.Trace().Records() {
		if r.Verb != "event" || r.Namespace != "default" || !strings.HasPrefix(r.Name, "db.") && !strings.HasPrefix(r.Name, "data.") {
			continue
		}
		for _, reason := range []string{"WaitForFirstConsumer", "ProvisioningSucceeded", "Scheduled"} {
			if _, seen := at[reason]; !seen && strings.Contains(r.Summary, reason) {
				at[reason] = r.T
			}
		}
	}
	require.Len(t, at, 3, "%v", at)
	require.Less(t, at["WaitForFirstConsumer"], at["ProvisioningSucceeded"])
	require.Less(t, at["ProvisioningSucceeded"], at["Scheduled"], "the pod is bound after its volume")
}
