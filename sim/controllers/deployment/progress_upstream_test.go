package deployment

// Ported from upstream, inputs and expected values unchanged, harness
// adapted:
//   kubernetes v1.37.2 pkg/controller/deployment/progress_test.go
//     TestRequeueStuckDeployment, TestSyncRolloutStatus
// Harness: requeueStuckDeployment's answer is stuckRecheckAfter (the
// controller's requeueStuck queues by it); upstream's nowFn is the
// table's time passed in. syncRolloutStatus's new status is RolloutStatus
// (the controller writes it through the API server), computed at a "now"
// long after the tables' 2017 times, as upstream's wall clock is. Where a
// case says a condition time is not updated, the harness checks that the
// condition kept the input's time (upstream compares the expectation with
// itself there). No case is skipped.

import (
	"math"
	"testing"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func newDeploymentStatus(replicas, updatedReplicas, availableReplicas int32) apps.DeploymentStatus {
	return apps.DeploymentStatus{
		Replicas:          replicas,
		UpdatedReplicas:   updatedReplicas,
		AvailableReplicas: availableReplicas,
	}
}

// currentDeployment assumes the returned deployment is always observed.
func currentDeployment(pds *int32, replicas, statusReplicas, updatedReplicas, availableReplicas int32, conditions []apps.DeploymentCondition) *apps.Deployment {
	d := &apps.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name: "progress-test",
		},
		Spec: apps.DeploymentSpec{
			ProgressDeadlineSeconds: pds,
			Replicas:                &replicas,
			Strategy: apps.DeploymentStrategy{
				Type: apps.RecreateDeploymentStrategyType,
			},
		},
		Status: newDeploymentStatus(statusReplicas, updatedReplicas, availableReplicas),
	}
	d.Status.Conditions = conditions
	return d
}

// newRSWithAvailable is an RS with the given availableReplicas.
func newRSWithAvailable(name string, specReplicas, statusReplicas, availableReplicas int) *apps.ReplicaSet {
	rs := rs(name, int32(specReplicas), nil, metav1.Time{})
	rs.Status = apps.ReplicaSetStatus{
		Replicas:          int32(statusReplicas),
		AvailableReplicas: int32(availableReplicas),
	}
	return rs
}

func TestUpstreamRequeueStuckDeployment(t *testing.T) {
	pds := int32(60)
	infinite := int32(math.MaxInt32)
	failed := []apps.DeploymentCondition{
		{
			Type:   apps.DeploymentProgressing,
			Status: v1.ConditionFalse,
			Reason: TimedOutReason,
		},
	}
	stuck := []apps.DeploymentCondition{
		{
			Type:           apps.DeploymentProgressing,
			Status:         v1.ConditionTrue,
			LastUpdateTime: metav1.Date(2017, 2, 15, 18, 49, 0, 0, time.UTC),
		},
	}

	at := func(hour, minute, sec, nsec int) time.Time {
		return metav1.Date(2017, 2, 15, hour, minute, sec, nsec, time.UTC).Time
	}

	// A case's status is its Deployment's: upstream's cases give the same
	// three numbers to currentDeployment and to newDeploymentStatus.
	tests := []struct {
		name     string
		d        *apps.Deployment
		now      time.Time
		expected time.Duration
	}{
		{"nil progressDeadlineSeconds specified", currentDeployment(nil, 4, 3, 3, 2, nil), time.Time{}, -1},
		{"infinite progressDeadlineSeconds specified", currentDeployment(&infinite, 4, 3, 3, 2, nil), time.Time{}, -1},
		{"no progressing condition found", currentDeployment(&pds, 4, 3, 3, 2, nil), time.Time{}, -1},
		{"complete deployment does not need to be requeued", currentDeployment(&pds, 3, 3, 3, 3, nil), time.Time{}, -1},
		{"already failed deployment does not need to be requeued", currentDeployment(&pds, 3, 3, 3, 0, failed), time.Time{}, -1},
		{"stuck deployment - 30s", currentDeployment(&pds, 3, 3, 3, 1, stuck), at(18, 49, 30, 0), 30 * time.Second},
		{"stuck deployment - 1s", currentDeployment(&pds, 3, 3, 3, 1, stuck), at(18, 49, 59, 0), 1 * time.Second},
		{"failed deployment - less than a second => now", currentDeployment(&pds, 3, 3, 3, 1, stuck), at(18, 49, 59, 1), 0},
		{"failed deployment - now", currentDeployment(&pds, 3, 3, 3, 1, stuck), at(18, 50, 0, 0), 0},
		{"failed deployment - 1s after deadline", currentDeployment(&pds, 3, 3, 3, 1, stuck), at(18, 50, 1, 0), 0},
		{"failed deployment - 60s after deadline", currentDeployment(&pds, 3, 3, 3, 1, stuck), at(18, 51, 0, 0), 0},
	}

	// Upstream's nowFn stays at the last one set when a case gives none
	// (those cases return before the time matters).
	var now time.Time
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if !test.now.IsZero() {
				now = test.now
			}
			got := stuckRecheckAfter(test.d, test.d.Status, now)
			if got != test.expected {
				t.Errorf("%s: got duration: %v, expected duration: %v", test.name, got, test.expected)
			}
		})
	}
}

func TestUpstreamSyncRolloutStatus(t *testing.T) {
	pds := int32(60)
	testTime := metav1.Date(2017, 2, 15, 18, 49, 0, 0, time.UTC)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	failedTimedOut := apps.DeploymentCondition{
		Type:   apps.DeploymentProgressing,
		Status: v1.ConditionFalse,
		Reason: TimedOutReason,
	}
	newRSAvailable := apps.DeploymentCondition{
		Type:               apps.DeploymentProgressing,
		Status:             v1.ConditionTrue,
		Reason:             NewRSAvailableReason,
		LastUpdateTime:     testTime,
		LastTransitionTime: testTime,
	}
	replicaSetUpdated := apps.DeploymentCondition{
		Type:               apps.DeploymentProgressing,
		Status:             v1.ConditionTrue,
		Reason:             ReplicaSetUpdatedReason,
		LastUpdateTime:     testTime,
		LastTransitionTime: testTime,
	}

	conds := func(c ...apps.DeploymentCondition) []apps.DeploymentCondition {
		return append([]apps.DeploymentCondition{}, c...)
	}
	rss := func(r ...*apps.ReplicaSet) []*apps.ReplicaSet { return append([]*apps.ReplicaSet{}, r...) }
	avail := newRSWithAvailable
	progressing, updated, available, timedOut := apps.DeploymentProgressing, ReplicaSetUpdatedReason, NewRSAvailableReason, TimedOutReason
	isTrue, isFalse := v1.ConditionTrue, v1.ConditionFalse
	var unset metav1.Time

	// A case: its name, the Deployment and ReplicaSets given, the
	// Progressing condition wanted (none where the type is empty), and
	// whether its last update and last transition times must be the ones
	// the Deployment had (upstream's lastUpdate and lastTransition,
	// testTime where set).
	tests := []struct {
		name            string
		d               *apps.Deployment
		allRSs          []*apps.ReplicaSet
		newRS           *apps.ReplicaSet
		conditionType   apps.DeploymentConditionType
		conditionStatus v1.ConditionStatus
		conditionReason string
		lastUpdate      metav1.Time
		lastTransition  metav1.Time
	}{
		{"General: remove Progressing condition and do not estimate progress if deployment has no Progress Deadline",
			currentDeployment(nil, 3, 2, 2, 2, conds(replicaSetUpdated)), rss(avail("bar", 0, 1, 1)), avail("foo", 3, 2, 2), "", "", "", unset, unset},
		{"General: do not estimate progress of deployment with only one active ReplicaSet",
			currentDeployment(&pds, 3, 3, 3, 3, conds(newRSAvailable)), rss(avail("bar", 3, 3, 3)), nil, progressing, isTrue, available, testTime, testTime},
		{"DeploymentProgressing: dont update lastTransitionTime if deployment already has Progressing=True",
			currentDeployment(&pds, 3, 2, 2, 2, conds(replicaSetUpdated)), rss(avail("bar", 0, 1, 1)), avail("foo", 3, 2, 2), progressing, isTrue, updated, unset, testTime},
		{"DeploymentProgressing: update everything if deployment has Progressing=False",
			currentDeployment(&pds, 3, 2, 2, 2, conds(failedTimedOut)), rss(avail("bar", 0, 1, 1)), avail("foo", 3, 2, 2), progressing, isTrue, updated, unset, unset},
		{"DeploymentProgressing: create Progressing condition if it does not exist",
			currentDeployment(&pds, 3, 2, 2, 2, conds()), rss(avail("bar", 0, 1, 1)), avail("foo", 3, 2, 2), progressing, isTrue, updated, unset, unset},
		{"DeploymentComplete: dont update lastTransitionTime if deployment already has Progressing=True",
			currentDeployment(&pds, 3, 3, 3, 3, conds(replicaSetUpdated)), rss(), avail("foo", 3, 3, 3), progressing, isTrue, available, unset, testTime},
		{"DeploymentComplete: update everything if deployment has Progressing=False",
			currentDeployment(&pds, 3, 3, 3, 3, conds(failedTimedOut)), rss(), avail("foo", 3, 3, 3), progressing, isTrue, available, unset, unset},
		{"DeploymentComplete: create Progressing condition if it does not exist",
			currentDeployment(&pds, 3, 3, 3, 3, conds()), rss(), avail("foo", 3, 3, 3), progressing, isTrue, available, unset, unset},
		{"DeploymentComplete: defend against NPE when newRS=nil",
			currentDeployment(&pds, 0, 3, 3, 3, conds(replicaSetUpdated)), rss(avail("foo", 0, 0, 0)), nil, progressing, isTrue, available, unset, unset},
		{"DeploymentTimedOut: update status if rollout exceeds Progress Deadline",
			currentDeployment(&pds, 3, 2, 2, 2, conds(replicaSetUpdated)), rss(), avail("foo", 3, 2, 2), progressing, isFalse, timedOut, unset, unset},
		{"DeploymentTimedOut: do not update status if deployment has existing timedOut condition",
			currentDeployment(&pds, 3, 2, 2, 2, conds(failedTimedOut)), rss(), avail("foo", 3, 2, 2), progressing, isFalse, timedOut, testTime, testTime},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if test.newRS != nil {
				test.allRSs = append(test.allRSs, test.newRS)
			}
			var before apps.DeploymentCondition
			if c := getCondition(test.d.Status, apps.DeploymentProgressing); c != nil {
				before = *c
			}

			status := RolloutStatus(test.allRSs, test.newRS, test.d, now)

			newCond := getCondition(status, test.conditionType)
			switch {
			case newCond == nil:
				if test.d.Spec.ProgressDeadlineSeconds != nil && *test.d.Spec.ProgressDeadlineSeconds != math.MaxInt32 {
					t.Errorf("%s: expected deployment condition: %s", test.name, test.conditionType)
				}
			case newCond.Status != test.conditionStatus || newCond.Reason != test.conditionReason:
				t.Errorf("%s: DeploymentProgressing has status %s with reason %s. Expected %s with %s.", test.name, newCond.Status, newCond.Reason, test.conditionStatus, test.conditionReason)
			case !test.lastUpdate.IsZero() && !newCond.LastUpdateTime.Equal(&before.LastUpdateTime):
				t.Errorf("%s: LastUpdateTime was changed to %s but expected %s;", test.name, newCond.LastUpdateTime, before.LastUpdateTime)
			case !test.lastTransition.IsZero() && !newCond.LastTransitionTime.Equal(&before.LastTransitionTime):
				t.Errorf("%s: LastTransitionTime was changed to %s but expected %s;", test.name, newCond.LastTransitionTime, before.LastTransitionTime)
			}
			if test.d.Spec.ProgressDeadlineSeconds == nil && getCondition(status, apps.DeploymentProgressing) != nil {
				t.Errorf("%s: the Progressing condition should be removed without a progress deadline", test.name)
			}
		})
	}
}
