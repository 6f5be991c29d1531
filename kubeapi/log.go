package kubeapi

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/kubeversion"
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
	tail       int // -1 = all
}

func parseLogRequest(r *http.Request) (logRequest, error) {
	q := r.URL.Query()
	lr := logRequest{container: q.Get("container"), follow: q.Get("follow") == "true", timestamps: q.Get("timestamps") == "true", tail: -1}
	if t := q.Get("tailLines"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return lr, badRequest("invalid tailLines %q", t)
		}
		lr.tail = n
	}
	return lr, nil
}

// podLog serves pods/<name>/log as text/plain, following new lines as
// virtual time passes when asked to.
func (s *Server) podLog(w http.ResponseWriter, r *http.Request, t target) {
	lr, err := parseLogRequest(r)
	if err != nil {
		writeError(w, err)
		return
	}
	start, err := s.logStart(t, &lr)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	next := 0
	write := func(final bool) bool {
		pod, c, now, ok := s.logState(t, lr.container)
		if !ok {
			return false
		}
		last := int(now.Sub(start) / logEvery)
		from := next
		if next == 0 && lr.tail >= 0 {
			from = max(0, last+1-lr.tail)
		} else if next == 0 && last+1 > maxLogLines {
			from = last + 1 - maxLogLines
		}
		var b strings.Builder
		for i := from; i <= last; i++ {
			at := start.Add(time.Duration(i) * logEvery)
			if lr.timestamps {
				b.WriteString(at.UTC().Format(time.RFC3339Nano) + " ")
			}
			b.WriteString(logLine(pod, c, i, at) + "\n")
		}
		next = last + 1
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
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-tick.C:
			if !write(false) {
				return
			}
		}
	}
}

// logStart checks the pod and container and returns when the container
// started.
func (s *Server) logStart(t target, lr *logRequest) (time.Time, error) {
	var start time.Time
	var err error
	s.with(func(cl *cluster.Cluster) {
		o, ok := cl.Store.Get("Pod", t.namespace, t.name)
		if !ok {
			err = notFound(t.res.groupResource(), t.name)
			return
		}
		pod := o.(*corev1.Pod)
		if lr.container == "" {
			if len(pod.Spec.Containers) != 1 {
				var names []string
				for _, c := range pod.Spec.Containers {
					names = append(names, c.Name)
				}
				err = badRequest("a container name must be specified for pod %s, choose one of: [%s]", pod.Name, strings.Join(names, " "))
				return
			}
			lr.container = pod.Spec.Containers[0].Name
		}
		for _, cs := range pod.Status.ContainerStatuses {
			if cs.Name != lr.container {
				continue
			}
			switch {
			case cs.State.Running != nil:
				start = cs.State.Running.StartedAt.Time
			case cs.State.Terminated != nil:
				start = cs.State.Terminated.StartedAt.Time
			case cs.State.Waiting != nil:
				err = badRequest("container %q in pod %q is waiting to start: %s", lr.container, pod.Name, cs.State.Waiting.Reason)
			}
			return
		}
		for _, c := range pod.Spec.Containers {
			if c.Name == lr.container {
				err = badRequest("container %q in pod %q is waiting to start: ContainerCreating", lr.container, pod.Name)
				return
			}
		}
		err = badRequest("container %s is not valid for pod %s", lr.container, pod.Name)
	})
	return start, err
}

// logState reads the pod and the virtual now; ok is false once the
// container no longer runs (a follow ends then).
func (s *Server) logState(t target, container string) (*corev1.Pod, corev1.Container, time.Time, bool) {
	var pod *corev1.Pod
	var c corev1.Container
	var now time.Time
	ok := false
	s.with(func(cl *cluster.Cluster) {
		o, found := cl.Store.Get("Pod", t.namespace, t.name)
		if !found {
			return
		}
		pod = o.(*corev1.Pod)
		now = cl.Engine.Now()
		for _, cs := range pod.Status.ContainerStatuses {
			if cs.Name == container && cs.State.Terminated != nil {
				now = cs.State.Terminated.FinishedAt.Time
			}
		}
		for _, sc := range pod.Spec.Containers {
			if sc.Name == container {
				c, ok = sc, true
			}
		}
	})
	return pod, c, now, ok
}
