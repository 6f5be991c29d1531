package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

func nodeLease(name string, at time.Time) *coordinationv1.Lease {
	now, holder, secs := metav1.NewMicroTime(at), name, int32(40)
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-node-lease", Labels: map[string]string{"a": "b"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: name, UID: "u1"}}},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, RenewTime: &now},
	}
}

type marshaler interface {
	Size() int
	MarshalToSizedBuffer([]byte) (int, error)
}

// mutationLog keeps copies of the mutations handed to it.
type mutationLog struct{ got []store.Mutation }

func (l *mutationLog) Append(batch []store.Mutation) error {
	l.got = append(l.got, batch...)
	return nil
}

// A renewal stores what an Update moving only renewTime stores: two
// stores, one renewed through Update, the other through RenewLease, hold
// equal Leases (Get, List, Follow), hand equal events to a watch, and
// hand the log versions that encode to the same bytes.
func TestRenewLeaseStoresWhatUpdateStores(t *testing.T) {
	type result struct {
		got    store.Object
		list   []store.Object
		events []store.Event
		bytes  [][]byte
	}
	run := func(renew func(s *store.Store, ref *store.Ref, at time.Time)) result {
		e := sim.NewEngine(1)
		s := store.New(e)
		log := &mutationLog{}
		s.SetLog(log)
		var res result
		s.Watch("Lease", 0, func(ev store.Event) { res.events = append(res.events, ev) })
		_, err := s.Create(nodeLease("n1", e.Now()))
		require.NoError(t, err)
		var ref store.Ref
		for i := range 3 {
			e.RunUntil(time.Duration(i+1) * 10 * time.Second)
			renew(s, &ref, e.Now())
		}
		e.RunUntil(time.Minute)
		res.got, _ = s.Get("Lease", "kube-node-lease", "n1")
		followed, ok := s.Follow(&ref, "Lease", "kube-node-lease", "n1")
		require.True(t, ok)
		require.Equal(t, res.got, followed)
		res.list = s.List("Lease", "")
		for _, m := range log.got {
			var v marshaler
			if m.Renewed != nil {
				require.Nil(t, m.Object, "a renewal hands the log its Renewal alone")
				v = m.Renewed
			} else {
				v = m.Object.(marshaler)
			}
			b := make([]byte, v.Size())
			_, err := v.MarshalToSizedBuffer(b)
			require.NoError(t, err)
			res.bytes = append(res.bytes, b)
		}
		return res
	}
	viaUpdate := run(func(s *store.Store, _ *store.Ref, at time.Time) {
		o, _ := s.Get("Lease", "kube-node-lease", "n1")
		l := *o.(*coordinationv1.Lease)
		rt := metav1.NewMicroTime(at)
		l.Spec.RenewTime = &rt
		_, err := s.Update(&l)
		require.NoError(t, err)
	})
	viaRenew := run(func(s *store.Store, ref *store.Ref, at time.Time) {
		_, _, ok := s.LeaseRenewal(ref, "kube-node-lease", "n1")
		require.True(t, ok)
		_, _, err := s.RenewLease(*ref, metav1.NewMicroTime(at))
		require.NoError(t, err)
	})
	require.Equal(t, viaUpdate, viaRenew)
	require.Len(t, viaRenew.events, 4)
	require.Equal(t, sim.Epoch.Add(30*time.Second), viaRenew.got.(*coordinationv1.Lease).Spec.RenewTime.Time)
}

// LeaseRenewal names each version apart, reads its renewTime without
// making it whole, and follows its Ref like Follow; RenewLease refuses a
// dead slot.
func TestLeaseRenewalNamesVersions(t *testing.T) {
	e := sim.NewEngine(1)
	s := store.New(e)
	var ref store.Ref
	_, _, ok := s.LeaseRenewal(&ref, "kube-node-lease", "n1")
	require.False(t, ok)
	_, _, err := s.RenewLease(ref, metav1.NewMicroTime(e.Now()))
	require.Error(t, err, "the zero Ref holds nothing")

	created, err := s.Create(nodeLease("n1", e.Now()))
	require.NoError(t, err)
	v0, rt, ok := s.LeaseRenewal(&ref, "kube-node-lease", "n1")
	require.True(t, ok)
	require.True(t, store.VersionOf(created.(*coordinationv1.Lease)) == v0)
	require.Equal(t, sim.Epoch, rt.Time)

	e.RunUntil(10 * time.Second)
	v1, rev, err := s.RenewLease(ref, metav1.NewMicroTime(e.Now()))
	require.NoError(t, err)
	require.Equal(t, s.Rev(), rev)
	require.True(t, v0 != v1)
	again, rt, ok := s.LeaseRenewal(&ref, "kube-node-lease", "n1")
	require.True(t, ok)
	require.True(t, v1 == again, "the same version while nothing writes")
	require.Equal(t, sim.Epoch.Add(10*time.Second), rt.Time)
	got, _ := s.Get("Lease", "kube-node-lease", "n1")
	require.Equal(t, "2", got.GetResourceVersion())

	held := ref
	_, err = s.Delete("Lease", "kube-node-lease", "n1")
	require.NoError(t, err)
	_, _, err = s.RenewLease(held, metav1.NewMicroTime(e.Now()))
	require.Error(t, err, "a deleted Lease's slot takes no renewal")
	_, _, ok = s.LeaseRenewal(&ref, "kube-node-lease", "n1")
	require.False(t, ok)

	// A restore holds the same content as new versions.
	_, err = s.Create(nodeLease("n1", e.Now()))
	require.NoError(t, err)
	v2, _, _ := s.LeaseRenewal(&ref, "kube-node-lease", "n1")
	o, _ := s.Get("Lease", "kube-node-lease", "n1")
	s.Restore(s.Rev(), []store.Object{o.(*coordinationv1.Lease).DeepCopy()})
	v3, _, ok := s.LeaseRenewal(&ref, "kube-node-lease", "n1")
	require.True(t, ok)
	require.True(t, v2 != v3, "versions compare by identity")
}

// A filtered watch is asked about a renewal with the base Lease as both
// versions, once per base while the watches stay the same; it gets the
// whole versions when it accepts; a watch opened later is asked again.
func TestRenewLeaseAsksFiltersOncePerBase(t *testing.T) {
	e := sim.NewEngine(1)
	s := store.New(e)
	asked, delivered := 0, 0
	s.WatchFiltered("Lease", 0, func(ev store.Event) bool {
		asked++
		return ev.Type != store.Modified || ev.Object.GetDeletionTimestamp() != nil
	}, func(store.Event) { delivered++ })
	_, err := s.Create(nodeLease("n1", e.Now()))
	require.NoError(t, err)
	var ref store.Ref
	_, _, _ = s.LeaseRenewal(&ref, "kube-node-lease", "n1")
	for range 5 {
		_, _, err := s.RenewLease(ref, metav1.NewMicroTime(e.Now()))
		require.NoError(t, err)
	}
	require.Equal(t, 1+1, asked, "the create, then the first renewal")
	require.Equal(t, 1, delivered, "the create")

	var seen []store.Event
	stop := s.Watch("Lease", 0, func(ev store.Event) { seen = append(seen, ev) })
	_, _, err = s.RenewLease(ref, metav1.NewMicroTime(e.Now().Add(time.Second)))
	require.NoError(t, err)
	require.Equal(t, 1+1+2, asked, "a new watch: asked again, and once more as the change is offered")
	require.Len(t, seen, 1)
	require.Equal(t, "7", seen[0].Object.GetResourceVersion())
	require.Equal(t, "6", seen[0].Old.GetResourceVersion())
	stop()

	// A Lease being deleted is wanted by the filter on every renewal.
	o, _ := s.Get("Lease", "kube-node-lease", "n1")
	d := o.(*coordinationv1.Lease).DeepCopy()
	d.DeletionTimestamp = &metav1.Time{Time: e.Now()}
	delivered = 0
	_, err = s.Update(d)
	require.NoError(t, err)
	for range 2 {
		_, _, err := s.RenewLease(ref, metav1.NewMicroTime(e.Now()))
		require.NoError(t, err)
	}
	require.Equal(t, 1+2, delivered, "the update, then both renewals")
}
