package apiserver_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/sim/apiserver"
)

func nodePortService(name string, nodePort int32) *corev1.Service {
	s := newService("default", name)
	s.Spec.Type = corev1.ServiceTypeNodePort
	s.Spec.Ports[0].NodePort = nodePort
	return s
}

// TestNodePortAllocation: a NodePort service gets a port in
// 30000-32767; a requested port that another service holds is refused
// with upstream's message and nothing is stored; deleting the holder
// frees the port.
func TestNodePortAllocation(t *testing.T) {
	f := newFixture(t, 1)
	a := f.create(nodePortService("a", 0)).(*corev1.Service)
	np := a.Spec.Ports[0].NodePort
	require.GreaterOrEqual(t, np, int32(30000))
	require.LessOrEqual(t, np, int32(32767))
	require.Equal(t, corev1.ServiceExternalTrafficPolicyCluster, a.Spec.ExternalTrafficPolicy)

	f.create(nodePortService("b", 30080))
	_, err := f.Admin.Create(nodePortService("c", 30080))
	require.True(t, apierrors.IsInvalid(err), "%v", err)
	require.EqualError(t, err, `Service "c" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated`)
	_, err = f.Admin.Get("Service", "default", "c")
	require.True(t, apierrors.IsNotFound(err), "a refused service is not stored")

	_, err = f.Admin.Create(nodePortService("d", 80))
	require.EqualError(t, err, `Service "d" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767`)

	cip := newService("default", "e")
	cip.Spec.Ports[0].NodePort = 30081
	_, err = f.Admin.Create(cip)
	require.ErrorContains(t, err, "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'")

	require.NoError(t, f.Admin.Delete("Service", "default", "b", apiserver.DeleteOptions{}))
	c := f.create(nodePortService("c", 30080)).(*corev1.Service)
	require.Equal(t, int32(30080), c.Spec.Ports[0].NodePort, "the deleted service's port is free again")
}

// TestNodePortKeptOnUpdateAndReleasedOnTypeChange: an update without a
// node port keeps the allocated one; switching to ClusterIP drops it;
// LoadBalancer services get node ports too.
func TestNodePortKeptOnUpdateAndReleasedOnTypeChange(t *testing.T) {
	f := newFixture(t, 1)
	a := f.create(nodePortService("a", 0)).(*corev1.Service)
	np := a.Spec.Ports[0].NodePort

	u := a.DeepCopy()
	u.Spec.Ports[0].NodePort = 0
	u.Spec.ClusterIP, u.Spec.ClusterIPs = "", nil
	out, err := f.Admin.Update(u)
	require.NoError(t, err)
	got := out.(*corev1.Service)
	require.Equal(t, np, got.Spec.Ports[0].NodePort)
	require.Equal(t, a.Spec.ClusterIP, got.Spec.ClusterIP, "the cluster IP is kept")

	u = got.DeepCopy()
	u.Spec.ClusterIP = "10.100.77.77"
	_, err = f.Admin.Update(u)
	require.ErrorContains(t, err, "may not change once set")

	u = got.DeepCopy()
	u.Spec.Type = corev1.ServiceTypeClusterIP
	out, err = f.Admin.Update(u)
	require.NoError(t, err)
	require.Zero(t, out.(*corev1.Service).Spec.Ports[0].NodePort)

	lb := newService("default", "lb")
	lb.Spec.Type = corev1.ServiceTypeLoadBalancer
	lbOut := f.create(lb).(*corev1.Service)
	require.NotZero(t, lbOut.Spec.Ports[0].NodePort)
	require.True(t, *lbOut.Spec.AllocateLoadBalancerNodePorts)
}

// TestClusterIPConflicts: a requested cluster IP outside the service CIDR
// or already held is refused with upstream's message.
func TestClusterIPConflicts(t *testing.T) {
	f := newFixture(t, 1)
	a := f.create(newService("default", "a")).(*corev1.Service)
	b := newService("default", "b")
	b.Spec.ClusterIP = a.Spec.ClusterIP
	_, err := f.Admin.Create(b)
	require.EqualError(t, err, `Service "b" is invalid: spec.clusterIPs: Invalid value: ["`+a.Spec.ClusterIP+`"]: failed to allocate IP `+a.Spec.ClusterIP+`: provided IP is already allocated`)
	b.Spec.ClusterIP = "10.0.0.5"
	_, err = f.Admin.Create(b)
	require.ErrorContains(t, err, "failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.100.0.0/16")
}
