package kubeapi

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/cluster"
)

const logPods = `apiVersion: v1
kind: Pod
metadata: {name: hello}
spec:
  restartPolicy: Never
  containers:
  - name: hello
    image: busybox:1.36
    args: [echo, hello from the pod]
---
apiVersion: v1
kind: Pod
metadata: {name: ticker}
spec:
  containers:
  - name: main
    image: busybox:1.36
    command: [sh, -c, 'while true; do echo "tick $(date +%T)"; sleep 10; done']
  - name: side
    image: busybox:1.36
    command: [sh, -c, 'echo side up; sleep 3600']
---
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: [sh, -c, 'echo starting; sleep 5; echo giving up >&2; exit 1']
`

// TestKubectlLogs: logs come from the command the container runs (echo,
// a loop on the virtual clock), --tail, --since, -c, --all-containers,
// --previous of a restarted container and upstream's error without one.
func TestKubectlLogs(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	k.apply(logPods)
	require.NoError(t, f.sess.RunFor(65*time.Second))

	require.Equal(t, "hello from the pod\n", k.ok("logs", "hello"))
	require.Regexp(t, spaced("hello", "0/1", "Completed"), k.ok("get", "pod", "hello"))

	out := k.ok("logs", "ticker", "-c", "main")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.GreaterOrEqual(t, len(lines), 5, out)
	require.Regexp(t, `^tick \d\d:\d\d:\d\d$`, lines[0])
	require.NotEqual(t, lines[0], lines[1], "each line carries the virtual time it was written")
	require.Equal(t, strings.Join(lines[len(lines)-2:], "\n")+"\n", k.ok("logs", "ticker", "-c", "main", "--tail=2"))
	since := strings.TrimSpace(k.ok("logs", "ticker", "-c", "main", "--since=25s"))
	require.Len(t, strings.Split(since, "\n"), 3, since) // the clock's last 25 s: lines 10 s apart
	require.Equal(t, "side up\n", k.ok("logs", "ticker", "-c", "side"))
	all := k.ok("logs", "ticker", "--all-containers")
	require.Contains(t, all, "side up\n")
	require.Contains(t, all, lines[0]+"\n")
	ts := k.ok("logs", "ticker", "-c", "side", "--timestamps")
	require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z side up\n$`, ts)

	// The crashing container restarted: --previous is the last instance's
	// output, stdout and stderr.
	require.Regexp(t, `crash\s+0/1\s+\S+\s+[1-9]`, k.ok("get", "pod", "crash"))
	require.Equal(t, "starting\ngiving up\n", k.ok("logs", "crash", "--previous"))
	out, err := k.run("logs", "ticker", "-c", "main", "--previous")
	require.Error(t, err)
	require.Contains(t, out, `previous terminated container "main" in pod "ticker" not found`)
	out, err = k.run("logs", "ticker", "--tail=1")
	require.NoError(t, err)
	require.Contains(t, out, `Defaulted container "main" out of: main, side`)
}

const countPod = `apiVersion: v1
kind: Pod
metadata: {name: counter}
spec:
  restartPolicy: Never
  containers:
  - name: count
    image: busybox:1.36
    command: [sh, -c, 'echo line 1; sleep 20; echo line 2; sleep 20; echo line 3; sleep 20; echo line 4']
`

// TestKubectlLogsFollow: `kubectl logs -f` prints lines as the virtual
// clock writes them and ends when the container does.
func TestKubectlLogsFollow(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{speed: 20})
	k.apply(countPod)
	var start time.Time
	f.sess.With(func(cl *cluster.Cluster) { start = cl.Engine.Now() })
	out := k.ok("logs", "-f", "counter")
	require.Equal(t, "line 1\nline 2\nline 3\nline 4\n", out)
	var end time.Time
	f.sess.With(func(cl *cluster.Cluster) { end = cl.Engine.Now() })
	require.GreaterOrEqual(t, end.Sub(start), 50*time.Second, "the follow lasted until the container's end on the virtual clock")
	require.Regexp(t, spaced("counter", "0/1", "Completed"), k.ok("get", "pod", "counter"))
}

// TestKubectlAttach: `kubectl attach` streams what the process writes
// from the moment it attached, as the runtime's attach does (the earlier
// lines are in the log only), until the container ends.
func TestKubectlAttach(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{speed: 10})
	k.apply(strings.NewReplacer("sleep 20; echo line 3; sleep 20; echo line 4", "sleep 60; echo line 3", "sleep 20", "sleep 60").Replace(countPod))
	waitFor(t, k, regexp.MustCompile(`line 2`), "logs", "counter")
	out := k.ok("attach", "counter")
	require.Equal(t, "If you don't see a command prompt, try pressing enter.\nline 3\n", out, "kubectl's own hint, then only the new line")
	require.Equal(t, "line 1\nline 2\nline 3\n", k.ok("logs", "counter"))
}
