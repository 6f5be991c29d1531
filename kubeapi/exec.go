package kubeapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/streaming/pkg/httpstream/wsstream"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/shell"
)

// Exec streams: the remote command protocol kubectl 1.32 speaks by
// default, WebSocket subprotocols v5.channel.k8s.io (with the close
// signal) and v4.channel.k8s.io, channels 0 stdin, 1 stdout, 2 stderr,
// 3 error (a metav1.Status when the command ends), 4 resize.
const (
	stdinChannel = iota
	stdoutChannel
	stderrChannel
	errorChannel
	resizeChannel
)

// streamIdleTimeout is the kubelet's default streamingConnectionIdleTimeout.
const streamIdleTimeout = 4 * time.Hour

// clientReadyWait is how long output waits for a client that says
// nothing; maxStdin bounds the stdin held for a command.
const (
	clientReadyWait = 250 * time.Millisecond
	maxStdin        = 4 << 20
)

// maxLine bounds a line typed into an interactive shell.
const maxLine = 64 << 10

func execProtocols() map[string]wsstream.ChannelProtocolConfig {
	ch := []wsstream.ChannelType{wsstream.ReadChannel, wsstream.WriteChannel, wsstream.WriteChannel, wsstream.WriteChannel, wsstream.ReadChannel}
	return map[string]wsstream.ChannelProtocolConfig{
		"v5.channel.k8s.io": {Binary: true, Channels: ch},
		"v4.channel.k8s.io": {Binary: true, Channels: ch},
	}
}

type execOptions struct {
	command                    []string
	container                  string
	stdin, stdout, stderr, tty bool
}

func parseExecOptions(r *http.Request) (execOptions, error) {
	q := r.URL.Query()
	b := func(k string) bool { v := q.Get(k); return v == "true" || v == "1" }
	o := execOptions{command: q["command"], container: q.Get("container"), stdin: b("stdin"), stdout: b("stdout"), stderr: b("stderr"), tty: b("tty")}
	if len(o.command) == 0 {
		return o, badRequest("you must specify at least 1 command")
	}
	if !o.stdin && !o.stdout && !o.stderr {
		return o, badRequest("you must specify at least one of stdin, stdout, stderr")
	}
	if o.tty && o.stderr {
		o.stderr = false // with a terminal stderr is merged into stdout
	}
	return o, nil
}

// overlayKey names one container instance's writable layer.
type overlayKey struct {
	uid       types.UID
	container string
	restarts  int32
}

// overlays are the containers' writable layers: what exec'd scripts
// wrote stays for the next exec into the same container instance.
type overlays struct {
	mu sync.Mutex
	m  map[overlayKey]*shell.Overlay
}

func (o *overlays) get(k overlayKey) *shell.Overlay {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[overlayKey]*shell.Overlay{}
	}
	if len(o.m) > 1000 { // bounded: forget every layer rather than grow without end
		clear(o.m)
	}
	ov, ok := o.m[k]
	if !ok {
		ov = shell.NewOverlay()
		o.m[k] = ov
	}
	return ov
}

// pod is the pod a pods/<name>/<subresource> request names, or NotFound.
func (t target) pod(cl *cluster.Cluster) (*corev1.Pod, error) {
	o, ok := cl.Store.Get("Pod", t.namespace, t.name)
	if !ok {
		return nil, notFound(t.res.groupResource(), t.name)
	}
	return o.(*corev1.Pod), nil
}

// podContainer is the pod a pods/<name>/<subresource> request names and
// the container it asks for: the pod's only container when it names none,
// else a container the pod has.
func (t target) podContainer(cl *cluster.Cluster, container string) (*corev1.Pod, string, error) {
	pod, err := t.pod(cl)
	if err != nil {
		return nil, "", err
	}
	if container == "" {
		if len(pod.Spec.Containers) != 1 {
			var names []string
			for _, c := range pod.Spec.Containers {
				names = append(names, c.Name)
			}
			return nil, "", badRequest("a container name must be specified for pod %s, choose one of: [%s]", pod.Name, strings.Join(names, " "))
		}
		container = pod.Spec.Containers[0].Name
	}
	if shell.FindContainer(pod, container) == nil {
		return nil, "", badRequest("container %s is not valid for pod %s", container, pod.Name)
	}
	return pod, container, nil
}

// execTarget checks the pod and container as kube-apiserver and the
// kubelet do before a stream is opened.
func (s *Server) execTarget(t target, container string) (*corev1.Pod, string, int32, error) {
	var pod *corev1.Pod
	var restarts int32
	var err error
	s.with(func(cl *cluster.Cluster) {
		if pod, container, err = t.podContainer(cl, container); err != nil {
			return
		}
		if pod.Spec.NodeName == "" {
			err = badRequest("pod %s does not have a host assigned", pod.Name)
			return
		}
		running := false
		for _, cs := range allStatuses(pod) {
			if cs.Name == container && cs.State.Running != nil {
				running = true
				restarts = cs.RestartCount
			}
		}
		if !running {
			err = errContainerNotFound(container)
		}
	})
	return pod, container, restarts, err
}

func allStatuses(pod *corev1.Pod) []corev1.ContainerStatus {
	all := append([]corev1.ContainerStatus(nil), pod.Status.ContainerStatuses...)
	all = append(all, pod.Status.InitContainerStatuses...)
	return append(all, pod.Status.EphemeralContainerStatuses...)
}

// errContainerNotFound is the kubelet's answer for a container that does
// not run (kube-apiserver passes it on; kubectl prints "unable to upgrade
// connection: container not found ("app")").
type errContainerNotFound string

func (e errContainerNotFound) Error() string {
	return fmt.Sprintf("container not found (%q)", string(e))
}

// podExec serves pods/<name>/exec.
func (s *Server) podExec(w http.ResponseWriter, r *http.Request, t target) {
	opts, err := parseExecOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	st, ok := s.openContainer(w, r, t, opts, "exec")
	if !ok {
		return
	}
	defer st.close()
	pod, container := st.pod, st.container

	sh, err := s.containerShell(st, opts.command[0], opts.tty, false)
	if err != nil {
		s.writeExecStatus(st.errs, 0, apierrors.NewBadRequest(err.Error()), opts.command)
		return
	}
	var code int
	if opts.tty && opts.stdin && len(opts.command) == 1 && sh.HasShell(opts.command[0]) && isShellName(opts.command[0]) {
		code = interactive(sh, st.stdin, st.stdout)
	} else {
		code, err = sh.Exec(opts.command, st.stdin, st.stdout, st.stderr)
	}
	var ee *shell.ExecError
	if errors.As(err, &ee) {
		s.writeExecStatus(st.errs, 0, apierrors.NewInternalError(ociError(pod, container, ee)), opts.command)
		return
	}
	if errors.Is(err, errStreamEnded) {
		return
	}
	s.writeExecStatus(st.errs, code, nil, opts.command)
}

// writeTargetError answers a failed execTarget: the kubelet's plain-text
// 404 for a container that does not run, else the Status.
func writeTargetError(w http.ResponseWriter, err error) {
	var nf errContainerNotFound
	if errors.As(err, &nf) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, nf.Error())
		return
	}
	writeError(w, err)
}

// streams are an exec's or attach's open channels.
type streams struct {
	conn                 *wsstream.Conn
	ctx                  context.Context
	cancel               context.CancelFunc
	stdin                io.Reader
	stdout, stderr, errs io.Writer
	// The running container the streams reach (openContainer), and the
	// server's count of open streams to release on close.
	pod       *corev1.Pod
	container string
	restarts  int32
	done      func()
}

func (st *streams) close() {
	if st.done != nil {
		st.done()
	}
	st.cancel()
	_ = st.conn.Close()
}

// openContainer checks the running container a request names (as
// execTarget does) and opens the remote command streams to it; ok is false
// when it answered the request already. The server's Close waits for the
// streams until the caller closes them.
func (s *Server) openContainer(w http.ResponseWriter, r *http.Request, t target, opts execOptions, what string) (*streams, bool) {
	pod, container, restarts, err := s.execTarget(t, opts.container)
	if err != nil {
		writeTargetError(w, err)
		return nil, false
	}
	st, ok := s.openStreams(w, r, opts, what)
	if !ok {
		return nil, false
	}
	s.wg.Add(1)
	st.pod, st.container, st.restarts, st.done = pod, container, restarts, s.wg.Done
	return st, true
}

// containerShell is the shell model inside the streams' container,
// running the program name (its filesystem changes kept per container
// instance).
func (s *Server) containerShell(st *streams, name string, tty, main bool) (*shell.Shell, error) {
	pod, container, restarts := st.pod, st.container, st.restarts
	host := &execHost{s: s, ctx: st.ctx, ns: pod.Namespace, name: pod.Name, uid: pod.UID, container: container, restarts: restarts}
	return shell.New(shell.Config{Host: host, Pod: pod, Container: container, Name: name,
		Overlay: s.overlays.get(overlayKey{pod.UID, container, restarts}), Token: s.podToken, TTY: tty, Main: main})
}

// openStreams upgrades the request to the remote command protocol (what
// kubectl exec and attach speak): ok is false when the handshake failed
// (it answered). ctx ends when the client goes or the server stops.
func (s *Server) openStreams(w http.ResponseWriter, r *http.Request, opts execOptions, what string) (*streams, bool) {
	if !wsstream.IsWebSocketRequest(r) {
		// kubectl tries SPDY only after a WebSocket upgrade failed, which
		// happens only for the errors answered before.
		writeError(w, badRequest("kubesim serves %s over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io) only", what))
		return nil, false
	}
	conn := wsstream.NewConn(execProtocols())
	conn.SetIdleTimeout(streamIdleTimeout)
	// A client that hangs up is no error worth logging on the terminal
	// kubesim serve runs in.
	r = r.WithContext(klog.NewContext(r.Context(), logr.Discard()))
	_, chans, err := conn.Open(w, r)
	if err != nil {
		return nil, false // the handshake already answered
	}

	// client-go creates its stream readers only after the upgrade and
	// drops frames that arrive before: output waits until the client has
	// spoken (a terminal size, stdin) or a moment has passed.
	g := newGate(clientReadyWait)
	out := func(ch int) io.Writer { return &gatedWriter{g: g, w: chans[ch]} }
	st := &streams{conn: conn, errs: out(errorChannel), stdout: io.Discard, stderr: io.Discard, stdin: strings.NewReader("")}

	// The lowest writable channel gets an empty frame: the client knows
	// the stream is up (as the kubelet does).
	switch {
	case opts.stdout:
		_, _ = out(stdoutChannel).Write(nil)
	case opts.stderr:
		_, _ = out(stderrChannel).Write(nil)
	default:
		_, _ = st.errs.Write(nil)
	}

	st.ctx, st.cancel = s.streamContext(context.Background())
	// The resize channel only ends when the connection does: a closed
	// connection cancels a sleeping command. Sizes are read and dropped
	// (the modelled tools do not lay out to the terminal).
	go func() {
		defer st.cancel()
		buf := make([]byte, 512)
		for {
			n, err := chans[resizeChannel].Read(buf)
			if n > 0 {
				g.open()
			}
			if err != nil {
				return
			}
		}
	}()

	if opts.stdout {
		st.stdout = out(stdoutChannel)
	}
	if opts.stderr {
		st.stderr = out(stderrChannel)
	}
	if opts.tty {
		st.stdout = &crlfWriter{w: st.stdout}
		st.stderr = st.stdout
	}
	if opts.stdin {
		// Stdin is drained as it comes (bounded), so that a command that
		// does not read it never stalls the connection's reader.
		buf := newStreamBuffer(maxStdin)
		go func() {
			_, err := io.Copy(buf, &openOnRead{r: chans[stdinChannel], g: g})
			buf.CloseWithError(err)
		}()
		st.stdin = buf
	}
	return st, true
}

func isShellName(cmd string) bool {
	switch path.Base(cmd) {
	case "sh", "bash", "ash", "dash":
		return true
	}
	return false
}

// ociError is containerd's message for an exec of a missing executable.
func ociError(pod *corev1.Pod, container string, ee *shell.ExecError) error {
	sum := sha256.Sum256([]byte(string(pod.UID) + "/" + container + "/" + ee.Name))
	return fmt.Errorf("error executing command in container: failed to exec in container: failed to start exec %q: OCI runtime exec failed: exec failed: unable to start container process: exec: %q: executable file not found in $PATH: unknown",
		hex.EncodeToString(sum[:]), ee.Name)
}

// writeExecStatus ends an exec as the kubelet does: a Success status, a
// NonZeroExitCode failure with the code as the ExitCode cause (kubectl
// prints "command terminated with exit code N" and exits with it), or
// the error.
func (s *Server) writeExecStatus(w io.Writer, code int, err error, command []string) {
	st := metav1.Status{Status: metav1.StatusSuccess}
	switch {
	case err != nil:
		st = *statusOf(err)
		st.TypeMeta = metav1.TypeMeta{}
	case code != 0:
		st = metav1.Status{Status: metav1.StatusFailure, Reason: "NonZeroExitCode",
			Message: fmt.Sprintf("command terminated with non-zero exit code: command '%s' exited with %d: ", strings.Join(command, " "), code),
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: "ExitCode", Message: strconv.Itoa(code)}}}}
	}
	b, jerr := json.Marshal(st)
	if jerr != nil {
		return
	}
	_, _ = w.Write(b)
}

// podToken signs the token a pod's ServiceAccount volume holds (an hour,
// the projected token's default lifetime after the kubelet's refresh).
// It runs under the session's lock (inside a shell's Read).
func (s *Server) podToken(st *shell.State, namespace, name string) string {
	o, ok := st.Store.Get("ServiceAccount", namespace, name)
	if !ok {
		return ""
	}
	tok, _ := s.signToken(o.(*corev1.ServiceAccount), []string{"https://kubernetes.default.svc"}, st.Now, time.Hour)
	return tok
}

var errStreamEnded = errors.New("the stream ended")

// execHost connects a shell to the live session: reads under the lock,
// sleeps on the virtual clock outside it.
type execHost struct {
	s         *Server
	ctx       context.Context
	ns, name  string
	uid       types.UID
	container string
	restarts  int32
}

func (h *execHost) Read(fn func(st *shell.State)) {
	h.s.with(func(cl *cluster.Cluster) { fn(&shell.State{Store: cl.Store, Now: cl.Engine.Now()}) })
}

// Sleep waits until the virtual clock has moved d; it ends early with an
// error when the client goes, the server stops, or the container stops
// (an exec'd process dies with its container).
func (h *execHost) Sleep(d time.Duration) error {
	var until time.Time
	h.s.with(func(cl *cluster.Cluster) { until = cl.Engine.Now().Add(d) })
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		done, alive := false, false
		h.s.with(func(cl *cluster.Cluster) {
			done = !cl.Engine.Now().Before(until)
			if o, ok := cl.Store.Get("Pod", h.ns, h.name); ok && o.(*corev1.Pod).UID == h.uid {
				for _, cs := range allStatuses(o.(*corev1.Pod)) {
					if cs.Name == h.container && cs.State.Running != nil && cs.RestartCount == h.restarts {
						alive = true
					}
				}
			}
		})
		if !alive {
			return errStreamEnded
		}
		if done {
			return nil
		}
		select {
		case <-h.ctx.Done():
			return errStreamEnded
		case <-tick.C:
		}
	}
}

// crlfWriter turns \n into \r\n, as a terminal's line discipline does.
type crlfWriter struct{ w io.Writer }

func (c *crlfWriter) Write(p []byte) (int, error) {
	if _, err := c.w.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(string(p), "\r\n", "\n"), "\n", "\r\n"))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// interactive runs a shell on a terminal: a prompt, the terminal's echo
// and line editing (backspace, ^C, ^D, ^U; escape sequences ignored),
// one command line at a time.
func interactive(sh *shell.Shell, in io.Reader, out io.Writer) int {
	write := func(s string) { _, _ = io.WriteString(out, s) }
	write(sh.Prompt())
	var line []byte
	buf := make([]byte, 4096)
	esc := 0
	for {
		n, err := in.Read(buf)
		for _, c := range buf[:n] {
			switch {
			case esc == 1:
				esc = 2
				if c != '[' && c != 'O' {
					esc = 0
				}
				continue
			case esc == 2:
				if c >= 0x40 && c <= 0x7e {
					esc = 0
				}
				continue
			case c == 0x1b:
				esc = 1
			case c == '\r' || c == '\n':
				write("\n")
				script := string(line)
				line = line[:0]
				if strings.TrimSpace(script) != "" {
					code, exited := sh.Run(script, strings.NewReader(""), out, out)
					if exited {
						return code
					}
				}
				write(sh.Prompt())
			case c == 0x7f || c == 0x08:
				if len(line) > 0 {
					line = line[:len(line)-1]
					write("\b \b")
				}
			case c == 0x03:
				write("^C\n")
				line = line[:0]
				write(sh.Prompt())
			case c == 0x15:
				for range line {
					write("\b \b")
				}
				line = line[:0]
			case c == 0x04:
				if len(line) == 0 {
					write("\n")
					return sh.Status()
				}
			case c == '\t':
			case c >= 0x20 && len(line) < maxLine:
				line = append(line, c)
				write(string(c))
			}
		}
		if err != nil {
			return sh.Status()
		}
	}
}

// gate holds output until it opens: on a client message or after a wait.
type gate struct {
	ch   chan struct{}
	once sync.Once
}

func newGate(wait time.Duration) *gate {
	g := &gate{ch: make(chan struct{})}
	time.AfterFunc(wait, g.open)
	return g
}

func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }

type gatedWriter struct {
	g *gate
	w io.Writer
}

func (w *gatedWriter) Write(p []byte) (int, error) {
	<-w.g.ch
	return w.w.Write(p)
}

// openOnRead opens the gate once the client sent something on stdin.
type openOnRead struct {
	r io.Reader
	g *gate
}

func (o *openOnRead) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if n > 0 || err != nil {
		o.g.open()
	}
	return n, err
}

// streamBuffer is a pipe with a bounded buffer: writes never block (what
// exceeds the bound is dropped), reads wait for data or the end.
type streamBuffer struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    []byte
	limit  int
	closed bool
	err    error
}

func newStreamBuffer(limit int) *streamBuffer {
	b := &streamBuffer{limit: limit}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *streamBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	room := b.limit - len(b.buf)
	b.buf = append(b.buf, p[:min(len(p), max(room, 0))]...)
	b.cond.Broadcast()
	return len(p), nil
}

func (b *streamBuffer) CloseWithError(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed, b.err = true, err
	b.cond.Broadcast()
}

func (b *streamBuffer) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.buf) == 0 && !b.closed {
		b.cond.Wait()
	}
	if len(b.buf) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		return 0, io.EOF
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}
