package kubelet

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim/store"
)

func typesUID(s string) types.UID { return types.UID(s) }

// event records an event unless the kubelet cannot reach the API server
// (events are best effort upstream too).
func (k *Kubelet) event(obj store.Object, typ, reason, msg string) {
	if !k.online() || (k.skipNormal && typ == corev1.EventTypeNormal) {
		return
	}
	k.client.Event(obj, typ, reason, msg)
}

// formatPod is the kubelet's pod identity in messages: name_namespace(uid).
func formatPod(p *corev1.Pod) string {
	return p.Name + "_" + p.Namespace + "(" + string(p.UID) + ")"
}

// roundDuration prints a duration the way the kubelet's pull messages do
// (truncated to milliseconds).
func roundDuration(d time.Duration) string { return d.Truncate(time.Millisecond).String() }

// jitter returns d scaled by a factor in [1-f, 1+f] from the kubelet's
// latency stream.
func (k *Kubelet) jitter(d time.Duration, f float64) time.Duration {
	return time.Duration(k.rnd.Jitter(int64(d), f))
}

// newContainerID is a containerd container id.
func (k *Kubelet) newContainerID() string {
	const hexd = "0123456789abcdef"
	b := make([]byte, 0, len("containerd://")+64)
	b = append(b, "containerd://"...)
	for i := 0; i < 4; i++ {
		v := k.idRnd.Uint64()
		for j := 0; j < 16; j++ {
			b = append(b, hexd[v>>60])
			v <<= 4
		}
	}
	return string(b)
}

// msgKind is one of the kubelet's event messages with one variable part.
type msgKind uint8

const (
	msgCreated        msgKind = iota // Created: the container's name
	msgStarted                       // Started: the container's name
	msgKilling                       // Killing: the container's name
	msgPresent                       // Pulled: the image as the container names it
	msgNotInitialized                // the Initialized condition's: the one init container not done
	msgNotReady                      // the Ready and ContainersReady conditions': the one unready container
	numMsgKinds
)

type msgKey struct {
	kind msgKind
	arg  string
}

// message is the event (or condition) message of kind about arg. Each is built once per
// kubelet (a node runs many pods of the same containers): its pods'
// events share one string, which the API server keeps in each Event, and
// starting a pod builds none. It is a pure function of kind and arg, so
// the strings kept never go stale; there are as many as the node has seen
// container names and images.
//
// The message of each kind last asked for is kept apart (lastMsg): a
// node's pods mostly share their container names and images, so the
// next asks for the same argument and is answered by a comparison of
// strings (shared ones, at once) rather than by hashing it into the map.
// The pair is an entry of the map, so it never goes stale either.
func (k *Kubelet) message(kind msgKind, arg string) string {
	if last := &k.lastMsg[kind]; last.msg != "" && last.arg == arg {
		return last.msg
	}
	m := k.messageOf(kind, arg)
	k.lastMsg[kind] = lastMessage{arg, m}
	return m
}

// lastMessage is the argument and message of a kind last asked for.
type lastMessage struct{ arg, msg string }

// messageOf is message's map lookup.
func (k *Kubelet) messageOf(kind msgKind, arg string) string {
	key := msgKey{kind, arg}
	if m, ok := k.messages[key]; ok {
		return m
	}
	m := buildMessage(kind, arg)
	if k.messages == nil {
		k.messages = map[msgKey]string{}
	}
	k.messages[key] = m
	return m
}

func buildMessage(kind msgKind, arg string) string {
	switch kind {
	case msgCreated:
		return "Created container: " + arg
	case msgStarted:
		return "Started container " + arg
	case msgKilling:
		return "Stopping container " + arg
	case msgNotInitialized:
		return "containers with incomplete status: [" + arg + "]"
	case msgNotReady:
		return "containers with unready status: [" + arg + "]"
	}
	return fmt.Sprintf("Container image %q already present on machine", arg)
}
