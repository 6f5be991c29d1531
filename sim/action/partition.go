package action

import (
	"fmt"
	"slices"
	"time"

	"github.com/kubesim/kubesim/internal/textdist"
)

// Partition cuts a zone's nodes off the control plane for For (0 = for
// the rest of the run).
type Partition struct {
	Zone string
	For  time.Duration
}

func (*Partition) ActionName() string { return "partition" }

func init() {
	Register(Entry[*Partition]{
		Example: "{zone: us-east-1a, for: 2m}",
		Fields:  []string{"zone", "for"},
		ParseFields: func(d Decoder, f *Fields) (*Partition, bool) {
			zone, ok := d.RequiredString(f, "zone", "partition")
			if !ok {
				return nil, false
			}
			a := &Partition{Zone: zone}
			if v, ok := f.Vals["for"]; ok {
				if a.For, ok = d.Duration(v, "partition.for"); !ok {
					return nil, false
				}
			}
			return a, true
		},
		Validate: func(a *Partition, w *World) *Problem {
			if slices.Contains(w.Zones, a.Zone) {
				return nil
			}
			return &Problem{Field: "zone", Msg: fmt.Sprintf("partition: no zone %q in this cluster", a.Zone), Hint: textdist.DidYouMean(a.Zone, w.Zones, "zones")}
		},
		Run: func(env *Env, a *Partition) {
			env.Note("partition", "zone/"+a.Zone, "", env.Cluster.PartitionZone(a.Zone, a.For))
		},
		Write: func(a *Partition) (any, error) {
			m := map[string]any{"zone": a.Zone}
			if a.For > 0 {
				m["for"] = a.For.String()
			}
			return m, nil
		},
	})
}
