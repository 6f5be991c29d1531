// Package apiserver models kube-apiserver in front of the object store:
// every write is validated, defaulted and admitted like upstream, gets its
// metadata (uid, creationTimestamp, generation, resourceVersion) and lands
// in the trace. Components talk to it through a Client named after them, so
// the trace says who did what.
package apiserver

import (
	"encoding/hex"
	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// Server is the simulated API server.
type Server struct {
	engine *sim.Engine
	store  *store.Store
	uids   *sim.Rand

	// WriteGate, if set, is asked before every write; an error fails the
	// write (etcd without quorum answers this way).
	WriteGate func() error
	// PodWebhooks are mutating admission webhooks for pods, run on create
	// after the built-in admission plugins (EKS registers its Fargate
	// webhook this way). A webhook replaces the pod's maps and slices
	// rather than writing into them: they may be shared (Client.Create).
	PodWebhooks []func(*corev1.Pod)

	events     eventRecorder
	serviceIPs uint32
	// tokenVolume is the kube-api-access volume source every admitted pod
	// points to (serviceaccount.go).
	tokenVolume *corev1.ProjectedVolumeSource
	// defaultTolerations and resources are parts many pods share
	// (share.go).
	defaultTolerations []corev1.Toleration
	resources          resourceTable
}

// EventTTL is how long an Event lasts after its last write:
// kube-apiserver's --event-ttl default (etcd deletes it with its lease).
const EventTTL = time.Hour

// New returns an API server over st.
func New(engine *sim.Engine, st *store.Store) *Server {
	s := &Server{engine: engine, store: st, uids: engine.Rand("apiserver/uid"), tokenVolume: TokenVolumeSource(),
		defaultTolerations: defaultTolerations()}
	s.events.init(s)
	st.SetTTL("Event", EventTTL)
	return s
}

// Store is the object store behind the server (read-only use).
func (s *Server) Store() *store.Store { return s.store }

// Engine is the simulation engine.
func (s *Server) Engine() *sim.Engine { return s.engine }

// Client returns a client whose writes are attributed to component.
func (s *Server) Client(component string) *Client { return &Client{s: s, component: component} }

func (s *Server) newUID(r *sim.Rand) types.UID { return types.UID(s.newUUID(r).String()) }

// newUUID is the UUID of newUID(r), not yet made text.
func (s *Server) newUUID(r *sim.Rand) uuid.UUID {
	var b uuid.UUID
	if r == nil {
		r = s.uids
	}
	hi, lo := r.Uint64(), r.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(hi >> (8 * i))
		b[8+i] = byte(lo >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return b
}

// uuidText writes u's canonical text (u.String()) into b, without
// allocating the string.
func uuidText(b *[36]byte, u uuid.UUID) {
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
}

func (s *Server) now() metav1.Time { return metav1.NewTime(s.engine.Now()) }

func (s *Server) trace(component, verb string, obj store.Object, summary string) {
	s.engine.Trace().Add(s.record(component, verb, obj, summary))
}

// traceParts is trace with the concatenation of parts as the summary,
// which is not made as a string unless the trace keeps it.
func (s *Server) traceParts(component, verb string, obj store.Object, parts ...string) {
	s.engine.Trace().AddParts(s.record(component, verb, obj, ""), parts...)
}

// traceWrite traces a write of obj with its Summary: a pod's (three or
// four writes of every pod) as its parts.
func (s *Server) traceWrite(component, verb string, obj store.Object) {
	if p, ok := obj.(*corev1.Pod); ok {
		var parts [podSummaryParts]string
		s.traceParts(component, verb, obj, podSummary(p, parts[:0])...)
		return
	}
	s.trace(component, verb, obj, Summary(obj))
}

// record is the trace record of a change of obj by component.
func (s *Server) record(component, verb string, obj store.Object, summary string) sim.Record {
	return sim.Record{
		T: s.engine.Elapsed(), Component: component, Verb: verb, Kind: store.MustKind(obj),
		Namespace: obj.GetNamespace(), Name: obj.GetName(), RV: s.store.Rev(), Summary: summary,
	}
}

// writable returns the kind of obj, about to be written, once the write
// gate lets the write through.
func (s *Server) writable(obj store.Object) (*store.KindInfo, error) {
	info, err := store.KindOf(obj)
	if err != nil {
		return nil, err
	}
	return info, s.gate()
}

func (s *Server) gate() error {
	if s.WriteGate == nil {
		return nil
	}
	if err := s.WriteGate(); err != nil {
		return apierrors.NewTimeoutError(err.Error(), 0)
	}
	return nil
}

// Now is the virtual time as a timestamp.
func (s *Server) Now() time.Time { return s.engine.Now() }
