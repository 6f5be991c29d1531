package kubeapi

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/kubelet"
	"github.com/kubesim/kubesim/sim/shell"
)

// podAttach serves pods/<name>/attach (kubectl attach, and kubectl run -i
// and kubectl debug -i after they started the container). A container
// whose process is a shell given stdin runs the attached input as that
// shell (a prompt and line editing on a terminal); when the shell ends,
// the container's process exits with its status (recorded, so a replay
// ends it too). Any other process's output is streamed as it grows
// (attachOutput), until the container ends or the client leaves.
func (s *Server) podAttach(w http.ResponseWriter, r *http.Request, t target) {
	q := r.URL.Query()
	b := func(k string) bool { v := q.Get(k); return v == "true" || v == "1" }
	opts := execOptions{container: q.Get("container"), stdin: b("stdin"), stdout: b("stdout"), stderr: b("stderr"), tty: b("tty")}
	if !opts.stdin && !opts.stdout && !opts.stderr {
		writeError(w, badRequest("you must specify at least one of stdin, stdout, stderr"))
		return
	}
	if opts.tty && opts.stderr {
		opts.stderr = false
	}
	st, ok := s.openContainer(w, r, t, opts, "attach")
	if !ok {
		return
	}
	defer st.close()
	pod, container := st.pod, st.container

	ctr := shell.FindContainer(pod, container)
	if !ctr.Stdin || !kubelet.ReadsStdin(ctr) || !opts.stdin {
		s.attachOutput(r, t, container, st)
		return
	}
	argv := append(append([]string(nil), ctr.Command...), ctr.Args...)
	if len(argv) == 0 {
		argv = []string{"sh"}
	}
	sh, err := s.containerShell(st, argv[0], opts.tty, true)
	if err != nil {
		s.writeExecStatus(st.errs, 0, apierrors.NewBadRequest(err.Error()), argv)
		return
	}
	var code int
	if opts.tty && isShellName(path.Base(argv[0])) {
		code = interactive(sh, st.stdin, st.stdout)
	} else {
		code, err = sh.Exec([]string{argv[0]}, st.stdin, st.stdout, st.stderr)
	}
	if errors.Is(err, errStreamEnded) {
		return // the container stopped under the shell
	}
	// The shell was the container's process: it has exited.
	_, _ = s.sess.Act("exit", map[string]any{"namespace": pod.Namespace, "pod": pod.Name, "container": container, "code": code})
	s.writeExecStatus(st.errs, 0, nil, argv)
}

// attachRace is how soon after its container started an attach still
// sees the process's first output: kubectl run -i and debug -i attach as
// soon as the pod runs, racing the process's start.
const attachRace = 2 * time.Second

// attachOutput streams the container's output as the runtime's attach
// does: what the process writes from now on (what it wrote before is in
// its log only), until the container ends or the client goes. An attach
// right after the container started (kubectl run -i) sees it all.
func (s *Server) attachOutput(r *http.Request, t target, container string, st *streams) {
	lr := r.Clone(st.ctx)
	q := url.Values{"container": {container}, "follow": {strconv.FormatBool(true)}}
	s.with(func(c *cluster.Cluster) {
		if inst, running := currentInstance(st.pod, container); running && c.Engine.Now().Sub(inst.start) > attachRace {
			q.Set("tailLines", "0")
		}
	})
	lr.URL.RawQuery = q.Encode()
	s.podLog(&streamResponse{w: st.stdout, h: http.Header{}}, lr, t)
	s.writeExecStatus(st.errs, 0, nil, nil)
}

// streamResponse is an http.ResponseWriter writing a log's body to an
// attach's stdout.
type streamResponse struct {
	w interface{ Write([]byte) (int, error) }
	h http.Header
}

func (s *streamResponse) Header() http.Header { return s.h }
func (s *streamResponse) WriteHeader(int)     {}
func (s *streamResponse) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return s.w.Write(p)
}
