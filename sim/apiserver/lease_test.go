package apiserver_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

func heartbeat(name string, at time.Time) *coordinationv1.Lease {
	now, holder, secs := metav1.NewMicroTime(at), name, int32(40)
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, RenewTime: &now},
	}
}

// A renewal stores what an Update moving only renewTime stores, and
// writes the same trace record: two servers, one renewing through Update,
// the other through RenewLease, end with equal Leases and equal traces.
func TestRenewLeaseIsAnUpdateOfRenewTime(t *testing.T) {
	run := func(renew func(c *apiserver.Client, ref *store.Ref, held store.LeaseVersion, at time.Time) store.LeaseVersion) (store.Object, []sim.Record) {
		f := newFixture(t, 1)
		var ref store.Ref
		c := f.Server.Client("kubelet/n1")
		f.create(heartbeat("n1", f.Engine.Now()))
		out, err := c.Update(heartbeat("n1", f.Engine.Now()))
		require.NoError(t, err)
		held := store.VersionOf(out.(*coordinationv1.Lease))
		for range 3 {
			f.advance(10 * time.Second)
			held = renew(c, &ref, held, f.Engine.Now())
		}
		return f.get("Lease", "default", "n1"), f.Engine.Trace().Records()
	}
	viaUpdate, updTrace := run(func(c *apiserver.Client, _ *store.Ref, _ store.LeaseVersion, at time.Time) store.LeaseVersion {
		out, err := c.Update(heartbeat("n1", at))
		require.NoError(t, err)
		return store.VersionOf(out.(*coordinationv1.Lease))
	})
	viaRenew, renTrace := run(func(c *apiserver.Client, ref *store.Ref, held store.LeaseVersion, at time.Time) store.LeaseVersion {
		r := c.LeaseRenewer("default", "n1")
		out, ok, err := r.Renew(ref, held, metav1.NewMicroTime(at))
		require.True(t, ok)
		require.NoError(t, err)
		return out
	})
	require.Equal(t, viaUpdate, viaRenew)
	require.Equal(t, updTrace, renTrace)
	last := renTrace[len(renTrace)-3:]
	for i, r := range last {
		require.Equal(t, "update", r.Verb, "every renewal is a write")
		require.Equal(t, "Lease", r.Kind)
		if i > 0 {
			require.Greater(t, r.RV, last[i-1].RV)
		}
	}
}

// A Lease someone else wrote since (or deleted) is not renewed: the
// holder must write it whole.
func TestRenewLeaseRefusesAStaleLease(t *testing.T) {
	f := newFixture(t, 1)
	held := f.create(heartbeat("n1", f.Engine.Now())).(*coordinationv1.Lease)
	other := held.DeepCopy()
	other.Labels = map[string]string{"touched": "yes"}
	_, err := f.Admin.Update(other)
	require.NoError(t, err)
	before := f.Engine.Trace().Len()
	r := f.Server.Client("kubelet/n1").LeaseRenewer("default", "n1")
	out, ok, err := r.Renew(&store.Ref{}, store.VersionOf(held), metav1.NewMicroTime(f.Engine.Now()))
	require.False(t, ok)
	require.NoError(t, err)
	require.Zero(t, out)
	require.Equal(t, before, f.Engine.Trace().Len(), "nothing written")
	require.Equal(t, "yes", f.get("Lease", "default", "n1").GetLabels()["touched"])
}
