package kubeapi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestKubectlJobsAndCronJobs creates a Job and a CronJob with the real
// kubectl and reads them back through the Job and CronJob printers.
func TestKubectlJobsAndCronJobs(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})

	require.Contains(t, k.ok("create", "job", "hello", "--image=busybox:1.36", "--", "sleep", "3"), "job.batch/hello created")
	require.NoError(t, f.sess.RunFor(30*time.Second))
	out := k.ok("get", "jobs")
	require.Regexp(t, spaced("NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"), out)
	require.Regexp(t, spaced("hello", "Complete", "1/1"), out)

	require.Contains(t, k.ok("create", "cronjob", "tick", "--image=busybox:1.36", "--schedule=*/1 * * * *", "--", "true"), "cronjob.batch/tick created")
	require.NoError(t, f.sess.RunFor(2*time.Minute+10*time.Second))
	out = k.ok("get", "cronjobs")
	require.Regexp(t, spaced("NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"), out)
	require.Regexp(t, spaced("tick", "*/1 * * * *", "<none>", "False"), out)
	require.Regexp(t, `tick-\d+\s+Complete\s+1/1`, k.ok("get", "jobs"))
}
