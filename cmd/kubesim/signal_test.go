package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/stretchr/testify/require"
)

// busyCluster keeps a live session's loop working flat out at --speed
// max for a year: the live package's busy cluster (20 nodes, 300 pods and
// a Job a minute) with a longer duration.
func busyCluster(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "live", "testdata", "busy.yaml"))
	require.NoError(t, err)
	return strings.Replace(string(data), "duration: 24h", "duration: 8760h", 1)
}

// TestSignalStopsServeAndWeb: SIGTERM or SIGINT ends `kubesim serve` (with
// a watch open) and `kubesim web` promptly while their session runs as
// fast as possible, exiting 0 (the way to stop a server).
func TestSignalStopsServeAndWeb(t *testing.T) {
	scenario := writeScenario(t, busyCluster(t))
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
				t.Cleanup(func() { _ = cmd.Process.Kill() })
				url := waitForURL(t, stdout)
				if tc.name == "serve" {
					watch(t, url+"/api/v1/pods?watch=true", kubeconfigToken(t, tc.args[len(tc.args)-1]))
				}
				time.Sleep(300 * time.Millisecond) // the loop is busy
				require.NoError(t, cmd.Process.Signal(sig))
				err = waitExit(t, cmd, 30*time.Second, "kubesim "+tc.name+" did not stop on "+sig.String())
				require.NoError(t, err, "a signal stops the server cleanly")
			})
		}
	}
}

// waitExit waits up to limit for the started process cmd to end and
// returns how it ended; past limit it kills the process and fails the
// test, saying what did not happen.
func waitExit(t *testing.T, cmd *exec.Cmd, limit time.Duration, what string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		t.Fatalf("%s within %s (killed: %v)", what, limit, <-done)
		return nil
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

// kubeconfigToken is the admin token of the kubeconfig serve wrote.
func kubeconfigToken(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	m := regexp.MustCompile(`token: ([0-9a-f]+)`).FindSubmatch(b)
	require.NotNil(t, m, "the kubeconfig carries a token:\n%s", b)
	return string(m[1])
}

// watch opens a streaming request with the admin token and reads its
// first bytes.
func watch(t *testing.T, url, token string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = resp.Body.Read(make([]byte, 1))
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, resp.Body); resp.Body.Close() }()
}

// TestSignalStopsTheTUI: the terminal UI ends when its context is
// cancelled (what SIGINT/SIGTERM do) while the session runs flat out.
func TestSignalStopsTheTUI(t *testing.T) {
	scr := tcell.NewSimulationScreen("UTF-8")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runTUI(ctx, writeScenario(t, busyCluster(t)), liveFlags{speed: "max"}, scr) }()
	time.Sleep(time.Second)
	stopped(t, cancel, done, 30*time.Second, "the TUI")
}

// TestSignalStopsALongRun: SIGTERM or SIGINT ends `kubesim run` promptly
// whatever the engine is doing (here: ten years of virtual time), with exit
// code 130 and a message.
func TestSignalStopsALongRun(t *testing.T) {
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		t.Run(sig.String(), func(t *testing.T) {
			body := strings.Replace(strings.Replace(small, "REPLICAS", "3", 1), "duration: 2m", "duration: 87600h", 1)
			cmd := exec.Command(binary, "run", writeScenario(t, body))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			waitCatching(t, cmd.Process.Pid, sig.(syscall.Signal))
			require.NoError(t, cmd.Process.Signal(sig))
			err := waitExit(t, cmd, time.Minute, "kubesim run did not stop on "+sig.String())
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, 130, ee.ExitCode(), stderr.String())
			require.Contains(t, stderr.String(), "interrupted")
		})
	}
}

// waitCatching waits (generously: the machine may be busy) until process
// pid is simulating — it has used 0.2 s of CPU, read from /proc/PID/stat —
// and so has long installed its handler for sig: a signal sent earlier
// would kill it the default way. (The SigCgt mask cannot tell: the Go
// runtime catches every signal from its first instruction.)
func waitCatching(t *testing.T, pid int, _ syscall.Signal) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if processCPU(t, pid) >= 200*time.Millisecond {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("kubesim never started simulating")
}
