package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/stretchr/testify/require"
)

// busyCluster keeps a live session's loop working flat out at --speed
// max: 20 nodes, 300 pods and a Job a minute for a year.
const busyCluster = `name: busy
seed: 7
duration: 8760h
cluster:
  nodeGroups:
    - {name: general, instanceType: m5.xlarge, count: 20}
workloads:
  - manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 300
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers:
              - name: nginx
                image: nginx:1.27
                resources: {requests: {cpu: 50m, memory: 64Mi}}
  - manifest:
      apiVersion: batch/v1
      kind: CronJob
      metadata: {name: tick}
      spec:
        schedule: "* * * * *"
        jobTemplate:
          spec:
            template:
              spec:
                restartPolicy: Never
                containers:
                  - name: sleep
                    image: busybox:1.36
                    command: [sleep, "20"]
                    resources: {requests: {cpu: 10m, memory: 16Mi}}
`

// TestSignalStopsServeAndWeb: SIGTERM or SIGINT ends `kubesim serve` (with
// a watch open) and `kubesim web` promptly while their session runs as
// fast as possible, exiting 0 (the way to stop a server).
func TestSignalStopsServeAndWeb(t *testing.T) {
	scenario := writeScenario(t, busyCluster)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"serve", []string{"serve", scenario, "--speed", "max", "--listen", "127.0.0.1:0", "--kubeconfig", filepath.Join(t.TempDir(), "kc")}},
		{"web", []string{"web", scenario, "--speed", "max", "--listen", "127.0.0.1:0"}},
	} {
		for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
			t.Run(tc.name+"/"+sig.String(), func(t *testing.T) {
				cmd := exec.Command(binary, tc.args...)
				stdout, err := cmd.StdoutPipe()
				require.NoError(t, err)
				require.NoError(t, cmd.Start())
				t.Cleanup(func() { cmd.Process.Kill() })
				url := waitForURL(t, stdout)
				if tc.name == "serve" {
					watch(t, url+"/api/v1/pods?watch=true")
				}
				time.Sleep(300 * time.Millisecond) // the loop is busy
				require.NoError(t, cmd.Process.Signal(sig))
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case err := <-done:
					require.NoError(t, err, "a signal stops the server cleanly")
				case <-time.After(30 * time.Second):
					t.Fatalf("kubesim %s ignored %s for 30 s", tc.name, sig)
				}
			})
		}
	}
}

var servedAt = regexp.MustCompile(`at (https?://[0-9.:]+)`)

// waitForURL reads the server's start-up lines up to its address (the
// rest of its output is drained so it never blocks on a full pipe).
func waitForURL(t *testing.T, r io.Reader) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if m := servedAt.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not start within a minute")
	}
	return ""
}

// watch opens a streaming request and reads its first bytes.
func watch(t *testing.T, url string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get(url)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = resp.Body.Read(make([]byte, 1))
	require.NoError(t, err)
	go func() { io.Copy(io.Discard, resp.Body); resp.Body.Close() }()
}

// TestSignalStopsTheTUI: the terminal UI ends when its context is
// cancelled (what SIGINT/SIGTERM do) while the session runs flat out.
func TestSignalStopsTheTUI(t *testing.T) {
	scr := tcell.NewSimulationScreen("UTF-8")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runTUI(ctx, writeScenario(t, busyCluster), tuiFlags{speed: "max"}, scr) }()
	time.Sleep(time.Second)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the TUI ignored the cancellation for 30 s")
	}
}
