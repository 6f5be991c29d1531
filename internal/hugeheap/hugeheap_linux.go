package hugeheap

import (
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the size of a transparent huge page on the platforms Go
// supports on Linux (x86-64 and arm64 with 4 KiB base pages).
const hugePage = 2 << 20

func reserve(size uint64) uint64 {
	if mode, err := os.ReadFile("/proc/sys/vm/overcommit_memory"); err == nil && strictOvercommit(string(mode)) {
		return 0
	}
	lo, hi := advise(size)
	if lo < hi {
		go populate(lo, lo+(hi-lo)/4*3) // (nothing under a memory limit)
	}
	return uint64(hi - lo)
}

// memoryLimited reports whether the runtime has a soft memory limit
// (GOMEMLIMIT, bench --memlimit): the user asked for a smaller heap, and
// populated pages count in the resident memory but not in the runtime's
// books, so none are faulted in ahead of the heap (populate stops when a
// limit is set after the reserve, as bench sets --memlimit).
func memoryLimited() bool { return debug.SetMemoryLimit(-1) < math.MaxInt64 }

// populateChunk is how much of the reserve one madvise call faults in.
const populateChunk = 8 << 20

// populate faults in the pages of [lo, hi), the low three quarters of
// the advised range, on a goroutine of its own, from the low end up.
//
// The kernel zeroes a huge page when it is first touched. Where the
// simulation's goroutine touches it (a fresh object) it waits for that:
// 12% of its CPU time at 5,000 nodes and a fifth at 1,000 (perf:
// clear_page_erms under the allocator's first writes, a fifth of it
// under the kubelet's pod status writes). Faulted in here with
// MADV_POPULATE_WRITE, the zeroing runs on the other core, mostly while
// the cluster is built and the first pods created. The call writes
// nothing the runtime could see (a page already there is left as it
// is), so no Go object is touched. The page allocator hands out the
// lowest free pages first, so the heap fills the range from its low
// end; three quarters of it (12 KiB a pod) is about what the heap of a
// run whose pods start reaches (its garbage included; peak resident
// memory is 13 KiB a pod at 5,000 nodes), so that run's peak stays about
// what it was. A run whose pods never start holds less: its peak is the
// populated range. It stops early when the kernel refuses (before Linux
// 5.14) or a soft memory limit is set.
func populate(lo, hi uintptr) {
	for p := lo; p < hi; p += populateChunk {
		if memoryLimited() || populateRange(p, min(p+populateChunk, hi)) != nil {
			return
		}
	}
}

// populateRange faults in the pages of [lo, hi) for writing. The range
// is given as addresses (heap memory the runtime owns, never unmapped):
// nothing here holds or writes a Go object.
func populateRange(lo, hi uintptr) error {
	if _, _, e := unix.Syscall(unix.SYS_MADVISE, lo, hi-lo, unix.MADV_POPULATE_WRITE); e != 0 {
		return e
	}
	return nil
}

// strictOvercommit reports whether vm.overcommit_memory (its file's
// content) is 2, strict accounting: there the reserve counts against the
// commit limit whole, and the runtime cannot fail an allocation it cannot
// map other than by crashing, so none is made.
func strictOvercommit(mode string) bool { return strings.TrimSpace(mode) == "2" }

// advise allocates size bytes, advises huge pages for the whole huge
// pages inside them, frees them, and returns the advised range (empty
// when the kernel refused).
func advise(size uint64) (lo, hi uintptr) {
	b := make([]byte, size)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo = (p + hugePage - 1) &^ (hugePage - 1)
	hi = (p + uintptr(size)) &^ (hugePage - 1)
	if lo >= hi || unix.Madvise(b[lo-p:hi-p], unix.MADV_HUGEPAGE) != nil {
		lo, hi = 0, 0
	}
	// Free the allocation now (b is dead from here), so that its pages
	// are the heap's to hand out, not garbage counted against the first
	// collections' pacing, and release them: they were never touched, so
	// that costs the kernel nothing, and in the runtime's books they are
	// released from the start. Otherwise its scavenger releases them in
	// the first seconds of the run, from the top down, and with them the
	// pages populate has faulted in by then (at 5,000 nodes it released
	// the whole 2.2 GiB).
	debug.FreeOSMemory()
	return lo, hi
}

// totalMemory is the memory this process may use: the machine's, or its
// cgroup's limit (a container's memory.max) where that is lower.
func totalMemory() uint64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	total := uint64(si.Totalram) * uint64(si.Unit)
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if limit, ok := cgroupLimit(string(b)); ok {
			total = min(total, limit)
		}
	}
	return total
}

// cgroupLimit parses a cgroup v2 memory.max file: a byte count, or "max"
// for none.
func cgroupLimit(content string) (uint64, bool) {
	n, err := strconv.ParseUint(strings.TrimSpace(content), 10, 64)
	return n, err == nil
}
