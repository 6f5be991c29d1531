package deployment

// Ported from upstream, inputs and expected values unchanged, harness
// adapted (each case one row, with small builders for upstream's repeated
// literals):
//   kubernetes pkg/controller/deployment/sync_test.go
//     (commit 78fc8e44052f699bf598f84b697b41e5a328c9c5)
//     TestScale, TestDeploymentController_cleanupDeployment
// Harness: upstream's newDeployment is newUpstreamDeployment (the name
// is taken here); the ReplicaSets are created in a store through our API server
// (testController in util_upstream_test.go) with the tables' replica
// annotations, and the controller scales and deletes through it; a size
// is read back from the store, and a deletion counted as a ReplicaSet
// gone from it. Upstream's wasntUpdated names keep the table's input size,
// as upstream's harness ignores their update actions.
// cleanupDeployment is given the tables' ReplicaSets as built (upstream
// passes them to it from its informer's cache unchanged). Each
// cleanupDeployment scenario is a subtest. No case is skipped. Not ported:
// TestDeploymentController_cleanupDeploymentOrder (a revision-ordering
// variant), TestScaleUpOnlyUpdatesAnnotationsOnce and the rest of the
// file (sync loop plumbing with fake clients).

import (
	"fmt"
	"math"
	"testing"
	"time"

	apps "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// newRSWithStatus is upstream's: a ReplicaSet owned by a Deployment of
// the same name, with spec and status replicas (its container named, so
// that our API server accepts it).
func newRSWithStatus(name string, specReplicas, statusReplicas int, selector map[string]string) *apps.ReplicaSet {
	d := newUpstreamDeployment(name, int32(specReplicas), nil, nil, nil, selector)
	d.Spec.Template.Spec.Containers[0].Name = "c"
	return &apps.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			UID:             types.UID("uid-rs-" + name),
			Name:            name,
			Namespace:       metav1.NamespaceDefault,
			Labels:          d.Spec.Selector.MatchLabels,
			OwnerReferences: []metav1.OwnerReference{*newDControllerRef(d)},
		},
		Spec: apps.ReplicaSetSpec{
			Selector: d.Spec.Selector,
			Replicas: ptr.To(int32(specReplicas)),
			Template: d.Spec.Template,
		},
		Status: apps.ReplicaSetStatus{Replicas: int32(statusReplicas)},
	}
}

// rss is a list of ReplicaSets, never nil (upstream's tables write
// []*apps.ReplicaSet{...}).
func rss(sets ...*apps.ReplicaSet) []*apps.ReplicaSet { return append([]*apps.ReplicaSet{}, sets...) }

func TestUpstreamScale(t *testing.T) {
	newTimestamp := metav1.Date(2016, 5, 20, 2, 0, 0, 0, time.UTC)
	oldTimestamp := metav1.Date(2016, 5, 20, 1, 0, 0, 0, time.UTC)
	olderTimestamp := metav1.Date(2016, 5, 20, 0, 0, 0, 0, time.UTC)

	var updatedTemplate = func(replicas int32) *apps.Deployment {
		d := newUpstreamDeployment("foo", replicas, nil, nil, nil, map[string]string{"foo": "bar"})
		d.Spec.Template.Labels["another"] = "label"
		return d
	}

	// foo is upstream's Deployment foo of replicas.
	foo := func(replicas int32) *apps.Deployment {
		return newUpstreamDeployment("foo", replicas, nil, nil, nil, nil)
	}

	tests := []struct {
		name          string
		deployment    *apps.Deployment
		oldDeployment *apps.Deployment

		newRS  *apps.ReplicaSet
		oldRSs []*apps.ReplicaSet

		expectedNew  *apps.ReplicaSet
		expectedOld  []*apps.ReplicaSet
		wasntUpdated map[string]bool

		desiredReplicasAnnotations map[string]int32
	}{
		{"normal scaling event: 10 -> 12", foo(12), foo(10), rs("foo-v1", 10, nil, newTimestamp), rss(), rs("foo-v1", 12, nil, newTimestamp), rss(), nil, nil},
		{"normal scaling event: 10 -> 5", foo(5), foo(10), rs("foo-v1", 10, nil, newTimestamp), rss(), rs("foo-v1", 5, nil, newTimestamp), rss(), nil, nil},
		{"proportional scaling: 5 -> 10", foo(10), foo(5), rs("foo-v2", 2, nil, newTimestamp), rss(rs("foo-v1", 3, nil, oldTimestamp)), rs("foo-v2", 4, nil, newTimestamp), rss(rs("foo-v1", 6, nil, oldTimestamp)), nil, nil},
		{"proportional scaling: 5 -> 3", foo(3), foo(5), rs("foo-v2", 2, nil, newTimestamp), rss(rs("foo-v1", 3, nil, oldTimestamp)), rs("foo-v2", 1, nil, newTimestamp), rss(rs("foo-v1", 2, nil, oldTimestamp)), nil, nil},
		{"proportional scaling: 9 -> 4", foo(4), foo(9), rs("foo-v2", 8, nil, newTimestamp), rss(rs("foo-v1", 1, nil, oldTimestamp)), rs("foo-v2", 4, nil, newTimestamp), rss(rs("foo-v1", 0, nil, oldTimestamp)), nil, nil},
		{"proportional scaling: 7 -> 10", foo(10), foo(7), rs("foo-v3", 2, nil, newTimestamp), rss(rs("foo-v2", 3, nil, oldTimestamp), rs("foo-v1", 2, nil, olderTimestamp)), rs("foo-v3", 3, nil, newTimestamp), rss(rs("foo-v2", 4, nil, oldTimestamp), rs("foo-v1", 3, nil, olderTimestamp)), nil, nil},
		{"proportional scaling: 13 -> 8", foo(8), foo(13), rs("foo-v3", 2, nil, newTimestamp), rss(rs("foo-v2", 8, nil, oldTimestamp), rs("foo-v1", 3, nil, olderTimestamp)), rs("foo-v3", 1, nil, newTimestamp), rss(rs("foo-v2", 5, nil, oldTimestamp), rs("foo-v1", 2, nil, olderTimestamp)), nil, nil},
		// Scales up the new replica set.
		{"leftover distribution: 3 -> 4", foo(4), foo(3), rs("foo-v3", 1, nil, newTimestamp), rss(rs("foo-v2", 1, nil, oldTimestamp), rs("foo-v1", 1, nil, olderTimestamp)), rs("foo-v3", 2, nil, newTimestamp), rss(rs("foo-v2", 1, nil, oldTimestamp), rs("foo-v1", 1, nil, olderTimestamp)), nil, nil},
		// Scales down the older replica set.
		{"leftover distribution: 3 -> 2", foo(2), foo(3), rs("foo-v3", 1, nil, newTimestamp), rss(rs("foo-v2", 1, nil, oldTimestamp), rs("foo-v1", 1, nil, olderTimestamp)), rs("foo-v3", 1, nil, newTimestamp), rss(rs("foo-v2", 1, nil, oldTimestamp), rs("foo-v1", 0, nil, olderTimestamp)), nil, nil},
		// Scales up the latest replica set first.
		{"proportional scaling (no new rs): 4 -> 5", foo(5), foo(4), nil, rss(rs("foo-v2", 2, nil, oldTimestamp), rs("foo-v1", 2, nil, olderTimestamp)), nil, rss(rs("foo-v2", 3, nil, oldTimestamp), rs("foo-v1", 2, nil, olderTimestamp)), nil, nil},
		// Scales down to zero
		{"proportional scaling: 6 -> 0", foo(0), foo(6), rs("foo-v3", 3, nil, newTimestamp), rss(rs("foo-v2", 2, nil, oldTimestamp), rs("foo-v1", 1, nil, olderTimestamp)), rs("foo-v3", 0, nil, newTimestamp), rss(rs("foo-v2", 0, nil, oldTimestamp), rs("foo-v1", 0, nil, olderTimestamp)), nil, nil},
		// Scales up from zero
		{"proportional scaling: 0 -> 6", foo(6), foo(6), rs("foo-v3", 0, nil, newTimestamp), rss(rs("foo-v2", 0, nil, oldTimestamp), rs("foo-v1", 0, nil, olderTimestamp)), rs("foo-v3", 6, nil, newTimestamp), rss(rs("foo-v2", 0, nil, oldTimestamp), rs("foo-v1", 0, nil, olderTimestamp)), map[string]bool{"foo-v2": true, "foo-v1": true}, nil},
		// Scenario: deployment.spec.replicas == 3 ( foo-v1.spec.replicas == foo-v2.spec.replicas == foo-v3.spec.replicas == 1 )
		// Deployment is scaled to 5. foo-v3.spec.replicas and foo-v2.spec.replicas should increment by 1 but foo-v2 fails to
		// update.
		{"failed rs update", foo(5), foo(5), rs("foo-v3", 2, nil, newTimestamp), rss(rs("foo-v2", 1, nil, oldTimestamp), rs("foo-v1", 1, nil, olderTimestamp)), rs("foo-v3", 2, nil, newTimestamp), rss(rs("foo-v2", 2, nil, oldTimestamp), rs("foo-v1", 1, nil, olderTimestamp)), map[string]bool{"foo-v3": true, "foo-v1": true}, map[string]int32{"foo-v2": int32(3)}},
		{"deployment with surge pods", newUpstreamDeployment("foo", 20, nil, ptr.To(intstr.FromInt32(2)), nil, nil), newUpstreamDeployment("foo", 10, nil, ptr.To(intstr.FromInt32(2)), nil, nil), rs("foo-v2", 6, nil, newTimestamp), rss(rs("foo-v1", 6, nil, oldTimestamp)), rs("foo-v2", 11, nil, newTimestamp), rss(rs("foo-v1", 11, nil, oldTimestamp)), nil, nil},
		{"change both surge and size", newUpstreamDeployment("foo", 50, nil, ptr.To(intstr.FromInt32(6)), nil, nil), newUpstreamDeployment("foo", 10, nil, ptr.To(intstr.FromInt32(3)), nil, nil), rs("foo-v2", 5, nil, newTimestamp), rss(rs("foo-v1", 8, nil, oldTimestamp)), rs("foo-v2", 22, nil, newTimestamp), rss(rs("foo-v1", 34, nil, oldTimestamp)), nil, nil},
		{"change both size and template", updatedTemplate(14), newUpstreamDeployment("foo", 10, nil, nil, nil, map[string]string{"foo": "bar"}), nil, rss(rs("foo-v2", 7, nil, newTimestamp), rs("foo-v1", 3, nil, oldTimestamp)), nil, rss(rs("foo-v2", 10, nil, newTimestamp), rs("foo-v1", 4, nil, oldTimestamp)), nil, nil},
		{
			name:          "saturated but broken new replica set does not affect old pods",
			deployment:    newUpstreamDeployment("foo", 2, nil, ptr.To(intstr.FromInt32(1)), ptr.To(intstr.FromInt32(1)), nil),
			oldDeployment: newUpstreamDeployment("foo", 2, nil, ptr.To(intstr.FromInt32(1)), ptr.To(intstr.FromInt32(1)), nil),

			newRS: func() *apps.ReplicaSet {
				rs := rs("foo-v2", 2, nil, newTimestamp)
				rs.Status.AvailableReplicas = 0
				return rs
			}(),
			oldRSs: rss(rs("foo-v1", 1, nil, oldTimestamp)),

			expectedNew: rs("foo-v2", 2, nil, newTimestamp),
			expectedOld: rss(rs("foo-v1", 1, nil, oldTimestamp)),
		},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if test.newRS != nil {
				desiredReplicas := *(test.oldDeployment.Spec.Replicas)
				if desired, ok := test.desiredReplicasAnnotations[test.newRS.Name]; ok {
					desiredReplicas = desired
				}
				setReplicasAnnotations(test.newRS, desiredReplicas, desiredReplicas+MaxSurge(test.oldDeployment))
			}
			for i := range test.oldRSs {
				rs := test.oldRSs[i]
				if rs == nil {
					continue
				}
				desiredReplicas := *(test.oldDeployment.Spec.Replicas)
				if desired, ok := test.desiredReplicasAnnotations[rs.Name]; ok {
					desiredReplicas = desired
				}
				setReplicasAnnotations(rs, desiredReplicas, desiredReplicas+MaxSurge(test.oldDeployment))
			}

			all := append([]*apps.ReplicaSet(nil), test.oldRSs...)
			if test.newRS != nil {
				all = append(all, test.newRS)
			}
			dc, w, stored := testController(t, all...)
			var newRS *apps.ReplicaSet
			oldRSs := stored[:len(test.oldRSs)]
			if test.newRS != nil {
				newRS = stored[len(stored)-1]
			}

			if err := dc.scale(test.deployment, newRS, oldRSs); err != nil {
				t.Errorf("%s: unexpected error: %v", test.name, err)
				return
			}

			// The sizes the controller left, except for the ReplicaSets
			// whose updates upstream's harness ignores.
			nameToSize := make(map[string]int32)
			for _, rs := range all {
				nameToSize[rs.Name] = *rs.Spec.Replicas
				if !test.wasntUpdated[rs.Name] {
					nameToSize[rs.Name] = storedReplicas(t, w, rs.Name)
				}
			}

			if test.expectedNew != nil && test.newRS != nil && *(test.expectedNew.Spec.Replicas) != nameToSize[test.newRS.Name] {
				t.Errorf("%s: expected new replicas: %d, got: %d", test.name, *(test.expectedNew.Spec.Replicas), nameToSize[test.newRS.Name])
				return
			}
			if len(test.expectedOld) != len(test.oldRSs) {
				t.Errorf("%s: expected %d old replica sets, got %d", test.name, len(test.expectedOld), len(test.oldRSs))
				return
			}
			for n := range test.oldRSs {
				rs := test.oldRSs[n]
				expected := test.expectedOld[n]
				if *(expected.Spec.Replicas) != nameToSize[rs.Name] {
					t.Errorf("%s: expected old (%s) replicas: %d, got: %d", test.name, rs.Name, *(expected.Spec.Replicas), nameToSize[rs.Name])
				}
			}
		})
	}
}

func TestUpstreamDeploymentController_cleanupDeployment(t *testing.T) {
	selector := map[string]string{"foo": "bar"}
	// sized is upstream's newRSWithStatus(name, spec, status, selector).
	sized := func(name string, specReplicas, statusReplicas int) *apps.ReplicaSet {
		return newRSWithStatus(name, specReplicas, statusReplicas, selector)
	}
	alreadyDeleted := sized("foo-1", 0, 0)
	now := metav1.Now()
	alreadyDeleted.DeletionTimestamp = &now

	tests := []struct {
		oldRSs               []*apps.ReplicaSet
		revisionHistoryLimit int32
		expectedDeletions    int
	}{
		{rss(sized("foo-1", 0, 0), sized("foo-2", 0, 0), sized("foo-3", 0, 0)), 1, 2},
		// Only delete the replica set with Spec.Replicas = Status.Replicas = 0.
		{rss(sized("foo-1", 0, 0), sized("foo-2", 0, 1), sized("foo-3", 1, 0), sized("foo-4", 1, 1)), 0, 1},
		{rss(sized("foo-1", 0, 0), sized("foo-2", 0, 0)), 0, 2},
		{rss(sized("foo-1", 1, 1), sized("foo-2", 1, 1)), 0, 0},
		{rss(alreadyDeleted), 0, 0},
		// with unlimited revisionHistoryLimit
		{rss(sized("foo-1", 0, 0), sized("foo-2", 0, 0), sized("foo-3", 0, 0)), math.MaxInt32, 0},
	}

	for i := range tests {
		test := tests[i]
		t.Run(fmt.Sprintf("scenario %d", i), func(t *testing.T) {
			controller, w, _ := testController(t, test.oldRSs...)
			d := newUpstreamDeployment("foo", 1, &test.revisionHistoryLimit, nil, nil, map[string]string{"foo": "bar"})
			if err := controller.cleanupDeployment(test.oldRSs, d); err != nil {
				t.Fatalf("cleanupDeployment: %v", err)
			}

			gotDeletions := 0
			for _, rs := range test.oldRSs {
				_, err := w.Admin.Get("ReplicaSet", rs.Namespace, rs.Name)
				if apierrors.IsNotFound(err) {
					gotDeletions++
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if gotDeletions != test.expectedDeletions {
				t.Errorf("expect %v old replica sets been deleted, but got %v", test.expectedDeletions, gotDeletions)
			}
		})
	}
}
