package deployment

// Ported from upstream, inputs and expected values unchanged, harness
// adapted (our unexported helpers stand for upstream's exported ones; the
// controller methods scale through our API server, and the scaled size is
// read back from the store instead of a fake clientset's recorded
// update):
//   kubernetes v1.37.2 pkg/controller/deployment/util/deployment_util_test.go
//     TestResolveFenceposts, TestNewRSNewReplicas, TestMaxUnavailable,
//     TestDeploymentComplete, TestDeploymentProgressing,
//     TestDeploymentTimedOut, TestGetReplicaSetFraction
//   kubernetes v1.37.2 pkg/controller/deployment/rolling_test.go
//     TestDeploymentController_reconcileNewReplicaSet,
//     TestDeploymentController_reconcileOldReplicaSets,
//     TestDeploymentController_cleanupUnhealthyReplicas,
//     TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate
// Harness: upstream's rs() ReplicaSets get a one-container template, a
// selector where the table gives none, and distinct names where a table
// reuses one ("foo-v2" twice), since ours are real objects in a store.
// Each case is one row in the struct's field order (upstream names the
// fields in multi-line rows). No case is skipped. Not ported: the
// other tests of deployment_util_test.go (conditions, annotations,
// ReplicaSet lookup helpers), which have no counterpart of the same shape
// here.

import (
	"fmt"
	"math"
	"testing"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
)

// The upstream exported names, as our package spells them.
var (
	DeploymentProgressing = deploymentProgressing
	ResolveFenceposts     = resolveFenceposts
)

// NewRSNewReplicas is newRSReplicas with upstream's error result: ours
// has none to give, the API server having validated maxSurge and the
// strategy type.
func NewRSNewReplicas(d *apps.Deployment, allRSs []*apps.ReplicaSet, newRS *apps.ReplicaSet) (int32, error) {
	return newRSReplicas(d, allRSs, newRS), nil
}

func newDControllerRef(d *apps.Deployment) *metav1.OwnerReference {
	isController := true
	return &metav1.OwnerReference{
		APIVersion: "apps/v1",
		Kind:       "Deployment",
		Name:       d.GetName(),
		UID:        d.GetUID(),
		Controller: &isController,
	}
}

var rsSerial int

// generateRS creates a replica set with the deployment's template (a
// serial number stands for upstream's random name suffix and UID).
func generateRS(deployment apps.Deployment) apps.ReplicaSet {
	rsSerial++
	template := deployment.Spec.Template.DeepCopy()
	return apps.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			UID:             types.UID(fmt.Sprintf("uid-%d", rsSerial)),
			Name:            fmt.Sprintf("%s-%d", deployment.Name, rsSerial),
			Labels:          template.Labels,
			OwnerReferences: []metav1.OwnerReference{*newDControllerRef(&deployment)},
		},
		Spec: apps.ReplicaSetSpec{
			Replicas: new(int32),
			Template: *template,
			Selector: &metav1.LabelSelector{MatchLabels: template.Labels},
		},
	}
}

// generateDeployment creates a deployment with the image as its template.
func generateDeployment(image string) apps.Deployment {
	podLabels := map[string]string{"name": image}
	terminationSec := int64(30)
	enableServiceLinks := v1.DefaultEnableServiceLinks
	return apps.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name:        image,
			Annotations: make(map[string]string),
		},
		Spec: apps.DeploymentSpec{
			Replicas: func(i int32) *int32 { return &i }(1),
			Selector: &metav1.LabelSelector{MatchLabels: podLabels},
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels: podLabels,
				},
				Spec: v1.PodSpec{
					Containers: []v1.Container{
						{
							Name:                   image,
							Image:                  image,
							ImagePullPolicy:        v1.PullAlways,
							TerminationMessagePath: v1.TerminationMessagePathDefault,
						},
					},
					DNSPolicy:                     v1.DNSClusterFirst,
					TerminationGracePeriodSeconds: &terminationSec,
					RestartPolicy:                 v1.RestartPolicyAlways,
					SecurityContext:               &v1.PodSecurityContext{},
					EnableServiceLinks:            &enableServiceLinks,
				},
			},
		},
	}
}

var noTimestamp = metav1.Time{}

// rs is upstream's ReplicaSet builder, with a container in its template
// and, where the table gives none, a selector of its own, so that our API
// server accepts it.
func rs(name string, replicas int32, selector map[string]string, timestamp metav1.Time) *apps.ReplicaSet {
	if selector == nil {
		selector = map[string]string{"rs": name}
	}
	return &apps.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			CreationTimestamp: timestamp,
			Namespace:         metav1.NamespaceDefault,
		},
		Spec: apps.ReplicaSetSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: selector},
				Spec:       v1.PodSpec{Containers: []v1.Container{{Name: "c", Image: "foo/bar"}}},
			},
		},
	}
}

// newUpstreamDeployment is upstream's newDeployment, the Deployment builder
// of its controller tests.
func newUpstreamDeployment(name string, replicas int32, revisionHistoryLimit *int32, maxSurge, maxUnavailable *intstr.IntOrString, selector map[string]string) *apps.Deployment {
	d := apps.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{
			UID:         types.UID("uid-" + name),
			Name:        name,
			Namespace:   metav1.NamespaceDefault,
			Annotations: make(map[string]string),
		},
		Spec: apps.DeploymentSpec{
			Strategy: apps.DeploymentStrategy{
				Type: apps.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &apps.RollingUpdateDeployment{
					MaxUnavailable: ptr.To(intstr.FromInt32(0)),
					MaxSurge:       ptr.To(intstr.FromInt32(0)),
				},
			},
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels: selector,
				},
				Spec: v1.PodSpec{
					Containers: []v1.Container{
						{
							Image: "foo/bar",
						},
					},
				},
			},
			RevisionHistoryLimit: revisionHistoryLimit,
		},
	}
	if maxSurge != nil {
		d.Spec.Strategy.RollingUpdate.MaxSurge = maxSurge
	}
	if maxUnavailable != nil {
		d.Spec.Strategy.RollingUpdate.MaxUnavailable = maxUnavailable
	}
	return &d
}

// testController is a controller over a fresh store holding rss (created
// with their status), which it returns as stored.
func testController(t *testing.T, rss ...*apps.ReplicaSet) (*Controller, *fake.World, []*apps.ReplicaSet) {
	t.Helper()
	w := fake.New(1)
	out := make([]*apps.ReplicaSet, len(rss))
	for i, r := range rss {
		status := r.Status
		o, err := w.Admin.Create(r.DeepCopy())
		if err != nil {
			t.Fatalf("create %s: %v", r.Name, err)
		}
		cp := o.(*apps.ReplicaSet).DeepCopy()
		cp.Status = status
		if o, err = w.Admin.UpdateStatus(cp); err != nil {
			t.Fatalf("status of %s: %v", r.Name, err)
		}
		out[i] = o.(*apps.ReplicaSet)
	}
	return New(w.Engine, w.Server.Client(Name), controllerutil.DefaultConfig()), w, out
}

// storedReplicas reads a ReplicaSet's spec.replicas back from the store.
func storedReplicas(t *testing.T, w *fake.World, name string) int32 {
	t.Helper()
	o, err := w.Admin.Get("ReplicaSet", metav1.NamespaceDefault, name)
	if err != nil {
		t.Fatal(err)
	}
	return *o.(*apps.ReplicaSet).Spec.Replicas
}

func TestUpstreamResolveFenceposts(t *testing.T) {
	tests := []struct {
		maxSurge          *string
		maxUnavailable    *string
		desired           int32
		expectSurge       int32
		expectUnavailable int32
		expectError       bool
	}{
		{ptr.To("0%"), ptr.To("0%"), 0, 0, 1, false},
		{ptr.To("39%"), ptr.To("39%"), 10, 4, 3, false},
		{ptr.To("oops"), ptr.To("39%"), 10, 0, 0, true},
		{ptr.To("55%"), ptr.To("urg"), 10, 0, 0, true},
		{nil, ptr.To("39%"), 10, 0, 3, false},
		{ptr.To("39%"), nil, 10, 4, 0, false},
		{nil, nil, 10, 0, 1, false},
	}

	for num, test := range tests {
		t.Run(fmt.Sprintf("%d", num), func(t *testing.T) {
			var maxSurge, maxUnavail *intstr.IntOrString
			if test.maxSurge != nil {
				maxSurge = ptr.To(intstr.FromString(*test.maxSurge))
			}
			if test.maxUnavailable != nil {
				maxUnavail = ptr.To(intstr.FromString(*test.maxUnavailable))
			}
			surge, unavail, err := ResolveFenceposts(maxSurge, maxUnavail, test.desired)
			if err != nil && !test.expectError {
				t.Errorf("unexpected error %v", err)
			}
			if err == nil && test.expectError {
				t.Error("expected error")
			}
			if surge != test.expectSurge || unavail != test.expectUnavailable {
				t.Errorf("#%v got %v:%v, want %v:%v", num, surge, unavail, test.expectSurge, test.expectUnavailable)
			}
		})
	}
}

func TestUpstreamNewRSNewReplicas(t *testing.T) {
	tests := []struct {
		Name          string
		strategyType  apps.DeploymentStrategyType
		depReplicas   int32
		newRSReplicas int32
		maxSurge      int32
		expected      int32
	}{
		{
			"can not scale up - to newRSReplicas",
			apps.RollingUpdateDeploymentStrategyType,
			1, 5, 1, 5,
		},
		{
			"scale up - to depReplicas",
			apps.RollingUpdateDeploymentStrategyType,
			6, 2, 10, 6,
		},
		{
			"recreate - to depReplicas",
			apps.RecreateDeploymentStrategyType,
			3, 1, 1, 3,
		},
	}
	newDeployment := generateDeployment("nginx")
	newRC := generateRS(newDeployment)
	rs5 := generateRS(newDeployment)
	*(rs5.Spec.Replicas) = 5

	for _, test := range tests {
		t.Run(test.Name, func(t *testing.T) {
			*(newDeployment.Spec.Replicas) = test.depReplicas
			newDeployment.Spec.Strategy = apps.DeploymentStrategy{Type: test.strategyType}
			newDeployment.Spec.Strategy.RollingUpdate = &apps.RollingUpdateDeployment{
				MaxUnavailable: ptr.To(intstr.FromInt32(1)),
				MaxSurge:       ptr.To(intstr.FromInt32(test.maxSurge)),
			}
			*(newRC.Spec.Replicas) = test.newRSReplicas
			rs, err := NewRSNewReplicas(&newDeployment, []*apps.ReplicaSet{&rs5}, &newRC)
			if err != nil {
				t.Errorf("In test case %s, got unexpected error %v", test.Name, err)
			}
			if rs != test.expected {
				t.Errorf("In test case %s, expected %+v, got %+v", test.Name, test.expected, rs)
			}
		})
	}
}

func TestUpstreamMaxUnavailable(t *testing.T) {
	deployment := func(replicas int32, maxUnavailable intstr.IntOrString) apps.Deployment {
		return apps.Deployment{
			Spec: apps.DeploymentSpec{
				Replicas: func(i int32) *int32 { return &i }(replicas),
				Strategy: apps.DeploymentStrategy{
					RollingUpdate: &apps.RollingUpdateDeployment{
						MaxSurge:       ptr.To(intstr.FromInt32(1)),
						MaxUnavailable: &maxUnavailable,
					},
					Type: apps.RollingUpdateDeploymentStrategyType,
				},
			},
		}
	}
	tests := []struct {
		name       string
		deployment apps.Deployment
		expected   int32
	}{
		{"maxUnavailable less than replicas", deployment(10, intstr.FromInt32(5)), int32(5)},
		{"maxUnavailable equal replicas", deployment(10, intstr.FromInt32(10)), int32(10)},
		{"maxUnavailable greater than replicas", deployment(5, intstr.FromInt32(10)), int32(5)},
		{"maxUnavailable with replicas is 0", deployment(0, intstr.FromInt32(10)), int32(0)},
		{
			name: "maxUnavailable with Recreate deployment strategy",
			deployment: apps.Deployment{
				Spec: apps.DeploymentSpec{
					Strategy: apps.DeploymentStrategy{
						Type: apps.RecreateDeploymentStrategyType,
					},
				},
			},
			expected: int32(0),
		},
		{"maxUnavailable less than replicas with percents", deployment(10, intstr.FromString("50%")), int32(5)},
		{"maxUnavailable equal replicas with percents", deployment(10, intstr.FromString("100%")), int32(10)},
		{"maxUnavailable greater than replicas with percents", deployment(5, intstr.FromString("100%")), int32(5)},
	}

	for _, test := range tests {
		t.Log(test.name)
		t.Run(test.name, func(t *testing.T) {
			maxUnavailable := MaxUnavailable(&test.deployment)
			if test.expected != maxUnavailable {
				t.Fatalf("expected:%v, got:%v", test.expected, maxUnavailable)
			}
		})
	}
}

func TestUpstreamDeploymentComplete(t *testing.T) {
	deployment := func(desired, current, updated, available, maxUnavailable, maxSurge int32) *apps.Deployment {
		return &apps.Deployment{
			Spec: apps.DeploymentSpec{
				Replicas: &desired,
				Strategy: apps.DeploymentStrategy{
					RollingUpdate: &apps.RollingUpdateDeployment{
						MaxUnavailable: ptr.To(intstr.FromInt32(maxUnavailable)),
						MaxSurge:       ptr.To(intstr.FromInt32(maxSurge)),
					},
					Type: apps.RollingUpdateDeploymentStrategyType,
				},
			},
			Status: apps.DeploymentStatus{
				Replicas:          current,
				UpdatedReplicas:   updated,
				AvailableReplicas: available,
			},
		}
	}

	tests := []struct {
		name string

		d *apps.Deployment

		expected bool
	}{
		{"not complete: min but not all pods become available", deployment(5, 5, 5, 4, 1, 0), false},
		{"not complete: min availability is not honored", deployment(5, 5, 5, 3, 1, 0), false},
		{"complete", deployment(5, 5, 5, 5, 0, 0), true},
		{"not complete: all pods are available but not updated", deployment(5, 5, 4, 5, 0, 0), false},
		// old replica set: spec.replicas=1, status.replicas=1, status.availableReplicas=1
		// new replica set: spec.replicas=1, status.replicas=1, status.availableReplicas=0
		{"not complete: still running old pods", deployment(1, 2, 1, 1, 0, 1), false},
		{"not complete: one replica deployment never comes up", deployment(1, 1, 1, 0, 1, 1), false},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got, exp := DeploymentComplete(test.d, &test.d.Status), test.expected; got != exp {
				t.Errorf("expected complete: %t, got: %t", exp, got)
			}
		})
	}
}

func TestUpstreamDeploymentProgressing(t *testing.T) {
	deployment := func(current, updated, ready, available int32) *apps.Deployment {
		return &apps.Deployment{
			Status: apps.DeploymentStatus{
				Replicas:          current,
				UpdatedReplicas:   updated,
				ReadyReplicas:     ready,
				AvailableReplicas: available,
			},
		}
	}
	newStatus := func(current, updated, ready, available int32) apps.DeploymentStatus {
		return apps.DeploymentStatus{
			Replicas:          current,
			UpdatedReplicas:   updated,
			ReadyReplicas:     ready,
			AvailableReplicas: available,
		}
	}

	tests := []struct {
		name string

		d         *apps.Deployment
		newStatus apps.DeploymentStatus

		expected bool
	}{
		{"progressing: updated pods", deployment(10, 4, 4, 4), newStatus(10, 6, 4, 4), true},
		{"not progressing", deployment(10, 4, 4, 4), newStatus(10, 4, 4, 4), false},
		{"progressing: old pods removed", deployment(10, 4, 6, 6), newStatus(8, 4, 6, 6), true},
		{"not progressing: less new pods", deployment(10, 7, 3, 3), newStatus(10, 6, 3, 3), false},
		{"progressing: less overall but more new pods", deployment(10, 4, 7, 7), newStatus(8, 8, 5, 5), true},
		{"progressing: more ready pods", deployment(10, 10, 9, 8), newStatus(10, 10, 10, 8), true},
		{"progressing: more available pods", deployment(10, 10, 10, 9), newStatus(10, 10, 10, 10), true},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got, exp := DeploymentProgressing(test.d, &test.newStatus), test.expected; got != exp {
				t.Errorf("expected progressing: %t, got: %t", exp, got)
			}
		})
	}
}

func TestUpstreamDeploymentTimedOut(t *testing.T) {
	var (
		null     *int32
		ten      = int32(10)
		infinite = int32(math.MaxInt32)
	)

	timeFn := func(min, sec int) time.Time {
		return time.Date(2016, 1, 1, 0, min, sec, 0, time.UTC)
	}
	deployment := func(condType apps.DeploymentConditionType, status v1.ConditionStatus, reason string, pds *int32, from time.Time) apps.Deployment {
		return apps.Deployment{
			Spec: apps.DeploymentSpec{
				ProgressDeadlineSeconds: pds,
			},
			Status: apps.DeploymentStatus{
				Conditions: []apps.DeploymentCondition{
					{
						Type:           condType,
						Status:         status,
						Reason:         reason,
						LastUpdateTime: metav1.Time{Time: from},
					},
				},
			},
		}
	}

	tests := []struct {
		name string

		d     apps.Deployment
		nowFn func() time.Time

		expected bool
	}{
		{"nil progressDeadlineSeconds specified - no timeout", deployment(apps.DeploymentProgressing, v1.ConditionTrue, "", null, timeFn(1, 9)), func() time.Time { return timeFn(1, 20) }, false},
		{"infinite progressDeadlineSeconds specified - no timeout", deployment(apps.DeploymentProgressing, v1.ConditionTrue, "", &infinite, timeFn(1, 9)), func() time.Time { return timeFn(1, 20) }, false},
		{"progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:09 => 11s", deployment(apps.DeploymentProgressing, v1.ConditionTrue, "", &ten, timeFn(1, 9)), func() time.Time { return timeFn(1, 20) }, true},
		{"progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:11 => 9s", deployment(apps.DeploymentProgressing, v1.ConditionTrue, "", &ten, timeFn(1, 11)), func() time.Time { return timeFn(1, 20) }, false},
		{"previous status was a complete deployment", deployment(apps.DeploymentProgressing, v1.ConditionTrue, NewRSAvailableReason, nil, time.Time{}), nil, false},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			var now time.Time
			if test.nowFn != nil {
				now = test.nowFn()
			}
			if got, exp := deploymentTimedOut(&test.d, &test.d.Status, now), test.expected; got != exp {
				t.Errorf("expected timeout: %t, got: %t", exp, got)
			}
		})
	}
}

func TestUpstreamGetReplicaSetFraction(t *testing.T) {
	maxReplicas := func(v string) map[string]string { return map[string]string{MaxReplicasAnnotation: v} }
	tests := []struct {
		name                                          string
		enableDeploymentReplicaSetTerminatingReplicas bool
		deploymentReplicas                            int32
		deploymentStatusReplicas                      int32
		deploymentMaxSurge                            int32
		rsReplicas                                    int32
		rsAnnotations                                 map[string]string
		expectedFraction                              int32
	}{
		{"empty deployment always scales to 0", false, 0, 0, 0, 10, nil, -10},
		{"unsynced deployment does not scale when max-replicas annotation is missing (removed by a 3rd party)", false, 10, 0, 0, 5, nil, 0},
		{"unsynced deployment does not scale when max-replicas annotation is incorrectly set to 0 (by a 3rd party)", false, 10, 0, 0, 5, maxReplicas("0"), 0},
		{"scale up by 1/5 should increase RS replicas by 1/5 when max-replicas annotation is missing (removed by a 3rd party)", false, 120, 100, 0, 50, nil, 10},
		{"scale up by 1/5 should increase RS replicas by 1/5 when max-replicas annotation is incorrectly set to 0 (by a 3rd party)", false, 120, 100, 0, 50, maxReplicas("0"), 10},
		{"scale up by 1/5 should increase RS replicas by 1/5", false, 120, 0, 0, 50, maxReplicas("100"), 10},
		// expectedFraction is not the whole 1/5 (10) since maxSurge pods have to be taken into account
		// and replica sets with these surge pods should proportionally scale as well during a rollout
		{"scale up with maxSurge by 1/5 should increase RS replicas approximately by 1/5", false, 120, 0, 10, 50, maxReplicas("110"), 9},
		{"scale down by 1/6 should decrease RS replicas by 1/6", false, 10, 0, 0, 6, maxReplicas("12"), -1},
		{"scale down with maxSurge by 1/6 should decrease RS replicas approximately by 1/6", false, 100, 0, 10, 50, maxReplicas("130"), -8},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			tDeployment := generateDeployment("nginx")
			tDeployment.Status.Replicas = test.deploymentStatusReplicas
			tDeployment.Spec.Replicas = ptr.To(test.deploymentReplicas)
			tDeployment.Spec.Strategy = apps.DeploymentStrategy{
				Type: apps.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &apps.RollingUpdateDeployment{
					MaxSurge:       ptr.To(intstr.FromInt32(test.deploymentMaxSurge)),
					MaxUnavailable: ptr.To(intstr.FromInt32(1)),
				},
			}

			tRS := generateRS(tDeployment)
			tRS.Annotations = test.rsAnnotations
			tRS.Spec.Replicas = ptr.To(test.rsReplicas)

			got := fraction(&tRS, &tDeployment)
			if test.expectedFraction != got {
				t.Fatalf("expected fraction: %v, got:%v", test.expectedFraction, got)
			}
		})
	}
}

func TestUpstreamDeploymentController_reconcileNewReplicaSet(t *testing.T) {
	tests := []struct {
		deploymentReplicas  int32
		maxSurge            intstr.IntOrString
		oldReplicas         int32
		newReplicas         int32
		scaleExpected       bool
		expectedNewReplicas int32
	}{
		// Should not scale up.
		{10, intstr.FromInt32(0), 10, 0, false, 0},
		{10, intstr.FromInt32(2), 10, 0, true, 2},
		{10, intstr.FromInt32(2), 5, 0, true, 7},
		{10, intstr.FromInt32(2), 10, 2, false, 0},
		// Should scale down.
		{10, intstr.FromInt32(2), 2, 11, true, 10},
	}

	for i := range tests {
		test := tests[i]
		t.Logf("executing scenario %d", i)
		newRS := rs("foo-v2", test.newReplicas, nil, noTimestamp)
		oldRS := rs("foo-v2-old", test.oldReplicas, nil, noTimestamp)
		controller, w, stored := testController(t, newRS, oldRS)
		newRS, oldRS = stored[0], stored[1]
		allRSs := []*apps.ReplicaSet{newRS, oldRS}
		maxUnavailable := intstr.FromInt32(0)
		deployment := newUpstreamDeployment("foo", test.deploymentReplicas, nil, &test.maxSurge, &maxUnavailable, map[string]string{"foo": "bar"})
		scaled, err := controller.reconcileNewReplicaSet(allRSs, newRS, deployment)
		if err != nil {
			t.Errorf("unexpected error: %v", err)
			continue
		}
		got := storedReplicas(t, w, newRS.Name)
		if !test.scaleExpected {
			if scaled || got != test.newReplicas {
				t.Errorf("unexpected scaling: %d -> %d", test.newReplicas, got)
			}
			continue
		}
		if test.scaleExpected && !scaled {
			t.Errorf("expected scaling to occur")
			continue
		}
		if old := storedReplicas(t, w, oldRS.Name); old != test.oldReplicas {
			t.Errorf("expected only the new ReplicaSet scaled; old went %d -> %d", test.oldReplicas, old)
		}
		if e, a := test.expectedNewReplicas, got; e != a {
			t.Errorf("expected update to %d replicas, got %d", e, a)
		}
	}
}

func TestUpstreamDeploymentController_reconcileOldReplicaSets(t *testing.T) {
	tests := []struct {
		deploymentReplicas  int32
		maxUnavailable      intstr.IntOrString
		oldReplicas         int32
		newReplicas         int32
		readyPodsFromOldRS  int
		readyPodsFromNewRS  int
		scaleExpected       bool
		expectedOldReplicas int32
	}{
		{10, intstr.FromInt32(0), 10, 0, 10, 0, true, 9},
		{10, intstr.FromInt32(2), 10, 0, 10, 0, true, 8},
		{ // expect unhealthy replicas from old replica sets been cleaned up
			deploymentReplicas:  10,
			maxUnavailable:      intstr.FromInt32(2),
			oldReplicas:         10,
			newReplicas:         0,
			readyPodsFromOldRS:  8,
			readyPodsFromNewRS:  0,
			scaleExpected:       true,
			expectedOldReplicas: 8,
		},
		{ // expect 1 unhealthy replica from old replica sets been cleaned up, and 1 ready pod been scaled down
			deploymentReplicas:  10,
			maxUnavailable:      intstr.FromInt32(2),
			oldReplicas:         10,
			newReplicas:         0,
			readyPodsFromOldRS:  9,
			readyPodsFromNewRS:  0,
			scaleExpected:       true,
			expectedOldReplicas: 8,
		},
		{ // the unavailable pods from the newRS would not make us scale down old RSs in a further step
			deploymentReplicas: 10,
			maxUnavailable:     intstr.FromInt32(2),
			oldReplicas:        8,
			newReplicas:        2,
			readyPodsFromOldRS: 8,
			readyPodsFromNewRS: 0,
			scaleExpected:      false,
		},
	}
	for i := range tests {
		test := tests[i]
		t.Logf("executing scenario %d", i)

		newSelector := map[string]string{"foo": "new"}
		oldSelector := map[string]string{"foo": "old"}
		newRS := rs("foo-new", test.newReplicas, newSelector, noTimestamp)
		newRS.Status.AvailableReplicas = int32(test.readyPodsFromNewRS)
		oldRS := rs("foo-old", test.oldReplicas, oldSelector, noTimestamp)
		oldRS.Status.AvailableReplicas = int32(test.readyPodsFromOldRS)
		controller, w, stored := testController(t, oldRS, newRS)
		oldRS, newRS = stored[0], stored[1]
		oldRSs := []*apps.ReplicaSet{oldRS}
		allRSs := []*apps.ReplicaSet{oldRS, newRS}
		maxSurge := intstr.FromInt32(0)
		deployment := newUpstreamDeployment("foo", test.deploymentReplicas, nil, &maxSurge, &test.maxUnavailable, newSelector)
		scaled, err := controller.reconcileOldReplicaSets(allRSs, oldRSs, newRS, deployment)
		if err != nil {
			t.Errorf("unexpected error: %v", err)
			continue
		}
		got := storedReplicas(t, w, oldRS.Name)
		if !test.scaleExpected && (scaled || got != test.oldReplicas) {
			t.Errorf("unexpected scaling: %d -> %d", test.oldReplicas, got)
		}
		if test.scaleExpected && !scaled {
			t.Errorf("expected scaling to occur")
			continue
		}
		// Upstream's table states expectedOldReplicas without checking it
		// (its fake clientset returns no object); ours does.
		if test.scaleExpected && got != test.expectedOldReplicas {
			t.Errorf("expected old ReplicaSet scaled to %d, got %d", test.expectedOldReplicas, got)
		}
		continue
	}
}

func TestUpstreamDeploymentController_cleanupUnhealthyReplicas(t *testing.T) {
	tests := []struct {
		oldReplicas          int32
		readyPods            int
		unHealthyPods        int
		maxCleanupCount      int
		cleanupCountExpected int
	}{
		{10, 8, 2, 1, 1},
		{10, 8, 2, 3, 2},
		{10, 8, 2, 0, 0},
		{10, 10, 0, 3, 0},
	}

	for i, test := range tests {
		t.Logf("executing scenario %d", i)
		oldRS := rs("foo-v2", test.oldReplicas, nil, noTimestamp)
		oldRS.Status.AvailableReplicas = int32(test.readyPods)
		controller, w, stored := testController(t, oldRS)
		oldRSs := []*apps.ReplicaSet{stored[0]}
		maxSurge := intstr.FromInt32(2)
		maxUnavailable := intstr.FromInt32(2)
		deployment := newUpstreamDeployment("foo", 10, nil, &maxSurge, &maxUnavailable, nil)
		_, cleanupCount, err := controller.cleanupUnhealthyReplicas(oldRSs, deployment, int32(test.maxCleanupCount))
		if got := storedReplicas(t, w, oldRS.Name); err == nil && got != test.oldReplicas-cleanupCount {
			t.Errorf("cleaned up %d, but the ReplicaSet went %d -> %d", cleanupCount, test.oldReplicas, got)
		}
		if err != nil {
			t.Errorf("unexpected error: %v", err)
			continue
		}
		if int(cleanupCount) != test.cleanupCountExpected {
			t.Errorf("expected %v unhealthy replicas been cleaned up, got %v", test.cleanupCountExpected, cleanupCount)
			continue
		}
	}
}

func TestUpstreamDeploymentController_scaleDownOldReplicaSetsForRollingUpdate(t *testing.T) {
	tests := []struct {
		deploymentReplicas  int32
		maxUnavailable      intstr.IntOrString
		readyPods           int
		oldReplicas         int32
		scaleExpected       bool
		expectedOldReplicas int32
	}{
		{10, intstr.FromInt32(0), 10, 10, true, 9},
		{10, intstr.FromInt32(2), 10, 10, true, 8},
		{10, intstr.FromInt32(2), 8, 10, false, 0},
		{10, intstr.FromInt32(2), 10, 0, false, 0},
		{10, intstr.FromInt32(2), 1, 10, false, 0},
	}

	for i := range tests {
		test := tests[i]
		t.Logf("executing scenario %d", i)
		oldRS := rs("foo-v2", test.oldReplicas, nil, noTimestamp)
		oldRS.Status.AvailableReplicas = int32(test.readyPods)
		controller, w, stored := testController(t, oldRS)
		allRSs := []*apps.ReplicaSet{stored[0]}
		oldRSs := []*apps.ReplicaSet{stored[0]}
		maxSurge := intstr.FromInt32(0)
		deployment := newUpstreamDeployment("foo", test.deploymentReplicas, nil, &maxSurge, &test.maxUnavailable, map[string]string{"foo": "bar"})
		scaled, err := controller.scaleDownOldForRollingUpdate(allRSs, oldRSs, deployment)
		if err != nil {
			t.Errorf("unexpected error: %v", err)
			continue
		}
		got := storedReplicas(t, w, oldRS.Name)
		if !test.scaleExpected {
			if scaled != 0 || got != test.oldReplicas {
				t.Errorf("unexpected scaling: %d -> %d", test.oldReplicas, got)
			}
			continue
		}
		if test.scaleExpected && scaled == 0 {
			t.Errorf("expected scaling to occur")
			continue
		}
		if e, a := test.expectedOldReplicas, got; e != a {
			t.Errorf("expected update to %d replicas, got %d", e, a)
		}
	}
}
