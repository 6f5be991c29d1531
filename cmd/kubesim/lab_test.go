package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
	start := exec.Command(binary, "lab", "start", "broken-image", "--dir", dir, "--speed", "30", "--web")
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
	var printed strings.Builder
	sc := bufio.NewScanner(stdout)
	kubeconfig := ""
	for sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
		if k, ok := strings.CutPrefix(sc.Text(), "export KUBECONFIG="); ok {
			kubeconfig = k
			break
		}
	}
	require.NotEmpty(t, kubeconfig, "no export line; stdout:\n%s\nstderr:\n%s", printed.String(), stderr.String())
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = bufio.NewReader(stdout).WriteTo(&bytes.Buffer{}) }()
	require.Contains(t, printed.String(), "The `shop` Deployment")
	require.Contains(t, printed.String(), "/lab\n")

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
