package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/lab"
)

// TestLabValidateBadInput: a lab file with an unknown check type, a check
// naming a kind the API does not serve, or hints without a task exits 2
// with a positioned message and prints nothing on stdout.
func TestLabValidateBadInput(t *testing.T) {
	base := `name: bad
title: Bad
domain: storage
points: 3
scenario: demo
task: Do something.
hints: [look]
checks:
  - workload: {name: web}
`
	cases := map[string]struct{ from, to, want string }{
		"unknown check type":  {"  - workload: {name: web}", "  - reachable: {from: a, to: b}", `:9:5: unknown check type "reachable"`},
		"kind not served":     {"  - workload: {name: web}", "  - object: {kind: Gateway, name: web}", `:9:20: kind "Gateway" is not served by the API`},
		"hints without task":  {"task: Do something.\n", "", `:6:8: hints without a task`},
		"resource not served": {"  - workload: {name: web}", "  - access: {user: jane, verb: get, resource: gateways}", `:9:47: access check: resource "gateways" is not served by the API`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bad.yaml")
			require.NoError(t, os.WriteFile(p, []byte(strings.Replace(base, c.from, c.to, 1)), 0o644))
			for _, args := range [][]string{{"lab", "validate", p}, {"lab", "start", p, "--dir", t.TempDir()}} {
				stdout, stderr, code := kubesim(t, args...)
				require.Equal(t, 2, code, stderr)
				require.Empty(t, stdout)
				require.Contains(t, stderr, p+c.want)
			}
		})
	}
	_, stderr, code := kubesim(t, "lab", "start", "broken-imag", "--dir", t.TempDir())
	require.Equal(t, 2, code)
	require.Contains(t, stderr, `did you mean "broken-image"?`)
	_, stderr, code = kubesim(t, "lab", "check", "--dir", t.TempDir())
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "no lab is running")
}

// TestLabSession is a learner's session: `lab start` in one process,
// `lab check`, `hint`, kubectl and `reset` from others, through the state
// directory.
func TestLabSession(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	dir := t.TempDir()
	printed, kubeconfig := startLab(t, "lab", "start", "broken-image", "--dir", dir, "--speed", "30", "--web")
	require.Contains(t, printed, "The `shop` Deployment")
	require.Contains(t, printed, "/lab\n")

	out, _, code := kubesim(t, "lab", "check", "--dir", dir)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FAIL  Deployment default/shop")
	require.Contains(t, out, "found:    0/3 available")
	require.Contains(t, out, "score 0/5")

	out, _, code = kubesim(t, "lab", "hint", "--dir", dir)
	require.Equal(t, 0, code)
	require.Contains(t, out, "Hint 1/2")
	require.NotContains(t, out, "Hint 2/2")

	kc := exec.Command(kubectl, "set", "image", "deployment/shop", "web=nginx:1.27")
	kc.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+t.TempDir())
	b, err := kc.CombinedOutput()
	require.NoError(t, err, string(b))

	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, _, code = kubesim(t, "lab", "check", "--dir", dir)
		if code == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "2/2 checks pass · score 5/5 · 1 hints used")
	require.Contains(t, out, "Lab complete.")

	out, _, code = kubesim(t, "lab", "reset", "--dir", dir)
	require.Equal(t, 0, code, out)
	out, _, code = kubesim(t, "lab", "check", "--dir", dir)
	require.Equal(t, 1, code, "after a reset the lab is broken again:\n%s", out)
	require.Contains(t, out, "image nginx:1.277")

	out, _, code = kubesim(t, "lab", "solution", "--dir", dir)
	require.Equal(t, 0, code)
	require.Equal(t, "kubectl set image deployment/shop web=nginx:1.27\n", out)
}

// startLab runs `kubesim lab start|exam ...` as a learner does in their
// first terminal, reads what it prints up to the export KUBECONFIG line,
// and stops it (as Ctrl-C would) when the test ends.
func startLab(t *testing.T, args ...string) (printed, kubeconfig string) {
	t.Helper()
	start := exec.Command(binary, args...)
	stdout, err := start.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	start.Stderr = &stderr
	require.NoError(t, start.Start())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = start.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = start.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = start.Process.Kill()
		}
		wg.Wait()
	})
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if k, ok := strings.CutPrefix(sc.Text(), "export KUBECONFIG="); ok {
			kubeconfig = k
			break
		}
	}
	require.NotEmpty(t, kubeconfig, "no export line; stdout:\n%s\nstderr:\n%s", out.String(), stderr.String())
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = bufio.NewReader(stdout).WriteTo(&bytes.Buffer{}) }()
	return out.String(), kubeconfig
}

// TestLabExamSession is a mock exam as a candidate sits it: `lab exam
// --seed` prints the seeded draw (17 tasks by domain weight); checks and
// hints are refused; the candidate opens a task, solves it with kubectl,
// pauses and resumes the timer, and finishes: points per task and domain
// against the 66% pass mark.
func TestLabExamSession(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	labs, err := lab.Library()
	require.NoError(t, err)
	// The first seed whose exam has rbac-developer (solved below) anywhere
	// but first: the draw is a pure function of seed and library.
	seed, task := uint64(0), 0
	for s := uint64(1); task == 0; s++ {
		for i, l := range lab.DrawExam(labs, s) {
			if l.Name == "rbac-developer" && i > 0 {
				seed, task = s, i+1
			}
		}
	}
	exam := lab.DrawExam(labs, seed)
	require.Len(t, exam, lab.ExamTasks)
	quota := lab.DomainQuota(lab.ExamTasks)

	dir := t.TempDir()
	printed, kubeconfig := startLab(t, "lab", "exam", "--seed", fmt.Sprint(seed), "--dir", dir, "--speed", "30")
	require.Contains(t, printed, fmt.Sprintf("Mock exam (seed %d): 17 tasks, 2h0m0s", seed))
	perDomain := map[string]int{}
	for i, l := range exam {
		require.Regexp(t, fmt.Sprintf(`(?m)^%d\s+%d\s+%s\s+%s$`, i+1, l.Points, l.Domain, regexp.QuoteMeta(l.Title)), printed,
			"the overview lists task %d as the seeded draw has it", i+1)
		perDomain[l.Domain]++
	}
	require.Equal(t, quota, perDomain, "the exam covers the domains by weight")

	_, stderr, code := kubesim(t, "lab", "check", "--dir", dir)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "this is an exam")
	_, stderr, code = kubesim(t, "lab", "hint", "--dir", dir)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "no hints")

	out, _, code := kubesim(t, "lab", "task", fmt.Sprint(task), "--dir", dir)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, fmt.Sprintf("Task %d/17 — %s", task, exam[task-1].Title))
	for _, s := range exam[task-1].Solution {
		args, err := s.Args()
		require.NoError(t, err)
		require.Equal(t, "kubectl", args[0])
		kc := exec.Command(kubectl, args[1:]...)
		kc.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+t.TempDir())
		b, err := kc.CombinedOutput()
		require.NoError(t, err, "%s: %s", s.Run, b)
	}

	out, _, code = kubesim(t, "lab", "pause", "--dir", dir)
	require.Equal(t, 0, code, out)
	left := regexp.MustCompile(`exam time left (\S+) \(paused\)`).FindStringSubmatch(out)
	require.NotNil(t, left, out)
	time.Sleep(1500 * time.Millisecond)
	out, _, code = kubesim(t, "lab", "status", "--dir", dir)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, left[0], "the paused timer stands still")
	out, _, code = kubesim(t, "lab", "resume", "--dir", dir)
	require.Equal(t, 0, code, out)
	require.Regexp(t, `exam time left \S+\n$`, out, "the timer runs again")

	out, _, code = kubesim(t, "lab", "finish", "--dir", dir)
	require.Equal(t, 1, code, "one task of 17 does not pass the exam:\n%s", out)
	l := exam[task-1]
	require.Regexp(t, fmt.Sprintf(`(?m)^%d\s+rbac-developer\s+cluster-architecture\s+%d/%d$`, task, l.Points, l.Points), out)
	total := 0
	for _, e := range exam {
		total += e.Points
	}
	for _, d := range lab.Domains {
		require.Contains(t, out, d.Title)
	}
	require.Regexp(t, fmt.Sprintf(`Cluster Architecture, Installation & Configuration\s+25%%\s+%d/\d+`, l.Points), out)
	require.Contains(t, out, fmt.Sprintf("Score %d/%d = %s%% (pass mark 66%%): FAIL", l.Points, total,
		strconv.FormatFloat(math.Round(1000*float64(l.Points)/float64(total))/10, 'f', -1, 64)))

	// Over: the solutions are shown now, and the lab keeps answering past
	// the exam timer's next tick (once a second), which used to end the
	// process right after an early finish.
	time.Sleep(1500 * time.Millisecond)
	out, _, code = kubesim(t, "lab", "solution", "--dir", dir)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "kubectl create rolebinding jane-developer")
}

// TestLabExamTimeUp: when the time limit runs out the exam grades itself
// and the process ends.
func TestLabExamTimeUp(t *testing.T) {
	cmd := exec.Command(binary, "lab", "exam", "--seed", "3", "--duration", "2s", "--dir", t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	require.NoError(t, waitExit(t, cmd, 2*time.Minute, "the exam did not end when its time ran out"), stderr.String())
	out := stdout.String()
	require.Contains(t, out, "Time is up.")
	require.Regexp(t, `Score 0/\d+ = 0% \(pass mark 66%\): FAIL · time used 2s`, out)
}
