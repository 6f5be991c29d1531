package sim

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// goOffloader runs the work on a goroutine of its own, in order, as the
// engine's owner's does.
type goOffloader struct {
	work chan func()
	wg   sync.WaitGroup
}

func newGoOffloader(t *testing.T) *goOffloader {
	o := &goOffloader{work: make(chan func(), 4)}
	go func() {
		for w := range o.work {
			w()
			o.wg.Done()
		}
	}()
	t.Cleanup(func() { close(o.work) })
	return o
}

func (o *goOffloader) Do(work func()) {
	o.wg.Add(1)
	o.work <- work
}

func (o *goOffloader) Wait() { o.wg.Wait() }

// lateOffloader runs the work only when waited for: the lines are made
// as late as the trace allows.
type lateOffloader struct{ work []func() }

func (o *lateOffloader) Do(work func()) { o.work = append(o.work, work) }

func (o *lateOffloader) Wait() {
	for _, w := range o.work {
		w()
	}
	o.work = nil
}

// An offloaded trace is the trace: the same hash, count, links and, once
// it gets a writer, listener or Keep part way, the same lines from then on
// (each after every line before it), across chunks, with summaries in
// parts (invalid UTF-8 too), prepared lines, and the hash read midway.
func TestOffloadedTraceIsTheTrace(t *testing.T) {
	type step struct {
		at    int    // when the mode changes: the step's index
		setup string // what changes then
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"plain", nil},
		{"hash midway", []step{{700, "hash"}, {701, "hash"}, {1500, "hash"}}},
		{"writer midway", []step{{600, "writer"}}},
		{"listener midway", []step{{1100, "listener"}}},
		{"kept midway", []step{{513, "keep"}}},
		{"links from the start", []step{{0, "links"}}},
		{"links midway", []step{{900, "links"}, {1400, "hash"}}},
	} {
		for _, late := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/late=%v", tc.name, late), func(t *testing.T) {
				var o Offloader = newGoOffloader(t)
				if late {
					o = &lateOffloader{}
				}
				run := func(tr *Trace) (hashes []string, out *bytes.Buffer, subbed []Record) {
					out = &bytes.Buffer{}
					line := NewLine("kubelet/n-1", "update", "Lease", "kube-node-lease", "n-1", "")
					for i := range 2000 {
						for _, s := range tc.steps {
							if s.at != i {
								continue
							}
							switch s.setup {
							case "hash":
								hashes = append(hashes, tr.Hash())
							case "writer":
								tr.SetWriter(out)
							case "listener":
								tr.Subscribe(func(r *Record) { subbed = append(subbed, *r) })
							case "keep":
								tr.Keep()
							case "links":
								tr.KeepLinks()
							}
						}
						writeStep(tr, line, i)
					}
					return append(hashes, tr.Hash()), out, subbed
				}
				want := NewTrace()
				wantHashes, wantOut, wantSubbed := run(want)
				got := NewTrace()
				got.Offload(o)
				gotHashes, gotOut, gotSubbed := run(got)
				require.Equal(t, wantHashes, gotHashes)
				require.Equal(t, wantOut.String(), gotOut.String())
				require.Equal(t, wantSubbed, gotSubbed)
				require.Equal(t, want.Records(), got.Records())
				require.Equal(t, want.Len(), got.Len())
				require.Equal(t, want.CurrentCause(), got.CurrentCause())
				for id := range want.Len() + 1 {
					require.Equal(t, want.Cause(id), got.Cause(id))
				}
				require.Equal(t, want.LastOf("Lease", "kube-node-lease", "n-1"), got.LastOf("Lease", "kube-node-lease", "n-1"))
				require.Equal(t, want.LastOf("Event", "default", "p-7.1"), got.LastOf("Event", "default", "p-7.1"))
			})
		}
	}
}

// writeStep writes the i-th line of the test trace: a record, a summary
// in parts (every seventh invalid UTF-8) or a prepared line, at a time
// that changes every few lines.
func writeStep(tr *Trace, line *Line, i int) {
	at := time.Duration(i/3) * time.Millisecond
	switch i % 3 {
	case 0:
		tr.Add(Record{T: at, Component: "scheduler", Verb: "bind", Kind: "Pod", Namespace: "default",
			Name: fmt.Sprintf("p-%d", i%11), RV: int64(i), Summary: "node=n-1 <&>"})
	case 1:
		msg := `Container image "nginx:1.27" already present on machine`
		if i%7 == 0 {
			msg = "caf\xc3"
		}
		tr.SetCause(int64(i / 2))
		tr.AddParts(Record{T: at, Component: "kubelet/n-1", Verb: "event", Kind: "Event", Namespace: "default",
			Name: fmt.Sprintf("p-%d.1", i%11), RV: int64(i)}, "Normal", " ", "Pulled", ": ", msg)
	default:
		tr.AddLine(line, at, int64(i))
	}
}
