package kubeapi

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/net/websocket"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	"k8s.io/streaming/pkg/httpstream"
	"k8s.io/streaming/pkg/httpstream/spdy"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/network"
)

// Port forwarding (pods/<name>/portforward), as kubectl 1.32 speaks it:
// SPDY streams tunnelled through a WebSocket (subprotocol
// "SPDY/3.1+portforward.k8s.io"), or, when the client falls back, a
// plain SPDY/3.1 upgrade. Each forwarded connection is a pair of streams
// (error and data) sharing a requestID header; the data stream reaches
// the pod's port on localhost, inside the pod's network namespace, so
// NetworkPolicy does not apply (as with the kubelet and containerd).
const (
	portForwardProtocol = "portforward.k8s.io"
	spdyTunnelPrefix    = "SPDY/3.1+"
	// streamCreationTimeout is the kubelet's default: the two streams of
	// one forwarded connection must arrive within it.
	streamCreationTimeout = 30 * time.Second
	maxRequestsPerConn    = 1000 // a bound on one local connection's keep-alive requests
)

// podPortForward serves pods/<name>/portforward.
func (s *Server) podPortForward(w http.ResponseWriter, r *http.Request, t target) {
	var pod *corev1.Pod
	var err error
	s.with(func(cl *cluster.Cluster) {
		if pod, err = t.pod(cl); err != nil {
			return
		}
		if pod.Spec.NodeName == "" {
			err = badRequest("pod %s does not have a host assigned", pod.Name)
		}
	})
	if err != nil {
		writeError(w, err)
		return
	}
	fw := &forwarder{s: s, ns: pod.Namespace, name: pod.Name, uid: string(pod.UID)}
	// A client that hangs up is no error worth logging on the terminal
	// kubesim serve runs in.
	r = r.WithContext(klog.NewContext(r.Context(), logr.Discard()))
	s.wg.Add(1)
	defer s.wg.Done()
	if isWebSocket(r) {
		fw.tunnel(w, r)
		return
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "SPDY/3.1") {
		writeError(w, badRequest("Upgrade request required"))
		return
	}
	if _, err := httpstream.Handshake(r, w, []string{portForwardProtocol}); err != nil {
		return // the handshake answered
	}
	streams := make(chan httpstream.Stream, 1)
	conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, streamReceived(streams))
	if conn == nil {
		return
	}
	defer func() { _ = conn.Close() }()
	fw.serve(conn, streams)
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade")
}

// tunnel accepts the WebSocket and runs the SPDY server connection over
// its binary messages.
func (fw *forwarder) tunnel(w http.ResponseWriter, r *http.Request) {
	want := spdyTunnelPrefix + portForwardProtocol
	srv := websocket.Server{
		Handshake: func(cfg *websocket.Config, _ *http.Request) error {
			for _, p := range cfg.Protocol {
				if p == want {
					cfg.Protocol = []string{want}
					return nil
				}
			}
			return fmt.Errorf("requested protocols %q not supported, want %q", cfg.Protocol, want)
		},
		Handler: func(ws *websocket.Conn) {
			ws.PayloadType = websocket.BinaryFrame
			streams := make(chan httpstream.Stream, 1)
			conn, err := spdy.NewServerConnection(ws, streamReceived(streams))
			if err != nil {
				return
			}
			defer func() { _ = conn.Close() }()
			fw.serve(conn, streams)
		},
	}
	srv.ServeHTTP(w, r)
}

// streamReceived checks a new stream's headers, as the kubelet does.
func streamReceived(streams chan<- httpstream.Stream) httpstream.NewStreamHandler {
	return func(st httpstream.Stream, _ <-chan struct{}) error {
		ps := st.Headers().Get(corev1.PortHeader)
		if ps == "" {
			return fmt.Errorf("%q header is required", corev1.PortHeader)
		}
		port, err := strconv.ParseUint(ps, 10, 16)
		if err != nil {
			return fmt.Errorf("unable to parse %q as a port: %v", ps, err)
		}
		if port < 1 {
			return fmt.Errorf("port %q must be > 0", ps)
		}
		switch typ := st.Headers().Get(corev1.StreamType); typ {
		case "":
			return fmt.Errorf("%q header is required", corev1.StreamType)
		case corev1.StreamTypeError, corev1.StreamTypeData:
		default:
			return fmt.Errorf("invalid stream type %q", typ)
		}
		streams <- st
		return nil
	}
}

// forwarder is one port-forward session to a pod.
type forwarder struct {
	s        *Server
	ns, name string
	uid      string
}

// streamPair is one forwarded connection's two streams.
type streamPair struct {
	data, errs httpstream.Stream
	created    time.Time
}

// serve pairs streams by requestID and forwards each complete pair, until
// the connection closes or the server stops.
func (fw *forwarder) serve(conn httpstream.Connection, streams <-chan httpstream.Stream) {
	conn.SetIdleTimeout(streamIdleTimeout)
	pairs := map[string]*streamPair{}
	sweep := time.NewTicker(time.Second)
	defer sweep.Stop()
	var wg sync.WaitGroup
	defer func() {
		// Closing the connection ends the forwards' reads: they return
		// before the server's Close stops waiting for this handler.
		_ = conn.Close()
		wg.Wait()
	}()
	for {
		select {
		case <-conn.CloseChan():
			return
		case <-fw.s.done:
			return
		case now := <-sweep.C:
			for id, p := range pairs {
				if now.Sub(p.created) > streamCreationTimeout {
					if p.errs != nil {
						_, _ = fmt.Fprintf(p.errs, "(conn=%v, request=%s) timed out waiting for streams", conn, id)
					}
					conn.RemoveStreams(p.data, p.errs)
					delete(pairs, id)
				}
			}
		case st := <-streams:
			id := st.Headers().Get(corev1.PortForwardRequestIDHeader)
			p := pairs[id]
			if p == nil {
				p = &streamPair{created: time.Now()}
				pairs[id] = p
			}
			var dup bool
			if st.Headers().Get(corev1.StreamType) == corev1.StreamTypeError {
				dup, p.errs = p.errs != nil, st
			} else {
				dup, p.data = p.data != nil, st
			}
			if dup {
				_, _ = fmt.Fprintf(p.errs, "error processing stream for request %s: %s stream already assigned", id, st.Headers().Get(corev1.StreamType))
				continue
			}
			if p.data != nil && p.errs != nil {
				delete(pairs, id)
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer conn.RemoveStreams(p.data, p.errs)
					fw.forward(p)
				}()
			}
		}
	}
}

// forward connects one pair's data stream to the pod's port.
func (fw *forwarder) forward(p *streamPair) {
	defer func() { _ = p.errs.Close() }()
	defer func() { _ = p.data.Close() }()
	port, _ := strconv.Atoi(p.data.Headers().Get(corev1.PortHeader))
	srv, err := fw.dial(int32(port))
	if err != nil {
		_, _ = fmt.Fprintf(p.errs, "error forwarding port %d to pod %s, uid : %v", port, sandboxID(fw.uid), err)
		return
	}
	if !srv.HTTP {
		// A server the simulator does not speak (redis, postgres): the
		// connection stays open and what the client sends is read.
		_, _ = io.Copy(io.Discard, p.data)
		return
	}
	br := bufio.NewReader(p.data)
	for range maxRequestsPerConn {
		req, err := http.ReadRequest(br)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				_, _ = io.WriteString(p.data, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}
			return
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(req.Body, maxStdin))
		_ = req.Body.Close()
		// The pod may have gone or stopped serving since the last request.
		if srv, err = fw.dial(int32(port)); err != nil {
			return
		}
		var now time.Time
		fw.s.with(func(cl *cluster.Cluster) { now = cl.Engine.Now() })
		if _, err := p.data.Write(httpResponse(srv.Get(req.URL.RequestURI(), req.Host), req, now)); err != nil {
			return
		}
		if req.Close {
			return
		}
	}
}

// dial finds what listens on the pod's port now, or containerd's error
// for a port nothing listens on.
func (fw *forwarder) dial(port int32) (network.Server, error) {
	var srv network.Server
	var err error
	fw.s.with(func(cl *cluster.Cluster) {
		o, ok := cl.Store.Get("Pod", fw.ns, fw.name)
		if !ok || string(o.GetUID()) != fw.uid {
			err = fmt.Errorf("failed to find sandbox %q in store: not found", sandboxID(fw.uid))
			return
		}
		var listening bool
		if srv, listening = network.Listener(o.(*corev1.Pod), port, corev1.ProtocolTCP); !listening {
			id := sandboxID(fw.uid)
			err = fmt.Errorf("failed to execute portforward in network namespace %q: failed to connect to localhost:%d inside namespace %q, IPv4: dial tcp4 127.0.0.1:%d: connect: connection refused IPv6 dial tcp6: address localhost: no suitable address found ",
				"/var/run/netns/cni-"+uuidOf(id), port, id, port)
		}
	})
	return srv, err
}

// sandboxID is the pod sandbox's containerd ID (64 hex digits), derived
// from the pod's UID.
func sandboxID(uid string) string {
	sum := sha256.Sum256([]byte("sandbox/" + uid))
	return hex.EncodeToString(sum[:])
}

// uuidOf shapes 32 hex digits of id as a UUID (a CNI netns name).
func uuidOf(id string) string {
	sum := sha256.Sum256([]byte("netns/" + id))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// httpResponse is the server's answer on the wire (HTTP/1.1, keep-alive
// unless the client asked to close; no body for HEAD).
func httpResponse(resp network.Response, req *http.Request, now time.Time) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", resp.Status, resp.StatusText)
	if resp.Server != "" {
		fmt.Fprintf(&b, "Server: %s\r\n", resp.Server)
	}
	fmt.Fprintf(&b, "Date: %s\r\n", now.UTC().Format(http.TimeFormat))
	if resp.Location != "" {
		fmt.Fprintf(&b, "Location: %s\r\n", resp.Location)
	}
	fmt.Fprintf(&b, "Content-Type: %s\r\nContent-Length: %d\r\n", resp.Type, len(resp.Body))
	if req.Close {
		b.WriteString("Connection: close\r\n\r\n")
	} else {
		b.WriteString("Connection: keep-alive\r\n\r\n")
	}
	if req.Method != http.MethodHead {
		b.WriteString(resp.Body)
	}
	return []byte(b.String())
}
