package kubelet

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim/store"
)

func typesUID(s string) types.UID { return types.UID(s) }

// event records an event unless the kubelet cannot reach the API server
// (events are best effort upstream too).
func (k *Kubelet) event(obj store.Object, typ, reason, msg string) {
	if !k.online() || (k.cfg.SkipNormalEvents && typ == corev1.EventTypeNormal) {
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
