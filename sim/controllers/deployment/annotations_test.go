package deployment

import (
	"maps"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestNewRSAnnotationsWritesNoStoredMap: newRSAnnotations on a shallow
// copy of a ReplicaSet (what every sync does with the stored new
// ReplicaSet) makes the annotations upstream's SetNewReplicaSetAnnotations
// makes, reports whether they changed, and leaves the stored map as it
// was; with nothing to change the copy keeps the stored map. (The
// Deployment has no strategy: its maxSurge is 0.)
func TestNewRSAnnotationsWritesNoStoredMap(t *testing.T) {
	rev := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name        string
		rs, d       map[string]string
		newRevision int64
		exists      bool
		want        map[string]string // nil: unchanged
	}{
		{"current", rev(RevisionAnnotation, "2"), nil, 2, true, nil},
		{"new revision", rev(RevisionAnnotation, "1"), nil, 3, true, rev(RevisionAnnotation, "3", RevisionHistoryAnnotation, "1")},
		{"new revision with history", rev(RevisionAnnotation, "2", RevisionHistoryAnnotation, "1"), nil, 3, true,
			rev(RevisionAnnotation, "3", RevisionHistoryAnnotation, "1,2")},
		{"user annotation copied", rev(RevisionAnnotation, "2"), rev("team", "a"), 2, true, rev(RevisionAnnotation, "2", "team", "a")},
		{"user annotation there", rev(RevisionAnnotation, "2", "team", "a"), rev("team", "a"), 2, true, nil},
		{"skipped annotation", rev(RevisionAnnotation, "2"), rev(RevisionAnnotation, "9"), 2, true, nil},
		{"unparsable revision", rev(RevisionAnnotation, "x"), nil, 2, true, nil},
		{"to be created", nil, rev("team", "a"), 1, false,
			rev(RevisionAnnotation, "1", "team", "a", DesiredReplicasAnnotation, "4", MaxReplicasAnnotation, "4")},
		{"to be created, replica annotations set", rev(RevisionAnnotation, "1", DesiredReplicasAnnotation, "4", MaxReplicasAnnotation, "4"),
			nil, 1, false, nil},
	} {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Annotations: tc.d}, Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](4)}}
		stored := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Annotations: tc.rs}}
		before := maps.Clone(tc.rs)
		probe := *stored
		changed := newRSAnnotations(d, &probe, tc.newRevision, tc.exists)
		require.Equal(t, tc.want != nil, changed, tc.name)
		require.Equal(t, before, stored.Annotations, "%s: the stored map is unchanged", tc.name)
		if tc.want == nil {
			require.Equal(t, tc.rs, probe.Annotations, tc.name)
			continue
		}
		require.Equal(t, tc.want, probe.Annotations, tc.name)
	}
}
