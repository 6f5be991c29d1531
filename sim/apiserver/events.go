package apiserver

import (
	"hash/fnv"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// eventRecorder writes core/v1 Events and, like client-go's correlator,
// folds a repeat of the same event into a count on the existing one.
type eventRecorder struct {
	s    *Server
	seen map[uint64]string // hash of the dedup key -> event name
	seq  uint64
}

func (r *eventRecorder) init(s *Server) {
	r.s = s
	r.seen = map[uint64]string{}
}

// Event records an event about obj: eventType is Normal or Warning, reason
// a CamelCase word, message the human sentence. Events are best effort: a
// failure to record one is ignored, as upstream.
func (c *Client) Event(obj store.Object, eventType, reason, message string) {
	r := &c.s.events
	info, err := store.KindOf(obj)
	if err != nil {
		return
	}
	ns := obj.GetNamespace()
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	// The correlator's key, hashed: at 150,000 pods the strings themselves
	// would be a third of the memory of all events.
	key := hashKey(info.Kind, ns, obj.GetName(), string(obj.GetUID()), eventType, reason, message, c.component)
	now := c.s.now()
	if name, ok := r.seen[key]; ok {
		if o, ok := c.s.store.Get("Event", ns, name); ok {
			ev := o.(*corev1.Event).DeepCopy()
			ev.Count++
			ev.LastTimestamp = now
			if out, err := c.s.store.Update(ev); err == nil {
				c.s.trace(c.component, "event", out, eventType+" "+reason+" x"+strconv.Itoa(int(ev.Count))+": "+message)
			}
			return
		}
	}
	r.seq++
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      obj.GetName() + "." + strconv.FormatInt(c.s.engine.Now().UnixNano(), 16) + strconv.FormatUint(r.seq, 16),
			Namespace: ns,
		},
		InvolvedObject: corev1.ObjectReference{
			Kind: info.Kind, APIVersion: info.GroupVersion.String(), Namespace: obj.GetNamespace(),
			Name: obj.GetName(), UID: obj.GetUID(), ResourceVersion: obj.GetResourceVersion(),
		},
		Reason: reason, Message: message, Type: eventType, Count: 1,
		Source:         corev1.EventSource{Component: sourceComponent(c.component)},
		FirstTimestamp: now, LastTimestamp: now,
		ReportingController: sourceComponent(c.component),
	}
	ev.UID = c.s.newUID(nil)
	ev.CreationTimestamp = now
	out, err := c.s.store.Create(ev)
	if err != nil {
		return
	}
	r.seen[key] = ev.Name
	c.s.trace(c.component, "event", out, eventType+" "+reason+": "+message)
}

// sourceComponent maps our component names to upstream event sources:
// "kubelet/general-1" reports as "kubelet".
func sourceComponent(c string) string {
	for i := 0; i < len(c); i++ {
		if c[i] == '/' {
			return c[:i]
		}
	}
	return c
}

func hashKey(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}
