package shell

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// fakeHost is a store and a clock that sleeping moves.
type fakeHost struct {
	st    *store.Store
	now   time.Time
	slept time.Duration
}

func (h *fakeHost) Read(fn func(st *State)) { fn(&State{Store: h.st, Now: h.now}) }
func (h *fakeHost) Sleep(d time.Duration) error {
	h.now = h.now.Add(d)
	h.slept += d
	return nil
}

func newTestShell(t *testing.T, image string) (*Shell, *fakeHost) {
	t.Helper()
	st := store.New(sim.NewEngine(1))
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c", Image: image,
			Env: []corev1.EnvVar{{Name: "A", Value: "one"}, {Name: "B", Value: "$(A)-two"}, {Name: "C", Value: "$$(A) $(NOPE)"}}}}}}
	h := &fakeHost{st: st, now: time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)}
	sh, err := New(Config{Host: h, Pod: pod, Container: "c"})
	require.NoError(t, err)
	return sh, h
}

func run(sh *Shell, script string) (string, string, int) {
	var out, errw strings.Builder
	code, _ := sh.Run(script, nil, &out, &errw)
	return out.String(), errw.String(), code
}

// TestScripts: the shell's grammar and expansions on busybox.
func TestScripts(t *testing.T) {
	for _, tc := range []struct {
		script, out, err string
		code             int
	}{
		{`echo hello world`, "hello world\n", "", 0},
		{`echo "a  b" 'c  $A' $A`, "a  b c  $A one\n", "", 0},
		{`echo $B; echo "$C"`, "one-two\n$(A) $(NOPE)\n", "", 0},
		{`X=1; Y="$X 2"; echo "$Y"`, "1 2\n", "", 0},
		{`false && echo no || echo yes`, "yes\n", "", 0},
		{`true; echo $?; false; echo $?`, "0\n1\n", "", 0},
		{`for i in 1 2 3; do echo n$i; done`, "n1\nn2\nn3\n", "", 0},
		{`i=0; while [ $i -lt 3 ]; do i=$(echo $i | wc -l); echo $i; i=3; done`, "1\n", "", 0},
		{`if [ -d /etc ]; then echo dir; else echo no; fi`, "dir\n", "", 0},
		{`if test -f /nope; then echo y; elif [ a = a ]; then echo elif; fi`, "elif\n", "", 0},
		{`echo $(echo inner) "$(hostname)"`, "inner p\n", "", 0},
		{"echo `echo back`", "back\n", "", 0},
		{`printf '%s=%d\n' a 1 b 2`, "a=1\nb=2\n", "", 0},
		{`echo one > /tmp/f; echo two >> /tmp/f; cat /tmp/f | grep -c o`, "2\n", "", 0},
		{`cat /tmp/none`, "", "cat: can't open '/tmp/none': No such file or directory\n", 1},
		{`nosuch arg`, "", "sh: nosuch: not found\n", 127},
		{`exit 5; echo after`, "", "", 5},
		{`(exit 4); echo $?`, "4\n", "", 0},
		{`cd /nope`, "", "sh: cd: can't cd to /nope: No such file or directory\n", 1},
		{`echo "unterminated`, "", "sh: syntax error: unterminated quoted string\n", 2},
		{`cd /etc && pwd && ls | grep -c hosts`, "/etc\n1\n", "", 0},
		{`echo a >&2`, "", "a\n", 0},
		{`curl http://x`, "", "sh: curl: not found\n", 127},
		{`date`, "Fri Dec  4 01:00:00 UTC 2026\n", "", 0},
		{`date +%s`, "1796346000\n", "", 0},
		{`id; whoami`, "uid=0(root) gid=0(root) groups=0(root),10(wheel)\nroot\n", "", 0},
	} {
		t.Run(tc.script, func(t *testing.T) {
			sh, _ := newTestShell(t, "busybox:1.36")
			out, errw, code := run(sh, tc.script)
			require.Equal(t, tc.out, out)
			require.Equal(t, tc.err, errw)
			require.Equal(t, tc.code, code)
		})
	}
}

// TestSleepMovesTheClock: sleep waits on the host's virtual clock and
// date reads it; a loop without sleep is stopped.
func TestSleepMovesTheClock(t *testing.T) {
	sh, h := newTestShell(t, "busybox:1.36")
	out, _, code := run(sh, `date +%T; sleep 90; date +%T; sleep 1m 2s`)
	require.Equal(t, 0, code)
	require.Equal(t, "01:00:00\n01:01:30\n", out)
	require.Equal(t, 90*time.Second+62*time.Second, h.slept)

	_, errw, code := run(sh, `while true; do :; done`)
	require.Equal(t, 137, code)
	require.Contains(t, errw, "without waiting on the clock")
}

// TestDialects: Debian's dash and bash word their errors differently
// from busybox, and an image without a shell has no sh.
func TestDialects(t *testing.T) {
	sh, _ := newTestShell(t, "nginx:1.27")
	_, errw, code := run(sh, `nosuch`)
	require.Equal(t, 127, code)
	require.Equal(t, "sh: 1: nosuch: not found\n", errw)
	_, errw, _ = run(sh, `ps`)
	require.Equal(t, "sh: 2: ps: not found\n", errw, "the nginx image has no procps")
	_, errw, _ = run(sh, `bash -c nosuch`)
	require.Equal(t, "bash: nosuch: command not found\n", errw)

	ds, _ := newTestShell(t, "gcr.io/distroless/static-debian12")
	_, err := ds.Exec([]string{"sh"}, nil, &strings.Builder{}, &strings.Builder{})
	require.EqualError(t, err, `exec: "sh": executable file not found in $PATH`)
}

// TestPsProcessNamespaces: ps sees the processes of its PID namespace.
// Alone, a container's own process is PID 1; an ephemeral container
// that targets another (kubectl debug --target) joins the target's
// namespace, so the target's processes come first; a pod sharing its
// process namespace starts with the pause process and shows every
// running container's. A shell that is the container's own process
// (attach) is not listed twice.
func TestPsProcessNamespaces(t *testing.T) {
	running := func(name string) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.PodSpec{NodeName: "n1",
			Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.27"}, {Name: "side", Image: "busybox:1.36", Command: []string{"sleep", "3600"}}},
			EphemeralContainers: []corev1.EphemeralContainer{
				{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "busybox:1.36"}, TargetContainerName: "nginx"},
				{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "plain", Image: "busybox:1.36", Command: []string{"sleep", "60"}}},
			}},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{running("nginx"), running("side")},
			EphemeralContainerStatuses: []corev1.ContainerStatus{running("dbg"), running("plain")}}}
	h := &fakeHost{st: store.New(sim.NewEngine(1)), now: time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)}
	ps := func(p *corev1.Pod, container string, main bool) string {
		sh, err := New(Config{Host: h, Pod: p, Container: container, Main: main})
		require.NoError(t, err)
		out, errs, code := run(sh, "ps")
		require.Zero(t, code, errs)
		return out
	}
	require.Equal(t, `PID   USER     TIME  COMMAND
    1 root      0:00 nginx: master process nginx -g daemon off;
   29 101       0:00 nginx: worker process
   30 101       0:00 nginx: worker process
   36 root      0:00 sh
   42 root      0:00 ps
`, ps(pod, "dbg", true), "kubectl debug -it --target=nginx: the target's processes, then the debug shell")
	require.Equal(t, `PID   USER     TIME  COMMAND
    1 root      0:00 sleep 60
   37 root      0:00 sh
   43 root      0:00 ps
`, ps(pod, "plain", false), "no target: the debug container's own namespace")

	shared := pod.DeepCopy()
	shared.Spec.ShareProcessNamespace = ptr.To(true)
	require.Equal(t, `PID   USER     TIME  COMMAND
    1 65535     0:00 /pause
    7 root      0:00 nginx: master process nginx -g daemon off;
   35 101       0:00 nginx: worker process
   36 101       0:00 nginx: worker process
   42 root      0:00 sleep 3600
   48 root      0:00 sh
   54 root      0:00 sleep 60
   60 root      0:00 sh
   66 root      0:00 ps
`, ps(shared, "side", false))
}
