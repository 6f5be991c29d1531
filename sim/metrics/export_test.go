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
		fresh := s.newPodEntry(e.pod, e.key, nil, true)
		if !slices.Equal(e.st.containers, fresh.st.containers) || e.st.totalReq != fresh.st.totalReq ||
			!slices.Equal(e.st.podIdle, fresh.st.podIdle) || e.uidHash != fresh.uidHash {
			return fmt.Errorf("%s: kept %+v/%d/%v/%d, fresh %+v/%d/%v/%d", e.key, e.st.containers, e.st.totalReq, e.st.podIdle, e.uidHash,
				fresh.st.containers, fresh.st.totalReq, fresh.st.podIdle, fresh.uidHash)
		}
		if e.idle != nil && !s.idleStale {
			ann, _ := s.workloadAnnotations(e)
			for i := range e.pod.Spec.Containers {
				if want := images.CPUUsageMilli(&e.pod.Spec.Containers[i], ann, e.pod.Annotations); e.idle[i] != want {
					return fmt.Errorf("%s: container %d idle %dm kept, %dm fresh", e.key, i, e.idle[i], want)
				}
			}
		}
		if e.hasSample && len(e.sample.containers) != len(e.st.containers) {
			return fmt.Errorf("%s: a sample of %d containers for %d", e.key, len(e.sample.containers), len(e.st.containers))
		}
	}
	return s.checkSums()
}

// Patchable reports whether the next computed scrape may patch the
// previous samples (see Server.patchable).
func (s *Server) Patchable() bool { return s.patchable }

// checkSums checks that each node's sums and the total are its pods'
// samples added up, as each entry says it added its sample (podEntry.in):
// what a patched scrape takes out and puts back must be what is there.
func (s *Server) checkSums() error {
	type sum struct{ cpu, mem int64 }
	sums := map[*nodeAcc]sum{}
	pods := map[*nodeAcc]int{}
	var used int64
	for _, e := range s.list {
		if e.in == nil {
			continue
		}
		if !e.hasSample || e.in != e.acc || e.inCPU != e.sample.cpuMilli || e.inMem != e.sample.memoryBytes {
			return fmt.Errorf("%s: counted %dm/%d on %p, sample %v %dm/%d on %p", e.key, e.inCPU, e.inMem, e.in,
				e.hasSample, e.sample.cpuMilli, e.sample.memoryBytes, e.acc)
		}
		x := sums[e.in]
		x.cpu, x.mem = x.cpu+e.inCPU, x.mem+e.inMem
		sums[e.in] = x
		pods[e.in]++
		used += e.inCPU
	}
	if used != s.usedCPU {
		return fmt.Errorf("used %dm, the pods' samples add up to %dm", s.usedCPU, used)
	}
	for name, acc := range s.accs {
		if !acc.exists {
			continue
		}
		if x := sums[acc]; acc.sample == nil || acc.sample.CPUMilli != x.cpu || acc.sample.MemoryBytes != x.mem || acc.pods != pods[acc] {
			return fmt.Errorf("node %s: sums %+v of %d pods, its pods add up to %+v of %d", name, acc.sample, acc.pods, x, pods[acc])
		}
		if s.nodes[name] != acc.sample {
			return fmt.Errorf("node %s: its sample is not the one listed", name)
		}
	}
	if len(s.nodes) != len(sums) {
		return fmt.Errorf("%d nodes listed, %d with counted pods", len(s.nodes), len(sums))
	}
	return nil
}
