package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/stretchr/testify/require"
)

// TestTUITakesASeed: --seed overrides the scenario's seed in the terminal
// UI too: the session it saves (w) carries it.
func TestTUITakesASeed(t *testing.T) {
	saved := func(seed string) string {
		dir := t.TempDir()
		t.Chdir(dir) // w saves into the working directory
		scr := tcell.NewSimulationScreen("UTF-8")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- runTUI(ctx, "demo", liveFlags{speed: "1", paused: true, seed: seed}, scr) }()
		defer stopped(t, cancel, done, 30*time.Second, "the TUI")
		var files []string
		require.Eventually(t, func() bool {
			// w until the UI has started and saved (PostEvent, unlike
			// InjectKey, does not block while the queue is full)
			_ = scr.PostEvent(tcell.NewEventKey(tcell.KeyRune, 'w', tcell.ModNone))
			files, _ = filepath.Glob(filepath.Join(dir, "*.yaml"))
			return len(files) > 0
		}, time.Minute, 200*time.Millisecond, "the session saved by w")
		b, err := os.ReadFile(files[0])
		require.NoError(t, err)
		return string(b)
	}
	require.Contains(t, saved("7"), "\nseed: 7\n")
	require.NotContains(t, saved(""), "\nseed: 7\n", "the scenario's own seed")
}

// TestServeTakesASeed: --seed overrides the scenario's seed in `kubesim
// serve`: the session saved from its web UI carries it.
func TestServeTakesASeed(t *testing.T) {
	saved := func(seed string) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port for --web
		require.NoError(t, err)
		webAddr := ln.Addr().String()
		require.NoError(t, ln.Close())
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		f := serveFlags{liveFlags: liveFlags{speed: "1", paused: true, seed: seed}, listen: "127.0.0.1:0",
			kubeconfig: filepath.Join(t.TempDir(), "kubeconfig"), web: webAddr}
		go func() { errc <- runServe(ctx, io.Discard, "demo", f) }()
		defer stopped(t, cancel, errc, 30*time.Second, "kubesim serve")
		var body []byte
		require.Eventually(t, func() bool {
			resp, err := http.Get("http://" + webAddr + "/api/session.yaml")
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			body, err = io.ReadAll(resp.Body)
			return err == nil && resp.StatusCode == http.StatusOK
		}, time.Minute, 100*time.Millisecond, "the web UI of kubesim serve answers")
		return string(body)
	}
	require.Contains(t, saved("7"), "\nseed: 7\n")
	require.NotContains(t, saved(""), "\nseed: 7\n", "the scenario's own seed")
}

// stopped cancels a command run in-process and checks that it returns
// without error within limit.
func stopped(t *testing.T, cancel context.CancelFunc, errc <-chan error, limit time.Duration, what string) {
	t.Helper()
	cancel()
	select {
	case err := <-errc:
		require.NoError(t, err, "%s stops cleanly", what)
	case <-time.After(limit):
		t.Errorf("%s did not stop within %s", what, limit)
	}
}
