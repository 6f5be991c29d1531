package hugeheap

import (
	"os"
	"runtime"
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
	return uint64(hi - lo)
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
	// collections' pacing.
	runtime.GC()
	return lo, hi
}

func totalMemory() uint64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}
