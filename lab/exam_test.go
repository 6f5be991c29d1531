package lab

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/live"
)

// fakeClock is a wall clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestExam: a seeded exam of three labs; no checks or hints while it
// runs; the timer pauses; finishing grades every task, a solved one with
// its points, an untouched or unvisited one with none, per domain and
// against the 66% pass mark.
func TestExam(t *testing.T) {
	var labs []*Lab
	for _, n := range []string{"broken-image", "missing-node-label", "namespace-quota"} {
		l, err := LoadLibrary(n)
		require.NoError(t, err)
		labs = append(labs, l)
	}
	clock := &fakeClock{now: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	r := NewRunner(labs, Options{Exam: true, Paused: true, Now: clock.Now})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s, err := ServeAPI(r, ln)
	require.NoError(t, err)
	t.Cleanup(func() {
		r.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})

	_, err = r.Check(context.Background(), true)
	require.ErrorContains(t, err, "this is an exam")
	_, err = r.Hint()
	require.ErrorContains(t, err, "no hints")
	_, err = r.Solution()
	require.ErrorContains(t, err, "solutions are shown when it ends")

	st := r.Status()
	require.Equal(t, 1, st.Task)
	require.Equal(t, 3, st.Tasks)
	require.Equal(t, "2h0m0s", st.TimeLeft)
	require.Len(t, st.Overview, 3)

	// Task 2: label the node, through the API the runner serves.
	require.NoError(t, r.Goto(1))
	require.Equal(t, "missing-node-label", r.Current().Name)
	_, err = r.Session().Do(liveKubectl("label node general-1 disktype=ssd"))
	require.NoError(t, err)
	require.NoError(t, r.Session().RunFor(time.Minute))

	clock.Add(30 * time.Minute)
	require.NoError(t, r.Pause())
	clock.Add(time.Hour) // paused: does not count
	require.Equal(t, "1h30m0s", r.Status().TimeLeft)
	require.True(t, r.Status().Paused)
	require.NoError(t, r.Resume())
	clock.Add(10 * time.Minute)
	require.False(t, r.TimeUp())

	res, err := r.Finish(context.Background())
	require.NoError(t, err)
	require.Equal(t, "40m0s", res.Used)
	require.Len(t, res.Tasks, 3)
	require.Equal(t, 0.0, res.Tasks[0].Points, "task 1 untouched: %+v", res.Tasks[0].Results)
	require.Equal(t, float64(labs[1].Points), res.Tasks[1].Points, "task 2 solved: %+v", res.Tasks[1].Results)
	require.Nil(t, res.Tasks[2].Results, "task 3 was never opened")
	require.Equal(t, labs[0].Points+labs[1].Points+labs[2].Points, res.Total)
	require.False(t, res.Passed)
	var trouble *DomainResult
	for i := range res.Domains {
		if res.Domains[i].Domain == "troubleshooting" {
			trouble = &res.Domains[i]
		}
	}
	require.NotNil(t, trouble)
	require.Equal(t, float64(labs[1].Points), trouble.Points)
	require.Equal(t, labs[0].Points+labs[1].Points, trouble.Of)

	// Over: checks and solutions are open again, the result stays.
	_, err = r.Solution()
	require.NoError(t, err)
	again, err := r.Finish(context.Background())
	require.NoError(t, err)
	require.Equal(t, res, again)
}

// TestExamTimeUp: when the two hours run out the exam grades itself.
func TestExamTimeUp(t *testing.T) {
	l, err := LoadLibrary("namespace-quota")
	require.NoError(t, err)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	r := NewRunner([]*Lab{l}, Options{Exam: true, Paused: true, Now: clock.Now})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s, err := ServeAPI(r, ln)
	require.NoError(t, err)
	defer func() { r.Close(); _ = s.Close(context.Background()) }()
	done := make(chan *ExamResult, 1)
	go func() { done <- r.WatchTime(context.Background(), 5*time.Millisecond) }()
	clock.Add(ExamDuration)
	select {
	case res := <-done:
		require.NotNil(t, res)
		require.Equal(t, "2h0m0s", res.Used)
		require.Equal(t, 0.0, res.Points)
	case <-time.After(30 * time.Second):
		t.Fatal("the exam did not end when its time ran out")
	}
}

// TestControlAPI: the lab page and its API answer on loopback names only,
// the API with the token only.
func TestControlAPI(t *testing.T) {
	l, err := LoadLibrary("broken-image")
	require.NoError(t, err)
	f := newLabFixture(t, l, Options{Paused: true})
	srv := httptest.NewServer(f.r.ControlHandler("sekret"))
	defer srv.Close()

	get := func(path, host, token string) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		if host != "" {
			req.Host = host
		}
		if token != "" {
			req.Header.Set(TokenHeader, token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}
	resp, body := get("/lab", "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "kubesim lab")
	resp, _ = get("/lab/api/status", "", "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = get("/lab", "evil.example.com", "")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, body = get("/lab/api/status", "", "sekret")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st Status
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	require.Equal(t, "broken-image", st.Lab)
	require.Contains(t, st.Statement, "shop")
	resp, body = get("/api/view", "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "the cluster's web view is served beside the lab page")
	require.Contains(t, body, "shop-")
}

func liveKubectl(line string) live.Command { return live.Command{Verb: "kubectl", Line: line} }
