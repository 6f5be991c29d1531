package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// launchWeb runs `kubesim web` in-process until the test ends and returns
// the URL it printed (with the token, if any) and its output so far.
func launchWeb(t *testing.T, arg string, f webFlags) (string, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	type started struct{ url, token string }
	ready := make(chan started, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- runWeb(ctx, &out, arg, f, func(url, token string) { ready <- started{url, token} })
	}()
	t.Cleanup(func() { stopped(t, cancel, errc, 10*time.Second, "kubesim web") })
	select {
	case s := <-ready:
		return s.url, s.token, out.String()
	case err := <-errc:
		t.Fatalf("kubesim web failed: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("kubesim web did not start")
	}
	return "", "", ""
}

func TestWebServesTheScenarioOnLoopback(t *testing.T) {
	url, token, out := launchWeb(t, "node-failure", webFlags{listen: "127.0.0.1:0", liveFlags: liveFlags{speed: "10"}})
	require.Empty(t, token, "loopback needs no token")
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)
	require.Contains(t, out, `serving "node-failure" at `+url)

	resp, err := http.Get(url + "api/view")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var v struct {
		Scenario string
		Speed    float64
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	require.Equal(t, "node-failure", v.Scenario)
	require.Equal(t, 10.0, v.Speed)
}

func TestWebOnOtherAddressesNeedsTheToken(t *testing.T) {
	url, token, out := launchWeb(t, "demo", webFlags{listen: "0.0.0.0:0", liveFlags: liveFlags{speed: "max", paused: true}})
	require.Len(t, token, 32)
	require.Contains(t, out, "the token is "+token)
	require.True(t, strings.HasSuffix(url, "/?token="+token), url)
	base := strings.TrimSuffix(url, "?token="+token)

	resp, err := http.Get(base + "api/view")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode, "no token, no page")

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := &http.Client{Jar: jar}
	resp, err = client.Get(url) // the printed URL sets the cookie
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	resp, err = client.Get(base + "api/view")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
}

func TestWebBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"web", "no-such-scenario"},
		{"web", "demo", "extra"},
		{"web", "--listen", "8080"},
		{"web", "--speed", "fast"},
		{"web", "--speed", "-1"},
	} {
		_, stderr, code := kubesim(t, args...)
		require.Equal(t, 2, code, "%v: %s", args, stderr)
		require.Contains(t, stderr, "error:", args)
	}
}

// TestWebTakesASeed: --seed overrides the scenario's seed, as for run:
// the session saved from the page carries it.
func TestWebTakesASeed(t *testing.T) {
	saved := func(f webFlags) string {
		url, _, _ := launchWeb(t, "demo", f)
		resp, err := http.Get(url + "api/session.yaml")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(b)
	}
	require.Contains(t, saved(webFlags{listen: "127.0.0.1:0", liveFlags: liveFlags{speed: "1", paused: true, seed: "7"}}), "\nseed: 7\n")
	require.NotContains(t, saved(webFlags{listen: "127.0.0.1:0", liveFlags: liveFlags{speed: "1", paused: true}}), "\nseed: 7\n", "the scenario's own seed")
}
