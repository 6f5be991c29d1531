package job_test

import (
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/controllers/controllertest"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/controllers/job"
)

func busyboxJob(name string, completions, parallelism, backoff *int32, cmd ...string) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: batchv1.JobSpec{Completions: completions, Parallelism: parallelism, BackoffLimit: backoff,
			Template: controllertest.JobTemplate(cmd...)},
	}
}

func getJob(t *testing.T, c *cluster.Cluster, name string) *batchv1.Job {
	return fake.Get[*batchv1.Job](t, c.Store, "Job", name)
}

func hasCondition(j *batchv1.Job, typ batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range j.Status.Conditions {
		if j.Status.Conditions[i].Type == typ && j.Status.Conditions[i].Status == corev1.ConditionTrue {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

func TestDefaultsAndSelector(t *testing.T) {
	c := controllertest.Cluster(t, 2)
	out, err := c.Client("test").Create(busyboxJob("d", nil, nil, nil, "true"))
	require.NoError(t, err)
	j := out.(*batchv1.Job)
	require.Equal(t, int32(1), *j.Spec.Completions)
	require.Equal(t, int32(1), *j.Spec.Parallelism)
	require.Equal(t, int32(6), *j.Spec.BackoffLimit)
	require.Equal(t, batchv1.NonIndexedCompletion, *j.Spec.CompletionMode)
	require.Equal(t, map[string]string{apiserver.JobControllerUIDLabel: string(j.UID)}, j.Spec.Selector.MatchLabels)
	require.Equal(t, "d", j.Spec.Template.Labels["job-name"])

	bad := busyboxJob("bad", nil, nil, nil, "true")
	bad.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways
	_, err = c.Client("test").Create(bad)
	require.ErrorContains(t, err, `spec.template.spec.restartPolicy: Unsupported value: "Always"`)
}

// TestCompletions: 3 completions, 2 at a time, 5 s each: two waves.
func TestCompletions(t *testing.T) {
	c := controllertest.Cluster(t, 2)
	_, err := c.Client("test").Create(busyboxJob("work", ptr.To(int32(3)), ptr.To(int32(2)), nil, "sleep", "5"))
	require.NoError(t, err)
	peak := int32(0)
	c.Engine.RunWhile(5*time.Minute, func() bool {
		j := getJob(t, c, "work")
		peak = max(peak, j.Status.Active)
		return hasCondition(j, batchv1.JobComplete) == nil
	})
	j := getJob(t, c, "work")
	require.NotNil(t, hasCondition(j, batchv1.JobComplete))
	require.NotNil(t, hasCondition(j, batchv1.JobSuccessCriteriaMet))
	require.Equal(t, int32(3), j.Status.Succeeded)
	require.Equal(t, int32(0), j.Status.Failed)
	require.Equal(t, int32(0), j.Status.Active)
	require.Equal(t, int32(2), peak)
	d := j.Status.CompletionTime.Sub(j.Status.StartTime.Time)
	require.Greater(t, d, 10*time.Second, "two waves of 5 s pods")
	require.Less(t, d, 90*time.Second)
	require.Len(t, c.Store.Select("Pod", "default", mustSel(t, j)), 3)
}

func mustSel(t *testing.T, j *batchv1.Job) labels.Selector {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(j.Spec.Selector)
	require.NoError(t, err)
	return sel
}

// TestBackoffLimit: a pod exiting 1 with backoffLimit 2 fails three
// times, each replacement waiting 10 s then 20 s after the last failure.
func TestBackoffLimit(t *testing.T) {
	c := controllertest.Cluster(t, 2)
	_, err := c.Client("test").Create(busyboxJob("fail", nil, nil, ptr.To(int32(2)), "sh", "-c", "exit 1"))
	require.NoError(t, err)
	c.Engine.RunWhile(10*time.Minute, func() bool { return hasCondition(getJob(t, c, "fail"), batchv1.JobFailed) == nil })
	j := getJob(t, c, "fail")
	cond := hasCondition(j, batchv1.JobFailed)
	require.NotNil(t, cond)
	require.Equal(t, job.BackoffLimitExceeded, cond.Reason)
	require.Equal(t, "Job has reached the specified backoff limit", cond.Message)
	require.Equal(t, int32(3), j.Status.Failed)
	require.Nil(t, j.Status.CompletionTime)
	pods := c.Store.Select("Pod", "default", mustSel(t, j))
	require.Len(t, pods, 3)
	type span struct{ created, finished time.Time }
	var spans []span
	for _, o := range pods {
		p := o.(*corev1.Pod)
		require.Equal(t, corev1.PodFailed, p.Status.Phase)
		spans = append(spans, span{p.CreationTimestamp.Time, p.Status.ContainerStatuses[0].State.Terminated.FinishedAt.Time})
	}
	sort.Slice(spans, func(a, b int) bool { return spans[a].created.Before(spans[b].created) })
	for i, want := range []time.Duration{10 * time.Second, 20 * time.Second} {
		gap := spans[i+1].created.Sub(spans[i].finished)
		require.GreaterOrEqual(t, gap, want, "gap %d", i)
		require.Less(t, gap, want+5*time.Second, "gap %d", i)
	}
}

func TestBackoffSequence(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 7: 640 * time.Second / 1, 10: 10 * time.Minute} {
		if n == 7 {
			want = 10 * time.Minute // 640 s is past the cap
		}
		require.Equal(t, want, job.Backoff(n), "n=%d", n)
	}
}

func TestActiveDeadline(t *testing.T) {
	c := controllertest.Cluster(t, 2)
	j := busyboxJob("slow", nil, nil, nil, "sleep", "600")
	j.Spec.ActiveDeadlineSeconds = ptr.To(int64(30))
	_, err := c.Client("test").Create(j)
	require.NoError(t, err)
	c.Engine.RunUntil(40 * time.Second)
	got := getJob(t, c, "slow")
	cond := hasCondition(got, batchv1.JobFailed)
	require.NotNil(t, cond)
	require.Equal(t, job.DeadlineExceeded, cond.Reason)
	require.Equal(t, "Job was active longer than specified deadline", cond.Message)
	require.WithinDuration(t, got.Status.StartTime.Add(30*time.Second), cond.LastTransitionTime.Time, time.Second)
}
