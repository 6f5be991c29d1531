package hugeheap

import (
	"bufio"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestAdviseMarksTheHeapsPages reserves 64 MiB and reads the kernel's
// own account of the mappings: every mapping in the advised range carries
// the huge-page advice (VmFlags hg), and the range is heap memory the
// runtime hands out again (allocations land inside it).
func TestAdviseMarksTheHeapsPages(t *testing.T) {
	lo, hi := advise(64 << 20)
	if lo == hi {
		t.Skip("the kernel refused MADV_HUGEPAGE (no transparent huge pages here)")
	}
	require.GreaterOrEqual(t, hi-lo, uintptr(60<<20))
	maps := readSmaps(t)
	covered := uintptr(0)
	for _, m := range maps {
		if m.hi <= lo || m.lo >= hi {
			continue
		}
		require.Contains(t, m.flags, "hg", "mapping %x-%x inside the advised range", m.lo, m.hi)
		covered += min(m.hi, hi) - max(m.lo, lo)
	}
	require.Equal(t, hi-lo, covered, "the advised range is mapped")
	// The page allocator hands out the lowest free pages first: once the
	// heap's free pages below the range are used, allocations land in it.
	var keep [][]byte
	found := false
	for n := 0; n < 1024 && !found; n++ { // at most 256 MiB
		b := make([]byte, 256<<10)
		p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		found = p >= lo && p < hi
		keep = append(keep, b)
	}
	require.True(t, found, "no allocation of %d landed in the advised range", len(keep))
	t.Logf("advised %d MiB at %x", (hi-lo)>>20, lo)
}

func TestTotalMemory(t *testing.T) {
	require.Greater(t, totalMemory(), uint64(64<<20), "Linux reports its memory")
}

type mapping struct {
	lo, hi uintptr
	flags  []string
}

// readSmaps parses /proc/self/smaps: each mapping's range and VmFlags.
func readSmaps(t *testing.T) []mapping {
	f, err := os.Open("/proc/self/smaps")
	require.NoError(t, err)
	defer f.Close()
	var out []mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "VmFlags:"); ok && len(out) > 0 {
			out[len(out)-1].flags = strings.Fields(rest)
			continue
		}
		r, _, ok := strings.Cut(line, " ")
		a, b, ok2 := strings.Cut(r, "-")
		if !ok || !ok2 {
			continue
		}
		lo, err1 := strconv.ParseUint(a, 16, 64)
		hi, err2 := strconv.ParseUint(b, 16, 64)
		if err1 == nil && err2 == nil {
			out = append(out, mapping{lo: uintptr(lo), hi: uintptr(hi)})
		}
	}
	require.NoError(t, sc.Err())
	return out
}

func TestStrictOvercommit(t *testing.T) {
	for mode, want := range map[string]bool{"0\n": false, "1\n": false, "2\n": true, "2": true, "": false} {
		require.Equal(t, want, strictOvercommit(mode), "overcommit_memory %q", mode)
	}
}

// TestPopulateFaultsPagesIn maps fresh anonymous memory, which no page
// backs yet, and finds every page of it resident after populate (more
// than one chunk of it), and its content still zero.
func TestPopulateFaultsPagesIn(t *testing.T) {
	const size = populateChunk + 1<<20
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer func() { require.NoError(t, unix.Munmap(b)) }()
	require.Zero(t, resident(t, b), "fresh memory is not resident")
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if err := populateRange(p, p+uintptr(os.Getpagesize())); err != nil {
		t.Skipf("the kernel refuses MADV_POPULATE_WRITE: %v", err)
	}
	populate(p, p+size)
	require.Equal(t, size/os.Getpagesize(), resident(t, b))
	require.Equal(t, -1, slices.IndexFunc(b, func(c byte) bool { return c != 0 }), "populated memory reads zero")
}

// resident is how many of b's pages are resident (mincore).
func resident(t *testing.T, b []byte) int {
	vec := make([]byte, (len(b)+os.Getpagesize()-1)/os.Getpagesize())
	_, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), uintptr(unsafe.Pointer(unsafe.SliceData(vec))))
	require.Zero(t, e, "mincore")
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

func TestCgroupLimit(t *testing.T) {
	for _, c := range []struct {
		content string
		want    uint64
		ok      bool
	}{
		{"max\n", 0, false},
		{"2147483648\n", 2 << 30, true},
		{"", 0, false},
		{"-1", 0, false},
	} {
		got, ok := cgroupLimit(c.content)
		require.Equal(t, c.ok, ok, "memory.max %q", c.content)
		require.Equal(t, c.want, got, "memory.max %q", c.content)
	}
}

// TestMemoryLimited: a soft memory limit (GOMEMLIMIT, bench --memlimit)
// turns populate off.
func TestMemoryLimited(t *testing.T) {
	require.False(t, memoryLimited(), "no limit in a test binary")
	old := debug.SetMemoryLimit(1 << 40)
	defer debug.SetMemoryLimit(old)
	require.True(t, memoryLimited())
}
