package action

import (
	"fmt"
	"slices"
	"time"

	"github.com/kubesim/kubesim/internal/textdist"
	"github.com/kubesim/kubesim/sim/cloud"
)

// EC2 is a fault of the EC2 model. InsufficientCapacity makes launches of
// an instance type in a zone fail with InsufficientInstanceCapacity (ICE)
// for For (0 = for the rest of the run), as when AWS runs out of a type:
// autoscalers back off and try elsewhere.
type EC2 struct {
	InsufficientCapacity *InsufficientCapacity
}

// InsufficientCapacity names the type and zone out of capacity.
type InsufficientCapacity struct {
	Type, Zone string
	For        time.Duration
}

func (*EC2) ActionName() string { return "ec2" }

func init() {
	Register(Entry[*EC2]{
		Example: "{insufficientCapacity: {type: m5.large, zone: us-east-1a, for: 20m}}",
		Fields:  []string{"insufficientCapacity"},
		ParseFields: func(d Decoder, f *Fields) (*EC2, bool) {
			v, ok := f.Vals["insufficientCapacity"]
			if !ok {
				d.Errorf(f.Node, "e.g. {insufficientCapacity: {type: m5.large, zone: us-east-1a, for: 20m}}", "ec2: missing required field \"insufficientCapacity\"")
				return nil, false
			}
			g, ok := d.Mapping(v, "ec2.insufficientCapacity", "type", "zone", "for")
			if !ok {
				return nil, false
			}
			ic := &InsufficientCapacity{}
			if ic.Type, ok = d.RequiredString(g, "type", "ec2.insufficientCapacity"); !ok {
				return nil, false
			}
			if _, known := cloud.Lookup(ic.Type); !known {
				d.Errorf(g.Vals["type"], textdist.DidYouMean(ic.Type, cloud.Names(), "instance types"), "ec2.insufficientCapacity.type: unknown instance type %q", ic.Type)
				return nil, false
			}
			if ic.Zone, ok = d.RequiredString(g, "zone", "ec2.insufficientCapacity"); !ok {
				return nil, false
			}
			if fv, ok := g.Vals["for"]; ok {
				if ic.For, ok = d.Duration(fv, "ec2.insufficientCapacity.for"); !ok {
					return nil, false
				}
			}
			return &EC2{InsufficientCapacity: ic}, true
		},
		Validate: func(a *EC2, w *World) *Problem {
			if z := a.InsufficientCapacity.Zone; !slices.Contains(w.Zones, z) {
				return &Problem{Field: "insufficientCapacity", Msg: fmt.Sprintf("ec2.insufficientCapacity: no zone %q in this cluster", z),
					Hint: textdist.DidYouMean(z, w.Zones, "zones")}
			}
			return nil
		},
		Run: func(env *Env, a *EC2) {
			ic := a.InsufficientCapacity
			env.Cluster.EC2.InsufficientCapacity(ic.Type, ic.Zone, ic.For)
			env.Note("ec2", "insufficientCapacity/"+ic.Type+"/"+ic.Zone, "", nil)
		},
		Write: func(a *EC2) (any, error) {
			ic := a.InsufficientCapacity
			m := map[string]any{"type": ic.Type, "zone": ic.Zone}
			if ic.For > 0 {
				m["for"] = ic.For.String()
			}
			return map[string]any{"insufficientCapacity": m}, nil
		},
	})
}
