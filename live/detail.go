package live

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/store"
)

// ErrNoObject is returned (wrapped) by Detail for an object that does not
// exist, so frontends can answer "not found" rather than "bad request".
var ErrNoObject = errors.New("live: no such object")

// ObjectDetail is what a detail drawer shows for one object: its YAML as
// `kubectl get -o yaml` prints it, its status conditions and the events
// that involve it (`kubectl describe`'s tail), oldest first.
type ObjectDetail struct {
	Kind, Namespace, Name string
	YAML                  string
	Conditions            []ConditionView
	Events                []EventView
}

// ConditionView is one status condition.
type ConditionView struct {
	Type, Status, Reason, Message string
	// LastTransition is the virtual time of the last transition.
	LastTransition time.Duration
}

// maxDetailEvents bounds the events a detail carries (a crash-looping
// pod's events are deduplicated by count, so this is generous).
const maxDetailEvents = 200

// Detail reads one object between events. kind is a store kind ("Pod",
// "Node", "Deployment", ...); namespace is ignored for cluster-scoped
// kinds.
func (s *Session) Detail(kind, namespace, name string) (*ObjectDetail, error) {
	info, ok := store.LookupKind(kind)
	if !ok || kind == "Event" {
		return nil, fmt.Errorf("live: cannot show kind %q", kind)
	}
	if !info.Namespaced {
		namespace = ""
	} else if namespace == "" {
		namespace = "default"
	}
	var d *ObjectDetail
	var err error
	s.With(func(c *cluster.Cluster) { d, err = detailOf(c, info, namespace, name) })
	return d, err
}

func detailOf(c *cluster.Cluster, info *store.KindInfo, ns, name string) (*ObjectDetail, error) {
	o, ok := c.Store.Get(info.Kind, ns, name)
	if !ok {
		return nil, fmt.Errorf("%w: %s %q not found", ErrNoObject, info.Kind, qualified(ns, name))
	}
	// Marshalling only reads: o is not copied.
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	y, err := objectYAML(b, info)
	if err != nil {
		return nil, err
	}
	start := c.Engine.Now().Add(-c.Engine.Elapsed())
	conds, err := conditionsOf(b, start)
	if err != nil {
		return nil, err
	}
	d := &ObjectDetail{Kind: info.Kind, Namespace: ns, Name: name, YAML: y,
		Conditions: conds, Events: eventsFor(c.Store, info.Kind, ns, name, start)}
	return d, nil
}

func qualified(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// objectYAML renders an object's JSON with apiVersion and kind set (store
// objects carry no TypeMeta).
func objectYAML(b []byte, info *store.KindInfo) (string, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	m["apiVersion"] = info.GroupVersion.String()
	m["kind"] = info.Kind
	y, err := sigsyaml.Marshal(m)
	return string(y), err
}

// conditionsOf reads the status conditions of an object's JSON, whatever
// its kind: every kind's conditions carry type, status, reason, message and
// lastTransitionTime.
func conditionsOf(b []byte, start time.Time) ([]ConditionView, error) {
	var o struct {
		Status struct {
			Conditions []struct {
				Type, Status, Reason, Message string
				LastTransitionTime            metav1.Time
			}
		}
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, err
	}
	var out []ConditionView
	for _, c := range o.Status.Conditions {
		v := ConditionView{Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message}
		if !c.LastTransitionTime.IsZero() {
			v.LastTransition = c.LastTransitionTime.Sub(start)
		}
		out = append(out, v)
	}
	return out, nil
}

// eventObjectIndex indexes events by "namespace/kind/name" of the object
// they involve (the event's namespace for cluster-scoped objects).
const eventObjectIndex = "live.involvedObject"

// indexEvents keeps the store's index of events by involved object. A
// session adds it before the first event, so the index grows with each
// event written (it touches neither the objects nor the trace); adding it
// again is a no-op.
func indexEvents(st *store.Store) { st.AddIndex("Event", eventObjectIndex, eventObject) }

func eventObject(o store.Object) []string {
	ev := o.(*corev1.Event)
	return []string{ev.Namespace + "/" + ev.InvolvedObject.Kind + "/" + ev.InvolvedObject.Name}
}

// eventsFor lists the core/v1 events whose involvedObject is the object.
// Events of cluster-scoped objects (nodes) live in "default", as upstream
// records them.
func eventsFor(st *store.Store, kind, ns, name string, start time.Time) []EventView {
	evNS := ns
	if evNS == "" {
		evNS = metav1.NamespaceDefault
	}
	var out []EventView
	indexEvents(st) // a cluster built outside a session (tests) indexes its events here, once
	for _, o := range st.ByIndex("Event", eventObjectIndex, evNS+"/"+kind+"/"+name) {
		ev := o.(*corev1.Event)
		ref := ev.InvolvedObject
		if ref.Kind != kind || ref.Name != name || ref.Namespace != ns {
			continue
		}
		t := ev.LastTimestamp.Time
		if t.IsZero() {
			t = ev.EventTime.Time
		}
		if t.IsZero() {
			t = ev.CreationTimestamp.Time
		}
		out = append(out, EventView{Time: t.Sub(start), Type: ev.Type, Reason: ev.Reason,
			Object: strings.ToLower(kind) + "/" + name, Message: ev.Message, Count: max(ev.Count, 1)})
	}
	slices.SortStableFunc(out, func(a, b EventView) int { return int(a.Time - b.Time) })
	if len(out) > maxDetailEvents {
		out = out[len(out)-maxDetailEvents:]
	}
	return out
}

// EtcdMemberDetail is one etcd member with its raft progress (what
// `etcdctl endpoint status` shows).
type EtcdMemberDetail struct {
	Name, Zone, State string
	AppliedIndex      uint64
	Revision          int64
}

// EtcdMembers reports every etcd member with its applied index. It waits
// for raft to settle, so it is heavier than Snapshot: poll it slowly.
func (s *Session) EtcdMembers() ([]EtcdMemberDetail, error) {
	var out []EtcdMemberDetail
	var err error
	s.With(func(c *cluster.Cluster) {
		members := c.Etcd.Members()
		st, serr := c.Etcd.Status()
		err = serr
		for i, m := range st {
			d := EtcdMemberDetail{Name: m.Name, State: m.State, AppliedIndex: m.AppliedIndex, Revision: m.Revision}
			if i < len(members) {
				d.Zone = members[i].Zone
			}
			out = append(out, d)
		}
	})
	return out, err
}
