package images

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Write is a file a container's command writes (or removes) on its
// filesystem: the kubelet charges it to the emptyDir volume or the
// writable layer the path lands on, which is what the eviction manager
// measures.
type Write struct {
	// At is the time after the container's start when the write is done.
	At time.Duration
	// Path is the file, as the command names it (relative to the
	// container's working directory when not absolute).
	Path string
	// Bytes is the file's new size (Append: the bytes added); Remove
	// deletes the file (or a directory and everything under it).
	Bytes  int64
	Append bool
	Remove bool
}

// WriteMiBps is the rate at which dd and head stream into a file: an EBS
// gp3 root volume's baseline throughput (125 MiB/s).
const WriteMiBps = 125

// writeTime is how long streaming n bytes takes.
func writeTime(n int64) time.Duration {
	return time.Duration(float64(n) / (WriteMiBps << 20) * float64(time.Second))
}

// fileWrites models the commands that fill a file, or remove one:
//
//	dd if=/dev/zero of=F bs=1M count=500   bs*count bytes, at WriteMiBps
//	fallocate -l 1G F                      allocated at once
//	head -c 100M /dev/zero > F             at WriteMiBps (>> appends)
//	rm [-rf] F...                          the files go
//
// It reports whether argv was one of them (writes recorded, status set).
func (e *evaluator) fileWrites(name string, args []string) bool {
	switch name {
	case "dd":
		var of string
		bs, count := int64(512), int64(-1)
		for _, a := range args {
			k, v, ok := strings.Cut(a, "=")
			if !ok {
				continue
			}
			switch k {
			case "of":
				of = v
			case "bs", "obs":
				if n, ok := ddSize(v); ok {
					bs = n
				}
			case "count":
				if n, ok := ddSize(v); ok {
					count = n
				}
			}
		}
		if of == "" || count < 0 {
			return false // to stdout, or until its input ends: not modelled
		}
		e.write(of, satMul(bs, count), false, writeTime(satMul(bs, count)))
		return true
	case "fallocate":
		var size int64 = -1
		var file string
		for i := 0; i < len(args); i++ {
			if n, last, ok := sizeOption(args, i, "-l", "--length"); ok {
				size, i = n, last
			} else if !strings.HasPrefix(args[i], "-") {
				file = args[i]
			}
		}
		if size < 0 || file == "" {
			e.status = 1
			return true
		}
		e.write(file, size, false, 0)
		return true
	case "head":
		n, target, appendTo := int64(-1), "", false
		for i := 0; i < len(args); i++ {
			if size, last, ok := sizeOption(args, i, "-c", ""); ok {
				n, i = size, last
				continue
			}
			switch a := args[i]; {
			case (a == ">" || a == ">>") && i+1 < len(args):
				target, appendTo = args[i+1], a == ">>"
				i++
			case strings.HasPrefix(a, ">>"):
				target, appendTo = a[2:], true
			case strings.HasPrefix(a, ">"):
				target = a[1:]
			}
		}
		if n < 0 || target == "" {
			return false
		}
		e.write(target, n, appendTo, writeTime(n))
		return true
	case "rm":
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				e.writes = append(e.writes, Write{At: e.elapsed, Path: a, Remove: true})
			}
		}
		e.status = 0
		return true
	}
	return false
}

func (e *evaluator) write(file string, n int64, appendTo bool, d time.Duration) {
	e.elapsed += d
	e.writes = append(e.writes, Write{At: e.elapsed, Path: file, Bytes: n, Append: appendTo})
	e.status = 0
}

func satMul(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// ddSize reads dd's numbers: a count with an optional multiplier (c 1,
// w 2, b 512, kB 1000, K 1024, MB, M, GB, G, ...; KiB and the like too).
func ddSize(s string) (int64, bool) {
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	mult, ok := multipliers[s[len(num):]]
	if !ok {
		return 0, false
	}
	return satMul(n, mult), true
}

// sizeOption reads the size option at args[i] when it is one: "-c N",
// "-cN" or, with a long name, "--length=N" (an unreadable size is 0, as
// sizeArg gives it). last is the index of the option's last word.
func sizeOption(args []string, i int, short, long string) (size int64, last int, ok bool) {
	var v string
	switch a := args[i]; {
	case a == short && i+1 < len(args):
		v, i = args[i+1], i+1
	case strings.HasPrefix(a, short):
		v = a[len(short):]
	case long != "" && strings.HasPrefix(a, long+"="):
		v = a[len(long)+1:]
	default:
		return 0, i, false
	}
	size, _ = sizeArg(v)
	return size, i, true
}

// sizeArg reads the sizes of fallocate -l and head -c (as dd's, without
// c, w and b: those are not multipliers there except b).
func sizeArg(s string) (int64, bool) {
	switch strings.TrimLeft(s, "0123456789") {
	case "c", "w":
		return 0, false
	}
	return ddSize(s)
}

var multipliers = map[string]int64{
	"": 1, "c": 1, "w": 2, "b": 512,
	"kB": 1000, "K": 1 << 10, "k": 1 << 10, "KiB": 1 << 10,
	"MB": 1000 * 1000, "M": 1 << 20, "m": 1 << 20, "MiB": 1 << 20,
	"GB": 1000 * 1000 * 1000, "G": 1 << 30, "g": 1 << 30, "GiB": 1 << 30,
	"TB": 1000 * 1000 * 1000 * 1000, "T": 1 << 40, "TiB": 1 << 40,
}
