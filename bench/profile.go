package bench

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// A pprof profile (profile.proto, as runtime/pprof writes it) read just
// far enough to add up each sample's value by the component its stack
// belongs to. Only the fields used here are decoded.

type profSample struct {
	locs   []uint64
	values []int64
}

type profile struct {
	sampleTypes []string
	samples     []profSample
	// frames of each location, innermost first (inlined calls included).
	locFuncs map[uint64][]uint64
	funcName map[uint64]int64
	strings  []string
}

func parseProfile(data []byte) (*profile, error) {
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, err
		}
	}
	p := &profile{locFuncs: map[uint64][]uint64{}, funcName: map[uint64]int64{}}
	var sampleTypeIdx []int64
	err := walk(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch num {
		case 1: // sample_type
			var t int64
			err := walk(b, func(n protowire.Number, _ protowire.Type, v uint64, _ []byte) error {
				if n == 1 {
					t = int64(v)
				}
				return nil
			})
			sampleTypeIdx = append(sampleTypeIdx, t)
			return err
		case 2: // sample
			var s profSample
			err := walk(b, func(n protowire.Number, t protowire.Type, v uint64, b []byte) error {
				switch n {
				case 1:
					s.locs = appendPacked(s.locs, t, v, b)
				case 2:
					for _, x := range appendPacked(nil, t, v, b) {
						s.values = append(s.values, int64(x))
					}
				}
				return nil
			})
			p.samples = append(p.samples, s)
			return err
		case 4: // location
			var id uint64
			var funcs []uint64
			err := walk(b, func(n protowire.Number, _ protowire.Type, v uint64, b []byte) error {
				switch n {
				case 1:
					id = v
				case 4: // line
					return walk(b, func(n protowire.Number, _ protowire.Type, v uint64, _ []byte) error {
						if n == 1 {
							funcs = append(funcs, v)
						}
						return nil
					})
				}
				return nil
			})
			p.locFuncs[id] = funcs
			return err
		case 5: // function
			var id uint64
			var name int64
			err := walk(b, func(n protowire.Number, _ protowire.Type, v uint64, _ []byte) error {
				switch n {
				case 1:
					id = v
				case 2:
					name = int64(v)
				}
				return nil
			})
			p.funcName[id] = name
			return err
		case 6: // string_table
			p.strings = append(p.strings, string(b))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, i := range sampleTypeIdx {
		p.sampleTypes = append(p.sampleTypes, p.str(i))
	}
	return p, nil
}

func (p *profile) str(i int64) string {
	if i < 0 || int(i) >= len(p.strings) {
		return ""
	}
	return p.strings[i]
}

// walk calls fn for every field of one encoded message: v for varints,
// b for length-delimited fields.
func walk(data []byte, fn func(protowire.Number, protowire.Type, uint64, []byte) error) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return protowire.ParseError(n)
		}
		data = data[n:]
		var v uint64
		var b []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(data)
		case protowire.BytesType:
			b, n = protowire.ConsumeBytes(data)
		default:
			n = protowire.ConsumeFieldValue(num, typ, data)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		data = data[n:]
		if err := fn(num, typ, v, b); err != nil {
			return err
		}
	}
	return nil
}

// appendPacked appends a repeated varint field, packed or not.
func appendPacked(dst []uint64, typ protowire.Type, v uint64, b []byte) []uint64 {
	if typ == protowire.VarintType {
		return append(dst, v)
	}
	for len(b) > 0 {
		x, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return dst
		}
		dst = append(dst, x)
		b = b[n:]
	}
	return dst
}

// byComponent adds up the values of the sample type named valueType by
// the component of each sample's stack.
func (p *profile) byComponent(valueType string) (map[string]int64, error) {
	vi := slices.Index(p.sampleTypes, valueType)
	if vi < 0 {
		return nil, fmt.Errorf("bench: profile has no %q samples (has %v)", valueType, p.sampleTypes)
	}
	out := map[string]int64{}
	var names []string
	for _, s := range p.samples {
		if vi >= len(s.values) {
			continue
		}
		names = names[:0]
		for _, l := range s.locs {
			for _, f := range p.locFuncs[l] {
				names = append(names, p.str(p.funcName[f]))
			}
		}
		out[component(names)] += s.values[vi]
	}
	return out, nil
}

const module = "github.com/kubesim/kubesim/"

// component names the part of the simulator a stack (innermost frame
// first) is working for: the innermost frame in one of the simulator's
// packages decides, so that library code (apimachinery deep copies,
// protobuf encoding, maps) counts for the component that called it.
// raft's own goroutines and the garbage collector have their own rows.
func component(stack []string) string {
	for _, fn := range stack {
		switch {
		case strings.HasPrefix(fn, "github.com/hashicorp/raft"):
			return "etcd/raft"
		case strings.HasPrefix(fn, "runtime.gcBgMarkWorker"), strings.HasPrefix(fn, "runtime.bgsweep"),
			strings.HasPrefix(fn, "runtime.bgscavenge"), strings.HasPrefix(fn, "runtime.gcAssistAlloc"),
			strings.HasPrefix(fn, "runtime.markroot"), strings.HasPrefix(fn, "runtime.gcDrain"):
			return "gc"
		}
		if !strings.HasPrefix(fn, module) {
			continue
		}
		pkg := strings.TrimPrefix(fn, module)
		if i := strings.IndexByte(pkg, '['); i >= 0 {
			pkg = pkg[:i] // generic instantiation: type arguments hold slashes
		}
		// Cut the function off: the package path ends at the first dot
		// after the last slash.
		if i := strings.LastIndexByte(pkg, '/'); i >= 0 {
			if j := strings.IndexByte(pkg[i:], '.'); j >= 0 {
				pkg = pkg[:i+j]
			}
		} else if j := strings.IndexByte(pkg, '.'); j >= 0 {
			pkg = pkg[:j]
		}
		return componentOf(pkg)
	}
	return "other"
}

// components name the parts of the simulator a profile is split into: a
// package belongs to the first entry that is the package itself or, for a
// tree entry, a package above it.
var components = []struct {
	pkg  string
	tree bool
	name string
}{
	{"sim", false, "engine+trace"},
	{"sim/scheduler", true, "scheduler"},
	{"sim/store", false, "store+watch"},
	{"sim/kubelet", true, "kubelets"},
	{"sim/controllers", true, "controllers"},
	{"sim/workqueue", false, "controllers"},
	{"sim/apiserver", true, "apiserver"},
	{"sim/etcd", true, "etcd/raft"},
	{"sim/runner", false, "runner (timeline, checks, report)"},
	{"scenarios", true, "scenario load"},
}

// componentOf is the component of a package path relative to the module;
// another package of sim/ is its own component, named without "sim/".
func componentOf(pkg string) string {
	for _, c := range components {
		if pkg == c.pkg || c.tree && strings.HasPrefix(pkg, c.pkg+"/") {
			return c.name
		}
	}
	return strings.TrimPrefix(pkg, "sim/")
}
