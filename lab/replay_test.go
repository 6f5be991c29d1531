package lab

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/live"
)

// labFixture is a lab behind a real TLS API on a loopback port, with a
// kubeconfig for kubectl.
type labFixture struct {
	r          *Runner
	served     *Served
	kubeconfig string
	home       string
}

func newLabFixture(t *testing.T, l *Lab, opts Options) *labFixture {
	t.Helper()
	r := NewRunner([]*Lab{l}, opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s, err := ServeAPI(r, ln)
	require.NoError(t, err)
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	require.NoError(t, os.WriteFile(kc, s.Kubeconfig, 0o600))
	t.Cleanup(func() {
		r.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return &labFixture{r: r, served: s, kubeconfig: kc, home: dir}
}

// check evaluates the lab's checks now (not counted as the learner's).
func (f *labFixture) check(t *testing.T) []Result {
	t.Helper()
	st, err := f.r.Check(context.Background(), false)
	require.NoError(t, err)
	return st.Results
}

func allPass(rs []Result) bool {
	for _, r := range rs {
		if !r.Pass {
			return false
		}
	}
	return len(rs) > 0
}

func report(rs []Result) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  pass=%v constraint=%v %s\n    expected: %s\n    found:    %s\n", r.Pass, r.Constraint, r.Name, r.Expected, r.Found)
	}
	return b.String()
}

// kubectlPath is the real kubectl, if installed.
func kubectlPath() string {
	p, err := exec.LookPath("kubectl")
	if err != nil {
		return ""
	}
	return p
}

// runStep replays one solution step: kubectl with the real binary
// (through the live session's kubectl subset where it is not installed),
// etcdctl and ssh through the lab's stand-ins.
func (f *labFixture) runStep(t *testing.T, s Step) {
	t.Helper()
	args, err := s.Args()
	require.NoError(t, err)
	if args[0] != "kubectl" {
		out, err := f.r.Do(args)
		require.NoError(t, err, "%s: %s", s.Run, out)
		return
	}
	bin := kubectlPath()
	if bin == "" {
		if s.Stdin != "" {
			t.Skipf("kubectl is not installed and %q reads standard input", s.Run)
		}
		_, err := f.r.Session().Do(live.Command{Verb: "kubectl", Line: strings.Join(args[1:], " ")})
		require.NoError(t, err, s.Run)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args[1:]...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+f.kubeconfig, "HOME="+f.home)
	cmd.Stdin = strings.NewReader(s.Stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), "%s:\n%s", s.Run, out.String())
}

// TestLabsUntouchedFail: no check earns anything from the state the
// learner did not change, even after a long wait — the cluster does not fix
// itself. Checks that pass at the start are the lab's constraints ("keep
// the taint"): they must still hold.
func TestLabsUntouchedFail(t *testing.T) {
	labs, err := Library()
	require.NoError(t, err)
	eachLab(t, labs, 2, func(t *testing.T, l *Lab) {
		f := newLabFixture(t, l, Options{Paused: true})
		untouched := func(when string) {
			rs := f.check(t)
			progress := 0
			for _, r := range rs {
				if r.Constraint {
					require.True(t, r.Pass, "constraint %q broke by itself %s:\n%s", r.Name, when, report(rs))
					continue
				}
				progress++
				require.False(t, r.Pass, "check %q passes in the untouched lab %s:\n%s", r.Name, when, report(rs))
			}
			require.Positive(t, progress, "every check passes from the start")
			require.Zero(t, Score(l.Points, rs))
		}
		untouched("at its start")
		require.NoError(t, f.r.Session().RunFor(15*time.Minute))
		untouched("15 minutes later")
	})
}

// TestLabSolutions replays every lab's recorded solution with the real
// kubectl against the lab's API; afterwards every check passes (virtual
// time runs at ×30 meanwhile: rollouts, evictions and restores finish).
func TestLabSolutions(t *testing.T) {
	labs, err := Library()
	require.NoError(t, err)
	eachLab(t, labs, 6, func(t *testing.T, l *Lab) {
		{
			f := newLabFixture(t, l, Options{Speed: 100})
			for _, s := range l.Solution {
				f.runStep(t, s)
			}
			var rs []Result
			deadline := time.Now().Add(3 * time.Minute) // wall-clock bound on a loaded machine
			for time.Now().Before(deadline) {
				if rs = f.check(t); allPass(rs) {
					require.Equal(t, float64(l.Points), Score(l.Points, rs))
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
			t.Fatalf("after the solution (virtual time %s) the checks do not all pass:\n%s", f.r.Session().Snapshot().Time, report(rs))
		}
	})
}

// eachLab runs fn on every lab as a subtest, width at a time: the
// solutions mostly wait (kubectl processes, the paced clusters), so more
// of them run at once than the cores t.Parallel would allow. With -short,
// every third lab only.
func eachLab(t *testing.T, labs []*Lab, width int, fn func(*testing.T, *Lab)) {
	sem := make(chan struct{}, width)
	var wg sync.WaitGroup
	for i, l := range labs {
		if testing.Short() && i%3 != 0 {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			t.Run(l.Name, func(t *testing.T) { fn(t, l) })
		}()
	}
	wg.Wait()
}
