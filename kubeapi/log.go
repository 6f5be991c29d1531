package kubeapi

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/kubeversion"
	"github.com/kubesim/kubesim/sim/shell"
)

// logEvery is the virtual-time spacing of a container's modelled log
// lines; maxLogLines bounds a response without tailLines.
const (
	logEvery    = 10 * time.Second
	maxLogLines = 5000
)

// logLine is the i-th line a container writes after it started: a start
// banner, then periodic lines (a web server's probe hits for nginx-like
// images, a heartbeat otherwise). The stream is a pure function of the
// pod and virtual time, so it is the same on every replay.
func logLine(pod *corev1.Pod, c corev1.Container, i int, at time.Time) string {
	if i == 0 {
		return fmt.Sprintf("Starting %s (container %s of pod %s/%s)", c.Image, c.Name, pod.Namespace, pod.Name)
	}
	if strings.Contains(c.Image, "nginx") || strings.Contains(c.Image, "httpd") {
		ip := pod.Status.PodIP
		if ip == "" {
			ip = "10.0.0.1"
		}
		return fmt.Sprintf(`%s - - [%s] "GET / HTTP/1.1" 200 615 "-" "kube-probe/%s.%s" "-"`, ip, at.Format("02/Jan/2006:15:04:05 -0700"), kubeversion.Major, kubeversion.Minor)
	}
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%s/%s/%d", pod.Namespace, pod.Name, c.Name, i)
	return fmt.Sprintf("level=info msg=\"handled requests\" count=%d latency_ms=%d", i*7+int(h.Sum32()%5), 1+h.Sum32()%40)
}

// logRequest is what a log GET asks for.
type logRequest struct {
	container  string
	follow     bool
	timestamps bool
	previous   bool
	tail       int // -1 = all
	sinceSec   int64
	sinceTime  time.Time
}

func parseLogRequest(r *http.Request) (logRequest, error) {
	q := r.URL.Query()
	lr := logRequest{container: q.Get("container"), follow: q.Get("follow") == "true", timestamps: q.Get("timestamps") == "true",
		previous: q.Get("previous") == "true", tail: -1}
	if t := q.Get("tailLines"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return lr, badRequest("invalid tailLines %q", t)
		}
		lr.tail = n
	}
	if v := q.Get("sinceSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return lr, badRequest("PodLogOptions.sinceSeconds: Invalid value: %q: must be greater than 0", v)
		}
		lr.sinceSec = n
	}
	if v := q.Get("sinceTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return lr, badRequest("PodLogOptions.sinceTime: Invalid value: %q: must be RFC3339", v)
		}
		lr.sinceTime = t
	}
	return lr, nil
}

// logEntry is one line of a container's log.
type logEntry struct {
	at   time.Time
	text string
}

// instance is the container instance whose log is read: when it started,
// and when it ended (zero while it runs).
type instance struct {
	start, end time.Time
}

// podLog serves pods/<name>/log as text/plain, following new lines as
// virtual time passes when asked to.
func (s *Server) podLog(w http.ResponseWriter, r *http.Request, t target) {
	lr, err := parseLogRequest(r)
	if err != nil {
		writeError(w, err)
		return
	}
	inst, err := s.logStart(t, &lr)
	if err != nil {
		writeError(w, err)
		return
	}
	if lr.previous {
		lr.follow = false
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	sent := -1 // entries emitted so far, counted from the instance's first line
	write := func(final bool) bool {
		var entries []logEntry
		var dropped int
		var since time.Time
		ok := false
		s.with(func(cl *cluster.Cluster) {
			o, found := cl.Store.Get("Pod", t.namespace, t.name)
			if !found {
				return
			}
			pod := o.(*corev1.Pod)
			now := cl.Engine.Now()
			end := inst.end
			if end.IsZero() {
				// A running instance: its log grows to now; once it ended
				// (or restarted), a follow stops at its end.
				cur, running := currentInstance(pod, lr.container)
				switch {
				case running && cur.start.Equal(inst.start):
					end = now
				case !running && cur.start.Equal(inst.start):
					end, final = cur.end, true
				default:
					end, final = terminatedAt(pod, lr.container, inst.start, now), true
				}
			}
			entries, dropped = containerLog(cl, pod, lr.container, inst.start, end)
			since = lr.sinceTime
			if lr.sinceSec > 0 {
				since = now.Add(-time.Duration(lr.sinceSec) * time.Second)
			}
			ok = true
		})
		if !ok {
			return false
		}
		from := 0
		if sent < 0 {
			for from < len(entries) && !since.IsZero() && entries[from].at.Before(since) {
				from++
			}
			if lr.tail >= 0 && len(entries)-from > lr.tail {
				from = len(entries) - lr.tail
			}
		} else {
			from = max(0, sent-dropped)
		}
		var b strings.Builder
		for _, e := range entries[min(from, len(entries)):] {
			if lr.timestamps {
				b.WriteString(e.at.UTC().Format(time.RFC3339Nano) + " ")
			}
			b.WriteString(e.text + "\n")
		}
		sent = dropped + len(entries)
		if _, err := w.Write([]byte(b.String())); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return !final
	}
	if !write(!lr.follow) {
		return
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	ctx, cancel := s.streamContext(r.Context())
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if !write(false) {
				return
			}
		}
	}
}

// currentInstance is the container's current instance; running is false
// once it terminated (or is waiting to restart).
func currentInstance(pod *corev1.Pod, container string) (instance, bool) {
	for _, cs := range allStatuses(pod) {
		if cs.Name != container {
			continue
		}
		switch {
		case cs.State.Running != nil:
			return instance{start: cs.State.Running.StartedAt.Time}, true
		case cs.State.Terminated != nil:
			return instance{start: cs.State.Terminated.StartedAt.Time, end: cs.State.Terminated.FinishedAt.Time}, false
		}
	}
	return instance{}, false
}

// terminatedAt is when the instance that started at start ended, from the
// last state (it restarted since).
func terminatedAt(pod *corev1.Pod, container string, start, now time.Time) time.Time {
	for _, cs := range allStatuses(pod) {
		if cs.Name == container && cs.LastTerminationState.Terminated != nil && cs.LastTerminationState.Terminated.StartedAt.Time.Equal(start) {
			return cs.LastTerminationState.Terminated.FinishedAt.Time
		}
	}
	return now
}

// logStart checks the pod and container and returns the instance whose
// log is asked for (the previous one with --previous).
func (s *Server) logStart(t target, lr *logRequest) (instance, error) {
	var inst instance
	var err error
	s.with(func(cl *cluster.Cluster) {
		var pod *corev1.Pod
		if pod, lr.container, err = t.podContainer(cl, lr.container); err != nil {
			return
		}
		for _, cs := range allStatuses(pod) {
			if cs.Name != lr.container {
				continue
			}
			if lr.previous {
				if prev := cs.LastTerminationState.Terminated; prev != nil {
					inst = instance{start: prev.StartedAt.Time, end: prev.FinishedAt.Time}
					return
				}
				err = badRequest("previous terminated container %q in pod %q not found", lr.container, pod.Name)
				return
			}
			switch {
			case cs.State.Running != nil:
				inst = instance{start: cs.State.Running.StartedAt.Time}
			case cs.State.Terminated != nil:
				inst = instance{start: cs.State.Terminated.StartedAt.Time, end: cs.State.Terminated.FinishedAt.Time}
			case cs.State.Waiting != nil && cs.LastTerminationState.Terminated != nil:
				// Crash-looping: the last instance's log is what there is.
				prev := cs.LastTerminationState.Terminated
				inst = instance{start: prev.StartedAt.Time, end: prev.FinishedAt.Time}
			case cs.State.Waiting != nil:
				err = badRequest("container %q in pod %q is waiting to start: %s", lr.container, pod.Name, cs.State.Waiting.Reason)
			}
			return
		}
		err = badRequest("container %q in pod %q is waiting to start: ContainerCreating", lr.container, pod.Name)
	})
	return inst, err
}

// containerLog is what a container instance wrote from start to end: the
// output of its command when the shell model can run it (`echo hello`
// logs hello, a loop logs as the clock moves), else the image's modelled
// log. At most maxLogLines are kept; dropped counts the older ones.
func containerLog(cl *cluster.Cluster, pod *corev1.Pod, container string, start, end time.Time) (entries []logEntry, dropped int) {
	ctr := shell.FindContainer(pod, container)
	if ctr == nil {
		return nil, 0
	}
	if e, ok := scriptLog(cl, pod, ctr, start, end); ok {
		if len(e) > maxLogLines {
			return e[len(e)-maxLogLines:], len(e) - maxLogLines
		}
		return e, 0
	}
	last := int(end.Sub(start) / logEvery)
	from := 0
	if last+1 > maxLogLines {
		from = last + 1 - maxLogLines
	}
	for i := from; i <= last; i++ {
		at := start.Add(time.Duration(i) * logEvery)
		entries = append(entries, logEntry{at: at, text: logLine(pod, *ctr, i, at)})
	}
	return entries, from
}

// scriptLog runs the container's command in the shell model over virtual
// time from start to end. ok is false when the command is the image's own
// program (a server's log is modelled by logLine).
func scriptLog(cl *cluster.Cluster, pod *corev1.Pod, ctr *corev1.Container, start, end time.Time) ([]logEntry, bool) {
	argv := append(append([]string(nil), ctr.Command...), ctr.Args...)
	if len(argv) == 0 {
		return nil, false
	}
	img := shell.ImageOf(ctr.Image)
	name := path.Base(argv[0])
	if img.NoShell || slices.Contains(img.App, argv[0]) || slices.Contains(img.App, name) || !img.Has(name) {
		return nil, false
	}
	h := &logHost{cl: cl, now: start, end: end}
	w := &logWriter{h: h}
	sh, err := shell.New(shell.Config{Host: h, Pod: pod, Container: ctr.Name, Name: argv[0]})
	if err != nil {
		return nil, false
	}
	_, _ = sh.Exec(argv, nil, w, w) // the horizon ends a long script; its error says only that
	w.flush()
	return h.entries, true
}

// logHost runs a container's script under the session's lock (the
// caller holds it): sleeping moves the script's own clock, up to the
// horizon.
type logHost struct {
	cl      *cluster.Cluster
	now     time.Time
	end     time.Time
	entries []logEntry
}

var errHorizon = fmt.Errorf("the log's horizon is reached")

func (h *logHost) Read(fn func(st *shell.State)) { fn(&shell.State{Store: h.cl.Store, Now: h.now}) }

func (h *logHost) Sleep(d time.Duration) error {
	if h.now.Add(d).After(h.end) {
		h.now = h.end
		return errHorizon
	}
	h.now = h.now.Add(d)
	return nil
}

// logWriter splits output into timestamped lines.
type logWriter struct {
	h       *logHost
	partial strings.Builder
	total   int
}

func (w *logWriter) Write(p []byte) (int, error) {
	if w.total > 8*maxLogLines*256 {
		return len(p), nil // bounded
	}
	w.total += len(p)
	for _, c := range string(p) {
		if c == '\n' {
			w.h.entries = append(w.h.entries, logEntry{at: w.h.now, text: w.partial.String()})
			w.partial.Reset()
			continue
		}
		w.partial.WriteRune(c)
	}
	return len(p), nil
}

func (w *logWriter) flush() {
	if w.partial.Len() > 0 {
		w.h.entries = append(w.h.entries, logEntry{at: w.h.now, text: w.partial.String()})
		w.partial.Reset()
	}
}
