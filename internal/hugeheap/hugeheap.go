// Package hugeheap backs the Go heap with transparent huge pages on Linux
// systems that give them only to memory that asks for them
// (transparent_hugepage=madvise, a common default).
//
// A 5,000-node run's heap grows to about 2 GiB. In 4 KiB pages that is
// half a million page faults as the heap first touches its memory (each
// one costly in a virtual machine), and the simulation's walks through
// maps, watchers and objects miss the TLB all the time. In 2 MiB pages
// the same run took 16 thousand faults, and a fifth less wall time.
//
// The runtime maps its heap without that advice, and advice given to
// memory already mapped does not carry over to what is mapped later. So
// Reserve grows the heap once, up front, by one large allocation, advises
// the kernel on the pages it got, and frees it: the runtime hands those
// pages out again as the heap grows into them. The lower three quarters,
// which a run's heap grows into, are faulted in ahead of it on another
// core (populate); the rest costs address space only until it is used.
package hugeheap

import (
	"os"
	"strings"
	"sync"
)

// Off is the value of the KUBESIM_HUGEPAGES environment variable that
// turns Reserve off.
const Off = "off"

// maxReserve bounds the reserve: enough for a 10,000-node run's heap;
// a bigger heap grows past it in the kernel's default pages.
const maxReserve = 4 << 30

// minReserve is the smallest reserve worth making: below it the heap is
// small enough for the TLB, and reserving costs about 6 ms and 2 MiB of
// the runtime's page tables per GiB.
const minReserve = 256 << 20

// perPod is the heap a run holds per pod, with room to spare: a
// 150,000-pod run peaks at about 13 KiB a pod (its nodes included).
const perPod = 16 << 10

// mu guards reserved: the process's one reserve.
var (
	mu       sync.Mutex
	reserved bool
)

// Reserve grows the heap by up to size bytes backed by huge pages, has
// the kernel fault in the lower three quarters of them on a goroutine of
// its own (populate, Linux; not under a soft memory limit), and returns
// how many bytes it advised (0 when it did nothing). It does nothing off
// Linux, for less than minReserve, when KUBESIM_HUGEPAGES=off or
// GODEBUG's disablethp=1 is set, under strict overcommit accounting
// (vm.overcommit_memory=2), or when the kernel refuses the advice (then
// the heap is as it would have been). A process reserves once: after
// the first call that tried, later calls do nothing (a small run first
// leaves the reserve to a big run after it).
// Make the call early, before the heap holds much: only memory the heap
// has not used yet gets the advice.
func Reserve(size uint64) uint64 {
	if size < minReserve || os.Getenv("KUBESIM_HUGEPAGES") == Off || thpDisabled(os.Getenv("GODEBUG")) {
		return 0
	}
	mu.Lock()
	defer mu.Unlock()
	if reserved {
		return 0
	}
	reserved = true
	return reserve(size)
}

// ForPods is the reserve for a run of that many pods: what its heap will
// hold, at most a quarter of the memory the process may use (the
// machine's or its cgroup's) and maxReserve (0 where the memory is
// unknown). Three quarters of it are resident from the start (populate):
// 12 KiB a pod, under what a run of running pods holds (13-16 KiB a pod
// at 1,000-5,000 nodes), over what pods that never start hold.
func ForPods(pods int) uint64 {
	return min(uint64(max(pods, 0))*perPod, totalMemory()/4, maxReserve)
}

// thpDisabled reports whether a GODEBUG value turns huge pages off for
// the heap (disablethp=1; the last setting of a key wins, as in the
// runtime).
func thpDisabled(godebug string) bool {
	off := false
	for _, kv := range strings.Split(godebug, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == "disablethp" {
			off = v == "1"
		}
	}
	return off
}
