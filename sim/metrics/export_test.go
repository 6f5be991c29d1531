package metrics

import (
	"fmt"
	"slices"

	"github.com/kubesim/kubesim/sim/kubelet/images"
)

// CheckEntries compares what every entry keeps — possibly taken over
// from the entry of the pod's previous version — with the same facts
// derived afresh from the pod: the containers' statics, the UID's hash,
// the idle use (when computed) and that a sample is of the pod's node.
func (s *Server) CheckEntries() error {
	for _, e := range s.list {
		fresh := newPodEntry(e.pod, e.key, nil, true)
		if !slices.Equal(e.containers, fresh.containers) || e.totalReq != fresh.totalReq || e.uidHash != fresh.uidHash {
			return fmt.Errorf("%s: kept %+v/%d/%d, fresh %+v/%d/%d", e.key, e.containers, e.totalReq, e.uidHash,
				fresh.containers, fresh.totalReq, fresh.uidHash)
		}
		if e.idle != nil && !s.idleStale {
			ann := s.workloadAnnotations(e)
			for i := range e.pod.Spec.Containers {
				if want := images.CPUUsageMilli(&e.pod.Spec.Containers[i], ann, e.pod.Annotations); e.idle[i] != want {
					return fmt.Errorf("%s: container %d idle %dm kept, %dm fresh", e.key, i, e.idle[i], want)
				}
			}
		}
		if e.hasSample && len(e.sample.containers) != len(e.containers) {
			return fmt.Errorf("%s: a sample of %d containers for %d", e.key, len(e.sample.containers), len(e.containers))
		}
	}
	for key := range s.owner {
		if s.entries[key] == nil {
			return fmt.Errorf("%s: an owner remembered for a pod without an entry", key)
		}
	}
	return nil
}
